"""The scorecard: page, drill-downs, CSV of every chart, the API, the training-gap detector, and who may do what."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics import services
from metrics.charts import CHARTS
from metrics.kpis import KPIS
from metrics.models import IngestionToken, KpiThreshold
from metrics.scorecard import ProgrammeMetrics
from tests.factories import TicketFactory
from tests.metrics.conftest import NOW, TODAY, point

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def reported(days_ago: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), tzinfo=LONDON).replace(
        hour=hour
    )


@pytest.fixture
def data(programme, lead, ingest, frozen_now):
    """A week of telemetry with a Finance adoption dip and a slow quote process, baselines, and tickets."""
    points = []
    for n in range(1, 8):
        points += [
            point("transactions", -n, 10_000), point("exceptions", -n, 5),
            point("integration_success", -n, 999), point("integration_failure", -n, 1),
            point("governor_limit_alerts", -n, 0), point("lock_contentions", -n, 0),
            point("daily_active_users", -n, 60, business_unit="Sales"),
            point("weekly_active_users", -n, 100, business_unit="Sales"),
            point("daily_active_users", -n, 10, business_unit="Finance"),
            point("weekly_active_users", -n, 100, business_unit="Finance"),
            point("records_created", -n, 50, object="Account"),
            point("cycle_time_minutes", -n, 90, object="quote_generation"),
        ]  # fmt: skip
    ingest(*points)
    for slug, obj, value in (
        ("records_created", "Account", 100),
        ("cycle_time_minutes", "quote_generation", 45),
    ):
        series = programme.metric_series.get(slug=slug)
        services.baseline_set(
            programme=programme, series=series, value=value, object=obj, by=lead.user, at=NOW
        )
    for _ in range(6):
        TicketFactory(programme=programme, reported_at=reported(2), category="how_to", business_unit="Finance",
                      process="Invoice approval", team="bau")  # fmt: skip
    for n in range(6):
        TicketFactory(programme=programme, reported_at=reported(3), category="defect", business_unit="Sales",
                      resolved_at=reported(1), resolved_at_tier=n % 3 + 1, status="resolved")  # fmt: skip
    return programme


def test_it_evaluates_every_area_from_the_data(data):
    metrics = ProgrammeMetrics(data, at=NOW)
    results = metrics.results
    assert (
        results["exception_rate"].value == pytest.approx(0.05) and results["exception_rate"].status == "green"
    )
    assert results["integration_success_rate"].value == pytest.approx(99.9)
    assert results["governor_limit_alerts"].value == 0 and results["governor_limit_alerts"].status == "green"
    dau = results["dau_wau_ratio"]
    assert dau.value == pytest.approx(35.0) and dau.status == "red"
    assert {(row.label, row.status) for row in dau.rows} == {("Sales", "green"), ("Finance", "red")}
    records = results["record_creation_vs_baseline"]
    assert records.value == pytest.approx(50.0) and records.status == "red"
    cycle = results["cycle_time_vs_baseline"]
    assert cycle.value == pytest.approx(100.0) and cycle.status == "red"
    assert "likely training gap" in cycle.rows[0].detail
    assert results["closure_ratio"].value == pytest.approx(50.0)  # 6 closed of 12 reported this week
    # 6 BAU tickets of the 10 that reached the desk: 2 of the 12 were resolved at Tier 1.
    assert results["bau_share"].value == pytest.approx(60.0)
    assert results["tier1_share"].value == pytest.approx(100 / 3)
    assert [area.slug for area in metrics.areas()] == ["technical", "adoption", "velocity", "queue"]


def test_the_training_gap_detector_lists_units_and_processes_with_evidence(data):
    findings = {(f.kind, f.name): f.evidence for f in ProgrammeMetrics(data, at=NOW).findings()}
    assert findings[("business_unit", "Finance")] == [
        "6 of 6 tickets in the last 14 days are how-to questions (100% against 50% programme-wide).",
        "DAU/WAU ratio 10%: people log in only when they must.",
    ]
    assert "how-to questions" in findings[("process", "Invoice approval")][0]
    assert findings[("process", "quote_generation")] == [
        "Cycle time 100% above the legacy baseline (90.0 against a baseline of 45.0 minutes — likely training gap)."
    ]
    assert ("business_unit", "Sales") not in findings


def test_no_data_means_no_status_not_a_false_green(programme):
    results = ProgrammeMetrics(programme, at=NOW).results
    assert {result.status for result in results.values()} == {"none"}
    assert results["record_creation_vs_baseline"].note.startswith("No records-created baseline yet")


@pytest.mark.parametrize(
    "role", ["lead", "desk", "champion", "sponsor", "viewer", "bau", "owner", "engineer"]
)
def test_every_member_sees_the_scorecard(client, data, make_persona, role):
    persona = make_persona(role, username=f"p-{role}")
    client.force_login(persona.user)
    response = client.get("/p/acme/scorecard/")
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('class="spark spark-') == len(KPIS)
    assert content.count('<figure class="chart"') == 5  # the service-queue charts
    assert "Training-gap detector" in content and "Invoice approval" in content


def test_the_page_works_in_a_constant_number_of_queries(
    client, data, lead, django_assert_max_num_queries, frozen_now
):
    client.force_login(lead.user)
    client.get("/p/acme/scorecard/")  # warm the session
    with django_assert_max_num_queries(24) as first:
        client.get("/p/acme/scorecard/")
    for n in range(20):
        TicketFactory(
            programme=data, reported_at=reported(n % 10), category="how_to", business_unit=f"Unit {n}"
        )
    more = [point("daily_active_users", -1, 5, business_unit=f"Unit {n}") for n in range(20)]
    services.telemetry_ingest(programme=data, points=more, at=NOW)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/p/acme/scorecard/")


def test_a_warm_scorecard_reads_no_telemetry_however_much_was_sent(client, data, lead, frozen_now):
    """The telemetry roll-ups (DAU/WAU, exception rate …) are kept with the minute's aggregates, so
    the page's cost does not follow the volume of data points a programme has sent."""
    client.force_login(lead.user)
    with override_settings(HYPERCARE_AGGREGATE_CACHE_SECONDS=10**8):
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            assert client.get("/p/acme/scorecard/").status_code == 200
        with CaptureQueriesContext(connection) as warm:
            page = client.get("/p/acme/scorecard/")
    assert page.status_code == 200 and "DAU/WAU" in page.content.decode()
    assert any("metrics_datapoint" in q["sql"] for q in cold.captured_queries)
    assert not any("metrics_datapoint" in q["sql"] for q in warm.captured_queries)


