"""Severity from business impact, not from who reports it: reporters answer the triage questions, and
only the support team overrides the matrix, always with a reason, every override on the report."""

from __future__ import annotations

import pytest

from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/tickets/"
OVERRIDES = "/api/v1/programmes/acme/severity-overrides/"
# The finance quiz of seed 000: a department, a complex manual workaround, no vital process stopped.
FINANCE = {"impact_scope": "department", "workaround": "painful", "blocks_vital_process": False}


def test_it_refuses_a_severity_chosen_by_a_reporter(champion):
    response = champion.api().post(
        URL,
        {"title": "Exec says urgent", **FINANCE, "severity": 1, "severity_reason": "urgent"},
        format="json",
    )
    assert response.status_code == 400
    assert "severity" in response.json() and "triage questions" in str(response.json()["severity"])
    assert not Ticket.objects.exists()


def test_it_requires_the_triage_answers_from_a_reporter(champion):
    response = champion.api().post(URL, {"title": "Something broke"}, format="json")
    assert response.status_code == 400 and "impact_scope" in response.json()
    assert not Ticket.objects.exists()


def test_a_reporters_answers_set_the_severity(champion):
    response = champion.api().post(URL, {"title": "Cannot convert accounts", **FINANCE}, format="json")
    assert response.status_code == 201
    assert response.json()["severity"] == 2 and response.json()["computed_severity"] == 2


def test_the_support_team_overrides_only_with_a_reason(desk):
    response = desk.api().post(URL, {"title": "Board demo", **FINANCE, "severity": 1}, format="json")
    assert response.status_code == 400 and "severity_reason" in response.json()
    response = desk.api().post(URL, {"title": "Board demo", "severity": 1}, format="json")
    assert response.status_code == 400 and "severity_reason" in response.json()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("persona", ["desk", "engineer", "lead"])
def test_every_override_at_creation_or_later_appears_on_the_report(request, persona, lead, client):
    api = request.getfixturevalue(persona).api()
    answered = api.post(
        URL,
        {"title": "Board demo", **FINANCE, "severity": 1, "severity_reason": "Board demo at 2pm"},
        format="json",
    )
    unanswered = api.post(
        URL, {"title": "Called in", "severity": 3, "severity_reason": "Phoned in"}, format="json"
    )
    followed = api.post(URL, {"title": "As the matrix says", **FINANCE}, format="json").json()
    assert answered.status_code == unanswered.status_code == 201
    changed = api.patch(
        f"{URL}{followed['reference']}/",
        {"severity": 3, "severity_reason": "Finance has a script"},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["severity"] == 3

    report = lead.api().get(OVERRIDES).json()
    reasons = {row["reason"]: row for row in report["recent"]}
    assert set(reasons) == {"Board demo at 2pm", "Phoned in", "Finance has a script"}
    assert (reasons["Board demo at 2pm"]["computed_severity"], reasons["Board demo at 2pm"]["severity"]) == (
        2,
        1,
    )
    assert (reasons["Phoned in"]["computed_severity"], reasons["Phoned in"]["severity"]) == (None, 3)
    assert report["overridden"] == 3 and report["decisions"] == 4
    client.force_login(lead.user)
    page = client.get("/p/acme/triage/reports/").content.decode()
    assert "Phoned in" in page and "No triage answers → Sev3" in page
