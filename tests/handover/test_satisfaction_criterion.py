"""The optional satisfaction exit criterion: added by a lead, judged on enough ratings, the scorecard's figure."""

from datetime import timedelta

import pytest
from django.utils import timezone

from handover import services
from handover.criteria import MIN_RATINGS, gate_evaluate
from handover.models import CriterionKind, ExitCriterion
from metrics.selectors import Window, satisfaction
from tests.factories import TicketFactory
from tests.handover.factories import access_of
from tickets.models import TicketRating

pytestmark = pytest.mark.django_db


def rate(programme, champion, *ratings: int) -> None:
    now = timezone.now()
    for n, rating in enumerate(ratings):
        ticket = TicketFactory(
            programme=programme, reporter=champion.user, status="resolved", resolved_at=now
        )
        TicketRating.objects.create(
            ticket=ticket,
            resolved_at=now,
            rating=rating,
            rated_by=champion.user,
            rated_at=now - timedelta(hours=n),
        )


def judged(programme):
    gate = gate_evaluate(programme=programme)
    return next(r for r in gate.results if r.criterion.kind == CriterionKind.SATISFACTION)


def test_it_is_not_given_to_programmes_until_a_lead_adds_it(programme, lead):
    assert not ExitCriterion.objects.filter(programme=programme, kind=CriterionKind.SATISFACTION).exists()
    criterion = services.criterion_add(access=access_of(lead), kind=CriterionKind.SATISFACTION)
    assert criterion.threshold == 4 and criterion.window_days == 14


def test_a_few_glowing_ratings_do_not_pass_it(programme, lead, champion):
    services.criterion_add(access=access_of(lead), kind=CriterionKind.SATISFACTION)
    rate(programme, champion, *[5] * (MIN_RATINGS - 1))
    result = judged(programme)
    assert result.status == "not_measurable" and "too few" in result.value_display


def test_it_fails_below_the_threshold_and_passes_above_with_the_scorecards_figure(programme, lead, champion):
    services.criterion_add(access=access_of(lead), kind=CriterionKind.SATISFACTION)
    rate(programme, champion, *[3, 4] * (MIN_RATINGS // 2))  # average 3.5
    assert judged(programme).status == "fail"
    rate(programme, champion, *[5] * MIN_RATINGS)  # now 4.25 over 20
    result = judged(programme)
    assert result.status == "pass"
    figure = satisfaction(programme, Window.ending(programme, days=14))
    assert result.value == float(figure.average) == 4.25 and result.value_display == figure.text
