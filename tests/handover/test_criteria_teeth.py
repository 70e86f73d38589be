"""Exit criteria with teeth: co-management measured day by day, BAU running the queue to its SLA
targets, no project-team rescue, a volume trend over working days, and forecasts that say when."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from handover import services
from handover.criteria import gate_evaluate, least_squares_slope
from handover.models import CriterionKind, ExitCriterion, PhaseKind
from handover.selectors import kt_measured_phase
from hypercare.services import calendar_update
from releases.services import status_figures
from tests.handover.factories import (
    AT,
    access_of,
    last_days,
    last_working_days,
    result,
    take,
    telemetry,
    ticket,
)
from tickets import services as tickets

pytestmark = pytest.mark.django_db

PASS, FAIL, NOT_MEASURABLE = "pass", "fail", "not_measurable"
MIGRATION = importlib.import_module("handover.migrations.0003_exit_criteria_bau_handling")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def handled(programme, persona, day: date, *, n: int = 0, **extra):
    """A ticket reported that morning and taken by `persona` that day."""
    worked = ticket(programme, reported_at=at(day, 8), **extra)
    take(persona, worked, at=at(day, 10, n))
    return worked


def co_managed_history(programme, bau, desk, *, days, bau_per_day=1, per_day=4, weekend_by_desk=2):
    """Each working day, BAU takes `bau_per_day` of the `per_day` tickets and the desk the rest; at
    weekends only the desk works a few."""
    for day in days:
        if day.weekday() >= 5:
            for n in range(weekend_by_desk):
                handled(programme, desk, day, n=n)
            continue
        for n in range(per_day):
            handled(programme, bau if n < bau_per_day else desk, day, n=n)


def only(programme, *kinds):
    ExitCriterion.objects.of(programme).exclude(kind__in=kinds).delete()


# BAU co-managed the queue for 14 days: every working day, BAU handled at least 25% -----------------


def test_one_old_ticket_taken_today_is_not_co_management(programme, bau):
    """What users saw: the only BAU activity, a 20-day-old ticket taken today, passed the 14 days."""
    old = ticket(programme, reported_at=AT - timedelta(days=20))
    take(bau, old, at=AT - timedelta(hours=1))
    r = result(programme, CriterionKind.BAU_COMANAGED)
    assert r.status == FAIL and r.value == 0
    working = last_working_days(10)  # Fri 6 Mar to Thu 19 Mar, weekends left out
    assert [item["date"] for item in r.evidence_items] == [day.isoformat() for day in working]
    assert r.evidence_items[0]["text"] == "Fri 6 Mar: no ticket handled"
    assert "10 of the window's 10 working days were not" in r.value_display


def test_fourteen_days_of_real_co_management_pass(programme, bau, desk):
    # Exactly a quarter each working day; the weekends, worked by the desk alone, do not count.
    co_managed_history(programme, bau, desk, days=last_days(14))
    r = result(programme, CriterionKind.BAU_COMANAGED)
    assert r.status == PASS and r.value == 14 and r.evidence_items == []
    assert r.value_display == "co-managed for 14 days (10 of 10 working days)"


def test_a_working_day_below_the_share_fails_and_is_listed(programme, bau, desk):
    days = last_days(14)
    co_managed_history(programme, bau, desk, days=[d for d in days if d != date(2026, 3, 11)])
    co_managed_history(programme, bau, desk, days=[date(2026, 3, 11)], bau_per_day=0)
    r = result(programme, CriterionKind.BAU_COMANAGED)
    assert r.status == FAIL
    assert [item["text"] for item in r.evidence_items] == ["Wed 11 Mar: BAU handled 0 of 4 tickets (0%)"]
    assert r.value == 8  # co-managed since Thu 12 March
    assert r.forecast == date(2026, 3, 26)  # the first day the 14-day window leaves 11 March behind
    assert "if every working day from now on is co-managed" in r.forecast_note


def test_the_daily_share_is_a_second_threshold_the_leads_edit(programme, bau, desk, lead):
    co_managed_history(programme, bau, desk, days=last_days(14), per_day=5)  # 1 of 5: 20%
    assert result(programme, CriterionKind.BAU_COMANAGED).status == FAIL
    criterion = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.BAU_COMANAGED)
    with pytest.raises(ValidationError) as error:
        services.criterion_update(access=access_of(lead), criterion=criterion, share_threshold="120")
    assert "share_threshold" in error.value.message_dict
    services.criterion_update(access=access_of(lead), criterion=criterion, share_threshold="20")
    r = result(programme, CriterionKind.BAU_COMANAGED)
    assert r.status == PASS and "each working day ≥ 20% BAU" in r.threshold_display


def test_co_management_is_not_measurable_before_the_window_has_elapsed(programme, bau, desk):
    co_managed_history(programme, bau, desk, days=[date(2026, 3, 2) + timedelta(days=n) for n in range(8)])
    r = result(programme, CriterionKind.BAU_COMANAGED, at=at(date(2026, 3, 10), 12))
    assert r.status == NOT_MEASURABLE and r.evidence_items == []
    assert r.forecast == date(2026, 3, 16)  # 14 days after go-live


def test_the_exit_gate_page_and_api_list_the_failing_days(client, lead, bau, programme):
    old = ticket(programme, reported_at=AT - timedelta(days=20))
    take(bau, old, at=timezone_now() - timedelta(hours=1))
    client.force_login(lead.user)
    page = client.get(reverse("handover:exit_gate", args=[programme.slug])).content.decode()
    assert "Working days not co-managed (10)" in page and "no ticket handled" in page
    data = lead.api().get(f"/api/v1/programmes/{programme.slug}/exit-gate/").json()
    comanaged = next(c for c in data["criteria"] if c["kind"] == "bau_comanaged")
    assert comanaged["status"] == "fail" and len(comanaged["evidence_items"]) == 10
    assert {"date", "handled", "bau", "text"} <= set(comanaged["evidence_items"][0])
    assert comanaged["forecast"] and comanaged["forecast_note"]


def timezone_now() -> datetime:
    from django.utils import timezone

    return timezone.now()


# The 10-day volume trend counts working days only -------------------------------------------------

MONDAY = datetime(2026, 3, 23, 12, tzinfo=UTC)


def test_a_weekend_of_zeros_cannot_make_a_rising_trend_pass(programme):
    """What users saw: on a Monday, the last ten calendar days end with a weekend of zeros."""
    working = last_working_days(10, at=MONDAY)  # Mon 9 Mar to Fri 20 Mar
    counts = [3, 3, 3, 3, 4, 4, 4, 4, 5, 5]
    for day, count in zip(working, counts, strict=True):
        for n in range(count):
            ticket(programme, reported_at=at(day, 10, n))
    by_day = dict(zip(working, counts, strict=True))
    calendar_days = last_days(10, at=MONDAY)  # Fri 13 Mar to Sun 22 Mar
    assert least_squares_slope([by_day.get(day, 0) for day in calendar_days]) < 0  # the old reading passed
    r = result(programme, CriterionKind.VOLUME_TREND, at=MONDAY)
    assert r.status == FAIL and r.value > 0
    assert [item["date"] for item in r.evidence_items] == [day.isoformat() for day in working]


def test_a_holiday_is_not_a_working_day_of_the_trend(programme):
    calendar_update(programme=programme, holidays=[(date(2026, 3, 18), "Company day")])
    working = [day for day in last_working_days(11) if day != date(2026, 3, 18)]  # Thu 5 Mar to Thu 19 Mar
    for day in working:
        for n in range(2):
            ticket(programme, reported_at=at(day, 10, n))
    r = result(programme, CriterionKind.VOLUME_TREND)
    assert r.status == PASS and r.value == 0
    assert [item["date"] for item in r.evidence_items] == [day.isoformat() for day in working]


# BAU ran the queue for 14 days, meeting the SLA targets ------------------------------------------------


def bau_run(programme, bau, desk, *, by_bau: int, by_desk: int, late: int = 0):
    """Tickets spread over the working days of the window, each resolved an hour after it was taken:
    BAU's tickets met their resolution target except the first `late` ones."""
    days = last_working_days(10)
    for n in range(by_bau + by_desk):
        day = days[n % len(days)]
        due = at(day, 10, n) + (timedelta(minutes=30) if n < late else timedelta(hours=8))
        worked = ticket(programme, reported_at=at(day, 8), status="resolved", resolved_at=at(day, 11, n),
                        resolution_due_at=due)  # fmt: skip
        take(bau if n < by_bau else desk, worked, at=at(day, 10, n))


