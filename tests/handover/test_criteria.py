"""Each exit criterion evaluated at its boundary, on tickets and telemetry written for the purpose."""

from datetime import date, timedelta

import pytest

from handover import services
from handover.criteria import least_squares_slope
from handover.models import AttestationOutcome, CriterionKind, ExitCriterion, HandoverItem, ItemStatus
from hypercare.models import Programme
from tests.handover.factories import (
    AT,
    access_of,
    last_working_days,
    result,
    telemetry,
    ticket,
    window_days,
)

pytestmark = pytest.mark.django_db

PASS, FAIL, NOT_MEASURABLE = "pass", "fail", "not_measurable"


def set_threshold(programme, kind, threshold=None, window_days=None):
    changes = {}
    if threshold is not None:
        changes["threshold"] = threshold
    if window_days is not None:
        changes["window_days"] = window_days
    ExitCriterion.objects.filter(programme=programme, kind=kind).update(**changes)


# Zero open Sev1/Sev2 (seed 000), or seed 002's cap on open Sev2 -----------------------------------


def test_it_passes_with_no_open_sev1_or_sev2(programme):
    ticket(programme, reported_at=AT - timedelta(days=5), severity=1, status="resolved")
    ticket(programme, reported_at=AT - timedelta(days=5), severity=3, status="new")
    r = result(programme, CriterionKind.OPEN_SEV12)
    assert r.status == PASS and r.value_display == "0 open Sev1, 0 open Sev2"


def test_one_open_sev2_fails_the_seed_000_rule(programme):
    ticket(programme, reported_at=AT - timedelta(days=5), severity=2, status="in_progress")
    r = result(programme, CriterionKind.OPEN_SEV12)
    assert r.status == FAIL and r.value_display == "0 open Sev1, 1 open Sev2"
    assert "status=open" in r.evidence_url


def test_the_seed_002_variant_allows_open_sev2_up_to_the_cap_but_no_sev1(programme):
    set_threshold(programme, CriterionKind.OPEN_SEV12, threshold=2)
    for _ in range(2):
        ticket(programme, reported_at=AT - timedelta(days=5), severity=2, status="triaged")
    assert result(programme, CriterionKind.OPEN_SEV12).status == PASS
    ticket(programme, reported_at=AT - timedelta(days=5), severity=2, status="new")
    assert result(programme, CriterionKind.OPEN_SEV12).status == FAIL
    set_threshold(programme, CriterionKind.OPEN_SEV12, threshold=5)
    ticket(programme, reported_at=AT - timedelta(days=5), severity=1, status="new")
    r = result(programme, CriterionKind.OPEN_SEV12)
    assert r.status == FAIL and "at most 5 open Sev2" in r.threshold_display


# No new Sev1/Sev2 for 3 days (seed 001) -------------------------------------------------------------


def test_a_sev2_opened_71_hours_ago_fails_the_three_day_rule(programme):
    ticket(programme, reported_at=AT - timedelta(hours=71), severity=2, status="resolved")
    r = result(programme, CriterionKind.NEW_SEV12)
    assert r.status == FAIL and r.value_display == "last one 71 hours ago"
    assert r.forecast == (AT + timedelta(hours=1)).date()


def test_a_sev2_opened_73_hours_ago_passes_the_three_day_rule(programme):
    ticket(programme, reported_at=AT - timedelta(hours=73), severity=2, status="resolved")
    assert result(programme, CriterionKind.NEW_SEV12).status == PASS


def test_new_sev3_tickets_do_not_count_against_the_three_day_rule(programme):
    ticket(programme, reported_at=AT - timedelta(hours=1), severity=3)
    assert result(programme, CriterionKind.NEW_SEV12).status == PASS


def test_the_three_day_rule_is_not_measurable_in_the_first_three_days(programme):
    early = AT.replace(day=4)  # two and a half days after go-live on 2 March
    r = result(programme, CriterionKind.NEW_SEV12, at=early)
    assert r.status == NOT_MEASURABLE and r.forecast == date(2026, 3, 5)


# Volume stable or falling over 10 working days: least-squares slope <= tolerance --------------------


def intake(programme, counts):
    for day, count in zip(last_working_days(len(counts)), counts, strict=True):
        for _ in range(count):
            ticket(programme, reported_at=AT.replace(year=day.year, month=day.month, day=day.day, hour=10))


