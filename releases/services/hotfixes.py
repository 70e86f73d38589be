"""Hotfixes through the gated stages of the hotfix protocol, and direct production changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme
from hypercare.notifications import notify
from hypercare.roles import Role
from hypercare.vocabulary import Severity
from releases.models import (
    SHORT_STAGE_LABELS,
    STAGE_ORDER,
    ChangeKind,
    ChangeStatus,
    Hotfix,
    HotfixStage,
    ProductionChange,
    Risk,
    Stage,
    stage_index,
)
from releases.services.common import (
    BUSINESS_TESTERS,
    StageConflict,
    access_of,
    require_builder,
    require_lead,
)
from tickets.models import KnownIssue, Ticket
from tickets.services import known_issues_fixed

MAX_REPORT_BYTES = 10 * 1024 * 1024


def _tickets_by_reference(programme: Programme, references: Iterable[str]) -> list[Ticket]:
    wanted = [ref.strip() for ref in references if ref and ref.strip()]
    if not wanted:
        return []
    found = {
        ticket.reference.upper(): ticket
        for ticket in Ticket.objects.filter(programme=programme, reference__in={r.upper() for r in wanted})
    }
    missing = [ref for ref in wanted if ref.upper() not in found]
    if missing:
        raise ValidationError({"tickets": f"No ticket {', '.join(missing)} in this programme."})
    return list({found[ref.upper()].pk: found[ref.upper()] for ref in wanted}.values())


@transaction.atomic
def hotfix_create(
    *,
    programme: Programme,
    by,
    title: str,
    summary: str = "",
    tickets: Iterable[str] = (),
    known_issue: KnownIssue | None = None,
    emergency: bool = False,
    at: datetime | None = None,
) -> Hotfix:
    """Record a hotfix for some tickets (by reference) and a known issue; `emergency` is for Sev1 only."""
    require_builder(programme, by)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "A hotfix needs a title."})
    linked = _tickets_by_reference(programme, tickets)
    if known_issue is not None and known_issue.programme_id != programme.pk:
        raise ValidationError({"known_issue": "That known issue belongs to another programme."})
    if emergency and not any(ticket.severity == Severity.SEV1 for ticket in linked):
        raise ValidationError(
            {"emergency": "The emergency path is for Sev1 only: link at least one Sev1 ticket."}
        )
    hotfix = Hotfix.objects.create(
        programme=programme,
        title=title[:200],
        summary=(summary or "").strip(),
        known_issue=known_issue,
        emergency=bool(emergency),
        created_by=by,
        created_at=at or timezone.now(),
    )
    hotfix.tickets.set(linked)
    return hotfix


def _check_evidence(stage: str, link: str, report: UploadedFile | None, pass_count: int | None) -> None:
    errors: dict[str, str] = {}
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            errors["evidence"] = "The evidence link must be an http(s) URL."
    if report is not None and report.size > MAX_REPORT_BYTES:
        errors["evidence"] = "The regression report is larger than 10 MB."
    if stage == Stage.REGRESSION_PASSED and not errors:
        if not link and report is None:
            errors["evidence"] = (
                "Regression evidence is required: a link to the test run or an uploaded report."
            )
        elif pass_count is None or pass_count < 1:
            errors["evidence"] = "Give the number of regression tests that passed (at least 1)."
    if errors:
        raise ValidationError(errors)


def _check_order(hotfix: Hotfix, stage: str) -> None:
    current, wanted = stage_index(hotfix.stage), stage_index(stage)
    if wanted <= current:
        raise StageConflict(
            f"Hotfix #{hotfix.pk} has already passed “{SHORT_STAGE_LABELS[stage]}”"
            f" (it is at “{SHORT_STAGE_LABELS[hotfix.stage]}”)."
        )
    if wanted > current + 1:
        missing = STAGE_ORDER[current + 1]
        raise StageConflict(
            f"“{SHORT_STAGE_LABELS[stage]}” cannot be recorded before “{SHORT_STAGE_LABELS[missing]}”:"
            " no stage of the hotfix protocol can be skipped."
        )


def _check_signatory(hotfix: Hotfix, access, by) -> None:
    """UAT: a business tester (or, on the emergency path, a hypercare lead) other than the builder."""
    if hotfix.emergency:
        if not access.is_lead:
            raise PermissionDenied(
                "On the emergency path the shortened UAT is signed off by a hypercare lead."
            )
    elif not (access.roles & BUSINESS_TESTERS):
        raise PermissionDenied(
            "UAT is signed off by a business tester: a business champion or the operational owner."
        )
    builder = HotfixStage.objects.filter(hotfix=hotfix, stage=Stage.DEV_SANDBOX).select_related("by").first()
    if builder is not None and builder.by_id == by.pk:
        raise StageConflict(
            "Four eyes: the UAT sign-off must come from someone other than the person who built the fix"
            f" in the developer sandbox ({builder.by.get_full_name() or builder.by.username})."
        )


@transaction.atomic
def hotfix_advance(
    *,
    hotfix: Hotfix,
    stage: str,
    by,
    evidence_link: str = "",
    report: UploadedFile | None = None,
    pass_count: int | None = None,
    note: str = "",
    at: datetime | None = None,
) -> HotfixStage:
    """Record the next stage of a hotfix with who, when and the evidence; refuses skips and four-eyes breaches.

    Raises StageConflict (a skipped or repeated stage, four eyes, a concurrent change),
    ValidationError (missing evidence) or PermissionDenied (the wrong role for the stage).
    """
    if stage not in STAGE_ORDER:
        raise ValidationError({"stage": f"Unknown stage {stage!r}; one of {', '.join(STAGE_ORDER)}."})
    programme = hotfix.programme
    if stage == Stage.UAT_SIGNED_OFF:
        access = access_of(programme, by)
        if access is None:
            raise PermissionDenied("Only members of the programme work on its hotfixes.")
        access.require_open()
    else:
        access = require_builder(programme, by)
    hotfix = Hotfix.objects.select_for_update().get(pk=hotfix.pk)
    _check_order(hotfix, stage)
    link = (evidence_link or "").strip()
    _check_evidence(stage, link, report, pass_count)
    if stage == Stage.UAT_SIGNED_OFF:
        _check_signatory(hotfix, access, by)
    at = at or timezone.now()
    changes = {"stage": stage, "stage_changed_at": at}
    if stage == Stage.DEPLOYED:
        changes["deployed_at"] = at
    # The row count says who won when two people advance the same hotfix at once.
    won = Hotfix.objects.filter(pk=hotfix.pk, stage=hotfix.stage).update(**changes)
    if won != 1:
        raise StageConflict("Someone else moved this hotfix on a moment ago: reload and try again.")
    record = HotfixStage(
        hotfix=hotfix,
        stage=stage,
        by=by,
        at=at,
        evidence_link=link,
        pass_count=pass_count,
        note=(note or "").strip(),
        emergency=hotfix.emergency and stage == Stage.UAT_SIGNED_OFF,
    )
    if report is not None:
        record.evidence_file_name = (report.name or "report")[:255]
        record.evidence_file.save("report", report, save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise StageConflict(f"“{SHORT_STAGE_LABELS[stage]}” is already recorded for this hotfix.") from None
    audit("hotfix.stage", actor=by, programme=programme, hotfix=hotfix.pk, stage=stage)
    if stage == Stage.REGRESSION_PASSED:
        _notify_uat_needed(hotfix=hotfix, at=at)
    if stage == Stage.DEPLOYED:
        known_issues_fixed(known_issues=[hotfix.known_issue], fixed_in=f"the hotfix “{hotfix.title}”", at=at)
        _notify_fix_deployed(hotfixes=[hotfix], key=f"hotfix:{hotfix.pk}:deployed", at=at)
    hotfix.refresh_from_db()
    return record


def _notify_uat_needed(*, hotfix: Hotfix, at: datetime) -> int:
    """Ask the people who may sign UAT off (not the builder) to test the fix in the hotfix sandbox."""
    members = hotfix.programme.memberships.active().select_related("user")
    if hotfix.emergency:
        members = members.with_role(Role.LEAD)
    else:
        # The owner, and the champions of the business units whose tickets the fix resolves.
        units = set(hotfix.tickets.exclude(business_unit="").values_list("business_unit", flat=True))
        members = members.filter(
            Q(roles__contains=f",{Role.OPERATIONAL_OWNER},")
            | (Q(roles__contains=f",{Role.CHAMPION},") & Q(business_unit__in=units))
        )
    builder = (
        HotfixStage.objects.filter(hotfix=hotfix, stage=Stage.DEV_SANDBOX)
        .values_list("by_id", flat=True)
        .first()
    )
    path = "emergency UAT by a hypercare lead" if hotfix.emergency else "UAT by a business tester"
    return notify(
        programme=hotfix.programme,
        recipients=[m.user for m in members if m.user_id != builder],
        kind="uat_needed",
        key=f"hotfix:{hotfix.pk}:uat-needed",
        subject=f"Ready for UAT: hotfix #{hotfix.pk} {hotfix.title}"[:200],
        body=f"{hotfix.plain_summary}\nThe regression suite passed; the fix needs {path}.",
        link=reverse("releases:hotfix", args=[hotfix.programme.slug, hotfix.pk]),
        at=at,
    )


def _notify_fix_deployed(*, hotfixes: list[Hotfix], key: str, at: datetime, release=None) -> int:
    """Tell the reporters of every linked ticket that their fix is live: the tickets the hotfixes fix and
    those linked to the known issues they fix, each reporter once (one message per deployment)."""
    if not hotfixes:
        return 0
    programme = hotfixes[0].programme
    issues = [hotfix.known_issue_id for hotfix in hotfixes if hotfix.known_issue_id]
    tickets = list(
        Ticket.objects.filter(Q(hotfixes__in=hotfixes) | Q(known_issue_id__in=issues))
        .select_related("reporter")
        .distinct()
        .order_by("number")
    )
    if not tickets:
        return 0
    lines = [f"{ticket.reference}: {ticket.title}" for ticket in tickets]
    if release is not None:
        subject = f"{release.name} is live: fixes for tickets you reported"
        link = reverse("releases:release", args=[programme.slug, release.pk])
    else:
        subject = f"A fix is live: {hotfixes[0].plain_summary}"[:200]
        link = reverse("releases:whats_happening", args=[programme.slug])
    body = "A fix for a ticket you reported is now in production:\n" + "\n".join(lines)
    return notify(
        programme=programme,
        recipients=[ticket.reporter for ticket in tickets],
        kind="fix_deployed",
        key=key,
        subject=subject,
        body=body,
        link=link,
        at=at,
    )


# Production configuration changes ---------------------------------------------------------------


@transaction.atomic
def production_change_record(
    *,
    programme: Programme,
    by,
    title: str,
    component: str,
    description: str,
    impact_assessment: str,
    kind: str = ChangeKind.OTHER,
    risk: str = Risk.MEDIUM,
    rollback_plan: str = "",
    hotfix: Hotfix | None = None,
    at: datetime | None = None,
) -> ProductionChange:
    """Record a direct production configuration change; it waits for a lead's approval."""
    require_builder(programme, by)
    errors = {}
    for field, value in (("title", title), ("component", component), ("description", description)):
        if not (value or "").strip():
            errors[field] = "This field is required."
    if len((impact_assessment or "").strip()) < 20:
        errors["impact_assessment"] = (
            "A formal impact assessment is required: who and what is affected, and the risk"
            " (at least 20 characters)."
        )
    if kind not in ChangeKind.values:
        errors["kind"] = f"Unknown kind {kind!r}."
    if risk not in Risk.values:
        errors["risk"] = f"Unknown risk {risk!r}."
    if hotfix is not None and hotfix.programme_id != programme.pk:
        errors["hotfix"] = "That hotfix belongs to another programme."
    if errors:
        raise ValidationError(errors)
    change = ProductionChange.objects.create(
        programme=programme,
        title=title.strip()[:200],
        component=component.strip()[:200],
        description=description.strip(),
        impact_assessment=impact_assessment.strip(),
        kind=kind,
        risk=risk,
        rollback_plan=(rollback_plan or "").strip(),
        hotfix=hotfix,
        requested_by=by,
        requested_at=at or timezone.now(),
    )
    leads = [
        m.user
        for m in programme.memberships.active().with_role(Role.LEAD).select_related("user")
        if m.user_id != by.pk
    ]
    notify(
        programme=programme,
        recipients=leads,
        kind="production_change",
        key=f"production-change:{change.pk}:requested",
        subject=f"Approval needed: production change “{change.title}”"[:200],
        body=change.impact_assessment,
        link=reverse("releases:production_changes", args=[programme.slug]),
        at=change.requested_at,
    )
    return change


@transaction.atomic
def production_change_decide(
    *, change: ProductionChange, by, approve: bool, note: str = "", at: datetime | None = None
) -> ProductionChange:
    """A lead approves or rejects a recorded production change (not their own: four eyes)."""
    require_lead(change.programme, by, "Only a hypercare lead approves production changes.")
    if change.requested_by_id == by.pk:
        raise StageConflict("Four eyes: another lead must approve a production change you recorded.")
    if not approve and not (note or "").strip():
        raise ValidationError({"decision_note": "Say why the change is rejected."})
    at = at or timezone.now()
    status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    won = ProductionChange.objects.filter(pk=change.pk, status=ChangeStatus.AWAITING_APPROVAL).update(
        status=status, decided_by=by, decided_at=at, decision_note=(note or "").strip()
    )
    if won != 1:
        raise StageConflict("This change has already been decided.")
    audit(
        "production_change.decided",
        actor=by,
        programme=change.programme,
        change=change.pk,
        status=status.value,
    )
    change.refresh_from_db()
    return change
