"""Outgoing webhooks posted to a real HTTP receiver on 127.0.0.1: signing, retry with backoff, give-up, once per key."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core.exceptions import PermissionDenied

from releases import services
from releases.models import DeliveryState, WebhookAttempt, WebhookDelivery
from releases.tasks import webhook_deliver_task
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def receiver():
    def make(*statuses: int) -> Receiver:
        return Receiver(list(statuses))

    return make


def register(programme, lead, url, events=("release", "sev1_ticket")):
    return services.webhook_register(
        programme=programme, by=lead.user, name="Ops channel", url=url, events=list(events), secret=SECRET
    )


def emit(programme, key="sev1_ticket:1"):
    return services.webhook_emit(
        programme=programme,
        event="sev1_ticket",
        key=key,
        payload={
            "text": "Sev1 ACME-1: nobody can save Opportunities",
            "fields": {"Tier": 3},
            "ticket": "ACME-1",
        },
    )


def test_it_posts_a_signed_slack_compatible_payload(programme, lead, receiver):
    with receiver(200) as hook_server:
        register(programme, lead, hook_server.url)
        assert emit(programme) == 1
        delivery = WebhookDelivery.objects.get()
        assert webhook_deliver_task(delivery.pk) == "delivered"
    request = hook_server.requests[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Hypercare-Signature"] == expected
    assert request["headers"]["X-Hypercare-Event"] == "sev1_ticket"
    body = json.loads(request["body"])
    assert body["text"] == "Sev1 ACME-1: nobody can save Opportunities"
    assert body["fields"] == [{"title": "Tier", "value": "3", "short": True}]
    assert body["data"] == {"ticket": "ACME-1"} and body["programme"]["slug"] == "acme"
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.last_status_code == 200
    assert list(WebhookAttempt.objects.values_list("number", "status_code")) == [(1, 200)]


def test_a_500_is_retried_with_exponential_backoff(programme, lead, receiver, settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    with receiver(500, 503, 200) as hook_server:
        register(programme, lead, hook_server.url)
        emit(programme)
        delivery = WebhookDelivery.objects.get()
        first = services.webhook_attempt(delivery_id=delivery.pk)
        second = services.webhook_attempt(delivery_id=delivery.pk)
        third = services.webhook_attempt(delivery_id=delivery.pk)
    assert (first.state, first.status_code, first.retry_in) == ("pending", 500, 30)
    assert (second.state, second.status_code, second.retry_in) == ("pending", 503, 60)
    assert (third.state, third.status_code) == ("delivered", 200)
    assert list(WebhookAttempt.objects.values_list("number", "status_code")) == [(1, 500), (2, 503), (3, 200)]
    # Every retry is signed over the same bytes.
    assert len({r["body"] for r in hook_server.requests}) == 1


def test_the_celery_task_retries_then_gives_up_after_n_attempts(programme, lead, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    with receiver(500, 500, 500, 500) as hook_server:
        register(programme, lead, hook_server.url)
        emit(programme)
        delivery = WebhookDelivery.objects.get()
        # Eager Celery runs the retries at once (the countdown is ignored), each through the service.
        webhook_deliver_task.delay(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.GAVE_UP and delivery.attempts == 3
    assert len(hook_server.requests) == 3
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500, 500, 500]
    # A late duplicate task does nothing once it gave up.
    assert webhook_deliver_task(delivery.pk) == "skipped"


def test_a_network_error_is_logged_and_retried(programme, lead, receiver):
    with receiver() as hook_server:
        url = hook_server.url
    register(programme, lead, url)  # the server is gone: connection refused
    emit(programme)
    outcome = services.webhook_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert outcome.state == "pending" and outcome.status_code is None
    assert WebhookAttempt.objects.get().error


def test_an_event_is_delivered_once_per_key(programme, lead, receiver):
    with receiver() as hook_server:
        register(programme, lead, hook_server.url)
        emit(programme, key="sev1_ticket:7")
        emit(programme, key="sev1_ticket:7")
    assert WebhookDelivery.objects.count() == 1


def test_only_subscribed_active_webhooks_get_an_event(programme, lead, receiver):
    with receiver() as hook_server:
        register(programme, lead, hook_server.url, events=["daily_status"])
        assert emit(programme) == 0
        paused = register(programme, lead, hook_server.url, events=["sev1_ticket"])
        services.webhook_set_active(webhook=paused, by=lead.user, active=False)
        assert emit(programme) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_release_deploy_emits_a_release_event(programme, lead, engineer, make_hotfix, receiver):
    from datetime import date

    with receiver() as hook_server:
        register(programme, lead, hook_server.url, events=["release"])
        release = services.release_create(programme=programme, by=lead.user, planned_for=date(2099, 1, 5))
        services.release_add_hotfix(release=release, hotfix=make_hotfix("uat_signed_off"), by=engineer.user)
        services.release_deploy(release=release, by=lead.user)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "release" and delivery.key == f"release:{release.pk}"
    assert "Patch 1 is deployed with 1 fix" in delivery.payload["text"]


def test_private_addresses_are_refused_in_production(programme, lead, receiver, settings):
    with receiver() as hook_server:
        # Registered while internal targets were allowed (registration refuses them otherwise):
        # delivery checks again, since a name may also resolve elsewhere after registration.
        settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
        register(programme, lead, hook_server.url)
        settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
        emit(programme)
        outcome = services.webhook_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert outcome.status_code is None and hook_server.requests == []
    assert "non-public" in WebhookAttempt.objects.get().error


def test_only_leads_manage_webhooks(programme, engineer, viewer, lead, outsider, client):
    with pytest.raises(PermissionDenied):
        register(programme, engineer, "https://hooks.example.com/x")
    url = "/api/v1/programmes/acme/webhooks/"
    data = {"name": "Teams", "url": "https://hooks.example.com/x", "events": ["breach"]}
    assert engineer.api().post(url, data, format="json").status_code == 403
    assert viewer.api().get(url).status_code == 403
    assert outsider.api().get(url).status_code == 404
    created = lead.api().post(url, data, format="json")
    assert created.status_code == 201 and "secret" not in created.json()
    client.force_login(engineer.user)
    assert client.get("/p/acme/webhooks/").status_code == 403
    client.force_login(lead.user)
    page = client.post(
        "/p/acme/webhooks/", {"name": "Slack", "url": "https://hooks.example.com/y", "events": ["release"]}
    )
    assert page.status_code == 200 and "shown this once" in page.content.decode()


def test_emit_needs_text_and_a_known_event(programme):
    with pytest.raises(ValueError):
        services.webhook_emit(programme=programme, event="sev1_ticket", key="k", payload={})
    with pytest.raises(ValueError):
        services.webhook_emit(programme=programme, event="party", key="k", payload={"text": "x"})


def test_sev1_tickets_and_breaches_are_emitted_once_by_the_sweep(programme, lead, receiver):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import TicketFactory

    now = timezone.now()
    sev1 = TicketFactory(programme=programme, severity=1, title="Nobody can log in", reported_at=now)
    late = TicketFactory(
        programme=programme,
        severity=2,
        reported_at=now - timedelta(hours=3),
        response_due_at=now - timedelta(minutes=5),
        response_breached=True,
    )
    TicketFactory(programme=programme, severity=1, reported_at=now - timedelta(days=3))  # old news
    with receiver() as hook_server:
        register(programme, lead, hook_server.url, events=["sev1_ticket", "breach"])
        assert services.ticket_webhooks_emit(at=now) == 2
        assert services.ticket_webhooks_emit(at=now) == 2  # emitted again, delivered once
    keys = set(WebhookDelivery.objects.values_list("key", flat=True))
    assert keys == {f"sev1_ticket:{sev1.pk}", f"breach:response:{late.pk}"}
    assert "Nobody can log in" in WebhookDelivery.objects.get(event="sev1_ticket").payload["text"]


def test_an_imported_tickets_breach_before_its_import_is_not_emitted(programme, lead, receiver):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import TicketFactory

    now = timezone.now()
    imported = now - timedelta(minutes=30)
    breached = {"severity": 2, "reported_at": now - timedelta(days=400), "response_breached": True}
    # Breached in the old tracker ten minutes before the import: history.
    TicketFactory(
        programme=programme,
        imported_at=imported,
        response_due_at=imported - timedelta(minutes=10),
        **breached,
    )
    # Imported with time left, breached after the import: news.
    later = TicketFactory(
        programme=programme, imported_at=imported, response_due_at=now - timedelta(minutes=5), **breached
    )
    with receiver() as hook_server:
        register(programme, lead, hook_server.url, events=["breach"])
        assert services.ticket_webhooks_emit(at=now) == 1
    assert list(WebhookDelivery.objects.values_list("key", flat=True)) == [f"breach:response:{later.pk}"]


def test_the_sweep_costs_one_query_without_webhooks(programme, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.ticket_webhooks_emit() == 0
