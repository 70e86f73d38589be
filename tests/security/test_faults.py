"""Faults, against the real services: what a user would see when processes die and services stop.

Each test starts its own processes (Celery worker and beat, gunicorn) as the Procfile runs them,
against PostgreSQL and Redis. The Redis and PostgreSQL that are stopped are private instances on
free ports; the shared ones are only used through this battery's own Redis database (9) and the
test database. Beat runs the real schedule at a faster pace (tests/security/fast_beat.py).
"""

from __future__ import annotations

import json
import random
import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Count, Q
from django.utils import timezone

from hypercare.models import Heartbeat, Membership, Notification
from hypercare.notifications import EMAIL_LEASE, deliver_emails
from hypercare.roles import Role, Team
from hypercare.vocabulary import AlertKind
from metrics.models import Snapshot
from tests.conftest import require, require_postgres, require_redis
from tests.factories import MembershipFactory, ProgrammeFactory, TicketFactory, UserFactory
from tests.security.faults import (
    FAST,
    PrivatePostgres,
    PrivateRedis,
    Stack,
    app_env,
    broker_drained,
    browser_session,
    database_url_of_the_test_run,
    flush_shared_redis_db,
    free_port,
    http,
    page,
    send_to_shared_broker,
    shared_redis_url,
    wait_until,
)
from tickets.models import SlaAlert, Ticket

pytestmark = pytest.mark.services


@pytest.fixture
def services_ready(transactional_db):
    require_postgres()
    require_redis()
    flush_shared_redis_db()


@pytest.fixture
def stack(services_ready, tmp_path):
    """Processes against the test database and the battery's Redis database; stopped after the test."""
    stacks = []

    def make(**env_overrides) -> Stack:
        env = app_env(
            database_url=database_url_of_the_test_run(), broker_url=shared_redis_url(), var_dir=tmp_path
        )
        env |= env_overrides
        made = Stack(env, tmp_path)
        stacks.append(made)
        return made

    yield make
    for made in stacks:
        made.stop()


def _programme_with_lead(slug: str):
    programme = ProgrammeFactory(slug=slug, ticket_prefix=slug.upper()[:4], status="active")
    lead = MembershipFactory(
        programme=programme, user=UserFactory(username=f"{slug}-lead"), roles=[Role.LEAD], team=Team.PROJECT
    )
    return programme, lead.user


def _breaching_tickets(programme, count: int, *, within_seconds: float, rng: random.Random):
    """Open Sev2 tickets whose response target falls due at random moments in the next `within_seconds`."""
    now = timezone.now()
    return [
        TicketFactory(
            programme=programme,
            severity=2,
            status="new",
            reported_at=now - timedelta(minutes=30),
            response_due_at=now + timedelta(seconds=rng.uniform(2, within_seconds)),
            resolution_due_at=now + timedelta(days=2),
        )
        for _ in range(count)
    ]


def _other_emails(emails) -> set[str]:
    """The ids of every other email notification: beat's own jobs (a KPI turning red, the exit
    forecast) mail the same people through the same worker while the test runs."""
    others = Notification.objects.filter(channel="email").exclude(pk__in=emails.values("pk"))
    return {str(pk) for pk in others.values_list("pk", flat=True)}


def _sent_message_ids(*logs: str) -> list[str]:
    return re.findall(r"Message-ID: <notification-(\d+)@", "\n".join(logs))


