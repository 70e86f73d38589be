"""Links in e-mails, webhooks and the exit report use SITE_URL, and without it the address the app
is served on: the request's own, or the one it last answered on (for links built by workers)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone

from hypercare import services
from hypercare.roles import Role
from hypercare.site import CACHE_KEY, absolute, site_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["hc.internal", "testserver"]
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def invite_link(programme, capture, username="newcomer") -> str:
    with capture(execute=True):
        services.member_add(
            programme=programme, username=username, email="n@example.com", roles=[Role.VIEWER]
        )
    return next(word for word in mail.outbox[-1].body.split() if "/accounts/reset/" in word)


def test_it_uses_the_configured_site_url(settings, programme, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://hypercare.example.com/"
    assert site_url() == "https://hypercare.example.com"
    assert invite_link(programme, django_capture_on_commit_callbacks).startswith(
        "https://hypercare.example.com/accounts/reset/"
    )
    assert absolute("/p/acme/") == "https://hypercare.example.com/p/acme/"


def test_without_one_a_request_links_to_its_own_address(settings):
    settings.SITE_URL = ""
    request = RequestFactory().get("/", HTTP_HOST="hc.internal:8103")
    settings.ALLOWED_HOSTS = ["hc.internal"]
    assert site_url(request) == "http://hc.internal:8103"


def test_without_one_links_built_later_use_the_address_the_app_is_served_on(
    settings, client, programme, django_capture_on_commit_callbacks
):
    settings.SITE_URL = ""
    client.get("/accounts/login/", HTTP_HOST="hc.internal:8103")
    assert site_url() == "http://hc.internal:8103"
    assert invite_link(programme, django_capture_on_commit_callbacks).startswith(
        "http://hc.internal:8103/accounts/reset/"
    )


def test_a_refused_host_is_never_recorded(settings, client):
    settings.SITE_URL = ""
    client.get("/accounts/login/", HTTP_HOST="evil.example.net")
    assert "evil" not in site_url()


def test_webhooks_link_the_ticket_on_the_site(settings, programme, lead):
    from releases import services as releases
    from releases.models import WebhookDelivery
    from tests.factories import TicketFactory

    settings.SITE_URL = "https://hypercare.example.com"
    settings.HYPERCARE_WEBHOOK_ALLOW_PRIVATE = True
    sev1 = TicketFactory(programme=programme, severity=1, reported_at=timezone.now())
    releases.webhook_register(
        programme=programme,
        by=lead.user,
        name="Ops",
        url="https://hooks.example.com/x",
        events=["sev1_ticket"],
    )
    releases.ticket_webhooks_emit()
    payload = WebhookDelivery.objects.get().payload
    assert payload["data"]["url"] == f"https://hypercare.example.com/p/acme/tickets/{sev1.reference}/"


def test_the_exit_report_links_on_the_site(settings):
    from handover.report import _absolute

    settings.SITE_URL = "https://hypercare.example.com"
    assert _absolute("/media/x.pdf") == "https://hypercare.example.com/media/x.pdf"
    assert _absolute("https://docs.example.com/a") == "https://docs.example.com/a"
