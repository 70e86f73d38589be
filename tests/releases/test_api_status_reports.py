"""GET /api/v1/programmes/{slug}/status-reports/ (list, detail): the reports as sent, for the readers
of the daily-status page."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from releases import services
from releases.models import ReportKind, StatusReport

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/programmes/acme/status-reports/"
MORNING = datetime(2030, 3, 12, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def reports(programme, sponsor, lead):
    sent = [
        services.status_report_send(programme=programme, at=MORNING + timedelta(days=n)) for n in range(3)
    ]
    assert all(sent)
    return sent


def test_readers_list_the_reports_newest_first_and_read_one_with_its_figures(reports, sponsor, desk):
    response = sponsor.api().get(REPORTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [r.pk for r in reversed(reports)]
    assert body["results"][0]["kind"] == "daily_status" and "data" not in body["results"][0]
    detail = desk.api().get(f"{REPORTS}{reports[0].pk}/")
    assert detail.status_code == 200
    assert detail.json()["data"] == StatusReport.objects.get(pk=reports[0].pk).data
    assert detail.json()["subject"] == reports[0].subject


def test_the_kind_filter(reports, lead):
    assert lead.api().get(REPORTS, {"kind": ReportKind.WEEKLY}).json()["count"] == 0
    assert lead.api().get(REPORTS, {"kind": ReportKind.DAILY}).json()["count"] == 3
    response = lead.api().get(REPORTS, {"kind": "hourly"})
    assert response.status_code == 400 and "kind" in response.json()


def test_champions_may_not_read_them(reports, champion):
    assert champion.api().get(REPORTS).status_code == 403
    assert champion.api().get(f"{REPORTS}{reports[0].pk}/").status_code == 403


def test_another_programmes_reports_are_404(reports, outsider, other_programme, make_persona):
    assert outsider.api().get(REPORTS).status_code == 404
    assert outsider.api().get(f"/api/v1/programmes/globex/status-reports/{reports[0].pk}/").status_code == 404


def test_reports_have_no_writes(reports, lead):
    assert lead.api().post(REPORTS, {}, format="json").status_code == 405
    assert lead.api().delete(f"{REPORTS}{reports[0].pk}/").status_code == 405


def test_the_list_costs_the_same_for_many_reports(programme, sponsor, lead, django_assert_max_num_queries):
    for n in range(30):
        services.status_report_send(programme=programme, at=MORNING + timedelta(days=n))
    api = sponsor.api()
    # token and user, membership and programme, count, the page of reports
    with django_assert_max_num_queries(5):
        response = api.get(REPORTS)
    assert response.json()["count"] >= 20
