"""A fingerprint of every table, to prove that a request changed nothing."""

from __future__ import annotations

import hashlib

from django.db import connection

# Bookkeeping that legitimately changes on any request: sessions, the login throttle's records.
VOLATILE = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
# The audit trail records some reads too: a refusal, a download of the queue. Those entries are the
# record of the request, not a change it made; every other entry counts.
AUDIT_TABLE = "hypercare_auditentry"
AUDITED_READS = ("permission.denied", "tickets.exported")


def tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if t not in VOLATILE)


def fingerprint(only: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row, per table."""
    result = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in only or tables():
            if table == AUDIT_TABLE:
                marks = ", ".join(["%s"] * len(AUDITED_READS))
                cursor.execute(f"SELECT * FROM {quote(table)} WHERE event NOT IN ({marks})", AUDITED_READS)  # noqa: S608
            else:
                cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - table names come from introspection
            rows = sorted(repr(row) for row in cursor.fetchall())
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def changed(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ, with their row counts."""
    return [
        f"{table} ({before.get(table, (0,))[0]} -> {after.get(table, (0,))[0]} rows)"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]
