"""Fixtures of the intake tests: a real IMAP server (dovecot), the programme's mailbox on it, and
mails written the way mail clients write them."""

from __future__ import annotations

import itertools
from email.message import EmailMessage

import pytest

from hypercare.access import get_programme_for
from intake import services
from intake.models import Security
from tests.conftest import require
from tests.intake.imap import DOVECOT, start_dovecot

_ids = itertools.count(1)


@pytest.fixture(scope="session")
def _dovecot():
    if DOVECOT is None:
        yield None
        return
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def imap_server(_dovecot):
    """The IMAP server, its inbox empty."""
    require(_dovecot is not None, "needs Debian's dovecot-imapd (apt-get install dovecot-imapd)", in_ci=True)
    _dovecot.empty()
    return _dovecot


@pytest.fixture
def mailbox(imap_server, lead):
    return services.mailbox_save(
        access=get_programme_for(lead.user, lead.programme.slug),
        host=imap_server.host,
        port=imap_server.port,
        security=Security.NONE,
        username=imap_server.username,
        password=imap_server.password,
        folder="INBOX",
    )


@pytest.fixture
def poll(mailbox, django_capture_on_commit_callbacks):
    """Run one poll as the beat task does, with the answers it sends after commit."""

    def run() -> int:
        mailbox.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            return services.mailbox_poll(mailbox=mailbox)

    return run


def mail(
    *,
    sender: str,
    subject: str,
    body: str = "Hello",
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "intake@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<mail-{next(_ids)}@client.example>"
    message.set_content(body)
    for name, content, content_type in attachments:
        main, sub = content_type.split("/")
        message.add_attachment(content, maintype=main, subtype=sub, filename=name)
    for name, value in (headers or {}).items():
        if name in message:
            message.replace_header(name, value)
        else:
            message[name] = value
    return message.as_bytes()


# War-room chat ----------------------------------------------------------------------------------


@pytest.fixture
def chat_settings(settings):
    from tests.intake.chat import SLACK_SECRET

    settings.SLACK_SIGNING_SECRET = SLACK_SECRET
    return settings


@pytest.fixture
def slack_channel(lead):
    from intake.chat.services import chat_channel_link

    return chat_channel_link(
        access=get_programme_for(lead.user, lead.programme.slug),
        platform="slack",
        name="#acme-hypercare",
        team_id="T0ACME",
        channel_id="C0WAR",
    )


@pytest.fixture
def teams_channel(lead):
    from intake.chat.services import chat_channel_link
    from tests.intake.chat import TEAMS_TOKEN

    return chat_channel_link(
        access=get_programme_for(lead.user, lead.programme.slug),
        platform="teams",
        name="Acme war room",
        channel_id="19:war@thread.tacv2",
        token=TEAMS_TOKEN,
    )


@pytest.fixture
def link_chat_user():
    """Link a chat user to a person the way the one-time link does (the link flow has its own tests)."""
    from intake.chat import services as chat

    def link(channel, persona, *, team_id: str, chat_user_id: str):
        url = chat.chat_link_url(channel=channel, team_id=team_id, chat_user_id=chat_user_id)
        return chat.chat_identity_link(user=persona.user, token=link_token(url))

    return link


def link_token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
