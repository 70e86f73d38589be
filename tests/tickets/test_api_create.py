"""Logging a ticket through the API: the clocks are computed before the INSERT (no UPDATE after
it), the answer is built from the ticket as saved (no reading it back), in a fixed number of
queries, and the per-programme numbering holds under concurrent creations."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connections
from django.utils import timezone

from hypercare.models import Programme
from hypercare.vocabulary import AlertKind, EventKind
from sla.policy import sla_policy_publish
from tests.conftest import require_postgres
from tests.factories import HolidayFactory, KnownIssueFactory
from tests.tickets.test_api_representation import same
from tests.tickets.test_services_transitions import access_of
from tickets import services
from tickets.clocks import ticket_clocks_recompute
from tickets.models import SlaAlert, Ticket

URL = "/api/v1/programmes/acme/tickets/"
ANSWERS = {"impact_scope": "department", "workaround": "none", "blocks_vital_process": True}

KINDS = {
    "triage answers (Sev1, 24x7)": ("champion", {"title": "Invoices stuck", **ANSWERS}),
    "answers for Sev4 (business hours)": (
        "desk",
        {
            "title": "Typo",
            "impact_scope": "individual",
            "workaround": "simple",
            "blocks_vital_process": False,
        },
    ),
    "an explicit severity": ("desk", {"title": "Slow", "severity": 3, "severity_reason": "desk call"}),
    "an override of the matrix": (
        "desk",
        {"title": "Slow", **ANSWERS, "severity": 4, "severity_reason": "x"},
    ),
    "resolved at Tier 1": (
        "champion",
        {
            "title": "Where is the clone button?",
            "category": "how_to",
            "impact_scope": "individual",
            "workaround": "simple",
            "blocks_vital_process": False,
            "resolved_at_tier1": True,
            "resolution": "Showed the Clone button.",
        },
    ),
    "an import, long breached": (
        "lead",
        {
            "title": "Old",
            "severity": 2,
            "severity_reason": "import",
            "reported_at": "2026-01-05T09:30:00+01:00",
        },
    ),
    "an enhancement (always Sev4)": ("desk", {"title": "Wish", "category": "enhancement", **ANSWERS}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(KINDS))
def test_the_answer_is_the_ticket_as_read_back(request, programme, kind):
    persona, body = KINDS[kind]
    member = request.getfixturevalue(persona)
    HolidayFactory(calendar=programme.calendar, date=(timezone.now() + timedelta(days=1)).date())
    api = member.api()
    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now):
        created = api.post(URL, body, format="json")
        assert created.status_code == 201, created.json()
        read = api.get(created["Location"])
    same(created.json(), read.json(), kind)
    assert created.json()["timeline"] and created.json()["comments"] == []
    # The clocks stored at creation are those the ticket's own history gives.
    ticket = Ticket.objects.get(reference=created.json()["reference"])
    assert ticket_clocks_recompute(ticket=ticket, at=now, dry_run=True) == {}


@pytest.mark.django_db
def test_known_issue_and_policy_versions_on_creation(programme, desk, lead):
    """The policy in force at the ticket's logging, not a later or earlier version."""
    known_issue = KnownIssueFactory(programme=programme, created_by=desk.user)
    targets = [
        {"severity": s, "response_minutes": 5 * s, "resolution_minutes": 60 * s, "clock": "24x7"}
        for s in (1, 2, 3, 4)
    ]
    later = sla_policy_publish(
        access=access_of(lead), targets=targets, effective_from=timezone.now() + timedelta(days=30)
    )
    response = desk.api().post(
        URL,
        {"title": "Linked", "severity": 3, "severity_reason": "x", "known_issue": known_issue.pk},
        format="json",
    )
    body = response.json()
    assert (body["known_issue"], body["known_issue_title"]) == (known_issue.pk, known_issue.title)
    ticket = Ticket.objects.get(reference=body["reference"])
    assert ticket.sla_policy_id != later.pk and ticket.sla_clock == "business"
    current = sla_policy_publish(access=access_of(lead), targets=targets)
    response = desk.api().post(URL, {"title": "Later", "severity": 3, "severity_reason": "x"}, format="json")
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert (ticket.sla_policy_id, ticket.sla_clock) == (current.pk, "24x7")
    assert response.json()["time_remaining_minutes"] in (14, 15)


@pytest.mark.django_db
def test_an_import_already_breached_raises_its_alerts_once(lead):
    response = lead.api().post(URL, KINDS["an import, long breached"][1], format="json")
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.response_breached and ticket.resolution_breached
    alerts = sorted(SlaAlert.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert alerts == sorted([AlertKind.RESPONSE_BREACH, AlertKind.RESOLUTION_BREACH])
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "budget"),
    [
        # token and user; membership with programme, calendar and holidays; BEGIN; the policy in
        # force with its target; the number (UPDATE … RETURNING); the ticket with its clocks; its
        # timeline; the reporter following it; COMMIT
        ({"title": "Slow", "severity": 3, "severity_reason": "desk call"}, 9),
        # … and the triage matrix
        ({"title": "Stuck", **ANSWERS, "workaround": "simple", "blocks_vital_process": False}, 10),
        # … and, for a Sev1, who is on call and who leads (nobody here: no notification to insert)
        ({"title": "Stuck", **ANSWERS}, 12),
    ],
)
def test_logging_has_a_fixed_budget(desk, django_assert_num_queries, body, budget):
    api = desk.api()  # the token is created outside the budget
    api.post(URL, body, format="json")
    with django_assert_num_queries(budget):
        response = api.post(URL, body, format="json")
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_number_the_tickets_without_gaps_or_duplicates(programme, desk, champion):
    require_postgres()
    threads_n, each = 6, 5
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def create(persona, index):
        try:
            access = access_of(persona)
            start.wait(timeout=30)
            for n in range(each):
                services.ticket_create(  # a reporter answers the triage questions (no severity of their own)
                    access=access,
                    title=f"Race {index}.{n}",
                    answers=services.TriageAnswers(
                        impact_scope="subset", workaround="simple", blocks_vital_process=False
                    ),
                )
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=create, args=(desk if i % 2 else champion, i)) for i in range(threads_n)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = sorted(Ticket.objects.filter(programme=programme).values_list("number", flat=True))
    assert numbers == list(range(1, threads_n * each + 1))
    assert Programme.objects.get(pk=programme.pk).last_ticket_number == threads_n * each
    references = set(Ticket.objects.filter(programme=programme).values_list("reference", flat=True))
    assert references == {f"ACME-{n}" for n in numbers}
    assert not Ticket.objects.filter(programme=programme, sla_policy__isnull=True).exists()
