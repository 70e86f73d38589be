"""Direct production configuration changes: an impact assessment, a lead's approval, their own list."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from releases import services
from releases.models import ChangeStatus, ProductionChange

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/production-changes/"
CHANGE = {
    "title": "Disable VR_Close_Date on Opportunity",
    "kind": "validation_rule",
    "component": "Opportunity validation rule VR_Close_Date",
    "description": "Deactivate the rule until the hotfix ships.",
    "impact_assessment": "Finance can close deals dated in the past for two days; we audit them daily.",
    "risk": "medium",
    "rollback_plan": "Reactivate the rule.",
}


def record(programme, persona, **overrides):
    return services.production_change_record(programme=programme, by=persona.user, **(CHANGE | overrides))


def test_it_cannot_be_recorded_without_an_impact_assessment(programme, engineer):
    with pytest.raises(ValidationError) as caught:
        record(programme, engineer, impact_assessment="n/a")
    assert "impact assessment" in caught.value.message_dict["impact_assessment"][0]
    response = engineer.api().post(URL, CHANGE | {"impact_assessment": ""}, format="json")
    assert response.status_code == 400 and "impact_assessment" in response.json()
    assert not ProductionChange.objects.exists()


def test_a_lead_approves_and_the_requester_cannot(programme, engineer, lead, lead2):
    change = record(programme, lead)
    with pytest.raises(services.StageConflict, match="Four eyes"):
        services.production_change_decide(change=change, by=lead.user, approve=True)
    with pytest.raises(PermissionDenied):
        services.production_change_decide(change=change, by=engineer.user, approve=True)
    services.production_change_decide(change=change, by=lead2.user, approve=True, note="Two days only")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and change.decided_by == lead2.user
    with pytest.raises(services.StageConflict, match="already been decided"):
        services.production_change_decide(change=change, by=lead2.user, approve=False, note="changed my mind")


def test_a_rejection_says_why(programme, engineer, lead):
    change = record(programme, engineer)
    with pytest.raises(ValidationError):
        services.production_change_decide(change=change, by=lead.user, approve=False)


def test_only_leads_approve_through_the_api(programme, engineer, lead, viewer):
    change = record(programme, engineer)
    url = f"{URL}{change.pk}/decide/"
    assert engineer.api().post(url, {"approve": True}, format="json").status_code == 403
    assert viewer.api().post(url, {"approve": True}, format="json").status_code == 403
    response = lead.api().post(url, {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_viewers_cannot_record_and_outsiders_see_nothing(viewer, outsider, engineer):
    assert viewer.api().post(URL, CHANGE, format="json").status_code == 403
    assert outsider.api().get(URL).status_code == 404
    created = engineer.api().post(URL, CHANGE, format="json")
    assert created.status_code == 201 and created.json()["status"] == "awaiting_approval"


def test_changes_are_listed_on_their_own_page_with_the_pending_ones_flagged(
    client, programme, engineer, lead, lead2
):
    record(programme, engineer)
    approved = record(programme, engineer, title="Edit the active lead-routing flow")
    services.production_change_decide(change=approved, by=lead2.user, approve=True)
    client.force_login(lead.user)
    page = client.get("/p/acme/production-changes/").content.decode()
    assert "Disable VR_Close_Date on Opportunity" in page and "Edit the active lead-routing flow" in page
    assert "1 change awaiting a lead&#x27;s approval" in page or "1 change awaiting a lead's approval" in page


def test_a_lead_approves_in_the_browser_form(client, programme, engineer, lead):
    change = record(programme, engineer)
    client.force_login(lead.user)
    response = client.post(f"/p/acme/production-changes/{change.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_a_desk_analyst_cannot_approve_in_the_browser(client, programme, engineer, desk):
    change = record(programme, engineer)
    client.force_login(desk.user)
    assert (
        client.post(f"/p/acme/production-changes/{change.pk}/decide/", {"decision": "approve"}).status_code
        == 403
    )
    change.refresh_from_db()
    assert change.status == ChangeStatus.AWAITING_APPROVAL


def test_the_leads_are_asked_to_approve(programme, engineer, lead):
    from hypercare.models import Notification

    record(programme, engineer)
    assert Notification.objects.filter(kind="production_change", recipient=lead.user).exists()
