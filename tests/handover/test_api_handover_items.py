"""The handover pack through the API: leads add and edit items, the owner gives the document and
submits it, the operational owner or a BAU lead accepts or rejects it (never their own)."""

import pytest

from handover.models import HandoverItem, ItemStatus
from hypercare.models import Notification

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/programmes/acme/handover-items/"
LINK = "https://docs.example.com/erd.pdf"


def url(item, action: str = "", slug: str = "acme") -> str:
    return f"/api/v1/programmes/{slug}/handover-items/{item.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def item(lead, engineer):
    response = lead.api().post(
        ITEMS, {"title": "Data model", "kind": "erd", "owner": "engineer"}, format="json"
    )
    assert response.status_code == 201, response.json()
    return HandoverItem.objects.get(pk=response.json()["id"])


def submitted(item, engineer):
    assert engineer.api().patch(url(item), {"link": LINK}, format="json").status_code == 200
    assert engineer.api().post(url(item, "submit")).status_code == 200
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED
    return item


def test_a_lead_adds_an_item_and_every_member_reads_the_pack(lead, viewer, engineer, programme):
    response = lead.api().post(
        ITEMS,
        {"title": "Data model", "kind": "erd", "owner": "engineer", "due_date": "2030-01-31"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == "engineer" and body["status"] == "missing" and body["due_date"] == "2030-01-31"
    listed = viewer.api().get(ITEMS).json()
    assert body["id"] in [row["id"] for row in listed["results"]]
    assert viewer.api().get(url(HandoverItem.objects.get(pk=body["id"]))).json()["title"] == "Data model"


@pytest.mark.parametrize("persona", ["desk", "engineer", "owner", "sponsor", "viewer", "champion"])
def test_only_leads_add_items(request, persona, programme):
    before = HandoverItem.objects.count()
    response = request.getfixturevalue(persona).api().post(ITEMS, {"title": "Sneaky"}, format="json")
    assert response.status_code == 403
    assert HandoverItem.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "erd"}, "title"),
        ({"title": "X", "kind": "poem"}, "kind"),
        ({"title": "X", "owner": "nobody-by-that-name"}, "owner"),
        ({"title": "X", "owner": "outsider"}, "owner"),
        ({"title": "X", "due_date": "soon"}, "due_date"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(lead, outsider, programme, body, field):
    before = HandoverItem.objects.count()
    response = lead.api().post(ITEMS, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert HandoverItem.objects.count() == before


def test_the_owner_gives_the_link_and_submits_and_the_approvers_are_told(item, engineer, owner):
    api = engineer.api()
    early = api.post(url(item, "submit"))
    assert early.status_code == 400 and "document" in early.json()
    response = api.patch(url(item), {"link": LINK}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    response = api.post(url(item, "submit"))
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert Notification.objects.filter(recipient=owner.user, kind="handover_item_submitted").exists()
    assert api.post(url(item, "submit")).status_code == 409


def test_an_owner_who_is_not_a_lead_edits_nothing_but_the_link(item, engineer):
    response = engineer.api().patch(url(item), {"title": "Renamed", "link": LINK}, format="json")
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.title == "Data model" and item.link == "" and item.status == ItemStatus.MISSING


def test_a_bad_field_stores_nothing_of_the_rest(item, lead):
    response = lead.api().patch(url(item), {"title": "Renamed", "link": "not a link"}, format="json")
    assert response.status_code == 400 and "link" in response.json()
    item.refresh_from_db()
    assert item.title == "Data model"


def test_a_lead_edits_an_item(item, lead):
    response = lead.api().patch(url(item), {"title": "Data model v2", "owner": None}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Data model v2" and response.json()["owner"] is None


def test_the_operational_owner_accepts_and_the_item_owner_is_told(item, engineer, owner):
    submitted(item, engineer)
    response = owner.api().post(url(item, "accept"))
    assert response.status_code == 200
    assert response.json()["status"] == "accepted" and response.json()["decided_by"] == "owner"
    assert Notification.objects.filter(recipient=engineer.user, kind="handover_item_decided").exists()
    assert owner.api().post(url(item, "accept")).status_code == 409


def test_a_rejection_needs_a_reason(item, engineer, bau_lead):
    submitted(item, engineer)
    api = bau_lead.api()
    for body in ({}, {"reason": "   "}):
        response = api.post(url(item, "reject"), body, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED
    response = api.post(url(item, "reject"), {"reason": "The ERD misses the billing objects."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "The ERD misses the billing objects."


def test_nobody_accepts_their_own_item(lead, bau_lead, owner):
    mine = HandoverItem.objects.get(
        pk=lead.api().post(ITEMS, {"title": "Runbook index", "owner": "baulead"}, format="json").json()["id"]
    )
    submitted(mine, bau_lead)
    response = bau_lead.api().post(url(mine, "accept"))
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.status == ItemStatus.SUBMITTED
    assert owner.api().post(url(mine, "accept")).status_code == 200


@pytest.mark.parametrize("persona", ["lead", "desk", "engineer", "bau", "sponsor", "viewer", "champion"])
def test_only_approvers_accept_or_reject(request, item, engineer, persona):
    submitted(item, engineer)
    api = request.getfixturevalue(persona).api()
    assert api.post(url(item, "accept")).status_code == 403
    assert api.post(url(item, "reject"), {"reason": "No."}, format="json").status_code == 403
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_another_programmes_items_are_404(item, outsider, lead, other_programme):
    assert outsider.api().get(url(item)).status_code == 404
    assert outsider.api().get(url(item, slug="globex")).status_code == 404
    assert outsider.api().patch(url(item, slug="globex"), {"title": "Mine"}, format="json").status_code == 404
    assert lead.api().get(url(HandoverItem.objects.of(other_programme).first())).status_code == 404


def test_the_pack_lists_in_constant_queries(lead, programme, django_assert_max_num_queries):
    api = lead.api()
    for n in range(20):
        api.post(ITEMS, {"title": f"Document {n}", "owner": "lead"}, format="json")
    # token and user, membership and programme, count, the page (owners, deciders, runbook counts joined)
    with django_assert_max_num_queries(5):
        response = api.get(ITEMS)
    assert response.json()["count"] >= 20


def test_the_item_page_offers_no_decision_on_ones_own_item_and_refuses_it(lead, bau_lead, client):
    mine = HandoverItem.objects.get(
        pk=lead.api().post(ITEMS, {"title": "Runbook index", "owner": "baulead"}, format="json").json()["id"]
    )
    submitted(mine, bau_lead)
    client.force_login(bau_lead.user)
    page = f"/p/acme/handover/items/{mine.pk}/"
    assert 'id="decide-form"' not in client.get(page).content.decode()
    assert client.post(page + "decide/", {"decision": "accept"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == ItemStatus.SUBMITTED
