"""The demo programme looks like a real hypercare: SLA targets mostly met, intake that peaks after
go-live and falls, distinct tickets whose severities follow the matrix, hotfixes linked to the
tickets they fix, and an SLA policy in force from go-live."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from handover.criteria import gate_evaluate
from handover.demo import seed_demo
from handover.models import CriterionKind
from hypercare.vocabulary import EventKind
from metrics.selectors import Window, resolution_sla_compliance, resolution_sla_compliance_by
from sla.matrix import ALWAYS_SEV4_CATEGORIES, matrix_for
from tickets.models import KnownIssueStatus, Ticket

pytestmark = pytest.mark.django_db

# Words too common in this domain to show two texts are about the same thing.
COMMON = {"fixed", "again", "cannot", "there", "where", "since", "after", "their", "about", "today"}


def subjects(text: str) -> set[str]:
    """The first five letters of each longer word: 'opportunities' and 'opportunity' are one subject."""
    return {word[:5] for word in re.findall(r"[a-z]{5,}", text.lower())} - {w[:5] for w in COMMON}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo as `make run` loads it today, once for the module (it takes a few seconds)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed_demo()
        transaction.set_rollback(True)  # each test's own changes roll back to a savepoint inside this


def test_it_meets_most_sla_targets_with_a_few_honest_breaches(demo):
    now = timezone.now()
    window = Window.between(demo, demo.go_live_date, timezone.localdate(), at=now)
    overall = resolution_sla_compliance(demo, window)
    assert overall.whole >= 100
    assert 0.80 <= overall.part / overall.whole <= 0.97, overall.text
    by_severity = resolution_sla_compliance_by(demo, window, by="severity")
    floors = {1: 0.70, 2: 0.75, 3: 0.85}
    for severity, floor in floors.items():
        compliance = by_severity[severity]
        assert compliance.whole >= 5, f"Sev{severity}: too few tickets judged"
        assert floor <= compliance.part / compliance.whole < 1, f"Sev{severity}: {compliance.text}"


def test_intake_peaks_after_go_live_and_falls_on_working_days(demo):
    zone = ZoneInfo(demo.timezone)
    days = Counter(t.astimezone(zone).date() for t in Ticket.objects.filter(programme=demo).values_list(
        "reported_at", flat=True))  # fmt: skip
    today = timezone.localdate()
    working = [
        days[demo.go_live_date + timedelta(days=d)]
        for d in range((today - demo.go_live_date).days)
        if (demo.go_live_date + timedelta(days=d)).weekday() < 5
    ]
    assert max(working[:5]) >= 2 * (sum(working[-5:]) / 5), working
    assert max(working) == max(working[:5]), "the peak is in the first days after go-live"
    assert len(set(working)) >= len(working) // 2, f"intake looks flat: {working}"
    gate = gate_evaluate(programme=demo, at=timezone.now())
    trend = next(r for r in gate.results if r.criterion.kind == CriterionKind.VOLUME_TREND)
    assert trend.status == "pass" and trend.value < 0, trend.value_display


def test_tickets_are_distinct_and_their_severities_follow_the_matrix(demo):
    tickets = list(Ticket.objects.filter(programme=demo).prefetch_related("events"))
    titles = Counter(t.title for t in tickets)
    assert len(titles) >= 0.95 * len(tickets) and max(titles.values()) <= 2, titles.most_common(3)
    assert len({t.description for t in tickets if t.description}) >= 0.8 * len(tickets)
    assert len({t.process for t in tickets}) >= 15, "issues across many processes"
    matrix = matrix_for(demo)
    for t in tickets:
        expected = (
            4
            if t.category in ALWAYS_SEV4_CATEGORIES
            else matrix[(t.impact_scope, t.workaround, t.blocks_vital_process)]
        )
        assert t.computed_severity == expected, t.reference
        overridden = any(e.kind == EventKind.SEVERITY for e in t.events.all())
        assert t.severity == t.computed_severity or overridden, t.reference


def test_hotfixes_fix_the_tickets_they_are_linked_to(demo):
    hotfixes = list(demo.hotfixes.prefetch_related("tickets").select_related("known_issue"))
    assert len(hotfixes) >= 5
    for hotfix in hotfixes:
        linked = list(hotfix.tickets.all())
        assert linked, hotfix.title
        for ticket in linked:
            if hotfix.known_issue is not None:
                assert ticket.known_issue_id == hotfix.known_issue_id, (hotfix.title, ticket.title)
            assert subjects(hotfix.title) & subjects(ticket.title), (hotfix.title, ticket.title)
        if hotfix.known_issue is not None:
            # A known issue reads fixed exactly when its fix is in production.
            fixed = hotfix.known_issue.status == KnownIssueStatus.FIXED
            assert fixed == (hotfix.stage == "deployed"), (hotfix.title, hotfix.stage)


def test_the_sla_policy_is_in_force_from_go_live(demo, client):
    policy = demo.sla_policies.order_by("effective_from").first()
    go_live = datetime.combine(demo.go_live_date, time(0), ZoneInfo(demo.timezone))
    assert policy.effective_from == go_live
    assert client.login(username="lead", password="hypercare-demo")
    page = client.get(f"/p/{demo.slug}/triage/sla-policy/")
    assert page.status_code == 200
    assert f"From {demo.go_live_date:%-d %b %Y} 00:00" in page.content.decode()
