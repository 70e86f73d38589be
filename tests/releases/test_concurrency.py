"""Races on PostgreSQL: two workers send the daily status at once, two people record the same stage at once."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection

from releases import services
from releases.models import HotfixStage, StatusReport
from tests.conftest import require_postgres

pytestmark = pytest.mark.services

MORNING = datetime(2026, 3, 10, 8, 30, tzinfo=ZoneInfo("Europe/London"))


def race(target, runs: int = 2) -> list:
    """Run `target` in `runs` threads released together; return each one's result or exception."""
    barrier = threading.Barrier(runs)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as error:  # collected for the assertions
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_workers_send_the_daily_status_once(transactional_db, programme, sponsor, lead):
    require_postgres()
    results = race(lambda: services.status_report_send(programme=programme, at=MORNING), runs=3)
    assert sum(1 for result in results if isinstance(result, StatusReport)) == 1
    assert [result for result in results if not isinstance(result, StatusReport)] == [None, None]
    assert StatusReport.objects.count() == 1
    assert sorted(message.to[0] for message in mail.outbox) == ["lead@example.com", "sponsor@example.com"]


def test_a_double_submit_records_a_stage_once(transactional_db, make_hotfix, engineer):
    require_postgres()
    hotfix = make_hotfix()
    results = race(lambda: services.hotfix_advance(hotfix=hotfix, stage="dev_sandbox", by=engineer.user))
    assert sum(1 for result in results if isinstance(result, HotfixStage)) == 1
    assert sum(1 for result in results if isinstance(result, services.StageConflict)) == 1
    assert HotfixStage.objects.filter(hotfix=hotfix).count() == 1


def test_two_senders_and_the_schedule_racing_send_a_bulletin_once(
    transactional_db, programme, lead, champion, make_persona
):
    require_postgres()
    from datetime import time

    from hypercare.models import Notification
    from hypercare.roles import Role
    from releases.models import Bulletin, BulletinDelivery

    change = make_persona(Role.CHANGE_MANAGER, username="change")
    services.bulletin_schedule_set(programme=programme, by=change.user, send_at=time(8, 0))
    bulletin = services.bulletin_create(
        programme=programme, by=change.user, date=MORNING.date(), fixed="- Quote PDFs show the new logo"
    )
    senders = iter([change.user, lead.user])
    lock = threading.Lock()

    def send():
        with lock:
            by = next(senders, None)
        if by is None:  # the third racer is the beat task
            return services.bulletins_send_due(at=MORNING)
        return services.bulletin_send(bulletin=bulletin, by=by, at=MORNING)

    results = race(send, runs=3)
    sent = [result for result in results if isinstance(result, Bulletin)]
    beat = [result for result in results if isinstance(result, int)]
    assert len(sent) + sum(beat) == 1, results
    assert Bulletin.objects.count() == 1
    people = programme.memberships.count()
    assert BulletinDelivery.objects.count() == people
    assert Notification.objects.filter(kind="bulletin", channel="in_app").count() == people
    assert Notification.objects.filter(recipient=champion.user, kind="bulletin", channel="email").count() == 1
