"""The breach sweep: set-based flags, one alert and one notification per ticket per event, whatever happens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hypercare.models import Notification, NotificationChannel
from hypercare.roles import Role
from hypercare.vocabulary import AlertKind, EventKind
from tests.triage.conftest import access_of, london
from tickets import services as tickets
from tickets.models import SlaAlert, TicketEvent
from triage import services
from triage.services import sweep
from triage.tasks import sla_sweep_task

pytestmark = pytest.mark.django_db

MONDAY_10 = london(2026, 3, 9, 10, 0)


@pytest.fixture
def team(lead, desk, engineer, make_persona):
    """A desk analyst who is assigned, a named Tier 2 queue lead, and an engineer on call."""
    queue_lead = make_persona(Role.DESK, username="queuelead")
    lead_access = access_of(lead)
    services.queue_lead_set(access=lead_access, tier=2, user=queue_lead.user)
    services.oncall_shift_add(
        access=lead_access,
        user=engineer.user,
        starts_at=MONDAY_10 - timedelta(days=1),
        ends_at=MONDAY_10 + timedelta(days=6),
    )
    return {"lead": lead, "desk": desk, "queue_lead": queue_lead, "engineer": engineer}


def assigned_ticket(log_ticket, team, *, severity):
    ticket = log_ticket(severity=severity, reported_at=MONDAY_10)
    return tickets.ticket_assign(
        access=access_of(team["desk"]), ticket=ticket, assignee=team["desk"].user, at=MONDAY_10
    )


def inbox(kind: str) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, channel=NotificationChannel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


def run(at):
    flagged = services.sla_sweep(at=at)
    services.sla_alerts_fan_out(at=at)
    return flagged


def test_it_breaches_a_sev1_response_and_tells_assignee_queue_lead_leads_and_on_call_once(log_ticket, team):
    ticket = assigned_ticket(log_ticket, team, severity=1)

    flagged = run(MONDAY_10 + timedelta(minutes=16))

    ticket.refresh_from_db()
    assert ticket.response_breached is True and ticket.resolution_breached is False
    assert flagged[AlertKind.RESPONSE_BREACH] == 1
    assert inbox("sla_response_breach") == {"desk", "queuelead", "lead", "engineer"}
    # In-app and email for each of the four people, exactly once.
    assert Notification.objects.filter(kind="sla_response_breach").count() == 8
    breach = TicketEvent.objects.get(ticket=ticket, kind=EventKind.BREACH)
    assert breach.to_value == AlertKind.RESPONSE_BREACH and "queuelead" in breach.note


def test_running_again_retrying_or_running_the_task_twice_sends_nothing_more(log_ticket, team):
    assigned_ticket(log_ticket, team, severity=1)
    later = MONDAY_10 + timedelta(minutes=16)
    run(later)
    assert run(later) == {AlertKind.RESPONSE_BREACH: 0, AlertKind.RESOLUTION_BREACH: 0, AlertKind.AT_RISK: 0}
    run(later + timedelta(minutes=1))
    assert Notification.objects.filter(kind__startswith="sla_").count() == 8

    # The task runs at the real time, long after the 4-hour resolution target: one more event.
    sla_sweep_task.apply()
    after_task = Notification.objects.filter(kind__startswith="sla_").count()
    sla_sweep_task.apply()
    sla_sweep_task.apply()

    # Nobody is on call by then: the assignee, queue lead and lead, in-app and email.
    assert after_task == 14 and Notification.objects.filter(kind__startswith="sla_").count() == after_task
    assert sorted(SlaAlert.objects.values_list("kind", flat=True)) == ["resolution_breach", "response_breach"]


def test_a_sev2_at_risk_goes_to_assignee_and_queue_lead_only_and_a_breach_escalates(log_ticket, team):
    ticket = assigned_ticket(log_ticket, team, severity=2)
    # Sev2 responds within 60 minutes; 75% of that is 45 minutes.
    run(MONDAY_10 + timedelta(minutes=44))
    assert inbox("sla_at_risk") == set()

    run(MONDAY_10 + timedelta(minutes=46))
    ticket.refresh_from_db()
    assert ticket.at_risk is True and ticket.response_breached is False
    assert inbox("sla_at_risk") == {"desk", "queuelead"}

    run(MONDAY_10 + timedelta(minutes=61))
    ticket.refresh_from_db()
    assert ticket.response_breached is True and ticket.at_risk is False
    assert inbox("sla_response_breach") == {"desk", "queuelead", "lead", "engineer"}


def test_a_sev1_at_risk_already_escalates_to_leads_and_on_call(log_ticket, team):
    assigned_ticket(log_ticket, team, severity=1)
    run(MONDAY_10 + timedelta(minutes=12))
    assert inbox("sla_at_risk") == {"desk", "queuelead", "lead", "engineer"}


def test_a_sev3_breach_is_not_escalated_and_without_a_queue_lead_the_leads_stand_in(log_ticket, lead, desk):
    ticket = log_ticket(severity=3, reported_at=MONDAY_10)
    tickets.ticket_assign(access=access_of(desk), ticket=ticket, assignee=desk.user, at=MONDAY_10)
    run(london(2026, 3, 9, 14, 1))
    assert inbox("sla_response_breach") == {"desk", "lead"}


def test_a_late_catch_up_sends_the_breach_but_not_a_stale_at_risk(log_ticket, team):
    ticket = assigned_ticket(log_ticket, team, severity=2)
    run(MONDAY_10 + timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.response_breached is True
    assert inbox("sla_at_risk") == set()
    assert inbox("sla_response_breach")


def test_a_paused_ticket_never_breaches_its_resolution_target(log_ticket, team):
    ticket = assigned_ticket(log_ticket, team, severity=2)
    desk = access_of(team["desk"])
    tickets.ticket_transition(
        access=desk, ticket=ticket, status="in_progress", at=MONDAY_10 + timedelta(minutes=5)
    )
    tickets.ticket_transition(
        access=desk, ticket=ticket, status="waiting_on_reporter", at=MONDAY_10 + timedelta(minutes=10)
    )
    run(MONDAY_10 + timedelta(days=3))
    ticket.refresh_from_db()
    assert ticket.resolution_breached is False and ticket.response_breached is False
    assert not SlaAlert.objects.exists()


def test_a_resolved_ticket_is_left_alone(log_ticket, team):
    ticket = assigned_ticket(log_ticket, team, severity=1)
    tickets.ticket_resolve(
        access=access_of(team["desk"]),
        ticket=ticket,
        resolution="Restarted",
        at=MONDAY_10 + timedelta(minutes=5),
    )
    run(MONDAY_10 + timedelta(days=1))
    assert not SlaAlert.objects.exists()


def test_the_members_channel_choice_is_respected(log_ticket, team):
    services.notification_preferences_save(
        user=team["desk"].user, choices={"sla_response_breach": {"email": True, "in_app": False}}
    )
    assigned_ticket(log_ticket, team, severity=1)
    run(MONDAY_10 + timedelta(minutes=16))
    desk_rows = Notification.objects.filter(kind="sla_response_breach", recipient=team["desk"].user)
    assert list(desk_rows.values_list("channel", flat=True)) == [NotificationChannel.EMAIL]


def test_a_worker_dying_mid_fan_out_loses_and_duplicates_nothing(log_ticket, team, monkeypatch):
    assigned_ticket(log_ticket, team, severity=1)
    at = MONDAY_10 + timedelta(minutes=16)
    services.sla_sweep(at=at)

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    # Killed after the notifications were inserted, before the alert was marked notified.
    with monkeypatch.context() as patch:
        patch.setattr(sweep.TicketEvent.objects, "bulk_create", die)
        with pytest.raises(SystemExit):
            services.sla_alerts_fan_out(at=at)
    assert Notification.objects.filter(kind__startswith="sla_").count() == 0
    assert SlaAlert.objects.pending().count() == 1

    services.sla_alerts_fan_out(at=at + timedelta(minutes=1))
    services.sla_alerts_fan_out(at=at + timedelta(minutes=2))
    assert Notification.objects.filter(kind="sla_response_breach").count() == 8
    assert not SlaAlert.objects.pending().exists()


def test_a_sweep_dying_before_its_commit_leaves_no_flag_without_an_alert(log_ticket, team, monkeypatch):
    ticket = assigned_ticket(log_ticket, team, severity=1)
    at = MONDAY_10 + timedelta(minutes=16)
    statements = sweep.RULES[:1] + (("broken", "at_risk = TRUE", "no_such_column = 1"),)
    monkeypatch.setattr(sweep, "RULES", statements)
    with pytest.raises(Exception, match="no_such_column"):
        services.sla_sweep(at=at)
    ticket.refresh_from_db()
    assert ticket.response_breached is False and not SlaAlert.objects.exists()


def test_the_sweep_runs_a_constant_number_of_statements(log_ticket, team):
    assigned_ticket(log_ticket, team, severity=1)
    with CaptureQueriesContext(connection) as few:
        services.sla_sweep(at=MONDAY_10 + timedelta(minutes=16))
    for n in range(30):
        log_ticket(severity=1 + n % 4, reported_at=MONDAY_10 + timedelta(minutes=n))
    with CaptureQueriesContext(connection) as many:
        flagged = services.sla_sweep(at=MONDAY_10 + timedelta(days=30))
    assert sum(flagged.values()) > 30
    assert len(many) == len(few)


def test_the_fan_out_runs_a_constant_number_of_queries_per_batch(log_ticket, team):
    for n in range(3):
        log_ticket(severity=1, reported_at=MONDAY_10 + timedelta(minutes=n))
    services.sla_sweep(at=MONDAY_10 + timedelta(days=1))
    with CaptureQueriesContext(connection) as few:
        services.sla_alerts_fan_out(at=MONDAY_10 + timedelta(days=1))
    for n in range(20):
        log_ticket(severity=1 + n % 2, reported_at=MONDAY_10 + timedelta(hours=1, minutes=n))
    services.sla_sweep(at=MONDAY_10 + timedelta(days=2))
    with CaptureQueriesContext(connection) as many:
        handled = services.sla_alerts_fan_out(at=MONDAY_10 + timedelta(days=2))
    assert handled == 40

    def reads_and_writes(context):
        # Notification rows go in one INSERT, split only by the database's parameter limit.
        return [q["sql"] for q in context.captured_queries if 'INTO "hypercare_notification"' not in q["sql"]]

    assert len(reads_and_writes(many)) == len(reads_and_writes(few))


def test_the_fan_out_works_in_bounded_batches(log_ticket, team):
    for n in range(5):
        log_ticket(severity=1, reported_at=MONDAY_10 + timedelta(minutes=n))
    services.sla_sweep(at=MONDAY_10 + timedelta(minutes=30))
    assert services.sla_alerts_fan_out(at=MONDAY_10 + timedelta(minutes=30), batch_size=2, max_batches=2) == 4
    assert SlaAlert.objects.pending().count() == 1
    assert services.sla_alerts_fan_out(at=MONDAY_10 + timedelta(minutes=31), batch_size=2) == 1


def test_a_flag_raised_by_a_ticket_change_is_alerted_once_too(log_ticket, lead, desk):
    # A Sev3 imported after its response was already due: the ticket service raises the flag.
    ticket = log_ticket(severity=3, reported_at=MONDAY_10)
    tickets.ticket_change_severity(
        access=access_of(desk),
        ticket=ticket,
        severity=1,
        reason="Finance blocked",
        at=MONDAY_10 + timedelta(hours=1),
    )
    assert ticket.response_breached is True
    assert SlaAlert.objects.filter(ticket=ticket, kind=AlertKind.RESPONSE_BREACH).exists()
    run(MONDAY_10 + timedelta(hours=1, minutes=1))
    run(MONDAY_10 + timedelta(hours=1, minutes=2))
    assert Notification.objects.filter(kind="sla_response_breach", recipient=lead.user).count() == 2
