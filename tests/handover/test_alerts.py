"""KPI alerts and the late exit forecast: told once per change of level, in the app, by e-mail and by
webhook to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from handover.models import EXIT_FORECAST, AlertState, CriterionKind, ExitCriterion
from handover.services import criterion_remove
from handover.services.alerts import (
    alert_levels,
    alert_transition,
    forecast_alert_evaluate,
    kpi_alerts_evaluate,
)
from handover.tasks import alerts_watch_task
from hypercare.models import Notification
from hypercare.notifications import deliver_emails
from hypercare.roles import Role
from hypercare.services import programme_update
from releases.services import webhook_register
from tests.conftest import require_postgres
from tests.handover.factories import AT, access_of, telemetry, window_days
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db

SECRET = "alerts-secret-alerts-secret"


@pytest.fixture
def change(make_persona):
    return make_persona(Role.CHANGE_MANAGER, username="change")


@pytest.fixture
def audience(lead, change, sponsor, desk):
    return {"lead": lead, "change": change, "sponsor": sponsor, "desk": desk}


def governor_alerts(programme, per_day: int) -> None:
    telemetry(programme, "governor_limit_alerts", dict.fromkeys(window_days(7), per_day))


def kpi_notifications(**filters):
    return Notification.objects.filter(kind="kpi_alert", **filters)


def run(programme, at, django_capture_on_commit_callbacks) -> int:
    """One evaluation, with what it queues after commit (e-mail kick, webhook delivery) run for real."""
    with django_capture_on_commit_callbacks(execute=True):
        return kpi_alerts_evaluate(programme=programme, at=at)


def test_it_tells_the_change_manager_and_leads_once_when_a_kpi_turns_red(
    programme, audience, django_capture_on_commit_callbacks
):
    governor_alerts(programme, 2)  # 14 alerts in the window: red at 5 or more
    assert run(programme, AT, django_capture_on_commit_callbacks) == 1
    for minutes in (15, 30, 45):  # beat keeps evaluating; nothing changed, nobody is told again
        assert run(programme, AT + timedelta(minutes=minutes), django_capture_on_commit_callbacks) == 0

    in_app = kpi_notifications(channel="in_app")
    assert sorted(n.recipient.username for n in in_app) == ["change", "lead"]
    told = in_app.first()
    assert told.subject == "Acme go-live: Governor-limit alerts is red (14 alerts)"
    assert "Threshold: green at most 0 alerts, red at 5 alerts or more." in told.body
    assert told.link == "/p/acme/scorecard/#kpi-governor_limit_alerts"

    deliver_emails()
    assert sorted(m.to[0] for m in mail.outbox) == ["change@example.com", "lead@example.com"]
    assert "14 alerts" in mail.outbox[0].body
    assert "/p/acme/scorecard/#kpi-governor_limit_alerts" in mail.outbox[0].body


def test_it_tells_them_once_again_when_it_recovers_and_again_if_it_turns_red_anew(
    programme, audience, django_capture_on_commit_callbacks
):
    governor_alerts(programme, 2)
    run(programme, AT, django_capture_on_commit_callbacks)
    governor_alerts(programme, 0)
    assert run(programme, AT + timedelta(minutes=15), django_capture_on_commit_callbacks) == 1
    assert run(programme, AT + timedelta(minutes=30), django_capture_on_commit_callbacks) == 0
    recovered = kpi_notifications(channel="in_app", recipient=audience["lead"].user).order_by("created_at")
    assert "no longer red: 0 alerts over last 7 days" in recovered.last().body
    assert recovered.last().body.splitlines()[0].endswith(", green.")
    assert [n.subject for n in recovered] == [
        "Acme go-live: Governor-limit alerts is red (14 alerts)",
        "Acme go-live: Governor-limit alerts has recovered (0 alerts)",
    ]
    governor_alerts(programme, 1)  # 7: red again, a new transition, told again
    assert run(programme, AT + timedelta(minutes=45), django_capture_on_commit_callbacks) == 1
    assert kpi_notifications(channel="in_app", recipient=audience["lead"].user).count() == 3
    state = AlertState.objects.get(programme=programme, subject="governor_limit_alerts")
    assert (state.level, state.transitions) == ("alert", 3)


def test_a_kpi_that_is_fine_or_has_no_data_tells_nobody(
    programme, audience, django_capture_on_commit_callbacks
):
    governor_alerts(programme, 0)
    assert run(programme, AT, django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists()


def test_of_two_claims_of_one_change_only_the_first_wins(programme):
    alert_levels(programme=programme, subjects=["closure_ratio"], at=AT)
    first = alert_transition(programme=programme, subject="closure_ratio", level="alert", at=AT)
    second = alert_transition(programme=programme, subject="closure_ratio", level="alert", at=AT)
    assert (first, second) == (1, None)


@pytest.mark.services
def test_racing_workers_tell_a_red_kpi_once(transactional_db, programme, audience):
    """Three workers evaluate at the same instant on PostgreSQL: one notification per person."""
    require_postgres()
    from tests.releases.test_concurrency import race

    governor_alerts(programme, 2)
    results = race(lambda: kpi_alerts_evaluate(programme=programme, at=AT), runs=3)
    assert sorted(results) == [0, 0, 1], results
    assert kpi_notifications(channel="in_app").count() == 2
    assert AlertState.objects.get(subject="governor_limit_alerts").transitions == 1


def test_the_kpi_alert_reaches_a_webhook_receiver(programme, audience, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        webhook_register(
            programme=programme, by=audience["lead"].user, name="War room", url=receiver.url,
            events=["kpi_alert"], secret=SECRET,
        )  # fmt: skip
        governor_alerts(programme, 2)
        run(programme, AT, django_capture_on_commit_callbacks)
        run(programme, AT + timedelta(minutes=15), django_capture_on_commit_callbacks)
        governor_alerts(programme, 0)
        run(programme, AT + timedelta(minutes=30), django_capture_on_commit_callbacks)
    assert [body["key"] for body in receiver.bodies] == [
        "kpi:governor_limit_alerts:red:1",
        "kpi:governor_limit_alerts:recovered:2",
    ]
    red = receiver.bodies[0]
    assert red["event"] == "kpi_alert"
    assert red["text"] == "Acme go-live: Governor-limit alerts is red (14 alerts)"
    fields = {field["title"]: field["value"] for field in red["fields"]}
    assert (
        fields["Value"] == "14 alerts"
        and fields["Threshold"] == "green at most 0 alerts, red at 5 alerts or more"
    )
    assert red["data"]["url"].endswith("/p/acme/scorecard/#kpi-governor_limit_alerts")


# The exit forecast -----------------------------------------------------------------------------


@pytest.fixture
def dated_gate(programme, lead):
    """A gate of three criteria that all have a forecast: the latest is the handover pack's, 13 April."""
    keep = {CriterionKind.BAU_COMANAGED, CriterionKind.MONTH_END_CLOSE, CriterionKind.HANDOVER_PACK}
    for criterion in ExitCriterion.objects.filter(programme=programme).exclude(kind__in=keep):
        criterion_remove(access=access_of(lead), criterion=criterion)
    return programme


