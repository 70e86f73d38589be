"""When a ticket's clocks stop and resume as people use it: deferring a Sev4 answers it (its response
clock stops rather than breaching in the backlog), and the reporter's reply to a ticket waiting on them
hands it back to the desk with its resolution clock running again."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from hypercare.vocabulary import Status
from tickets.clocks import ticket_clocks_refresh
from tickets.models import Ticket
from triage.services import sla_sweep

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/tickets/"
SEV4 = {"impact_scope": "individual", "workaround": "simple", "blocks_vital_process": False}
SEV3 = {"impact_scope": "subset", "workaround": "simple", "blocks_vital_process": False}


def test_deferring_a_sev4_stops_its_response_clock(champion, desk):
    reference = (
        champion.api().post(URL, {"title": "Help text typo", **SEV4}, format="json").json()["reference"]
    )
    response = desk.api().post(f"{URL}{reference}/transition/", {"status": "deferred"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "deferred"
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.severity == 4 and ticket.first_responded_at is not None
    # A month later the backlog has not breached anything.
    later = timezone.now() + timedelta(days=30)
    sla_sweep(at=later)
    ticket_clocks_refresh(ticket=ticket, at=later)
    ticket.refresh_from_db()
    assert not ticket.response_breached and not ticket.at_risk
    with mock.patch("django.utils.timezone.now", return_value=later):
        body = desk.api().get(f"{URL}{reference}/").json()
    assert body["response_breached"] is False


def test_the_reporters_reply_resumes_a_ticket_waiting_on_them(champion, desk):
    reference = (
        champion.api().post(URL, {"title": "Report totals", **SEV3}, format="json").json()["reference"]
    )
    asked = desk.api().post(
        f"{URL}{reference}/transition/",
        {"status": "waiting_on_reporter", "comment": "Which report?"},
        format="json",
    )
    assert asked.json()["status"] == "waiting_on_reporter"
    paused = Ticket.objects.get(reference=reference)
    assert paused.paused_at is not None

    # Someone else's comment leaves it waiting; the reporter's reply resumes it.
    desk.api().post(f"{URL}{reference}/comment/", {"body": "Still waiting for you."}, format="json")
    assert Ticket.objects.get(reference=reference).status == Status.WAITING_ON_REPORTER
    replied = champion.api().post(
        f"{URL}{reference}/comment/", {"body": "The pipeline report."}, format="json"
    )
    assert replied.status_code == 201
    ticket = Ticket.objects.get(reference=reference)
    assert (ticket.status, ticket.paused_at) == (Status.IN_PROGRESS, None)
    assert ticket.resolution_due_at is not None  # running again, with a due instant
    timeline = desk.api().get(f"{URL}{reference}/").json()["timeline"]
    assert any(event.get("note") == "The reporter replied." for event in timeline)
