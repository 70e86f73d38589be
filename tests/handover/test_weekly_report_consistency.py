"""One truth: the weekly summary shows the scorecard API's and the exit-gate API's figures for the same instant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handover.services.weekly import weekly_report_send
from hypercare.roles import Team
from tests.factories import TicketFactory
from tests.handover.factories import AT, telemetry, window_days

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: AT)
    return AT


@pytest.fixture
def busy_programme(programme, lead):
    days = window_days(14)
    telemetry(programme, "governor_limit_alerts", dict.fromkeys(days[-7:], 1))
    telemetry(programme, "exceptions", dict.fromkeys(days, 3))
    telemetry(programme, "transactions", dict.fromkeys(days, 1000))
    telemetry(programme, "integration_success", dict.fromkeys(days, 995))
    telemetry(programme, "integration_failure", dict.fromkeys(days, 5))
    for n in range(6):
        TicketFactory(
            programme=programme, severity=2 + n % 3, team=Team.BAU if n % 2 else Team.PROJECT,
            reported_at=AT - timedelta(days=n, hours=3),
        )  # fmt: skip
    TicketFactory(
        programme=programme, severity=3, team=Team.BAU, status="resolved",
        reported_at=AT - timedelta(days=3), resolved_at=AT - timedelta(days=1),
        resolution_due_at=AT - timedelta(days=2),
    )  # fmt: skip
    return programme


def test_the_weekly_summary_reads_the_same_figures_as_the_scorecard_and_exit_gate_apis(
    busy_programme, lead, frozen
):
    data = weekly_report_send(programme=busy_programme, at=frozen).data
    api = lead.api()
    scorecard = api.get("/api/v1/programmes/acme/scorecard/").json()
    gate = api.get("/api/v1/programmes/acme/exit-gate/").json()

    api_kpis = {kpi["slug"]: kpi for area in scorecard["areas"] for kpi in area["kpis"]}
    report_kpis = {kpi["slug"]: kpi for area in data["scorecard"] for kpi in area["kpis"]}
    assert report_kpis.keys() == api_kpis.keys()
    for slug, kpi in report_kpis.items():
        assert (kpi["value"], kpi["status"]) == (api_kpis[slug]["value"], api_kpis[slug]["status"]), slug
        assert kpi["threshold_text"] == api_kpis[slug]["threshold"]["text"], slug
    assert {a["slug"]: a["status"] for a in data["scorecard"]} == {
        a["slug"]: a["status"] for a in scorecard["areas"]
    }
    # Enough happened for the comparison to mean something: real values, and more than one status.
    assert sum(kpi["value"] is not None for kpi in report_kpis.values()) >= 6
    assert len({kpi["status"] for kpi in report_kpis.values()}) >= 2

    report_gate = data["exit_gate"]
    assert report_gate["green"] == gate["green"]
    assert report_gate["forecast_green_on"] == gate["forecast_green_on"]
    assert report_gate["forecast_after_planned_exit"] == gate["forecast_after_planned_exit"]
    api_failing = {c["id"]: c for c in gate["criteria"] if c["status"] != "pass"}
    assert {c["id"] for c in report_gate["failing"]} == set(api_failing)
    for criterion in report_gate["failing"]:
        twin = api_failing[criterion["id"]]
        assert (criterion["value"], criterion["value_display"], criterion["forecast"]) == (
            twin["value"],
            twin["value_display"],
            twin["forecast"],
        ), criterion["kind"]
    assert report_gate["failing"], "expected failing criteria to compare"
