"""Removing a member: at once out of the programme, tickets back to the queue, tokens gone; refusals say why."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from handover.models import SignOff
from hypercare.access import get_programme_for
from hypercare.models import Membership
from hypercare.vocabulary import EventKind
from tickets import services as tickets
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/programmes/acme/members/"


def held_ticket(champion, desk):
    ticket = tickets.ticket_create(
        access=get_programme_for(champion.user, "acme"),
        title="Invoice run stuck",
        answers=tickets.TriageAnswers(impact_scope="subset", workaround="simple", blocks_vital_process=False),
    )
    tickets.ticket_take(access=get_programme_for(desk.user, "acme"), ticket=ticket)
    return ticket


def test_a_lead_removes_a_desk_analyst_whose_tickets_go_back_to_the_queue(lead, desk, champion):
    ticket = held_ticket(champion, desk)
    token = Token.objects.create(user=desk.user).key
    assert lead.api().delete(f"{API}desk/").status_code == 204
    ticket.refresh_from_db()
    assert ticket.assignee is None
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).latest("pk")
    assert event.from_value == "desk" and "left the programme" in event.note
    assert not Token.objects.filter(key=token).exists()  # it was their only programme
    gone = Client()
    gone.force_login(desk.user)
    assert gone.get("/p/acme/").status_code == 404
    assert "desk" in ticket.events.filter(kind=EventKind.ASSIGNED).first().to_value  # history keeps the name


def test_refusals_say_why_and_change_nothing(lead, desk, sponsor, staff_user, programme):
    assert desk.api().delete(f"{API}viewer/").status_code == 403  # not a lead
    assert lead.api().delete(f"{API}nobody/").status_code == 404
    assert lead.api().delete(f"{API}lead/").status_code == 403  # oneself
    assert lead.api().delete(f"{API}sponsor/").status_code == 403  # a signatory role: staff only
    Membership.objects.create(
        programme=programme, user=staff_user, roles=["viewer"]
    )  # an administrator who looks in
    staff = Client()
    staff.force_login(staff_user)
    last_lead = staff.delete(f"{API}lead/")
    assert last_lead.status_code == 409 and "last lead" in last_lead.json()["detail"]
    SignOff.objects.create(
        programme=programme, signatory=sponsor.user, role="sponsor", signed_at=timezone.now(),
        gate_green=True, content_hash="0" * 64,
    )  # fmt: skip
    signed = staff.delete(f"{API}sponsor/")
    assert signed.status_code == 409 and "signed the exit" in signed.json()["detail"]
    assert Membership.objects.active().filter(programme=programme).count() == 4


def test_the_members_page_removes_with_its_csrf_token_and_says_a_refusal(lead, desk):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(lead.user)
    page = browser.get("/p/acme/members/").content.decode()
    assert "/p/acme/members/desk/remove/" in page and "/p/acme/members/lead/remove/" not in page
    assert browser.post("/p/acme/members/desk/remove/").status_code == 403  # no CSRF token
    token = browser.cookies["csrftoken"].value
    done = browser.post("/p/acme/members/desk/remove/", HTTP_X_CSRFTOKEN=token, follow=True)
    assert "desk is no longer a member" in done.content.decode()
    assert not Membership.objects.active().filter(user=desk.user).exists()
