"""Runbooks: drafted from resolved tickets and known issues, then edited by the support team."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from handover.models import HandoverItem, ItemKind, Runbook, RunbookStatus
from handover.services.permissions import can_write_runbooks, require
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.vocabulary import DONE_STATUSES
from tickets.models import KnownIssue, Ticket


def _runbook_text(known_issue: KnownIssue | None, tickets: list[Ticket]) -> tuple[str, str, str]:
    symptoms, workaround = "", ""
    if known_issue is not None:
        symptoms, workaround = known_issue.symptoms.strip(), known_issue.workaround.strip()
    if not symptoms:
        symptoms = "\n".join(f"- {t.reference}: {t.title}" for t in tickets)
    steps: list[str] = []
    seen: set[str] = set()
    for ticket in tickets:
        text = ticket.resolution.strip()
        if text and text.lower() not in seen:
            seen.add(text.lower())
            tier = f", resolved at Tier {ticket.resolved_at_tier}" if ticket.resolved_at_tier else ""
            steps.append(f"{len(steps) + 1}. {text} (from {ticket.reference}{tier})")
    return symptoms, workaround, "\n".join(steps)


@transaction.atomic
def runbook_draft(
    *,
    access: ProgrammeAccess,
    known_issue: KnownIssue | None = None,
    tickets: Iterable[Ticket] = (),
    title: str = "",
    at: datetime | None = None,
) -> Runbook:
    """Draft a runbook from a known issue and/or resolved tickets: symptoms, workaround and resolution steps."""
    require(can_write_runbooks(access), access, "Only the support team can write runbooks.")
    programme = access.programme
    if known_issue is not None and known_issue.programme_id != programme.pk:
        raise ValidationError({"known_issue": "No such known issue in this programme."})
    chosen = {t.pk: t for t in tickets}
    if known_issue is not None:
        for ticket in known_issue.tickets.filter(status__in=DONE_STATUSES).exclude(resolution=""):
            chosen.setdefault(ticket.pk, ticket)
    ticket_list = sorted(chosen.values(), key=lambda t: t.reported_at)
    if any(t.programme_id != programme.pk for t in ticket_list):
        raise ValidationError({"tickets": "Only tickets of this programme can be used."})
    unresolved = [t.reference for t in ticket_list if not t.resolution.strip()]
    if unresolved:
        raise ValidationError({"tickets": f"These tickets have no resolution yet: {', '.join(unresolved)}."})
    if known_issue is None and not ticket_list:
        raise ValidationError({"tickets": "Choose a known issue or at least one resolved ticket."})
    symptoms, workaround, steps = _runbook_text(known_issue, ticket_list)
    now = at or timezone.now()
    item = HandoverItem.objects.of(programme).filter(kind=ItemKind.RUNBOOKS).order_by("position").first()
    runbook = Runbook.objects.create(
        programme=programme,
        title=(title or (known_issue.title if known_issue else ticket_list[0].title)).strip()[:200],
        symptoms=symptoms,
        workaround=workaround,
        steps=steps,
        known_issue=known_issue,
        item=item,
        created_by=access.user,
        created_at=now,
        updated_at=now,
    )
    runbook.tickets.set(ticket_list)
    audit("runbook.drafted", actor=access.user, programme=programme, runbook=runbook.pk)
    return runbook


@transaction.atomic
def runbook_update(
    *,
    access: ProgrammeAccess,
    runbook: Runbook,
    title: str,
    symptoms: str = "",
    workaround: str = "",
    steps: str = "",
    at: datetime | None = None,
) -> Runbook:
    """Edit a runbook's text."""
    require(can_write_runbooks(access), access, "Only the support team can write runbooks.")
    if not title.strip():
        raise ValidationError({"title": "Give the runbook a title."})
    if not steps.strip():
        raise ValidationError({"steps": "Write the resolution steps."})
    runbook.title = title.strip()[:200]
    runbook.symptoms = symptoms.strip()
    runbook.workaround = workaround.strip()
    runbook.steps = steps.strip()
    runbook.updated_at = at or timezone.now()
    runbook.save()
    return runbook


@transaction.atomic
def runbook_publish(*, access: ProgrammeAccess, runbook: Runbook, at: datetime | None = None) -> Runbook:
    """Publish a drafted runbook (the support team); publishing it twice changes nothing."""
    require(can_write_runbooks(access), access, "Only the support team can write runbooks.")
    if not runbook.steps.strip():
        raise ValidationError({"steps": "Write the resolution steps before publishing."})
    now = at or timezone.now()
    # Two people publishing at once: the conditional UPDATE records the first one only.
    won = Runbook.objects.filter(pk=runbook.pk, status=RunbookStatus.DRAFT).update(
        status=RunbookStatus.PUBLISHED, published_at=now, published_by=access.user, updated_at=now
    )
    if won:
        audit("runbook.published", actor=access.user, programme=access.programme, runbook=runbook.pk)
    runbook.refresh_from_db()
    return runbook
