"""Checks shared by the append-only tables' tests (sign-offs, signatory role changes, the audit
trail): the database itself refuses to change a row, through its triggers, whatever the client."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction


def assert_database_refuses(table: str, pk: int, *statements: str) -> None:
    """Each raw UPDATE or DELETE (with one %s for the row's id) fails with an IntegrityError."""
    for statement in statements:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table), [pk])


def triggers_on(table: str) -> list[str]:
    """The names of the user triggers on `table` in this database, sorted."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s ORDER BY name",
                [table],
            )
        return [row[0] for row in cursor.fetchall()]


def guard_triggers(table: str) -> list[str]:
    """What the guard installs: one trigger on PostgreSQL, one per refused statement on SQLite."""
    if connection.vendor == "postgresql":
        return [f"{table}_immutable"]
    return [f"{table}_no_delete", f"{table}_no_update"]
