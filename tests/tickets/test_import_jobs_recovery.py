"""An import whose worker died is run again by the next delivery; one whose worker lives is not."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

from tests.conftest import require_postgres
from tickets.import_jobs import IMPORT_LOCK_SPACE, import_execute, proposed_mapping
from tickets.imports import csv_read
from tickets.models import ImportState, Ticket, TicketImport

EXPORTS = Path(__file__).parent / "exports"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def left_running(lead, *, started_ago: timedelta) -> TicketImport:
    """A commit job a worker took, then died in: RUNNING, its one transaction rolled back (no tickets)."""
    from hypercare.access import get_programme_for

    content = (EXPORTS / "zendesk.csv").read_bytes()
    access = get_programme_for(lead.user, "acme")
    return TicketImport.objects.create(
        programme=access.programme,
        created_by=lead.user,
        created_at=timezone.now() - started_ago,
        started_at=timezone.now() - started_ago,
        file=default_storage.save("imports/left.csv", ContentFile(content)),
        dry_run=False,
        mapping=proposed_mapping(access=access, table=csv_read(content)).to_dict(),
        state=ImportState.RUNNING,
    )


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL knows a dead worker by its released lock (the test below)",
)
def test_a_job_left_running_for_hours_is_run_again_and_a_recent_one_is_left_alone(lead):
    recent = left_running(lead, started_ago=timedelta(minutes=5))
    assert import_execute(import_id=recent.pk) is None
    stale = left_running(lead, started_ago=timedelta(hours=7))
    done = import_execute(import_id=stale.pk)
    assert done.state == ImportState.DONE and len(done.references) == Ticket.objects.count() > 0


@pytest.mark.services
def test_on_postgresql_a_job_is_run_again_once_its_workers_lock_is_gone(transactional_db, lead):
    require_postgres()
    job = left_running(lead, started_ago=timedelta(minutes=1))
    worker = connections.create_connection("default")  # the live worker's own session
    try:
        with worker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [IMPORT_LOCK_SPACE, job.pk])
        assert import_execute(import_id=job.pk) is None  # alive: a second delivery does nothing
        assert not Ticket.objects.exists()
    finally:
        worker.close()  # the worker dies: its session and its lock go
    # The server ends the dead session a moment after the socket closes: the next delivery runs it.
    deadline = time.monotonic() + 10
    done = import_execute(import_id=job.pk)
    while done is None and time.monotonic() < deadline:
        time.sleep(0.1)
        done = import_execute(import_id=job.pk)
    assert done.state == ImportState.DONE and len(done.references) == Ticket.objects.count() > 0
