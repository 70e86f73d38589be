"""Runbooks through the API: the support team drafts one from a known issue or resolved tickets,
edits it and publishes it; every member reads them. The runbook page publishes through the same service."""

import pytest

from handover.models import Runbook, RunbookStatus
from tests.factories import KnownIssueFactory, TicketFactory

pytestmark = pytest.mark.django_db

RUNBOOKS = "/api/v1/programmes/acme/runbooks/"


def url(runbook, action: str = "", slug: str = "acme") -> str:
    return f"/api/v1/programmes/{slug}/runbooks/{runbook.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def known_issue(programme, desk):
    issue = KnownIssueFactory(
        programme=programme,
        created_by=desk.user,
        title="Opportunity lock on save",
        symptoms="Saving fails with UNABLE_TO_LOCK_ROW.",
        workaround="Wait a minute and save again.",
    )
    TicketFactory(
        programme=programme,
        reporter=desk.user,
        known_issue=issue,
        status="resolved",
        resolution="Moved the rollup to an async job.",
        title="Lock on save",
    )
    return issue


@pytest.fixture
def runbook(desk, known_issue):
    response = desk.api().post(RUNBOOKS, {"known_issue": known_issue.pk}, format="json")
    assert response.status_code == 201, response.json()
    return Runbook.objects.get(pk=response.json()["id"])


def test_the_desk_drafts_a_runbook_from_a_known_issue(desk, viewer, known_issue):
    response = desk.api().post(RUNBOOKS, {"known_issue": known_issue.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft" and body["title"] == "Opportunity lock on save"
    assert body["workaround"] == "Wait a minute and save again."
    assert "Moved the rollup to an async job." in body["steps"]
    assert body["known_issue"] == known_issue.pk and body["tickets"] == ["ACME-1"]
    assert body["created_by"] == "desk"
    assert [row["id"] for row in viewer.api().get(RUNBOOKS).json()["results"]] == [body["id"]]


def test_it_drafts_from_resolved_tickets_named_by_reference(engineer, programme, desk):
    ticket = TicketFactory(
        programme=programme, reporter=desk.user, status="resolved", resolution="Reset the sync."
    )
    response = engineer.api().post(
        RUNBOOKS, {"tickets": [ticket.reference], "title": "ERP sync"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["tickets"] == [ticket.reference] and response.json()["title"] == "ERP sync"


@pytest.mark.parametrize("persona", ["champion", "sponsor", "owner", "viewer"])
def test_only_the_support_team_writes_runbooks(request, persona, known_issue, runbook):
    api = request.getfixturevalue(persona).api()
    assert api.post(RUNBOOKS, {"known_issue": known_issue.pk}, format="json").status_code == 403
    assert api.patch(url(runbook), {"steps": "Mine"}, format="json").status_code == 403
    assert api.post(url(runbook, "publish")).status_code == 403
    runbook.refresh_from_db()
    assert Runbook.objects.count() == 1 and runbook.status == RunbookStatus.DRAFT
    assert "Mine" not in runbook.steps


def test_bad_sources_are_a_400_naming_the_field(desk, programme, other_programme, known_issue):
    foreign = KnownIssueFactory(programme=other_programme, created_by=desk.user)
    open_ticket = TicketFactory(programme=programme, reporter=desk.user, status="new")
    api = desk.api()
    cases = [
        ({}, "tickets"),
        ({"known_issue": 999999}, "known_issue"),
        ({"known_issue": foreign.pk}, "known_issue"),
        ({"known_issue": "lock"}, "known_issue"),
        ({"tickets": ["ACME-999"]}, "tickets"),
        ({"tickets": [open_ticket.reference]}, "tickets"),
        ({"tickets": "ACME-1"}, "tickets"),
    ]
    for body, field in cases:
        response = api.post(RUNBOOKS, body, format="json")
        assert response.status_code == 400 and field in response.json(), body
    assert not Runbook.objects.exists()


def test_the_desk_edits_and_publishes_a_runbook(runbook, desk, bau):
    api = desk.api()
    response = api.patch(url(runbook), {"steps": "1. Restart the job.\n2. Tell the reporter."}, format="json")
    assert response.status_code == 200
    assert response.json()["steps"].startswith("1. Restart the job.")
    assert response.json()["title"] == "Opportunity lock on save"  # untouched fields keep their text
    response = bau.api().patch(url(runbook), {"status": "published"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "published" and response.json()["published_by"] == "bau"
    assert api.patch(url(runbook), {"status": "draft"}, format="json").status_code == 409
    runbook.refresh_from_db()
    assert runbook.status == RunbookStatus.PUBLISHED


def test_publish_is_also_an_action_and_a_second_publish_changes_nothing(runbook, desk, engineer):
    first = desk.api().post(url(runbook, "publish"))
    assert first.status_code == 200 and first.json()["status"] == "published"
    again = engineer.api().post(url(runbook, "publish"))
    assert again.status_code == 200
    assert (
        again.json()["published_by"] == "desk"
        and again.json()["published_at"] == first.json()["published_at"]
    )


def test_a_blank_title_or_steps_is_a_400_and_nothing_is_saved(runbook, desk):
    api = desk.api()
    for body, field in (({"title": "  ", "steps": "New steps"}, "title"), ({"steps": ""}, "steps")):
        response = api.patch(url(runbook), body, format="json")
        assert response.status_code == 400 and field in response.json()
    response = api.patch(url(runbook), {"steps": "", "status": "published"}, format="json")
    assert response.status_code == 400 and "steps" in response.json()
    runbook.refresh_from_db()
    assert "Moved the rollup" in runbook.steps and runbook.status == RunbookStatus.DRAFT


def test_another_programmes_runbooks_are_404(runbook, outsider, desk):
    assert outsider.api().get(url(runbook)).status_code == 404
    assert outsider.api().get(url(runbook, slug="globex")).status_code == 404
    assert outsider.api().post(url(runbook, "publish", slug="globex")).status_code == 404


def test_the_runbook_page_publishes_with_the_same_service(runbook, desk, champion, client):
    page = f"/p/acme/runbooks/{runbook.pk}/"
    client.force_login(champion.user)
    assert client.post(page + "publish/").status_code == 403
    client.force_login(desk.user)
    assert "Publish" in client.get(page).content.decode()
    response = client.post(page + "publish/", follow=True)
    assert response.status_code == 200 and "Runbook published." in response.content.decode()
    runbook.refresh_from_db()
    assert runbook.status == RunbookStatus.PUBLISHED and runbook.published_by == desk.user


def test_runbooks_list_in_constant_queries(desk, programme, django_assert_max_num_queries):
    api = desk.api()
    for n in range(15):
        ticket = TicketFactory(
            programme=programme, reporter=desk.user, status="resolved", resolution=f"Fix {n}"
        )
        api.post(RUNBOOKS, {"tickets": [ticket.reference]}, format="json")
    # token and user, membership and programme, count, runbooks (authors joined), their tickets
    with django_assert_max_num_queries(6):
        response = api.get(RUNBOOKS)
    assert response.json()["count"] == 15
