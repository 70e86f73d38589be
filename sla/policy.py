"""SLA policy versions and the triage matrix: the defaults of a new programme and the leads' edits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.vocabulary import Clock, ImpactScope, Severity, Workaround
from sla import engine
from sla.matrix import DEFAULT_MATRIX
from sla.models import SeverityRule, SlaPolicy, SlaTarget

# The first policy of every programme applies from the beginning of time, so imported
# historical tickets have one too.
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
# A new version may start a moment ago (the time the form took to fill in), not earlier:
# tickets already triaged keep the version they were triaged under.
PAST_TOLERANCE = timedelta(minutes=5)


def default_targets(business_day_minutes: int) -> dict[int, dict]:
    """Seed 000's targets: Sev1 15 min / 4 h and Sev2 1 h / 24 h round the clock; Sev3 4 working
    hours / 5 business days and Sev4 24 working hours / none on the business calendar."""
    return {
        1: {"response_minutes": 15, "resolution_minutes": 4 * 60, "clock": Clock.ROUND_THE_CLOCK},
        2: {"response_minutes": 60, "resolution_minutes": 24 * 60, "clock": Clock.ROUND_THE_CLOCK},
        3: {
            "response_minutes": 4 * 60,
            "resolution_minutes": 5 * business_day_minutes,
            "clock": Clock.BUSINESS,
        },
        4: {"response_minutes": 24 * 60, "resolution_minutes": None, "clock": Clock.BUSINESS},
    }


def _require_lead(access: ProgrammeAccess, what: str) -> None:
    if not access.is_lead:
        audit("permission.denied", actor=access.user, programme=access.programme, action=what)
        access.refuse("Only the programme's hypercare leads can do this.")


@transaction.atomic
def sla_policy_create(
    *, programme, targets: Mapping[int, Mapping], effective_from: datetime, by=None, note: str = ""
) -> SlaPolicy:
    """Add a policy version; tickets triaged from `effective_from` on use it."""
    policy = SlaPolicy.objects.create(
        programme=programme, effective_from=effective_from, created_by=by, note=note
    )
    SlaTarget.objects.bulk_create(
        [
            SlaTarget(
                policy=policy,
                severity=severity,
                response_minutes=values["response_minutes"],
                resolution_minutes=values.get("resolution_minutes"),
                clock=values["clock"],
                at_risk_percent=values.get("at_risk_percent", 75),
            )
            for severity, values in sorted(targets.items())
        ]
    )
    return policy


def _validated_targets(targets: Iterable[Mapping]) -> dict[int, dict]:
    """Check one row per severity (1–4); the error names the severity and the field."""
    clean: dict[int, dict] = {}
    errors: dict[str, str] = {}
    for row in targets:
        severity = row.get("severity")
        if severity not in Severity.values:
            errors["targets"] = f"severity must be 1, 2, 3 or 4, not {severity!r}."
            continue
        if severity in clean:
            errors["targets"] = f"Sev{severity} is given twice."
            continue
        name = f"targets.sev{severity}"
        response = row.get("response_minutes")
        resolution = row.get("resolution_minutes")
        clock = row.get("clock")
        at_risk = row.get("at_risk_percent", 75)
        if not isinstance(response, int) or isinstance(response, bool) or response < 1:
            errors[f"{name}.response_minutes"] = "A whole number of minutes, at least 1."
        if resolution is not None:
            if not isinstance(resolution, int) or isinstance(resolution, bool) or resolution < 1:
                errors[f"{name}.resolution_minutes"] = (
                    "A whole number of minutes, at least 1, or null for none."
                )
            elif isinstance(response, int) and resolution < response:
                errors[f"{name}.resolution_minutes"] = (
                    "The resolution target cannot be shorter than the response target."
                )
        if clock not in Clock.values:
            errors[f"{name}.clock"] = 'Use "24x7" or "business".'
        if not isinstance(at_risk, int) or isinstance(at_risk, bool) or not 1 <= at_risk <= 100:
            errors[f"{name}.at_risk_percent"] = "A percentage from 1 to 100."
        clean[severity] = {
            "response_minutes": response,
            "resolution_minutes": resolution,
            "clock": clock,
            "at_risk_percent": at_risk,
        }
    missing = [f"Sev{s}" for s in Severity.values if s not in clean]
    if missing and "targets" not in errors:
        errors["targets"] = f"Give a target for every severity; missing: {', '.join(missing)}."
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def sla_policy_publish(
    *,
    access: ProgrammeAccess,
    targets: Iterable[Mapping],
    effective_from: datetime | None = None,
    note: str = "",
    at: datetime | None = None,
) -> SlaPolicy:
    """A lead replaces the SLA policy with a new version, in force from `effective_from` (default now).

    Earlier versions stay: every ticket keeps the version in force when it was triaged,
    unless its severity changes, when it takes the version in force at that moment.
    """
    _require_lead(access, "sla_policy.publish")
    now = at or timezone.now()
    effective_from = effective_from or now
    if timezone.is_naive(effective_from):
        raise ValidationError({"effective_from": "Give effective_from with a UTC offset."})
    if effective_from < now - PAST_TOLERANCE:
        raise ValidationError(
            {
                "effective_from": "A new version cannot start in the past: tickets already triaged keep "
                "the version they were triaged under."
            }
        )
    clean = _validated_targets(targets)
    programme = access.programme
    if SlaPolicy.objects.filter(programme=programme, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": "Another version starts at that exact instant."})
    policy = sla_policy_create(
        programme=programme, targets=clean, effective_from=effective_from, by=access.user, note=note.strip()
    )
    audit("sla_policy.published", actor=access.user, programme=programme, version=policy.pk)
    return policy


def programme_defaults_create(*, programme, by=None) -> None:
    """The default matrix and SLA policy of a new programme."""
    business_day = int(programme.calendar.working_calendar.business_day.total_seconds() // 60)
    sla_policy_create(
        programme=programme,
        targets=default_targets(business_day),
        effective_from=BEGINNING,
        by=by,
        note="Defaults from the triage matrix of the hypercare playbook",
    )
    SeverityRule.objects.bulk_create(
        [
            SeverityRule(
                programme=programme,
                impact_scope=scope,
                workaround=workaround,
                blocks_vital_process=vital,
                severity=severity,
            )
            for (scope, workaround, vital), severity in DEFAULT_MATRIX.items()
        ]
    )


@transaction.atomic
def severity_matrix_update(
    *, access: ProgrammeAccess, cells: Iterable[Mapping], at: datetime | None = None
) -> int:
    """A lead sets cells of the triage matrix (scope, workaround, vital process → severity).

    Cells not given keep their severity. New triage decisions use the new matrix; severities
    already decided stay (a retriage recomputes them). Returns the number of cells changed.
    """
    _require_lead(access, "severity_matrix.update")
    programme = access.programme
    wanted: dict[tuple[str, str, bool], int] = {}
    for index, cell in enumerate(cells, start=1):
        scope, workaround = cell.get("impact_scope"), cell.get("workaround")
        vital, severity = cell.get("blocks_vital_process"), cell.get("severity")
        where = f"cells.{index}"
        if scope not in ImpactScope.values:
            raise ValidationError({f"{where}.impact_scope": f"Use one of {', '.join(ImpactScope.values)}."})
        if workaround not in Workaround.values:
            raise ValidationError({f"{where}.workaround": f"Use one of {', '.join(Workaround.values)}."})
        if not isinstance(vital, bool):
            raise ValidationError({f"{where}.blocks_vital_process": "true or false."})
        if severity not in Severity.values:
            raise ValidationError({f"{where}.severity": "Severity must be 1, 2, 3 or 4."})
        wanted[(scope, workaround, vital)] = severity
    current = {
        (r.impact_scope, r.workaround, r.blocks_vital_process): r.severity
        for r in SeverityRule.objects.filter(programme=programme)
    }
    changed = {key: sev for key, sev in wanted.items() if current.get(key, DEFAULT_MATRIX[key]) != sev}
    if changed:
        SeverityRule.objects.bulk_create(
            [
                SeverityRule(
                    programme=programme,
                    impact_scope=scope,
                    workaround=workaround,
                    blocks_vital_process=vital,
                    severity=severity,
                )
                for (scope, workaround, vital), severity in changed.items()
            ],
            update_conflicts=True,
            unique_fields=["programme", "impact_scope", "workaround", "blocks_vital_process"],
            update_fields=["severity"],
        )
        audit(
            "severity_matrix.updated",
            actor=access.user,
            programme=programme,
            cells=[f"{s}/{w}/{'vital' if v else 'not-vital'}=Sev{sev}" for (s, w, v), sev in changed.items()],
        )
    return len(changed)


def policy_for(programme, at: datetime) -> SlaPolicy | None:
    """The policy version in force at `at` (the earliest one for instants before every version)."""
    policies = SlaPolicy.objects.filter(programme=programme)
    return (
        policies.filter(effective_from__lte=at).order_by("-effective_from").first()
        or policies.order_by("effective_from").first()
    )


def _in_force(versions: list, at: datetime):
    """Of versions ordered by effective_from, the one in force at `at` (the earliest before them all)."""
    in_force = [version for version in versions if version[1] <= at]
    return in_force[-1] if in_force else versions[0]


def policy_and_target_for(programme, at: datetime, severity: int) -> tuple[int | None, engine.Target | None]:
    """(policy_for(programme, at).pk, target_for(that policy, severity)) in one query.

    Every version of the programme's policy is read with its target of this severity (a
    programme has a handful of versions); the choice is policy_for's.
    """
    versions = list(
        SlaPolicy.objects.filter(programme=programme)
        .annotate(target=FilteredRelation("targets", condition=Q(targets__severity=severity)))
        .order_by("effective_from")
        .values_list(
            "pk",
            "effective_from",
            "target__response_minutes",
            "target__resolution_minutes",
            "target__clock",
            "target__at_risk_percent",
        )
    )
    if not versions:
        return None, None
    pk, _, response, resolution, clock, at_risk = _in_force(versions, at)
    if response is None:
        return pk, None
    return pk, engine.Target(response, resolution, clock, at_risk)


class PolicyBook:
    """Every version of a programme's policy with all its targets, read once (two queries) to answer
    policy_and_target_for many times without a query each (a CSV import of thousands of tickets)."""

    def __init__(self, programme):
        policies = SlaPolicy.objects.filter(programme=programme).order_by("effective_from")
        self.versions = [
            (
                policy.pk,
                policy.effective_from,
                {
                    row.severity: engine.Target(
                        row.response_minutes, row.resolution_minutes, row.clock, row.at_risk_percent
                    )
                    for row in policy.targets.all()
                },
            )
            for policy in policies.prefetch_related("targets")
        ]

    def policy_and_target_for(self, at: datetime, severity: int) -> tuple[int | None, engine.Target | None]:
        if not self.versions:
            return None, None
        pk, _, targets = _in_force(self.versions, at)
        return pk, targets.get(severity)

    def target(self, policy_id: int | None, severity: int) -> engine.Target | None:
        """target_for(the version `policy_id`, severity)."""
        for pk, _, targets in self.versions:
            if pk == policy_id:
                return targets.get(severity)
        return None


def target_for(policy: SlaPolicy | None, severity: int) -> engine.Target | None:
    """The engine's target of one severity under a policy version (None without one)."""
    if policy is None:
        return None
    row = policy.targets.filter(severity=severity).first()
    if row is None:
        return None
    return engine.Target(row.response_minutes, row.resolution_minutes, row.clock, row.at_risk_percent)
