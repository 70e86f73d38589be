"""Deploying a release whose hotfix fixes a known issue: the known issue is fixed (naming the release and
the day) on every screen, each linked ticket's reporter is told once, and the desk resolves all linked
tickets with the release note in one action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hypercare.models import Notification
from hypercare.roles import Role, Team
from releases import services
from tests.factories import TicketFactory
from tickets.models import KnownIssueStatus, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployed(programme, lead, engineer, make_hotfix, known_issue, sev3_ticket, make_persona):
    """A release deployed now whose hotfix names sev3_ticket and fixes `known_issue`, which two more
    tickets are linked to (one of them sev3_ticket's reporter's)."""
    known_issue.status, known_issue.fix_expected_on = (
        KnownIssueStatus.FIX_IN_PROGRESS,
        timezone.localdate() + timedelta(days=4),
    )
    known_issue.save()
    other = make_persona(Role.CHAMPION, team=Team.BAU, username="reporter4", business_unit="Sales")
    linked = [
        TicketFactory(
            programme=programme,
            severity=3,
            title="Save lock again",
            reporter=other.user,
            known_issue=known_issue,
        ),
        TicketFactory(
            programme=programme,
            severity=3,
            title="Lock on save",
            reporter=sev3_ticket.reporter,
            known_issue=known_issue,
        ),
    ]
    release = services.release_create(programme=programme, by=lead.user, planned_for=timezone.localdate())
    services.release_add_hotfix(release=release, hotfix=make_hotfix("uat_signed_off"), by=engineer.user)
    services.release_deploy(release=release, by=lead.user)
    release.refresh_from_db()
    return release, linked


def test_deploying_marks_the_known_issue_fixed_and_tells_each_reporter_once(
    deployed, known_issue, sev3_ticket
):
    release, linked = deployed
    known_issue.refresh_from_db()
    assert known_issue.status == KnownIssueStatus.FIXED
    assert (known_issue.fixed_in, known_issue.fixed_at) == (release.name, release.deployed_at)
    told = list(
        Notification.objects.filter(
            channel="in_app", kind__in=["fix_deployed", "known_issue_fixed"]
        ).values_list("recipient__username", flat=True)
    )
    assert sorted(told) == sorted([sev3_ticket.reporter.username, "reporter4"]), "each reporter once"


def test_no_screen_shows_the_fixed_known_issue_as_expected(client, deployed, known_issue, champion):
    release, _ = deployed
    client.force_login(champion.user)
    happening = client.get(reverse("releases:whats_happening", args=["acme"])).content.decode()
    known = happening.split('id="known-issues"')[1].split("</section>")[0]
    assert known_issue.title not in known, "no longer listed as a problem waiting for its fix"
    assert "we expect a fix by" not in happening
    fixed = happening.split('id="recent-fixes"')[1]
    assert f"“{known_issue.title}” no longer needs its workaround" in fixed
    page = client.get(reverse("tickets:known_issues", args=["acme"])).content.decode()
    card = page.split(f'id="ki-{known_issue.pk}"')[1].split("</li>")[0]
    assert f"Fixed in {release.name}" in card and "Fix expected" not in card
    notes = client.get(reverse("releases:release", args=["acme", release.pk])).content.decode()
    assert f"Known issue “{known_issue.title}” is fixed." in notes


def test_the_desk_resolves_every_linked_ticket_with_the_release_note_in_one_action(
    deployed, desk, champion, sev3_ticket, client
):
    release, linked = deployed
    url = f"/api/v1/programmes/acme/releases/{release.pk}/resolve-tickets/"
    assert champion.api().post(url).status_code == 403
    client.force_login(desk.user)
    page = client.get(f"/p/acme/releases/{release.pk}/").content.decode()
    assert 'id="resolve-linked"' in page and "Resolve 3 linked tickets" in page
    response = desk.api().post(url)
    assert response.status_code == 200
    expected = sorted(t.reference for t in [sev3_ticket, *linked])
    assert sorted(response.json()["resolved"]) == expected and response.json()["refused"] == {}
    for ticket in Ticket.objects.filter(reference__in=expected):
        assert ticket.status == "resolved" and ticket.resolution.startswith(f"Fixed in {release.name}")
        assert "Quote PDFs show the new company logo again" in ticket.resolution
    assert Notification.objects.filter(kind="ticket_resolved", channel="in_app").count() == 3
    assert desk.api().post(url).json() == {"resolved": [], "refused": {}}
    assert 'id="resolve-linked"' not in client.get(f"/p/acme/releases/{release.pk}/").content.decode()
