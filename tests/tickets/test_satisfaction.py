"""Satisfaction on resolution: the reporter rates it (1-5, optional comment) in one click from
the resolution notice; the metric averages the ratings given in a window, week by week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hypercare.models import Notification
from metrics.selectors import Window, satisfaction, satisfaction_weekly
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import TicketRating

pytestmark = pytest.mark.django_db


def resolved(desk, champion, title="Quote PDF wrong"):
    ticket = log_ticket(champion, title=title)
    return services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution="Patched the VAT table.")


def test_the_reporter_rates_a_resolution_in_one_click_from_the_notice(client, desk, champion):
    ticket = resolved(desk, champion)
    notice = Notification.objects.get(recipient=champion.user, kind="ticket_resolved", channel="in_app")
    assert notice.link == f"/p/acme/tickets/{ticket.reference}/rate/" and notice.link in notice.body
    client.force_login(champion.user)
    page = client.get(notice.link).content.decode()
    assert 'name="rating" value="5"' in page and "Patched the VAT table." in page
    response = client.post(notice.link, {"rating": "4", "comment": "Quick, thanks"})
    assert response.status_code == 302
    rating = TicketRating.objects.get(ticket=ticket)
    assert (rating.rating, rating.comment, rating.rated_by) == (4, "Quick, thanks", champion.user)
    client.post(notice.link, {"rating": "5"})  # changing one's mind replaces the answer
    assert list(TicketRating.objects.values_list("rating", flat=True)) == [5]


def test_only_the_reporter_rates_only_a_resolved_ticket_from_1_to_5(client, desk, champion):
    ticket = resolved(desk, champion)
    url = f"/p/acme/tickets/{ticket.reference}/rate/"
    client.force_login(desk.user)
    assert client.post(url, {"rating": "5"}).status_code == 403
    client.force_login(champion.user)
    assert client.post(url, {"rating": "9"}).status_code == 400
    assert client.post(url, {"rating": "x"}).status_code == 400
    open_one = log_ticket(champion, title="Still open")
    response = client.post(f"/p/acme/tickets/{open_one.reference}/rate/", {"rating": "5"})
    assert response.status_code == 409 and "not resolved" in response.content.decode()
    assert not TicketRating.objects.exists()


def test_the_metric_averages_the_ratings_given_in_each_week(desk, champion, programme):
    now = timezone.now()
    for rating, days_ago in ((5, 1), (4, 2), (2, 9)):
        ticket = resolved(desk, champion, title=f"Rated {rating}")
        services.ticket_rate(
            access=access_of(champion), ticket=ticket, rating=rating, at=now - timedelta(days=days_ago)
        )
    this_week = satisfaction(programme, Window.ending(programme, days=7, at=now))
    assert (
        this_week.ratings == 2 and float(this_week.average) == 4.5 and this_week.text == "4.5 / 5 (2 ratings)"
    )
    weeks = satisfaction_weekly(programme, weeks=3, at=now)
    assert [w.ratings for w in weeks] == [0, 1, 2]
    assert weeks[0].text == "no ratings" and weeks[1].as_dict()["average"] == 2.0


def test_the_scorecard_shows_satisfaction_per_week(client, desk, champion, lead):
    ticket = resolved(desk, champion)
    services.ticket_rate(access=access_of(champion), ticket=ticket, rating=4)
    client.force_login(lead.user)
    html = client.get("/p/acme/scorecard/").content.decode()
    section = html[html.index('id="satisfaction"') :]
    assert "4.0 / 5 (1 rating)" in section[: section.index("</section>")]


def test_a_script_rates_through_the_api_and_only_the_reporter_may(champion, desk, programme):
    from hypercare.access import get_programme_for
    from tickets import services as ticket_services

    ticket = ticket_services.ticket_create(
        access=get_programme_for(champion.user, programme.slug),
        title="Forecast export is empty",
        answers=ticket_services.TriageAnswers(
            impact_scope="subset", workaround="simple", blocks_vital_process=False
        ),
    )
    url = f"/api/v1/programmes/{programme.slug}/tickets/{ticket.reference}/rate/"
    assert champion.api().post(url, {"rating": 5}, format="json").status_code == 409  # not resolved yet
    ticket_services.ticket_resolve(
        access=get_programme_for(desk.user, programme.slug),
        ticket=ticket,
        resolution="Re-ran the export job.",
    )
    assert champion.api().post(url, {"rating": 6}, format="json").status_code == 400
    assert desk.api().post(url, {"rating": 5}, format="json").status_code == 403
    answer = champion.api().post(url, {"rating": 4, "comment": "Quick."}, format="json")
    assert answer.status_code == 201 and answer.json()["rating"] == 4
    assert ticket.ratings.get().comment == "Quick."
