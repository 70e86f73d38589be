"""Two breach sweeps at once on PostgreSQL: each event is still flagged, alerted and notified exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from hypercare.models import Notification
from tests.conftest import require_postgres
from tests.triage.conftest import access_of, london
from tickets import services as tickets
from tickets.models import SlaAlert
from triage import services

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY_10 = london(2026, 3, 9, 10, 0)
AT = MONDAY_10 + timedelta(days=2)


@pytest.fixture
def open_tickets(lead, desk):
    require_postgres()
    lead_access, desk_access = access_of(lead), access_of(desk)
    created = []
    for n in range(12):
        ticket = tickets.ticket_create(
            access=lead_access,
            title=f"Ticket {n}",
            severity=1 + n % 2,
            severity_reason="concurrency",
            reported_at=MONDAY_10 + timedelta(minutes=n),
            at=MONDAY_10 + timedelta(minutes=n, seconds=1),
        )
        tickets.ticket_assign(access=desk_access, ticket=ticket, assignee=desk.user, at=MONDAY_10)
        created.append(ticket)
    return created


def in_thread(target, results, key, name=None):
    def run():
        try:
            results[key] = target()
        except BaseException as error:  # surfaced by the test
            results[key] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name or key)
    thread.start()
    return thread


def wait_for_a_blocked_session(timeout_s: float = 20.0) -> None:
    """Poll until another session waits on a lock we hold (bounded; no timing is asserted)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)


def test_two_sweeps_racing_flag_and_alert_each_ticket_once(open_tickets):
    results: dict = {}
    first_flagged = threading.Event()
    release_first = threading.Event()

    def first():
        with transaction.atomic():
            counts = services.sla_sweep(at=AT)
            first_flagged.set()
            release_first.wait(30)
        return counts

    def second():
        first_flagged.wait(30)
        return services.sla_sweep(at=AT)

    a = in_thread(first, results, "a")
    b = in_thread(second, results, "b")
    first_flagged.wait(30)
    wait_for_a_blocked_session()  # the second sweep now waits on the first one's row locks
    release_first.set()
    a.join(60)
    b.join(60)

    assert not isinstance(results["a"], BaseException), results["a"]
    assert not isinstance(results["b"], BaseException), results["b"]
    assert sum(results["a"].values()) == 24  # a response and a resolution breach per ticket
    assert sum(results["b"].values()) == 0
    assert SlaAlert.objects.count() == 24


def test_two_fan_outs_racing_notify_each_alert_once(open_tickets, lead, desk):
    services.sla_sweep(at=AT)
    results: dict = {}
    first_claimed = threading.Event()
    release_first = threading.Event()
    original = services.sweep._recipients

    def slow_recipients(alerts, at):
        if threading.current_thread().name == "first worker":
            first_claimed.set()
            release_first.wait(30)
        return original(alerts, at)

    def first():
        return services.sla_alerts_fan_out(at=AT, batch_size=10, max_batches=1)

    services.sweep._recipients = slow_recipients
    try:
        a = in_thread(first, results, "a", name="first worker")
        first_claimed.wait(30)
        # The second worker skips the ten alerts the first one holds and takes the rest.
        results["b"] = services.sla_alerts_fan_out(at=AT, batch_size=100)
        release_first.set()
        a.join(60)
    finally:
        services.sweep._recipients = original
    connections.close_all()

    assert results["a"] == 10 and results["b"] == 14
    assert not SlaAlert.objects.pending().exists()
    # Sev1 and Sev2 breaches: the assignee and the lead (standing in as queue lead), in-app and email.
    # (Counting the SLA notifications: logging a Sev1 also pages the leads, which is not the sweep's.)
    sla = Notification.objects.filter(kind__startswith="sla_")
    assert sla.filter(recipient=desk.user).count() == 24 * 2
    assert sla.filter(recipient=lead.user).count() == 24 * 2


def test_two_full_task_runs_at_once_send_one_notification_per_person_and_event(open_tickets, desk):
    results: dict = {}
    start = threading.Barrier(2)

    def run():
        start.wait(30)
        services.sla_sweep(at=AT)
        return services.sla_alerts_fan_out(at=AT, batch_size=5)

    threads = [in_thread(run, results, key) for key in ("a", "b")]
    for thread in threads:
        thread.join(60)

    assert results["a"] + results["b"] == 24
    assert Notification.objects.filter(recipient=desk.user).count() == 24 * 2
    assert set(SlaAlert.objects.values_list("notified_at", flat=True)) == {AT}
