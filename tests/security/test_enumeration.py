"""Adding members and the on-call rota reveal nobody: the same answer whether or not an account exists,
and nothing of another programme's people."""

from __future__ import annotations

import pytest
from django.core import mail

from hypercare.models import Invitation, Membership
from tests.factories import UserFactory
from triage.services import NOT_A_QUEUE_WORKER

MEMBERS_API = "/api/v1/programmes/acme/members/"
MEMBERS_PAGE = "/p/acme/members/"
ONCALL_API = "/api/v1/programmes/acme/oncall/"


@pytest.fixture
def stranger(outsider):
    """Someone of another programme whose name and address a lead of acme must not learn."""
    outsider.user.first_name, outsider.user.last_name = "Olga", "Outsider"
    outsider.user.email = "olga.outsider@globex.example"
    outsider.user.save()
    return outsider


def _invite(lead, email, **extra):
    return lead.api().post(
        MEMBERS_API, {"email": email, "roles": ["desk"], "team": "project", **extra}, format="json"
    )


def test_the_api_answers_the_same_for_an_existing_and_an_unknown_address(lead, stranger):
    known = _invite(lead, stranger.user.email)
    unknown = _invite(lead, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == {
        "detail": f"Invitation sent to {stranger.user.email}. They join the programme when they accept it.",
        "email": stranger.user.email,
    }
    assert unknown.json() == {
        "detail": "Invitation sent to nobody@nowhere.example. They join the programme when they accept it.",
        "email": "nobody@nowhere.example",
    }


def test_the_api_answers_the_same_for_an_existing_and_an_unknown_username(lead, stranger):
    known = lead.api().post(
        MEMBERS_API, {"username": stranger.user.username, "roles": ["desk"]}, format="json"
    )
    unknown = lead.api().post(MEMBERS_API, {"username": "no-such-person", "roles": ["desk"]}, format="json")
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()
    assert "email" in known.json()


def test_a_username_of_another_programme_returns_nothing_of_that_person(lead, stranger):
    response = _invite(lead, "someone@example.com", username=stranger.user.username, name="Any Name")
    body = response.content.decode()
    assert response.status_code == 202
    for leaked in ("Olga", "Outsider", stranger.user.email, stranger.user.username):
        assert leaked not in body
    assert not Membership.objects.filter(programme=lead.programme, user=stranger.user).exists()


def test_nobody_joins_before_accepting(lead, stranger, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(lead, stranger.user.email)
    assert not Membership.objects.filter(programme=lead.programme, user=stranger.user).exists()
    assert Invitation.objects.filter(
        programme=lead.programme, email=stranger.user.email, accepted_at=None
    ).exists()
    assert stranger.api().get(MEMBERS_API).status_code == 404
    assert mail.outbox[0].to == [stranger.user.email]


def test_the_members_page_says_the_same_for_an_existing_and_an_unknown_address(client, lead, stranger):
    client.force_login(lead.user)
    answers = []
    for email in (stranger.user.email, "nobody@nowhere.example"):
        response = client.post(
            MEMBERS_PAGE, {"email": email, "roles": ["desk"], "team": "project"}, follow=True
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert f"Invitation sent to {email}." in page
        answers.append(page.replace(email, "EMAIL"))
    assert "Olga" not in answers[0] and "Outsider" not in answers[0]
    assert not Membership.objects.filter(programme=lead.programme, user=stranger.user).exists()


def test_the_members_page_refuses_a_bare_username_the_same_way(client, lead, stranger):
    client.force_login(lead.user)
    known = client.post(
        MEMBERS_PAGE, {"username": stranger.user.username, "roles": ["desk"], "team": "project"}
    )
    unknown = client.post(MEMBERS_PAGE, {"username": "no-such-person", "roles": ["desk"], "team": "project"})
    assert known.status_code == unknown.status_code == 400
    message = "Give the person&#x27;s e-mail address"
    assert message in known.content.decode() and message in unknown.content.decode()


def test_staff_still_add_any_account_directly(client, programme, stranger):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        MEMBERS_PAGE, {"username": stranger.user.username, "roles": ["desk"], "team": "project"}
    )
    assert response.status_code == 302
    assert Membership.objects.active().filter(programme=programme, user=stranger.user).exists()


# The on-call rota --------------------------------------------------------------------------------


def _shift(lead, username):
    return lead.api().post(
        ONCALL_API,
        {"username": username, "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T17:00:00Z"},
        format="json",
    )


def test_the_rota_says_the_same_for_a_stranger_an_unknown_name_and_a_member_of_another_role(
    lead, champion, stranger
):
    answers = [
        _shift(lead, name) for name in ("no-such-person", stranger.user.username, champion.user.username)
    ]
    assert {answer.status_code for answer in answers} == {400}
    assert answers[0].json() == answers[1].json() == answers[2].json() == {"username": [NOT_A_QUEUE_WORKER]}


def test_the_rota_page_says_the_same_for_a_stranger_and_a_member_of_another_role(
    client, lead, champion, stranger
):
    client.force_login(lead.user)
    pages = [
        client.post(
            "/p/acme/triage/rota/",
            {"user": user.pk, "starts_at": "2026-12-10T09:00", "ends_at": "2026-12-10T17:00"},
        )
        for user in (stranger.user, champion.user)
    ]
    assert pages[0].status_code == pages[1].status_code
    for page in pages:
        assert "Choose a member of this programme who works the queues" in page.content.decode()
    assert "Olga" not in pages[0].content.decode()