def test_least_squares_slope_is_exact():
    assert least_squares_slope([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) == 1
    assert least_squares_slope([5] * 10) == 0
    assert least_squares_slope([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) == -1


def test_a_slope_exactly_at_the_tolerance_passes(programme):
    set_threshold(programme, CriterionKind.VOLUME_TREND, threshold=1)
    intake(programme, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    r = result(programme, CriterionKind.VOLUME_TREND)
    assert r.status == PASS and r.value == 1.0
    assert "Least-squares slope" in r.test and "10 complete working days" in r.test


def test_a_slope_just_above_the_tolerance_fails(programme):
    set_threshold(programme, CriterionKind.VOLUME_TREND, threshold="0.9999")
    intake(programme, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert result(programme, CriterionKind.VOLUME_TREND).status == FAIL


def test_flat_or_falling_volume_passes_the_default_zero_tolerance(programme):
    intake(programme, [6, 6, 6, 6, 6, 6, 6, 6, 6, 6])
    assert result(programme, CriterionKind.VOLUME_TREND).status == PASS
    intake(programme, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])  # one more ticket yesterday tips it upwards
    assert result(programme, CriterionKind.VOLUME_TREND).status == FAIL


def test_todays_tickets_do_not_count_in_the_volume_window(programme):
    ticket(programme, reported_at=AT - timedelta(hours=1))
    assert result(programme, CriterionKind.VOLUME_TREND).status == PASS


def test_volume_is_not_measurable_before_ten_complete_working_days(programme):
    r = result(programme, CriterionKind.VOLUME_TREND, at=AT.replace(day=11))  # 7 working days since go-live
    assert r.status == NOT_MEASURABLE and r.forecast == date(2026, 3, 14)  # the day after the 10th, Fri 13


# Telemetry: exception rate < 0.1%, integration success > 99.5%, zero alerts and lock contentions -----


def test_an_exception_rate_exactly_at_the_threshold_fails_because_it_must_be_below(programme):
    days = window_days(7)  # the scorecard's window: the 7 days ending today
    telemetry(programme, "transactions", dict.fromkeys(days, 1000))
    telemetry(programme, "exceptions", dict.fromkeys(days, 0) | {days[0]: 7})  # 7 of 7,000 = 0.1%
    r = result(programme, CriterionKind.EXCEPTION_RATE)
    assert r.status == FAIL and r.value == pytest.approx(0.1)
    assert r.value_display == "0.100% (7 of 7,000 transactions)"
    assert r.window.label == "last 7 days, 14 Mar – 20 Mar"


def test_an_exception_rate_just_below_the_threshold_passes(programme):
    days = window_days(7)
    telemetry(programme, "transactions", dict.fromkeys(days, 1000))
    telemetry(programme, "exceptions", dict.fromkeys(days, 0) | {days[0]: 6})
    assert result(programme, CriterionKind.EXCEPTION_RATE).status == PASS


def test_a_day_with_exceptions_but_no_transaction_count_is_left_out(programme):
    days = window_days(7)
    telemetry(programme, "transactions", dict.fromkeys(days[1:], 1000))
    telemetry(programme, "exceptions", dict.fromkeys(days, 0) | {days[0]: 500})  # no transactions that day
    r = result(programme, CriterionKind.EXCEPTION_RATE)
    assert r.status == PASS and r.value == 0


def test_telemetry_outside_the_window_is_ignored(programme):
    days = window_days(8)
    telemetry(programme, "transactions", dict.fromkeys(days, 1000))
    telemetry(programme, "exceptions", dict.fromkeys(days, 0) | {days[0]: 500})  # 8 days back: outside
    assert result(programme, CriterionKind.EXCEPTION_RATE).status == PASS


def test_exception_rate_without_data_is_not_measurable(programme):
    assert result(programme, CriterionKind.EXCEPTION_RATE).status == NOT_MEASURABLE


def test_integration_success_exactly_at_99_5_percent_fails_because_it_must_be_above(programme):
    days = window_days(7)
    telemetry(programme, "integration_success", {days[0]: 995})
    telemetry(programme, "integration_failure", {days[0]: 5})
    assert result(programme, CriterionKind.INTEGRATION_SUCCESS).status == FAIL


def test_integration_success_just_above_99_5_percent_passes(programme):
    days = window_days(7)
    telemetry(programme, "integration_success", {days[0]: 996})
    telemetry(programme, "integration_failure", {days[0]: 4})
    r = result(programme, CriterionKind.INTEGRATION_SUCCESS)
    assert r.status == PASS and r.value == pytest.approx(99.6)


@pytest.mark.parametrize("kind", [CriterionKind.GOVERNOR_LIMIT_ALERTS, CriterionKind.LOCK_CONTENTIONS])
def test_zero_alerts_pass_and_one_fails(programme, kind):
    days = window_days(7)
    telemetry(programme, kind, dict.fromkeys(days, 0))
    assert result(programme, kind).status == PASS
    telemetry(programme, kind, {days[0] - timedelta(days=1): 3})  # just outside the window
    assert result(programme, kind).status == PASS
    from metrics.models import DataPoint

    DataPoint.objects.filter(series__programme=programme, series__slug=kind, date=days[3]).update(value=1)
    r = result(programme, kind)
    assert r.status == FAIL and r.value == 1
    assert r.forecast == days[3] + timedelta(days=7)  # the first day the 7-day window leaves it behind


# BAU handling 80% of incoming volume (seed 002); co-management and the other handling criteria are
# in test_criteria_teeth.py -----------------------------------------------------------------------


def test_exactly_80_percent_bau_share_passes(programme):
    for team in ["bau", "bau", "bau", "bau", ""]:  # the one nobody has picked up yet counts in the whole
        ticket(programme, reported_at=AT - timedelta(days=2), team=team)
    ticket(  # resolved on the spot by a champion: it never reached the desk
        programme, reported_at=AT - timedelta(days=2), status="resolved", tier=1, resolved_at_tier=1
    )
    ticket(programme, reported_at=AT - timedelta(days=8), team="project")  # outside the 7-day window
    r = result(programme, CriterionKind.BAU_SHARE)
    assert r.status == PASS and r.value == 80.0
    assert r.value_display == "80.0% (4 of 5)"


def test_a_bau_share_just_under_80_percent_fails(programme):
    for team in ["bau"] * 7 + ["project"] * 2:
        ticket(programme, reported_at=AT - timedelta(days=2), team=team)
    r = result(programme, CriterionKind.BAU_SHARE)
    assert r.status == FAIL and r.value == pytest.approx(77.78, abs=0.01)


# First month-end close, attested clean --------------------------------------------------------------


def test_month_end_close_is_not_measurable_before_it_happens(programme):
    r = result(programme, CriterionKind.MONTH_END_CLOSE)  # the close is on 31 March
    assert r.status == NOT_MEASURABLE and r.forecast == date(2026, 4, 1)


def test_month_end_close_needs_an_attestation_once_past(programme, lead):
    after = AT.replace(month=4, day=2)
    assert result(programme, CriterionKind.MONTH_END_CLOSE, at=after).status == NOT_MEASURABLE
    criterion = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.MONTH_END_CLOSE)
    services.criterion_attest(
        access=access_of(lead),
        criterion=criterion,
        outcome=AttestationOutcome.FAIL,
        note="Two invoices failed to sync.",
        evidence_url="https://example.com/close",
    )
    assert result(programme, CriterionKind.MONTH_END_CLOSE, at=after).status == FAIL
    services.criterion_attest(
        access=access_of(lead),
        criterion=criterion,
        outcome=AttestationOutcome.PASS,
        note="Re-run clean.",
        evidence_url="https://example.com/close-2",
    )
    r = result(programme, CriterionKind.MONTH_END_CLOSE, at=after)
    assert r.status == PASS and r.evidence_url == "https://example.com/close-2"


def test_a_month_end_close_before_go_live_is_not_during_hypercare(programme):
    Programme.objects.filter(pk=programme.pk).update(first_month_end_close=date(2026, 2, 28))
    programme.refresh_from_db()
    assert result(programme, CriterionKind.MONTH_END_CLOSE).status == FAIL


# Handover pack complete, SLA compliance, attested criteria ------------------------------------------


def test_the_pack_criterion_passes_only_when_every_item_is_accepted(programme):
    assert result(programme, CriterionKind.HANDOVER_PACK).status == FAIL
    HandoverItem.objects.filter(programme=programme).update(status=ItemStatus.ACCEPTED)
    first = HandoverItem.objects.filter(programme=programme).first()
    HandoverItem.objects.filter(pk=first.pk).update(status=ItemStatus.SUBMITTED)
    r = result(programme, CriterionKind.HANDOVER_PACK)
    assert r.status == FAIL and r.value_display == "6 of 7 items accepted"
    HandoverItem.objects.filter(pk=first.pk).update(status=ItemStatus.ACCEPTED)
    assert result(programme, CriterionKind.HANDOVER_PACK).status == PASS


def sla_tickets(programme, met: int, breached: int):
    """Tickets resolved four days ago: `met` an hour before their resolution due instant, `breached` a day after."""
    for i in range(met + breached):
        ticket(
            programme,
            reported_at=AT - timedelta(days=6),
            status="resolved",
            resolved_at=AT - timedelta(days=4),
            resolution_due_at=AT
            - timedelta(days=4)
            + (timedelta(hours=1) if i < met else -timedelta(days=1)),
        )


def test_sla_compliance_exactly_at_the_threshold_passes(programme):
    sla_tickets(programme, met=19, breached=1)  # 95%
    r = result(programme, CriterionKind.SLA_COMPLIANCE)
    assert r.status == PASS and r.value == 95.0
    assert r.value_display == "95.0% (19 met, 1 breached)"


def test_an_open_ticket_past_its_resolution_due_instant_counts_as_breached(programme):
    sla_tickets(programme, met=19, breached=0)
    ticket(programme, reported_at=AT - timedelta(days=3), resolution_due_at=AT - timedelta(days=1))
    ticket(programme, reported_at=AT - timedelta(days=1), resolution_due_at=AT + timedelta(days=1))  # not due
    r = result(programme, CriterionKind.SLA_COMPLIANCE)
    assert r.status == PASS and r.value_display == "95.0% (19 met, 1 breached)"


def test_sla_compliance_below_the_threshold_fails_until_the_leads_agree_a_lower_one(programme, lead):
    from metrics.models import KpiThreshold
    from metrics.scorecard import ProgrammeMetrics

    sla_tickets(programme, met=18, breached=2)  # 90%
    assert result(programme, CriterionKind.SLA_COMPLIANCE).status == FAIL
    criterion = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.SLA_COMPLIANCE)
    services.criterion_update(access=access_of(lead), criterion=criterion, threshold="90")
    r = result(programme, CriterionKind.SLA_COMPLIANCE)
    assert r.status == PASS and r.as_dict()["threshold"] == "90.0000"
    # One threshold for both screens: the scorecard's KPI is green from 90% now (red still at 85%).
    row = KpiThreshold.objects.get(programme=programme, kpi="sla_resolution_compliance")
    assert (row.green, row.red) == (90, 85)
    assert ProgrammeMetrics(programme, at=AT).result("sla_resolution_compliance").status == "green"


def test_a_threshold_changed_on_the_scorecard_is_the_gates_too(programme, lead):
    from metrics import services as metrics_services

    sla_tickets(programme, met=18, breached=2)  # 90%
    metrics_services.threshold_set(
        programme=programme, kpi="sla_resolution_compliance", green=90, red=80, by=lead.user
    )
    assert result(programme, CriterionKind.SLA_COMPLIANCE).status == PASS


def test_a_custom_attested_criterion_passes_once_attested(programme, lead):
    criterion = services.criterion_add(
        access=access_of(lead), kind=CriterionKind.ATTESTATION, title="Hotfix path rehearsed"
    )
    assert result(programme, CriterionKind.ATTESTATION).status == NOT_MEASURABLE
    services.criterion_attest(
        access=access_of(lead),
        criterion=criterion,
        outcome="pass",
        note="Rehearsed on 18 March.",
        evidence_url="https://example.com/rehearsal",
    )
    assert result(programme, CriterionKind.ATTESTATION).status == PASS


def test_every_result_states_its_value_threshold_and_exact_test(programme):
    from handover.criteria import gate_evaluate

    gate = gate_evaluate(programme=programme, at=AT)
    for r in gate.results:
        assert r.status in (PASS, FAIL, NOT_MEASURABLE)
        assert r.value_display and r.threshold_display and r.test, r.criterion.kind
