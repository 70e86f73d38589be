"""E-mail intake: a mail from a member becomes a ticket, or a public comment on the ticket its
subject names; everything else is answered, ignored or kept for the leads, and nothing twice.

The exactly-once rule: `mail_process` claims a mail by inserting its `InboundMail` row (unique
on programme and Message-ID) as the first statement of the transaction that also creates the
ticket or comment. A worker that dies mid-message takes the whole transaction with it, claim
included, so the mail is processed again on the next poll; a worker racing it on the same mail
blocks on the unique key and finds it taken. The IMAP \\Seen flag is only a hint of what is new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.models import Membership, Programme
from hypercare.roles import Role
from intake import crypto
from intake.models import InboundMail, Mailbox, Outcome, Security
from intake.parsing import Mail, clean_subject, parse, reference_in
from tickets import services as tickets
from tickets.models import Ticket

logger = logging.getLogger(__name__)

# A non-member is answered at most this often, so a loop with another robot stays short.
NOT_MEMBER_ANSWER_EVERY = timedelta(days=1)
MAX_SUBJECT = 255


class Refused(Exception):
    """The sender's mail cannot be taken as it is: they are told why, and nothing is stored."""


@dataclass(frozen=True)
class Reply:
    to: str
    subject: str
    body: str
    in_reply_to: str


# Mailbox settings -------------------------------------------------------------------------------

MAILBOX_FIELDS = ("enabled", "host", "port", "security", "username", "password_env", "folder")


@transaction.atomic
def mailbox_save(*, access: ProgrammeAccess, password: str = "", **fields) -> Mailbox:
    """Create or change the programme's intake mailbox (leads only). A blank password keeps the
    stored one; `password_env` names an environment variable that holds it instead."""
    if not access.is_lead:
        access.refuse("Only the programme's leads can configure the intake mailbox.")
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set."))
    mailbox = Mailbox.objects.filter(programme=access.programme).first() or Mailbox(
        programme=access.programme
    )
    for name, value in fields.items():
        setattr(mailbox, name, value.strip() if isinstance(value, str) else value)
    if mailbox.security not in Security.values:
        raise ValidationError({"security": f"Choose one of {', '.join(Security.values)}."})
    if password:
        mailbox.password_encrypted = crypto.encrypt(password)
    if not mailbox.password_encrypted and not mailbox.password_env:
        raise ValidationError(
            {"password": "Give the password, or the name of the environment variable that holds it."}
        )
    mailbox.full_clean(exclude=["programme"])
    mailbox.save()
    return mailbox


def mailbox_password(mailbox: Mailbox) -> str:
    import os

    if mailbox.password_env:
        value = os.environ.get(mailbox.password_env)
        if value is None:
            raise RuntimeError(f"The environment variable {mailbox.password_env} is not set.")
        return value
    return crypto.decrypt(mailbox.password_encrypted)


# Polling ----------------------------------------------------------------------------------------

POLL_BATCH = 50


def mailbox_poll(*, mailbox: Mailbox, at: datetime | None = None) -> int:
    """Read the mailbox's new mails and process each exactly once. Returns the mails processed.

    Each mail is flagged \\Seen only after its transaction committed; one left unseen by a crash
    is read again and either processed (nothing was kept of it) or recognised by its Message-ID.
    """
    from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

    client_class = {
        Security.SSL: MailBox,
        Security.STARTTLS: MailBoxStartTls,
        Security.NONE: MailBoxUnencrypted,
    }[mailbox.security]
    processed = 0
    try:
        with client_class(mailbox.host, mailbox.port, timeout=30).login(
            mailbox.username, mailbox_password(mailbox), initial_folder=mailbox.folder
        ) as client:
            for message in client.fetch(AND(seen=False), mark_seen=False, limit=POLL_BATCH):
                if mail_process(programme=mailbox.programme, raw=message.obj.as_bytes(), at=at) is not None:
                    processed += 1
                client.flag([message.uid], MailMessageFlags.SEEN, True)
    except Exception as error:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=f"{type(error).__name__}: {error}"[:1000])
        raise
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return processed


# One mail ---------------------------------------------------------------------------------------


