"""The exit-gate dashboard and API cost the same number of queries whatever the volume of data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from handover.models import HandoverItem
from tests.handover.factories import telemetry, ticket

pytestmark = pytest.mark.django_db

# 24 today: session, user, membership; the gate's 17 (see below); sign-offs, KT phases and their
# figures, signatories. A little headroom for the shared navigation.
DASHBOARD_BUDGET = 26


def load(programme, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        ticket(programme, reported_at=now - timedelta(days=i % 12, hours=i), severity=1 + i % 4,
               team=["bau", "project", ""][i % 3], status=["new", "resolved", "in_progress"][i % 3])  # fmt: skip
    days = [now.date() - timedelta(days=d) for d in range(1, 9)]
    for slug in ("transactions", "exceptions", "governor_limit_alerts", "lock_contentions"):
        telemetry(programme, slug, dict.fromkeys(days, 10 + n))
    for item in HandoverItem.objects.of(programme)[: n % 7]:
        HandoverItem.objects.filter(pk=item.pk).update(status="accepted")


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_queries_for_3_or_60_tickets(client, lead, programme):
    client.force_login(lead.user)
    url = reverse("handover:exit_gate", args=[programme.slug])
    load(programme, 3)
    small = count(client, url)
    load(programme, 60)
    assert count(client, url) == small <= DASHBOARD_BUDGET


def test_the_exit_gate_api_costs_the_same_queries_for_3_or_60_tickets(lead, programme):
    api = lead.api()
    load(programme, 3)
    with CaptureQueriesContext(connection) as small:
        assert api.get("/api/v1/programmes/acme/exit-gate/").status_code == 200
    load(programme, 60)
    with CaptureQueriesContext(connection) as large:
        assert api.get("/api/v1/programmes/acme/exit-gate/").status_code == 200
    assert len(large) == len(small) <= 25


def test_the_gate_evaluation_itself_is_a_fixed_handful_of_queries(programme):
    from handover.criteria import gate_evaluate

    load(programme, 30)
    # criteria, attestations; the calendar and its holidays; ticket figures, the Sev1/Sev2 backlog
    # of each burn-down day, daily intake, telemetry series, telemetry roll-up; tickets handled per
    # day and in the window, BAU's SLA compliance, rescues; BAU share, SLA compliance, pack
    # progress; the daily figures of the trend forecasts
    with CaptureQueriesContext(connection) as queries:
        gate = gate_evaluate(programme=programme)
        assert len(gate.results) == 14
    assert len(queries) <= 17, [q["sql"][:80] for q in queries]


def test_the_pack_and_sign_off_pages_cost_the_same_queries_for_more_rows(client, lead, engineer, programme):
    client.force_login(lead.user)
    pack = reverse("handover:pack", args=[programme.slug])
    sign_off = reverse("handover:sign_off", args=[programme.slug])
    few = (count(client, pack), count(client, sign_off))
    HandoverItem.objects.bulk_create(
        [
            HandoverItem(programme=programme, title=f"Doc {i}", owner=engineer.user, position=10 + i)
            for i in range(20)
        ]
    )
    assert (count(client, pack), count(client, sign_off)) == few


def test_the_minutes_cached_gate_shows_an_attestation_an_accepted_item_and_a_new_threshold_at_once(
    client, lead, programme, settings
):
    """The evaluated gate is kept for the minute, but under a digest of what people change on it:
    their changes show on the next view, while the ticket figures refresh with the minute."""
    from django.core.cache import cache

    from handover import services
    from handover.models import CriterionKind
    from tests.handover.factories import access_of

    settings.HYPERCARE_AGGREGATE_CACHE_SECONDS = 10**8  # one bucket for the whole test
    cache.clear()
    client.force_login(lead.user)
    url = reverse("handover:exit_gate", args=[programme.slug])
    access = access_of(lead)
    criterion = services.criterion_add(
        access=access, kind=CriterionKind.ATTESTATION, title="Hotfix path rehearsed"
    )
    assert "Hotfix path rehearsed" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as warm:
        client.get(url)

    services.criterion_attest(
        access=access,
        criterion=criterion,
        outcome="pass",
        note="Rehearsed on 18 March.",
        evidence_url="https://example.com/rehearsal",
    )
    page = client.get(url).content.decode()
    assert "Rehearsed on 18 March." in page

    item = HandoverItem.objects.of(programme).first()
    accepted_before = client.get(url).context["pack"]["accepted"]
    HandoverItem.objects.filter(pk=item.pk).update(status="accepted")
    gate = client.get(url).context["gate"]
    pack_result = next(r for r in gate.results if r.criterion.kind == CriterionKind.HANDOVER_PACK)
    assert pack_result.value_display.startswith(f"{accepted_before + 1} of ")

    volume = next(r for r in gate.results if r.criterion.kind == CriterionKind.OPEN_SEV12)
    services.criterion_update(access=access, criterion=volume.criterion, threshold="7")
    gate = client.get(url).context["gate"]
    assert next(r for r in gate.results if r.criterion.kind == CriterionKind.OPEN_SEV12).threshold == 7
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert len(again) == len(warm)
