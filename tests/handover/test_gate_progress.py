"""The gate turning green as a programme's data progresses, day by day, and the forecast on the way."""

from datetime import UTC, date, datetime, timedelta

import pytest

from handover import services
from handover.criteria import gate_evaluate
from handover.models import CriterionKind, ExitCriterion, HandoverItem, ItemStatus
from tests.handover.factories import access_of, take, telemetry, ticket

pytestmark = pytest.mark.django_db


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def statuses(gate) -> dict[str, str]:
    return {r.criterion.kind: r.status for r in gate.results}


def test_the_gate_turns_green_as_the_data_progresses(programme, lead, owner, engineer, bau):
    from sla.models import SlaPolicy

    policy = SlaPolicy.objects.filter(programme=programme).first()
    go_live = programme.go_live_date  # Monday 2 March 2026

    # Weeks 1-2: the project team works the queue; a Sev1 and a Sev2 are open; intake is rising.
    for offset in range(14):
        day = go_live + timedelta(days=offset)
        for n in range(1 + offset // 3):
            worked = ticket(programme, reported_at=noon(day) + timedelta(minutes=n), team="project",
                            status="resolved", resolved_at=noon(day) + timedelta(hours=3), sla_started_at=noon(day),
                            resolution_due_at=noon(day) + timedelta(hours=8), sla_policy=policy)  # fmt: skip
            take(engineer, worked, at=noon(day) + timedelta(hours=1))
    sev1 = ticket(programme, reported_at=noon(go_live + timedelta(days=12)), severity=1, team="project",
                  status="in_progress", sla_started_at=noon(go_live), sla_policy=policy)  # fmt: skip
    sev2 = ticket(
        programme, reported_at=noon(go_live + timedelta(days=13)), severity=2, team="project", status="new"
    )
    day14 = noon(go_live + timedelta(days=14))
    early = gate_evaluate(programme=programme, at=day14)
    assert not early.green
    assert statuses(early)[CriterionKind.OPEN_SEV12] == "fail"
    assert statuses(early)[CriterionKind.VOLUME_TREND] == "fail"
    assert statuses(early)[CriterionKind.BAU_COMANAGED] == "fail"  # the project team ran every day
    assert statuses(early)[CriterionKind.BAU_RAN_QUEUE] == "fail"

    # Weeks 3-5: BAU takes over the queue, intake falls, the Sev1/Sev2 are fixed, telemetry is clean.
    for offset in range(14, 35):
        day = go_live + timedelta(days=offset)
        for n in range(max(1, 6 - offset // 6)):
            worked = ticket(programme, reported_at=noon(day) + timedelta(minutes=n), team="bau",
                            status="resolved", resolved_at=noon(day) + timedelta(hours=2), sla_started_at=noon(day),
                            resolution_due_at=noon(day) + timedelta(hours=8), sla_policy=policy)  # fmt: skip
            take(bau, worked, at=noon(day) + timedelta(minutes=30))
    type(sev1).objects.filter(pk__in=[sev1.pk, sev2.pk]).update(
        status="resolved", resolved_at=noon(go_live + timedelta(days=16))
    )
    days = [go_live + timedelta(days=d) for d in range(35)]
    telemetry(programme, "transactions", dict.fromkeys(days, 100_000))
    telemetry(programme, "exceptions", dict.fromkeys(days, 20))
    telemetry(programme, "integration_success", dict.fromkeys(days, 9_990))
    telemetry(programme, "integration_failure", dict.fromkeys(days, 10))
    telemetry(
        programme, "governor_limit_alerts", {d: (2 if d < go_live + timedelta(days=20) else 0) for d in days}
    )
    telemetry(programme, "lock_contentions", dict.fromkeys(days, 0))

    day30 = noon(go_live + timedelta(days=30))  # 1 April: the month-end close (31 March) has just run
    middle = gate_evaluate(programme=programme, at=day30)
    assert not middle.green
    remaining = {kind for kind, status in statuses(middle).items() if status != "pass"}
    assert remaining == {CriterionKind.MONTH_END_CLOSE, CriterionKind.HANDOVER_PACK}
    forecast, note = middle.forecast
    assert forecast is None and "awaiting an attestation" in note

    # The owner attests the close; the pack's documents are delivered and accepted.
    services.criterion_attest(
        access=access_of(owner),
        criterion=ExitCriterion.objects.get(programme=programme, kind=CriterionKind.MONTH_END_CLOSE),
        outcome="pass",
        note="Invoices and revenue recognition ran clean.",
        evidence_url="https://example.com/close",
        at=day30,
    )
    HandoverItem.objects.of(programme).update(due_date=date(2026, 4, 8))
    forecast, _ = gate_evaluate(programme=programme, at=day30).forecast
    assert forecast == date(2026, 4, 8)  # the latest due date of the outstanding documents
    for item in HandoverItem.objects.of(programme):
        services.item_attach(access=access_of(lead), item=item, link=f"https://docs.example.com/{item.kind}")
        services.item_submit(access=access_of(lead), item=item)
        services.item_decide(access=access_of(owner), item=item, accept=True)
    assert set(HandoverItem.objects.of(programme).values_list("status", flat=True)) == {ItemStatus.ACCEPTED}

    final = gate_evaluate(programme=programme, at=noon(go_live + timedelta(days=31)))
    assert final.green, {r.criterion.kind: (r.status, r.value_display) for r in final.failing}
    assert final.forecast[0] == final.context.today

    # A new Sev2 the next day turns it red again: the gate follows the live data.
    ticket(
        programme, reported_at=noon(go_live + timedelta(days=31)) + timedelta(hours=1), severity=2, team="bau"
    )
    later = gate_evaluate(programme=programme, at=noon(go_live + timedelta(days=31)) + timedelta(hours=2))
    assert not later.green
    assert {r.criterion.kind for r in later.failing} == {CriterionKind.OPEN_SEV12, CriterionKind.NEW_SEV12}


def test_the_demo_programmes_gate_turns_green_as_its_hypercare_runs_on(db):
    """The demo programme (what `make run` loads) starts with a red gate; three weeks of a calm queue
    that BAU runs, clean telemetry, an attested month-end and an accepted pack turn it green (the
    demo's own tickets are still being worked, and escalated to the project team, in the first week)."""
    from handover.demo import seed_demo
    from hypercare.models import Membership
    from hypercare.vocabulary import OPEN_STATUSES
    from tickets.models import Ticket

    today = date(2026, 3, 20)
    programme = seed_demo(today=today)
    people = {
        m.user.username: m for m in Membership.objects.filter(programme=programme).select_related("user")
    }
    start = gate_evaluate(programme=programme, at=noon(today))
    assert not start.green
    assert statuses(start)[CriterionKind.HANDOVER_PACK] == "fail"  # the demo's pack is partly complete

    later = today + timedelta(days=21)
    policy = programme.sla_policies.first()
    Ticket.objects.filter(programme=programme, status__in=OPEN_STATUSES).update(
        status="resolved", resolved_at=noon(today), resolution="Fixed."
    )
    bau = type("P", (), {"membership": people["bau"]})()
    for offset in range(1, 21):
        day = today + timedelta(days=offset)
        worked = ticket(programme, reported_at=noon(day), team="bau", status="resolved", resolved_at=noon(day),
                        number=9000 + offset, reference=f"ACME-{9000 + offset}", sla_policy=policy,
                        sla_started_at=noon(day), resolution_due_at=noon(day) + timedelta(hours=8))  # fmt: skip
        take(bau, worked, at=noon(day) - timedelta(minutes=5))
    days = [today + timedelta(days=d) for d in range(-3, 21)]
    for slug, value in [("transactions", 50_000), ("exceptions", 5), ("integration_success", 9_999),
                        ("integration_failure", 1), ("governor_limit_alerts", 0), ("lock_contentions", 0)]:  # fmt: skip
        telemetry(programme, slug, dict.fromkeys(days, value))
    owner = access_of(type("P", (), {"membership": people["owner"]})())
    lead = access_of(type("P", (), {"membership": people["lead"]})())
    # The leads judge SLA compliance on the last two weeks, since BAU took over the queue.
    services.criterion_update(
        access=lead,
        criterion=ExitCriterion.objects.get(programme=programme, kind=CriterionKind.SLA_COMPLIANCE),
        window_days=14,
    )
    criterion = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.MONTH_END_CLOSE)
    services.criterion_attest(access=owner, criterion=criterion, outcome="pass", note="Clean close.",
                              evidence_url="https://example.com/close", at=noon(later))  # fmt: skip
    for item in HandoverItem.objects.of(programme).exclude(status=ItemStatus.ACCEPTED):
        if item.status != ItemStatus.SUBMITTED:
            services.item_attach(access=lead, item=item, link="https://docs.example.com/doc")
            services.item_submit(access=lead, item=item)
        services.item_decide(access=owner, item=item, accept=True)

    end = gate_evaluate(programme=programme, at=noon(later))
    assert end.green, {r.criterion.kind: (r.status, r.value_display) for r in end.failing}
