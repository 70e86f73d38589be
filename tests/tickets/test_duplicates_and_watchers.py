"""Mark as duplicate, and watchers: who follows a ticket and what they are told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hypercare.models import Notification
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import Ticket, TicketWatcher

pytestmark = pytest.mark.django_db


def told(persona, kind: str) -> list[str]:
    return list(
        Notification.objects.filter(recipient=persona.user, kind=kind, channel="in_app").values_list(
            "subject", flat=True
        )
    )


def test_a_duplicate_is_closed_with_a_link_and_its_reporter_told_and_following(
    client, desk, champion, make_persona
):
    original = log_ticket(champion, title="Quotes do not save")
    colleague = make_persona("champion", username="colleague")
    duplicate = log_ticket(colleague, title="Cannot save my quote")
    client.force_login(desk.user)
    response = client.post(
        f"/p/acme/tickets/{duplicate.reference}/duplicate/", {"original": original.reference}
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == "closed" and duplicate.duplicate_of == original
    assert TicketWatcher.objects.filter(ticket=original, user=colleague.user).exists()
    assert told(colleague, "ticket_duplicate") == [
        f"{duplicate.reference} is a duplicate of {original.reference}: Quotes do not save"
    ]
    html = client.get(f"/p/acme/tickets/{duplicate.reference}/").content.decode()
    assert f'href="/p/acme/tickets/{original.reference}/">Duplicate of {original.reference}</a>' in html
    assert f"closed it as a duplicate of {original.reference}" in html
    # Intake still counts it: it was reported, whatever became of it.
    day = duplicate.reported_at.replace(hour=0, minute=0, second=0, microsecond=0)
    assert duplicate in Ticket.objects.reported_between(day, day + timedelta(days=1))


def test_a_duplicate_must_name_another_ticket_of_the_programme(client, desk, champion):
    one, two = log_ticket(champion, title="One"), log_ticket(champion, title="Two")
    services.ticket_mark_duplicate(access=access_of(desk), ticket=two, original=one)
    three = log_ticket(champion, title="Three")
    client.force_login(desk.user)
    for original, message in (
        (three.reference, "cannot be a duplicate of itself"),
        ("ACME-999", "No ticket ACME-999 in this programme."),
        (two.reference, f"{two.reference} is itself a duplicate of {one.reference}: choose that one."),
    ):
        html = client.post(
            f"/p/acme/tickets/{three.reference}/duplicate/", {"original": original}
        ).content.decode()
        assert message in html
    assert Ticket.objects.get(pk=three.pk).status == "new"
    assert (
        client.post(f"/p/acme/tickets/{one.reference}/duplicate/", {"original": three.reference}).status_code
        == 302
    )
    client.force_login(champion.user)
    assert (
        client.post(f"/p/acme/tickets/{three.reference}/duplicate/", {"original": one.reference}).status_code
        == 403
    )


def test_reporters_and_assignees_follow_by_default_and_hear_of_public_changes(desk, engineer, champion):
    ticket = log_ticket(champion)
    services.ticket_assign(access=access_of(desk), ticket=ticket, assignee=engineer.user)
    assert set(TicketWatcher.objects.filter(ticket=ticket).values_list("user__username", flat=True)) == {
        "champion",
        "engineer",
    }
    services.ticket_comment(access=access_of(desk), ticket=ticket, body="Which quote?")
    services.ticket_comment(access=access_of(desk), ticket=ticket, body="Tier 3 note", internal=True)
    services.ticket_transition(access=access_of(desk), ticket=ticket, status="waiting_on_reporter")
    services.ticket_resolve(access=access_of(engineer), ticket=ticket, resolution="Patched.")
    assert sorted(told(champion, "ticket_watched")) == [
        f"{ticket.reference} is now waiting on reporter: Cannot save a quote",
        f"New comment on {ticket.reference}: Cannot save a quote",
    ]  # not the internal note; the resolution through its own notice, not twice
    assert told(champion, "ticket_resolved")
    # The engineer is told of the others' changes, never of their own.
    assert len(told(engineer, "ticket_watched")) == 2


def test_any_member_who_sees_a_ticket_can_follow_and_unfollow_it(client, viewer, desk, champion):
    ticket = log_ticket(champion)
    client.force_login(viewer.user)
    page = f"/p/acme/tickets/{ticket.reference}/"
    assert ">Follow</button>" in client.get(page).content.decode()
    client.post(f"{page}follow/", {"follow": "1"})
    assert ">Unfollow</button>" in client.get(page).content.decode()
    services.ticket_comment(access=access_of(desk), ticket=ticket, body="Looking into it.")
    assert told(viewer, "ticket_watched")
    client.post(f"{page}follow/", {"follow": "0"})
    assert not TicketWatcher.objects.filter(ticket=ticket, user=viewer.user).exists()


def test_a_champion_cannot_follow_a_ticket_they_cannot_see(client, champion, make_persona):
    other_unit = make_persona("champion", username="finance-champ", business_unit="Finance")
    hidden = log_ticket(other_unit, title="Finance only")
    client.force_login(champion.user)
    assert client.post(f"/p/acme/tickets/{hidden.reference}/follow/", {"follow": "1"}).status_code == 404
    assert not TicketWatcher.objects.filter(ticket=hidden, user=champion.user).exists()


def test_the_api_marks_a_duplicate_and_follows_and_unfollows(desk, champion, viewer):
    original, duplicate = log_ticket(champion, title="Original"), log_ticket(champion, title="Again")
    api = "/api/v1/programmes/acme/tickets/"
    response = desk.api().post(
        f"{api}{duplicate.reference}/duplicate/", {"original": "acme-999"}, format="json"
    )
    assert response.status_code == 400 and "original" in response.json()
    response = desk.api().post(
        f"{api}{duplicate.reference}/duplicate/", {"original": original.reference}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed" and response.json()["duplicate_of"] == original.reference
    response = desk.api().post(
        f"{api}{duplicate.reference}/duplicate/", {"original": original.reference}, format="json"
    )
    assert response.status_code == 409
    assert viewer.api().post(f"{api}{original.reference}/watch/").status_code == 204
    assert TicketWatcher.objects.filter(ticket=original, user=viewer.user).exists()
    assert viewer.api().post(f"{api}{original.reference}/unwatch/").status_code == 204
    assert not TicketWatcher.objects.filter(ticket=original, user=viewer.user).exists()
