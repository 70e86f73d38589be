"""The audit trail: security-relevant events with actor, programme and UTC time.

Each event is a log line (logger `hypercare.audit`) and a row of the append-only AuditEntry table,
written in the caller's transaction: a change that rolls back leaves no entry behind.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from hypercare.spreadsheet import neutralise

logger = logging.getLogger("hypercare.audit")

# The detail that names what an event was about, in this order of preference (the entry's target).
TARGET_KEYS = (
    "user",
    "username",
    "email",
    "webhook",
    "token",
    "kpi",
    "criterion",
    "item",
    "sign_off",
    "shift",
    "series",
    "release",
    "hotfix",
    "version",
    "path",
)

# Kept as log lines only. Failed logins and refused single sign-ons come from callers nobody has
# authenticated, who must not be able to grow a table that can never be pruned; telemetry batches
# arrive from machines every few minutes and would bury the people's changes.
LOG_ONLY_EVENTS = frozenset({"login.failed", "login.sso_refused", "metrics.telemetry_ingested"})


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _target(details: dict) -> str:
    for key in TARGET_KEYS:
        if details.get(key) not in (None, ""):
            return str(details[key])[:300]
    return ""


def audit(event: str, *, actor=None, programme=None, target: str = "", **details) -> None:
    """Record one security-relevant event (a log line and an AuditEntry row)."""
    at = timezone.now()
    actor_name = getattr(actor, "username", None) or (str(actor) if actor else "anonymous")
    programme_slug = getattr(programme, "slug", programme) or "-"
    extra = " ".join(f"{key}={value!r}" for key, value in sorted(details.items()))
    logger.info("%s actor=%s programme=%s at=%s %s", event, actor_name, programme_slug, at.isoformat(), extra)
    if event in LOG_ONLY_EVENTS:
        return
    if connection.in_atomic_block and connection.needs_rollback:
        # The caller's transaction is already lost (the change it would record rolls back too).
        return
    _store(
        event, at=at, actor=actor, actor_name=actor_name, programme=programme, target=target, details=details
    )


def _store(event: str, *, at, actor, actor_name: str, programme, target: str, details: dict) -> None:
    from hypercare.models import AuditEntry, Programme

    programme_id = getattr(programme, "pk", None)
    if programme_id is None and isinstance(programme, str):
        programme_id = Programme.objects.filter(slug=programme).values_list("pk", flat=True).first()
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    AuditEntry.objects.create(
        at=at,
        actor_id=actor_id,
        actor_name=str(actor_name)[:150],
        programme_id=programme_id,
        event=event[:60],
        target=(target or _target(details))[:300],
        details=json.loads(json.dumps(details, cls=_Encoder)),
    )


def entries_for(programme, *, event: str = "", actor: str = "", since=None, until=None):
    """A programme's audit entries, newest first, filtered as the page, the CSV and the API offer:
    `since` and `until` are dates in the programme's time zone, both days included."""
    from hypercare.models import AuditEntry

    zone = ZoneInfo(programme.timezone)
    start = datetime.combine(since, time.min, tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
    return (
        AuditEntry.objects.of(programme)
        .filtered(event=event.strip(), actor=actor.strip(), since=start, until=end)
        .newest_first()
    )


CSV_COLUMNS = ["at", "event", "actor", "target", "details"]


def csv_rows(entries, zone) -> Iterator[list[str]]:
    """The export's rows (spreadsheet formulas neutralised), times in the programme's time zone."""
    for entry in entries:
        yield [
            entry.at.astimezone(zone).isoformat(timespec="seconds"),
            neutralise(entry.event),
            neutralise(entry.actor_name),
            neutralise(entry.target),
            neutralise(json.dumps(entry.details, sort_keys=True, ensure_ascii=False)),
        ]