def test_breaches_are_notified_exactly_once_while_the_worker_is_killed_20_times(stack, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    rng = random.Random(20260302)
    programme, lead = _programme_with_lead("kill")
    tickets = _breaching_tickets(programme, 500, within_seconds=60, rng=rng)
    processes = stack()
    worker = processes.worker()
    processes.beat()
    kills = 0
    try:
        # SIGKILL the worker at random moments while the 500 targets fall due, and start a new one.
        for _ in range(20):
            time.sleep(rng.uniform(0.5, 3.0))
            worker.kill()
            kills += 1
            worker.start()
        breaches = SlaAlert.objects.filter(kind=AlertKind.RESPONSE_BREACH, ticket__programme=programme)
        emails = Notification.objects.filter(programme=programme, kind="sla_response_breach", channel="email")
        # An email a killed worker had claimed stays leased to it for EMAIL_LEASE (5 minutes),
        # then goes to another worker: sent or leased is "not lost" while the test watches.
        wait_until(
            lambda: (
                breaches.filter(notified_at__isnull=False).count() == 500
                and emails.count() == 500
                and not emails.filter(sent_at__isnull=True, claimed_at__isnull=True).exists()
            ),
            timeout=180,
            what="every breach notified and every email sent or leased",
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{processes.logs()}") from None
    finally:
        processes.stop()
    assert kills == 20 and worker.starts == 21
    # Exactly one alert, one in-app and one email notification per ticket and event.
    assert breaches.count() == 500
    assert set(breaches.values_list("ticket_id", flat=True)) == {t.pk for t in tickets}
    per_ticket = (
        Notification.objects.filter(programme=programme, kind="sla_response_breach", recipient=lead)
        .values("dedupe_key")
        .annotate(n=Count("id"))
    )
    assert len(per_ticket) == 1000 and {row["n"] for row in per_ticket} == {1}
    # The leases of emails claimed by killed workers run out, and the next run sends them.
    mail.outbox = []
    deliver_emails(now=timezone.now() + EMAIL_LEASE + timedelta(seconds=1))
    assert not emails.filter(sent_at__isnull=True).exists()
    # Every email went out; one resent after a kill between the mail server's OK and our
    # "sent" mark keeps its Message-ID, so mail systems drop it.
    sent = _sent_message_ids(*(p.output() for p in processes.processes))
    sent += [m.extra_headers["Message-ID"].split("-")[1].split("@")[0] for m in mail.outbox]
    assert set(sent) - _other_emails(emails) == {str(pk) for pk in emails.values_list("pk", flat=True)}
    timeline = Ticket.objects.filter(programme=programme).annotate(
        breach_events=Count("events", filter=Q(events__kind="breach"))
    )
    assert {t.breach_events for t in timeline} == {1}


def test_logging_tickets_while_redis_is_down_loses_nothing(services_ready, tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = app_env(database_url=database_url_of_the_test_run(), broker_url=redis.url, var_dir=tmp_path)
    processes = Stack(env, tmp_path)
    port = free_port()
    programme, _ = _programme_with_lead("redis")
    champions = [
        MembershipFactory(
            programme=programme, user=UserFactory(username=f"champion{n}"), roles=[Role.CHAMPION]
        )
        for n in range(5)
    ]
    desk = MembershipFactory(programme=programme, user=UserFactory(username="redis-desk"), roles=[Role.DESK])
    from rest_framework.authtoken.models import Token

    tokens = {m.user.username: Token.objects.create(user=m.user).key for m in [*champions, desk]}
    base = f"http://127.0.0.1:{port}/api/v1/programmes/{programme.slug}"
    try:
        processes.web(port)
        processes.worker()
        processes.beat()
        wait_until(
            lambda: http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=60, what="web up"
        )
        redis.stop()  # the broker goes away
        slowest = 0.0
        references = []
        for n in range(100):
            champion = champions[n % 5].user.username
            status, text, seconds = http(
                "POST", f"{base}/tickets/", token=tokens[champion],
                body={"title": f"Cannot save quote {n}", "description": "Save fails.", "impact_scope": "subset",
                      "workaround": "simple", "blocks_vital_process": False},
            )  # fmt: skip
            assert status == 201, (status, text)
            reference = json.loads(text)["reference"]
            references.append(reference)
            # The desk resolves it at once: the champion is told (in the app and by email).
            status, text, resolve_seconds = http(
                "POST", f"{base}/tickets/{reference}/resolve/", token=tokens["redis-desk"],
                body={"resolution": "Fixed the page layout."},
            )  # fmt: skip
            assert status == 200, (status, text)
            slowest = max(slowest, seconds, resolve_seconds)
        # Prompt answers: nothing waited on the missing broker.
        assert slowest < 2, slowest
        assert Ticket.objects.filter(programme=programme).count() == 100
        emails = Notification.objects.filter(programme=programme, kind="ticket_resolved", channel="email")
        assert emails.count() == 100 and not emails.filter(sent_at__isnull=False).exists()
        redis.start()  # the broker comes back on the same address: beat and the worker reconnect
        wait_until(
            lambda: not emails.filter(sent_at__isnull=True).exists(),
            timeout=240,
            what="every email sent after Redis came back",
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{processes.logs()}") from None
    finally:
        processes.stop()
        redis.stop()
    sent = _sent_message_ids(*(p.output() for p in processes.processes))
    assert set(sent) - _other_emails(emails) == {str(pk) for pk in emails.values_list("pk", flat=True)}
    in_app = Notification.objects.filter(programme=programme, kind="ticket_resolved", channel="in_app")
    assert in_app.count() == 100


def _private_stack_setup(url: str, env: dict) -> str:
    """Migrate the private database and create a programme, a lead and the lead's token."""
    import subprocess
    import sys

    from tests.security.faults import BASE_DIR

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=BASE_DIR, check=True
    )
    script = (
        "from datetime import date; from hypercare import services; "
        "from rest_framework.authtoken.models import Token; "
        "p = services.programme_create(name='Restart', slug='restart', ticket_prefix='RST', status='active', "
        "go_live_date=date(2026, 3, 2), planned_exit_date=date(2026, 4, 13), first_month_end_close=date(2026, 3, 31)); "
        "m = services.member_add(programme=p, username='restart-lead', roles=['lead'], email='l@example.com', invite=False); "
        "m.user.set_password('a-long-password-1'); m.user.save(); "
        "print('TOKEN', Token.objects.create(user=m.user).key)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], env=env, cwd=BASE_DIR, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    return re.search(r"TOKEN (\w+)", result.stdout).group(1)


def test_a_postgresql_restart_under_load_fails_fast_then_everything_recovers(services_ready, tmp_path):

    require(PrivatePostgres.available(), "needs PostgreSQL 15's initdb/pg_ctl to run a private cluster")
    cluster = PrivatePostgres()
    cluster.init()
    cluster.start()
    try:
        _restart_under_load(cluster, tmp_path)
    finally:
        cluster.remove()


def _restart_under_load(cluster, tmp_path):
    import subprocess
    import sys

    import psycopg

    from tests.security.faults import BASE_DIR

    url = cluster.createdb("hc_fault")
    env = app_env(database_url=url, broker_url=shared_redis_url(), var_dir=tmp_path / "var", debug=False)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], env=env, cwd=BASE_DIR,
                   check=True)  # fmt: skip
    token = _private_stack_setup(url, env)
    processes = Stack(env, tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/api/v1/programmes/restart/tickets/"
    saved: list[str] = []

    def post(n: int):
        status, text, seconds = http("POST", api, token=token, timeout=30,
                                     body={"title": f"Order {n} stuck", "severity": 3, "severity_reason": "x"})  # fmt: skip
        if status == 201:
            saved.append(json.loads(text)["reference"])
        return status, text, seconds

    try:
        web, worker, beat = processes.web(port), processes.worker(), processes.beat()
        wait_until(lambda: http("GET", f"{base}/healthz")[0] == 200, timeout=90, what="web up")
        for n in range(20):
            assert post(n)[0] == 201
        browser = browser_session(base, "restart-lead", "a-long-password-1")
        assert page(browser, f"{base}/p/restart/")[0] == 200
        cluster.stop()  # the database goes away under load
        outage = [post(100 + n) for n in range(10)]
        outage += [page(browser, f"{base}/p/restart/"), page(browser, f"{base}/p/restart/tickets/")]
        for status, text, seconds in outage:
            assert status in (500, 503), (status, text[:300])
            assert seconds < 10, seconds  # failed fast (connect timeout 2 s), no hang
        # The clear error page, for people and for API clients alike.
        assert all("Something went wrong" in text for _, text, _ in outage), outage[-1][1][:500]
        assert http("GET", f"{base}/healthz")[0] == 503
        restarted_at = timezone.now()
        cluster.start()
        # No process is restarted by hand: the web serves again, the worker and beat carry on.
        wait_until(lambda: post(200)[0] == 201, timeout=90, what="the web answers again after the restart")
        for n in range(20):
            assert post(300 + n)[0] == 201
        assert web.alive and worker.alive and beat.alive and web.starts == worker.starts == beat.starts == 1
        send_to_shared_broker("hypercare.tasks.heartbeat_task", source="after")

        def heartbeats(source: str) -> int:
            with psycopg.connect(f"host=127.0.0.1 port={cluster.port} dbname=hc_fault user=postgres") as db:
                row = db.execute(
                    "SELECT count(*) FROM hypercare_heartbeat WHERE source = %s AND at > %s",
                    (source, restarted_at),
                ).fetchone()
                return row[0]

        wait_until(lambda: heartbeats("after") == 1, timeout=90, what="the worker runs tasks again")
        wait_until(lambda: heartbeats("beat") >= 1, timeout=90, what="beat schedules tasks again")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{processes.logs()}") from None
    finally:
        processes.stop()
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} dbname=hc_fault user=postgres") as db:
        stored = {row[0] for row in db.execute("SELECT reference FROM tickets_ticket")}
    # Every write that was answered with success is there.
    assert len(saved) >= 41 and set(saved) <= stored


def test_two_beat_schedulers_still_give_one_snapshot_a_day_and_one_notification_a_breach(stack):
    rng = random.Random(7)
    programme, lead = _programme_with_lead("twobeats")
    # The programme has run for five days: five days' snapshots are due.
    from hypercare.models import Programme

    Programme.objects.filter(pk=programme.pk).update(created_at=timezone.now() - timedelta(days=5))
    _breaching_tickets(programme, 100, within_seconds=20, rng=rng)
    processes = stack()
    try:
        processes.worker("worker-a")
        processes.worker("worker-b")
        beats = [processes.beat("beat-a"), processes.beat("beat-b")]
        breaches = SlaAlert.objects.filter(kind=AlertKind.RESPONSE_BREACH, ticket__programme=programme)
        wait_until(
            lambda: (
                breaches.filter(notified_at__isnull=False).count() == 100
                and Snapshot.objects.filter(programme=programme).count() >= 5
            ),
            timeout=120,
            what="every breach notified and the snapshots taken",
        )
        # Provably done: no scheduler sends any more, every task sent has been run, and it stays so
        # for one more sweep interval (a duplicate would arrive as a queued message).
        for beat in beats:
            beat.stop()
        wait_until(broker_drained, timeout=60, what="the workers ran every task the schedulers sent")
        time.sleep(FAST["sla-sweep"])
        assert broker_drained()
    except AssertionError as error:
        raise AssertionError(f"{error}\n{processes.logs()}") from None
    finally:
        processes.stop()
    days = Snapshot.objects.filter(programme=programme).values("date").annotate(n=Count("id"))
    assert len(days) >= 5 and {row["n"] for row in days} == {1}
    notes = (
        Notification.objects.filter(programme=programme, kind="sla_response_breach")
        .values("dedupe_key")
        .annotate(n=Count("id"))
    )
    assert len(notes) == 200 and {row["n"] for row in notes} == {1}
    assert Membership.objects.filter(programme=programme).count() == 1
    assert Heartbeat.objects.exists()
