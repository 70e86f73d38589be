"""Every write to programmes, calendars and memberships goes through these functions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

import holidays as holiday_data
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from hypercare.audit import audit
from hypercare.calendar import DEFAULT_WORKING_HOURS, CalendarError, validate_working_hours
from hypercare.models import (
    BusinessCalendar,
    Holiday,
    Invitation,
    Membership,
    Programme,
    ProgrammeStatus,
    SignatoryRoleChange,
)
from hypercare.roles import SIGNATORIES, Role, Team, signatory_conflicts
from hypercare.signals import calendar_changed, member_removed, member_removing, programme_created
from hypercare.site import site_url

User = get_user_model()


def _validated(instance) -> None:
    instance.full_clean()


def country_holidays(country: str, years: Iterable[int]) -> dict[date, str]:
    """Public holidays of a country (ISO code, optionally 'GB-ENG' style subdivision) for the given years."""
    code, _, subdivision = country.upper().partition("-")
    try:
        found = holiday_data.country_holidays(code, subdiv=subdivision or None, years=list(years))
    except NotImplementedError:
        raise ValidationError({"holiday_country": f"No public-holiday data for {country!r}."}) from None
    return dict(sorted(found.items()))


@transaction.atomic
def calendar_update(
    *,
    programme: Programme,
    working_hours: Mapping[str, object] | None = None,
    holidays: Iterable[date | tuple[date, str]] | None = None,
    holiday_country: str | None = None,
) -> BusinessCalendar:
    """Replace the calendar's hours and/or holidays; holidays of `holiday_country` are added to the explicit ones."""
    calendar, _ = BusinessCalendar.objects.get_or_create(
        programme=programme, defaults={"working_hours": DEFAULT_WORKING_HOURS}
    )
    if working_hours is not None:
        try:
            calendar.working_hours = validate_working_hours(working_hours)
        except CalendarError as error:
            raise ValidationError({"working_hours": str(error)}) from None
    if holiday_country is not None:
        calendar.holiday_country = holiday_country
    calendar.save()
    if holidays is not None or holiday_country:
        wanted: dict[date, str] = {}
        if calendar.holiday_country:
            years = range(programme.go_live_date.year, programme.planned_exit_date.year + 2)
            wanted.update(country_holidays(calendar.holiday_country, years))
        for item in holidays or ():
            day, name = item if isinstance(item, tuple) else (item, "")
            wanted[day] = name or wanted.get(day, "")
        if holidays is not None:
            calendar.holidays.exclude(date__in=list(wanted)).delete()
        Holiday.objects.bulk_create(
            [Holiday(calendar=calendar, date=day, name=name) for day, name in wanted.items()],
            update_conflicts=True,
            unique_fields=["calendar", "date"],
            update_fields=["name"],
        )
    calendar.__dict__.pop("working_calendar", None)
    if working_hours is not None or holidays is not None or holiday_country:
        calendar_changed.send(sender=BusinessCalendar, programme=programme)
    return calendar


@transaction.atomic
def programme_create(
    *,
    name: str,
    slug: str,
    go_live_date: date,
    planned_exit_date: date,
    first_month_end_close: date,
    timezone: str = "Europe/London",
    system: str = "",
    ticket_prefix: str = "",
    status: str = "planned",
    working_hours: Mapping[str, object] | None = None,
    holidays: Iterable[date] = (),
    holiday_country: str = "",
    bau_desk_name: str = "",
    bau_desk_url: str = "",
    bau_desk_email: str = "",
    by=None,
) -> Programme:
    """Create a programme with its business calendar; other apps add their defaults on `programme_created`."""
    if status == ProgrammeStatus.CLOSED:
        raise ValidationError({"status": "A programme closes through its sign-offs; it cannot start closed."})
    programme = Programme(
        name=name,
        slug=slug,
        ticket_prefix=(ticket_prefix or slug.split("-")[0]).upper()[:12],
        system=system,
        go_live_date=go_live_date,
        planned_exit_date=planned_exit_date,
        first_month_end_close=first_month_end_close,
        timezone=timezone,
        status=status,
        bau_desk_name=bau_desk_name,
        bau_desk_url=bau_desk_url,
        bau_desk_email=bau_desk_email,
        exit_review_started_at=datetime.now(UTC) if status == ProgrammeStatus.EXIT_REVIEW else None,
    )
    _validated(programme)
    programme.save()
    calendar_update(
        programme=programme,
        working_hours=working_hours or DEFAULT_WORKING_HOURS,
        holidays=list(holidays),
        holiday_country=holiday_country,
    )
    programme_created.send(sender=Programme, programme=programme, by=by)
    audit("programme.created", actor=by, programme=programme)
    return programme


