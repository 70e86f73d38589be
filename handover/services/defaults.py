"""The seeds' exit criteria, handover checklist and knowledge-transfer plan of a new programme."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from handover.criteria import DEFAULT_CRITERIA
from handover.models import ExitCriterion, HandoverItem, ItemKind, KtPhase, default_phase_starts
from hypercare.models import Programme

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
