"""The demo's six weeks of telemetry tell their three stories; the metrics API is in the OpenAPI schema."""

from datetime import UTC, date, datetime

import pytest
from drf_spectacular.generators import SchemaGenerator

from metrics import demo
from metrics.models import Baseline, DataPoint, Snapshot
from metrics.scorecard import ProgrammeMetrics

pytestmark = pytest.mark.django_db


def test_the_demo_tells_of_a_spike_an_adoption_dip_and_a_slow_process(programme, lead):
    today = date(2026, 3, 23)  # three weeks after the factory programme's go-live on 2 March
    demo.seed(programme=programme, people={"lead": lead.membership}, today=today)
    assert DataPoint.objects.filter(series__programme=programme).dates("date", "day").count() == 42
    assert Baseline.objects.filter(series__programme=programme).count() == 8
    assert Snapshot.objects.filter(programme=programme).count() == 41  # every day before today
    metrics = ProgrammeMetrics(programme, at=datetime(2026, 3, 23, 12, tzinfo=UTC))
    spike = metrics.result("exception_rate").sparkline
    go_live = metrics.dates.index(date(2026, 3, 2))
    assert max(spike) == max(spike[go_live : go_live + 3]), "exceptions peak at go-live"
    assert metrics.result("exception_rate").status == "green", "and have burnt down since"
    assert metrics.result("lock_contentions").status == "green"
    dip = {row.label: row.status for row in metrics.result("dau_wau_ratio").rows}
    assert dip["Finance"] == "red" and dip["Sales"] == "green"
    slow = {row.label: row.status for row in metrics.result("cycle_time_vs_baseline").rows}
    assert slow == {"quote_generation": "red", "case_resolution": "green", "lead_conversion": "green"}
    flagged = {finding.name for finding in metrics.findings()}
    assert {"Finance", "quote_generation"} <= flagged


def test_the_metrics_endpoints_are_described_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    ingest = paths["/api/v1/programmes/{slug}/telemetry/"]["post"]
    assert {"ingestionToken": []} in ingest["security"]
    assert ingest["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert {"200", "400", "401", "429"} <= set(ingest["responses"])
    snapshots = paths["/api/v1/programmes/{slug}/snapshots/"]["get"]
    assert {p["name"] for p in snapshots["parameters"]} >= {"from", "to"}
    assert "get" in paths["/api/v1/programmes/{slug}/scorecard/"]
    assert schema["components"]["securitySchemes"]["ingestionToken"]["scheme"] == "bearer"
