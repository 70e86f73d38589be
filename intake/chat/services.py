"""War-room chat: a lead links a channel, a chat user links their account once, a linked member
logs an issue or asks for a ticket's status. Every write of the chat intake is here.

A message is logged through the same service as an e-mail (`tickets.services.ticket_create`,
untriaged): the triage answers stay unknown and the desk triages it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.models import Membership
from hypercare.site import absolute
from intake import crypto
from intake.chat.signatures import teams_matches, valid_teams_token
from intake.models import ChatChannel, ChatIdentity, ChatPlatform
from tickets import services as tickets
from tickets.models import TITLE_MAX_LENGTH, Ticket

logger = logging.getLogger(__name__)

LINK_SALT = "hypercare.intake.chat.link"


# Channels (leads) -------------------------------------------------------------------------------


@transaction.atomic
def chat_channel_link(
    *,
    access: ProgrammeAccess,
    platform: str,
    name: str = "",
    team_id: str = "",
    channel_id: str = "",
    token: str = "",
    at: datetime | None = None,
) -> ChatChannel:
    """A lead links a Slack channel (team id and channel id) or a Teams outgoing webhook (its
    security token, optionally one channel id) to the programme."""
    if not access.is_lead:
        access.refuse("Only the programme's leads can link chat channels.")
    team_id, channel_id, token, name = team_id.strip(), channel_id.strip(), token.strip(), name.strip()
    errors: dict[str, str] = {}
    if platform == ChatPlatform.SLACK:
        if not team_id:
            errors["team_id"] = "Give the Slack workspace's team id (it starts with T)."
        if not channel_id:
            errors["channel_id"] = "Give the Slack channel id (it starts with C)."
        if (
            team_id
            and channel_id
            and ChatChannel.objects.filter(platform=platform, team_id=team_id, channel_id=channel_id).exists()
        ):
            errors["channel_id"] = "This Slack channel is already linked to a programme."
        token = ""
    elif platform == ChatPlatform.TEAMS:
        if not valid_teams_token(token):
            errors["token"] = (
                "Paste the security token Teams showed when the outgoing webhook was created (base64)."
            )
        elif any(
            _token(link) == token and link.channel_id == channel_id
            for link in ChatChannel.objects.filter(platform=platform)
        ):
            errors["channel_id"] = "This Teams webhook and channel are already linked to a programme."
    else:
        errors["platform"] = f"Choose one of {', '.join(ChatPlatform.values)}."
    if errors:
        raise ValidationError(errors)
    return ChatChannel.objects.create(
        programme=access.programme,
        platform=platform,
        name=name[:100],
        team_id=team_id[:255],
        channel_id=channel_id[:255],
        token_encrypted=crypto.encrypt(token) if token else "",
        created_by=access.user,
        created_at=at or timezone.now(),
    )


@transaction.atomic
def chat_channel_unlink(*, access: ProgrammeAccess, channel: ChatChannel) -> None:
    """A lead unlinks a channel: what is sent there afterwards is answered, never logged."""
    if not access.is_lead:
        access.refuse("Only the programme's leads can unlink chat channels.")
    ChatChannel.objects.filter(pk=channel.pk, programme=access.programme).delete()


def _token(link: ChatChannel) -> str:
    try:
        return crypto.decrypt(link.token_encrypted) if link.token_encrypted else ""
    except ImproperlyConfigured:  # encrypted under an older key: the lead must link it again
        logger.warning("The Teams token of chat channel %s cannot be decrypted", link.pk)
        return ""


def slack_channel(*, team_id: str, channel_id: str) -> ChatChannel | None:
    return (
        ChatChannel.objects.select_related("programme")
        .filter(platform=ChatPlatform.SLACK, team_id=team_id, channel_id=channel_id)
        .first()
    )


def teams_links_signing(*, body: bytes, authorization: str) -> list[ChatChannel]:
    """The Teams links whose security token signed this body (none: the request is not ours)."""
    if not authorization.startswith("HMAC "):
        return []
    links = ChatChannel.objects.select_related("programme").filter(platform=ChatPlatform.TEAMS)
    return [link for link in links if (token := _token(link)) and teams_matches(token, body, authorization)]


def teams_channel(links: list[ChatChannel], channel_id: str) -> ChatChannel | None:
    """The link for the channel: the one naming it, else the one taking the whole team."""
    named = [link for link in links if link.channel_id and link.channel_id == channel_id]
    whole = [link for link in links if not link.channel_id]
    return (named or whole or [None])[0]


# People ---------------------------------------------------------------------------------------


def chat_link_url(
    *, channel: ChatChannel, team_id: str, chat_user_id: str, chat_name: str = "", request=None
) -> str:
    """A one-time link (signed, short-lived) that links this chat user to whoever opens it logged in."""
    token = signing.dumps(
        {
            "p": channel.platform,
            "t": team_id,
            "u": chat_user_id,
            "n": chat_name[:100],
            "c": channel.pk,
            "x": secrets.token_urlsafe(16),
        },
        salt=LINK_SALT,
        compress=True,
    )
    return absolute(reverse("integrations:chat_link", args=[token]), request)


@dataclass(frozen=True)
class LinkOffer:
    """What a one-time link would link, read from its token."""

    platform: str
    team_id: str
    chat_user_id: str
    chat_name: str
    channel: ChatChannel
    nonce: str


def chat_link_read(token: str) -> LinkOffer:
    """Read a one-time link; ValidationError when it is forged, expired or its channel unlinked."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=settings.CHAT_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        raise ValidationError("This link has expired: ask the bot again for a new one.") from error
    except signing.BadSignature as error:
        raise ValidationError("This link is not valid: ask the bot again for a new one.") from error
    channel = ChatChannel.objects.select_related("programme").filter(pk=data.get("c")).first()
    if channel is None:
        raise ValidationError("The channel this link came from is no longer linked to a programme.")
    return LinkOffer(data["p"], data["t"], data["u"], data.get("n", ""), channel, data["x"])


