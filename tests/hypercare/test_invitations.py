"""A lead's invitation: the person behind the address accepts it (or creates an account), then joins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hypercare import services
from hypercare.models import AuditEntry, Invitation, Membership
from tests.factories import UserFactory


@pytest.fixture
def invite(lead, django_capture_on_commit_callbacks):
    """Send an invitation as the lead; returns the path of the link in the e-mail."""

    def send(email: str, roles=("desk",), **extra) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            services.invitation_send(
                programme=lead.programme, email=email, roles=list(roles), by=lead.user, **extra
            )
        return re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)

    return send


def test_an_existing_account_joins_after_accepting_while_logged_in(client, invite, programme):
    person = UserFactory(username="pat", email="Pat@Example.com")
    link = invite("pat@example.com", roles=["desk", "bau"], business_unit="Finance")
    assert "Log in to Hypercare" in mail.outbox[-1].body
    client.force_login(person)
    page = client.get(link)
    assert page.status_code == 200 and "Accept and join Acme go-live" in page.content.decode()
    assert not Membership.objects.filter(programme=programme, user=person).exists()
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/p/acme/"
    membership = Membership.objects.get(programme=programme, user=person)
    assert membership.roles == ["desk", "bau"] and membership.business_unit == "Finance"
    events = set(AuditEntry.objects.of(programme).values_list("event", flat=True))
    assert {"invitation.sent", "invitation.accepted", "membership.added"} <= events


def test_a_logged_out_invitee_is_asked_to_log_in(client, invite):
    UserFactory(username="pat", email="pat@example.com")
    link = invite("pat@example.com")
    page = client.get(link).content.decode()
    assert "Log in to accept" in page and f"next={link.replace('/', '%2F')}" in page
    assert client.post(link).status_code == 200
    assert not Membership.objects.filter(user__username="pat").exists()


def test_another_account_cannot_accept_it(client, invite, desk):
    UserFactory(username="pat", email="pat@example.com")
    link = invite("pat@example.com", roles=["lead"])
    client.force_login(desk.user)
    assert client.post(link).status_code == 403
    assert desk.membership.roles == ["desk"]
    assert not Membership.objects.filter(user__username="pat").exists()


def test_a_new_address_creates_its_account_and_joins(client, invite, programme):
    link = invite("newbie@example.com", roles=["champion"])
    assert "choose a username and password" in mail.outbox[-1].body
    form = {
        "username": "newbie",
        "name": "New Bie",
        "password": "a-long-pass-phrase",
        "password_again": "a-long-pass-phrase",
    }
    response = client.post(link, form)
    assert response.status_code == 302 and response["Location"] == "/p/acme/"
    membership = Membership.objects.get(programme=programme, user__username="newbie")
    assert membership.roles == ["champion"] and membership.user.email == "newbie@example.com"
    assert membership.user.check_password("a-long-pass-phrase")
    assert client.get("/p/acme/").status_code == 200  # logged in
    assert client.get(link).status_code == 404  # used once


def test_a_new_account_needs_a_free_username_and_a_good_password(client, invite, desk):
    link = invite("newbie@example.com")
    taken = client.post(
        link, {"username": "desk", "password": "a-long-pass-phrase", "password_again": "a-long-pass-phrase"}
    )
    assert taken.status_code == 400 and "This username is taken" in taken.content.decode()
    weak = client.post(link, {"username": "newbie", "password": "123", "password_again": "123"})
    assert weak.status_code == 400
    assert not Membership.objects.filter(user__username="newbie").exists()


def test_an_expired_or_unknown_link_is_404(client, invite):
    link = invite("pat@example.com")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(link).status_code == 404
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_the_link_works_once(client, invite, programme):
    person = UserFactory(username="pat", email="pat@example.com")
    link = invite("pat@example.com")
    client.force_login(person)
    assert client.post(link).status_code == 302
    assert client.post(link).status_code == 404
    assert Membership.objects.filter(programme=programme, user=person).count() == 1


def test_only_the_token_hash_is_stored(invite):
    link = invite("pat@example.com")
    token = link.rstrip("/").rsplit("/", 1)[1]
    stored = Invitation.objects.get()
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_a_lead_cannot_invite_a_signatory_or_themselves(lead):
    with pytest.raises(PermissionDenied):
        services.invitation_send(
            programme=lead.programme, email="s@example.com", roles=["sponsor"], by=lead.user
        )
    with pytest.raises(PermissionDenied):
        services.invitation_send(
            programme=lead.programme, email=lead.user.email, roles=["desk"], by=lead.user
        )
    assert not Invitation.objects.exists()


def test_an_invitation_dies_with_its_inviters_lead_role(client, invite, lead, programme, make_persona):
    make_persona("lead", username="lead2")
    person = UserFactory(username="pat", email="pat@example.com")
    link = invite("pat@example.com")
    services.member_remove(
        programme=programme, username="lead", by=UserFactory(username="root", is_staff=True)
    )
    client.force_login(person)
    assert client.post(link).status_code == 409
    assert not Membership.objects.filter(programme=programme, user=person).exists()


def test_the_members_page_lists_open_invitations_to_leads_only(client, invite, lead, desk):
    invite("pat@example.com")
    client.force_login(lead.user)
    assert "pat@example.com" in client.get("/p/acme/members/").content.decode()
    client.force_login(desk.user)
    assert "pat@example.com" not in client.get("/p/acme/members/").content.decode()
