"""Linking: a lead links a channel on the programme's Chat page; a chat user opens their one-time
link while logged in, once, before it expires, as a member of the channel's programme."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from intake.chat import services as chat
from intake.models import ChatChannel, ChatIdentity
from tests.intake.chat import slack_post, slash
from tests.intake.conftest import link_token
from tickets.models import Ticket


def _offer_url(live_server, user_id="U0CHAMP") -> str:
    reply = slack_post(live_server.url, slash("Hello", user_id=user_id))
    assert reply.status == 200
    text = reply.body["text"]
    return text[text.index("<") + 1 : text.index("|Link my account>")]


@pytest.mark.django_db(transaction=True)
def test_a_chat_user_links_once_then_logs_from_the_channel(
    live_server, chat_settings, slack_channel, champion
):
    url = _offer_url(live_server)
    path = url.removeprefix(live_server.url)
    browser = Client()
    browser.force_login(champion.user)

    page = browser.get(path)
    assert page.status_code == 200 and b"Link my account" in page.content
    done = browser.post(path)
    assert done.status_code == 200 and b"is now linked" in done.content
    again = browser.post(path)
    assert again.status_code == 400 and b"already used" in again.content

    identity = ChatIdentity.objects.get()
    assert (identity.user, identity.team_id, identity.chat_user_id) == (champion.user, "T0ACME", "U0CHAMP")
    reply = slack_post(live_server.url, slash("Quotes lose their discount"))
    assert "Logged ACME-1" in reply.body["text"]
    assert Ticket.objects.get().reporter == champion.user


def test_opening_the_link_logged_out_goes_to_the_login_page(client, slack_channel):
    path = reverse("integrations:chat_link", args=[_token(slack_channel)])

    response = client.get(path)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_expired_link_is_refused(client, slack_channel, champion):
    with mock.patch("time.time", return_value=time.time() - 31 * 60):
        token = _token(slack_channel)
    client.force_login(champion.user)

    response = client.post(reverse("integrations:chat_link", args=[token]))

    assert response.status_code == 400 and b"expired" in response.content
    assert not ChatIdentity.objects.exists()


def test_a_forged_link_is_refused(client, slack_channel, champion):
    token = _token(slack_channel)[:-3] + "abc"
    client.force_login(champion.user)

    response = client.post(reverse("integrations:chat_link", args=[token]))

    assert response.status_code == 400 and b"not valid" in response.content
    assert not ChatIdentity.objects.exists()


def test_someone_outside_the_channels_programme_cannot_link(client, slack_channel, outsider):
    client.force_login(outsider.user)

    response = client.post(reverse("integrations:chat_link", args=[_token(slack_channel)]))

    assert response.status_code == 400 and b"not a member of Acme go-live" in response.content
    assert not ChatIdentity.objects.exists()


def test_a_lead_links_and_unlinks_channels_on_the_chat_page(client, lead):
    client.force_login(lead.user)
    url = reverse("intake:chat", args=["acme"])

    slack = client.post(
        url, {"platform": "slack", "name": "#war-room", "team_id": "T0ACME", "channel_id": "C0WAR"}
    )
    teams = client.post(
        url, {"platform": "teams", "name": "Teams", "token": "c2VjcmV0LXRva2VuLW9mLXRlYW1zLTEyMw=="}
    )
    duplicate = client.post(url, {"platform": "slack", "team_id": "T0ACME", "channel_id": "C0WAR"})
    missing = client.post(url, {"platform": "teams", "token": "not base64!"})

    assert slack.status_code == teams.status_code == 302
    assert duplicate.status_code == 400 and b"already linked" in duplicate.content
    assert missing.status_code == 400 and b"security token" in missing.content
    stored = ChatChannel.objects.get(platform="teams")
    assert stored.token_encrypted and "c2VjcmV0" not in stored.token_encrypted  # encrypted at rest
    page = client.get(url)
    assert b"#war-room" in page.content and b"/integrations/slack/" in page.content
    removed = client.post(reverse("intake:chat_remove", args=["acme", stored.pk]))
    assert removed.status_code == 302 and ChatChannel.objects.count() == 1


def test_only_leads_link_channels(client, desk, lead):
    client.force_login(desk.user)

    response = client.post(
        reverse("intake:chat", args=["acme"]), {"platform": "slack", "team_id": "T1", "channel_id": "C1"}
    )

    assert response.status_code == 403 and not ChatChannel.objects.exists()


def _token(channel) -> str:
    return link_token(chat.chat_link_url(channel=channel, team_id="T0ACME", chat_user_id="U0CHAMP"))
