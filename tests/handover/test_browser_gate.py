"""A real browser: a lead reads on the exit gate which days were not co-managed, and when it is forecast
to turn green, after the planned exit."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from handover.models import CriterionKind, ExitCriterion
from hypercare.models import Programme
from tests.conftest import log_in
from tests.handover.factories import last_working_days, take, ticket

pytestmark = pytest.mark.browser


def test_the_gate_shows_the_days_not_co_managed_and_a_late_forecast(browser_page, lead, bau, programme):
    now = timezone.now()
    today = now.date()
    Programme.objects.filter(pk=programme.pk).update(
        go_live_date=today - timedelta(days=40), planned_exit_date=today + timedelta(days=7)
    )
    ExitCriterion.objects.of(programme).exclude(
        kind__in=[CriterionKind.OPEN_SEV12, CriterionKind.BAU_COMANAGED]
    ).delete()
    # BAU's only work: a 20-day-old ticket taken an hour ago.
    take(bau, ticket(programme, reported_at=now - timedelta(days=20)), at=now - timedelta(hours=1))
    # 30 open Sev2 left, one resolved on each of the last ten working days.
    days = last_working_days(10, at=now)
    backlog = [ticket(programme, reported_at=now - timedelta(days=30), severity=2) for _ in range(40)]
    for sev2, day in zip(backlog, days, strict=False):
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        type(sev2).objects.filter(pk=sev2.pk).update(status="resolved", resolved_at=noon)
    comanaged = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.BAU_COMANAGED)
    backlog_criterion = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.OPEN_SEV12)

    page = browser_page
    log_in(page, "lead")
    page.wait_for_url("**/")
    page.goto("/p/acme/exit-gate/")
    row = page.locator(f"#criterion-{comanaged.pk}").inner_text()
    assert "Working days not co-managed (10)" in row
    assert f"{days[0]:%a} {days[0].day} {days[0]:%b}: no ticket handled" in row
    assert "Forecast to pass on" in row
    burn_down = page.locator(f"#criterion-{backlog_criterion.pk}").inner_text()
    assert "Forecast to pass on" in burn_down and "after the planned exit" in burn_down
    assert "burning down 1.0 Sev1/Sev2 a working day" in burn_down
    assert "The forecast falls after the planned exit" in page.locator("#forecast-late").inner_text()
    assert page.js_errors == []
