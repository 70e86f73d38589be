"""The email outbox the SLA alerts go through: a lease, so a worker killed mid-send loses no email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hypercare.models import Notification, NotificationChannel
from hypercare.notifications import EMAIL_LEASE, deliver_emails, notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(lead):
    notify(
        programme=lead.programme,
        recipients=[lead.user],
        kind="sla_response_breach",
        key="sla:response_breach:1",
        subject="ACME-1 Sev1: response target breached",
        body="Orders cannot be invoiced",
        link="/p/acme/tickets/ACME-1/",
    )
    return Notification.objects.get(channel=NotificationChannel.EMAIL)


def test_an_email_is_sent_once_with_a_link_and_marked_sent_after_the_server_took_it(queued, settings):
    settings.SITE_URL = "https://hypercare.example.com"
    now = timezone.now()
    assert deliver_emails(now=now) == 1
    assert deliver_emails(now=now + timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<notification-{queued.pk}@hypercare.example.com>"
    assert "/p/acme/tickets/ACME-1/" in mail.outbox[0].body
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.attempts == 1


def test_a_worker_killed_mid_send_leaves_the_email_to_another_once_the_lease_runs_out(queued, monkeypatch):
    now = timezone.now()

    def killed(self, *args, **kwargs):
        raise SystemExit("worker killed while talking to the SMTP server")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", killed)
        with pytest.raises(SystemExit):
            deliver_emails(now=now)
    queued.refresh_from_db()
    assert queued.sent_at is None and queued.claimed_at == now

    assert deliver_emails(now=now + EMAIL_LEASE - timedelta(seconds=1)) == 0  # still leased
    assert deliver_emails(now=now + EMAIL_LEASE + timedelta(seconds=1)) == 1
    assert len(mail.outbox) == 1


def test_a_refusing_smtp_server_gives_the_email_back_for_a_later_attempt(queued, monkeypatch):
    now = timezone.now()

    def refused(self, *args, **kwargs):
        raise OSError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", refused)
        assert deliver_emails(now=now) == 0
    queued.refresh_from_db()
    assert queued.claimed_at is None and queued.last_error == "connection refused"
    assert deliver_emails(now=now + timedelta(minutes=1)) == 1
