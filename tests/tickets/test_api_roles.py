"""Role rules of the tickets API, per role: what each persona may see and do (and an outsider sees nothing)."""

from __future__ import annotations

import pytest

from tests.factories import KnownIssueFactory
from tests.tickets.test_services_transitions import access_of, log
from tickets import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/"
ROLES = ["champion", "desk", "engineer", "lead", "sponsor", "owner", "bau", "viewer", "outsider"]
WORKERS = {"desk", "engineer", "lead", "bau"}
REPORTERS = WORKERS | {"champion", "owner"}
READ_ONLY = {"sponsor", "viewer"}


@pytest.fixture
def world(desk, champion, programme):
    """A Sales ticket (the champion's unit), a Finance one, internal and public comments, a known issue."""
    desk_access = access_of(desk)
    sales = log(desk_access, title="Quote totals are wrong", business_unit="Sales")
    finance = log(desk_access, title="Invoices stuck", business_unit="Finance")
    services.ticket_comment(access=desk_access, ticket=sales, body="We are on it", internal=False)
    services.ticket_comment(
        access=desk_access, ticket=sales, body="Apex trace: lock on Quote__c", internal=True
    )
    services.ticket_escalate(
        access=desk_access,
        ticket=finance,
        to_tier=3,
        replication_steps="Approve an invoice over 10k: the flow errors with FIELD_CUSTOM_VALIDATION.",
    )
    return {"sales": sales, "finance": finance, "known_issue": KnownIssueFactory(programme=programme)}


def expected(role: str, allowed: bool, ok: int) -> int:
    if role == "outsider":
        return 404
    return ok if allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_which_tickets(request, world, role):
    persona = request.getfixturevalue(role)
    response = persona.api().get(URL + "tickets/")
    if role == "outsider":
        assert response.status_code == 404
        return
    titles = {row["title"] for row in response.json()["results"]}
    if role == "champion":
        assert titles == {"Quote totals are wrong"}  # their business unit's, not Finance's
    else:
        assert titles == {"Quote totals are wrong", "Invoices stuck"}
    finance = persona.api().get(URL + f"tickets/{world['finance'].reference}/")
    assert finance.status_code == (404 if role == "champion" else 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_internal_notes(request, world, role):
    persona = request.getfixturevalue(role)
    response = persona.api().get(URL + f"tickets/{world['sales'].reference}/")
    if role == "outsider":
        assert response.status_code == 404
        return
    body = response.json()
    comments = [comment["body"] for comment in body["comments"]]
    internal_events = [event for event in body["timeline"] if event["internal"]]
    if role in WORKERS:
        assert comments == ["We are on it", "Apex trace: lock on Quote__c"]
        assert internal_events
    else:
        assert comments == ["We are on it"]
        assert internal_events == []
        assert "Apex trace" not in response.content.decode()
    if role != "champion":
        finance = persona.api().get(URL + f"tickets/{world['finance'].reference}/").json()
        assert (finance["replication_steps"] is not None) == (role in WORKERS)


@pytest.mark.parametrize("role", ROLES)
def test_who_logs_tickets(request, programme, role):
    persona = request.getfixturevalue(role)
    response = persona.api().post(
        URL + "tickets/",
        {
            "title": "Report totals differ",
            "impact_scope": "subset",
            "workaround": "simple",
            "blocks_vital_process": False,
        },
        format="json",
    )
    assert response.status_code == expected(role, role in REPORTERS, 201)


@pytest.mark.parametrize("role", ROLES)
def test_who_changes_status(request, world, role):
    persona = request.getfixturevalue(role)
    response = persona.api().post(
        URL + f"tickets/{world['sales'].reference}/transition/", {"status": "in_progress"}, format="json"
    )
    assert response.status_code == expected(role, role in WORKERS, 200)
    world["sales"].refresh_from_db()
    assert (world["sales"].status == "in_progress") == (role in WORKERS)


@pytest.mark.parametrize("role", ROLES)
def test_who_comments_publicly_and_internally(request, world, role):
    persona = request.getfixturevalue(role)
    api = persona.api()
    path = URL + f"tickets/{world['sales'].reference}/comment/"
    public = api.post(path, {"body": "Any news?"}, format="json")
    assert public.status_code == expected(role, role not in READ_ONLY, 201)
    internal = api.post(path, {"body": "Between us", "internal": True}, format="json")
    assert internal.status_code == expected(role, role in WORKERS, 201)


@pytest.mark.parametrize("role", ROLES)
def test_who_escalates_and_changes_severity(request, world, role):
    persona = request.getfixturevalue(role)
    api = persona.api()
    reference = world["sales"].reference
    escalate = api.post(
        URL + f"tickets/{reference}/escalate/",
        {"to_tier": 3, "replication_steps": "Open any quote with 3 lines: the total ignores the discount."},
        format="json",
    )
    assert escalate.status_code == expected(role, role in WORKERS, 200)
    severity = api.patch(
        URL + f"tickets/{reference}/", {"severity": 2, "severity_reason": "Sales blocked"}, format="json"
    )
    assert severity.status_code == expected(role, role in WORKERS, 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_resolves_and_assigns(request, world, role):
    persona = request.getfixturevalue(role)
    api = persona.api()
    reference = world["sales"].reference
    assert api.post(URL + f"tickets/{reference}/take/").status_code == expected(role, role in WORKERS, 200)
    resolve = api.post(
        URL + f"tickets/{reference}/resolve/", {"resolution": "Fixed the formula"}, format="json"
    )
    assert resolve.status_code == expected(role, role in WORKERS, 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_writes_known_issues(request, world, role):
    persona = request.getfixturevalue(role)
    api = persona.api()
    listed = api.get(URL + "known-issues/")
    assert listed.status_code == expected(role, True, 200)
    created = api.post(URL + "known-issues/", {"title": "Quote totals ignore discounts"}, format="json")
    assert created.status_code == expected(role, role in WORKERS, 201)
    edited = api.patch(
        URL + f"known-issues/{world['known_issue'].pk}/", {"status": "fix_in_progress"}, format="json"
    )
    assert edited.status_code == expected(role, role in WORKERS, 200)


def test_another_programmes_tickets_are_404_even_by_reference(outsider, world, other_programme):
    other = log(access_of(outsider), title="Globex issue")
    api = outsider.api()
    assert api.get(f"/api/v1/programmes/globex/tickets/{other.reference}/").status_code == 200
    # The same reference under the wrong programme, and our ticket under theirs, do not exist.
    assert api.get(URL + f"tickets/{other.reference}/").status_code == 404
    assert api.get(f"/api/v1/programmes/globex/tickets/{world['sales'].reference}/").status_code == 404
    assert api.get(f"/api/v1/programmes/globex/known-issues/{world['known_issue'].pk}/").status_code == 404


def test_anonymous_callers_get_401(world):
    from rest_framework.test import APIClient

    assert APIClient().get(URL + "tickets/").status_code == 401
    assert APIClient().post(URL + "tickets/", {"title": "x"}, format="json").status_code == 401
