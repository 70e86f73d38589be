"""Helpers of the ticket page tests: tickets logged through the services, as a person would."""

from __future__ import annotations

from hypercare.access import get_programme_for
from tickets import services
from tickets.services import TriageAnswers


def access_of(persona, slug: str = "acme"):
    return get_programme_for(persona.user, slug)


def log_ticket(persona, *, title="Cannot save a quote", answers=("department", "painful", False), **fields):
    """A ticket logged by `persona` through the service (timeline and SLA clocks included)."""
    return services.ticket_create(
        access=access_of(persona, fields.pop("slug", "acme")),
        title=title,
        answers=TriageAnswers(*answers),
        **fields,
    )


def htmx(**extra) -> dict:
    """The headers htmx sends with a request."""
    return {"HTTP_HX_REQUEST": "true", **extra}
