"""Provisioning through the API: tokens, programmes, members, and the membership wall."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from rest_framework.test import APIClient

from hypercare.models import Membership, Programme
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

NEW_PROGRAMME = {
    "name": "Initech Dynamics go-live",
    "slug": "initech",
    "system": "Dynamics 365 Finance",
    "timezone": "America/New_York",
    "go_live_date": "2026-06-01",
    "planned_exit_date": "2026-07-13",
    "first_month_end_close": "2026-06-30",
    "working_hours": {
        "mon": ["08:00", "18:00"],
        "tue": ["08:00", "18:00"],
        "wed": ["08:00", "18:00"],
        "thu": ["08:00", "18:00"],
        "fri": ["08:00", "16:00"],
        "sat": None,
        "sun": None,
    },
    "holidays": ["2026-07-03"],
}


def test_it_exchanges_a_username_and_password_for_a_token(desk):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "desk", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}  # expires_at: null without a lifetime
    listed = APIClient(HTTP_AUTHORIZATION=f"Token {response.json()['token']}").get("/api/v1/programmes/")
    assert [p["slug"] for p in listed.json()["results"]] == ["acme"]


def test_it_refuses_a_token_for_a_wrong_password(desk):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "desk", "password": "nope"}, format="json"
    )
    assert response.status_code == 400


def test_anonymous_callers_get_401(programme):
    assert APIClient().get("/api/v1/programmes/").status_code == 401
    assert APIClient().get("/api/v1/programmes/acme/members/").status_code == 401


def test_staff_create_a_programme_with_its_calendar(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    response = client.post("/api/v1/programmes/", NEW_PROGRAMME, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["working_hours"]["fri"] == ["08:00", "16:00"]
    assert body["holidays"] == ["2026-07-03"]
    assert body["ticket_prefix"] == "INITECH"
    programme = Programme.objects.get(slug="initech")
    assert programme.calendar.working_calendar.business_day.total_seconds() == 10 * 3600


def test_it_names_the_field_of_bad_calendar_input_and_stores_nothing(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    bad = dict(NEW_PROGRAMME, working_hours={"mon": ["18:00", "08:00"]}, timezone="Mars/Olympus")
    response = client.post("/api/v1/programmes/", bad, format="json")
    assert response.status_code == 400
    assert "working_hours" in response.json() and "timezone" in response.json()
    assert not Programme.objects.filter(slug="initech").exists()


def test_it_refuses_an_exit_before_go_live(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    response = client.post(
        "/api/v1/programmes/", dict(NEW_PROGRAMME, planned_exit_date="2026-05-01"), format="json"
    )
    assert response.status_code == 400
    assert "planned_exit_date" in response.json()


def test_non_staff_cannot_create_programmes(lead):
    response = lead.api().post("/api/v1/programmes/", NEW_PROGRAMME, format="json")
    assert response.status_code == 403


def test_staff_update_a_programme_and_its_holidays(staff_user, programme):
    client = APIClient()
    client.force_authenticate(staff_user)
    staff_user.is_superuser = True
    staff_user.save()
    response = client.patch(
        "/api/v1/programmes/acme/",
        {"planned_exit_date": "2026-05-01", "holidays": ["2026-04-03"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["holidays"] == ["2026-04-03"]
    assert response.json()["exits_before_month_end"] is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_staff_update_a_programme_outside_a_test_transaction(staff_user, programme, method):
    """As a real request runs: no surrounding transaction (PostgreSQL refuses a row lock outside one)."""
    staff_user.is_superuser = True
    staff_user.save()
    client = APIClient()
    client.force_authenticate(staff_user)
    body = {"system": "Dynamics 365"}
    if method == "put":
        body = {**client.get("/api/v1/programmes/acme/").json(), **body}
    response = getattr(client, method)("/api/v1/programmes/acme/", body, format="json")
    assert response.status_code == 200, response.content
    assert Programme.objects.get(slug="acme").system == "Dynamics 365"


def test_members_see_only_their_programmes(desk, outsider):
    assert [p["slug"] for p in desk.api().get("/api/v1/programmes/").json()["results"]] == ["acme"]
    assert [p["slug"] for p in outsider.api().get("/api/v1/programmes/").json()["results"]] == ["globex"]


def test_a_non_member_gets_404_for_another_programme(outsider, programme):
    assert outsider.api().get("/api/v1/programmes/acme/").status_code == 404
    assert outsider.api().get("/api/v1/programmes/acme/members/").status_code == 404
    response = outsider.api().post(
        "/api/v1/programmes/acme/members/", {"username": "x", "roles": ["desk"]}, format="json"
    )
    assert response.status_code == 404


def test_a_lead_invites_a_new_member_who_joins_only_on_accepting(lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = lead.api().post(
            "/api/v1/programmes/acme/members/",
            {
                "email": "newbie@example.com",
                "roles": ["champion", "viewer"],
                "team": "bau",
                "business_unit": "Finance",
                "geography": "US",
            },
            format="json",
        )
    assert response.status_code == 202, response.json()
    assert response.json()["detail"].startswith("Invitation sent to newbie@example.com.")
    assert not Membership.objects.filter(user__email="newbie@example.com").exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newbie@example.com"]
    assert "/invitations/" in mail.outbox[0].body


def test_staff_add_a_new_member_directly_who_is_asked_to_set_a_password(
    programme, staff_user, django_capture_on_commit_callbacks
):
    MembershipFactory(programme=programme, user=staff_user, roles=["lead"])
    api = APIClient()
    api.force_authenticate(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/programmes/acme/members/",
            {
                "username": "newbie",
                "email": "newbie@example.com",
                "name": "New Bie",
                "roles": ["champion", "viewer"],
                "team": "bau",
                "business_unit": "Finance",
                "geography": "US",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert response.json()["roles"] == ["champion", "viewer"]
    membership = Membership.objects.get(user__username="newbie")
    assert membership.team == "bau" and membership.business_unit == "Finance"
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1 and "newbie" in mail.outbox[0].body
    assert "/accounts/reset/" in mail.outbox[0].body


def test_a_lead_updates_an_existing_members_roles(lead, desk):
    response = lead.api().post(
        "/api/v1/programmes/acme/members/",
        {"username": "desk", "roles": ["desk", "bau"], "team": "bau"},
        format="json",
    )
    assert response.status_code == 201
    desk.membership.refresh_from_db()
    assert desk.membership.roles == ["desk", "bau"]


def test_it_names_bad_member_fields(lead):
    response = lead.api().post(
        "/api/v1/programmes/acme/members/", {"username": "ghost", "roles": ["wizard"]}, format="json"
    )
    assert response.status_code == 400 and "roles" in response.json()
    response = lead.api().post(
        "/api/v1/programmes/acme/members/", {"username": "ghost", "roles": ["desk"]}, format="json"
    )
    assert response.status_code == 400 and "email" in response.json()
    assert not get_user_model().objects.filter(username="ghost").exists()


@pytest.mark.parametrize("persona", ["desk", "champion", "viewer", "sponsor"])
def test_only_leads_add_members(persona, request):
    caller = request.getfixturevalue(persona)
    response = caller.api().post(
        "/api/v1/programmes/acme/members/",
        {"username": "x", "email": "x@example.com", "roles": ["desk"]},
        format="json",
    )
    assert response.status_code == 403


def test_members_list_their_programmes_members(desk, champion):
    usernames = [
        m["username"] for m in champion.api().get("/api/v1/programmes/acme/members/").json()["results"]
    ]
    assert usernames == ["champion", "desk"]


def test_the_schema_describes_the_public_contract(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "/api/v1/programmes/{slug}/members/" in schema["paths"]
    programme = schema["components"]["schemas"]["Programme"]["properties"]
    for field in (
        "name",
        "slug",
        "system",
        "timezone",
        "go_live_date",
        "planned_exit_date",
        "first_month_end_close",
        "working_hours",
        "holidays",
    ):
        assert field in programme
    roles = schema["components"]["schemas"]["RolesEnum"]["enum"]
    assert set(roles) == {
        "champion",
        "desk",
        "engineer",
        "lead",
        "sponsor",
        "operational_owner",
        "bau",
        "change_manager",
        "viewer",
    }
