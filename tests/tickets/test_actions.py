"""The action table on its own: who may do what to a ticket, and how a submitted action is
validated and dispatched to its service (refusals land on the form, nothing is half done)."""

from __future__ import annotations

import pytest

from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.actions import TICKET_ACTIONS, action_form, allowed_actions, run_action
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(champion):
    return log_ticket(champion, title="Quote PDF shows the wrong VAT rate")


def submit(persona, ticket, action, data):
    access = access_of(persona)
    form = action_form(action, access, ticket, data=data)
    return run_action(action, access, ticket, form), form


def test_a_read_only_member_may_do_nothing(viewer, ticket):
    assert allowed_actions(access_of(viewer), ticket) == set()


def test_the_reporter_may_comment_attach_link_and_edit_but_not_work_the_ticket(champion, ticket):
    assert ticket.tier == 2
    assert allowed_actions(access_of(champion), ticket) == {"comment", "attach", "link", "edit"}


def test_the_desk_may_take_a_ticket_until_it_is_theirs(desk, ticket):
    before = allowed_actions(access_of(desk), ticket)
    assert {"take", "assign", "escalate", "severity", "transition"} <= before
    assert "reopen" not in before, "only a resolved or closed ticket reopens"
    done, form = submit(desk, ticket, "take", {})
    assert done == f"You took {ticket.reference}." and not form.errors
    ticket.refresh_from_db()
    assert ticket.assignee_id == desk.user.pk
    assert "take" not in allowed_actions(access_of(desk), ticket)


def test_it_refuses_escalation_to_tier3_without_replication_steps_on_that_field(desk, ticket):
    done, form = submit(desk, ticket, "escalate", {"to_tier": "3", "replication_steps": "", "note": ""})
    assert done == ""
    assert "before escalating to Tier 3" in " ".join(form.errors["replication_steps"])
    assert Ticket.objects.get(pk=ticket.pk).tier == 2


def test_a_refused_state_change_is_the_forms_error_not_a_crash(desk, ticket):
    done, form = submit(desk, ticket, "severity", {"severity": str(ticket.severity), "reason": "Same again"})
    assert done == ""
    assert form.non_field_errors() == [f"The ticket is already Sev{ticket.severity}."]


def test_an_invalid_form_reaches_no_service(desk, ticket):
    done, form = submit(desk, ticket, "comment", {"body": ""})
    assert done == "" and "body" in form.errors
    assert not ticket.comments.exists()


def test_every_action_of_the_table_has_a_form(desk, ticket):
    access = access_of(desk)
    services.ticket_take(access=access, ticket=ticket)
    for action in TICKET_ACTIONS:
        assert action_form(action, access, ticket).is_bound is False, action
