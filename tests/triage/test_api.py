"""The triage API: SLA policy versions, the matrix, SLA timelines, reports and the rota, with role rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from hypercare.roles import Role
from sla.models import SlaPolicy
from tests.triage.conftest import access_of, london
from tickets import services as tickets
from tickets.services import TriageAnswers

pytestmark = pytest.mark.django_db

MONDAY_10 = london(2026, 3, 9, 10, 0)


def policy_url(programme):
    return f"/api/v1/programmes/{programme.slug}/sla-policy/"


def targets(**sev3):
    rows = [
        {
            "severity": 1,
            "response_minutes": 15,
            "resolution_minutes": 240,
            "clock": "24x7",
            "at_risk_percent": 75,
        },
        {
            "severity": 2,
            "response_minutes": 60,
            "resolution_minutes": 1440,
            "clock": "24x7",
            "at_risk_percent": 75,
        },
        {
            "severity": 3,
            "response_minutes": 240,
            "resolution_minutes": 2400,
            "clock": "business",
            "at_risk_percent": 75,
        },
        {
            "severity": 4,
            "response_minutes": 1440,
            "resolution_minutes": None,
            "clock": "business",
            "at_risk_percent": 75,
        },
    ]
    rows[2].update(sev3)
    return rows


def test_it_shows_the_policy_in_force_to_any_member(champion):
    response = champion.api().get(policy_url(champion.programme))
    assert response.status_code == 200
    body = response.json()
    assert body["targets"][0] == {
        "severity": 1,
        "response_minutes": 15,
        "resolution_minutes": 240,
        "clock": "24x7",
        "at_risk_percent": 75,
    }
    assert body["targets"][3]["resolution_minutes"] is None and body["targets"][3]["clock"] == "business"
    assert body["targets"][2]["resolution_minutes"] == 2400  # 5 business days of 8 hours
    assert "effective_from" in body and "version" in body


def test_a_lead_publishes_a_new_version_and_tickets_keep_the_one_they_were_triaged_under(
    lead, desk, log_ticket
):
    old_ticket = log_ticket(severity=3, reported_at=MONDAY_10)
    response = lead.api().put(
        policy_url(lead.programme),
        {"targets": targets(response_minutes=120, resolution_minutes=960), "note": "Relaxed after week 2"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["targets"][2]["response_minutes"] == 120 and body["created_by"] == "lead"
    assert SlaPolicy.objects.filter(programme=lead.programme).count() == 2
    assert lead.api().get(policy_url(lead.programme)).json()["version"] == body["version"]

    old_ticket.refresh_from_db()
    assert old_ticket.sla_policy_id != body["version"]
    assert old_ticket.response_due_at == london(2026, 3, 9, 14, 0)  # still 4 working hours

    now = timezone.now()
    new_ticket = tickets.ticket_create(
        access=access_of(desk), title="Quote PDF fails", severity=3, severity_reason="desk log", at=now
    )
    assert new_ticket.sla_policy_id == body["version"]
    # A severity change of the old ticket takes the version in force at that moment.
    desk_access = access_of(desk)
    tickets.ticket_change_severity(
        access=desk_access, ticket=old_ticket, severity=2, reason="Finance blocked", at=now
    )
    tickets.ticket_change_severity(
        access=desk_access, ticket=old_ticket, severity=3, reason="Workaround found", at=now
    )
    assert old_ticket.sla_policy_id == body["version"]
    assert old_ticket.response_due_at == london(2026, 3, 9, 12, 0)  # 2 working hours from the original start

    versions = lead.api().get(policy_url(lead.programme) + "versions/").json()
    assert [v["note"] for v in versions][0] == "Relaxed after week 2"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"targets": targets()[:3]}, "targets"),
        ({"targets": targets(clock="weekdays")}, "targets"),
        ({"targets": targets(resolution_minutes=60)}, "targets.sev3.resolution_minutes"),
        ({"targets": targets(at_risk_percent=0)}, "targets"),
        ({"targets": targets(), "effective_from": "2020-01-01T00:00:00Z"}, "effective_from"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field_and_nothing_is_stored(lead, change, field):
    response = lead.api().put(policy_url(lead.programme), change, format="json")
    assert response.status_code == 400
    assert field in response.json() or field in str(response.json())
    assert SlaPolicy.objects.filter(programme=lead.programme).count() == 1


def test_only_leads_replace_the_policy_and_outsiders_see_nothing(desk, engineer, sponsor, outsider, lead):
    for persona in (desk, engineer, sponsor):
        assert (
            persona.api().put(policy_url(lead.programme), {"targets": targets()}, format="json").status_code
            == 403
        )
    assert outsider.api().get(policy_url(lead.programme)).status_code == 404
    assert (
        outsider.api().put(policy_url(lead.programme), {"targets": targets()}, format="json").status_code
        == 404
    )
    assert APIClient().get(policy_url(lead.programme)).status_code == 401


def matrix_url(programme):
    return f"/api/v1/programmes/{programme.slug}/triage-matrix/"


def test_a_lead_edits_the_matrix_and_new_triage_follows_it(lead, desk):
    body = lead.api().get(matrix_url(lead.programme)).json()
    assert len(body["cells"]) == 24 and body["always_sev4_categories"] == ["enhancement", "how_to"]
    cell = {"impact_scope": "subset", "workaround": "none", "blocks_vital_process": True, "severity": 1}
    response = lead.api().put(matrix_url(lead.programme), {"cells": [cell]}, format="json")
    assert response.status_code == 200 and response.json()["changed"] == 1
    assert cell in response.json()["cells"]

    ticket = tickets.ticket_create(
        access=access_of(desk),
        title="Invoices stuck",
        answers=TriageAnswers("subset", "none", True),
        at=timezone.now(),
    )
    assert ticket.severity == 1 and ticket.computed_severity == 1


def test_only_leads_edit_the_matrix(desk, champion, outsider, lead):
    cell = {"impact_scope": "subset", "workaround": "none", "blocks_vital_process": True, "severity": 1}
    assert desk.api().put(matrix_url(lead.programme), {"cells": [cell]}, format="json").status_code == 403
    assert champion.api().get(matrix_url(lead.programme)).status_code == 200
    assert outsider.api().get(matrix_url(lead.programme)).status_code == 404
    bad = {**cell, "workaround": "maybe"}
    assert lead.api().put(matrix_url(lead.programme), {"cells": [bad]}, format="json").status_code == 400


def test_the_override_report_counts_overrides_by_person_and_direction(lead, desk, champion):
    desk_access = access_of(desk)
    now = timezone.now()
    # The matrix says Sev2; the desk raises it to Sev1 with a reason.
    tickets.ticket_create(
        access=desk_access,
        title="CEO cannot log in",
        answers=TriageAnswers("individual", "none", True),
        severity=1,
        severity_reason="Board meeting in an hour",
        at=now,
    )
    followed = tickets.ticket_create(
        access=desk_access, title="Report slow", answers=TriageAnswers("subset", "simple", False), at=now
    )
    assert followed.severity == 3
    tickets.ticket_change_severity(
        access=access_of(lead), ticket=followed, severity=4, reason="Cosmetic only", at=now
    )
    body = lead.api().get(f"/api/v1/programmes/{lead.programme.slug}/severity-overrides/").json()
    assert body["decisions"] == 3 and body["overridden"] == 2
    assert body["raised"] == 1 and body["lowered"] == 1 and body["override_percent"] == 66.7
    people = {row["username"]: row for row in body["by_person"]}
    assert people["desk"] == {**people["desk"], "decisions": 2, "overridden": 1}
    assert body["recent"][-1]["reason"] == "Board meeting in an hour"
    assert body["recent"][-1]["computed_severity"] == 2 and body["recent"][-1]["severity"] == 1

    assert (
        champion.api().get(f"/api/v1/programmes/{lead.programme.slug}/severity-overrides/").status_code == 403
    )


def test_a_champion_cannot_override_severity_and_the_desk_needs_a_reason(champion, desk, log_ticket):
    from django.core.exceptions import PermissionDenied, ValidationError

    ticket = log_ticket(severity=3, reported_at=MONDAY_10)
    with pytest.raises(PermissionDenied):
        tickets.ticket_change_severity(
            access=access_of(champion), ticket=ticket, severity=1, reason="Urgent!"
        )
    with pytest.raises(ValidationError):
        tickets.ticket_change_severity(access=access_of(desk), ticket=ticket, severity=1, reason="  ")
    with pytest.raises(ValidationError):
        tickets.ticket_create(
            access=access_of(desk),
            title="VP wants it now",
            answers=TriageAnswers("individual", "simple", False),
            severity=1,
        )


def sla_url(ticket):
    return f"/api/v1/programmes/{ticket.programme.slug}/tickets/{ticket.reference}/sla/"


def test_the_sla_timeline_explains_start_pause_resume_and_due(lead, desk, log_ticket):
    ticket = log_ticket(severity=3, reported_at=MONDAY_10)
    desk_access = access_of(desk)
    tickets.ticket_transition(
        access=desk_access, ticket=ticket, status="in_progress", at=london(2026, 3, 9, 11, 0)
    )
    tickets.ticket_transition(
        access=desk_access, ticket=ticket, status="waiting_on_reporter", at=london(2026, 3, 10, 9, 0)
    )
    tickets.ticket_transition(
        access=desk_access, ticket=ticket, status="in_progress", at=london(2026, 3, 11, 13, 0)
    )

    body = lead.api().get(sla_url(ticket)).json()
    assert [m["what"] for m in body["moments"]] == ["started", "responded", "paused", "resumed"]
    assert body["clock"] == "business" and "Europe/London" in body["calendar"]
    assert body["policy"]["version"] == ticket.sla_policy_id
    assert body["resolution"]["paused_minutes"] == 12 * 60
    assert body["resolution_due_at"].startswith("2026-03-17T14:00")
    assert "720 min (12 h) paused while waiting on the reporter" in body["resolution"]["why"]
    assert body["response"]["state"] == "met" and body["response"]["used_minutes"] == 60
    assert body["response_breached"] is False
    assert {"at_risk", "paused", "response_minutes_left", "resolution_minutes_left"} <= set(body)


def test_the_sla_timeline_is_hidden_from_those_who_cannot_see_the_ticket(
    lead, champion, make_persona, outsider, log_ticket
):
    ticket = log_ticket(severity=2, reported_at=MONDAY_10)  # a Sales ticket
    finance_champion = make_persona(Role.CHAMPION, business_unit="Finance")
    assert lead.api().get(sla_url(ticket)).status_code == 200
    assert champion.api().get(sla_url(ticket)).status_code == 200  # their business unit's
    assert finance_champion.api().get(sla_url(ticket)).status_code == 404  # not theirs, not their unit's
    assert outsider.api().get(sla_url(ticket)).status_code == 404


def test_compliance_counts_met_breached_and_open(lead, desk, champion, log_ticket):
    desk_access = access_of(desk)
    met = log_ticket(severity=1, reported_at=MONDAY_10)
    tickets.ticket_resolve(
        access=desk_access, ticket=met, resolution="Restarted", at=MONDAY_10 + timedelta(minutes=5)
    )
    log_ticket(severity=1, reported_at=MONDAY_10)  # open long past its targets: breached
    body = lead.api().get(f"/api/v1/programmes/{lead.programme.slug}/sla-compliance/").json()
    sev1 = body["by_severity"][0]
    assert sev1 == {**sev1, "severity": 1, "met": 1, "breached": 1, "open": 0, "met_percent": 50.0}
    assert body["by_tier"][0]["tier"] == 2 and body["by_tier"][0]["total"] == 2
    url = f"/api/v1/programmes/{lead.programme.slug}/sla-compliance/?start=2026-03-10T00:00:00Z"
    assert lead.api().get(url).json()["overall"]["total"] == 0
    assert champion.api().get(url).status_code == 403


def test_leads_keep_the_on_call_rota_and_shifts_never_overlap(lead, engineer, desk, outsider):
    url = f"/api/v1/programmes/{lead.programme.slug}/oncall/"
    shift = {"username": "engineer", "starts_at": "2026-03-09T09:00:00Z", "ends_at": "2026-03-16T09:00:00Z"}
    created = lead.api().post(url, shift, format="json")
    assert created.status_code == 201
    clash = {
        **shift,
        "username": "desk",
        "starts_at": "2026-03-15T09:00:00Z",
        "ends_at": "2026-03-20T09:00:00Z",
    }
    response = lead.api().post(url, clash, format="json")
    assert response.status_code == 400 and "engineer is on call" in str(response.json())
    assert (
        desk.api()
        .post(
            url,
            {**shift, "starts_at": "2026-04-01T09:00:00Z", "ends_at": "2026-04-02T09:00:00Z"},
            format="json",
        )
        .status_code
        == 403
    )
    assert [row["username"] for row in desk.api().get(url).json()] == ["engineer"]
    assert outsider.api().get(url).status_code == 404
    assert lead.api().delete(f"{url}{created.json()['id']}/").status_code == 204