PROGRAMME_FIELDS = (
    "name",
    "system",
    "go_live_date",
    "planned_exit_date",
    "first_month_end_close",
    "timezone",
    "status",
    "ticket_prefix",
    "bau_desk_name",
    "bau_desk_url",
    "bau_desk_email",
)


def _is_staff(by) -> bool:
    return by is None or bool(getattr(by, "is_staff", False))


@transaction.atomic
def programme_update(*, programme: Programme, by=None, **changes) -> Programme:
    """Change a programme's details (and, with working_hours/holidays/holiday_country, its calendar).

    The status moves between planned, active and exit review here; a programme closes only
    through its sign-offs (`programme_close`) and reopens only by a revocation
    (`programme_reopen`). A closed programme's details are for programme administrators (staff).
    """
    calendar_changes = {
        key: changes.pop(key) for key in ("working_hours", "holidays", "holiday_country") if key in changes
    }
    unknown = set(changes) - set(PROGRAMME_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    stored = Programme.objects.select_for_update().get(pk=programme.pk)
    if stored.is_closed and not _is_staff(by):
        raise PermissionDenied(
            f"Hypercare of {stored.name} is closed: only a programme administrator changes its settings."
        )
    status = changes.get("status", stored.status)
    if status != stored.status and ProgrammeStatus.CLOSED in (status, stored.status):
        raise ValidationError(
            {
                "status": "A programme closes when its sponsor and operational owner have signed off, and "
                "reopens when one of them revokes their sign-off: its status cannot be set to or from closed."
            }
        )
    # The changes go onto the locked row, so a stale copy never writes back an old status or counter.
    for key, value in changes.items():
        setattr(stored, key, value)
    if status == ProgrammeStatus.EXIT_REVIEW and stored.exit_review_started_at is None:
        stored.exit_review_started_at = timezone.now()
    _validated(stored)
    stored.save()
    for model_field in Programme._meta.concrete_fields:
        setattr(programme, model_field.attname, getattr(stored, model_field.attname))
    if calendar_changes:
        calendar_update(programme=programme, **calendar_changes)
    audit(
        "programme.updated", actor=by, programme=programme, fields=sorted(changes) + sorted(calendar_changes)
    )
    return programme


def _status_move(programme: Programme, *, old: list[str], by, event: str, **fields) -> Programme:
    # Conditional UPDATE: of two concurrent moves (two last sign-offs, a sign-off and a revocation)
    # only one finds the programme in the status it expects.
    won = Programme.objects.filter(pk=programme.pk, status__in=old).update(**fields)
    if won != 1:
        raise ValidationError("The programme's status changed a moment ago: reload the page and try again.")
    programme.refresh_from_db()
    audit(event, actor=by, programme=programme, status=programme.status)
    return programme


@transaction.atomic
def programme_enter_exit_review(*, programme: Programme, by=None, at: datetime | None = None) -> Programme:
    """A planned or active programme enters its exit review (the first sign-off does this)."""
    now = at or timezone.now()
    stamp = {} if programme.exit_review_started_at else {"exit_review_started_at": now}
    return _status_move(
        programme,
        old=[ProgrammeStatus.PLANNED, ProgrammeStatus.ACTIVE],
        by=by,
        event="programme.exit_review",
        status=ProgrammeStatus.EXIT_REVIEW,
        **stamp,
    )


@transaction.atomic
def programme_close(*, programme: Programme, by=None, at: datetime | None = None) -> Programme:
    """Close hypercare: called by the sign-off service when the last required signatory has signed."""
    now = at or timezone.now()
    stamp = {} if programme.exit_review_started_at else {"exit_review_started_at": now}
    return _status_move(
        programme,
        old=[ProgrammeStatus.PLANNED, ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW],
        by=by,
        event="programme.closed",
        status=ProgrammeStatus.CLOSED,
        closed_at=now,
        **stamp,
    )


@transaction.atomic
def programme_reopen(*, programme: Programme, by=None) -> Programme:
    """Back to exit review: called by the sign-off service when a closing sign-off is revoked."""
    return _status_move(
        programme,
        old=[ProgrammeStatus.CLOSED],
        by=by,
        event="programme.reopened",
        status=ProgrammeStatus.EXIT_REVIEW,
        closed_at=None,
    )


def _invite(user, programme: Programme) -> None:
    """Email a new member a link to set their password (the password-reset flow)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = site_url() + reverse("password_reset_confirm", args=[uid, token])
    send_mail(
        subject=f"You have been added to the {programme.name} hypercare programme",
        message=(
            f"Hello {user.get_full_name() or user.username},\n\n"
            f"You are now a member of {programme.name} in Hypercare.\n"
            f"Set your password here: {link}\n\nYour username is {user.username}.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=True,
    )


def _check_role_change(*, programme: Programme, username: str, old: list[str], new: list[str], by) -> None:
    """Who may change whose roles: nobody their own; only staff the sponsor and operational-owner roles;
    in a closed programme only staff change anything about its members."""
    if programme.is_closed and not _is_staff(by):
        raise PermissionDenied(
            f"Hypercare of {programme.name} is closed: only a programme administrator changes its members."
        )
    if old == new:
        return
    if by is not None and by.get_username() == username:
        audit("membership.refused", actor=by, programme=programme, user=username, reason="own roles")
        raise PermissionDenied("Nobody changes their own roles: ask a lead or a programme administrator.")
    if (set(old) ^ set(new)) & SIGNATORIES and not _is_staff(by):
        audit("membership.refused", actor=by, programme=programme, user=username, reason="signatory role")
        raise PermissionDenied(
            "Only a programme administrator (staff) grants or removes the business sponsor and "
            "operational owner roles."
        )


def _record_signatory_change(*, programme: Programme, user, old: list[str], new: list[str], by) -> None:
    if (set(old) ^ set(new)) & SIGNATORIES:
        SignatoryRoleChange.objects.create(
            programme=programme, member=user, changed_by=by, old_roles=old, new_roles=new, at=timezone.now()
        )


@transaction.atomic
def member_add(
    *,
    programme: Programme,
    username: str,
    roles: Iterable[str],
    email: str = "",
    name: str = "",
    team: str = Team.PROJECT,
    business_unit: str = "",
    geography: str = "",
    by=None,
    invite: bool = True,
) -> Membership:
    """Add a member (or update their roles and team); a new user is created and invited by email.

    Nobody changes their own roles; only staff (`by.is_staff`) grant or remove the sponsor and
    operational-owner roles, and each such change is recorded (SignatoryRoleChange). A signatory
    holds no delivery role (separation of duties). `by=None` is the system (seeds, commands).
    """
    roles = [str(role) for role in dict.fromkeys(roles)]
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown role(s): {', '.join(sorted(unknown))}."})
    if not roles:
        raise ValidationError({"roles": "A member needs at least one role."})
    first_name, _, last_name = name.strip().partition(" ")
    user = User.objects.filter(username=username).first()
    membership = (
        Membership.objects.select_for_update().filter(programme=programme, user=user).first()
        if user
        else None
    )
    previous_roles = list(membership.roles) if membership and membership.is_active else []
    ordered = [role.value for role in Role if role.value in roles]
    _check_role_change(programme=programme, username=username, old=previous_roles, new=ordered, by=by)
    conflicts = signatory_conflicts(ordered)
    if conflicts and set(previous_roles) != set(ordered):
        raise ValidationError({"roles": conflicts})
    created = user is None
    if created:
        if not email:
            raise ValidationError({"email": "An email address is needed to invite a new user."})
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        _validated(user)
        user.save()
    if membership is None:
        membership = Membership(programme=programme, user=user)
    membership.roles = roles
    membership.team = team
    membership.business_unit = business_unit
    membership.geography = geography
    membership.is_active = True
    _validated(membership)
    membership.save()
    if not previous_roles:
        audit("membership.added", actor=by, programme=programme, user=username, roles=ordered)
    if previous_roles != ordered:
        audit(
            "membership.roles_changed",
            actor=by,
            programme=programme,
            user=username,
            old=previous_roles,
            new=roles,
        )
        _record_signatory_change(programme=programme, user=user, old=previous_roles, new=ordered, by=by)
    if created and invite:
        transaction.on_commit(lambda: _invite(user, programme))
    return membership


@transaction.atomic
def member_deactivate(*, membership: Membership, by=None) -> Membership:
    """Take a member out of a programme; their history (tickets, events) stays.

    Taking out a sponsor or an operational owner removes that role: the same rules as member_add.
    """
    programme = membership.programme
    old = list(membership.roles) if membership.is_active else []
    _check_role_change(programme=programme, username=membership.user.get_username(), old=old, new=[], by=by)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    membership.is_active = False
    _record_signatory_change(programme=programme, user=membership.user, old=old, new=[], by=by)
    audit("membership.deactivated", actor=by, programme=programme, user=membership.user.username)
    return membership


@transaction.atomic
def member_remove(*, programme: Programme, username: str, by) -> Membership:
    """Remove a member (a lead or staff): they lose the programme at once (pages, API, notifications
    are all gated on an active membership), their open tickets go back to the queue, and their API
    tokens go if this was their last programme. History keeps their name.

    Refused: oneself, the last lead, a sponsor or owner by a non-staff lead (the role rules), and a
    signatory whose sign-off stands (said by the handover app). Membership.DoesNotExist for a stranger.
    """
    membership = (
        Membership.objects.active()
        .select_for_update()
        .select_related("user")
        .get(programme=programme, user__username=username)
    )
    if by is not None and by.pk == membership.user_id:
        raise PermissionDenied("Nobody removes themselves: ask another lead or a programme administrator.")
    if Role.LEAD in membership.roles and not (
        Membership.objects.active()
        .filter(programme=programme)
        .with_role(Role.LEAD)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(f"{username} is the programme's last lead: make someone else a lead first.")
    member_removing.send(sender=Membership, membership=membership, by=by)
    member_deactivate(membership=membership, by=by)
    member_removed.send(sender=Membership, membership=membership, by=by, at=timezone.now())
    api_tokens_revoke_without_programme(user=membership.user)
    audit("membership.removed", actor=by, programme=programme, user=username)
    return membership


def api_tokens_revoke_without_programme(*, user) -> int:
    """A member who no longer belongs to any programme loses their API tokens (staff, who provision
    programmes by script, keep theirs)."""
    if user.is_staff or Membership.objects.filter(user=user, is_active=True).exists():
        return 0
    return api_token_revoke(user=user, reason="no programme left")


def api_token_expires_at(token: Token):
    """When the token stops working (HYPERCARE_API_TOKEN_DAYS after it was issued), or None: no lifetime."""
    days = settings.HYPERCARE_API_TOKEN_DAYS
    return token.created + timedelta(days=days) if days else None


def api_token_issue(*, user, reason: str) -> Token:
    """The user's API token: the standing one, or a new one when there is none or it has expired."""
    token = Token.objects.filter(user=user).first()
    expires = api_token_expires_at(token) if token is not None else None
    if token is not None and (expires is None or expires > timezone.now()):
        return token
    if token is not None:
        token.delete()
        audit("api_token.expired", actor=user)
    token = Token.objects.create(user=user)
    audit("api_token.issued", actor=user, reason=reason)
    return token


def api_token_revoke(*, user, key: str | None = None, reason: str) -> int:
    """Revoke the user's API token (only the one with `key` when given); the next login issues a
    new one. Returns how many were revoked."""
    tokens = Token.objects.filter(user=user)
    if key is not None:
        tokens = tokens.filter(key=key)
    revoked, _ = tokens.delete()
    if revoked:
        audit("api_token.revoked", actor=user, reason=reason)
    return revoked


# ---------------------------------------------------------------------------------------------
# Invitations: how a lead adds a member. The lead learns nothing about accounts: every invitation
# gets the same answer, and the person joins only when they accept it.

INVITATION_SENT = "Invitation sent to {email}. They join the programme when they accept it."


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_invitation_roles(*, programme: Programme, roles: list[str], by) -> list[str]:
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown role(s): {', '.join(sorted(unknown))}."})
    if not roles:
        raise ValidationError({"roles": "A member needs at least one role."})
    ordered = [role.value for role in Role if role.value in roles]
    _check_role_change(programme=programme, username="", old=[], new=ordered, by=by)
    conflicts = signatory_conflicts(ordered)
    if conflicts:
        raise ValidationError({"roles": conflicts})
    return ordered


def _send_invitation(invitation: Invitation, token: str, *, has_account: bool) -> None:
    link = site_url() + reverse("hypercare:invitation", args=[token])
    programme = invitation.programme
    inviter = invitation.invited_by.get_full_name() or invitation.invited_by.username
    how = (
        "Log in to Hypercare with the account of this e-mail address, then open this link to accept:"
        if has_account
        else "Open this link to choose a username and password and join:"
    )
    send_mail(
        subject=f"Invitation to the {programme.name} hypercare programme",
        message=(
            f"Hello,\n\n{inviter} invites you to {programme.name} in Hypercare as "
            f"{', '.join(invitation.role_labels)}.\n{how}\n{link}\n\n"
            f"The invitation is open until {invitation.expires_at:%Y-%m-%d %H:%M} UTC. "
            "If you did not expect it, ignore this e-mail.\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
        fail_silently=True,
    )


@transaction.atomic
def invitation_send(
    *,
    programme: Programme,
    email: str,
    roles: Iterable[str],
    by,
    team: str = Team.PROJECT,
    business_unit: str = "",
    geography: str = "",
    at: datetime | None = None,
) -> Invitation:
    """Invite the person behind `email` to the programme with these roles (a lead, or staff).

    Whether an account has this address changes only the e-mail the invitee reads, never what the
    caller sees. The token is in the e-mail only (`invitation.token` for the caller's process)."""
    email = (email or "").strip()
    if not email:
        raise ValidationError({"email": "Give the e-mail address of the person to invite."})
    ordered = _check_invitation_roles(programme=programme, roles=[str(r) for r in roles], by=by)
    if by is not None and (by.email or "").lower() == email.lower():
        raise PermissionDenied("Nobody invites themselves or changes their own roles.")
    now = at or timezone.now()
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        programme=programme,
        email=email,
        roles=ordered,
        team=team,
        business_unit=business_unit,
        geography=geography,
        token_hash=_token_hash(token),
        invited_by=by,
        created_at=now,
        expires_at=now + timedelta(days=settings.HYPERCARE_INVITATION_DAYS),
    )
    _validated(invitation)
    invitation.save()
    has_account = User.objects.filter(email__iexact=email, is_active=True).exists()
    transaction.on_commit(lambda: _send_invitation(invitation, token, has_account=has_account))
    audit("invitation.sent", actor=by, programme=programme, email=email, roles=ordered)
    invitation.token = token
    return invitation


def invitation_for_token(token: str, *, at: datetime | None = None) -> Invitation | None:
    """The open invitation behind a link's token; None when unknown, accepted or expired."""
    return (
        Invitation.objects.select_related("programme", "invited_by")
        .filter(
            token_hash=_token_hash(token or ""), accepted_at__isnull=True, expires_at__gt=at or timezone.now()
        )
        .first()
    )


def invitation_needs_account(invitation: Invitation) -> bool:
    """No account has the invitation's address yet: accepting creates one."""
    return not User.objects.filter(email__iexact=invitation.email, is_active=True).exists()


def _inviter_still_may(invitation: Invitation) -> bool:
    inviter = invitation.invited_by
    return inviter.is_staff or (
        Membership.objects.active()
        .filter(programme_id=invitation.programme_id, user=inviter)
        .with_role(Role.LEAD)
        .exists()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user, at: datetime | None = None) -> Membership:
    """The invitee, logged in with the invited address, joins the programme (once)."""
    if (user.email or "").lower() != invitation.email.lower():
        raise PermissionDenied("This invitation was sent to another e-mail address.")
    now = at or timezone.now()
    if not _inviter_still_may(invitation):
        raise ValidationError(
            "This invitation is no longer valid: ask a lead of the programme for a new one."
        )
    # Conditional UPDATE: of two concurrent acceptances only one finds the invitation open.
    won = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now).update(
        accepted_at=now, accepted_by=user
    )
    if won != 1:
        raise ValidationError("This invitation has already been used or has expired.")
    membership = member_add(
        programme=invitation.programme,
        username=user.username,
        roles=invitation.roles,
        team=invitation.team,
        business_unit=invitation.business_unit,
        geography=invitation.geography,
        by=invitation.invited_by,
        invite=False,
    )
    audit("invitation.accepted", actor=user, programme=invitation.programme, email=invitation.email)
    return membership


