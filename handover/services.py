"""Every write of the handover app: exit criteria, attestations, the pack, runbooks, KT phases and sign-offs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from handover.criteria import (
    DEFAULT_CRITERIA,
    USES_SHARE,
    USES_THRESHOLD,
    USES_WINDOW,
    criterion_threshold,
    gate_evaluate,
)
from handover.models import (
    Attestation,
    AttestationOutcome,
    CriterionKind,
    ExitCriterion,
    HandoverItem,
    ItemKind,
    ItemStatus,
    KtPhase,
    PhaseKind,
    Runbook,
    SignOff,
    SignOffKind,
    default_phase_starts,
)
from hypercare import services as core_services
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.models import Membership, Programme, ProgrammeStatus
from hypercare.notifications import notify
from hypercare.roles import SIGNATORIES, Role, signatory_conflicts
from hypercare.vocabulary import DONE_STATUSES
from metrics import services as metrics_services
from metrics.kpis import KPI_BY_GATE_CRITERION
from tickets.models import KnownIssue, Ticket

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# Seed 000's Operational Handover Pack and seed 002's runbooks: (kind, title, what BAU needs in it).
DEFAULT_ITEMS: list[tuple[str, str, str]] = [
    (ItemKind.ADR, "Architectural decision records",
     "The history of major architectural choices: business context, alternatives considered, rationale."),
    (ItemKind.ERD, "Entity-relationship diagrams",
     "Data models of standard and custom objects, field types and relationships, as built."),
    (ItemKind.PROCESS_FLOWS, "Process flows",
     "The business processes as they now run in the system."),
    (ItemKind.INTERFACE_SPECS, "Integration interface specifications",
     "Every active API connection: sync frequencies, payload schemas, middleware mappings."),
    (ItemKind.TEST_DOCS, "Automated test suite documentation",
     "Unit test classes, automated UI regression scripts and coverage margins."),
    (ItemKind.HOTFIX_PLAYBOOK, "Hotfix deployment playbook",
     "Step by step: developer sandbox, hotfix sandbox, regression suite, quick UAT sign-off, production."),
    (ItemKind.RUNBOOKS, "Runbooks for recurring issues",
     "The resolution steps of the problems that recurred in hypercare, drafted from resolved tickets and known issues."),
]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Who may do what


# Each is false once the programme is closed: its exit criteria, pack, runbooks and plan are then a
# record (hypercare.access). Only the sign-offs move: a signatory may still revoke theirs.


def can_edit_criteria(access: ProgrammeAccess) -> bool:
    return access.is_lead


def can_attest(access: ProgrammeAccess) -> bool:
    return not access.is_closed and (access.is_lead or access.has_role(Role.OPERATIONAL_OWNER))


def can_accept_items(access: ProgrammeAccess) -> bool:
    """The operational owner, or a BAU lead (a member who is both BAU and lead)."""
    return not access.is_closed and (
        access.has_role(Role.OPERATIONAL_OWNER) or (Role.BAU in access.roles and Role.LEAD in access.roles)
    )


def can_edit_item(access: ProgrammeAccess, item: HandoverItem) -> bool:
    """Leads edit every item; an item's owner supplies its document and submits it."""
    return not access.is_closed and (
        access.is_lead or (access.user is not None and item.owner_id == getattr(access.user, "pk", None))
    )


def can_write_runbooks(access: ProgrammeAccess) -> bool:
    return access.can_support


def _deny(access: ProgrammeAccess, message: str):
    audit("permission.denied", actor=access.user, programme=access.programme, reason=message)
    raise PermissionDenied(message)


def _require(allowed: bool, access: ProgrammeAccess, message: str) -> None:
    """Refuse with `message`; in a closed programme with ProgrammeClosed (the BAU service desk)."""
    if not allowed:
        access.refuse(message)


# ---------------------------------------------------------------------------------------------
# Defaults of a new programme


