"""Signals of the releases app that higher apps hook into, so releases never imports them."""

from django.dispatch import Signal

# Sent while the figures of a status report are computed, with `programme`, `kind` and `at`.
# A receiver returns a dict of extra JSON-ready figures, merged into the report's data (the
# handover app adds the exit gate's forecast this way).
status_figures_collect = Signal()