def chat_identity_link(*, user, token: str, at: datetime | None = None) -> ChatIdentity:
    """Link the chat user of a one-time link to `user`, who must be a member of the channel's
    programme. Each link works once; linking again (with a new link) replaces the old account."""
    offer = chat_link_read(token)
    if not Membership.objects.active().filter(programme=offer.channel.programme, user=user).exists():
        raise ValidationError(
            f"Your account is not a member of {offer.channel.programme.name}: ask one of its leads to add you."
        )
    try:
        with transaction.atomic():
            if ChatIdentity.objects.filter(link_nonce=offer.nonce).exists():
                raise IntegrityError
            ChatIdentity.objects.filter(
                platform=offer.platform, team_id=offer.team_id, chat_user_id=offer.chat_user_id
            ).delete()
            return ChatIdentity.objects.create(
                platform=offer.platform,
                team_id=offer.team_id,
                chat_user_id=offer.chat_user_id,
                chat_name=offer.chat_name,
                user=user,
                link_nonce=offer.nonce,
                linked_at=at or timezone.now(),
            )
    except IntegrityError:  # the nonce is unique: a second use, even a concurrent one, lands here
        raise ValidationError("This link was already used: ask the bot again for a new one.") from None


# Messages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    """A message or command as Slack or Teams delivered it, already verified."""

    platform: str
    team_id: str  # Slack workspace, Teams tenant: with the user id it names the person
    channel_id: str
    user_id: str
    user_name: str
    text: str
    invoke: str  # how people call the bot here, for the help: "/hypercare", "@Hypercare"


@dataclass(frozen=True)
class Answer:
    """What the bot says back: plain text, and a link to open when there is one."""

    text: str
    url: str = ""
    url_label: str = ""
    ticket: Ticket | None = None


def _help(message: ChatMessage, programme_name: str) -> Answer:
    return Answer(
        f"Log an issue for {programme_name} hypercare: {message.invoke} followed by what happened "
        f"(the first line is the title). Follow a ticket: {message.invoke} status <reference>."
    )


