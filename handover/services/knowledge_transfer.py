"""The knowledge-transfer plan: when each phase starts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from handover.models import KtPhase, PhaseKind
from handover.services.permissions import require
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit


@transaction.atomic
def kt_phases_update(*, access: ProgrammeAccess, starts: Mapping[str, date]) -> list[KtPhase]:
    """Set the start date of each knowledge-transfer phase (leads); phases must follow one another in order."""
    require(access.is_lead, access, "Only the programme's leads can plan knowledge transfer.")
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
