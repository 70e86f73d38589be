"""KPI thresholds at their boundaries, per-programme overrides, telemetry windows and the selectors."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from metrics import selectors, services
from metrics.kpis import KPI_BY_SLUG, Direction, Threshold, kpi_evaluate
from metrics.models import KpiThreshold
from metrics.scorecard import ProgrammeMetrics, kpi_result
from metrics.selectors import Window
from metrics.telemetry import window as telemetry_window
from tests.factories import TicketFactory
from tests.metrics.conftest import NOW, TODAY, point

pytestmark = pytest.mark.django_db


def status(kpi: str, value):
    return KPI_BY_SLUG[kpi].threshold.evaluate(value)


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        # Exception rate: green below 0.1%, red at 0.5% or more.
        ("exception_rate", 0.0999, "green"), ("exception_rate", 0.1, "amber"),
        ("exception_rate", 0.4999, "amber"), ("exception_rate", 0.5, "red"),
        # Integration success: green above 99.5%, red at 99% or less.
        ("integration_success_rate", 99.51, "green"), ("integration_success_rate", 99.5, "amber"),
        ("integration_success_rate", 99.01, "amber"), ("integration_success_rate", 99.0, "red"),
        # Governor-limit alerts and lock contentions: green at 0, red from 5.
        ("governor_limit_alerts", 0, "green"), ("governor_limit_alerts", 1, "amber"),
        ("governor_limit_alerts", 4, "amber"), ("governor_limit_alerts", 5, "red"),
        ("lock_contentions", 0, "green"), ("lock_contentions", 5, "red"),
        # DAU/WAU: green at 50% or more, red at 20% or less.
        ("dau_wau_ratio", 50, "green"), ("dau_wau_ratio", 49.9, "amber"),
        ("dau_wau_ratio", 20.1, "amber"), ("dau_wau_ratio", 20, "red"),
        # Records created: red at 40% or more below the baseline.
        ("record_creation_vs_baseline", -10, "green"), ("record_creation_vs_baseline", 19.9, "green"),
        ("record_creation_vs_baseline", 20, "amber"), ("record_creation_vs_baseline", 39.9, "amber"),
        ("record_creation_vs_baseline", 40, "red"),
        # Cycle times: red at 50% or more above the baseline.
        ("cycle_time_vs_baseline", 19.9, "green"), ("cycle_time_vs_baseline", 49.9, "amber"),
        ("cycle_time_vs_baseline", 50, "red"),
        # Burn-up: closures at or above intake is green.
        ("closure_ratio", 100, "green"), ("closure_ratio", 99.9, "amber"), ("closure_ratio", 80, "red"),
        # Training-gap share falling or flat is green; up 10 points or more is red.
        ("training_gap_trend", -5, "green"), ("training_gap_trend", 0, "green"),
        ("training_gap_trend", 0.1, "amber"), ("training_gap_trend", 10, "red"),
        # Tier 1 share: green 45–55% inclusive, red 10 points or more outside.
        ("tier1_share", 45, "green"), ("tier1_share", 55, "green"), ("tier1_share", 44.9, "amber"),
        ("tier1_share", 55.1, "amber"), ("tier1_share", 35.1, "amber"), ("tier1_share", 35, "red"),
        ("tier1_share", 65, "red"),
        ("tier2_share", 30, "green"), ("tier2_share", 35, "green"), ("tier2_share", 45, "red"),
        ("tier3_share", 15, "green"), ("tier3_share", 20, "green"), ("tier3_share", 5, "red"),
        ("sla_resolution_compliance", 95, "green"), ("sla_resolution_compliance", 85, "red"),
        ("bau_share", 80, "green"), ("bau_share", 79, "amber"), ("bau_share", 50, "red"),
        ("resolution_cycle_time", 23.9, "green"), ("resolution_cycle_time", 24, "amber"),
        ("resolution_cycle_time", 72, "red"),
        ("exception_rate", None, "none"),
    ],
)  # fmt: skip
def test_each_default_threshold_at_its_boundaries(kpi, value, expected):
    assert status(kpi, value) == expected


def test_thresholds_describe_themselves_in_words():
    assert KPI_BY_SLUG["exception_rate"].threshold.describe("%") == "green below 0.1%, red at 0.5% or more"
    assert KPI_BY_SLUG["governor_limit_alerts"].threshold.describe("alerts") == (
        "green at most 0 alerts, red at 5 alerts or more"
    )
    assert (
        KPI_BY_SLUG["tier1_share"].threshold.describe("%") == "green 45%–55%, red 10 points or more outside"
    )


@pytest.mark.parametrize(
    ("threshold", "errors"),
    [
        (Threshold(Direction.LOWER, 1, 0.5), {"red"}),
        (Threshold(Direction.HIGHER, 90, 95), {"red"}),
        (Threshold(Direction.BAND, 50, 10, 40), {"green_high"}),
        (Threshold(Direction.BAND, 40, -1, 50), {"red"}),
        (Threshold(Direction.LOWER, 0.5, 0.5), set()),
    ],
)
def test_an_inconsistent_threshold_is_refused(threshold, errors):
    assert set(threshold.check()) == errors


def test_a_programmes_thresholds_override_the_defaults(programme, other_programme, lead, ingest):
    ingest(point("exceptions", -1, 3), point("transactions", -1, 1000))  # 0.3%: amber by default
    assert ProgrammeMetrics(programme, at=NOW).result("exception_rate").status == "amber"
    services.threshold_set(programme=programme, kpi="exception_rate", green=0.35, red=1, by=lead.user, at=NOW)
    assert ProgrammeMetrics(programme, at=NOW).result("exception_rate").status == "green"
    assert kpi_evaluate("exception_rate", 0.3, programme=programme) == "green"
    assert kpi_evaluate("exception_rate", 0.3, programme=other_programme) == "amber"
    services.threshold_reset(programme=programme, kpi="exception_rate", by=lead.user)
    assert ProgrammeMetrics(programme, at=NOW).result("exception_rate").status == "amber"


def test_setting_a_threshold_validates_it(programme, lead):
    with pytest.raises(ValidationError) as error:
        services.threshold_set(programme=programme, kpi="bau_share", green=50, red=80, by=lead.user)
    assert "red" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.threshold_set(programme=programme, kpi="nope", green=1, red=2, by=lead.user)
    assert not KpiThreshold.objects.exists()


def test_a_lead_edits_thresholds_on_the_page(client, lead, programme):
    client.force_login(lead.user)
    response = client.post(
        "/p/acme/scorecard/thresholds/", {"kpi": "tier1_share", "green": "40", "green_high": "60", "red": "5"}
    )
    assert response.status_code == 302
    row = KpiThreshold.objects.get(programme=programme, kpi="tier1_share")
    assert (row.green, row.green_high, row.red) == (40, 60, 5)
    page = client.get("/p/acme/scorecard/thresholds/").content.decode()
    assert "green 40%–60%, red 5 points or more outside" in page and "Default: green 45%–55%" in page
    response = client.post("/p/acme/scorecard/thresholds/", {"kpi": "bau_share", "green": "50", "red": "90"})
    assert response.status_code == 400
    assert "Higher is better here: red (90) cannot be above green (50)." in response.content.decode()
    client.post("/p/acme/scorecard/thresholds/", {"kpi": "tier1_share", "reset": "1"})
    assert not KpiThreshold.objects.filter(kpi="tier1_share").exists()


def test_only_leads_change_thresholds(client, programme, desk, sponsor):
    for persona in (desk, sponsor):
        client.force_login(persona.user)
        assert client.get("/p/acme/scorecard/thresholds/").status_code == 200
        response = client.post(
            "/p/acme/scorecard/thresholds/", {"kpi": "bau_share", "green": "70", "red": "40"}
        )
        assert response.status_code == 403
    assert not KpiThreshold.objects.exists()


# Telemetry windows and the selectors the scorecard and the exit gate share ----------------------------------------


def test_a_window_prefers_the_total_a_pipeline_sent_over_the_sum_of_its_breakdown(programme, ingest):
    ingest(
        point("transactions", -1, 1000),  # the total, sent explicitly
        point("transactions", -1, 600, business_unit="Sales"),
        point("transactions", -1, 300, business_unit="Service"),  # the breakdown need not add up
        point("transactions", -2, 200, business_unit="Sales"),  # no total that day: the breakdown is summed
        point("transactions", -2, 50, business_unit="Service"),
    )
    window = telemetry_window(programme, "transactions", TODAY - timedelta(days=2), TODAY)
    assert window.days == {TODAY - timedelta(days=2): 250.0, TODAY - timedelta(days=1): 1000.0}
    assert window.total == 1250.0 and window.value == 1250.0
    sales = telemetry_window(
        programme, "transactions", TODAY - timedelta(days=2), TODAY, business_unit="Sales"
    )
    assert sales.total == 800.0


def test_a_duration_is_averaged_and_a_level_is_averaged_over_the_window(programme, ingest):
    ingest(
        point("api_latency_ms", -1, 200, business_unit="Sales"),
        point("api_latency_ms", -1, 400, business_unit="Service"),
        point("daily_active_users", -1, 100),
        point("daily_active_users", -2, 50),
    )
    latency = telemetry_window(programme, "api_latency_ms", TODAY - timedelta(days=6), TODAY)
    assert latency.days == {TODAY - timedelta(days=1): 300.0}
    users = telemetry_window(programme, "daily_active_users", TODAY - timedelta(days=6), TODAY)
    assert users.value == 75.0 and users.total == 150.0


def test_a_window_of_an_unknown_series_or_without_data_is_empty(programme):
    window = telemetry_window(programme, "nope", TODAY - timedelta(days=6), TODAY)
    assert window.days == {} and window.total is None and window.value is None


def test_the_selectors_read_exception_and_integration_rates_over_a_window(programme, ingest):
    ingest(
        point("exceptions", -3, 5), point("transactions", -3, 1000),
        point("exceptions", -2, 1), point("transactions", -2, 4000),
        point("transactions", -1, 5000),  # no exception figure that day: left out of the rate
        point("integration_success", -2, 995), point("integration_failure", -2, 5),
        point("governor_limit_alerts", -2, 2), point("lock_contentions", -3, 1),
    )  # fmt: skip
    week = Window.ending(programme, at=NOW)
    assert selectors.exception_rate(programme, week).percent == pytest.approx(6 / 5000 * 100)
    assert selectors.integration_success(programme, week).percent == pytest.approx(99.5)
    assert selectors.governor_limit_alerts(programme, week).value == 2
    assert selectors.lock_contentions(programme, week).value == 1
    january = Window.between(programme, date(2026, 1, 1), date(2026, 1, 7), at=NOW)
    assert selectors.exception_rate(programme, january).percent is None
    assert selectors.integration_success(programme, january).percent is None


def test_the_bau_share_of_incoming_tickets(programme):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    for team in ("bau", "bau", "bau", "project", ""):
        TicketFactory(programme=programme, reported_at=datetime(2026, 3, 18, 10, tzinfo=london), team=team)
    TicketFactory(programme=programme, reported_at=datetime(2026, 3, 10, 10, tzinfo=london), team="project")
    week = Window.between(programme, date(2026, 3, 14), date(2026, 3, 20), at=NOW)
    assert selectors.bau_share(programme, week).percent == 60.0
    january = Window.between(programme, date(2026, 1, 1), date(2026, 1, 7), at=NOW)
    assert selectors.bau_share(programme, january).percent is None


def test_kpi_result_gives_value_status_and_threshold(programme, ingest):
    ingest(point("integration_success", -1, 990), point("integration_failure", -1, 10))
    result = kpi_result(programme=programme, kpi="integration_success_rate", at=NOW)
    assert result.value == pytest.approx(99.0)
    assert result.status == "red"
    assert result.threshold_text == "green above 99.5%, red at 99% or less"
