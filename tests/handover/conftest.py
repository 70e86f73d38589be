import importlib

import pytest
from django.db import connection

from hypercare.roles import Role, Team

GUARDS = [
    importlib.import_module("handover.migrations.0002_signoff_immutable_triggers"),
    importlib.import_module("hypercare.migrations.0005_signatoryrolechange_immutable_triggers"),
]


@pytest.fixture
def bau_lead(make_persona):
    """A BAU team member who is also a lead: may accept handover items."""
    return make_persona(Role.BAU, Role.LEAD, team=Team.BAU, username="baulead")


@pytest.fixture(scope="module")
def sqlite_guard_restored(django_db_setup, django_db_blocker):
    """Module-scoped, so it ends after the live-server test's database flush: it puts the SQLite
    triggers of the append-only tables (sign-offs, signatory role changes) back (see
    `sqlite_guard_lifted`) for the tests that follow."""
    yield
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for guard in GUARDS:
                for statement in guard.GUARD.sqlite_forward:
                    cursor.execute(statement)


@pytest.fixture
def sqlite_guard_lifted(transactional_db):
    """Live-server tests end with a flush, which on SQLite is a DELETE the sign-off trigger refuses
    (PostgreSQL flushes with TRUNCATE, which row triggers do not see): lift it for such a test."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for guard in GUARDS:
                for statement in guard.GUARD.sqlite_reverse:
                    cursor.execute(statement)
    yield
