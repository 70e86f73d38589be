"""Template helpers shared by every app's pages: role checks, the unread badge of the programme
navigation, and durations in words."""

from __future__ import annotations

from datetime import timedelta

from django import template

from hypercare.models import Notification, NotificationChannel

register = template.Library()


@register.filter
def has_role(access, roles: str) -> bool:
    """Whether the member holds any of `roles` (comma-separated role values): `access|has_role:"sponsor"`."""
    if access is None or not hasattr(access, "has_role"):
        return False
    return access.has_role(*(role.strip() for role in roles.split(",") if role.strip()))


@register.simple_tag(takes_context=True)
def unread_notifications(context, programme) -> int:
    """The signed-in member's unread in-app notifications of `programme` (one indexed query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if programme is None or user is None or not user.is_authenticated:
        return 0
    # Counted with the access check's membership query when the page made one (hypercare.access).
    for membership in getattr(user, "_hypercare_memberships", None) or ():
        if membership.programme_id == programme.pk and hasattr(membership, "unread_in_app"):
            return membership.unread_in_app
    return Notification.objects.filter(
        programme=programme, recipient=user, channel=NotificationChannel.IN_APP, read_at__isnull=True
    ).count()


def duration_words(value: timedelta | int | float | None) -> str:
    """A span as people say it: 8 hours, 7 hours 30 minutes, 2 days 3 hours, 45 minutes.

    Takes a timedelta or a number of minutes; never "8:00:00"."""
    if value is None or value == "":
        return ""
    minutes = round(value.total_seconds() / 60 if isinstance(value, timedelta) else float(value))
    sign, minutes = ("minus " if minutes < 0 else ""), abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{count} {unit}{'' if count == 1 else 's'}"
        for count, unit in ((days, "day"), (hours, "hour"), (mins, "minute"))
        if count
    ]
    return sign + (" ".join(parts[:2]) if parts else "0 minutes")


@register.filter
def duration(value) -> str:
    """{{ calendar.business_day|duration }} → "8 hours"."""
    return duration_words(value)


def _vocabulary_labels() -> dict[str, str]:
    from hypercare.roles import Role, Team
    from hypercare.vocabulary import Category, Status

    labels: dict[str, str] = {}
    for choices in (Team, Status, Category, Role):
        labels.update(dict(choices.choices))
    return labels


@register.filter
def label(value) -> str:
    """A stored vocabulary value as people read it: "operational_owner" → "Operational owner",
    "defect" → "Defect". Anything else is shown as it is."""
    return _vocabulary_labels().get(str(value), value) if value not in (None, "") else value