@transaction.atomic
def programme_defaults_create(*, programme: Programme, by=None) -> None:
    """The seeds' exit criteria, handover checklist and knowledge-transfer phases for a new programme."""
    ExitCriterion.objects.bulk_create(
        [
            ExitCriterion(
                programme=programme,
                kind=kind,
                title=title,
                description=why,
                threshold=Decimal(threshold) if threshold is not None else None,
                window_days=window,
                position=position,
            )
            for position, (kind, title, threshold, window, why) in enumerate(DEFAULT_CRITERIA, start=1)
        ]
    )
    due = programme.planned_exit_date
    HandoverItem.objects.bulk_create(
        [
            HandoverItem(
                programme=programme, kind=kind, title=title, description=what, due_date=due, position=position
            )
            for position, (kind, title, what) in enumerate(DEFAULT_ITEMS, start=1)
        ]
    )
    KtPhase.objects.bulk_create(
        [
            KtPhase(programme=programme, phase=phase, starts_on=starts)
            for phase, starts in default_phase_starts(
                programme.go_live_date, programme.planned_exit_date
            ).items()
        ]
    )


# ---------------------------------------------------------------------------------------------
# Exit criteria


def _parse_threshold(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"threshold": "Enter a number."}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({"threshold": "Enter a number of zero or more."})
    if number.as_tuple().exponent < -4 or abs(number) >= Decimal("1e8"):
        raise ValidationError({"threshold": "Use at most 4 decimal places and fewer than 9 digits."})
    return number


def _parse_share(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"share_threshold": "Enter a percentage."}) from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValidationError({"share_threshold": "Enter a percentage between 0 and 100."})
    if number.as_tuple().exponent < -4:
        raise ValidationError({"share_threshold": "Use at most 4 decimal places."})
    return number


def _parse_window(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"window_days": "Enter a whole number of days."}) from None
    if not 1 <= days <= 366:
        raise ValidationError({"window_days": "Enter between 1 and 366 days."})
    return days


@transaction.atomic
def criterion_add(
    *,
    access: ProgrammeAccess,
    kind: str,
    title: str = "",
    description: str = "",
    threshold=None,
    window_days=None,
    share_threshold=None,
) -> ExitCriterion:
    """Add an exit criterion (leads). A kind's defaults fill what is not given."""
    _require(can_edit_criteria(access), access, "Only the programme's leads can change the exit criteria.")
    if kind not in CriterionKind.values:
        raise ValidationError({"kind": "Choose a kind of criterion."})
    defaults = {k: (t, th, w, why) for k, t, th, w, why in DEFAULT_CRITERIA}
    default_title, default_threshold, default_window, default_why = defaults.get(kind, ("", None, None, ""))
    title = (title or default_title).strip()
    if not title:
        raise ValidationError({"title": "Give the criterion a title."})
    parsed_threshold = _parse_threshold(threshold)
    if kind in KPI_BY_GATE_CRITERION:
        # Its threshold is the scorecard KPI's green boundary: a given one moves it, none is stored here.
        if parsed_threshold is not None:
            _kpi_green_set(access, kind, parsed_threshold)
        parsed_threshold = None
    elif parsed_threshold is None and kind in USES_THRESHOLD:
        parsed_threshold = Decimal(default_threshold or "0")
    parsed_window = _parse_window(window_days)
    if parsed_window is None and kind in USES_WINDOW:
        parsed_window = default_window
    parsed_share = _parse_share(share_threshold) if kind in USES_SHARE else None
    position = (ExitCriterion.objects.of(access.programme).aggregate(m=Max("position"))["m"] or 0) + 1
    criterion = ExitCriterion.objects.create(
        programme=access.programme,
        kind=kind,
        title=title[:200],
        description=description.strip() or default_why,
        threshold=parsed_threshold,
        window_days=parsed_window,
        share_threshold=parsed_share,
        position=position,
    )
    audit(
        "exit_criterion.added",
        actor=access.user,
        programme=access.programme,
        criterion=criterion.pk,
        kind=kind,
    )
    return criterion


CRITERION_FIELDS = ("title", "description", "threshold", "window_days", "share_threshold")