def test_bau_running_the_queue_to_its_sla_targets_passes(programme, bau, desk):
    bau_run(programme, bau, desk, by_bau=9, by_desk=1)
    r = result(programme, CriterionKind.BAU_RAN_QUEUE)
    assert r.status == PASS and r.value == 90.0
    assert r.value_display == "BAU handled 90.0% (9 of 10); BAU's SLA 100.0% (9 of 9)"
    assert kt_measured_phase(programme, at=AT).phase == PhaseKind.BAU_LEADS


def test_bau_handling_under_80_percent_fails(programme, bau, desk):
    bau_run(programme, bau, desk, by_bau=7, by_desk=3)
    r = result(programme, CriterionKind.BAU_RAN_QUEUE)
    assert r.status == FAIL and r.facts == {"share_met": False, "sla_met": True}
    assert r.value_display.startswith("BAU handled 70.0% (7 of 10)")


def test_bau_missing_the_sla_target_fails_with_the_sla_criterions_threshold(programme, bau, desk, lead):
    bau_run(programme, bau, desk, by_bau=10, by_desk=0, late=8)
    r = result(programme, CriterionKind.BAU_RAN_QUEUE)
    assert r.status == FAIL and "BAU's SLA 20.0% (2 of 10)" in r.value_display
    assert "BAU's SLA ≥ 95%" in r.threshold_display
    # The SLA compliance criterion's threshold is the one read: lowering it there lowers it here.
    sla = ExitCriterion.objects.get(programme=programme, kind=CriterionKind.SLA_COMPLIANCE)
    services.criterion_update(access=access_of(lead), criterion=sla, threshold="20")
    r = result(programme, CriterionKind.BAU_RAN_QUEUE)
    assert r.status == PASS and "BAU's SLA ≥ 20%" in r.threshold_display


