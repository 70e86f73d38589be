"""Findings of the second outside test round: bad input answers a clear 4xx (never a 500, nothing
stored), webhook targets on the internal network are refused at registration, and API tokens die
with a password change or on request."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.forms import SetPasswordForm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from metrics.models import DataPoint
from releases.models import Webhook
from tests.factories import TicketFactory
from tickets.models import Ticket

API = "/api/v1/programmes/acme"


# 1. Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/hotfixes/abc/advance/",
        "/hotfixes/abc/",
        "/releases/abc/deploy/",
        "/releases/abc/",
        "/production-changes/abc/decide/",
        "/production-changes/abc/",
        "/sign-offs/abc/",
        "/oncall/abc/",
        "/known-issues/abc/",
    ],
)
def test_it_answers_404_for_a_non_numeric_id(lead, path):
    client = lead.api()
    # The first method the route serves (405 for the others) must find nothing.
    for send in (client.post, client.get, client.delete):
        response = send(API + path, {}, format="json")
        if response.status_code != 405:
            break
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/p/acme/tickets/", "/p/acme/tickets/mine/"])
def test_it_serves_the_last_page_for_a_huge_page_number(client, lead, programme, path):
    TicketFactory(programme=programme, reporter=lead.user, title="Invoices stuck")
    client.force_login(lead.user)
    response = client.get(path, {"page": str(10**30)})
    assert response.status_code == 200
    assert "Invoices stuck" in response.content.decode()


def test_it_answers_400_for_json_nested_too_deep(lead):
    body = "[" * 100_000 + "]" * 100_000
    response = lead.api().post(f"{API}/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_it_answers_400_for_a_login_nested_too_deep():
    body = "[" * 100_000 + "]" * 100_000
    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


def test_it_answers_400_for_telemetry_nested_too_deep(lead):
    body = "[" * 100_000 + "]" * 100_000
    response = lead.api().post(f"{API}/telemetry/", body, content_type="application/json")
    assert response.status_code == 400
    assert not DataPoint.objects.exists()


def test_it_refuses_a_nul_character_in_a_telemetry_dimension(lead, programme):
    points = [
        {
            "series": "transactions",
            "date": "2026-01-05",
            "value": 3,
            "dimensions": {"business_unit": "Sales"},
        },
        {"series": "transactions", "date": "2026-01-05", "value": 4, "dimensions": {"geography": "EU\x00"}},
    ]
    response = lead.api().post(f"{API}/telemetry/", json.dumps(points), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "dimensions.geography" in response.content.decode()
    assert not DataPoint.objects.exists()


def test_a_decades_old_reported_at_is_history_with_its_clocks_not_a_server_error(lead):
    """Working time is counted by whole weeks (hypercare.calendar), so any span has an answer:
    a lead's ticket reported in 2000 is stored with its breached clocks instead of a 500."""
    response = lead.api().post(
        f"{API}/tickets/",
        {
            "title": "Old one",
            "severity": 3,
            "severity_reason": "import",
            "reported_at": "2000-01-05T09:30:00+00:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert ticket.reported_at.year == 2000
    assert ticket.resolution_due_at.year == 2000  # long breached, and the page can say so


def test_a_reported_at_in_the_future_answers_400_naming_it(lead):
    response = lead.api().post(
        f"{API}/tickets/",
        {
            "title": "Later",
            "severity": 3,
            "severity_reason": "import",
            "reported_at": "2999-01-05T09:30:00+00:00",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "reported_at" in response.json()
    assert not Ticket.objects.exists()


# 2. Webhook targets -----------------------------------------------------------------------------

PRIVATE_URLS = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
]


def _register(persona, url):
    return persona.api().post(
        f"{API}/webhooks/",
        {"name": "Ops", "url": url, "events": ["breach"], "secret": "s" * 20},
        format="json",
    )


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_it_refuses_a_webhook_on_the_internal_network(settings, lead, url):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    response = _register(lead, url)
    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not Webhook.objects.exists()


def test_it_accepts_an_internal_webhook_when_the_setting_allows_it(settings, lead):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    response = _register(lead, "http://127.0.0.1:8000/hook")
    assert response.status_code == 201, response.content


def test_it_accepts_a_webhook_on_a_public_address(settings, lead):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    response = _register(lead, "https://93.184.215.14/hook")
    assert response.status_code == 201, response.content


# 3. API tokens ----------------------------------------------------------------------------------


def _token_client(persona) -> tuple[APIClient, str]:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": persona.user.username, "password": persona.password}
    )
    assert response.status_code == 200
    key = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


def test_it_revokes_the_token_it_is_sent_with(lead):
    client, key = _token_client(lead)
    assert client.get("/api/v1/programmes/").status_code == 200

    assert client.delete("/api/v1/auth/token/").status_code == 204

    assert client.get("/api/v1/programmes/").status_code == 401
    again, new_key = _token_client(lead)
    assert new_key != key
    assert again.get("/api/v1/programmes/").status_code == 200


def test_it_answers_401_to_a_revocation_without_a_token(lead, client):
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
    client.force_login(lead.user)  # a browser session is no token to revoke
    assert client.delete("/api/v1/auth/token/").status_code == 401


def test_it_revokes_the_tokens_when_the_password_changes(lead):
    client, _ = _token_client(lead)
    lead.user.set_password("a-new-long-passphrase-42")
    lead.user.save()
    assert client.get("/api/v1/programmes/").status_code == 401
    assert not Token.objects.filter(user=lead.user).exists()


def test_it_revokes_the_tokens_when_the_password_is_reset(lead):
    client, _ = _token_client(lead)
    form = SetPasswordForm(
        lead.user, {"new_password1": "a-new-long-passphrase-42", "new_password2": "a-new-long-passphrase-42"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert client.get("/api/v1/programmes/").status_code == 401


def test_it_keeps_the_token_when_the_user_is_saved_without_a_password_change(lead):
    client, _ = _token_client(lead)
    lead.user.first_name = "Renamed"
    lead.user.save()
    assert client.get("/api/v1/programmes/").status_code == 200


def test_a_viewers_incomplete_production_change_is_403_not_a_list_of_fields(viewer):
    response = viewer.api().post(f"{API}/production-changes/", {"title": "x"}, format="json")
    assert response.status_code == 403, response.content
    assert "title" not in response.json()
