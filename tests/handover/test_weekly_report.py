"""The weekly leadership summary: its own report (scorecard by area and what changed, the exit gate, the
knowledge-transfer phase, top risks, the week's releases), e-mailed once a week to leadership."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from handover.services.weekly import weekly_report_send, weekly_reports_send_due
from handover.tasks import weekly_reports_task
from hypercare.roles import Role, Team
from releases import services as releases
from releases.models import ReportKind, StatusReport
from tests.factories import TicketFactory
from tests.handover.factories import telemetry
from tests.releases.conftest import advance_to

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Monday 16 March 2026, 09:00 in London (GMT): the weekly summary's default day, after the status hour (8).
MONDAY = datetime(2026, 3, 16, 9, 0, tzinfo=LONDON)
THIS_WEEK = [date(2026, 3, 10) + timedelta(days=n) for n in range(7)]  # 10–16 March
LAST_WEEK = [day - timedelta(days=7) for day in THIS_WEEK]  # 3–9 March


@pytest.fixture
def change(make_persona):
    return make_persona(Role.CHANGE_MANAGER, username="change")


@pytest.fixture
def audience(sponsor, lead, owner, change, viewer, desk, champion):
    return locals()


@pytest.fixture
def week(programme, audience, engineer):
    """A week in which governor-limit alerts turned red, two Sev1/Sev2 stayed open and a release went out."""
    telemetry(programme, "governor_limit_alerts", dict.fromkeys(LAST_WEEK, 0) | dict.fromkeys(THIS_WEEK, 2))
    oldest = TicketFactory(
        programme=programme,
        severity=2,
        title="Invoices stuck in draft",
        reported_at=MONDAY - timedelta(days=9),
    )
    TicketFactory(
        programme=programme,
        severity=1,
        title="Nobody can save quotes",
        reported_at=MONDAY - timedelta(days=2),
    )
    TicketFactory(
        programme=programme, severity=3, title="Logo too small", reported_at=MONDAY - timedelta(days=12)
    )
    TicketFactory(
        programme=programme, severity=1, status="resolved", title="Login loop",
        reported_at=MONDAY - timedelta(days=11), resolved_at=MONDAY - timedelta(days=10),
    )  # fmt: skip
    lead = audience["lead"]
    release = releases.release_create(
        programme=programme, by=lead.user, planned_for=date(2026, 3, 12), at=MONDAY - timedelta(days=5)
    )
    hotfix = releases.hotfix_create(
        programme=programme, by=engineer.user, title="Fix draft invoices", summary="Invoices post again",
        tickets=[oldest.reference], known_issue=None, emergency=False,
    )  # fmt: skip
    advance_to(hotfix, "uat_signed_off", builder=engineer, tester=audience["owner"])
    releases.release_add_hotfix(release=release, hotfix=hotfix, by=engineer.user)
    releases.release_deploy(release=release, by=lead.user, at=MONDAY - timedelta(days=4))
    return release


def test_it_holds_the_scorecard_by_area_with_what_changed_since_last_week(programme, week):
    data = weekly_report_send(programme=programme, at=MONDAY).data
    technical = next(area for area in data["scorecard"] if area["slug"] == "technical")
    assert (technical["status"], technical["last_week_status"], technical["changed"]) == (
        "red",
        "green",
        True,
    )
    governor = next(kpi for kpi in technical["kpis"] if kpi["slug"] == "governor_limit_alerts")
    assert governor["value_text"] == "14 alerts" and governor["last_week_value_text"] == "0 alerts"
    assert governor["url"] == "/p/acme/scorecard/#kpi-governor_limit_alerts"
    # Two tickets reported, none closed, none handled by BAU: the queue is red as well.
    assert [kpi["name"] for kpi in data["risks"]["red_kpis"]] == [
        "Governor-limit alerts",
        "Closures vs intake (burn-up)",
        "BAU share of incoming tickets",
    ]


def test_it_names_the_oldest_open_sev1_and_sev2_first_and_the_weeks_release(programme, week):
    data = weekly_report_send(programme=programme, at=MONDAY).data
    assert [(t["title"], t["severity"], t["age_days"]) for t in data["risks"]["oldest_sev12"]] == [
        ("Invoices stuck in draft", 2, 9),
        ("Nobody can save quotes", 1, 2),
    ]
    assert data["releases"]["deployed"] == [
        {"name": week.name, "deployed_at": (MONDAY - timedelta(days=4)).isoformat(), "fixes": 1}
    ]


def test_it_holds_the_exit_gate_with_its_failing_criteria_and_forecast_and_the_kt_phase(programme, week):
    data = weekly_report_send(programme=programme, at=MONDAY).data
    gate = data["exit_gate"]
    assert not gate["green"] and gate["planned_exit_date"] == "2026-04-13"
    failing = {c["kind"] for c in gate["failing"]}
    assert {"open_sev12", "governor_limit_alerts", "handover_pack"} <= failing
    assert "governor_limit_alerts" in failing  # 14 alerts in the window: the criterion wants zero
    kt = data["knowledge_transfer"]
    assert kt["planned"] == "Co-managed queue" and kt["planned_since"] is not None
    assert kt["measured"] is not None


def test_it_is_e_mailed_once_to_leadership_on_its_day(programme, week):
    assert weekly_reports_send_due(at=MONDAY - timedelta(hours=2)) == 0  # 07:00: before the status hour
    assert weekly_reports_send_due(at=MONDAY) == 1
    assert weekly_reports_send_due(at=MONDAY + timedelta(hours=3)) == 0  # already sent today
    assert weekly_reports_send_due(at=MONDAY + timedelta(days=1)) == 0  # Tuesday is not its day
    assert sorted(m.to[0] for m in mail.outbox) == [
        "change@example.com",
        "lead@example.com",
        "owner@example.com",
        "sponsor@example.com",
    ]
    message = mail.outbox[0]
    assert message.subject == (
        "Acme go-live · Weekly summary to Mon 16 Mar: red: Technical health, Service queue health; "
        "12 exit criteria open"
    )
    assert "Technical health: Red (was Green last week)" in message.body
    assert "Governor-limit alerts: 14 alerts, Red (was Green)" in message.body
    assert "12 of 14 criteria not yet passing. No forecast: " in message.body
    assert "Planned exit: Mon 13 Apr 2026." in message.body
    assert (
        "Zero governor-limit alerts: 14 governor-limit alerts (needs ≤ 0 in 7 days), forecast 23 Mar"
        in message.body
    )
    assert "Planned: Co-managed queue. The data shows: Project team leads, BAU observes." in message.body
    assert "Invoices stuck in draft" in message.body and f"{week.name}, deployed Thu 12 Mar" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Invoices stuck in draft" in html
    report = StatusReport.objects.get(kind=ReportKind.WEEKLY)
    assert f"/p/acme/weekly-summary/{report.pk}/" in message.body


def test_beat_sends_it_every_quarter_hour_check():
    from hypercare.celery import app

    assert app.conf.beat_schedule["handover-weekly-reports"]["task"] == weekly_reports_task.name


def test_leadership_reads_the_latest_week_and_any_earlier_one(programme, week, client, audience):
    first = weekly_report_send(programme=programme, at=MONDAY - timedelta(days=7))
    latest = weekly_report_send(programme=programme, at=MONDAY)
    client.force_login(audience["sponsor"].user)
    page = client.get("/p/acme/weekly-summary/").content.decode()
    assert "Weekly summary, 10 Mar – 16 Mar 2026" in page and "Invoices stuck in draft" in page
    assert f"/p/acme/weekly-summary/{first.pk}/" in page
    earlier = client.get(f"/p/acme/weekly-summary/{first.pk}/").content.decode()
    assert "Weekly summary, 3 Mar – 9 Mar 2026" in earlier
    assert latest.pk != first.pk


def test_a_champion_cannot_read_it(programme, week, client, audience):
    report = weekly_report_send(programme=programme, at=MONDAY)
    client.force_login(audience["champion"].user)
    assert client.get("/p/acme/weekly-summary/").status_code == 403
    assert client.get(f"/p/acme/weekly-summary/{report.pk}/").status_code == 403


def test_a_daily_report_is_not_a_week(programme, audience, client):
    daily = releases.status_report_send(programme=programme, at=MONDAY)
    client.force_login(audience["lead"].user)
    assert client.get(f"/p/acme/weekly-summary/{daily.pk}/").status_code == 404


def test_members_who_opted_out_are_not_sent_it(programme, week, client, audience):
    client.force_login(audience["owner"].user)
    client.post("/p/acme/daily-status/preferences/", {"daily_status": "on"})
    weekly_report_send(programme=programme, at=MONDAY)
    assert "owner@example.com" not in [m.to[0] for m in mail.outbox]
    assert "sponsor@example.com" in [m.to[0] for m in mail.outbox]


def test_a_bau_member_is_not_leadership(programme, week, make_persona):
    make_persona(Role.BAU, team=Team.BAU, username="bau-only")
    weekly_report_send(programme=programme, at=MONDAY)
    assert "bau-only@example.com" not in [m.to[0] for m in mail.outbox]