@transaction.atomic
def criterion_update(*, access: ProgrammeAccess, criterion: ExitCriterion, **changes) -> ExitCriterion:
    """Change a criterion's title, description, threshold (the Sev2 cap of the open-tickets rule) or window."""
    _require(can_edit_criteria(access), access, "Only the programme's leads can change the exit criteria.")
    unknown = set(changes) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be edited."))
    if criterion.programme_id != access.programme.pk:
        raise ValidationError("No such criterion in this programme.")
    old = {name: getattr(criterion, name) for name in changes}
    if "threshold" in old and criterion.kind in KPI_BY_GATE_CRITERION:
        old["threshold"] = criterion_threshold(criterion)
    if "title" in changes:
        if not str(changes["title"]).strip():
            raise ValidationError({"title": "Give the criterion a title."})
        criterion.title = str(changes["title"]).strip()[:200]
    if "description" in changes:
        criterion.description = str(changes["description"] or "").strip()
    if "threshold" in changes:
        threshold = _parse_threshold(changes["threshold"])
        if threshold is None and criterion.kind in USES_THRESHOLD:
            raise ValidationError({"threshold": "This criterion needs a threshold."})
        if criterion.kind in KPI_BY_GATE_CRITERION:
            if threshold != old["threshold"]:
                _kpi_green_set(access, criterion.kind, threshold)
            threshold = None
        criterion.threshold = threshold
    if "window_days" in changes:
        criterion.window_days = _parse_window(changes["window_days"])
        if criterion.window_days is None and criterion.kind in USES_WINDOW - {CriterionKind.SLA_COMPLIANCE}:
            raise ValidationError({"window_days": "This criterion needs a window."})
    if "share_threshold" in changes:
        if criterion.kind not in USES_SHARE:
            raise ValidationError({"share_threshold": "This criterion has no second threshold."})
        criterion.share_threshold = _parse_share(changes["share_threshold"])
    criterion.save()
    new = {k: getattr(criterion, k) for k in changes}
    if "threshold" in new and criterion.kind in KPI_BY_GATE_CRITERION:
        new["threshold"] = criterion_threshold(criterion)
    audit(
        "exit_criterion.changed",
        actor=access.user,
        programme=access.programme,
        criterion=criterion.pk,
        old={k: str(v) for k, v in old.items()},
        new={k: str(v) for k, v in new.items()},
    )
    return criterion


def _kpi_green_set(access: ProgrammeAccess, kind: str, threshold: Decimal) -> None:
    """Move the green boundary of the scorecard KPI that a criterion of `kind` reads as its threshold."""
    kpi = KPI_BY_GATE_CRITERION[kind]
    try:
        metrics_services.threshold_set_green(
            programme=access.programme, kpi=kpi.slug, green=float(threshold), by=access.user
        )
    except ValidationError as error:
        raise ValidationError({"threshold": error.messages}) from None


@transaction.atomic
def criterion_remove(*, access: ProgrammeAccess, criterion: ExitCriterion) -> None:
    """Remove a criterion from the gate (sign-offs keep their frozen copy of it)."""
    _require(can_edit_criteria(access), access, "Only the programme's leads can change the exit criteria.")
    if criterion.programme_id != access.programme.pk:
        raise ValidationError("No such criterion in this programme.")
    audit(
        "exit_criterion.removed",
        actor=access.user,
        programme=access.programme,
        criterion=criterion.pk,
        title=criterion.title,
    )
    criterion.delete()


# Documents are PDFs, images, Office files (ZIP) or plain text such as Markdown: checked by content.
DOCUMENT_TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".csv", ".json", ".xml", ".log", ".yaml", ".yml")


