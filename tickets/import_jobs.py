"""Import jobs: a dry run or commit of a CSV export (tickets.imports) run by Celery, with its progress,
and the mappings leads save per tracker. Shared by the import wizard and the API."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hypercare.access import ProgrammeAccess, get_programme_for
from tickets import services
from tickets.imports import (
    TARGETS_BY_NAME,
    ImportMapping,
    csv_read,
    detect_tracker,
    import_run,
    suggest_mapping,
)
from tickets.models import ImportState, SavedImportMapping, TicketImport

logger = logging.getLogger(__name__)
PROGRESS_SECONDS = 6 * 3600
# Without a lock that dies with its worker (SQLite), a job left running this long is taken as dead.
STALE_AFTER = timedelta(hours=6)


def _progress_cache():
    """The web reads what the worker writes: a cache both processes share (settings.CACHES["progress"])."""
    return caches["progress"]


def _progress_key(import_id: int) -> str:
    return f"ticket-import:{import_id}:progress"


def import_progress(ticket_import: TicketImport) -> int:
    """0-100: the stored figure once finished, the worker's latest figure (in the cache) while it runs."""
    if ticket_import.state == ImportState.RUNNING:
        return min(99, int(_progress_cache().get(_progress_key(ticket_import.pk), ticket_import.progress)))
    return ticket_import.progress


def saved_mapping_for(programme, tracker: str) -> dict | None:
    saved = SavedImportMapping.objects.filter(programme=programme, tracker=tracker).first()
    return saved.mapping if saved else None


def proposed_mapping(*, access: ProgrammeAccess, table) -> ImportMapping:
    """The mapping proposed for a file: the lead's saved one for its tracker, else the usual columns."""
    return suggest_mapping(table, saved_mapping_for(access.programme, detect_tracker(table.headers)))


def _require_lead(access: ProgrammeAccess) -> None:
    services.require_ticket_intake(access)
    if not access.is_lead:
        access.refuse("Only the programme's hypercare leads can import tickets.")


@transaction.atomic
def import_start(
    *,
    access: ProgrammeAccess,
    content: bytes | None = None,
    file: str = "",
    source_name: str,
    mapping: ImportMapping | None,
    dry_run: bool,
    at=None,
) -> TicketImport:
    """Check the file and the mapping now (a ValidationError names the field), then queue the job.

    `content` is a new upload (stored, deleted when the job ends); `file` an upload the wizard
    already keeps (it deletes it). Without `mapping`, the proposed one is used and recorded.
    """
    _require_lead(access)
    if content is not None:
        table = csv_read(content)
    else:
        with default_storage.open(file, "rb") as handle:
            table = csv_read(handle.read())
    mapping = mapping or proposed_mapping(access=access, table=table)
    mapping.validate(table)
    owns_file = content is not None
    if owns_file:
        file = default_storage.save(
            f"imports/{access.programme.pk}/{uuid.uuid4().hex}.csv", ContentFile(content)
        )
    ticket_import = TicketImport.objects.create(
        programme=access.programme,
        created_by=access.user,
        created_at=at or timezone.now(),
        file=file,
        owns_file=owns_file,
        source_name=source_name[:100],
        tracker=detect_tracker(table.headers),
        dry_run=dry_run,
        mapping=mapping.to_dict(),
    )
    from tickets.tasks import run_import_task

    run_import_task.delay_on_commit(import_id=ticket_import.pk)
    return ticket_import


def _reason(error) -> str:
    target = TARGETS_BY_NAME.get(error.field)
    return f"{target.label}: {error.message}" if target else error.message


def _worker_lock(import_id: int) -> bool:
    """On PostgreSQL, a session lock on the job that its worker holds while it runs: it is released
    when the worker's connection ends, so a job still RUNNING whose lock is free lost its worker
    (killed mid-import: its one transaction rolled back, nothing stored) and can be run again."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [IMPORT_LOCK_SPACE, import_id])
        return cursor.fetchone()[0]


def _worker_unlock(import_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [IMPORT_LOCK_SPACE, import_id])


IMPORT_LOCK_SPACE = 17  # the first key of the advisory locks held by import workers


def import_execute(*, import_id: int) -> TicketImport | None:
    """Run a queued import once: a second delivery finds it taken and does nothing, unless the worker
    that took it is gone (its lock released on PostgreSQL; started more than STALE_AFTER ago
    elsewhere), in which case this one runs it from the start."""
    locked = _worker_lock(import_id)
    if connection.vendor == "postgresql" and not locked:
        return None  # its worker is alive and running it
    try:
        return _execute(import_id)
    finally:
        if locked:
            _worker_unlock(import_id)


def _execute(import_id: int) -> TicketImport | None:
    now = timezone.now()
    orphaned = Q(state=ImportState.RUNNING)
    if connection.vendor != "postgresql":
        orphaned &= Q(started_at__lt=now - STALE_AFTER)
    won = TicketImport.objects.filter(Q(state=ImportState.QUEUED) | orphaned, pk=import_id).update(
        state=ImportState.RUNNING, started_at=now
    )
    if won != 1:
        return None
    cache = _progress_cache()
    ticket_import = TicketImport.objects.select_related("programme", "created_by").get(pk=import_id)
    key = _progress_key(import_id)
    cache.set(key, 0, PROGRESS_SECONDS)

    def progress(done: int, total: int) -> None:
        cache.set(key, int(done * 100 / max(total, 1)), PROGRESS_SECONDS)

    fields: dict = {}
    try:
        access = get_programme_for(ticket_import.created_by, ticket_import.programme.slug)
        _require_lead(access)
        with default_storage.open(ticket_import.file, "rb") as handle:
            table = csv_read(handle.read())
        result = import_run(
            access=access,
            table=table,
            mapping=ImportMapping.from_dict(ticket_import.mapping),
            dry_run=ticket_import.dry_run,
            source_name=ticket_import.source_name,
            progress=progress,
        )
        fields = {
            "state": ImportState.DONE,
            "accepted": result.accepted,
            "refused": [{"line": error.line, "reason": _reason(error)} for error in result.refused],
            "references": result.references,
        }
    except (ValidationError, PermissionDenied) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        fields = {"state": ImportState.FAILED, "error": " ".join(messages)}
    except Exception as error:  # the lead sees a failed job, not a job queued forever
        logger.exception("Ticket import %s failed", import_id)
        fields = {
            "state": ImportState.FAILED,
            "error": f"The import stopped unexpectedly ({type(error).__name__}); nothing was stored.",
        }
    finally:
        if ticket_import.owns_file and default_storage.exists(ticket_import.file):
            default_storage.delete(ticket_import.file)
        _progress_cache().delete(key)
    TicketImport.objects.filter(pk=import_id).update(progress=100, finished_at=timezone.now(), **fields)
    ticket_import.refresh_from_db()
    return ticket_import


@transaction.atomic
def import_mapping_save(
    *, access: ProgrammeAccess, tracker: str, mapping: ImportMapping, at=None
) -> SavedImportMapping:
    """Keep a lead's mapping for the next file from the same tracker of this programme."""
    _require_lead(access)
    data = mapping.to_dict()
    data["date_order"] = ""  # each file says its own order
    saved, _ = SavedImportMapping.objects.update_or_create(
        programme=access.programme,
        tracker=tracker,
        defaults={"mapping": data, "saved_by": access.user, "saved_at": at or timezone.now()},
    )
    return saved
