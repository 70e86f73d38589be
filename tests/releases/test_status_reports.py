"""Daily status to the sponsor, weekly summary to leadership: figures, multipart emails, once a day, opt-outs."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from releases import services
from releases.models import ReportState, StatusReport
from releases.tasks import status_reports_task
from tests.factories import KnownIssueFactory, ProgrammeFactory, TicketFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 3, 10, 8, 30, tzinfo=LONDON)  # a Tuesday


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server is down")


@pytest.fixture
def tickets(programme, champion, lead):
    day = timedelta(days=1)
    return [
        TicketFactory(
            programme=programme, severity=1, reporter=champion.user, reported_at=MORNING - timedelta(hours=3)
        ),
        TicketFactory(
            programme=programme,
            severity=2,
            reporter=champion.user,
            reported_at=MORNING - 3 * day,
            response_breached=True,
        ),
        TicketFactory(
            programme=programme,
            severity=2,
            reporter=champion.user,
            reported_at=MORNING - 4 * day,
            status="resolved",
            resolved_at=MORNING - 2 * day,
            resolution_breached=True,
        ),
        TicketFactory(programme=programme, severity=3, reporter=champion.user, reported_at=MORNING - 2 * day),
    ]


@pytest.fixture
def audience(sponsor, lead, owner, viewer, champion):
    return {"sponsor": sponsor, "lead": lead, "owner": owner, "viewer": viewer, "champion": champion}


def test_the_figures_come_from_aggregates(programme, tickets, lead, django_assert_num_queries):
    issue = KnownIssueFactory(
        programme=programme,
        title="Lock error",
        workaround="Retry",
        fix_expected_on=MORNING.date(),
        created_by=lead.user,
    )
    type(tickets[1]).objects.filter(pk__in=[tickets[0].pk, tickets[1].pk]).update(known_issue=issue)
    # tickets aggregate, logged per day, resolved per day, known issues, releases ×2, hotfixes, production
    # changes; the key figures (telemetry series and roll-up, the window's ticket figures); then the exit
    # gate's forecast, which the handover app adds (its gate evaluation: 17)
    with django_assert_num_queries(8 + 3 + 17):
        data = services.status_figures(programme=programme, at=MORNING)
    counts = data["tickets"]
    assert (counts["new_sev1"], counts["new_sev2"]) == (1, 0)
    assert (counts["open_sev1"], counts["open_sev2"], counts["open_total"]) == (1, 1, 3)
    assert counts["open_in_breach"] == 1
    assert (counts["response_breaches"], counts["resolution_breaches"]) == (1, 1)
    assert data["burnup"][-1] == {"date": "2026-03-10", "logged": 4, "resolved": 1}
    assert data["known_issues"][0] == {
        "title": "Lock error",
        "workaround": "Retry",
        "fix_expected_on": "2026-03-10",
        "status": "Investigating",
        "open_tickets": 2,
    }


def test_the_daily_status_is_a_multipart_email_to_the_sponsor_and_leads(programme, tickets, audience):
    report = services.status_report_send(programme=programme, at=MORNING)
    assert report.state == ReportState.SENT and report.recipient_count == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["lead@example.com", "sponsor@example.com"]
    message = mail.outbox[0]
    assert message.subject == "Acme go-live · Daily status Tue 10 Mar: 1 open Sev1, 1 open Sev2, 1 in breach"
    assert "Open now: 1 Sev1, 1 Sev2 (3 tickets open in all)" in message.body
    assert "Open tickets in breach: 1" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<strong>1</strong>" in html and "Stop these emails" in html
    assert f"/p/acme/daily-status/{report.pk}/" in message.body


def test_it_is_sent_once_per_day_even_when_the_task_runs_twice(programme, tickets, audience, lead):
    services.release_settings_update(programme=programme, by=lead.user, status_hour=0)
    status_reports_task()
    status_reports_task()
    assert StatusReport.objects.filter(programme=programme, kind="daily_status").count() == 1
    assert len([m for m in mail.outbox if "Daily status" in m.subject]) == 2  # sponsor + lead, once each


def test_a_second_run_of_the_service_claims_nothing(programme, audience):
    assert services.status_report_send(programme=programme, at=MORNING) is not None
    assert services.status_report_send(programme=programme, at=MORNING + timedelta(hours=3)) is None
    assert len(mail.outbox) == 2


def test_it_waits_for_the_morning_in_the_programmes_time_zone(programme, audience, make_persona):
    tokyo = ProgrammeFactory(slug="tokyo", timezone="Asia/Tokyo")
    make_persona("sponsor", username="tokyo-sponsor", programme_=tokyo)
    at = datetime(2026, 3, 10, 7, 30, tzinfo=ZoneInfo("UTC"))  # 07:30 in London, 16:30 in Tokyo
    assert services.status_reports_send_due(at=at) == 1
    assert list(StatusReport.objects.values_list("programme__slug", flat=True)) == ["tokyo"]
    assert services.status_reports_send_due(at=at.replace(hour=8)) == 1  # 08:30 London: now Acme's turn
    assert services.status_reports_send_due(at=at.replace(hour=9)) == 0


def test_the_daily_run_sends_no_weekly_summary_of_its_own(programme, audience):
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=LONDON)  # the weekly summary's default day
    services.status_reports_send_due(at=monday)
    assert not StatusReport.objects.filter(kind="weekly_summary").exists()  # handover sends it
    assert all("Weekly summary" not in m.subject for m in mail.outbox)


def test_members_can_opt_out(programme, audience, client, sponsor):
    client.force_login(sponsor.user)
    response = client.post("/p/acme/daily-status/preferences/", {"weekly_summary": "on"})
    assert response.status_code == 302
    services.status_report_send(programme=programme, at=MORNING)
    assert [m.to[0] for m in mail.outbox] == ["lead@example.com"]
    assert services.status_email_preferences(user=sponsor.user) == {
        "daily_status": False,
        "weekly_summary": True,
    }


def test_a_failed_send_is_taken_over_by_the_next_run(programme, audience, settings):
    settings.EMAIL_BACKEND = "tests.releases.test_status_reports.BrokenBackend"
    failed = services.status_report_send(programme=programme, at=MORNING)
    assert failed.state == ReportState.FAILED and "SMTP" in failed.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retried = services.status_report_send(programme=programme, at=MORNING + timedelta(minutes=15))
    assert retried.pk == failed.pk and retried.state == ReportState.SENT
    assert len(mail.outbox) == 2


def test_reports_are_readable_in_the_app(client, programme, tickets, audience, outsider):
    report = services.status_report_send(programme=programme, at=MORNING)
    url = f"/p/acme/daily-status/{report.pk}/"
    client.force_login(audience["sponsor"].user)
    page = client.get(url)
    assert page.status_code == 200 and 'data-figure="open_sev1">1<' in page.content.decode()
    live = client.get("/p/acme/daily-status/")
    assert live.status_code == 200 and "Tue 10 Mar 2026" in live.content.decode()
    client.force_login(audience["champion"].user)
    assert client.get(url).status_code == 403
    client.force_login(outsider.user)
    assert client.get(url).status_code == 404


def test_the_email_lists_releases_deployed_and_planned(programme, audience, lead, engineer, make_hotfix):
    from datetime import date

    release = services.release_create(
        programme=programme, by=lead.user, planned_for=date(2026, 3, 10), at=MORNING
    )
    services.release_add_hotfix(release=release, hotfix=make_hotfix("uat_signed_off"), by=engineer.user)
    services.release_deploy(release=release, by=lead.user, at=MORNING - timedelta(hours=1))
    services.status_report_send(programme=programme, at=MORNING)
    body = mail.outbox[0].body
    assert "Deployed: Patch 1 (1 fix)" in body
    assert "Planned: Patch 2 on Wed 11 Mar (0 fixes)" in body
    assert "Fixes deployed in the period: 1" in body
