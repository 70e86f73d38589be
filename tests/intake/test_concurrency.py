"""Two workers on the same mail at once, on PostgreSQL: one ticket, and the other worker stands down."""

from __future__ import annotations

import threading

import pytest

from intake import services
from intake.models import InboundMail, Outcome
from tests.conftest import require_postgres
from tests.intake.conftest import mail
from tests.triage.test_sweep_concurrency import in_thread, wait_for_a_blocked_session
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_racing_on_one_mail_log_one_ticket(champion, monkeypatch):
    require_postgres()
    raw = mail(sender=champion.user.email, subject="Approvals vanish")
    results: dict = {}
    first_claimed, release_first = threading.Event(), threading.Event()
    handle = services._handle

    def slow_handle(record, *args):
        handle(record, *args)
        if threading.current_thread().name == "first worker":
            first_claimed.set()  # claimed and ticket written, not yet committed
            release_first.wait(30)

    monkeypatch.setattr(services, "_handle", slow_handle)
    process = lambda: services.mail_process(programme=champion.programme, raw=raw)  # noqa: E731
    a = in_thread(process, results, "a", name="first worker")
    first_claimed.wait(30)
    b = in_thread(process, results, "b", name="second worker")
    wait_for_a_blocked_session()  # the second worker waits on the first one's claim
    release_first.set()
    a.join(60)
    b.join(60)

    assert isinstance(results["a"], InboundMail) and results["a"].outcome == Outcome.TICKET
    assert results["b"] is None
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1
