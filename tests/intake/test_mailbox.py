"""The intake mailbox's settings: a lead's page, the password encrypted at rest or read from the
environment, and outgoing notifications that thread back by their subject."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from hypercare.access import get_programme_for
from hypercare.notifications import deliver_emails
from intake import services
from intake.models import Mailbox
from tickets import services as tickets


def form(**overrides):
    data = {
        "enabled": "on",
        "host": "imap.acme.example",
        "port": "993",
        "security": "ssl",
        "username": "intake@acme.example",
        "password": "s3cret-imap",
        "password_env": "",
        "folder": "INBOX",
    }
    data.update(overrides)
    return data


def test_a_lead_configures_the_mailbox_and_the_password_is_stored_encrypted(client, lead):
    client.force_login(lead.user)
    url = f"/p/{lead.programme.slug}/intake/"

    assert client.post(url, form()).status_code == 302
    mailbox = Mailbox.objects.get(programme=lead.programme)
    assert "s3cret-imap" not in mailbox.password_encrypted
    assert services.mailbox_password(mailbox) == "s3cret-imap"

    # A blank password keeps the stored one; the page never shows it.
    assert client.post(url, form(password="", folder="Hypercare")).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.folder == "Hypercare" and services.mailbox_password(mailbox) == "s3cret-imap"
    assert "s3cret-imap" not in client.get(url).content.decode()


def test_the_page_names_the_field_a_lead_got_wrong(client, lead):
    client.force_login(lead.user)

    url = f"/p/{lead.programme.slug}/intake/"

    bad_port = client.post(url, form(port="99999"))
    no_password = client.post(url, form(password=""))

    assert bad_port.status_code == no_password.status_code == 400
    assert list(bad_port.context["form"].errors) == ["port"]
    assert "environment variable" in no_password.context["form"].errors["password"][0]
    assert not Mailbox.objects.exists()


def test_the_password_can_come_from_the_environment(lead, monkeypatch):
    access = get_programme_for(lead.user, lead.programme.slug)
    mailbox = services.mailbox_save(
        access=access,
        host="imap.acme.example",
        port=993,
        security="ssl",
        username="u",
        password_env="ACME_IMAP",
    )
    monkeypatch.setenv("ACME_IMAP", "from-env")
    assert services.mailbox_password(mailbox) == "from-env"


def test_a_stored_password_needs_the_key_it_was_encrypted_with(lead, settings):
    access = get_programme_for(lead.user, lead.programme.slug)
    mailbox = services.mailbox_save(
        access=access, host="imap.acme.example", port=993, security="ssl", username="u", password="p"
    )
    settings.INTAKE_ENCRYPTION_KEY = "x" * 43 + "="  # another (valid) key
    with pytest.raises(ImproperlyConfigured, match="enter it again"):
        services.mailbox_password(mailbox)


def test_only_leads_configure_the_mailbox(desk):
    with pytest.raises(PermissionDenied):
        services.mailbox_save(
            access=get_programme_for(desk.user, desk.programme.slug),
            host="imap.acme.example",
            port=993,
            security="ssl",
            username="u",
            password="p",
        )


def test_notification_emails_about_a_ticket_carry_its_reference_in_the_subject(champion, desk, mailoutbox):
    ticket = tickets.ticket_create(
        access=get_programme_for(champion.user, champion.programme.slug),
        title="Quote PDF blank",
        untriaged=True,
    )
    tickets.ticket_resolve(
        access=get_programme_for(desk.user, desk.programme.slug),
        ticket=ticket,
        resolution="Cleared the cache.",
    )

    deliver_emails()

    [sent] = [m for m in mailoutbox if m.to == [champion.user.email]]
    assert sent.subject == f"[{ticket.reference}] is resolved: Quote PDF blank"