@pytest.mark.parametrize("kpi", [kpi.slug for kpi in KPIS])
def test_every_kpi_has_a_drill_down_page_and_htmx_partial(client, data, lead, kpi):
    client.force_login(lead.user)
    url = reverse("metrics:kpi", args=["acme", kpi])
    page = client.get(url)
    assert page.status_code == 200 and b"<html" in page.content and b'<figure class="chart"' in page.content
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content
    assert b'class="drilldown-body"' in partial.content and b"Data as CSV" in partial.content
    assert partial["Vary"] and "HX-Request" in partial["Vary"]


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_every_chart_has_its_data_as_csv(client, data, lead, chart, frozen_now):
    client.force_login(lead.user)
    response = client.get(reverse("metrics:chart_csv", args=["acme", chart]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "date" and len(rows) == 43  # header and 42 days ending today
    assert rows[-1][0] == TODAY.isoformat()
    assert not any("(%) (" in header for header in rows[0]), f"a column says its unit once: {rows[0]}"


def test_chart_csv_follows_the_requested_range_and_holds_the_numbers(client, data, lead, frozen_now):
    client.force_login(lead.user)
    response = client.get("/p/acme/charts/exception_rate.csv?from=2026-03-17&to=2026-03-19")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["date", "Exception rate (%)", "green (%)", "red (%)"],
        ["2026-03-17", "0.05", "0.1", "0.5"],
        ["2026-03-18", "0.05", "0.1", "0.5"],
        ["2026-03-19", "0.05", "0.1", "0.5"],
    ]


def test_user_text_is_escaped_in_charts_and_csv(client, programme, lead, ingest, frozen_now):
    ingest(
        point("daily_active_users", -1, 5, business_unit='<script>alert("x")</script>'),
        point("weekly_active_users", -1, 9, business_unit='<script>alert("x")</script>'),
        point("daily_active_users", -1, 5, business_unit="=HYPERLINK(1)"),
        point("weekly_active_users", -1, 9, business_unit="=HYPERLINK(1)"),
    )
    client.force_login(lead.user)
    page = client.get("/p/acme/scorecard/dau_wau_ratio/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert ' style="' not in page, "the CSP forbids style attributes"
    data = client.get("/p/acme/charts/dau_wau_ratio.csv").content.decode()
    assert "'=HYPERLINK(1) (%)" in data.splitlines()[0]


def test_unknown_kpis_and_charts_are_not_found(client, programme, lead):
    client.force_login(lead.user)
    assert client.get("/p/acme/scorecard/nope/").status_code == 404
    assert client.get("/p/acme/charts/nope.csv").status_code == 404


PAGES = [
    "/p/acme/scorecard/",
    "/p/acme/scorecard/exception_rate/",
    "/p/acme/scorecard/thresholds/",
    "/p/acme/charts/burn_up.csv",
    "/p/acme/telemetry/",
    "/p/acme/telemetry/baselines/",
    "/p/acme/telemetry/tokens/",
]
POSTS = [
    "/p/acme/telemetry/series/",
    "/p/acme/telemetry/upload/",
    "/p/acme/telemetry/baselines/",
    "/p/acme/telemetry/baselines/upload/",
    "/p/acme/telemetry/tokens/",
    "/p/acme/scorecard/thresholds/",
]


def test_a_non_member_gets_404_everywhere(client, programme, outsider):
    client.force_login(outsider.user)
    for url in PAGES:
        assert client.get(url).status_code == 404, url
    for url in POSTS:
        assert client.post(url, {}).status_code == 404, url
    api = outsider.api()
    for url in ["/api/v1/programmes/acme/snapshots/", "/api/v1/programmes/acme/scorecard/"]:
        assert api.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, programme):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_only_leads_manage_tokens_series_baselines_and_uploads(client, programme, desk, sponsor, viewer):
    for persona in (desk, sponsor, viewer):
        client.force_login(persona.user)
        assert client.get("/p/acme/telemetry/tokens/").status_code == 403
        assert client.post("/p/acme/telemetry/tokens/", {"name": "x"}).status_code == 403
        assert (
            client.post("/p/acme/telemetry/series/", {"slug": "x", "name": "x", "kind": "count"}).status_code
            == 403
        )
        assert (
            client.post(
                "/p/acme/telemetry/baselines/", {"series": "records_created", "value": "1"}
            ).status_code
            == 403
        )
        page = client.get("/p/acme/telemetry/").content.decode()
        assert "Upload a CSV file" not in page and "Ingestion tokens" not in page
    assert not IngestionToken.objects.exists()


def test_a_lead_creates_a_token_seen_once_and_revokes_it(client, programme, lead):
    client.force_login(lead.user)
    response = client.post("/p/acme/telemetry/tokens/", {"name": "Nebula Logger export"})
    assert response["Cache-Control"] == "no-store"
    token = IngestionToken.objects.get()
    content = response.content.decode()
    key = content.split('id="new-token-key">')[1].split("<")[0]
    assert key.startswith(token.prefix) and token.key_hash not in content
    listing = client.get("/p/acme/telemetry/tokens/").content.decode()
    assert key not in listing and f"{token.prefix}…" in listing, "the key is never shown again"
    client.post(f"/p/acme/telemetry/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_lead_adds_a_series_of_their_own(client, programme, lead):
    client.force_login(lead.user)
    response = client.post(
        "/p/acme/telemetry/series/",
        {"slug": "quotes_sent", "name": "Quotes sent", "kind": "count", "unit": "quotes"},
    )
    assert response.status_code == 302
    assert programme.metric_series.filter(slug="quotes_sent", is_standard=False).exists()
    again = client.post(
        "/p/acme/telemetry/series/", {"slug": "quotes_sent", "name": "Again", "kind": "count"}
    )
    assert "already has a series" in again.content.decode()


def test_the_telemetry_page_lists_series_in_constant_queries(
    client, data, lead, django_assert_max_num_queries
):
    client.force_login(lead.user)
    client.get("/p/acme/telemetry/")
    # session, user, membership, series with their point counts, and the layout's own (navigation, inbox)
    with django_assert_max_num_queries(7) as first:
        assert client.get("/p/acme/telemetry/").status_code == 200
    for n in range(10):
        services.series_create(programme=data, slug=f"own_{n}", name=f"Own {n}", kind="count", by=lead.user)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/p/acme/telemetry/").status_code == 200


# API ------------------------------------------------------------------------------------------


def test_the_scorecard_api_lists_areas_kpis_thresholds_and_findings(data, desk, frozen_now):
    body = desk.api().get("/api/v1/programmes/acme/scorecard/").json()
    assert [area["slug"] for area in body["areas"]] == ["technical", "adoption", "velocity", "queue"]
    kpis = {kpi["slug"]: kpi for area in body["areas"] for kpi in area["kpis"]}
    assert set(kpis) == {kpi.slug for kpi in KPIS}
    exception = kpis["exception_rate"]
    assert exception["value"] == 0.05 and exception["status"] == "green"
    assert exception["threshold"] == {
        "direction": "lower", "green": 0.1, "red": 0.5, "green_high": None, "green_inclusive": False,
        "text": "green below 0.1%, red at 0.5% or more",
    }  # fmt: skip
    assert len(exception["sparkline"]) == 42
    assert {row["label"] for row in kpis["dau_wau_ratio"]["rows"]} == {"Sales", "Finance"}
    assert body["window_from"] == "2026-03-14" and body["window_to"] == "2026-03-20"
    assert {finding["name"] for finding in body["training_gaps"]} >= {"Finance", "quote_generation"}


def test_the_scorecard_api_uses_the_programmes_thresholds(data, lead, frozen_now):
    services.threshold_set(programme=data, kpi="dau_wau_ratio", green=30, red=5, by=lead.user)
    body = lead.api().get("/api/v1/programmes/acme/scorecard/").json()
    dau = next(kpi for area in body["areas"] for kpi in area["kpis"] if kpi["slug"] == "dau_wau_ratio")
    assert dau["threshold"]["green"] == 30 and dau["status"] == "amber"  # Finance at 10% is amber now
    assert KpiThreshold.objects.count() == 1


def test_the_snapshots_api_returns_one_object_per_day_with_today_live(data, desk, frozen_now):
    services.snapshots_backfill(
        programme=data, start=TODAY - timedelta(days=3), end=TODAY - timedelta(days=1), at=NOW
    )
    body = desk.api().get("/api/v1/programmes/acme/snapshots/?from=2026-03-17&to=2026-03-20").json()
    assert [day["date"] for day in body] == ["2026-03-17", "2026-03-18", "2026-03-19", "2026-03-20"]
    assert [day["is_live"] for day in body] == [False, False, False, True]
    march_17 = body[0]
    assert march_17["intake"] == 6 and march_17["intake_defects"] == 6
    assert march_17["open_by_severity"] == {"1": 0, "2": 0, "3": 6, "4": 0}
    assert body[2]["closures"] == 6 and body[2]["tier_shares"] == {"1": 33.3333, "2": 33.3333, "3": 33.3333}
    assert body[1]["intake_bau"] == 6 and body[1]["bau_share"] == 100.0
    assert body[2]["sla"]["1"] == {"response": {"met": 0, "breached": 0, "open": 0},
                                   "resolution": {"met": 0, "breached": 0, "open": 0}}  # fmt: skip


def test_the_snapshots_api_checks_its_range(programme, desk, frozen_now):
    api = desk.api()
    assert api.get("/api/v1/programmes/acme/snapshots/?from=2026-03-20&to=2026-03-01").status_code == 400
    response = api.get("/api/v1/programmes/acme/snapshots/?from=2020-01-01&to=2026-03-01")
    assert response.status_code == 400 and "366" in response.json()["to"][0]
    assert api.get("/api/v1/programmes/acme/snapshots/?from=yesterday").json() == {
        "from": ["'yesterday' is not a date in YYYY-MM-DD form."]
    }
    assert len(api.get("/api/v1/programmes/acme/snapshots/").json()) == 1  # only today, live


def test_the_snapshots_api_reads_in_constant_queries(data, desk, django_assert_max_num_queries, frozen_now):
    services.snapshots_backfill(
        programme=data, start=TODAY - timedelta(days=30), end=TODAY - timedelta(days=1), at=NOW
    )
    api = desk.api()
    # token, membership, stored snapshots, then today's live figures (at most four)
    with django_assert_max_num_queries(7):
        assert len(api.get("/api/v1/programmes/acme/snapshots/").json()) == 31