def forecast_notifications(**filters):
    return Notification.objects.filter(kind="forecast_late", channel="in_app", **filters)


def test_leads_and_sponsors_are_told_once_when_the_forecast_falls_after_the_planned_exit(
    dated_gate, audience, django_capture_on_commit_callbacks
):
    programme = dated_gate
    programme_update(programme=programme, planned_exit_date=date(2026, 4, 6))
    with Receiver() as receiver:
        webhook_register(
            programme=programme, by=audience["lead"].user, name="Leadership", url=receiver.url,
            events=["forecast_late"], secret=SECRET,
        )  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            assert forecast_alert_evaluate(programme=programme, at=AT) is True
            assert forecast_alert_evaluate(programme=programme, at=AT + timedelta(hours=1)) is False
        programme_update(programme=programme, planned_exit_date=date(2026, 4, 20))
        with django_capture_on_commit_callbacks(execute=True):
            assert forecast_alert_evaluate(programme=programme, at=AT + timedelta(hours=2)) is True
            assert forecast_alert_evaluate(programme=programme, at=AT + timedelta(hours=3)) is False

    told = forecast_notifications().order_by("created_at", "recipient__username")
    assert [(n.recipient.username, n.subject) for n in told] == [
        ("lead", "Acme go-live: the exit forecast (13 Apr 2026) is after the planned exit (06 Apr 2026)"),
        ("sponsor", "Acme go-live: the exit forecast (13 Apr 2026) is after the planned exit (06 Apr 2026)"),
        ("lead", "Acme go-live: the exit forecast is back on time (13 Apr 2026)"),
        ("sponsor", "Acme go-live: the exit forecast is back on time (13 Apr 2026)"),
    ]
    assert told[0].body.startswith(
        "At current rates the exit gate turns green on Monday 13 April 2026, after the planned exit on Monday 06 April 2026."
    )
    assert (
        "Late criteria: " in told[0].body and "(forecast 13 Apr 2026: by the latest due date" in told[0].body
    )
    assert told[0].link == "/p/acme/exit-gate/"
    assert [body["key"] for body in receiver.bodies] == ["forecast:late:1", "forecast:on_time:2"]
    assert receiver.bodies[0]["data"]["forecast"]["planned_exit_date"] == "2026-04-06"
    assert AlertState.objects.get(programme=programme, subject=EXIT_FORECAST).level == "ok"


def test_an_on_time_forecast_tells_nobody(dated_gate, audience):
    assert forecast_alert_evaluate(programme=dated_gate, at=AT) is False
    assert not forecast_notifications().exists()


def test_the_beat_task_tells_a_red_kpi_once_across_runs(
    programme, audience, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from hypercare.celery import app

    assert app.conf.beat_schedule["handover-alerts-watch"]["task"] == "handover.tasks.alerts_watch_task"
    days = window_days(7, at=timezone.now())
    telemetry(programme, "governor_limit_alerts", dict.fromkeys(days, 2))
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_watch_task() == 1
        assert alerts_watch_task() == 0
    assert kpi_notifications(channel="in_app").count() == 2  # the lead and the change manager


def test_a_steady_evaluation_writes_nothing(programme, audience, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    governor_alerts(programme, 2)
    run(programme, AT, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as queries:
        run(programme, AT + timedelta(minutes=15), django_capture_on_commit_callbacks)
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []  # every 15 minutes for every programme: the levels are read, nothing is written
