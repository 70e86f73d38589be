"""Cross-programme tampering: A's members replay programme B's identifiers.

In paths (A's slug with B's object), in query strings and in bodies, B's identifiers must
behave exactly like identifiers that do not exist: the same status and the same page, and
nothing anywhere in the database changes.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from hypercare.models import Notification
from tests.security.access_matrix import MATRIX, METHODS, REFUSED
from tests.security.dbstate import changed, fingerprint
from tests.security.probe import HIDDEN, OK, body_text, callers, classify, send, url_for
from tests.security.routes import inventory
from tests.security.world import SENTINEL

MISSING_PK = 987654


class Missing:
    """Stands for an object that does not exist: a pk and a ticket reference nobody has."""

    pk = MISSING_PK
    reference = "ACME-987654"


def _normalised(response, *identifiers) -> str:
    body = body_text(response)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
    for identifier in identifiers:
        body = body.replace(str(identifier), "<id>")
    return body


def _object_routes():
    for name, routes in sorted(inventory().items()):
        entry = MATRIX.get(name)
        if entry is None or entry.kind not in ("page", "api") or not entry.obj:
            continue
        yield name, routes[0], entry


def _url_with(world, route, entry, obj):
    """A's slug, with `obj` (B's, or a missing one) behind the route's object parameter."""
    side = world.a
    saved = side.objects.get(entry.obj)
    ticket_saved = side.objects.get("ticket")
    side.objects[entry.obj] = obj
    if "reference" in route.params and entry.obj != "ticket":
        # Routes below a ticket (attachments): replay B's ticket with B's object.
        side.objects["ticket"] = world.b.objects["ticket"] if obj is not Missing else Missing
    try:
        return url_for(route.name, route.params, side, entry.obj)
    finally:
        side.objects[entry.obj] = saved
        side.objects["ticket"] = ticket_saved


@pytest.mark.parametrize("role", ["lead", "champion", "desk"])
def test_b_identifiers_in_a_paths_are_indistinguishable_from_missing_ones(shared_world, db, role):
    world = shared_world
    caller = callers(world.a, world.b)[role]
    before = fingerprint()
    wrong = []
    for name, route, entry in _object_routes():
        b_object = world.b.objects[entry.obj]
        for method in entry.methods:
            if method not in METHODS:
                continue
            client = caller.api if entry.kind == "api" else caller.html
            body = entry.data.get(method, lambda side: None)(world.b)
            b_url = _url_with(world, route, entry, b_object)
            missing_url = _url_with(world, route, entry, Missing)
            b_response = send(client, method, b_url, data=body, api=entry.kind == "api")
            body = entry.data.get(method, lambda side: None)(world.b)
            missing_response = send(client, method, missing_url, data=body, api=entry.kind == "api")
            # A role the route lets in must get 404; a role it keeps out may get its 403, as long
            # as a missing object gets the very same answer.
            if entry.methods[method].get(role) in (OK, REFUSED) and classify(b_response) != HIDDEN:
                wrong.append(f"{method} {b_url} [{name}]: {b_response.status_code}, not 404")
                continue
            if b_response.status_code != missing_response.status_code:
                wrong.append(f"{method} {b_url} [{name}]: {b_response.status_code}, a missing one gets "
                             f"{missing_response.status_code}")  # fmt: skip
                continue
            ids = [b_object.pk, getattr(b_object, "reference", None), MISSING_PK, Missing.reference]
            ids = [i for i in ids if i]
            if _normalised(b_response, *ids) != _normalised(missing_response, *ids):
                wrong.append(f"{method} {b_url} [{name}]: the 404 differs from a missing object's")
    assert not wrong, "\n".join(wrong)
    assert not changed(before, fingerprint()), "B's identifiers changed data"


def test_b_identifiers_in_query_strings_filter_nothing_in(shared_world, db):
    world = shared_world
    caller = callers(world.a, world.b)["lead"]
    b, a = world.b.objects, world.a
    slug = a.programme.slug
    cases = [
        (caller.html, f"/p/{slug}/tickets/", {"known_issue": b["known_issue"].pk}),
        (caller.html, f"/p/{slug}/tickets/", {"q": b["ticket"].reference}),
        (caller.html, f"/p/{slug}/tickets/new/assist/", {"title": "Zq9Sentinel-title", "HX": 1}),
        (caller.api, f"/api/v1/programmes/{slug}/tickets/", {"known_issue": b["known_issue"].pk}),
        (caller.api, f"/api/v1/programmes/{slug}/tickets/", {"assignee": world.b.user("desk").username}),
        (caller.api, f"/api/v1/programmes/{slug}/tickets/", {"search": b["ticket"].reference}),
        (caller.html, f"/p/{slug}/tickets/export.csv", {"known_issue": b["known_issue"].pk}),
    ]
    before = fingerprint()
    for client, url, params in cases:
        headers = {"HX-Request": "true"} if params.pop("HX", None) else {}
        response = client.get(url, params, headers=headers)
        assert response.status_code in (200, 400), (url, params, response.status_code)
        content = body_text(response)
        # The query itself may be echoed in the search box; B's data must not appear.
        content = content.replace("Zq9Sentinel-title", "")
        assert SENTINEL not in content, (url, params)
    assert not changed(before, fingerprint())


