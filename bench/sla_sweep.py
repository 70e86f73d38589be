"""Benchmark of the SLA breach sweep on PostgreSQL with bulk-generated open tickets (run on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hc_bench_sla .venv/bin/python bench/sla_sweep.py \
        --sizes 10000,100000,1000000

The database is created and migrated if needed, and must be a scratch one: every run
replaces the benchmark programme's tickets. For each size it inserts that many open
tickets with one `INSERT … SELECT FROM generate_series` (severities 1–4, reported over
the last ten days, 60% already answered, due and at-risk instants as the clock engine
stores them), lets a first sweep catch up (timed too: the worst case, a long outage),
then times sweeps one minute apart, the steady state of the every-minute beat task, and
prints a Markdown table. Statement counts come from the sweep itself (three on PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypercare.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL=postgres://…/<a scratch database>: the sweep is benchmarked on PostgreSQL."
        )
    name = url.rsplit("/", 1)[-1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def programme_and_people():
    from datetime import date

    from django.contrib.auth import get_user_model

    from hypercare import services
    from hypercare.models import Programme

    user, _ = get_user_model().objects.get_or_create(username="bench-reporter")
    programme = Programme.objects.filter(slug="bench-sla").first() or services.programme_create(
        name="SLA sweep benchmark",
        slug="bench-sla",
        ticket_prefix="BENCH",
        go_live_date=date(2026, 1, 5),
        planned_exit_date=date(2026, 3, 2),
        first_month_end_close=date(2026, 1, 30),
    )
    return programme, user


COLUMNS = {
    # column: SQL expression over g (1…n), r (a per-row random in [0, 1)) and :now / :policy
    "programme_id": "%(programme)s",
    "number": "g",
    "reference": "'BENCH-' || g",
    "title": "'Bench ticket ' || g",
    "reporter_id": "%(reporter)s",
    "category": "'defect'",
    "severity": "1 + (g %% 4)",
    "tier": "CASE WHEN g %% 5 = 0 THEN 3 ELSE 2 END",
    "status": "CASE WHEN g %% 7 = 0 THEN 'waiting_on_reporter' WHEN g %% 3 = 0 THEN 'in_progress' ELSE 'new' END",
    "reported_at": "rep",
    "sla_started_at": "rep",
    "updated_at": "%(now)s",
    "sla_policy_id": "%(policy)s",
    "sla_clock": "CASE WHEN g %% 4 IN (0, 1) THEN '24x7' ELSE 'business' END",
    "first_responded_at": "CASE WHEN g %% 5 < 3 THEN rep + interval '10 minutes' END",
    "response_due_at": "rep + resp",
    "response_at_risk_at": "rep + resp * 0.75",
    "resolution_due_at": "CASE WHEN g %% 7 = 0 OR g %% 4 = 3 THEN NULL ELSE rep + res END",
    "resolution_at_risk_at": "CASE WHEN g %% 7 = 0 OR g %% 4 = 3 THEN NULL ELSE rep + res * 0.75 END",
    "paused_at": "CASE WHEN g %% 7 = 0 THEN rep + interval '1 hour' END",
}
# Flags as the every-minute sweep left them at %(flagged)s (what the clock engine would store).
RESPONDED = "g %% 5 < 3"
RESPONSE_LATE = f"NOT ({RESPONDED}) AND rep + resp < %(flagged)s"
RESOLUTION_LATE = "g %% 7 <> 0 AND g %% 4 <> 3 AND rep + res < %(flagged)s"
FLAGS = {
    "response_breached": RESPONSE_LATE,
    "resolution_breached": RESOLUTION_LATE,
    "at_risk": f"(NOT ({RESPONDED}) AND NOT ({RESPONSE_LATE}) AND rep + resp * 0.75 <= %(flagged)s) OR "
    f"(g %% 7 <> 0 AND g %% 4 <> 3 AND NOT ({RESOLUTION_LATE}) AND rep + res * 0.75 <= %(flagged)s)",
}


def generate(n: int, *, now, flagged=None) -> None:
    from django.db import connection

    from tickets.models import SlaAlert, Ticket

    programme, reporter = programme_and_people()
    policy = programme.sla_policies.order_by("effective_from").first()
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SlaAlert._meta.db_table}")
        cursor.execute(
            f"DELETE FROM tickets_ticketevent WHERE ticket_id IN (SELECT id FROM {table} WHERE programme_id = %s)",
            [programme.pk],
        )
        cursor.execute(f"DELETE FROM {table} WHERE programme_id = %s", [programme.pk])
        fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
        names, values = [], []
        for field in fields:
            names.append(field.column)
            if field.column in COLUMNS:
                values.append(COLUMNS[field.column])
            elif field.column in FLAGS and flagged is not None:
                values.append(f"COALESCE({FLAGS[field.column]}, FALSE)")
            elif field.null:
                values.append("NULL")
            elif field.get_internal_type() == "BooleanField":
                values.append("FALSE")
            else:
                values.append("''")
        sql = (
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM ("
            " SELECT g, %(now)s - (random() * interval '10 days') AS rep,"
            " CASE g %% 4 WHEN 0 THEN interval '15 minutes' WHEN 1 THEN interval '1 hour'"
            "   WHEN 2 THEN interval '4 hours' ELSE interval '3 days' END AS resp,"
            " CASE g %% 4 WHEN 0 THEN interval '4 hours' WHEN 1 THEN interval '24 hours'"
            "   WHEN 2 THEN interval '7 days' ELSE interval '400 days' END AS res"
            " FROM generate_series(1, %(n)s) AS g) AS s"
        )
        params = {"programme": programme.pk, "reporter": reporter.pk, "policy": policy.pk, "now": now, "n": n}
        cursor.execute(sql, {**params, "flagged": flagged or now})
        cursor.execute(f"VACUUM ANALYZE {table}")


def timed(function, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(**kwargs)
    return time.perf_counter() - started, result


# Not in the schema: what `--risk-indexes` adds to the scratch database, to measure the at-risk
# statement served by an index instead of a sequential scan (a proposal for the ticket table).
RISK_INDEXES = [
    "CREATE INDEX IF NOT EXISTS bench_response_risk ON tickets_ticket (response_at_risk_at) "
    "WHERE NOT at_risk AND NOT response_breached AND first_responded_at IS NULL",
    "CREATE INDEX IF NOT EXISTS bench_resolution_risk ON tickets_ticket (resolution_at_risk_at) "
    "WHERE NOT at_risk AND NOT resolution_breached AND resolved_at IS NULL",
]


def create_risk_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in RISK_INDEXES:
            cursor.execute(statement)
        cursor.execute("ANALYZE tickets_ticket")


def drop_risk_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS bench_response_risk")
        cursor.execute("DROP INDEX IF EXISTS bench_resolution_risk")


def bench(n: int, runs: int, risk_indexes: bool = False, catch_up: bool = False) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from triage.services import sla_sweep

    now = timezone.now().replace(microsecond=0)
    last_sweep = now - timedelta(minutes=runs + 1)
    started = time.perf_counter()
    generate(n, now=now - timedelta(hours=1), flagged=None if catch_up else last_sweep)
    generated = time.perf_counter() - started
    catch_up_s, flagged = timed(sla_sweep, at=last_sweep)
    with connection.cursor() as cursor:  # what autovacuum does between two real minutes
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    if risk_indexes:
        create_risk_indexes()
    steady, counts = [], []
    for minute in range(runs):
        with CaptureQueriesContext(connection) as queries:
            seconds, result = timed(sla_sweep, at=now - timedelta(minutes=runs - minute))
        steady.append(seconds)
        counts.append(sum(result.values()))
        statements = [q["sql"][:40] for q in queries.captured_queries]
    return {
        "open": n,
        "generate_s": generated,
        "catch_up_s": catch_up_s if catch_up else None,
        "catch_up_alerts": sum(flagged.values()),
        "median_s": statistics.median(steady),
        "max_s": max(steady),
        "alerts_per_minute": statistics.mean(counts),
        "statements": len([sql for sql in statements if sql.startswith(("WITH", "INSERT", "UPDATE"))]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of open tickets")
    parser.add_argument("--runs", type=int, default=5, help="timed sweeps per size, one minute apart")
    parser.add_argument(
        "--catch-up",
        action="store_true",
        help="start with no flags set and time the first sweep (slow at 1M)",
    )
    parser.add_argument(
        "--risk-indexes", action="store_true", help="also time with partial indexes on the at-risk instants"
    )
    args = parser.parse_args()
    setup()
    drop_risk_indexes()
    rows = [bench(int(size), args.runs, catch_up=args.catch_up) for size in args.sizes.split(",")]
    if args.risk_indexes:
        rows += [
            {**bench(int(size), args.runs, risk_indexes=True, catch_up=args.catch_up), "indexed": True}
            for size in args.sizes.split(",")
        ]
        drop_risk_indexes()
    print(
        "\n| open tickets | sweep, steady minute (median / max) | alerts per minute | statements | "
        "catch-up sweep (alerts) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['open']:,}{' (+ at-risk indexes)' if row.get('indexed') else ''} | {row['median_s'] * 1000:.0f} ms / {row['max_s'] * 1000:.0f} ms | "
            f"{row['alerts_per_minute']:.0f} | {row['statements']} | "
            + (
                f"{row['catch_up_s'] * 1000:.0f} ms ({row['catch_up_alerts']:,}) |"
                if row["catch_up_s"]
                else "— |"
            )
        )


if __name__ == "__main__":
    main()
