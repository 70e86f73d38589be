"""Fixtures of the security battery: the two-programme world, clients per role, a private media root."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection, transaction
from django.test import override_settings

from tests.security.world import build_world, sentinel_text


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads of the battery go to a temporary folder, and emails to the in-memory outbox."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def world(db, private_media):
    """A fresh world for one test."""
    return build_world()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for a whole module, inside a transaction rolled back at its end.

    Each test still runs in its own savepoint (pytest-django's `db`), and probes that write
    are wrapped in a savepoint of their own (probe.rolled_back), so every test sees this world.
    """
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=str(media), EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world(b_text=sentinel_text)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# The append-only tables and their SQLite triggers: sign-offs, and the signatory role changes.
GUARDS = [
    (importlib.import_module("handover.migrations.0002_signoff_immutable_triggers"), "handover_signoff"),
    (
        importlib.import_module("hypercare.migrations.0005_signatoryrolechange_immutable_triggers"),
        "hypercare_signatoryrolechange",
    ),
]


@pytest.fixture
def signoff_guard_restored(django_db_setup, django_db_blocker):
    """Request it before `browser_page`: after the live-server test's flush, it puts the SQLite
    triggers of the append-only tables back (see `signoff_guard_lifted`)."""
    yield
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for guard, _ in GUARDS:
                for statement in guard.GUARD.sqlite_forward:
                    cursor.execute(statement)


@pytest.fixture
def signoff_guard_lifted(transactional_db):
    """Live-server tests end with a flush, which on SQLite is a DELETE the append-only tables'
    triggers refuse (PostgreSQL flushes with TRUNCATE, which row triggers do not see): lift them
    for such a test."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for guard, _ in GUARDS:
                for statement in guard.GUARD.sqlite_reverse:
                    cursor.execute(statement)
    yield
    if connection.vendor == "sqlite":
        # pytest-django may flush after `signoff_guard_restored` put the triggers back: leave no row
        # for a trigger to refuse.
        with connection.cursor() as cursor:
            for _, table in GUARDS:
                cursor.execute(f"DELETE FROM {table}")
