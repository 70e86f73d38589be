"""A closed programme takes no new tickets from any channel, each refusal pointing to the BAU service
desk; the tickets left open are worked by BAU support and the operational owner until resolved."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hypercare import services as core
from hypercare.access import ProgrammeClosed
from hypercare.models import Programme
from tests.tickets.pages_helpers import access_of, log_ticket
from tests.tickets.test_import_service import JIRA, mapping_for
from tickets import services
from tickets.imports import csv_read, import_check, tickets_import
from tickets.models import KnownIssue, Ticket

pytestmark = pytest.mark.django_db

DESK = "Acme IT Service Desk (https://servicedesk.acme.example, servicedesk@acme.example)"
TICKETS = "/api/v1/programmes/acme/tickets/"


@pytest.fixture
def open_ticket(champion, desk):
    ticket = log_ticket(champion, title="Quote PDF shows the wrong VAT rate")
    services.ticket_take(access=access_of(desk), ticket=ticket)
    return ticket


@pytest.fixture
def resolved_ticket(champion, desk):
    ticket = log_ticket(champion, title="Cannot find the discount field")
    return services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution="Shown on the layout.")


@pytest.fixture
def closed(programme, open_ticket, resolved_ticket):
    Programme.objects.filter(pk=programme.pk).update(
        bau_desk_name="Acme IT Service Desk",
        bau_desk_url="https://servicedesk.acme.example",
        bau_desk_email="servicedesk@acme.example",
    )
    programme.refresh_from_db()
    return core.programme_close(programme=programme)


# No new tickets, from any channel -----------------------------------------------------------------


def test_the_service_takes_no_ticket_and_names_the_bau_service_desk(closed, champion, lead):
    before = Ticket.objects.count()
    for persona in (champion, lead):
        with pytest.raises(ProgrammeClosed) as error:
            log_ticket(persona, title="Another problem")
        assert "takes no new tickets" in str(error.value) and DESK in str(error.value)
    assert Ticket.objects.count() == before


def test_a_request_that_read_the_programme_before_it_closed_stores_nothing(programme, champion):
    access = access_of(champion)  # read while the programme is still open
    core.programme_close(programme=Programme.objects.get(pk=programme.pk))
    assert not access.is_closed  # stale: the race the ticket counter's UPDATE … WHERE closes
    with pytest.raises(ProgrammeClosed):
        services.ticket_create(
            access=access, title="Slipped in", answers=services.TriageAnswers("subset", "simple", False)
        )
    assert not Ticket.objects.filter(title="Slipped in").exists()
    programme.refresh_from_db()
    assert programme.last_ticket_number == 0


def test_the_form_answers_with_the_bau_service_desk(client, closed, champion):
    client.force_login(champion.user)
    for response in (client.get("/p/acme/tickets/new/"), client.post("/p/acme/tickets/new/", {"title": "x"})):
        page = response.content.decode()
        assert response.status_code == 409 and 'id="programme-closed"' in page
        assert "takes no new tickets" in page and 'href="https://servicedesk.acme.example"' in page
    assert "Log an issue" not in client.get("/p/acme/known-issues/").content.decode()


def test_the_api_answers_409_with_the_bau_service_desk(closed, champion):
    response = champion.api().post(
        TICKETS,
        {"title": "Another problem", "impact_scope": "individual", "workaround": "simple", "blocks_vital_process": False},
        format="json",
    )  # fmt: skip
    assert response.status_code == 409
    assert "takes no new tickets" in response.json()["detail"] and DESK in response.json()["detail"]
    assert Ticket.objects.count() == 2


def test_the_schema_documents_the_409(client):
    schema = client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/programmes/{slug}/tickets/"]["post"]
    assert "409" in create["responses"] and "BAU" in create["responses"]["409"]["description"]


def test_the_csv_import_is_refused_before_any_row(closed, lead):
    table = csv_read(JIRA.encode())
    access = access_of(lead)
    with pytest.raises(ProgrammeClosed, match="takes no new tickets"):
        import_check(access=access, table=table, mapping=mapping_for(table))
    with pytest.raises(ProgrammeClosed):
        tickets_import(access=access, table=table, mapping=mapping_for(table))
    assert Ticket.objects.count() == 2


def test_the_import_pages_answer_with_the_bau_service_desk(client, settings, tmp_path, closed, lead):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(lead.user)
    response = client.post(
        "/p/acme/tickets/import/",
        {"file": SimpleUploadedFile("jira.csv", JIRA.encode(), content_type="text/csv")},
    )
    assert response.status_code == 409 and "servicedesk@acme.example" in response.content.decode()
    assert "Import CSV" not in client.get("/p/acme/tickets/").content.decode()


# The tickets left open: BAU and the operational owner, until resolved ------------------------------


def test_bau_support_and_the_operational_owner_work_an_open_ticket_until_it_is_resolved(
    closed, open_ticket, bau, owner
):
    services.ticket_assign(access=access_of(bau), ticket=open_ticket, assignee=bau.user)
    services.ticket_comment(access=access_of(owner), ticket=open_ticket, body="Raised with the vendor.")
    services.ticket_assign(access=access_of(bau), ticket=open_ticket, assignee=owner.user)
    services.ticket_resolve(access=access_of(owner), ticket=open_ticket, resolution="Patched by the vendor.")
    open_ticket.refresh_from_db()
    assert open_ticket.status == "resolved" and open_ticket.resolved_by == owner.user
    with pytest.raises(ProgrammeClosed, match="until they are resolved"):
        services.ticket_reopen(access=access_of(bau), ticket=open_ticket, reason="It came back.")
    with pytest.raises(ProgrammeClosed):
        services.ticket_comment(access=access_of(bau), ticket=open_ticket, body="One more thing.")


def test_nobody_else_changes_a_ticket_of_a_closed_programme(
    closed, open_ticket, desk, lead, engineer, champion
):
    for persona in (desk, lead, engineer):
        with pytest.raises(ProgrammeClosed):
            services.ticket_transition(access=access_of(persona), ticket=open_ticket, status="in_progress")
    with pytest.raises(ProgrammeClosed):
        services.ticket_comment(access=access_of(champion), ticket=open_ticket, body="Any news?")
    with pytest.raises(ProgrammeClosed):
        services.ticket_update(access=access_of(champion), ticket=open_ticket, title="Renamed")


def test_open_tickets_go_only_to_bau_support_or_the_operational_owner(closed, open_ticket, bau, engineer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="hypercare is closed"):
        services.ticket_assign(access=access_of(bau), ticket=open_ticket, assignee=engineer.user)


def test_the_api_lets_bau_resolve_and_answers_409_to_the_desk(
    closed, open_ticket, resolved_ticket, bau, desk
):
    url = f"{TICKETS}{open_ticket.reference}/"
    response = desk.api().post(f"{url}transition/", {"status": "in_progress"}, format="json")
    assert (
        response.status_code == 409 and "BAU support and the operational owner" in response.json()["detail"]
    )
    response = bau.api().post(f"{url}resolve/", {"resolution": "Fixed in BAU."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    response = bau.api().post(
        f"{TICKETS}{resolved_ticket.reference}/reopen/", {"reason": "Back"}, format="json"
    )
    assert response.status_code == 409


def test_the_ticket_page_offers_actions_only_on_open_tickets_and_only_to_bau(
    client, closed, open_ticket, resolved_ticket, bau, desk
):
    client.force_login(bau.user)
    page = client.get(f"/p/acme/tickets/{open_ticket.reference}/").content.decode()
    assert 'id="actions"' in page and f"/tickets/{open_ticket.reference}/actions/resolve/" in page
    page = client.get(f"/p/acme/tickets/{resolved_ticket.reference}/").content.decode()
    assert 'id="actions"' not in page
    queue = client.get("/p/acme/tickets/?view=all&status=any").content.decode()
    assert f"/tickets/{open_ticket.reference}/row-actions/" in queue
    assert f"/tickets/{resolved_ticket.reference}/row-actions/" not in queue
    client.force_login(desk.user)
    page = client.get(f"/p/acme/tickets/{open_ticket.reference}/").content.decode()
    assert 'id="actions"' not in page
    response = client.post(f"/p/acme/tickets/{open_ticket.reference}/comment/", {"body": "Still here"})
    assert response.status_code == 403 and "read-only" in response.content.decode()
    assert not open_ticket.comments.exists()


def test_known_issues_are_read_only_even_for_bau(client, closed, bau):
    with pytest.raises(ProgrammeClosed):
        services.known_issue_create(access=access_of(bau), title="Quote PDF slow")
    response = bau.api().post(
        "/api/v1/programmes/acme/known-issues/", {"title": "Quote PDF slow"}, format="json"
    )
    assert response.status_code == 409
    client.force_login(bau.user)
    assert "Record a known issue" not in client.get("/p/acme/known-issues/").content.decode()
    assert not KnownIssue.objects.exists()