@transaction.atomic
def invitation_accept_new_account(
    *, invitation: Invitation, username: str, password: str, name: str = "", at: datetime | None = None
):
    """Accept an invitation by creating the account of the invited address; returns the user."""
    if not invitation_needs_account(invitation):
        raise ValidationError("An account already has this e-mail address: log in with it to accept.")
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is taken: choose another."})
    first_name, _, last_name = (name or "").strip().partition(" ")
    user = User(username=username, email=invitation.email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    _validated(user)
    user.save()
    audit("account.created", actor=user, programme=invitation.programme, user=user.username)
    invitation_accept(invitation=invitation, user=user, at=at)
    return user


def member_add_or_invite(
    *,
    programme: Programme,
    by,
    roles: Iterable[str],
    username: str = "",
    email: str = "",
    team: str = Team.PROJECT,
    business_unit: str = "",
    geography: str = "",
    **_ignored,
) -> Membership | Invitation:
    """What a lead's "add a member" does: a current member of this programme (by username) has
    their roles changed at once; anyone else is invited by e-mail. A username alone reaches nobody."""
    username = (username or "").strip()
    if username and (
        Membership.objects.active().filter(programme=programme, user__username=username).exists()
    ):
        return member_add(
            programme=programme,
            username=username,
            roles=roles,
            team=team,
            business_unit=business_unit,
            geography=geography,
            by=by,
        )
    if not (email or "").strip():
        raise ValidationError(
            {
                "email": "Give the person's e-mail address: an invitation goes to an e-mail address, not a username."
            }
        )
    return invitation_send(
        programme=programme,
        email=email,
        roles=roles,
        team=team,
        business_unit=business_unit,
        geography=geography,
        by=by,
    )
