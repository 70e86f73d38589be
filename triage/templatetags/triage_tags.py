"""Template helpers of triage: a ticket's SLA explanation, and durations in words."""

from django import template

from tickets.explain import explain, minutes_text
from triage import rows

register = template.Library()


@register.simple_tag
def sla_explanation(ticket):
    """{% sla_explanation ticket as sla %}: the ticket's SLA timeline, computed from its events."""
    return explain(ticket)


@register.filter
def minutes(value):
    """2400 → "2,400 min (40 h)"."""
    return minutes_text(value)


@register.simple_tag
def board_rows(tickets, slug, at):
    """{% board_rows section.tickets programme.slug board.at %}: a board section's <tr>s (triage/rows.py)."""
    return rows.board_rows(tickets, slug, at)


@register.filter
def get_item(mapping, key):
    """A dict value by a variable key (the recompute history's previous values)."""
    return (mapping or {}).get(key)


@register.filter
def overdue(value):
    """-90 → "90 min (1 h 30 min)": how far past a target."""
    return minutes_text(abs(value)) if value is not None else ""


@register.filter
def status_label(value):
    """A ticket status value as people read it: "waiting_on_reporter" → "Waiting on reporter"."""
    from hypercare.vocabulary import Status

    return Status(value).label if value in Status.values else value
