"""Demo data of the handover app: the default criteria (created with the programme), a partly complete
handover pack, a drafted runbook, knowledge transfer in its co-managed phase, and an attested month-end."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from handover import services
from handover.models import (
    AttestationOutcome,
    CriterionKind,
    ExitCriterion,
    HandoverItem,
    ItemKind,
    PhaseKind,
)
from hypercare.access import ProgrammeAccess
from hypercare.demo import seed_programme
from hypercare.models import Programme
from hypercare.vocabulary import DONE_STATUSES
from metrics import demo as metrics_demo
from releases import demo as releases_demo
from tickets import demo as tickets_demo
from tickets.models import KnownIssue
from triage import demo as triage_demo

DOCS = "https://sharepoint.acme.example/sites/salesforce-programme/handover"


@transaction.atomic
def seed_demo(*, today: date | None = None) -> Programme | None:
    """The whole demo programme: its people, then each app's data, lower layers first; None if loaded."""
    today = today or timezone.localdate()
    seeded = seed_programme(today=today)
    if seeded is None:
        return None
    programme, people = seeded
    for seed_app in (tickets_demo.seed, triage_demo.seed, metrics_demo.seed, seed, releases_demo.seed):
        seed_app(programme=programme, people=people, today=today)
    return programme


def _as(membership) -> ProgrammeAccess:
    return ProgrammeAccess(membership.programme, membership, frozenset(membership.roles), membership.user)


def seed(*, programme, people, today: date) -> None:
    lead, owner = _as(people["lead"]), _as(people["owner"])
    at = datetime.combine(today, time(9, 0), tzinfo=ZoneInfo(programme.timezone))

    # Knowledge transfer: the teams co-manage the queue now; BAU takes the lead in a few days.
    go_live = programme.go_live_date
    services.kt_phases_update(
        access=lead,
        starts={
            PhaseKind.PROJECT_LEADS: go_live,
            PhaseKind.CO_MANAGED: min(go_live + timedelta(days=7), today - timedelta(days=1)),
            PhaseKind.BAU_LEADS: today + timedelta(days=4),
            PhaseKind.HANDED_OVER: max(programme.planned_exit_date, today + timedelta(days=18)),
        },
    )

    # The pack: two accepted, one waiting for acceptance, one draft, one rejected, two still missing.
    items = {item.kind: item for item in HandoverItem.objects.of(programme)}
    plan = [
        (ItemKind.ADR, "lead2", "accept", ""),
        (ItemKind.ERD, "engineer", "accept", ""),
        (ItemKind.PROCESS_FLOWS, "change", "submit", ""),
        (ItemKind.INTERFACE_SPECS, "engineer2", "draft", ""),
        (
            ItemKind.HOTFIX_PLAYBOOK,
            "lead2",
            "reject",
            "The rollback step for a failed deployment is missing.",
        ),
        (ItemKind.TEST_DOCS, "engineer", None, ""),
        (ItemKind.RUNBOOKS, "desk", None, ""),
    ]
    for offset, (kind, username, step, reason) in enumerate(plan):
        item = items.get(kind)
        if item is None:
            continue
        services.item_update(
            access=lead,
            item=item,
            owner=people[username].user,
            due_date=today + timedelta(days=3 + 2 * offset),
        )
        if step is None:
            continue
        services.item_attach(access=lead, item=item, link=f"{DOCS}/{kind.replace('_', '-')}")
        if step == "draft":
            continue
        services.item_submit(access=lead, item=item)
        if step in ("accept", "reject"):
            services.item_decide(access=owner, item=item, accept=step == "accept", reason=reason, at=at)

    # A runbook drafted from the known issue with the most resolved tickets.
    issue = (
        KnownIssue.objects.filter(programme=programme)
        .annotate(
            resolved=Count(
                "tickets", filter=Q(tickets__status__in=DONE_STATUSES) & ~Q(tickets__resolution="")
            )
        )
        .filter(resolved__gt=0)
        .order_by("-resolved")
        .first()
    )
    if issue is not None:
        services.runbook_draft(access=_as(people["desk"]), known_issue=issue, at=at)

    # The first month-end close, once it is past, attested clean by the operational owner.
    if programme.first_month_end_close < today:
        criterion = ExitCriterion.objects.of(programme).filter(kind=CriterionKind.MONTH_END_CLOSE).first()
        if criterion is not None:
            services.criterion_attest(
                access=owner,
                criterion=criterion,
                outcome=AttestationOutcome.PASS,
                note="Invoices, revenue recognition and the ERP sync ran without errors; no Sev1/Sev2 raised.",
                evidence_url=f"{DOCS}/month-end-close-report",
                at=at,
            )
