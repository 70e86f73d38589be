"""Signals other apps hook into (webhooks, notifications) without the tickets app importing them."""

from django.dispatch import Signal

# Sent inside the transaction, with `ticket` and `at` (and `imported` for created and resolved).
ticket_created = Signal()
ticket_resolved = Signal()
# With `old`, the severity before the change (ticket.severity is the new one).
ticket_severity_changed = Signal()