def test_the_knowledge_transfer_page_shows_the_phase_the_data_shows(client, lead, bau, desk, programme):
    assert kt_measured_phase(programme, at=AT).phase == PhaseKind.PROJECT_LEADS
    co_managed_history(programme, bau, desk, days=last_days(14))
    assert kt_measured_phase(programme, at=AT).phase == PhaseKind.CO_MANAGED
    client.force_login(lead.user)
    page = client.get(reverse("handover:kt", args=[programme.slug])).content.decode()
    assert 'id="kt-planned"' in page and 'id="kt-measured"' in page


# Without project-team rescue ------------------------------------------------------------------------


def test_a_rescue_is_listed_with_who_handed_it_to_whom(programme, bau, engineer, lead):
    worked = handled(programme, bau, date(2026, 3, 16))
    tickets.ticket_assign(
        access=access_of(lead), ticket=worked, assignee=engineer.user, at=at(date(2026, 3, 16), 14)
    )
    r = result(programme, CriterionKind.NO_RESCUE)
    assert r.status == FAIL and r.value == 1
    [item] = r.evidence_items
    assert (item["reference"], item["from"], item["to"]) == (worked.reference, "bau", "engineer")
    assert item["at"] == at(date(2026, 3, 16), 14).isoformat()
    assert "(BAU) to" in item["text"] and "(project team)" in item["text"]
    assert r.forecast == date(2026, 3, 30)  # when the 14-day window has left 16 March behind
    services.criterion_update(
        access=access_of(lead),
        criterion=ExitCriterion.objects.get(programme=programme, kind=CriterionKind.NO_RESCUE),
        threshold=1,
    )
    assert result(programme, CriterionKind.NO_RESCUE).status == PASS


