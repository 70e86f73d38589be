"""Aggregate leakage: nothing of programme B reaches A's members.

Programme B's every user-writable field carries a sentinel (world.SENTINEL), and its people's
names too. No page, htmx partial, API answer, chart, CSV export, search result or email that
A's members get may contain it, nor B's slug; and A's counts count A's rows only.
"""

from __future__ import annotations

import pytest
from django.core import mail

from hypercare.models import Notification
from hypercare.notifications import deliver_emails
from tests.security.access_matrix import MATRIX
from tests.security.probe import OK, body_text, callers, param_values, url_for
from tests.security.routes import inventory
from tests.security.world import MEMBER_ROLES, SENTINEL

SEARCHES = {"q": SENTINEL, "search": SENTINEL, "title": SENTINEL}


def _readable_urls(world, role):
    """Every GET route of A the role may read, with every KPI/chart variant, plus searches."""
    for name, routes in sorted(inventory().items()):
        entry = MATRIX.get(name)
        if entry is None or entry.kind not in ("page", "api", "public"):
            continue
        if entry.methods.get("GET", {}).get(role) != OK:
            continue
        route = routes[0]
        variants = max((len(param_values(world.a).get(p, [1])) for p in route.params), default=1)
        for variant in range(variants):
            url = url_for(name, route.params, world.a, entry.obj, variant=variant)
            yield name, entry, url


@pytest.mark.parametrize("role", list(MEMBER_ROLES))
def test_no_page_partial_api_or_export_shows_b_to_a_member(shared_world, db, role):
    _check_no_leak(shared_world, role)


@pytest.mark.parametrize("role", ["lead", "champion"])
def test_cached_dashboard_figures_do_not_cross_programmes(shared_world, db, role, settings):
    """With the dashboards' aggregate cache on (as in production), warmed by programme B first."""
    from django.core.cache import cache

    settings.HYPERCARE_AGGREGATE_CACHE_SECONDS = 60
    cache.clear()
    outsider = callers(shared_world.a, shared_world.b)["outsider"]
    b = shared_world.b.programme.slug
    for path in ("triage/", "scorecard/", "exit-gate/", "knowledge-transfer/", ""):
        assert outsider.html.get(f"/p/{b}/{path}").status_code == 200
    try:
        _check_no_leak(shared_world, role)
    finally:
        cache.clear()


def _check_no_leak(world, role):
    caller = callers(world.a, world.b)[role]
    leaks = []
    seen = 0
    for name, entry, url in _readable_urls(world, role):
        client = caller.api if entry.kind == "api" else caller.html
        requests = [({}, {})]
        if entry.kind == "page":
            requests.append(({}, {"HX-Request": "true"}))
        # Searches, as the three kinds of visibility (everything, own tickets, read-only).
        if role in ("lead", "champion", "viewer"):
            requests.append((SEARCHES, {"HX-Request": "true"} if entry.kind == "page" else {}))
        for params, headers in requests:
            response = client.get(url, params, headers=headers)
            seen += 1
            text = body_text(response).replace(f"={SENTINEL}", "").replace(f'value="{SENTINEL}"', "")
            text = text.replace(f"%3D{SENTINEL}", "").replace(f'"{SENTINEL}"', "")
            for marker in (SENTINEL, world.b.programme.slug):
                if marker in text:
                    at = text.index(marker)
                    leaks.append(
                        f"{url} {params or ''} {headers or ''} [{name}]: …{text[max(0, at - 80) : at + 40]}…"
                    )
    assert seen > 60
    assert not leaks, f"{role} sees programme B:\n" + "\n".join(leaks)


def test_counts_and_lists_count_only_a(shared_world, db):
    world = shared_world
    lead = callers(world.a, world.b)["lead"]
    slug = world.a.programme.slug
    tickets = lead.api.get(f"/api/v1/programmes/{slug}/tickets/").json()
    assert tickets["count"] == world.a.programme.tickets.count()
    programmes = lead.api.get("/api/v1/programmes/").json()
    assert [p["slug"] for p in programmes["results"]] == [slug]
    members = lead.api.get(f"/api/v1/programmes/{slug}/members/").json()
    usernames = {m["username"] for m in members["results"]}
    assert usernames == {m.user.username for m in world.a.people.values()}
    snapshots = lead.api.get(f"/api/v1/programmes/{slug}/snapshots/").json()
    results = snapshots["results"] if isinstance(snapshots, dict) else snapshots
    assert results and all(
        row.get("cumulative_intake", 0) <= world.a.programme.tickets.count() for row in results
    )


def test_no_email_or_notification_to_a_member_mentions_b(shared_world, db):
    from datetime import timedelta

    from django.utils import timezone

    from handover.services.weekly import weekly_report_send

    world = shared_world
    mail.outbox = []
    deliver_emails()
    # The world sent today's summary already: tomorrow's is a new one, with every ticket in it.
    weekly_report_send(programme=world.a.programme, at=timezone.now() + timedelta(days=1))
    deliver_emails()
    a_emails = {m.user.email for m in world.a.people.values()}
    to_a = [message for message in mail.outbox if set(message.to) & a_emails]
    assert to_a, "expected some email to A's members"
    for message in to_a:
        content = (
            message.subject
            + message.body
            + "".join(str(alt[0]) for alt in getattr(message, "alternatives", []))
        )
        assert SENTINEL not in content, message.subject
        assert world.b.programme.slug not in content, message.subject
    for notification in Notification.objects.filter(recipient__in=[m.user for m in world.a.people.values()]):
        assert SENTINEL not in notification.subject + notification.body + notification.link
