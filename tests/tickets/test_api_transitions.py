"""Every move of the status table through the API: 200 when allowed, 409 with the reason when not."""

from __future__ import annotations

import pytest

from hypercare.vocabulary import Status
from tests.tickets.test_services_transitions import ALLOWED, REFUSED, access_of, ticket_in
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def post_move(api, ticket: Ticket, new: str):
    base = f"/api/v1/programmes/acme/tickets/{ticket.reference}/"
    if new == Status.RESOLVED:
        return api.post(base + "resolve/", {"resolution": "Fixed the sharing rule."}, format="json")
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and new == Status.IN_PROGRESS:
        return api.post(base + "reopen/", {"reason": "It happens again."}, format="json")
    return api.post(base + "transition/", {"status": new}, format="json")


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_the_api_allows_every_move_of_the_status_table(desk, old, new):
    ticket = ticket_in(old, access_of(desk))
    response = post_move(desk.api(), ticket, new)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == new


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_the_api_refuses_every_other_move_with_409_and_a_reason(desk, old, new):
    ticket = ticket_in(old, access_of(desk))
    response = post_move(desk.api(), ticket, new)
    assert response.status_code == 409
    assert Status(old).label.lower() in response.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).status == old


def test_transition_to_resolved_points_to_resolve(desk):
    ticket = ticket_in(Status.IN_PROGRESS, access_of(desk))
    response = desk.api().post(
        f"/api/v1/programmes/acme/tickets/{ticket.reference}/transition/",
        {"status": "resolved"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "Use resolve, with a resolution note for the reporter."


def test_an_unknown_status_is_a_400_naming_the_field(desk):
    ticket = ticket_in(Status.NEW, access_of(desk))
    response = desk.api().post(
        f"/api/v1/programmes/acme/tickets/{ticket.reference}/transition/", {"status": "done"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()
