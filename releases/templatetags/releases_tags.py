"""Template helpers for the releases app's stored report data (ISO strings in JSON)."""

from datetime import date, datetime

from django import template

register = template.Library()


@register.filter
def iso(value):
    """An ISO date or datetime string from a report's JSON as a date/datetime ('' stays '')."""
    if not value or not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        return value