def _check_upload(upload: UploadedFile | None, field: str) -> None:
    if upload is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({field: f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."})
    if upload is not None:
        from tickets.services import sniff_content_type

        name = (upload.name or "").lower()
        upload.seek(0)
        head = upload.read(2048)
        upload.seek(0)
        if sniff_content_type(head, name) is None and not (
            name.endswith(DOCUMENT_TEXT_SUFFIXES) and sniff_content_type(head, "document.txt")
        ):
            raise ValidationError(
                {field: f"{upload.name} is not a file type we accept: PDF, images, Office/ZIP or text."}
            )


@transaction.atomic
def criterion_attest(
    *,
    access: ProgrammeAccess,
    criterion: ExitCriterion,
    outcome: str,
    note: str = "",
    evidence_url: str = "",
    evidence_file: UploadedFile | None = None,
    at: datetime | None = None,
) -> Attestation:
    """Attest that a criterion is met (or not), with a link or a file as evidence; the newest attestation counts."""
    _require(can_attest(access), access, "Only leads and the operational owner can attest exit criteria.")
    if criterion.programme_id != access.programme.pk:
        raise ValidationError("No such criterion in this programme.")
    if not criterion.is_attested:
        raise ValidationError("This criterion is measured from live data, not attested.")
    if outcome not in AttestationOutcome.values:
        raise ValidationError({"outcome": "Say whether the criterion is met."})
    if not note.strip():
        raise ValidationError({"note": "Say what you checked."})
    if not evidence_url and evidence_file is None:
        raise ValidationError({"evidence_url": "Give a link to the evidence or upload a file."})
    _check_upload(evidence_file, "evidence_file")
    attestation = Attestation(
        criterion=criterion,
        outcome=outcome,
        note=note.strip(),
        evidence_url=evidence_url.strip(),
        by=access.user,
        at=at or timezone.now(),
    )
    attestation.full_clean(exclude=["criterion", "by", "evidence_file"])
    if evidence_file is not None:
        attestation.evidence_name = (evidence_file.name or "evidence")[:255]
        attestation.evidence_file.save("evidence", evidence_file, save=False)
    attestation.save()
    audit(
        "exit_criterion.attested",
        actor=access.user,
        programme=access.programme,
        criterion=criterion.pk,
        outcome=outcome,
    )
    return attestation


# ---------------------------------------------------------------------------------------------
# Handover pack


def _member_user(programme: Programme, user):
    if user is None:
        return None
    if not Membership.objects.active().filter(programme=programme, user=user).exists():
        raise ValidationError({"owner": "The owner must be a member of the programme."})
    return user


@transaction.atomic
def item_add(
    *,
    access: ProgrammeAccess,
    title: str,
    kind: str = ItemKind.OTHER,
    description: str = "",
    owner=None,
    due_date: date | None = None,
) -> HandoverItem:
    """Add a document to the handover checklist (leads)."""
    _require(access.is_lead, access, "Only the programme's leads can change the handover checklist.")
    if not title.strip():
        raise ValidationError({"title": "Give the item a title."})
    if kind not in ItemKind.values:
        raise ValidationError({"kind": "Choose a kind of document."})
    position = (HandoverItem.objects.of(access.programme).aggregate(m=Max("position"))["m"] or 0) + 1
    item = HandoverItem.objects.create(
        programme=access.programme,
        kind=kind,
        title=title.strip()[:200],
        description=description.strip(),
        owner=_member_user(access.programme, owner),
        due_date=due_date,
        position=position,
    )
    audit("handover_item.added", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_update(
    *,
    access: ProgrammeAccess,
    item: HandoverItem,
    title: str | None = None,
    description: str | None = None,
    owner=...,
    due_date=...,
) -> HandoverItem:
    """Change an item's title, description, owner or due date (leads)."""
    _require(access.is_lead, access, "Only the programme's leads can change the handover checklist.")
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": "Give the item a title."})
        item.title = title.strip()[:200]
    if description is not None:
        item.description = description.strip()
    if owner is not ...:
        item.owner = _member_user(access.programme, owner)
    if due_date is not ...:
        item.due_date = due_date
    item.save()
    audit("handover_item.changed", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_remove(*, access: ProgrammeAccess, item: HandoverItem) -> None:
    _require(access.is_lead, access, "Only the programme's leads can change the handover checklist.")
    audit(
        "handover_item.removed", actor=access.user, programme=access.programme, item=item.pk, title=item.title
    )
    item.delete()


@transaction.atomic
def item_attach(
    *,
    access: ProgrammeAccess,
    item: HandoverItem,
    document: UploadedFile | None = None,
    link: str = "",
) -> HandoverItem:
    """Supply the item's document (an upload, a link, or both): a missing or rejected item becomes a draft."""
    _require(can_edit_item(access, item), access, "Only the item's owner or a lead can supply its document.")
    link = (link or "").strip()
    if document is None and not link:
        raise ValidationError({"document": "Upload the document or give a link to it."})
    if item.status == ItemStatus.ACCEPTED:
        raise ValidationError("This item is accepted; it cannot change any more.")
    _check_upload(document, "document")
    if link:
        item.link = link
        item.full_clean(exclude=["programme", "owner", "decided_by", "document"])
    if document is not None:
        item.document_name = (document.name or "document")[:255]
        item.document.save("document", document, save=False)
    if item.status in (ItemStatus.MISSING, ItemStatus.REJECTED):
        item.status = ItemStatus.DRAFT
    item.save()
    audit("handover_item.document", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_submit(*, access: ProgrammeAccess, item: HandoverItem) -> HandoverItem:
    """Submit a drafted item to BAU for acceptance."""
    _require(can_edit_item(access, item), access, "Only the item's owner or a lead can submit it.")
    if not item.has_document:
        raise ValidationError({"document": "Supply the document before submitting the item."})
    won = HandoverItem.objects.filter(pk=item.pk, status__in=[ItemStatus.DRAFT, ItemStatus.REJECTED]).update(
        status=ItemStatus.SUBMITTED, updated_at=timezone.now()
    )
    if won != 1:
        raise ValidationError("Only a draft (or a rejected item with a new document) can be submitted.")
    item.refresh_from_db()
    approvers = [
        m.user
        for m in Membership.objects.active().filter(programme=access.programme).select_related("user")
        if Role.OPERATIONAL_OWNER in m.roles or {Role.BAU, Role.LEAD} <= set(m.roles)
    ]
    notify(
        programme=access.programme,
        recipients=approvers,
        kind="handover_item_submitted",
        key=f"handover-item-submitted:{item.pk}:{item.updated_at.isoformat()}",
        subject=f"Handover pack: “{item.title}” is ready for acceptance",
        link=f"/p/{access.programme.slug}/handover/",
    )
    audit("handover_item.submitted", actor=access.user, programme=access.programme, item=item.pk)
    return item


@transaction.atomic
def item_decide(
    *, access: ProgrammeAccess, item: HandoverItem, accept: bool, reason: str = "", at: datetime | None = None
) -> HandoverItem:
    """Accept or reject a submitted item (the operational owner or a BAU lead); a rejection needs a reason."""
    _require(
        can_accept_items(access),
        access,
        "Only the operational owner or a BAU lead can accept handover items.",
    )
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": "Say why the item is rejected."})
    now = at or timezone.now()
    status = ItemStatus.ACCEPTED if accept else ItemStatus.REJECTED
    # Two approvers deciding at once: the conditional UPDATE lets exactly one win.
    won = HandoverItem.objects.filter(pk=item.pk, status=ItemStatus.SUBMITTED).update(
        status=status,
        rejection_reason="" if accept else reason,
        decided_by=access.user,
        decided_at=now,
        updated_at=now,
    )
    if won != 1:
        raise ValidationError("Only a submitted item can be accepted or rejected.")
    item.refresh_from_db()
    if item.owner_id:
        notify(
            programme=access.programme,
            recipients=[item.owner],
            kind="handover_item_decided",
            key=f"handover-item-decided:{item.pk}:{now.isoformat()}",
            subject=f"Handover pack: “{item.title}” was {status}",
            body=reason,
            link=f"/p/{access.programme.slug}/handover/",
            at=now,
        )
    audit("handover_item.decided", actor=access.user, programme=access.programme, item=item.pk, status=status)
    return item


# ---------------------------------------------------------------------------------------------
# Runbooks


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
    _require(can_write_runbooks(access), access, "Only the support team can write runbooks.")
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
    _require(can_write_runbooks(access), access, "Only the support team can write runbooks.")
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


# ---------------------------------------------------------------------------------------------
# Knowledge transfer


@transaction.atomic
def kt_phases_update(*, access: ProgrammeAccess, starts: Mapping[str, date]) -> list[KtPhase]:
    """Set the start date of each knowledge-transfer phase (leads); phases must follow one another in order."""
    _require(access.is_lead, access, "Only the programme's leads can plan knowledge transfer.")
    unknown = set(starts) - set(PhaseKind.values)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a knowledge-transfer phase."))
    current = {p.phase: p.starts_on for p in KtPhase.objects.filter(programme=access.programme)}
    merged = {**current, **{k: v for k, v in starts.items() if v is not None}}
    ordered = [(phase, merged[phase]) for phase in PhaseKind.values if phase in merged]
    for (before, first), (after, second) in zip(ordered, ordered[1:], strict=False):
        if second <= first:
            raise ValidationError(
                {after: f"{PhaseKind(after).label} must start after {PhaseKind(before).label.lower()}."}
            )
    KtPhase.objects.bulk_create(
        [KtPhase(programme=access.programme, phase=phase, starts_on=day) for phase, day in ordered],
        update_conflicts=True,
        unique_fields=["programme", "phase"],
        update_fields=["starts_on"],
    )
    audit(
        "kt.phases_changed",
        actor=access.user,
        programme=access.programme,
        starts={k: v.isoformat() for k, v in ordered},
    )
    return list(KtPhase.objects.filter(programme=access.programme))


# ---------------------------------------------------------------------------------------------
# Sign-off


def signatory_memberships(programme: Programme) -> list[Membership]:
    """Every active member who must sign: the business sponsors and the operational owners."""
    return [
        m
        for m in Membership.objects.active().filter(programme=programme).select_related("user")
        if set(m.roles) & SIGNATORIES
    ]


def signoff_refusal(access: ProgrammeAccess) -> str:
    """Why this member may not sign the exit off ("" when they may): the page shows it in place of
    the form, and signoff_create refuses with it.

    Separation of duties: a signatory holds no delivery role (lead, desk analyst, engineer), and
    the sponsor's and the operational owner's sign-offs come from two different people.
    """
    if not access.can_sign_off:
        return "Only the business sponsor and the operational owner sign off."
    problems = signatory_conflicts(access.roles)
    if problems:
        return f"You cannot sign off. {' '.join(problems)} A programme administrator can change the roles."
    return ""


def signoff_payload(sign_off: SignOff) -> dict:
    """The signed content: everything the hash covers."""
    signed_at = sign_off.signed_at.astimezone(UTC).isoformat()
    return {
        "programme": sign_off.programme.slug,
        "kind": sign_off.kind,
        "signatory": sign_off.signatory.get_username(),
        "role": sign_off.role,
        "signed_at": signed_at,
        "ip_address": str(sign_off.ip_address) if sign_off.ip_address else None,
        "user_agent": sign_off.user_agent,
        "gate_green": sign_off.gate_green,
        "snapshot": sign_off.snapshot,
        "justifications": sign_off.justifications,
        "revokes": sign_off.revokes_id,
        "reason": sign_off.reason,
    }


def content_hash(payload: dict) -> str:
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signoff_verify(sign_off: SignOff) -> bool:
    """True when the stored content still hashes to the stored hash."""
    return content_hash(signoff_payload(sign_off)) == sign_off.content_hash


def _reauthenticate(access: ProgrammeAccess, password: str, request=None) -> None:
    """Check the signatory's password again. With the request, through `authenticate`, so failures
    count towards the login throttle (django-axes) like failed logins do."""
    user = access.user
    if request is not None and password:
        from django.contrib.auth import authenticate

        again = authenticate(request, username=user.get_username(), password=password)
        ok = again is not None and again.pk == user.pk
    else:
        ok = bool(password) and user is not None and user.check_password(password)
    if not ok:
        audit("signoff.reauthentication_failed", actor=user, programme=access.programme)
        raise ValidationError({"password": "That is not your password. Signing needs your password again."})


def _snapshot(programme: Programme, gate) -> dict:
    from handover.selectors import current_phase

    forecast, note = gate.forecast
    phase = current_phase(programme, today=gate.context.today)
    pack = gate.context.pack
    return {
        "programme": {
            "name": programme.name,
            "slug": programme.slug,
            "go_live_date": programme.go_live_date.isoformat(),
            "planned_exit_date": programme.planned_exit_date.isoformat(),
            "first_month_end_close": programme.first_month_end_close.isoformat(),
            "status": programme.status,
        },
        "evaluated_at": gate.at.astimezone(UTC).isoformat(),
        "green": gate.green,
        "forecast_green_on": forecast.isoformat() if forecast else None,
        "forecast_note": note,
        "criteria": [result.as_dict() for result in gate.results],
        "pack": {
            key: pack[key] for key in ("total", "accepted", "submitted", "draft", "missing", "rejected")
        },
        "kt_phase": phase.phase if phase else None,
    }


def _record(
    *,
    access: ProgrammeAccess,
    programme: Programme,
    kind: str,
    at: datetime,
    ip_address: str | None,
    user_agent: str,
    justifications: dict[str, str],
    revokes: SignOff | None = None,
    reason: str = "",
) -> SignOff:
    gate = gate_evaluate(programme=programme, at=at)
    if kind == SignOffKind.SIGN_OFF:
        failing = gate.failing
        missing = [r for r in failing if not (justifications.get(str(r.criterion.pk)) or "").strip()]
        if missing:
            raise ValidationError(
                {
                    "justifications": [
                        f"The gate is not green: write why you sign although “{r.criterion.title}” is "
                        f"{r.status_label.lower()}."
                        for r in missing
                    ]
                }
            )
        justifications = {
            str(r.criterion.pk): justifications[str(r.criterion.pk)].strip()[:4000] for r in failing
        }
    else:
        justifications = {}
    roles = sorted(set(access.roles) & SIGNATORIES)
    sign_off = SignOff(
        programme=programme,
        kind=kind,
        signatory=access.user,
        role="+".join(roles),
        signed_at=at,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
        gate_green=gate.green,
        snapshot=_snapshot(programme, gate),
        justifications=justifications,
        revokes=revokes,
        reason=reason,
    )
    sign_off.content_hash = content_hash(signoff_payload(sign_off))
    sign_off.save()
    return sign_off


def _programme_locked(programme: Programme) -> Programme:
    # Two signatories signing at the same moment: the row lock makes the second wait and see the first.
    return Programme.objects.select_for_update().get(pk=programme.pk)


def _signatories_complete(programme: Programme) -> bool:
    signatories = signatory_memberships(programme)
    roles = {role for m in signatories for role in m.roles}
    if Role.SPONSOR not in roles or Role.OPERATIONAL_OWNER not in roles:
        return False
    if any(signatory_conflicts(m.roles) for m in signatories):
        return False  # a sponsor who is also the owner or on the project team: never closes the exit
    signed = set(SignOff.objects.of(programme).standing().values_list("signatory_id", flat=True))
    return all(m.user_id in signed for m in signatories)


def signoff_create(
    *,
    access: ProgrammeAccess,
    password: str,
    justifications: Mapping | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    request=None,
    at: datetime | None = None,
) -> SignOff:
    """Sign the exit off (sponsors and operational owners), re-asking for the password.

    Freezes every criterion's value and evidence with a SHA-256 content hash. While the gate is
    not green each failing criterion needs a written justification. When every required
    signatory has signed, the programme is closed. Separation of duties (signoff_refusal): a
    member who also delivers hypercare, or who holds both signatory roles, is refused (403).
    """
    _require(access.can_sign_off, access, "Only the business sponsor and the operational owner sign off.")
    refusal = signoff_refusal(access)
    if refusal:
        _deny(access, refusal)
    # Outside the transaction: a failed attempt must stay recorded for the login throttle.
    _reauthenticate(access, password, request)
    with transaction.atomic():
        return _signoff_create(
            access=access, justifications=justifications, ip_address=ip_address, user_agent=user_agent, at=at
        )


def _signoff_create(*, access, justifications, ip_address, user_agent, at) -> SignOff:
    programme = _programme_locked(access.programme)
    if programme.status == ProgrammeStatus.CLOSED:
        raise ValidationError("This programme is closed already.")
    if SignOff.objects.of(programme).standing().filter(signatory=access.user).exists():
        raise ValidationError("You have signed off already. Revoke your sign-off first to sign again.")
    now = at or timezone.now()
    normalised = {str(key): str(value or "") for key, value in (justifications or {}).items()}
    sign_off = _record(
        access=access,
        programme=programme,
        kind=SignOffKind.SIGN_OFF,
        at=now,
        ip_address=ip_address,
        user_agent=user_agent,
        justifications=normalised,
    )
    audit(
        "signoff.signed",
        actor=access.user,
        programme=programme,
        sign_off=sign_off.pk,
        gate_green=sign_off.gate_green,
        ip=ip_address,
        hash=sign_off.content_hash,
    )
    others = [m.user for m in Membership.objects.active().filter(programme=programme).select_related("user")
              if (m.has_role(Role.LEAD) or set(m.roles) & SIGNATORIES) and m.user_id != access.user.pk]  # fmt: skip
    green = "" if sign_off.gate_green else " while the gate was not green"
    notify(
        programme=programme,
        recipients=others,
        kind="exit_signed",
        key=f"exit-signed:{sign_off.pk}",
        subject=f"{access.user.get_full_name() or access.user.get_username()} signed off {programme.name}{green}",
        link=f"/p/{programme.slug}/sign-off/",
        at=now,
    )
    if _signatories_complete(programme):
        core_services.programme_close(programme=programme, by=access.user, at=now)
    elif programme.status in (ProgrammeStatus.PLANNED, ProgrammeStatus.ACTIVE):
        core_services.programme_enter_exit_review(programme=programme, by=access.user, at=now)
    _copy_status(programme, access.programme)
    return sign_off


def _copy_status(programme: Programme, to: Programme) -> None:
    # The caller's programme object (the access's) shows the new state for the rest of the request.
    to.status, to.closed_at = programme.status, programme.closed_at
    to.exit_review_started_at = programme.exit_review_started_at


def signoff_revoke(
    *,
    access: ProgrammeAccess,
    sign_off: SignOff,
    password: str,
    reason: str,
    ip_address: str | None = None,
    user_agent: str = "",
    request=None,
    at: datetime | None = None,
) -> SignOff:
    """Revoke one's own sign-off with a reason: a new record, the original stays as it was."""
    _require(access.can_sign_off, access, "Only the business sponsor and the operational owner sign off.")
    if sign_off.programme_id != access.programme.pk:
        raise ValidationError("No such sign-off in this programme.")
    if sign_off.signatory_id != access.user.pk:
        _deny(access, "Only the person who signed can revoke their sign-off.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why you revoke your sign-off."})
    _reauthenticate(access, password, request)
    with transaction.atomic():
        return _signoff_revoke(
            access=access,
            sign_off=sign_off,
            reason=reason,
            ip_address=ip_address,
            user_agent=user_agent,
            at=at,
        )


def _signoff_revoke(*, access, sign_off, reason, ip_address, user_agent, at) -> SignOff:
    programme = _programme_locked(access.programme)
    if sign_off.kind != SignOffKind.SIGN_OFF or SignOff.objects.filter(revokes=sign_off).exists():
        raise ValidationError("This sign-off is revoked already.")
    now = at or timezone.now()
    revocation = _record(
        access=access,
        programme=programme,
        kind=SignOffKind.REVOCATION,
        at=now,
        ip_address=ip_address,
        user_agent=user_agent,
        justifications={},
        revokes=sign_off,
        reason=reason.strip()[:4000],
    )
    audit(
        "signoff.revoked",
        actor=access.user,
        programme=programme,
        sign_off=sign_off.pk,
        revocation=revocation.pk,
    )
    if programme.status == ProgrammeStatus.CLOSED:
        core_services.programme_reopen(programme=programme, by=access.user)
        _copy_status(programme, access.programme)
    return revocation


# ---------------------------------------------------------------------------------------------
# Notification when the gate turns green


def gate_green_notify(*, programme: Programme, at: datetime | None = None) -> bool:
    """Tell the leads and signatories, once, that the exit gate is green. Returns whether it is green."""
    gate = gate_evaluate(programme=programme, at=at)
    if not gate.green:
        return False
    recipients = [
        m.user
        for m in Membership.objects.active().filter(programme=programme).select_related("user")
        if m.has_role(Role.LEAD) or set(m.roles) & SIGNATORIES
    ]
    notify(
        programme=programme,
        recipients=recipients,
        kind="exit_gate_green",
        key=f"exit-gate-green:{programme.pk}",
        subject=f"The exit gate of {programme.name} is green: ready for sign-off",
        link=f"/p/{programme.slug}/exit-gate/",
        at=gate.at,
    )
    return True
