"""Benchmark of telemetry ingestion on PostgreSQL: 50,000 points in one request (run on demand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hc_bench_metrics .venv/bin/python bench/metrics_ingest.py \
        --points 50000

The database is created and migrated if needed, and must be a scratch one. The payload is what
a pipeline sends: every standard series for 10 business units × 5 geographies × 3 objects per
day, going back as many days as it takes. Each run posts it through the real endpoint
(in-process: URL routing, the ingestion-token authentication, JSON parsing, validation of every
point, the upsert) and times the request; "first load" starts from an empty table, "resend"
replaces every point (the upsert's conflict path). It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "bench-ingest"
UNITS = [
    "Sales",
    "Service",
    "Finance",
    "Marketing",
    "Operations",
    "Legal",
    "HR",
    "Procurement",
    "IT",
    "Field",
]
GEOGRAPHIES = ["UK", "Ireland", "Germany", "Italy", "US"]
OBJECTS = ["Account", "Case", "Opportunity"]


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypercare.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    # In-process requests: plain HTTP to the test client's host name.
    os.environ.setdefault("DJANGO_INSECURE_HTTP", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL=postgres://…/<a scratch database>: ingestion is benchmarked on PostgreSQL."
        )
    name = url.rsplit("/", 1)[-1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def payload(n: int, programme) -> list[dict]:
    """`n` distinct points, newest days first, as a pipeline's daily export would send them."""
    from django.utils import timezone

    from metrics.snapshots import local_today
    from metrics.telemetry import STANDARD_SLUGS

    today = local_today(programme, timezone.now())
    points: list[dict] = []
    offset = 1
    while len(points) < n:
        day = (today - timedelta(days=offset)).isoformat()
        for slug in STANDARD_SLUGS:
            for unit in UNITS:
                for geography in GEOGRAPHIES:
                    for obj in OBJECTS:
                        if len(points) == n:
                            return points
                        dimensions = {"business_unit": unit, "geography": geography, "object": obj}
                        points.append(
                            {
                                "series": slug,
                                "date": day,
                                "value": len(points) % 997,
                                "dimensions": dimensions,
                            }
                        )
        offset += 1
    return points


def programme_and_key(slug: str = SLUG):
    from datetime import date

    from django.contrib.auth import get_user_model

    from hypercare import services
    from hypercare.models import Programme
    from metrics.services import ingestion_token_create

    lead, _ = get_user_model().objects.get_or_create(username="bench-ingest-lead")
    programme = Programme.objects.filter(slug=slug).first() or services.programme_create(
        name="Ingestion benchmark",
        slug=slug,
        ticket_prefix="BING",
        go_live_date=date(2026, 1, 5),
        planned_exit_date=date(2026, 3, 2),
        first_month_end_close=date(2026, 1, 30),
    )
    return programme, ingestion_token_create(programme=programme, name="bench", by=lead).key


def clear(programme) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM metrics_datapoint WHERE series_id IN (SELECT id FROM metrics_metricseries WHERE programme_id = %s)",
            [programme.pk],
        )
        cursor.execute("VACUUM ANALYZE metrics_datapoint")


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (from /proc; 0 if unreadable)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(body: bytes, slug: str, key: str) -> tuple[float, float]:
    """Wall-clock seconds of the request, and the CPU seconds it used (Django process + PostgreSQL backend).

    On a busy machine the first includes waiting for a core; the second does not.
    """
    from django.test import Client

    cpu = time.process_time() + backend_cpu()
    started = time.perf_counter()
    response = Client().post(
        f"/api/v1/programmes/{slug}/telemetry/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code}: {response.content[:500]!r}")
    return seconds, time.process_time() + backend_cpu() - cpu


def time_ingestion(slug: str, n: int) -> float:
    """Seconds to post `n` points to programme `slug` through the endpoint (for bench/run.py)."""
    programme, key = programme_and_key(slug)
    return post(json.dumps(payload(n, programme)).encode(), slug, key)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50_000, help="points per request")
    parser.add_argument("--runs", type=int, default=5, help="timed requests of each kind")
    args = parser.parse_args()
    setup()
    from django.db import connection

    programme, key = programme_and_key()
    body = json.dumps(payload(args.points, programme)).encode()
    first, resend = [], []
    for _ in range(args.runs):
        clear(programme)
        first.append(post(body, SLUG, key))
        resend.append(post(body, SLUG, key))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nPostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} CPU cores, {platform.machine()}; "
        f"load average {load} at the end (other work on the machine slows every figure)"
    )
    print(f"\nPayload: {args.points:,} points, {len(body) / 1_048_576:.1f} MB of JSON\n")
    print("| request | wall-clock median | fastest | slowest | CPU used, median (Django + PostgreSQL) |")
    print("|---|---:|---:|---:|---:|")
    for label, runs in (("first load (all inserts)", first), ("resend (all replaced)", resend)):
        walls = [wall for wall, _ in runs]
        print(
            f"| {label} | {statistics.median(walls) * 1000:,.0f} ms | {min(walls) * 1000:,.0f} ms | "
            f"{max(walls) * 1000:,.0f} ms | {statistics.median(cpu for _, cpu in runs) * 1000:,.0f} ms |"
        )


if __name__ == "__main__":
    main()
