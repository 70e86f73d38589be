"""A ticket's title and details have limits (200 and 20,000 characters): a clear message names the
field, in the form, the API and the service alike; nothing is cut and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import DETAILS_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket
from tickets.services import TriageAnswers

pytestmark = pytest.mark.django_db

ANSWERS = {"impact_scope": "department", "workaround": "none", "blocks_vital_process": "yes"}


def test_the_form_refuses_a_long_title_and_says_so(client, champion):
    client.force_login(champion.user)
    html = client.post("/p/acme/tickets/new/", {"title": "x" * 201, **ANSWERS}).text
    assert "Keep the title to 200 characters (it has 201)" in html
    assert Ticket.objects.count() == 0


def test_the_form_refuses_a_megabyte_of_details_and_says_so(client, champion):
    client.force_login(champion.user)
    html = client.post("/p/acme/tickets/new/", {"title": "Crash", "details": "x" * 1_000_000, **ANSWERS}).text
    assert "Keep the details to 20,000 characters (they have 1000000)" in html
    assert Ticket.objects.count() == 0


def test_the_form_accepts_the_longest_details_and_does_not_let_the_browser_cut_them(client, champion):
    client.force_login(champion.user)
    page = client.get("/p/acme/tickets/new/").text
    assert "maxlength" not in page, "a browser would cut a longer paste without a word"
    client.post("/p/acme/tickets/new/", {"title": "t" * 200, "details": "d" * DETAILS_MAX_LENGTH, **ANSWERS})
    ticket = Ticket.objects.get()
    assert len(ticket.title) == 200 and len(ticket.description) == DETAILS_MAX_LENGTH


def test_the_edit_form_refuses_long_details(client, champion, desk):
    ticket = log_ticket(champion)
    client.force_login(desk.user)
    html = client.post(
        f"/p/acme/tickets/{ticket.reference}/edit/",
        {"title": ticket.title, "description": "x" * (DETAILS_MAX_LENGTH + 1), "category": "defect"},
    ).text
    assert "Keep the details to 20,000 characters" in html
    ticket.refresh_from_db()
    assert ticket.description == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "x" * (TITLE_MAX_LENGTH + 1)), ("description", "x" * (DETAILS_MAX_LENGTH + 1))],
)
def test_the_api_refuses_text_over_the_limit_naming_the_field(champion, field, value):
    body = {"title": "Crash", **ANSWERS, field: value}
    response = champion.api().post("/api/v1/programmes/acme/tickets/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert Ticket.objects.count() == 0


def test_the_service_refuses_rather_than_cuts(champion):
    answers = TriageAnswers("department", "none", True)
    with pytest.raises(ValidationError) as error:
        services.ticket_create(access=access_of(champion), title="x" * 250, answers=answers)
    assert "title" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        services.ticket_create(
            access=access_of(champion), title="Crash", description="x" * 20_001, answers=answers
        )
    assert "description" in error.value.error_dict
    ticket = log_ticket(champion)
    with pytest.raises(ValidationError):
        services.ticket_update(access=access_of(champion), ticket=ticket, description="x" * 20_001)
    assert Ticket.objects.get().description == ""
