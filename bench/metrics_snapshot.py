"""Benchmark of the daily snapshot on PostgreSQL with bulk-generated ticket history (run on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hc_bench_metrics .venv/bin/python bench/metrics_snapshot.py \
        --sizes 100000,1000000

The database is created and migrated if needed, and must be a scratch one: each size empties
the ticket table (TRUNCATE … CASCADE) and refills it. For each size it inserts that many tickets of one programme
with one `INSERT … SELECT FROM generate_series` in the order they are reported (over 60 days, nine in ten resolved
or closed after a skewed cycle time, every category, severity, tier and team, SLA due instants
with about a fifth breached)), then times, over several runs: the snapshot of one past day as
beat takes it (compute and upsert), "today so far" as the dashboard computes it, a 7-day
backfill, and the whole scorecard evaluation. It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "bench-metrics"
HISTORY_DAYS = 60


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypercare.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL=postgres://…/<a scratch database>: snapshots are benchmarked on PostgreSQL."
        )
    name = url.rsplit("/", 1)[-1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def programme_and_reporter():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from hypercare import services
    from hypercare.models import Programme

    reporter, _ = get_user_model().objects.get_or_create(username="bench-metrics-reporter")
    today = timezone.localdate()
    programme = Programme.objects.filter(slug=SLUG).first() or services.programme_create(
        name="Snapshot benchmark",
        slug=SLUG,
        ticket_prefix="BSNAP",
        go_live_date=today - timedelta(days=HISTORY_DAYS),
        planned_exit_date=today + timedelta(days=14),
        first_month_end_close=today,
        status="active",
    )
    return programme, reporter


CATEGORIES = (
    "ARRAY['defect','how_to','access','data','configuration','performance','integration','enhancement']"
)
COLUMNS = {
    # column: SQL expression over g (1…n), rep (reported), done (resolved or closed, or NULL), resp/res (SLA spans)
    "programme_id": "%(programme)s",
    "number": "g",
    "reference": "'BSNAP-' || g",
    "title": "'Bench ticket ' || g",
    "reporter_id": "%(reporter)s",
    "business_unit": "(ARRAY['Sales','Service','Finance','Marketing','Operations'])[1 + g %% 5]",
    "geography": "(ARRAY['UK','Ireland','Germany','US'])[1 + g %% 4]",
    "process": "(ARRAY['Opportunity','Case','Quote','Lead','Invoice','Account'])[1 + g %% 6]",
    "category": f"({CATEGORIES})[1 + (g * 7) %% 8]",
    "severity": "CASE WHEN g %% 25 = 0 THEN 1 WHEN g %% 6 = 0 THEN 2 WHEN g %% 2 = 0 THEN 3 ELSE 4 END",
    "tier": "1 + (g * 3) %% 3",
    "team": "CASE WHEN g %% 5 < 2 THEN 'bau' ELSE 'project' END",
    "status": "CASE WHEN done IS NULL THEN (CASE WHEN g %% 13 = 0 THEN 'deferred' WHEN g %% 3 = 0 THEN 'in_progress' "
    "ELSE 'new' END) WHEN g %% 10 = 0 THEN 'closed' ELSE 'resolved' END",
    "reported_at": "rep",
    "updated_at": "%(now)s",
    "resolved_at": "CASE WHEN g %% 10 <> 0 THEN done END",
    "closed_at": "CASE WHEN g %% 10 = 0 THEN done END",
    "resolved_at_tier": "CASE WHEN done IS NOT NULL AND g %% 10 <> 0 THEN 1 + (g * 3) %% 3 END",
    "first_responded_at": "CASE WHEN r1 < 0.9 AND rep + resp * r1 * 1.3 < %(now)s THEN rep + resp * r1 * 1.3 END",
    "response_due_at": "rep + resp",
    "resolution_due_at": "rep + res",
    "response_breached": "(r1 * 1.3 > 1 AND rep + resp < %(now)s)",
    "resolution_breached": "(done IS NOT NULL AND done > rep + res) OR (done IS NULL AND rep + res < %(now)s)",
}


def generate(n: int, *, now) -> float:
    """Replace the benchmark programme's tickets with `n` generated ones; returns the seconds it took."""
    from django.db import connection

    from tickets.models import Ticket

    programme, reporter = programme_and_reporter()
    table = Ticket._meta.db_table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # A scratch database: emptying the table (and what refers to it) leaves no dead rows behind
        # for the next size's sequential scans to wade through.
        cursor.execute(f"TRUNCATE {table} CASCADE")
        names, values = [], []
        for field in (f for f in Ticket._meta.concrete_fields if not f.primary_key):
            names.append(field.column)
            if field.column in COLUMNS:
                values.append(COLUMNS[field.column])
            elif field.null:
                values.append("NULL")
            elif field.get_internal_type() == "BooleanField":
                values.append("FALSE")
            elif field.get_internal_type() in ("JSONField",):
                values.append("'{}'")
            elif field.get_internal_type() in (
                "IntegerField",
                "PositiveIntegerField",
                "PositiveSmallIntegerField",
            ):
                values.append("0")
            else:
                values.append("''")
        sql = (
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM ("
            " SELECT g, rep, r1, resp, res,"
            "  CASE WHEN r2 < 0.9 AND rep + r3 * r3 * interval '120 hours' < %(now)s"
            "   THEN rep + r3 * r3 * interval '120 hours' END AS done"
            " FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3,"
            "  %(now)s - random() * %(days)s * interval '1 day' AS rep,"
            "  CASE g %% 4 WHEN 1 THEN interval '15 minutes' WHEN 2 THEN interval '1 hour'"
            "   WHEN 3 THEN interval '4 hours' ELSE interval '24 hours' END AS resp,"
            "  CASE g %% 4 WHEN 1 THEN interval '4 hours' WHEN 2 THEN interval '24 hours'"
            "   WHEN 3 THEN interval '5 days' ELSE interval '30 days' END AS res"
            "  FROM generate_series(1, %(n)s) AS g) AS raw) AS s"
            # Rows land in the order they are reported, as a live ticket table fills up.
            " ORDER BY rep"
        )
        cursor.execute(
            sql,
            {"programme": programme.pk, "reporter": reporter.pk, "now": now, "n": n, "days": HISTORY_DAYS},
        )
        cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def timed(function, runs: int) -> tuple[float, float, int]:
    """Median and max seconds of `runs` calls, and the queries of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds), len(queries.captured_queries)


def bench(n: int, runs: int) -> dict:
    from django.utils import timezone

    from metrics import services
    from metrics.scorecard import ProgrammeMetrics
    from metrics.snapshots import local_today, snapshot_figures

    now = timezone.now()
    generated = generate(n, now=now)
    programme, _ = programme_and_reporter()
    today = local_today(programme, now)
    yesterday: date = today - timedelta(days=1)

    def evaluate():
        metrics = ProgrammeMetrics(programme, at=timezone.now())
        metrics.results  # noqa: B018 - every KPI
        metrics.findings()

    return {
        "tickets": n,
        "generate_s": generated,
        "snapshot": timed(lambda: services.snapshot_take(programme=programme, day=yesterday), runs),
        "today": timed(lambda: snapshot_figures(programme=programme, day=today, at=timezone.now()), runs),
        "backfill": timed(
            lambda: services.snapshots_backfill(
                programme=programme, start=yesterday - timedelta(days=6), end=yesterday
            ),
            max(1, runs // 2),
        ),
        "scorecard": timed(evaluate, runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated numbers of tickets")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measurement")
    args = parser.parse_args()
    setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    rows = [bench(int(size), args.runs) for size in args.sizes.split(",")]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nPostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} CPU cores, {platform.machine()}; "
        f"load average {load} at the end (other work on the machine slows every figure)"
    )
    print(
        "\n| tickets in the programme | snapshot of a day (median / max, queries) | today so far | "
        "7-day backfill | whole scorecard evaluation | data generation |"
    )
    print("|---:|---:|---:|---:|---:|---:|")

    def cell(measure) -> str:
        median, worst, queries = measure
        return f"{median * 1000:,.0f} ms / {worst * 1000:,.0f} ms ({queries})"

    for row in rows:
        print(
            f"| {row['tickets']:,} | {cell(row['snapshot'])} | {cell(row['today'])} | {cell(row['backfill'])} | "
            f"{cell(row['scorecard'])} | {row['generate_s']:.0f} s |"
        )


if __name__ == "__main__":
    main()
