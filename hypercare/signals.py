"""Signals other apps hook into, so the core never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that creates a programme, with `programme` and `by`:
# apps add their defaults (SLA policy, exit criteria, telemetry series) here.
programme_created = Signal()

# Sent after a programme's working hours or holidays change, with `programme`: the SLA
# engine recomputes the open tickets' business-hours clocks.
calendar_changed = Signal()

# Sent while a programme's page renders, with `programme` and `access`: a receiver returns an HTML
# fragment (rendered from an escaping template) to show on the page, or "" for nothing. The
# exit's outcome, which the handover app knows, reaches the core's page this way.
programme_page_panels = Signal()
