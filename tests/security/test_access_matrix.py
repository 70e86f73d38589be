"""Every role against every route and method: HTML pages, htmx partials and the API.

One test per role walks the whole matrix against the shared two-programme world; a probe that
writes is rolled back, so each probe sees the same world. Methods a route does not declare must
answer 405 (checked as A's lead), so the matrix cannot silently miss a method a view accepts.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.access_matrix import METHODS, REFUSED, entry_for
from tests.security.dbstate import fingerprint
from tests.security.probe import (
    LOGIN,
    NOT_ALLOWED,
    OK,
    callers,
    classify,
    rolled_back,
    send,
    url_for,
)
from tests.security.routes import inventory
from tests.security.world import ROLES


def _probe(world, caller, route, method, entry, *, htmx=False):
    url = url_for(route.name, route.params, world.a, entry.obj)
    body = entry.data.get(method, lambda side: None)(world.a)
    client = caller.api if entry.kind == "api" else caller.html
    if route.name in ("logout", "admin:logout"):
        # Logging out empties the client's cookie jar: use a throwaway client.
        client = Client(raise_request_exception=False)
        if caller.role != "anonymous":
            client.force_login(caller.html.session_user)
    with rolled_back():
        before = fingerprint() if entry.methods.get(method, {}).get(caller.role) == REFUSED else None
        response = send(client, method, url, data=body, htmx=htmx, api=entry.kind == "api")
        outcome = classify(response)
        if before is not None and outcome == OK:
            outcome = REFUSED if fingerprint() == before else "ok (and it changed data)"
    return url, outcome, response


def _check_role(world, role):
    caller = callers(world.a, world.b)[role]
    for client in (caller.html, caller.api):
        client.raise_request_exception = False
    caller.html.session_user = (
        world.a.people[role].user
        if role in world.a.people
        else (world.b.people["lead"].user if role == "outsider" else None)
    )
    wrong = []
    for name, routes in sorted(inventory().items()):
        entry = entry_for(name)
        if entry is None or entry.kind == "admin":
            continue
        route = routes[0]
        for method in METHODS:
            expected = entry.methods.get(method, {}).get(role)
            if expected is None:
                if role != "lead" or entry.kind not in ("page", "api"):
                    continue
                expected = NOT_ALLOWED
            url, got, response = _probe(world, caller, route, method, entry)
            if got != expected:
                wrong.append(
                    f"{method} {url} [{name}]: expected {expected}, got {got} ({response.status_code})"
                )
            if method == "GET" and entry.kind == "page" and entry.htmx and expected != NOT_ALLOWED:
                url, got, response = _probe(world, caller, route, method, entry, htmx=True)
                if got != expected:
                    wrong.append(
                        f"htmx {url} [{name}]: expected {expected}, got {got} ({response.status_code})"
                    )
    return wrong


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_what_the_matrix_declares(shared_world, db, role):
    wrong = _check_role(shared_world, role)
    assert not wrong, f"{role}: {len(wrong)} routes answer otherwise than declared:\n  " + "\n  ".join(wrong)


def test_anonymous_is_sent_to_log_in_everywhere_but_login_health_and_static(shared_world, db):
    client = Client(raise_request_exception=False)
    open_doors = {"healthz", "api-schema", "api-docs", "api:api-token"}
    for name in inventory():
        entry = entry_for(name)
        if entry.kind in ("auth", "admin") or name in open_doors:
            continue
        for method, outcomes in entry.methods.items():
            assert outcomes["anonymous"] in (LOGIN, "401"), f"{name} {method} is open to anonymous visitors"
    response = client.get("/static/js/htmx.min.js")
    assert response.status_code in (200, 404)  # served without a login when present


def test_every_admin_url_sends_members_to_the_admin_login(shared_world, db):
    clients = {"anonymous": Client()}
    lead = Client()
    lead.force_login(shared_world.a.user("lead"))
    clients["lead"] = lead
    wrong = []
    for name, routes in inventory().items():
        entry = entry_for(name)
        if entry.kind != "admin":
            continue
        for route in routes:
            url = "/" + route.path.replace("<path:content_type_id>", "1").replace("<path:object_id>", "1")
            url = url.replace("<id>", "1").replace("^", "").replace("$", "")
            if "(?P<" in url:
                url = "/admin/tickets/"  # the app-list and catch-all patterns
            for role, client in clients.items():
                response = client.get(url)
                if classify(response) != LOGIN:
                    wrong.append(f"{role} GET {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
