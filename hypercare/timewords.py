"""Spans of time in the few words a person reads at a glance: "40 min", "3 h", "2 d"."""

from __future__ import annotations

from datetime import timedelta


def span_words(delta: timedelta) -> str:
    """A span, rounded down to its largest useful unit: minutes under an hour, hours under two
    days, days beyond ("under a minute" below one). The sign is ignored: the caller says
    "ago" or "in"."""
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"
