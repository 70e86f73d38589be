"""Benchmark of the CSV ticket import on PostgreSQL: a generated Jira export, dry run then commit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hc_bench_imports .venv/bin/python bench/imports.py \
        --rows 50000 [--profile 2000]

The database is created and migrated if needed, and must be a scratch one (each run imports into new
programmes of its own). The file is shaped like a Jira Cloud "all fields" export
(tests/tickets/exports/jira_cloud.csv): every status, priority and issue type, two label columns,
up to three comments of "date;account id;body", reporters and assignees who are members or not,
dates over the last three years. Each phase runs as the Celery job runs it (tickets.import_jobs:
import_start, then the task body import_execute with the progress cache), and prints rows/s.
`--profile N` runs cProfile on a commit of N rows and prints the 25 most expensive functions.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEADERS = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Project key",
    "Priority",
    "Resolution",
    "Assignee",
    "Assignee Id",
    "Reporter",
    "Reporter Id",
    "Created",
    "Updated",
    "Resolved",
    "Component/s",
    "Labels",
    "Labels",
    "Description",
    "Status Category Changed",
    "Comment",
    "Comment",
    "Comment",
]
# (display name, account id, username of a member or None for someone outside the programme)
PEOPLE = [
    ("Jane Smith", "5b10ac8d82e05b22cc7d4ef5", "jsmith"),
    ("Raj Patel", "5c3f9a1e2b7d4a0012ab34cd", "rpatel"),
    ("Ana Lima", "60a1b2c3d4e5f60071a8b9c0", None),
    ("Tom Berg", "61b2c3d4e5f60071a8b9c0d1", "tberg"),
    ("Mia Chen", "62c3d4e5f60071a8b9c0d1e2", None),
]
STATUSES = ["Done", "Done", "Done", "Won't Do", "In Progress", "To Do", "In Review", "Waiting for customer"]
PRIORITIES = ["Highest", "High", "Medium", "Medium", "Low", "Lowest"]
TYPES = ["Bug", "Bug", "Task", "Story", "Sub-task", "Epic"]
COMPONENTS = ["Quotes", "Pricing", "Migration", "Reports", "Mobile"]
LABELS = ["cpq", "emea", "hypercare", "legacy", "data", "", ""]


def jira_date(moment: datetime) -> str:
    return moment.strftime("%d/%b/%y %I:%M %p").lstrip("0")


def jira_csv(rows: int, *, now: datetime, seed: int = 17) -> bytes:
    """`rows` tickets as a Jira Cloud all-fields CSV export (UTF-8, CRLF, multi-line cells)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for number in range(1, rows + 1):
        created = now - timedelta(minutes=rng.randrange(30, 3 * 365 * 24 * 60))
        status = rng.choice(STATUSES)
        reporter = rng.choice(PEOPLE)
        assignee = rng.choice(PEOPLE) if rng.random() < 0.7 else ("", "", None)
        resolved = ""
        changed = created + timedelta(minutes=rng.randrange(5, 14 * 24 * 60))
        changed = min(changed, now - timedelta(minutes=1))
        if status in ("Done", "Won't Do") and rng.random() < 0.6:
            resolved = jira_date(changed)
        comments = []
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            author = rng.choice(PEOPLE)
            moment = min(created + timedelta(minutes=rng.randrange(1, 5 * 24 * 60)), now)
            comments.append(
                f"{jira_date(moment)};{author[1]};Looked at it again,\nstill seen on row {number}."
            )
        comments += [""] * (3 - len(comments))
        writer.writerow(
            [
                f"Quote {number} totals ignore line discounts" + ("\non the PDF" if number % 50 == 0 else ""),
                f"SFDC-{number}",
                str(10000 + number),
                rng.choice(TYPES),
                status,
                "SFDC",
                rng.choice(PRIORITIES),
                "Done" if status == "Done" else "",
                assignee[0],
                assignee[1],
                reporter[0],
                reporter[1],
                jira_date(created),
                jira_date(changed),
                resolved,
                rng.choice(COMPONENTS),
                rng.choice(LABELS),
                rng.choice(LABELS),
                f"Seen by {rng.randrange(1, 40)} users.\nSteps: open a quote, add lines, print.",
                jira_date(changed),
                *comments,
            ]
        )
    return out.getvalue().replace("\n", "\r\n").encode()


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypercare.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")  # the task body runs here, at commit
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://…/<a scratch database>: imports are benchmarked on PostgreSQL.")
    name = url.rsplit("/", 1)[-1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def lead_access(slug: str):
    """The lead of a new programme (one per phase: nothing to clean between runs) and its members."""
    from django.contrib.auth import get_user_model

    from hypercare import services
    from hypercare.access import get_programme_for
    from hypercare.models import Membership
    from hypercare.roles import Role, Team

    users = get_user_model().objects
    programme = services.programme_create(
        name=f"Import benchmark {slug}",
        slug=slug,
        ticket_prefix=slug.upper().replace("-", "")[-10:],
        go_live_date=date(2026, 1, 5),
        planned_exit_date=date(2026, 3, 2),
        first_month_end_close=date(2026, 1, 30),
    )
    lead, _ = users.get_or_create(username="bench-import-lead")
    members = [(lead, [Role.LEAD], Team.PROJECT)]
    for display, _, username in PEOPLE:
        if username:
            first, last = display.split()
            user, _ = users.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            roles = [Role.CHAMPION] if username == "jsmith" else [Role.ENGINEER]
            members.append((user, roles, Team.BAU))
    for user, roles, team in members:
        Membership.objects.get_or_create(
            programme=programme,
            user=user,
            defaults={"roles": [str(role) for role in roles], "team": team, "business_unit": "Sales"},
        )
    return get_programme_for(lead, slug)


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


def run_job(access, content: bytes, *, dry_run: bool):
    """One import as the wizard and the API start it; the eager task runs it when import_start commits.

    Returns the job, its wall-clock seconds and the CPU seconds it used (this process and its
    PostgreSQL backend): on a busy machine the first includes waiting for a core, the second not.
    """
    from tickets.import_jobs import import_start
    from tickets.models import TicketImport

    cpu = time.process_time() + backend_cpu()
    started = time.perf_counter()
    job = import_start(access=access, content=content, source_name="bench.csv", mapping=None, dry_run=dry_run)
    seconds = time.perf_counter() - started
    cpu = time.process_time() + backend_cpu() - cpu
    job = TicketImport.objects.get(pk=job.pk)
    if job.state != "done" or job.refused:
        raise SystemExit(f"The import did not pass: {job.state} {job.error} {job.refused[:3]}")
    return job, seconds, cpu


def profile(access, rows: int, now: datetime) -> None:
    import cProfile
    import pstats

    from tickets.imports import csv_read, import_run, suggest_mapping

    table = csv_read(jira_csv(rows, now=now, seed=5))
    mapping = suggest_mapping(table)
    profiler = cProfile.Profile()
    profiler.enable()
    result = import_run(access=access, table=table, mapping=mapping, dry_run=False, source_name="bench.csv")
    profiler.disable()
    assert not result.refused, result.refused[:3]
    print(f"\ncProfile of a {rows:,}-row commit (import_run), by cumulative then own time:\n")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--profile", type=int, default=0, help="also profile a commit of this many rows")
    parser.add_argument("--no-dry-run", action="store_true")
    args = parser.parse_args()
    setup()
    from django.db import connection

    from tickets.models import Ticket, TicketEvent

    run = f"{int(time.time()) % 100000:05d}"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if args.profile:
        profile(lead_access(f"bi-p{run}"), args.profile, now)
    access = lead_access(f"bi-c{run}")
    started = time.perf_counter()
    content = jira_csv(args.rows, now=now)
    generated = time.perf_counter() - started
    phases = [("generate the CSV", generated, generated, args.rows)]
    if not args.no_dry_run:
        job, seconds, cpu = run_job(access, content, dry_run=True)
        phases.append(("dry run (job)", seconds, cpu, job.accepted))
    job, seconds, cpu = run_job(access, content, dry_run=False)
    phases.append(("commit (job)", seconds, cpu, job.accepted))
    tickets = Ticket.objects.filter(programme=access.programme).count()
    events = TicketEvent.objects.filter(ticket__programme=access.programme).count()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nPostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} CPU cores, "
        f"{platform.machine()}; load average {load} at the end"
    )
    print(
        f"File: {args.rows:,} rows, {len(content) / 1_048_576:.1f} MB; stored {tickets:,} tickets, {events:,} events\n"
    )
    print("| phase | rows | wall-clock s | rows/s | CPU s (Django + PostgreSQL) |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, cpu, rows in phases:
        print(f"| {label} | {rows:,} | {seconds:,.1f} | {rows / seconds:,.0f} | {cpu:,.1f} |")


if __name__ == "__main__":
    main()