def test_no_rescue_passes_when_bau_handles_its_own_tickets(programme, bau, desk):
    co_managed_history(programme, bau, desk, days=last_days(14))
    r = result(programme, CriterionKind.NO_RESCUE)
    assert r.status == PASS and r.value == 0 and r.evidence_items == []


# Forecasts ----------------------------------------------------------------------------------------


def test_the_sev1_sev2_backlog_burn_down_is_forecast_over_working_days(programme):
    only(programme, CriterionKind.OPEN_SEV12)
    backlog = [ticket(programme, reported_at=at(date(2026, 3, 1)), severity=2) for _ in range(14)]
    for sev2, day in zip(backlog, last_working_days(10), strict=False):
        type(sev2).objects.filter(pk=sev2.pk).update(status="resolved", resolved_at=at(day, 12))
    r = result(programme, CriterionKind.OPEN_SEV12)
    assert r.status == FAIL and r.value == 4
    assert [item["over_limit"] for item in r.evidence_items] == [13, 12, 11, 10, 9, 8, 7, 6, 5, 4]
    assert r.forecast == date(2026, 3, 25)  # four more working days at one a day
    assert "burning down 1.0 Sev1/Sev2 a working day" in r.forecast_note


def falling_exceptions(programme, days, *, first_index: int = 0):
    """10,000 transactions a working day; exceptions fall by 2 a working day from 40 (0.40%)."""
    telemetry(programme, "transactions", dict.fromkeys(days, 10_000))
    telemetry(
        programme, "exceptions", {day: max(0, 40 - 2 * (first_index + n)) for n, day in enumerate(days)}
    )


