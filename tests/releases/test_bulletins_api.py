"""The bulletins API under /api/v1/programmes/{slug}/bulletins/: what a script of the change manager does."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from hypercare.models import Notification
from hypercare.roles import Role
from releases import services
from releases.models import Bulletin

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programmes/acme/bulletins/"


@pytest.fixture
def change(make_persona):
    return make_persona(Role.CHANGE_MANAGER, username="change")


def test_it_creates_a_draft_prefilled_from_the_known_issues_then_edits_and_sends_it(
    change, champion, known_issue
):
    api = change.api()
    created = api.post(BASE, {"from_draft": True, "message": "Thank you all."}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "draft" and body["message"] == "Thank you all."
    assert "Opportunity save lock error: Wait a minute and save again" in body["workarounds"]

    edited = api.patch(
        f"{BASE}{body['id']}/", {"title": "Monday's news", "date": "2026-12-07"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["title"] == "Monday's news"
    assert edited.json()["date"] == "2026-12-07"

    sent = api.post(f"{BASE}{body['id']}/send/")
    assert sent.status_code == 200 and sent.json()["state"] == "sent"
    assert sent.json()["recipient_count"] >= 2
    assert (
        Notification.objects.filter(recipient=champion.user, kind="bulletin", channel="in_app").count() == 1
    )

    again = api.post(f"{BASE}{body['id']}/send/")
    assert again.status_code == 409 and "already sent" in again.json()["detail"]
    late_edit = api.patch(f"{BASE}{body['id']}/", {"title": "Too late"}, format="json")
    assert late_edit.status_code == 409
    assert (
        Notification.objects.filter(recipient=champion.user, kind="bulletin", channel="in_app").count() == 1
    )


def test_a_member_reads_the_bulletins_sent_but_not_the_drafts(change, champion):
    sent = services.bulletin_create(programme=change.programme, by=change.user, fixed="Quote logo")
    services.bulletin_send(bulletin=sent, by=change.user)
    hidden = services.bulletin_create(programme=change.programme, by=change.user, fixed="Not yet")

    listed = champion.api().get(BASE)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [sent.pk]
    assert champion.api().get(f"{BASE}{sent.pk}/").json()["fixed"] == "Quote logo"
    assert champion.api().get(f"{BASE}{hidden.pk}/").status_code == 404
    assert {row["id"] for row in change.api().get(BASE).json()["results"]} == {sent.pk, hidden.pk}


def test_roles_that_may_not_send_get_403_and_nothing_changes(change, champion, desk):
    bulletin = services.bulletin_create(programme=change.programme, by=change.user, fixed="Quote logo")
    for persona in (champion, desk):
        api = persona.api()
        assert api.post(BASE, {"fixed": "x"}, format="json").status_code == 403
        assert api.patch(f"{BASE}{bulletin.pk}/", {"title": "x"}, format="json").status_code == 403
        assert api.post(f"{BASE}{bulletin.pk}/send/").status_code == 403
    bulletin.refresh_from_db()
    assert bulletin.is_draft and bulletin.title != "x" and Bulletin.objects.count() == 1


def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(change):
    api = change.api()
    for payload, field in (
        ({"business_units": ["Atlantis"]}, "business_units"),
        ({"title": "x" * 201}, "title"),
        ({"date": "12/07/2026"}, "date"),
        ({"geographies": "UK"}, "geographies"),
    ):
        answer = api.post(BASE, payload, format="json")
        assert answer.status_code == 400 and field in answer.json(), (payload, answer.json())
    assert not Bulletin.objects.exists()


def test_an_empty_draft_cannot_be_sent(change):
    bulletin = services.bulletin_create(programme=change.programme, by=change.user)
    answer = change.api().post(f"{BASE}{bulletin.pk}/send/")
    assert answer.status_code == 400 and "fixed" in answer.json()


def test_another_programmes_bulletins_are_404(change, outsider):
    bulletin = services.bulletin_create(programme=change.programme, by=change.user, fixed="Quote logo")
    services.bulletin_send(bulletin=bulletin, by=change.user)
    assert outsider.api().get(BASE).status_code == 404
    assert outsider.api().get(f"/api/v1/programmes/globex/bulletins/{bulletin.pk}/").status_code == 404


def test_put_is_not_offered(change):
    bulletin = services.bulletin_create(programme=change.programme, by=change.user)
    assert change.api().put(f"{BASE}{bulletin.pk}/", {"title": "x"}, format="json").status_code == 405


def test_every_answer_is_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    collection = paths["/api/v1/programmes/{slug}/bulletins/"]
    item = paths["/api/v1/programmes/{slug}/bulletins/{id}/"]
    send = paths["/api/v1/programmes/{slug}/bulletins/{id}/send/"]
    assert {"201", "400", "403", "409"} <= set(collection["post"]["responses"])
    assert {"200", "400", "403", "404", "409"} <= set(item["patch"]["responses"])
    assert {"200", "400", "403", "404", "409"} <= set(send["post"]["responses"])
    assert "put" not in item and "delete" not in item


def test_a_closed_programme_takes_no_new_bulletin_and_keeps_its_archive(change, lead, champion):
    from hypercare.models import Programme, ProgrammeStatus

    bulletin = services.bulletin_create(programme=change.programme, by=change.user, fixed="Quote logo")
    services.bulletin_send(bulletin=bulletin, by=change.user)
    draft = services.bulletin_create(programme=change.programme, by=change.user, fixed="Later")
    Programme.objects.filter(pk=change.programme.pk).update(status=ProgrammeStatus.CLOSED)

    refused = lead.api().post(BASE, {"fixed": "x"}, format="json")
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    assert lead.api().post(f"{BASE}{draft.pk}/send/").status_code == 409
    assert champion.api().get(f"{BASE}{bulletin.pk}/").status_code == 200
    assert Bulletin.objects.count() == 2
