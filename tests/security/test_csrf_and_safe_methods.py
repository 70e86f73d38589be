"""CSRF: every state-changing route refuses a request without a token. GET changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.security.access_matrix import MATRIX, REFUSED, entry_for
from tests.security.dbstate import changed, fingerprint
from tests.security.probe import OK, body_text, send, url_for
from tests.security.routes import inventory
from tests.security.world import MEMBER_ROLES

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Not cookie-authenticated, so there is no session to ride on: the token exchange takes a
# password, and ingestion/API calls carry their token in a header a browser never adds.
# Slack and Teams sign their requests instead (intake.chat.views) and never read cookies.
NO_SESSION = {"api:api-token", "integrations:slack", "integrations:teams"}


def _allowed_role(outcomes: dict) -> str | None:
    """A member of A the route lets through (so a refusal can only be the CSRF check's)."""
    return next((role for role in MEMBER_ROLES if outcomes.get(role) in (OK, REFUSED)), None)


def test_every_state_changing_route_refuses_a_request_without_csrf_token(shared_world, db):
    world = shared_world
    clients = {}
    for role in MEMBER_ROLES:
        for kind, cls in (("api", APIClient), ("page", Client)):
            # A logged-in browser session, without the CSRF cookie/token pair.
            clients[kind, role] = cls(enforce_csrf_checks=True)
            clients[kind, role].force_login(world.a.user(role))
    before = fingerprint()
    checked, wrong = 0, []
    for name, routes in sorted(inventory().items()):
        entry = entry_for(name)
        if entry is None or entry.kind == "admin" or name in NO_SESSION:
            continue
        route = routes[0]
        for method, outcomes in entry.methods.items():
            if method not in UNSAFE:
                continue
            role = _allowed_role(outcomes) if entry.kind in ("page", "api") else "lead"
            if role is None:
                continue
            client = clients["api" if entry.kind == "api" else "page", role]
            url = url_for(name, route.params, world.a, entry.obj)
            body = entry.data.get(method, lambda side: None)(world.a)
            response = send(client, method, url, data=body, api=entry.kind == "api")
            checked += 1
            text = body_text(response)
            if response.status_code != 403 or "CSRF" not in text:
                wrong.append(f"{method} {url} [{name}] as {role}: {response.status_code}")
    assert checked > 60
    assert not wrong, "accepted without a CSRF token:\n" + "\n".join(wrong)
    assert not changed(before, fingerprint())


def test_login_and_password_forms_refuse_a_request_without_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    for url in ("/accounts/login/", "/accounts/password_reset/", "/admin/login/"):
        response = client.post(url, {"username": "lead", "password": "x", "email": "x@example.com"})
        assert response.status_code == 403, url


def _get_every_route(world, client_for):
    for name, routes in sorted(inventory().items()):
        entry = MATRIX.get(name)
        if entry is None or "GET" not in entry.methods or entry.kind == "admin":
            continue
        route = routes[0]
        url = url_for(name, route.params, world.a, entry.obj)
        client = client_for(entry)
        client.get(url)
        client.head(url)
        if entry.kind == "page":
            client.get(url, headers={"HX-Request": "true"})


@pytest.mark.parametrize("role", ["lead", "champion", "viewer", "anonymous"])
def test_no_get_changes_anything(shared_world, db, role):
    world = shared_world
    html, api = Client(raise_request_exception=False), APIClient()
    if role != "anonymous":
        html.force_login(world.a.user(role))
        api.force_authenticate(world.a.user(role))
    before = fingerprint()
    _get_every_route(world, lambda entry: api if entry.kind == "api" else html)
    assert not changed(before, fingerprint()), "a GET changed the database"
