"""Login throttling per username and per IP, with the same answers for unknown users, and an audit trail."""

import logging

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_username_even_from_another_address(client, desk):
    for _ in range(4):
        assert attempt(client, "desk", "wrong").status_code == 200
    assert attempt(client, "desk", "wrong").status_code == 429  # the fifth failure locks
    response = attempt(client, "desk", PASSWORD, ip="10.0.0.2")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content


def test_five_failures_from_one_address_lock_that_address_for_every_username(client, desk, lead):
    for number in range(5):
        attempt(client, f"guess{number}", "wrong", ip="10.9.9.9")
    assert attempt(client, "lead", PASSWORD, ip="10.9.9.9").status_code == 429
    assert attempt(client, "lead", PASSWORD, ip="10.1.1.1").status_code == 302


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(client, desk):
    known = attempt(client, "desk", "wrong", ip="10.0.0.3")
    unknown = attempt(client, "nobody-here", "wrong", ip="10.0.0.4")
    assert known.status_code == unknown.status_code == 200
    assert b"didn't match" in known.content and b"didn't match" in unknown.content
    for _ in range(5):
        attempt(client, "nobody-here", "wrong", ip="10.0.0.5")
    assert attempt(client, "nobody-here", "wrong", ip="10.0.0.6").status_code == 429


def test_a_successful_login_resets_the_count(client, desk):
    for _ in range(4):
        attempt(client, "desk", "wrong")
    assert attempt(client, "desk", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "desk", "wrong")
    assert attempt(client, "desk", PASSWORD).status_code == 302


def test_the_token_endpoint_is_throttled_too(desk):
    api = APIClient(REMOTE_ADDR="10.2.2.2")
    for _ in range(4):
        assert (
            api.post("/api/v1/auth/token/", {"username": "desk", "password": "x"}, format="json").status_code
            == 400
        )
    api.post("/api/v1/auth/token/", {"username": "desk", "password": "x"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": "desk", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json()


def test_failed_logins_are_audited_with_username_and_address(client, desk, caplog):
    with caplog.at_level(logging.INFO, logger="hypercare.audit"):
        attempt(client, "desk", "wrong", ip="10.3.3.3")
    line = next(r.getMessage() for r in caplog.records if r.name == "hypercare.audit")
    assert (
        line.startswith("login.failed")
        and "username='desk'" in line
        and "ip='10.3.3.3'" in line
        and "at=" in line
    )