def chat_message_handle(
    *, message: ChatMessage, channel: ChatChannel | None, at: datetime | None = None, request=None
) -> Answer:
    """Answer a verified chat message: log it as an issue, show a ticket's status, or say why not.
    Links point at the address the request came to (`request`), or the site's."""
    now = at or timezone.now()
    if channel is None:
        return Answer(
            "This channel is not linked to a Hypercare programme, so nothing was logged. "
            f"Ask a hypercare lead to link it on the programme's Chat page "
            f"({ChatPlatform(message.platform).label} team {message.team_id or '?'}, "
            f"channel {message.channel_id or '?'})."
        )
    programme = channel.programme
    text = message.text.strip()
    words = text.split()
    command = words[0].lower() if words else ""
    if command in ("", "help"):
        return _help(message, programme.name)
    identity = (
        ChatIdentity.objects.select_related("user")
        .filter(platform=message.platform, team_id=message.team_id, chat_user_id=message.user_id)
        .first()
    )
    if identity is None or command == "link":
        url = chat_link_url(
            channel=channel,
            team_id=message.team_id,
            chat_user_id=message.user_id,
            chat_name=message.user_name,
            request=request,
        )
        minutes = settings.CHAT_LINK_MAX_AGE_SECONDS // 60
        intro = (
            "Link your chat account to Hypercare"
            if command == "link"
            else "You are not linked to a Hypercare account yet, so nothing was logged"
        )
        return Answer(
            f"{intro}: open this link while logged in to Hypercare (it works once, for {minutes} minutes), "
            "then send your message again.",
            url=url,
            url_label="Link my account",
        )
    membership = (
        Membership.objects.active()
        .filter(programme=programme, user=identity.user, user__is_active=True)
        .select_related("user", "programme")
        .first()
    )
    if membership is None:
        return Answer(
            f"Your Hypercare account ({identity.user.get_username()}) is not a member of {programme.name}, "
            "so nothing was logged. Ask one of its hypercare leads to add you."
        )
    access = ProgrammeAccess(programme, membership, frozenset(membership.roles), membership.user)
    if command == "status":
        return _status(access, words[1] if len(words) > 1 else "", message, request)
    return _log(access, text, now, request)


def _status(access: ProgrammeAccess, reference: str, message: ChatMessage, request) -> Answer:
    if not reference:
        return Answer(f"Which ticket? {message.invoke} status {access.programme.ticket_prefix}-12")
    ticket = (
        Ticket.objects.visible_to(access)
        .filter(programme=access.programme, reference__iexact=reference.strip(".,;:()[]"))
        .select_related("assignee")
        .first()
    )
    if ticket is None:
        return Answer(f"No ticket {reference} that you can see in {access.programme.name}.")
    who = (
        ticket.assignee.get_full_name() or ticket.assignee.get_username() if ticket.assignee else "nobody yet"
    )
    parts = [
        f"{ticket.reference}: {ticket.title}",
        f"Status: {ticket.get_status_display()} · Sev{ticket.severity} · Tier {ticket.tier} · with {who}",
    ]
    if ticket.resolution and ticket.status in ("resolved", "closed"):
        parts.append(f"Resolution: {ticket.resolution}")
    return Answer(
        "\n".join(parts),
        url=_ticket_url(ticket, request),
        url_label=f"Open {ticket.reference}",
        ticket=ticket,
    )


def _log(access: ProgrammeAccess, text: str, now: datetime, request) -> Answer:
    first_line = text.splitlines()[0].strip()
    title = (
        first_line
        if len(first_line) <= TITLE_MAX_LENGTH
        else first_line[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    )
    try:
        with transaction.atomic():
            ticket = tickets.ticket_create(
                access=access,
                title=title,
                description=text if text != title else "",
                untriaged=True,
                at=now,
            )
    except ValidationError as error:
        messages = (
            [m for ms in error.message_dict.values() for m in ms]
            if hasattr(error, "message_dict")
            else error.messages
        )
        return Answer("Not logged: " + " ".join(messages))
    except PermissionDenied as error:
        return Answer(f"Not logged: {error or 'your role in this programme cannot log issues.'}")
    return Answer(
        f"Logged {ticket.reference}: {ticket.title}. The desk will triage it; "
        f"ask for its status any time with “status {ticket.reference}”.",
        url=_ticket_url(ticket, request),
        url_label=f"Open {ticket.reference}",
        ticket=ticket,
    )


def _ticket_url(ticket: Ticket, request) -> str:
    return absolute(reverse("tickets:detail", args=[ticket.programme.slug, ticket.reference]), request)