def test_b_identifiers_in_bodies_change_nothing(shared_world, db):
    """Bodies naming B's objects are refused like bodies naming missing ones, and nothing moves."""
    world = shared_world
    caller = callers(world.a, world.b)["lead"]
    desk = callers(world.a, world.b)["desk"]
    a, b = world.a.objects, world.b.objects
    slug = world.a.programme.slug
    ref = a["ticket"].reference
    b_notifications = list(
        Notification.objects.filter(programme=world.b.programme).values_list("pk", flat=True)
    )
    assert b_notifications
    cases = [
        # (client, method, url, body with B's id, the same body with a missing id, api?)
        (desk.html, "POST", f"/p/{slug}/tickets/{ref}/link/", {"known_issue": b["known_issue"].pk},
         {"known_issue": MISSING_PK}, False),
        (desk.api, "POST", f"/api/v1/programmes/{slug}/tickets/{ref}/link/", {"known_issue": b["known_issue"].pk},
         {"known_issue": MISSING_PK}, True),
        (desk.html, "POST", f"/p/{slug}/tickets/{ref}/assign/", {"assignee": world.b.user("desk").pk},
         {"assignee": MISSING_PK}, False),
        (desk.api, "POST", f"/api/v1/programmes/{slug}/tickets/{ref}/assign/",
         {"assignee": world.b.user("desk").username}, {"assignee": "nobody-at-all"}, True),
        (desk.api, "POST", f"/api/v1/programmes/{slug}/hotfixes/",
         {"title": "x", "tickets": [b["ticket"].reference]}, {"title": "x", "tickets": ["GLX-987654"]}, True),
        (desk.api, "POST", f"/api/v1/programmes/{slug}/hotfixes/",
         {"title": "x", "tickets": [a["ticket"].reference], "known_issue": b["known_issue"].pk},
         {"title": "x", "tickets": [a["ticket"].reference], "known_issue": MISSING_PK}, True),
        (desk.html, "POST", f"/p/{slug}/releases/{a['release'].pk}/hotfixes/", {"hotfix": b["hotfix"].pk},
         {"hotfix": MISSING_PK}, False),
        (caller.html, "POST", f"/p/{slug}/notifications/read/", {"id": b_notifications[0]}, {"id": MISSING_PK},
         False),
        (caller.html, "POST", f"/p/{slug}/triage/rota/", {"user": world.b.user("desk").pk,
         "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T17:00"},
         {"user": MISSING_PK, "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T17:00"}, False),
        (caller.api, "POST", f"/api/v1/programmes/{slug}/oncall/", {"user": world.b.user("desk").username,
         "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T17:00:00Z"},
         {"user": "nobody-at-all", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T17:00:00Z"}, True),
        (caller.html, "POST", f"/p/{slug}/handover/", {"title": "Runbook", "owner": world.b.user("lead").pk},
         {"title": "Runbook", "owner": MISSING_PK}, False),
        (caller.api, "POST", f"/api/v1/programmes/{slug}/production-changes/",
         {"title": "t", "component": "c", "description": "d", "hotfix": b["hotfix"].pk,
          "impact_assessment": "Affects nobody at all, really; reversible."},
         {"title": "t", "component": "c", "description": "d", "hotfix": MISSING_PK,
          "impact_assessment": "Affects nobody at all, really; reversible."}, True),
    ]  # fmt: skip
    before = fingerprint()
    wrong = []
    for client, method, url, with_b, with_missing, is_api in cases:
        b_response = send(client, method, url, data=with_b, api=is_api)
        missing_response = send(client, method, url, data=with_missing, api=is_api)
        if b_response.status_code != missing_response.status_code:
            wrong.append(f"{method} {url} {with_b}: {b_response.status_code} but {missing_response.status_code}"
                         " for a missing id")  # fmt: skip
        if b_response.status_code < 300 and b_response.status_code != 200:
            wrong.append(f"{method} {url} {with_b}: accepted ({b_response.status_code})")
    assert not wrong, "\n".join(wrong)
    assert not changed(before, fingerprint()), "a body naming B's objects changed data"


def test_b_ingestion_token_opens_nothing_in_a(shared_world, db):
    world = shared_world
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secrets['ingestion_key']}")
    a_telemetry = f"/api/v1/programmes/{world.a.programme.slug}/telemetry/"
    point = [{"series": world.a.objects["series"].slug, "date": "2026-01-05", "value": 1}]
    before = fingerprint()
    response = client.post(a_telemetry, point, format="json")
    assert response.status_code == 404
    missing = client.post("/api/v1/programmes/no-such-programme/telemetry/", point, format="json")
    assert missing.status_code == 404 and missing.json() == response.json()
    # Nor any other endpoint of A or B: the token is for telemetry only.
    for url in (f"/api/v1/programmes/{world.a.programme.slug}/tickets/", "/api/v1/programmes/"):
        assert client.get(url).status_code == 401
    after = fingerprint()
    # Using a token stamps its last use; nothing else may change.
    assert [t for t in changed(before, after) if not t.startswith("metrics_ingestiontoken")] == []


def test_a_members_cannot_reach_b_at_all(shared_world, db):
    world = shared_world
    client = Client()
    client.force_login(world.a.user("lead"))
    b_slug = world.b.programme.slug
    for url in (f"/p/{b_slug}/", f"/p/{b_slug}/tickets/", f"/api/v1/programmes/{b_slug}/"):
        assert client.get(url).status_code == 404
        assert client.get(url.replace(b_slug, "no-such-programme")).status_code == 404