def mail_process(
    *, programme: Programme, raw: bytes, at: datetime | None = None, attempts: int = 1
) -> InboundMail | None:
    """Process one raw mail for the programme; None when it was already processed (or is being)."""
    now = at or timezone.now()
    try:
        mail = parse(raw)
    except Exception as error:  # a mail too broken to read is still kept for the leads
        import hashlib

        mail = Mail("sha256:" + hashlib.sha256(raw).hexdigest(), "", "", "", "")
        return _keep_failed(programme, mail, raw, error, now, attempts)
    if InboundMail.objects.filter(programme=programme, message_id=mail.message_id).exists():
        return None
    replies: list[Reply] = []
    try:
        with transaction.atomic():
            record = InboundMail.objects.create(  # the claim
                programme=programme,
                message_id=mail.message_id,
                outcome=Outcome.FAILED,  # until the work below says otherwise, in this same transaction
                sender=mail.sender[:255],
                subject=mail.subject[:MAX_SUBJECT],
                raw=raw,
                received_at=now,
                processed_at=now,
                attempts=attempts,
            )
            _handle(record, mail, replies, now)
            record.save()
    except IntegrityError:
        if InboundMail.objects.filter(programme=programme, message_id=mail.message_id).exists():
            return None  # another worker claimed it first
        raise
    except Refused as refusal:
        record = _keep(programme, mail, raw, Outcome.REFUSED, str(refusal), now, attempts)
        if record is not None:
            _send_after_commit(
                Reply(
                    to=mail.sender,
                    subject=f"Not logged: {mail.subject}",
                    body=(
                        f"Hello{' ' + mail.sender_name if mail.sender_name else ''},\n\n"
                        f"Your e-mail to the {programme.name} hypercare desk was not logged: {refusal}\n\n"
                        f"Nothing was recorded. Please send it again, or log it at "
                        f"{_site()}/p/{programme.slug}/tickets/new/.\n"
                    ),
                    in_reply_to=mail.message_id,
                )
            )
        return record
    except Exception as error:
        logger.exception("Intake mail %s of %s failed", mail.message_id, programme.slug)
        return _keep_failed(programme, mail, raw, error, now, attempts)
    for reply in replies:
        _send_after_commit(reply)
    return record


def _handle(record: InboundMail, mail: Mail, replies: list[Reply], now: datetime) -> None:
    """Decide what the mail is and do it; sets the record's outcome, ticket and comment."""
    programme = record.programme
    if mail.automatic:
        record.outcome, record.error = Outcome.IGNORED, mail.automatic
        return
    if mail.forged:  # never answered: the real owner of the address did not write it
        record.outcome, record.error = Outcome.IGNORED, mail.forged
        return
    if not mail.sender or _is_ours(mail.sender, programme):
        record.outcome, record.error = Outcome.IGNORED, "No sender, or our own address"
        return
    membership = (
        Membership.objects.active()
        .filter(programme=programme, user__email__iexact=mail.sender, user__is_active=True)
        .select_related("user", "programme")
        .order_by("pk")
        .first()
    )
    if membership is None:
        record.outcome = Outcome.NOT_MEMBER
        if _may_answer_stranger(programme, mail.sender, now):
            replies.append(_not_member_reply(programme, mail))
        else:
            record.error = "Already answered in the last day: not answered again."
        return
    access = ProgrammeAccess(programme, membership, frozenset(membership.roles), membership.user)
    reference = reference_in(mail.subject, programme.ticket_prefix)
    ticket = Ticket.objects.filter(programme=programme, reference=reference).first() if reference else None
    try:
        if ticket is not None:
            if not Ticket.objects.visible_to(access).filter(pk=ticket.pk).exists():
                raise Refused(f"{reference} is not one of the tickets you can see.")
            if not mail.body and not mail.attachments:
                raise Refused("the reply is empty.")
            if mail.body:
                record.comment = tickets.ticket_comment(
                    access=access, ticket=ticket, body=mail.body, internal=False, at=now
                )
            record.ticket, record.outcome = ticket, Outcome.COMMENT
        else:
            title = clean_subject(mail.subject)
            if not title:
                raise Refused("the subject is empty: say in a few words what happened.")
            ticket = tickets.ticket_create(
                access=access,
                title=title,
                description=mail.body,
                untriaged=True,
                at=now,
            )
            record.ticket, record.outcome = ticket, Outcome.TICKET
        for attachment in mail.attachments:
            tickets.ticket_attach(
                access=access,
                ticket=ticket,
                upload=SimpleUploadedFile(attachment.name, attachment.content),
                internal=False,
                at=now,
            )
    except ValidationError as error:
        raise Refused(" ".join(_messages(error))) from error
    except PermissionDenied as error:
        raise Refused(str(error) or "your role in this programme cannot do this.") from error


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [message for messages in error.message_dict.values() for message in messages]
    return list(error.messages)


