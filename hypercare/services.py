"""Every write to programmes, calendars and memberships goes through these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import holidays as holiday_data
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from hypercare.audit import audit
from hypercare.calendar import DEFAULT_WORKING_HOURS, CalendarError, validate_working_hours
from hypercare.models import BusinessCalendar, Holiday, Membership, Programme
from hypercare.roles import Role, Team
from hypercare.signals import calendar_changed, programme_created

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
    by=None,
) -> Programme:
    """Create a programme with its business calendar; other apps add their defaults on `programme_created`."""
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
)


@transaction.atomic
def programme_update(*, programme: Programme, by=None, **changes) -> Programme:
    """Change a programme's details (and, with working_hours/holidays/holiday_country, its calendar)."""
    calendar_changes = {
        key: changes.pop(key) for key in ("working_hours", "holidays", "holiday_country") if key in changes
    }
    unknown = set(changes) - set(PROGRAMME_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for key, value in changes.items():
        setattr(programme, key, value)
    _validated(programme)
    programme.save()
    if calendar_changes:
        calendar_update(programme=programme, **calendar_changes)
    audit(
        "programme.updated", actor=by, programme=programme, fields=sorted(changes) + sorted(calendar_changes)
    )
    return programme


def _invite(user, programme: Programme) -> None:
    """Email a new member a link to set their password (the password-reset flow)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])
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
    """Add a member (or update their roles and team); a new user is created and invited by email."""
    roles = [str(role) for role in dict.fromkeys(roles)]
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown role(s): {', '.join(sorted(unknown))}."})
    if not roles:
        raise ValidationError({"roles": "A member needs at least one role."})
    first_name, _, last_name = name.strip().partition(" ")
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        if not email:
            raise ValidationError({"email": "An email address is needed to invite a new user."})
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        _validated(user)
        user.save()
    membership = Membership.objects.filter(programme=programme, user=user).first()
    previous_roles = list(membership.roles) if membership else []
    if membership is None:
        membership = Membership(programme=programme, user=user)
    membership.roles = roles
    membership.team = team
    membership.business_unit = business_unit
    membership.geography = geography
    membership.is_active = True
    _validated(membership)
    membership.save()
    if previous_roles != roles:
        audit(
            "membership.roles_changed",
            actor=by,
            programme=programme,
            user=username,
            old=previous_roles,
            new=roles,
        )
    if created and invite:
        transaction.on_commit(lambda: _invite(user, programme))
    return membership


@transaction.atomic
def member_deactivate(*, membership: Membership, by=None) -> Membership:
    """Take a member out of a programme; their history (tickets, events) stays."""
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    membership.is_active = False
    audit("membership.deactivated", actor=by, programme=membership.programme, user=membership.user.username)
    return membership
