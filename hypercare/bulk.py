"""Fast bulk loading for large data sets: COPY on PostgreSQL, batched INSERTs elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice

from django.db import connection


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


def load_rows(model, fields: Sequence[str], rows: Iterable[Sequence], *, batch: int = 5000) -> int:
    """Insert rows (tuples in `fields` order) into `model`'s table as fast as the database allows.

    NOT NULL fields not listed get their model default (so a column added later does not
    break seeding). Returns the number of rows written. No save(), no signals: seeding only.
    """
    table = model._meta.db_table
    listed = {model._meta.get_field(name).column for name in fields}
    filler = [
        (field.column, _plain(field.get_default()))
        for field in model._meta.concrete_fields
        if field.column not in listed and not field.primary_key and not field.null
    ]
    columns = [_column(model, name) for name in fields] + [column for column, _ in filler]
    if filler:
        defaults = tuple(value for _, value in filler)
        rows = (tuple(row) + defaults for row in rows)
    written = 0
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg 3 cursor: its copy() streams rows
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        return written
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(iterator, batch)):
            cursor.executemany(sql, [tuple(_adapt(value) for value in row) for row in chunk])
            written += len(chunk)
    return written


def _plain(value):
    return json.dumps(value) if isinstance(value, dict | list) else value


def _adapt(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def reset_sequence(model) -> None:
    """After loading explicit ids, move PostgreSQL's id sequence past them."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))",
            [table],
        )
