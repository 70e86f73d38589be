"""Template helpers shared by every app's pages: role checks and the unread badge of the programme navigation."""

from __future__ import annotations

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
