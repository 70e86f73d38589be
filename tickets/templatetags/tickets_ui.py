"""Small helpers of the ticket pages: the unread badge and a ticket's SLA state in a word."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from hypercare.models import Notification, NotificationChannel

register = template.Library()


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


@register.filter
def assignee_options(assignees, selected_id) -> str:
    """The <option>s of the assignee menu with `selected_id` selected (rendered once per page)."""
    html = getattr(assignees, "options_html", None)
    if html is None:
        html = format_html_join(
            "", '<option value="{}">{}</option>', ((u.pk, u.get_full_name() or u.username) for u in assignees)
        )
    if selected_id is None:
        return html
    option = f'<option value="{int(selected_id)}">'
    return mark_safe(html.replace(option, f'<option value="{int(selected_id)}" selected>', 1))  # noqa: S308 -- escaped by format_html_join


@register.filter
def sla_state(ticket) -> str:
    """'breached', 'at-risk', 'paused', 'due', 'met' or '' (no clock) for a list row."""
    if ticket.response_breached or ticket.resolution_breached:
        return "breached"
    if ticket.status in ("resolved", "closed", "deferred"):
        return "met" if ticket.sla_started_at else ""
    if ticket.at_risk:
        return "at-risk"
    if ticket.paused_at:
        return "paused"
    if ticket.resolution_due_at or ticket.response_due_at:
        return "due"
    return ""


@register.filter
def due_at(ticket):
    """The next deadline that matters: the response while nobody has answered, then the resolution."""
    if ticket.first_responded_at is None and ticket.response_due_at:
        return ticket.response_due_at
    return ticket.resolution_due_at


@register.filter
def status_choices(ticket) -> list[tuple[str, str]]:
    """The statuses a queue row's quick action may move the ticket to."""
    from tickets.forms import status_choices as choices

    return choices(ticket)