def test_a_falling_exception_rate_passes_on_the_day_it_forecasts(programme):
    only(programme, CriterionKind.EXCEPTION_RATE)
    history = last_working_days(10)
    falling_exceptions(programme, history)
    r = result(programme, CriterionKind.EXCEPTION_RATE)
    assert r.status == FAIL and r.forecast is not None and r.forecast > AT.date()
    assert "-0.02 points a working day" in r.forecast_note
    # The trend goes on: the working days up to the forecast follow the same line.
    future, day = [], AT.date()
    while day < r.forecast:
        if day.weekday() < 5:
            future.append(day)
        day += timedelta(days=1)
    falling_exceptions(programme, future, first_index=len(history))
    forecast_day = datetime.combine(r.forecast, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    assert result(programme, CriterionKind.EXCEPTION_RATE, at=forecast_day).status == PASS
    day_before = forecast_day - timedelta(days=1)
    # The day before, the figure read the days before it only (its own data had not come in yet).
    from metrics.models import DataPoint

    DataPoint.objects.filter(series__programme=programme, date__gte=day_before.date()).delete()
    assert result(programme, CriterionKind.EXCEPTION_RATE, at=day_before).status == FAIL


def test_a_flat_failing_trend_has_no_date_and_says_why(programme):
    only(programme, CriterionKind.EXCEPTION_RATE)
    days = last_working_days(10)
    telemetry(programme, "transactions", dict.fromkeys(days, 10_000))
    telemetry(programme, "exceptions", dict.fromkeys(days, 30))
    r = result(programme, CriterionKind.EXCEPTION_RATE)
    assert r.status == FAIL and r.forecast is None
    assert "does not pass within a year" in r.forecast_note


def test_a_rising_bau_share_is_forecast(programme):
    only(programme, CriterionKind.BAU_SHARE)
    for n, day in enumerate(last_working_days(10)):
        for k in range(20):
            ticket(programme, reported_at=at(day, 9, k), team="bau" if k < 5 + n else "project")
    r = result(programme, CriterionKind.BAU_SHARE)
    assert r.status == FAIL and r.forecast is not None
    assert AT.date() < r.forecast <= date(2026, 4, 3)
    assert "the daily BAU share +5 points a working day" in r.forecast_note


def test_a_criterion_without_a_trend_says_why_it_has_no_forecast(programme):
    r = result(programme, CriterionKind.HANDOVER_PACK)
    assert r.status == FAIL and r.forecast_note


def slow_burn(programme, *, now: datetime = AT):
    """40 open Sev2 from before the last ten working days, one resolved on each of them: at that
    rate the backlog clears some thirty working days after `now`."""
    only(programme, CriterionKind.OPEN_SEV12)
    days = last_working_days(10, at=now)
    backlog = [ticket(programme, reported_at=at(days[0] - timedelta(days=3)), severity=2) for _ in range(40)]
    for sev2, day in zip(backlog, days, strict=False):
        type(sev2).objects.filter(pk=sev2.pk).update(status="resolved", resolved_at=at(day, 12))


def test_a_forecast_after_the_planned_exit_is_said_on_the_gate_its_api_and_the_daily_status(
    client, lead, programme
):
    slow_burn(programme)
    gate = gate_evaluate(programme=programme, at=AT)
    forecast, _ = gate.forecast
    assert forecast > programme.planned_exit_date and gate.forecast_after_planned_exit
    assert [r.criterion.kind for r in gate.late_criteria] == [CriterionKind.OPEN_SEV12]
    status = status_figures(programme=programme, at=AT)["exit_gate"]
    assert status["forecast_after_planned_exit"] is True and status["planned_exit_date"] == "2026-04-13"
    assert status["late"][0]["title"] == "Zero open Sev1 and Sev2 tickets"


def test_the_daily_status_page_and_email_say_the_forecast_is_late(client, lead, programme):
    from releases.models import ReportKind
    from releases.services import render_status_email, status_report_send

    slow_burn(programme)
    report = status_report_send(programme=programme, kind=ReportKind.DAILY, at=AT)
    assert report.data["exit_gate"]["forecast_after_planned_exit"] is True
    text, html = render_status_email(report=report)
    assert "After the planned exit" in text and "After the planned exit" in html
    client.force_login(lead.user)
    page = client.get(reverse("releases:status_report", args=[programme.slug, report.pk])).content.decode()
    assert 'data-figure="forecast_after_planned_exit"' in page


def test_the_exit_gate_api_says_when_the_forecast_is_after_the_planned_exit(lead, programme):
    slow_burn(programme, now=timezone_now())  # the API evaluates the gate now
    data = lead.api().get(f"/api/v1/programmes/{programme.slug}/exit-gate/").json()
    assert data["planned_exit_date"] == programme.planned_exit_date.isoformat()
    assert data["forecast_after_planned_exit"] is True
    assert data["forecast_green_on"] > programme.planned_exit_date.isoformat()
    [criterion] = data["criteria"]
    assert criterion["forecast"] == data["forecast_green_on"] and "burning down" in criterion["forecast_note"]


# Existing programmes get the new criteria -----------------------------------------------------------


def test_the_migration_adds_the_new_criteria_to_existing_programmes_once(programme):
    new = [CriterionKind.BAU_RAN_QUEUE, CriterionKind.NO_RESCUE]
    ExitCriterion.objects.of(programme).filter(kind__in=new).delete()
    last = ExitCriterion.objects.of(programme).order_by("-position").first().position
    MIGRATION.add_new_criteria(django_apps, None)
    MIGRATION.add_new_criteria(django_apps, None)
    added = list(ExitCriterion.objects.of(programme).filter(kind__in=new).order_by("position"))
    assert [(c.kind, c.position, c.window_days) for c in added] == [
        (CriterionKind.BAU_RAN_QUEUE, last + 1, 14),
        (CriterionKind.NO_RESCUE, last + 2, 14),
    ]
