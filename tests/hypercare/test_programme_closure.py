"""A programme's status and its BAU service desk: closed only through sign-offs, read-only once
closed (its pages say so and point to the BAU service desk), edited by staff from then on."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from hypercare import services
from hypercare.access import get_programme_for
from hypercare.models import Programme, ProgrammeStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DESK = {
    "bau_desk_name": "Acme IT Service Desk",
    "bau_desk_url": "https://servicedesk.acme.example",
    "bau_desk_email": "servicedesk@acme.example",
}


@pytest.fixture
def closed(programme):
    Programme.objects.filter(pk=programme.pk).update(**DESK)
    programme.refresh_from_db()
    return services.programme_close(programme=programme)


@pytest.fixture
def admin_api():
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    api = APIClient()
    api.force_authenticate(admin)
    return api


def form_data(programme, **changes) -> dict:
    data = {
        "name": programme.name,
        "ticket_prefix": programme.ticket_prefix,
        "system": programme.system,
        "go_live_date": programme.go_live_date.isoformat(),
        "planned_exit_date": programme.planned_exit_date.isoformat(),
        "first_month_end_close": programme.first_month_end_close.isoformat(),
        "timezone": programme.timezone,
        "status": programme.status,
    }
    return data | changes


def test_no_service_sets_a_programme_closed_or_opens_a_closed_one(programme, lead):
    with pytest.raises(ValidationError) as error:
        services.programme_update(programme=programme, by=lead.user, status=ProgrammeStatus.CLOSED)
    assert "status" in error.value.message_dict
    services.programme_close(programme=programme)
    with pytest.raises(ValidationError):
        services.programme_update(programme=programme, status=ProgrammeStatus.ACTIVE)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED and programme.closed_at is not None


def test_the_edit_page_offers_no_closed_status_and_refuses_one(client, lead, programme):
    client.force_login(lead.user)
    page = client.get("/p/acme/edit/").content.decode()
    assert 'value="closed"' not in page and 'value="exit_review"' in page
    response = client.post("/p/acme/edit/", form_data(programme, status="closed"))
    assert response.status_code == 200 and "status" in response.context["form"].errors
    programme.refresh_from_db()
    assert programme.status != ProgrammeStatus.CLOSED


def test_the_exit_review_is_timed_when_it_begins(client, lead, programme):
    assert programme.exit_review_started_at is None
    client.force_login(lead.user)
    assert client.post("/p/acme/edit/", form_data(programme, status="exit_review")).status_code == 302
    programme.refresh_from_db()
    started = programme.exit_review_started_at
    assert started is not None
    services.programme_update(programme=programme, status=ProgrammeStatus.EXIT_REVIEW, name="Renamed")
    programme.refresh_from_db()
    assert programme.exit_review_started_at == started


def test_a_lead_sets_the_bau_service_desk_on_the_edit_page(client, lead, programme):
    client.force_login(lead.user)
    response = client.post("/p/acme/edit/", form_data(programme, **DESK))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.bau_service_desk == (
        "Acme IT Service Desk (https://servicedesk.acme.example, servicedesk@acme.example)"
    )
    response = client.post("/p/acme/edit/", form_data(programme, bau_desk_url="javascript:alert(1)"))
    assert response.status_code == 200 and "bau_desk_url" in response.context["form"].errors


def test_the_programmes_api_reads_and_writes_the_bau_service_desk(admin_api, programme):
    response = admin_api.patch("/api/v1/programmes/acme/", DESK, format="json")
    assert response.status_code == 200, response.json()
    body = admin_api.get("/api/v1/programmes/acme/").json()
    assert {key: body[key] for key in DESK} == DESK
    assert body["closed_at"] is None and body["exit_review_started_at"] is None
    response = admin_api.patch("/api/v1/programmes/acme/", {"bau_desk_email": "not an e-mail"}, format="json")
    assert response.status_code == 400 and "bau_desk_email" in response.json()
    response = admin_api.patch("/api/v1/programmes/acme/", {"status": "closed"}, format="json")
    assert response.status_code == 400 and "signed off" in str(response.json()["status"])


def test_the_schema_describes_the_bau_service_desk(client):
    schema = client.get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["Programme"]["properties"]
    assert {"bau_desk_name", "bau_desk_url", "bau_desk_email", "closed_at"} <= set(fields)


def test_a_closed_programme_says_so_and_where_new_issues_go(client, champion, closed):
    client.force_login(champion.user)
    page = client.get("/p/acme/").content.decode()
    assert 'id="programme-closed"' in page and "Hypercare is closed" in page
    assert "Acme IT Service Desk" in page and 'href="mailto:servicedesk@acme.example"' in page
    assert "Log an issue" not in page and "My tickets" in page


def test_a_closed_programme_is_read_only_for_its_lead(client, lead, closed):
    access = get_programme_for(lead.user, "acme")
    assert not access.is_lead and not access.can_report and not access.can_work_queue
    client.force_login(lead.user)
    page = client.get("/p/acme/").content.decode()
    assert "Edit programme" not in page and "Members" in page  # still reads its pages
    response = client.post("/p/acme/edit/", form_data(closed, name="Renamed"))
    assert response.status_code == 409 and "servicedesk@acme.example" in response.content.decode()
    response = client.post(
        "/p/acme/members/", {"username": "x", "email": "x@example.com", "roles": ["bau"], "team": "bau"}
    )
    assert response.status_code == 409
    closed.refresh_from_db()
    assert closed.name == "Acme go-live"


def test_staff_still_administer_a_closed_programme(client, bau, closed):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post("/p/acme/edit/", form_data(closed, bau_desk_name="Acme Global Service Desk"))
    assert response.status_code == 302
    closed.refresh_from_db()
    assert closed.bau_desk_name == "Acme Global Service Desk" and closed.status == ProgrammeStatus.CLOSED
    response = client.post(
        "/p/acme/members/",
        {"username": "bau2", "email": "bau2@example.com", "roles": ["bau"], "team": "bau"},
    )
    assert response.status_code == 302  # BAU staff join to work the tickets left open
