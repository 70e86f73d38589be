"""Writes to the exit criteria: add, change and remove them (leads), and attest the attested ones."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from handover.criteria import (
    DEFAULT_CRITERIA,
    OPTIONAL_CRITERIA,
    USES_SHARE,
    USES_THRESHOLD,
    USES_WINDOW,
    criterion_threshold,
)
from handover.models import Attestation, AttestationOutcome, CriterionKind, ExitCriterion
from handover.services.permissions import can_attest, can_edit_criteria, require
from handover.services.uploads import check_upload
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from metrics import services as metrics_services
from metrics.kpis import KPI_BY_GATE_CRITERION


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
    require(can_edit_criteria(access), access, "Only the programme's leads can change the exit criteria.")
    if kind not in CriterionKind.values:
        raise ValidationError({"kind": "Choose a kind of criterion."})
    defaults = {k: (t, th, w, why) for k, t, th, w, why in DEFAULT_CRITERIA + OPTIONAL_CRITERIA}
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
    require(can_edit_criteria(access), access, "Only the programme's leads can change the exit criteria.")
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
    require(can_edit_criteria(access), access, "Only the programme's leads can change the exit criteria.")
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
    require(can_attest(access), access, "Only leads and the operational owner can attest exit criteria.")
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
    check_upload(evidence_file, "evidence_file")
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