def _keep(programme, mail: Mail, raw: bytes, outcome: str, error: str, now, attempts: int):
    """Store a mail that produced nothing (refused, failed), raw; None if it is already stored."""
    try:
        with transaction.atomic():
            return InboundMail.objects.create(
                programme=programme,
                message_id=mail.message_id,
                outcome=outcome,
                sender=mail.sender[:255],
                subject=mail.subject[:MAX_SUBJECT],
                raw=raw,
                error=error,
                received_at=now,
                processed_at=now,
                attempts=attempts,
            )
    except IntegrityError:
        return None


def _keep_failed(programme, mail: Mail, raw: bytes, error: Exception, now, attempts: int):
    return _keep(
        programme, mail, raw, Outcome.FAILED, f"{type(error).__name__}: {error}"[:2000], now, attempts
    )


@transaction.atomic
def inbound_mail_retry(*, access: ProgrammeAccess, mail: InboundMail, at: datetime | None = None):
    """A lead processes a failed mail again (after fixing its cause): it is claimed anew."""
    if not access.is_lead:
        access.refuse("Only the programme's leads can process a kept mail again.")
    raw, attempts = bytes(mail.raw), mail.attempts + 1
    won, _ = InboundMail.objects.filter(
        pk=mail.pk, programme=access.programme, outcome=Outcome.FAILED
    ).delete()
    if not won:
        raise ValidationError("This mail is no longer waiting: someone processed it a moment ago.")
    return mail_process(programme=access.programme, raw=raw, at=at, attempts=attempts)


# Answers ----------------------------------------------------------------------------------------


def _site() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def _is_ours(sender: str, programme: Programme) -> bool:
    from email.utils import parseaddr

    ours = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    mailbox = Mailbox.objects.filter(programme=programme).values_list("username", flat=True).first()
    if mailbox and "@" in mailbox:
        ours.add(mailbox.lower())
    return sender in ours


def _may_answer_stranger(programme: Programme, sender: str, now: datetime) -> bool:
    return not InboundMail.objects.filter(
        programme=programme,
        sender=sender,
        outcome=Outcome.NOT_MEMBER,
        error="",
        received_at__gte=now - NOT_MEMBER_ANSWER_EVERY,
    ).exists()


def _not_member_reply(programme: Programme, mail: Mail) -> Reply:
    leads = [
        m.user
        for m in Membership.objects.active().filter(programme=programme).select_related("user").order_by("pk")
        if Role.LEAD in m.roles
    ]
    # Names only: an answer to anyone on the internet must not hand out the leads' addresses.
    names = "\n".join(f"- {user.get_full_name() or user.get_username()}" for user in leads)
    return Reply(
        to=mail.sender,
        subject=f"Re: {mail.subject}" if mail.subject else f"Your e-mail to {programme.name} hypercare",
        body=(
            f"Hello{' ' + mail.sender_name if mail.sender_name else ''},\n\n"
            f"Thank you for writing to the {programme.name} hypercare desk. We can only log issues sent by "
            f"members of the programme, and {mail.sender} is not one of them, so nothing was recorded.\n\n"
            f"Please ask one of the programme's hypercare leads to add you, or to log the issue for you:\n"
            f"{names or '- (no lead is named yet: ask your project team)'}\n\n"
            f"This is an automatic answer; you will not get another one today.\n"
        ),
        in_reply_to=mail.message_id,
    )


def _send_after_commit(reply: Reply) -> None:
    def send() -> None:
        headers = {"Auto-Submitted": "auto-replied"}  # RFC 3834: other robots must not answer it
        if reply.in_reply_to and not reply.in_reply_to.startswith("sha256:"):
            headers.update({"In-Reply-To": reply.in_reply_to, "References": reply.in_reply_to})
        try:
            EmailMessage(subject=reply.subject[:200], body=reply.body, to=[reply.to], headers=headers).send()
        except Exception:  # the mail itself is recorded: a lost answer is logged, never retried twice
            logger.exception("Could not answer %s", reply.to)

    transaction.on_commit(send)
