"""GET and PUT /api/v1/programmes/{slug}/knowledge-transfer/: the plan, the planned and the measured phase."""

from datetime import timedelta

import pytest

from handover.models import KtPhase

pytestmark = pytest.mark.django_db

KT = "/api/v1/programmes/acme/knowledge-transfer/"


def plan(programme, offsets=(0, 5, 20, 40)) -> dict:
    start = programme.go_live_date
    phases = ("project_leads", "co_managed", "bau_leads", "handed_over")
    return {
        phase: (start + timedelta(days=days)).isoformat() for phase, days in zip(phases, offsets, strict=True)
    }


def test_every_member_reads_the_plan_and_the_phase_the_data_shows(viewer, programme):
    response = viewer.api().get(KT)
    assert response.status_code == 200
    body = response.json()
    assert [row["phase"] for row in body["phases"]] == [
        "project_leads",
        "co_managed",
        "bau_leads",
        "handed_over",
    ]
    assert sum(row["current"] for row in body["phases"]) <= 1
    assert body["planned_phase"] in {row["phase"] for row in body["phases"]}
    gate = viewer.api().get("/api/v1/programmes/acme/exit-gate/").json()
    # One truth: the exit gate shows the same phases.
    assert body["measured_phase"] == gate["kt_phase_measured"]
    assert body["planned_phase"] == gate["kt_phase"]
    assert set(body["bau_share"]) == {"value", "part", "whole", "window"}


def test_a_lead_replaces_the_plan(lead, programme):
    wanted = plan(programme)
    response = lead.api().put(KT, wanted, format="json")
    assert response.status_code == 200
    assert {row["phase"]: row["starts_on"] for row in response.json()["phases"]} == wanted
    stored = {p.phase: p.starts_on.isoformat() for p in KtPhase.objects.filter(programme=programme)}
    assert stored == wanted


@pytest.mark.parametrize("persona", ["desk", "engineer", "owner", "bau", "sponsor", "viewer", "champion"])
def test_only_leads_plan_knowledge_transfer(request, persona, programme):
    before = {p.phase: p.starts_on for p in KtPhase.objects.filter(programme=programme)}
    response = request.getfixturevalue(persona).api().put(KT, plan(programme), format="json")
    assert response.status_code == 403
    assert {p.phase: p.starts_on for p in KtPhase.objects.filter(programme=programme)} == before


def test_a_bad_plan_is_a_400_naming_the_phase_and_changes_nothing(lead, programme):
    before = {p.phase: p.starts_on for p in KtPhase.objects.filter(programme=programme)}
    api = lead.api()
    out_of_order = api.put(KT, plan(programme, offsets=(0, 20, 10, 40)), format="json")
    assert out_of_order.status_code == 400 and "bau_leads" in out_of_order.json()
    missing = {k: v for k, v in plan(programme).items() if k != "handed_over"}
    response = api.put(KT, missing, format="json")
    assert response.status_code == 400 and "handed_over" in response.json()
    response = api.put(KT, plan(programme) | {"co_managed": "next week"}, format="json")
    assert response.status_code == 400 and "co_managed" in response.json()
    assert {p.phase: p.starts_on for p in KtPhase.objects.filter(programme=programme)} == before


def test_outsiders_get_404(outsider, programme):
    assert outsider.api().get(KT).status_code == 404
    assert outsider.api().put(KT, plan(programme), format="json").status_code == 404
