"""Signals other apps hook into (webhooks, notifications) without the tickets app importing them."""

from django.dispatch import Signal

# Sent inside the transaction, with `ticket` and `at`.
ticket_created = Signal()
ticket_resolved = Signal()
