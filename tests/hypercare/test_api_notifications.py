"""GET /api/v1/programmes/{slug}/notifications/ and POST …/notifications/read/: the caller's own inbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hypercare.models import Notification, NotificationChannel
from hypercare.notifications import notify

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/programmes/acme/notifications/"
READ = "/api/v1/programmes/acme/notifications/read/"


def tell(programme, user, subject: str, minutes_ago: int = 0) -> Notification:
    notify(
        programme=programme,
        recipients=[user],
        kind="ticket_resolved",
        key=f"test:{subject}",
        subject=subject,
        link=f"/p/{programme.slug}/",
        at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return Notification.objects.get(recipient=user, subject=subject, channel=NotificationChannel.IN_APP)


def test_it_lists_my_notifications_of_this_programme_newest_first(
    champion, desk, outsider, programme, other_programme
):
    older = tell(programme, champion.user, "ACME-1 was resolved", minutes_ago=30)
    newer = tell(programme, champion.user, "ACME-2 was resolved", minutes_ago=5)
    tell(programme, desk.user, "Someone else's news")
    tell(other_programme, champion.user, "Another programme's news")

    response = champion.api().get(INBOX)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0]["subject"] == "ACME-2 was resolved"
    assert body["results"][0]["read"] is False and body["results"][0]["read_at"] is None


def test_it_marks_the_ids_given_as_read_and_ignores_other_peoples(champion, desk, programme):
    first = tell(programme, champion.user, "First")
    second = tell(programme, champion.user, "Second")
    theirs = tell(programme, desk.user, "Theirs")

    response = champion.api().post(READ, {"ids": [first.pk, theirs.pk]}, format="json")

    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    first.refresh_from_db(), second.refresh_from_db(), theirs.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert theirs.read_at is None
    unread = champion.api().get(INBOX, {"unread": "true"}).json()
    assert [row["id"] for row in unread["results"]] == [second.pk]


def test_all_marks_every_unread_notification_as_read(champion, programme):
    for n in range(3):
        tell(programme, champion.user, f"News {n}")

    response = champion.api().post(READ, {"all": True}, format="json")

    assert response.status_code == 200 and response.json() == {"marked": 3, "unread": 0}
    assert champion.api().get(INBOX).json()["results"][0]["read"] is True


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "12"},
        {"ids": ["twelve"]},
        {"ids": [10**30]},
        {"ids": [1], "all": True},
        {"all": False},
    ],
)
def test_a_bad_body_is_a_400_naming_ids_and_changes_nothing(champion, programme, body):
    note = tell(programme, champion.user, "News")
    response = champion.api().post(READ, body, format="json")
    assert response.status_code == 400
    assert "ids" in response.json()
    note.refresh_from_db()
    assert note.read_at is None


def test_outsiders_get_404_and_anonymous_callers_401(outsider, programme, client):
    assert outsider.api().get(INBOX).status_code == 404
    assert outsider.api().post(READ, {"all": True}, format="json").status_code == 404
    assert client.get(INBOX).status_code == 401


def test_the_inbox_costs_the_same_for_many_notifications(champion, programme, django_assert_max_num_queries):
    for n in range(40):
        tell(programme, champion.user, f"News {n}")
    api = champion.api()
    # token and user, membership and programme, count, the page of rows
    with django_assert_max_num_queries(5):
        response = api.get(INBOX)
    assert response.json()["count"] == 40 and len(response.json()["results"]) == 40
