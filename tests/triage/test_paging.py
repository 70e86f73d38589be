"""A new Sev1 pages the on-call engineer and the leads at once, a Sev2 the desk's queue lead, in the app
and by email, each exactly once however often the ticket is saved or the paging retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hypercare.models import Notification, NotificationChannel
from hypercare.notifications import deliver_emails
from tests.tickets.test_services_transitions import access_of
from tickets.models import Ticket
from triage.services import oncall_shift_add, queue_lead_set
from triage.services.paging import ticket_page_for_severity

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/tickets/"
SEV1 = {"impact_scope": "department", "workaround": "none", "blocks_vital_process": True}
SEV2 = {"impact_scope": "department", "workaround": "painful", "blocks_vital_process": False}
SEV3 = {"impact_scope": "subset", "workaround": "simple", "blocks_vital_process": False}


@pytest.fixture
def rota(lead, engineer, desk):
    now = timezone.now()
    oncall_shift_add(
        access=access_of(lead),
        user=engineer.user,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
    )
    queue_lead_set(access=access_of(lead), tier=2, user=desk.user)


def pages(kind: str) -> dict[str, set[str]]:
    """Who got a `kind` notification, on which channels."""
    found: dict[str, set[str]] = {}
    for username, channel in Notification.objects.filter(kind=kind).values_list(
        "recipient__username", "channel"
    ):
        found.setdefault(username, set()).add(channel)
    return found


BOTH = {NotificationChannel.IN_APP, NotificationChannel.EMAIL}


def test_a_new_sev1_pages_the_on_call_engineer_and_the_leads_at_once_by_app_and_email(
    rota, champion, engineer, lead
):
    response = champion.api().post(URL, {"title": "Nobody can save an opportunity", **SEV1}, format="json")
    assert response.status_code == 201 and response.json()["severity"] == 1
    assert pages("sev1_ticket") == {"engineer": BOTH, "lead": BOTH}
    assert pages("sev2_ticket") == {}
    deliver_emails()
    paged = sorted(m.to[0] for m in mail.outbox if m.subject.startswith("New Sev1"))
    assert paged == sorted([engineer.user.email, lead.user.email])

    # Saved again and the page retried: still one page each.
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert (
        lead.api().patch(f"{URL}{ticket.reference}/", {"process": "Opportunity"}, format="json").status_code
        == 200
    )
    ticket_page_for_severity(ticket=ticket, at=timezone.now())
    assert Notification.objects.filter(kind="sev1_ticket").count() == 4


def test_raising_a_ticket_to_sev1_pages_once_and_a_sev2_pages_the_desks_queue_lead(rota, champion, lead):
    response = champion.api().post(URL, {"title": "Quote totals off", **SEV2}, format="json")
    assert pages("sev2_ticket") == {"desk": BOTH} and pages("sev1_ticket") == {}
    reference = f"{URL}{response.json()['reference']}/"
    api = lead.api()
    assert api.patch(reference, {"title": "Quote totals off for every rep"}, format="json").status_code == 200
    assert (
        api.patch(reference, {"severity": 1, "severity_reason": "All quotes"}, format="json").status_code
        == 200
    )
    assert pages("sev1_ticket") == {"engineer": BOTH, "lead": BOTH}
    assert (
        api.patch(reference, {"severity": 3, "severity_reason": "Only one region"}, format="json").status_code
        == 200
    )
    assert (
        api.patch(reference, {"severity": 1, "severity_reason": "Every region"}, format="json").status_code
        == 200
    )
    ticket_page_for_severity(ticket=Ticket.objects.get(), at=timezone.now())  # a retried page
    assert Notification.objects.filter(kind="sev1_ticket").count() == 4
    assert Notification.objects.filter(kind="sev2_ticket").count() == 2


def test_a_sev3_pages_nobody(rota, champion):
    champion.api().post(URL, {"title": "Layout glitch", **SEV3}, format="json")
    assert not Notification.objects.filter(kind__in=["sev1_ticket", "sev2_ticket"]).exists()
