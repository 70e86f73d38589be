"""Signals other apps hook into, so the core never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that creates a programme, with `programme` and `by`:
# apps add their defaults (SLA policy, exit criteria, telemetry series) here.
programme_created = Signal()

# Sent after a programme's working hours or holidays change, with `programme`: the SLA
# engine recomputes the open tickets' business-hours clocks.
calendar_changed = Signal()

# Sent inside the transaction that removes a member, before anything changes, with `membership` and
# `by`: an app that must keep the member (a signatory whose sign-off stands) raises ValidationError
# saying why, and nothing changes.
member_removing = Signal()

# Sent inside that transaction once the member is out, with `membership`, `by` and `at`: apps give
# back what the member held (their open tickets return to the queue).
member_removed = Signal()
