"""Escalation between the tiers and the way a Tier 3 resolution passes back down."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hypercare.models import Notification
from hypercare.vocabulary import EventKind, Status, Tier
from tests.tickets.test_services_transitions import access_of, log, ticket_in
from tickets import services
from tickets.models import Ticket
from tickets.services import TicketStateError

pytestmark = pytest.mark.django_db

STEPS = "1. Open an Opportunity in Finance. 2. Save. Expected: saved. Actual: UNABLE_TO_LOCK_ROW from the Apex trigger."


@pytest.fixture
def desk_access(desk):
    return access_of(desk)


@pytest.fixture
def engineer_access(engineer):
    return access_of(engineer)


@pytest.mark.parametrize("steps", ["", "   ", "it fails"])
def test_it_refuses_escalation_to_tier3_without_replication_steps(desk_access, steps):
    ticket = log(desk_access)
    with pytest.raises(ValidationError) as error:
        services.ticket_escalate(
            access=desk_access, ticket=ticket, to_tier=Tier.TIER3, replication_steps=steps
        )
    assert "replication_steps" in error.value.message_dict
    assert Ticket.objects.get(pk=ticket.pk).tier == Tier.TIER2
    assert not ticket.events.filter(kind=EventKind.ESCALATED).exists()


def test_it_escalates_to_tier3_with_replication_steps_as_an_internal_note(desk_access, desk):
    ticket = log(desk_access)
    services.ticket_take(access=desk_access, ticket=ticket)
    services.ticket_escalate(access=desk_access, ticket=ticket, to_tier=Tier.TIER3, replication_steps=STEPS)
    ticket.refresh_from_db()
    assert ticket.tier == Tier.TIER3
    assert ticket.replication_steps == STEPS
    assert ticket.assignee is None and ticket.team == ""  # the Tier 3 queue picks it up
    event = ticket.events.get(kind=EventKind.ESCALATED)
    assert (event.from_value, event.to_value, event.internal, event.actor) == ("2", "3", True, desk.user)


def test_a_tier3_resolution_comes_back_to_the_escalating_analyst_before_the_reporter_hears(
    desk_access, engineer_access, champion, desk, engineer
):
    ticket = log(access_of(champion))
    services.ticket_take(access=desk_access, ticket=ticket)
    services.ticket_escalate(access=desk_access, ticket=ticket, to_tier=Tier.TIER3, replication_steps=STEPS)
    services.ticket_take(access=engineer_access, ticket=ticket)
    services.ticket_resolve(
        access=engineer_access, ticket=ticket, resolution="Hotfix deployed to the trigger."
    )
    ticket.refresh_from_db()
    # Back in the desk's open queue, with the analyst who escalated it, the resolution only proposed.
    assert (ticket.status, ticket.tier, ticket.assignee) == (Status.IN_PROGRESS, Tier.TIER2, desk.user)
    assert ticket.proposed_resolution == "Hotfix deployed to the trigger." and ticket.resolved_at is None
    assert Ticket.objects.open().filter(pk=ticket.pk, tier=Tier.TIER2).exists()
    assert (
        Notification.objects.filter(recipient=desk.user, kind="resolution_proposed").count() == 2
    )  # app + email
    assert not Notification.objects.filter(recipient=champion.user).exists()
    assert ticket.events.get(kind=EventKind.PROPOSED).internal

    # The desk confirms with the reporter and resolves it: now the reporter is told, and it counts at Tier 3.
    services.ticket_resolve(access=desk_access, ticket=ticket, resolution="")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.resolved_at_tier) == (Status.RESOLVED, Tier.TIER2, Tier.TIER3)
    assert ticket.resolution == "Hotfix deployed to the trigger." and ticket.resolved_by == desk.user
    assert Notification.objects.filter(recipient=champion.user, kind="ticket_resolved").exists()


def test_a_tier3_resolution_is_unassigned_when_the_analyst_left_the_desk(
    desk_access, engineer_access, desk, champion
):
    from hypercare.models import Membership

    ticket = log(access_of(champion))
    services.ticket_escalate(access=desk_access, ticket=ticket, to_tier=Tier.TIER3, replication_steps=STEPS)
    Membership.objects.filter(pk=desk.membership.pk).update(roles=["viewer"])
    services.ticket_resolve(access=engineer_access, ticket=ticket, resolution="Sharing rule fixed.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.assignee) == (Status.IN_PROGRESS, Tier.TIER2, None)
    assert not Notification.objects.filter(kind="resolution_proposed").exists()


def test_a_desk_resolution_records_tier_2(desk_access):
    ticket = ticket_in(Status.IN_PROGRESS, desk_access)
    services.ticket_resolve(access=desk_access, ticket=ticket, resolution="Permission set assigned.")
    assert Ticket.objects.get(pk=ticket.pk).resolved_at_tier == Tier.TIER2


def test_tier3_can_send_a_ticket_back_to_the_desk_without_steps(desk_access, engineer_access):
    ticket = log(desk_access)
    services.ticket_escalate(access=desk_access, ticket=ticket, to_tier=Tier.TIER3, replication_steps=STEPS)
    services.ticket_escalate(
        access=engineer_access, ticket=ticket, to_tier=Tier.TIER2, note="Not a defect: a sharing rule."
    )
    ticket.refresh_from_db()
    assert ticket.tier == Tier.TIER2
    assert ticket.events.filter(kind=EventKind.TIER).last().note == "Not a defect: a sharing rule."


def test_a_champions_own_fix_is_resolved_at_tier_1_and_a_reopen_goes_to_the_desk(champion):
    access = access_of(champion)
    ticket = services.ticket_create(
        access=access,
        title="How do I clone a quote?",
        category="how_to",
        answers=services.TriageAnswers("individual", "simple", False),
        resolved_at_tier1=True,
        resolution="Showed the Clone button on the quote layout.",
    )
    assert (ticket.tier, ticket.status, ticket.resolved_at_tier) == (Tier.TIER1, Status.RESOLVED, Tier.TIER1)
    assert ticket.is_training_gap and ticket.kind == "training gap"
    services.ticket_reopen(access=access, ticket=ticket, reason="The button is missing for my team.")
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status, ticket.resolved_at_tier) == (Tier.TIER2, Status.IN_PROGRESS, None)


def test_a_champion_cannot_escalate_to_tier3(champion, desk_access):
    ticket = log(access_of(champion))
    with pytest.raises(PermissionDenied):
        services.ticket_escalate(
            access=access_of(champion), ticket=ticket, to_tier=Tier.TIER3, replication_steps=STEPS
        )


def test_it_refuses_to_escalate_a_closed_ticket_or_to_the_same_tier(desk_access):
    closed = ticket_in(Status.CLOSED, desk_access)
    with pytest.raises(TicketStateError, match="Only an open ticket"):
        services.ticket_escalate(
            access=desk_access, ticket=closed, to_tier=Tier.TIER3, replication_steps=STEPS
        )
    open_ticket = log(desk_access)
    with pytest.raises(TicketStateError, match="already at Tier 2"):
        services.ticket_escalate(access=desk_access, ticket=open_ticket, to_tier=Tier.TIER2)
