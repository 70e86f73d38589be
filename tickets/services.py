"""Every write to tickets and known issues.

Each service takes the caller's `access` (hypercare.access.ProgrammeAccess): the role rules
live here, so the browser, the API, imports and tasks all obey the same ones. State changes
are race-safe (`UPDATE … WHERE status = old`), each appends a timeline event, and each
keeps the SLA clocks current through tickets.clocks.ticket_clocks_refresh (creation computes
them before its INSERT: tickets.clocks.ticket_clocks_start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from hypercare.access import NO_NEW_TICKETS, ONLY_OPEN_TICKETS, ProgrammeAccess, ProgrammeClosed
from hypercare.models import Membership, Programme, ProgrammeStatus
from hypercare.notifications import notify
from hypercare.roles import AFTER_EXIT_WORKERS, QUEUE_WORKERS
from hypercare.vocabulary import (
    OPEN_STATUSES,
    Category,
    EventKind,
    ImpactScope,
    Severity,
    Status,
    Tier,
    Workaround,
)
from sla.matrix import UNTRIAGED_SEVERITY, severity_for
from tickets import signals
from tickets.clocks import ticket_clocks_alert, ticket_clocks_refresh, ticket_clocks_start
from tickets.models import (
    DETAILS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TRANSITIONS,
    Comment,
    KnownIssue,
    KnownIssueStatus,
    Ticket,
    TicketEvent,
    TicketWatcher,
)

MIN_REPLICATION_STEPS = 20


class TicketStateError(Exception):
    """A refused change of state (an invalid transition, a lost race): the message says why."""


def _deny(message: str):
    raise PermissionDenied(message)


def require_worker(access: ProgrammeAccess) -> None:
    if not access.can_work_queue:
        _deny("Only the hypercare desk, engineers, BAU support and leads can change tickets.")


def _require_support(access: ProgrammeAccess) -> None:
    if not access.can_support:
        access.refuse("Only the hypercare desk, engineers, BAU support and leads can record known issues.")


def _require_changeable(access: ProgrammeAccess, ticket: Ticket) -> None:
    """Once hypercare is closed, a ticket changes only while it is open, and only by the roles that
    still work the programme (BAU support, the operational owner): ProgrammeClosed otherwise."""
    if access.is_closed and not (access.can_work_queue and access.can_change_ticket(ticket)):
        access.refuse("", what=ONLY_OPEN_TICKETS)


def require_ticket_intake(access: ProgrammeAccess) -> None:
    """Whether this member may log tickets here now. A closed programme takes none, from any channel
    (the form, the API, CSV imports): ProgrammeClosed says where new issues go instead."""
    access.require_open(NO_NEW_TICKETS)
    if not access.can_report:
        _deny("Your role in this programme cannot log tickets.")


def _event(ticket: Ticket, kind: str, **kwargs) -> TicketEvent:
    event = _new_event(ticket, kind, **kwargs)
    event.save(force_insert=True)
    return event


def _new_event(
    ticket: Ticket,
    kind: str,
    *,
    access: ProgrammeAccess | None,
    at: datetime,
    from_value="",
    to_value="",
    note: str = "",
    internal: bool = False,
    **data,
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        actor=access.user if access else None,
        at=at,
        from_value=str(from_value)[:200],
        to_value=str(to_value)[:200],
        note=note,
        internal=internal,
        data=data,
    )


def _check_text_limits(*, title: str | None = None, description: str | None = None) -> None:
    """A title or details over the limit is refused with a message that says by how much; never cut."""
    errors = {}
    if title is not None and len(title.strip()) > TITLE_MAX_LENGTH:
        errors["title"] = (
            f"Keep the title to {TITLE_MAX_LENGTH} characters (it has {len(title.strip()):,}): "
            "put the rest in the details."
        )
    if description is not None and len(description) > DETAILS_MAX_LENGTH:
        errors["description"] = (
            f"Keep the details to {DETAILS_MAX_LENGTH:,} characters (they have {len(description):,}): "
            "attach a longer log as a file."
        )
    if errors:
        raise ValidationError(errors)


def _next_number(programme: Programme) -> int:
    return next_ticket_numbers(programme, 1)[0]


def next_ticket_numbers(programme: Programme, count: int) -> range:
    """`count` consecutive ticket numbers of the programme, taken in one statement.

    The row lock of this UPDATE serialises concurrent creations in the same programme until the
    transaction ends; RETURNING reads the number in the same statement (PostgreSQL, SQLite 3.35+).
    "status <> closed" is the closure's race guard: a sign-off that closed the programme after this
    request read it leaves no row to update, so no ticket slips in after closure.
    """
    quote = connection.ops.quote_name
    table, column = Programme._meta.db_table, quote(Programme._meta.get_field("last_ticket_number").column)
    status = quote(Programme._meta.get_field("status").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {column} = {column} + %s WHERE {quote(Programme._meta.pk.column)} = %s "
            f"AND {status} <> %s RETURNING {column}",
            [count, programme.pk, ProgrammeStatus.CLOSED],
        )
        row = cursor.fetchone()
    if row is None:
        raise ProgrammeClosed(programme, NO_NEW_TICKETS)
    return range(row[0] - count + 1, row[0] + 1)


def _check_choice(value: str, choices, field: str) -> None:
    if value not in choices.values:
        raise ValidationError({field: f"{value!r} is not one of {', '.join(map(str, choices.values))}."})


@dataclass(frozen=True)
class TriageAnswers:
    impact_scope: str
    workaround: str
    blocks_vital_process: bool

    def validate(self) -> None:
        _check_choice(self.impact_scope, ImpactScope, "impact_scope")
        _check_choice(self.workaround, Workaround, "workaround")


def _severity_decision(
    programme: Programme, *, answers: TriageAnswers | None, severity: int | None, reason: str, category: str
) -> tuple[int, int | None]:
    """(severity in force, computed severity): from the matrix, or an explicit severity with a reason."""
    computed = None
    if answers is not None:
        answers.validate()
        computed = severity_for(
            programme,
            impact_scope=answers.impact_scope,
            workaround=answers.workaround,
            blocks_vital_process=answers.blocks_vital_process,
            category=category,
        )
    if severity is None:
        if computed is None:
            raise ValidationError(
                {
                    "severity": "Answer the triage questions (impact_scope, workaround, blocks_vital_process) "
                    "or give a severity with a severity_reason."
                }
            )
        return computed, computed
    if severity not in Severity.values:
        raise ValidationError({"severity": "Severity must be 1, 2, 3 or 4."})
    if severity != computed and not reason.strip():
        raise ValidationError(
            {
                "severity_reason": "A severity that is not the one the triage matrix gives needs a written reason."
            }
        )
    return severity, computed


@transaction.atomic
def ticket_create(
    *,
    access: ProgrammeAccess,
    reporter=None,
    imported: bool = False,
    at: datetime | None = None,
    **details,
) -> Ticket:
    """Log a ticket. It goes to the Tier 2 desk, unless a champion resolved it on the spot (Tier 1).

    Leads may log on behalf of another member (`reporter`) and record the ticket's key in the
    tracker it came from (`source_reference`); `imported` tells signal receivers it is history.
    `untriaged` logs it with the triage answers unknown (e-mail intake): it runs on the matrix's
    UNTRIAGED_SEVERITY, untriaged, until the desk records the answers. The other fields are
    ticket_build's.
    """
    now = at or timezone.now()
    ticket, events, alerts = ticket_build(
        access=access, reporter=reporter, imported=imported, at=now, **details
    )
    if imported:
        ticket.imported_at = timezone.now()
    ticket.number = _next_number(access.programme)
    ticket.reference = f"{access.programme.ticket_prefix}-{ticket.number}"
    ticket.save()
    for event in events:
        event.ticket = ticket
    TicketEvent.objects.bulk_create(events)
    ticket_clocks_alert(ticket=ticket, kinds=alerts, at=now)
    _follow(ticket, ticket.reporter, at=now)
    ticket.logged_events = events
    signals.ticket_created.send(sender=Ticket, ticket=ticket, at=now, imported=imported)
    return ticket


def ticket_build(
    *,
    access: ProgrammeAccess,
    title: str,
    description: str = "",
    business_unit: str = "",
    geography: str = "",
    process: str = "",
    category: str = Category.DEFECT,
    answers: TriageAnswers | None = None,
    severity: int | None = None,
    severity_reason: str = "",
    reported_at: datetime | None = None,
    resolved_at_tier1: bool = False,
    resolution: str = "",
    known_issue: KnownIssue | None = None,
    reporter=None,
    source_reference: str = "",
    imported: bool = False,
    untriaged: bool = False,
    at: datetime | None = None,
    memberships: dict | None = None,
    policies=None,
    references_checked: bool = False,
) -> tuple[Ticket, list[TicketEvent], list[str]]:
    """Every check and value of ticket_create without a write: (the unsaved ticket with its SLA
    clocks, its unsaved events, the SLA alert kinds to raise once saved). Its number, reference
    and `imported_at` are the caller's to set.

    A CSV import builds thousands at once: `memberships` (the programme's active ones by user id)
    and `policies` (sla.policy.PolicyBook) answer without a query, and `references_checked` says
    the caller already refused source keys imported before.
    """
    require_ticket_intake(access)
    programme = access.programme
    now = at or timezone.now()
    reporter_membership = access.membership
    if reporter is None or reporter == access.user:
        reporter = access.user
    else:
        if not access.is_lead:
            _deny("Only leads can log a ticket on someone else's behalf.")
        reporter_membership = (
            memberships.get(reporter.pk)
            if memberships is not None
            else Membership.objects.active().filter(programme=programme, user=reporter).first()
        )
        if reporter_membership is None:
            raise ValidationError({"reporter": "The reporter must be a member of this programme."})
    source_reference = source_reference.strip()
    if source_reference:
        if not access.is_lead:
            _deny("Only leads can import tickets from another tracker.")
        existing = (
            None
            if references_checked
            else Ticket.objects.filter(programme=programme, source_reference=source_reference).first()
        )
        if existing is not None:
            raise ValidationError(
                {"source_reference": f"{source_reference} was already imported as {existing.reference}."}
            )
    if not title.strip():
        raise ValidationError({"title": "Say in a few words what happened."})
    _check_text_limits(title=title, description=description)
    _check_choice(category, Category, "category")
    if reported_at is not None:
        if not access.is_lead:
            _deny("Only leads can set reported_at (to import historical tickets).")
        if timezone.is_naive(reported_at):
            raise ValidationError(
                {"reported_at": "Give reported_at with a UTC offset, e.g. 2026-03-02T09:30:00+00:00."}
            )
        if reported_at > now:
            raise ValidationError({"reported_at": "reported_at cannot be in the future."})
    if known_issue is not None and known_issue.programme_id != programme.pk:
        raise ValidationError({"known_issue": "No such known issue in this programme."})
    if resolved_at_tier1 and not resolution.strip():
        raise ValidationError({"resolution": "Say how you resolved it, so others can learn from it."})
    if not access.can_work_queue and not untriaged:
        # Severity comes from business impact, never from who reports it (seed 000): a reporter
        # answers the triage questions, and only the support team may override the matrix.
        if severity is not None:
            raise ValidationError(
                {
                    "severity": "Reporters do not choose a severity: answer the triage questions "
                    "(impact_scope, workaround, blocks_vital_process) and the matrix sets it."
                }
            )
        if answers is None:
            raise ValidationError(
                {
                    "impact_scope": "Answer the triage questions (impact_scope, workaround, "
                    "blocks_vital_process): the matrix sets the severity from them."
                }
            )
    if untriaged:
        if answers is not None or severity is not None:
            raise ValueError("An untriaged ticket has neither triage answers nor a severity.")
        final_severity, computed = UNTRIAGED_SEVERITY, None
        severity_reason = severity_reason or "Triage answers unknown: the desk triages this ticket."
    else:
        final_severity, computed = _severity_decision(
            programme, answers=answers, severity=severity, reason=severity_reason, category=category
        )
    reported = reported_at or now
    ticket = Ticket(
        programme=programme,
        title=title.strip(),
        description=description,
        reporter=reporter,
        business_unit=business_unit or (reporter_membership.business_unit if reporter_membership else ""),
        geography=geography or (reporter_membership.geography if reporter_membership else ""),
        process=process.strip(),
        category=category,
        impact_scope=answers.impact_scope if answers else "",
        workaround=answers.workaround if answers else "",
        blocks_vital_process=answers.blocks_vital_process if answers else None,
        computed_severity=computed,
        severity=final_severity,
        severity_reason=severity_reason.strip(),
        tier=Tier.TIER1 if resolved_at_tier1 else Tier.TIER2,
        status=Status.RESOLVED if resolved_at_tier1 else Status.NEW,
        known_issue=known_issue,
        source_reference=source_reference,
        reported_at=reported,
        # An explicit severity (an import, a desk log) is a triage decision made at logging time.
        triaged_at=reported if severity is not None else None,
    )
    if resolved_at_tier1:
        ticket.resolution = resolution.strip()
        ticket.resolved_at = reported
        ticket.resolved_at_tier = Tier.TIER1
        ticket.resolved_by = reporter
    events = [
        _new_event(
            ticket,
            EventKind.CREATED,
            access=access,
            at=reported,
            to_value=ticket.status,
            tier=ticket.tier,
            status=ticket.status,
            severity=final_severity,
            computed_severity=computed,
            # An explicit severity that is not the matrix's is an override, logged with its reason
            # (an import's severity without triage answers is history, not a decision made here).
            overridden=computed != final_severity and (computed is not None or not imported),
            reason=severity_reason.strip(),
        )
    ]
    if resolved_at_tier1:
        events.append(
            _new_event(
                ticket,
                EventKind.RESOLVED,
                access=access,
                at=reported,
                from_value=Status.NEW,
                to_value=Status.RESOLVED,
                note=ticket.resolution,
                tier=1,
            )
        )
    # The clocks are computed from these events before the INSERT, which then carries them.
    alerts = ticket_clocks_start(ticket=ticket, events=events, at=now, policies=policies)
    # Field validation only: the database enforces the constraints (checking them here costs a
    # query each); the number and reference are the caller's, from the programme's counter.
    ticket.full_clean(
        exclude=["sla_policy", "reporter", "programme", "number", "reference"], validate_constraints=False
    )
    return ticket, events, alerts


def _move(ticket: Ticket, *, old: str, new: str, **extra) -> None:
    """Race-safe status change: only one of two concurrent requests wins."""
    won = Ticket.objects.filter(pk=ticket.pk, status=old).update(status=new, **extra)
    if won != 1:
        raise TicketStateError("Someone else changed this ticket a moment ago: reload it and try again.")
    ticket.status = new
    for name, value in extra.items():
        setattr(ticket, name, value)


def _refuse_transition(ticket: Ticket, status: str) -> None:
    if status == ticket.status:
        raise TicketStateError(f"The ticket is already {ticket.get_status_display().lower()}.")
    allowed = ", ".join(Status(s).label.lower() for s in sorted(TRANSITIONS[ticket.status]))
    raise TicketStateError(
        f"A {ticket.get_status_display().lower()} ticket cannot become {Status(status).label.lower()}; "
        f"it can become: {allowed}."
    )


def transition_plan(
    access: ProgrammeAccess, ticket: Ticket, status: str, *, at: datetime, comment: str = ""
) -> tuple[dict, TicketEvent]:
    """ticket_transition's checks and changes, without a write: (the fields it changes besides
    the status, its timeline event unsaved). A refused move raises TicketStateError."""
    _check_choice(status, Status, "status")
    if status == Status.RESOLVED:
        raise TicketStateError("Use resolve, with a resolution note for the reporter.")
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and status == Status.IN_PROGRESS:
        raise TicketStateError("Use reopen, with a reason, to work on a resolved or closed ticket again.")
    if status not in TRANSITIONS[ticket.status]:
        _refuse_transition(ticket, status)
    if status == Status.DEFERRED and ticket.severity in (Severity.SEV1, Severity.SEV2):
        raise TicketStateError("Sev1 and Sev2 tickets are fixed in hypercare, not deferred to the backlog.")
    extra: dict = {}
    if status == Status.TRIAGED and ticket.triaged_at is None:
        extra["triaged_at"] = at
    if status == Status.CLOSED:
        extra["closed_at"] = at
    # Working on it answers the reporter; so does deferring it to the backlog, which stops the response
    # clock of a Sev4 (it has no resolution target) instead of letting it breach in the backlog.
    is_response = (
        status in (Status.IN_PROGRESS, Status.DEFERRED)
        and ticket.first_responded_at is None
        and ticket.tier >= 2
    )
    if is_response:
        extra["first_responded_at"] = at
    kind = EventKind.CLOSED if status == Status.CLOSED else EventKind.STATUS
    event = _new_event(
        ticket,
        kind,
        access=access,
        at=at,
        from_value=ticket.status,
        to_value=status,
        note=comment.strip(),
        **({"response": True} if is_response else {}),
    )
    return extra, event


def transition_told(ticket: Ticket, status: str) -> str:
    """The subject watchers are told of a change of status."""
    return f"{ticket.reference} is now {Status(status).label.lower()}: {ticket.title}"


@transaction.atomic
def ticket_transition(
    *, access: ProgrammeAccess, ticket: Ticket, status: str, comment: str = "", at: datetime | None = None
) -> Ticket:
    """Move a ticket to another status (resolve and reopen have their own services)."""
    _require_changeable(access, ticket)
    require_worker(access)
    now = at or timezone.now()
    extra, event = transition_plan(access, ticket, status, at=now, comment=comment)
    _move(ticket, old=ticket.status, new=status, **extra)
    event.save(force_insert=True)
    if comment.strip():
        Comment.objects.create(
            ticket=ticket, author=access.user, body=comment.strip(), internal=False, created_at=now
        )
    ticket_clocks_refresh(ticket=ticket, at=now, repick_policy=False)
    tell_watchers(
        ticket,
        access=access,
        subject=transition_told(ticket, status),
        body=comment.strip(),
        event=f"status:{status}",
        at=now,
    )
    return ticket


def resolve_plan(
    access: ProgrammeAccess, ticket: Ticket, resolution: str, *, at: datetime
) -> tuple[dict, TicketEvent]:
    """ticket_resolve's checks and changes once it resolves (not proposing at Tier 3), without a
    write: (the fields it changes besides the status, its timeline event unsaved)."""
    resolution = resolution.strip() or ticket.proposed_resolution.strip()
    if not resolution:
        raise ValidationError({"resolution": "Write the resolution for the reporter."})
    if ticket.status not in TRANSITIONS or Status.RESOLVED not in TRANSITIONS[ticket.status]:
        _refuse_transition(ticket, Status.RESOLVED)
    resolved_tier = Tier.TIER3 if ticket.proposed_at is not None else ticket.tier
    extra = {
        "resolution": resolution,
        "resolved_at": at,
        "resolved_at_tier": resolved_tier,
        "resolved_by": access.user,
    }
    if ticket.tier == Tier.TIER3:
        extra["tier"] = Tier.TIER2
    is_response = ticket.first_responded_at is None
    if is_response:
        extra["first_responded_at"] = at
    event = _new_event(
        ticket,
        EventKind.RESOLVED,
        access=access,
        at=at,
        from_value=ticket.status,
        to_value=Status.RESOLVED,
        note=resolution,
        tier=resolved_tier,
        **({"response": True} if is_response else {}),
    )
    return extra, event


@transaction.atomic
def ticket_resolve(
    *,
    access: ProgrammeAccess,
    ticket: Ticket,
    resolution: str,
    imported: bool = False,
    pass_back: bool = True,
    at: datetime | None = None,
) -> Ticket:
    """Resolve a ticket, and tell the reporter (except for `imported` history).

    At Tier 3 this proposes the resolution instead (ticket_propose_resolution): the ticket goes
    back to the desk, which confirms it with the reporter and resolves it. A ticket resolved with
    such a proposal counts as resolved at Tier 3, where the fix was found. Without `pass_back` (the desk
    resolving the tickets of a deployed fix) a Tier 3 ticket is resolved at once, at Tier 3.
    """
    _require_changeable(access, ticket)
    require_worker(access)
    if ticket.tier == Tier.TIER3 and not imported and pass_back:
        return ticket_propose_resolution(access=access, ticket=ticket, resolution=resolution, at=at)
    now = at or timezone.now()
    extra, event = resolve_plan(access, ticket, resolution, at=now)
    resolution = extra["resolution"]
    _move(ticket, old=ticket.status, new=Status.RESOLVED, **extra)
    event.save(force_insert=True)
    ticket_clocks_refresh(ticket=ticket, at=now)
    if imported:
        signals.ticket_resolved.send(sender=Ticket, ticket=ticket, at=now, imported=True)
        return ticket
    notify(
        programme=ticket.programme,
        recipients=[ticket.reporter],
        kind="ticket_resolved",
        key=f"resolved:{ticket.pk}:{now.isoformat()}",
        subject=f"{ticket.reference} is resolved: {ticket.title}",
        body=f"{resolution}\n\nHow did we do? Rate the resolution in one click: "
        f"/p/{ticket.programme.slug}/tickets/{ticket.reference}/rate/",
        link=f"/p/{ticket.programme.slug}/tickets/{ticket.reference}/rate/",
        reference=ticket.reference,
        at=now,
    )
    tell_watchers(
        ticket,
        access=access,
        subject=f"{ticket.reference} is resolved: {ticket.title}",
        body=resolution.strip(),
        event="resolved",
        at=now,
        skip=[ticket.reporter_id],  # told above
    )
    signals.ticket_resolved.send(sender=Ticket, ticket=ticket, at=now, imported=False)
    return ticket


def _escalating_analyst(ticket: Ticket):
    """Who escalated the ticket to Tier 3 last, if they still work the desk's queue (else None)."""
    event = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ESCALATED, to_value=str(Tier.TIER3))
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if event is None or event.actor is None or not event.actor.is_active:
        return None
    try:
        _assignable(ticket.programme, event.actor)
    except ValidationError:
        return None
    return event.actor


@transaction.atomic
def ticket_propose_resolution(
    *, access: ProgrammeAccess, ticket: Ticket, resolution: str, at: datetime | None = None
) -> Ticket:
    """Tier 3 found the fix: pass it back down (seed 000). The ticket returns to the Tier 2 queue, still
    in progress, with the resolution proposed, assigned to the analyst who escalated it (unassigned if
    they no longer work the queue), and that analyst is told. The reporter hears nothing until the
    desk has confirmed with them and resolved it."""
    _require_changeable(access, ticket)
    require_worker(access)
    now = at or timezone.now()
    if not resolution.strip():
        raise ValidationError(
            {"resolution": "Write the resolution for the desk to confirm with the reporter."}
        )
    if ticket.tier != Tier.TIER3:
        raise TicketStateError("Only a Tier 3 ticket has its resolution proposed to the desk.")
    if ticket.status not in OPEN_STATUSES:
        _refuse_transition(ticket, Status.RESOLVED)
    analyst = _escalating_analyst(ticket)
    extra: dict = {
        "tier": Tier.TIER2,
        "proposed_resolution": resolution.strip(),
        "proposed_by": access.user,
        "proposed_at": now,
        "assignee": analyst,
        "team": _assignable(ticket.programme, analyst).team if analyst else "",
    }
    is_response = ticket.first_responded_at is None
    if is_response:
        extra["first_responded_at"] = now
    old_status, old_assignee = ticket.status, ticket.assignee
    won = Ticket.objects.filter(pk=ticket.pk, tier=Tier.TIER3, status=old_status).update(
        status=Status.IN_PROGRESS, **extra
    )
    if won != 1:
        raise TicketStateError("Someone else changed this ticket a moment ago: reload it and try again.")
    ticket.status = Status.IN_PROGRESS
    for name, value in extra.items():
        setattr(ticket, name, value)
    # Tier 3's working notes: the reporter sees the resolution once the desk has confirmed it.
    _event(
        ticket,
        EventKind.PROPOSED,
        access=access,
        at=now,
        from_value=old_status,
        to_value=Status.IN_PROGRESS,
        note=resolution.strip(),
        internal=True,
        tier=Tier.TIER3,
        **({"response": True} if is_response else {}),
    )
    _event(
        ticket,
        EventKind.TIER,
        access=access,
        at=now,
        from_value=Tier.TIER3,
        to_value=Tier.TIER2,
        note="Resolved by Tier 3: back to the desk to confirm with the reporter.",
        internal=True,
    )
    if old_status != Status.IN_PROGRESS:
        _event(
            ticket,
            EventKind.STATUS,
            access=access,
            at=now,
            from_value=old_status,
            to_value=Status.IN_PROGRESS,
        )
    if analyst != old_assignee:
        _event(
            ticket,
            EventKind.ASSIGNED,
            access=access,
            at=now,
            from_value=old_assignee.username if old_assignee else "",
            to_value=analyst.username if analyst else "",
            team=extra["team"],
        )
    ticket_clocks_refresh(ticket=ticket, at=now)
    if analyst is not None:
        notify(
            programme=ticket.programme,
            recipients=[analyst],
            kind="resolution_proposed",
            key=f"proposed:{ticket.pk}:{now.isoformat()}",
            subject=f"{ticket.reference} is back from Tier 3: confirm the resolution with the reporter",
            body=resolution.strip(),
            link=f"/p/{ticket.programme.slug}/tickets/{ticket.reference}/",
            at=now,
        )
    return ticket


@transaction.atomic
def ticket_reopen(
    *, access: ProgrammeAccess, ticket: Ticket, reason: str, at: datetime | None = None
) -> Ticket:
    """Reopen a resolved or closed ticket; its history stays and the resolution clock resumes."""
    _require_changeable(access, ticket)
    is_reporter = access.user is not None and ticket.reporter_id == access.user.pk
    if not (access.can_work_queue or is_reporter):
        _deny("Only the reporter or the support team can reopen a ticket.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the ticket is being reopened."})
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TicketStateError(
            f"Only a resolved or closed ticket can be reopened; this one is {ticket.get_status_display().lower()}."
        )
    now = at or timezone.now()
    old = ticket.status
    extra = {
        "resolved_at": None,
        "resolved_at_tier": None,
        "closed_at": None,
        "resolved_by": None,
        "proposed_resolution": "",
        "proposed_by": None,
        "proposed_at": None,
        "duplicate_of": None,
    }
    if ticket.tier == Tier.TIER1:
        extra["tier"] = Tier.TIER2  # a champion's own fix did not hold: the desk takes it
    _move(ticket, old=old, new=Status.IN_PROGRESS, **extra)
    if extra.get("tier") == Tier.TIER2:
        _event(
            ticket,
            EventKind.TIER,
            access=access,
            at=now,
            from_value=1,
            to_value=2,
            note="Reopened to the desk.",
        )
    _event(
        ticket,
        EventKind.REOPENED,
        access=access,
        at=now,
        from_value=old,
        to_value=Status.IN_PROGRESS,
        note=reason.strip(),
    )
    ticket_clocks_refresh(ticket=ticket, at=now)
    tell_watchers(
        ticket,
        access=access,
        subject=f"{ticket.reference} is reopened: {ticket.title}",
        body=reason.strip(),
        event="reopened",
        at=now,
    )
    return ticket


@transaction.atomic
def ticket_escalate(
    *,
    access: ProgrammeAccess,
    ticket: Ticket,
    to_tier: int,
    replication_steps: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Move a ticket up a tier (to Tier 3 only with documented replication steps) or back down."""
    _require_changeable(access, ticket)
    now = at or timezone.now()
    if to_tier not in Tier.values:
        raise ValidationError({"to_tier": "to_tier must be 1, 2 or 3."})
    if ticket.status not in OPEN_STATUSES:
        raise TicketStateError("Only an open ticket can change tier; reopen it first.")
    is_reporter = access.user is not None and ticket.reporter_id == access.user.pk
    if not (access.can_work_queue or (is_reporter and ticket.tier == Tier.TIER1 and to_tier == Tier.TIER2)):
        _deny("Only the support team can move tickets between tiers.")
    if to_tier == ticket.tier:
        raise TicketStateError(f"The ticket is already at Tier {to_tier}.")
    if to_tier == Tier.TIER3:
        steps = replication_steps.strip() or ticket.replication_steps.strip()
        if len(steps) < MIN_REPLICATION_STEPS:
            raise ValidationError(
                {
                    "replication_steps": "Document how to reproduce the problem (the steps, what happens, what "
                    "should happen) before escalating to Tier 3."
                }
            )
    old_tier = ticket.tier
    extra: dict = {"tier": to_tier}
    if to_tier == Tier.TIER3:
        extra["replication_steps"] = replication_steps.strip() or ticket.replication_steps
    if to_tier > old_tier:
        extra.update(assignee=None, team="")  # the next tier's queue picks it up
    won = Ticket.objects.filter(pk=ticket.pk, tier=old_tier, status=ticket.status).update(**extra)
    if won != 1:
        raise TicketStateError("Someone else changed this ticket a moment ago: reload it and try again.")
    for name, value in extra.items():
        setattr(ticket, name, value)
    kind = EventKind.ESCALATED if to_tier > old_tier else EventKind.TIER
    _event(
        ticket,
        kind,
        access=access,
        at=now,
        from_value=old_tier,
        to_value=to_tier,
        note=note.strip() or extra.get("replication_steps", ""),
        internal=to_tier == Tier.TIER3,
    )
    ticket_clocks_refresh(ticket=ticket, at=now)
    return ticket


def _assignable(programme: Programme, user, *, memberships: dict | None = None) -> Membership:
    """The assignee's membership, if they may be assigned tickets here (`memberships`: the
    programme's active ones by user id, read once by a caller assigning many)."""
    membership = (
        memberships.get(user.pk)
        if memberships is not None
        else Membership.objects.active().filter(programme=programme, user=user).first()
    )
    closed = programme.is_closed
    if membership is None or not set(membership.roles) & (AFTER_EXIT_WORKERS if closed else QUEUE_WORKERS):
        who = (
            "BAU support or the operational owner (hypercare is closed)"
            if closed
            else "desk analysts, engineers, BAU staff or leads"
        )
        raise ValidationError({"assignee": f"Tickets can only be assigned to {who} of this programme."})
    return membership


@transaction.atomic
def ticket_assign(*, access: ProgrammeAccess, ticket: Ticket, assignee, at: datetime | None = None) -> Ticket:
    """Assign (or, with None, unassign) a ticket; the handling team follows the assignee."""
    _require_changeable(access, ticket)
    require_worker(access)
    now = at or timezone.now()
    team, event = assign_plan(access, ticket, assignee, at=now)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee, team=team)
    ticket.assignee, ticket.team = assignee, team
    if assignee is not None:
        _follow(ticket, assignee, at=now)
    event.save(force_insert=True)
    return ticket


def assign_plan(
    access: ProgrammeAccess, ticket: Ticket, assignee, *, at: datetime, memberships: dict | None = None
) -> tuple[str, TicketEvent]:
    """ticket_assign's check and change without a write: (the team that follows the assignee,
    the timeline event unsaved). The assignee then follows the ticket."""
    team = ""
    if assignee is not None:
        team = _assignable(access.programme, assignee, memberships=memberships).team
    old = ticket.assignee
    event = _new_event(
        ticket,
        EventKind.ASSIGNED,
        access=access,
        at=at,
        from_value=old.username if old else "",
        to_value=assignee.username if assignee else "",
        team=team,
    )
    return team, event


@transaction.atomic
def ticket_take(*, access: ProgrammeAccess, ticket: Ticket, at: datetime | None = None) -> Ticket:
    """Take an unassigned ticket, race-safe: the UPDATE applies only while nobody holds it, so of
    several simultaneous takes exactly one wins and the others are refused naming who has it (a
    colleague's ticket is reassigned with `ticket_assign`, not taken). Taking a ticket you already
    hold changes nothing."""
    _require_changeable(access, ticket)
    require_worker(access)
    me = access.user
    if ticket.assignee_id == me.pk:
        return ticket
    team = _assignable(access.programme, me).team
    won = Ticket.objects.filter(pk=ticket.pk, assignee__isnull=True).update(assignee=me, team=team)
    if not won:
        holder = Ticket.objects.filter(pk=ticket.pk).values_list("assignee_id", flat=True).first()
        if holder == me.pk:
            ticket.assignee, ticket.team = me, team
            return ticket  # a take of one's own, a moment earlier
        user = get_user_model().objects.filter(pk=holder).first()
        who = (user.get_full_name() or user.get_username()) if user else "nobody"
        raise TicketStateError(
            f"{ticket.reference} is taken: {who} has it now (a lead or the desk may reassign it)."
        )
    ticket.assignee, ticket.team = me, team
    _event(
        ticket,
        EventKind.ASSIGNED,
        access=access,
        at=at or timezone.now(),
        from_value="",
        to_value=me.username,
        team=team,
    )
    return ticket


@transaction.atomic
def ticket_change_severity(
    *, access: ProgrammeAccess, ticket: Ticket, severity: int, reason: str, at: datetime | None = None
) -> Ticket:
    """Change the severity with a written reason; the clocks restart from the original start with the new targets."""
    _require_changeable(access, ticket)
    require_worker(access)
    now = at or timezone.now()
    if severity not in Severity.values:
        raise ValidationError({"severity": "Severity must be 1, 2, 3 or 4."})
    if not reason.strip():
        raise ValidationError({"severity_reason": "A severity change needs a written reason."})
    if severity == ticket.severity:
        raise TicketStateError(f"The ticket is already Sev{severity}.")
    old = ticket.severity
    overridden = ticket.computed_severity is not None and severity != ticket.computed_severity
    Ticket.objects.filter(pk=ticket.pk).update(severity=severity, severity_reason=reason.strip())
    ticket.severity, ticket.severity_reason = severity, reason.strip()
    _event(
        ticket,
        EventKind.SEVERITY,
        access=access,
        at=now,
        from_value=old,
        to_value=severity,
        note=reason.strip(),
        computed_severity=ticket.computed_severity,
        overridden=overridden,
    )
    ticket_clocks_refresh(ticket=ticket, at=now, repick_policy=True)
    signals.ticket_severity_changed.send(sender=Ticket, ticket=ticket, at=now, old=old)
    return ticket


@transaction.atomic
def ticket_retriage(
    *,
    access: ProgrammeAccess,
    ticket: Ticket,
    answers: TriageAnswers,
    severity: int | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Record (new) triage answers; the matrix computes the severity, an override needs a reason."""
    _require_changeable(access, ticket)
    require_worker(access)
    now = at or timezone.now()
    final, computed = _severity_decision(
        ticket.programme, answers=answers, severity=severity, reason=reason, category=ticket.category
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        impact_scope=answers.impact_scope,
        workaround=answers.workaround,
        blocks_vital_process=answers.blocks_vital_process,
        computed_severity=computed,
    )
    ticket.impact_scope, ticket.workaround = answers.impact_scope, answers.workaround
    ticket.blocks_vital_process, ticket.computed_severity = answers.blocks_vital_process, computed
    if final != ticket.severity:
        return ticket_change_severity(
            access=access,
            ticket=ticket,
            severity=final,
            reason=reason or f"Triage answers give Sev{computed}.",
            at=now,
        )
    return ticket


EDITABLE_FIELDS = ("title", "description", "business_unit", "geography", "process", "category")


@transaction.atomic
def ticket_update(
    *, access: ProgrammeAccess, ticket: Ticket, at: datetime | None = None, **changes
) -> Ticket:
    """Edit descriptive fields; a category change is its own timeline event."""
    _require_changeable(access, ticket)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be edited."))
    is_reporter = access.user is not None and ticket.reporter_id == access.user.pk
    if not access.can_work_queue and not (is_reporter and set(changes) <= {"title", "description"}):
        _deny("Only the support team can edit this ticket.")
    now = at or timezone.now()
    if "category" in changes:
        _check_choice(changes["category"], Category, "category")
    if "title" in changes and not str(changes["title"]).strip():
        raise ValidationError({"title": "The title cannot be empty."})
    _check_text_limits(title=changes.get("title"), description=changes.get("description"))
    changed = {name: value for name, value in changes.items() if getattr(ticket, name) != value}
    if not changed:
        return ticket
    for name, value in changed.items():
        old = getattr(ticket, name)
        kind = EventKind.CATEGORY if name == "category" else EventKind.EDITED
        _event(
            ticket,
            kind,
            access=access,
            at=now,
            from_value=old if name == "category" else name,
            to_value=value if name == "category" else "",
            field=name,
        )
        setattr(ticket, name, value)
    Ticket.objects.filter(pk=ticket.pk).update(**changed)
    return ticket


@transaction.atomic
def ticket_comment(
    *, access: ProgrammeAccess, ticket: Ticket, body: str, internal: bool = False, at: datetime | None = None
) -> Comment:
    """Comment on a ticket. Internal comments are for the support team only; a public one by staff is a response."""
    _require_changeable(access, ticket)
    now = at or timezone.now()
    if access.is_read_only:
        _deny("Viewers and sponsors cannot comment.")
    if internal and not access.sees_internal:
        _deny("Only the support team can write internal comments.")
    if not body.strip():
        raise ValidationError({"body": "The comment is empty."})
    comment = Comment.objects.create(
        ticket=ticket, author=access.user, body=body.strip(), internal=internal, created_at=now
    )
    is_response = (
        not internal
        and access.can_work_queue
        and ticket.first_responded_at is None
        and ticket.tier >= 2
        and ticket.reporter_id != getattr(access.user, "pk", None)
    )
    if is_response:
        Ticket.objects.filter(pk=ticket.pk, first_responded_at__isnull=True).update(first_responded_at=now)
        ticket.first_responded_at = now
    _event(
        ticket,
        EventKind.COMMENT,
        access=access,
        at=now,
        note=body.strip(),
        internal=internal,
        comment_id=comment.pk,
        **({"response": True} if is_response else {}),
    )
    # The reporter's reply to a ticket waiting on them hands it back to the support team: the
    # resolution clock resumes (a conditional move: a concurrent change by the desk wins).
    replied = (
        not internal
        and ticket.status == Status.WAITING_ON_REPORTER
        and ticket.reporter_id == getattr(access.user, "pk", None)
    )
    if replied and Ticket.objects.filter(pk=ticket.pk, status=Status.WAITING_ON_REPORTER).update(
        status=Status.IN_PROGRESS
    ):
        ticket.status = Status.IN_PROGRESS
        _event(
            ticket,
            EventKind.STATUS,
            access=access,
            at=now,
            from_value=Status.WAITING_ON_REPORTER,
            to_value=Status.IN_PROGRESS,
            note="The reporter replied.",
        )
    if is_response or replied:
        ticket_clocks_refresh(ticket=ticket, at=now)
    if not internal:
        tell_watchers(
            ticket,
            access=access,
            subject=f"New comment on {ticket.reference}: {ticket.title}",
            body=body.strip(),
            event=f"comment:{comment.pk}",
            at=now,
        )
    return comment


@transaction.atomic
def ticket_link(
    *, access: ProgrammeAccess, ticket: Ticket, known_issue: KnownIssue | None, at: datetime | None = None
) -> Ticket:
    """Link a ticket to a known issue of the same programme (None unlinks)."""
    _require_changeable(access, ticket)
    is_reporter = access.user is not None and ticket.reporter_id == access.user.pk
    if not (access.can_work_queue or is_reporter):
        _deny("Only the support team or the reporter can link a ticket to a known issue.")
    if known_issue is not None and known_issue.programme_id != ticket.programme_id:
        raise ValidationError({"known_issue": "No such known issue in this programme."})
    now = at or timezone.now()
    old = ticket.known_issue
    Ticket.objects.filter(pk=ticket.pk).update(known_issue=known_issue)
    ticket.known_issue = known_issue
    _event(
        ticket,
        EventKind.LINKED,
        access=access,
        at=now,
        from_value=old.title if old else "",
        to_value=known_issue.title if known_issue else "",
        known_issue_id=known_issue.pk if known_issue else None,
    )
    return ticket


KNOWN_ISSUE_FIELDS = ("title", "symptoms", "workaround", "status", "fix_expected_on")


def known_issues_fixed(*, known_issues, fixed_in: str, at: datetime) -> list[KnownIssue]:
    """Mark known issues fixed by a change that reached production (`fixed_in` names it, e.g. a patch
    release), so no screen shows them as expected any more. The caller, which checked who deploys,
    tells the reporters of their tickets. Returns the issues that became fixed (a second call: none)."""
    ids = [issue.pk for issue in known_issues if issue is not None]
    newly = list(KnownIssue.objects.filter(pk__in=ids).exclude(status=KnownIssueStatus.FIXED))
    KnownIssue.objects.filter(pk__in=[issue.pk for issue in newly]).exclude(
        status=KnownIssueStatus.FIXED
    ).update(status=KnownIssueStatus.FIXED, fixed_at=at, fixed_in=fixed_in[:200], updated_at=at)
    for issue in newly:
        issue.status, issue.fixed_at, issue.fixed_in = KnownIssueStatus.FIXED, at, fixed_in[:200]
    return newly


@transaction.atomic
def known_issue_create(
    *,
    access: ProgrammeAccess,
    title: str,
    symptoms: str = "",
    workaround: str = "",
    status: str = KnownIssueStatus.INVESTIGATING,
    fix_expected_on=None,
) -> KnownIssue:
    """Record a known issue (a problem several tickets share); not once hypercare is closed."""
    _require_support(access)
    issue = KnownIssue(
        programme=access.programme,
        title=title.strip(),
        symptoms=symptoms,
        workaround=workaround,
        status=status,
        fix_expected_on=fix_expected_on,
        created_by=access.user,
    )
    issue.full_clean(exclude=["programme", "created_by"])
    if status == KnownIssueStatus.FIXED:
        issue.fixed_at = timezone.now()
    issue.save()
    return issue


@transaction.atomic
def known_issue_update(
    *, access: ProgrammeAccess, known_issue: KnownIssue, at: datetime | None = None, **changes
) -> KnownIssue:
    """Edit a known issue; when it becomes fixed, the reporters of its linked tickets are told."""
    _require_support(access)
    unknown = set(changes) - set(KNOWN_ISSUE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be edited."))
    now = at or timezone.now()
    became_fixed = (
        changes.get("status") == KnownIssueStatus.FIXED and known_issue.status != KnownIssueStatus.FIXED
    )
    for name, value in changes.items():
        setattr(known_issue, name, value)
    if became_fixed:
        known_issue.fixed_at = now
    known_issue.full_clean(exclude=["programme", "created_by"])
    known_issue.save()
    if became_fixed:
        reporters = {t.reporter for t in known_issue.tickets.select_related("reporter")}
        notify(
            programme=known_issue.programme,
            recipients=reporters,
            kind="known_issue_fixed",
            key=f"known-issue-fixed:{known_issue.pk}:{now.isoformat()}",
            subject=f"Fixed: {known_issue.title}",
            body=f"The problem behind your ticket is fixed. {known_issue.workaround and 'You no longer need the workaround.'}".strip(),
            link=f"/p/{known_issue.programme.slug}/known-issues/",
            at=now,
        )
    return known_issue


# What an attachment may be, recognised by its first bytes, never by its name.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_PER_TICKET = 20
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
]
TEXT_SUFFIXES = (".txt", ".log", ".csv", ".json", ".xml")


def sniff_content_type(head: bytes, name: str) -> str | None:
    """The type of an upload from its content; None if it is not one we accept."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if name.lower().endswith(TEXT_SUFFIXES) and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # a character cut at the end of the sample is fine
                return None
        return "text/plain"
    return None


@transaction.atomic
def ticket_attach(
    *, access: ProgrammeAccess, ticket: Ticket, upload, internal: bool = False, at: datetime | None = None
):
    """Attach a screenshot, log or document; size, count and type (by content) are checked."""
    from tickets.models import Attachment

    _require_changeable(access, ticket)
    if access.is_read_only:
        _deny("Viewers and sponsors cannot add attachments.")
    if internal and not access.sees_internal:
        _deny("Only the support team can add internal attachments.")
    name = (getattr(upload, "name", "") or "attachment").rsplit("/", 1)[-1][:255]
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": f"{name} is {upload.size // 1024 // 1024} MB; the limit is 10 MB."})
    if upload.size == 0:
        raise ValidationError({"file": f"{name} is empty."})
    if ticket.attachments.count() >= MAX_ATTACHMENTS_PER_TICKET:
        raise ValidationError(
            {"file": f"A ticket can have at most {MAX_ATTACHMENTS_PER_TICKET} attachments."}
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    content_type = sniff_content_type(head, name)
    if content_type is None:
        raise ValidationError(
            {
                "file": f"{name} is not a file type we accept: images (PNG, JPEG, GIF), PDF, ZIP/Office, or text logs."
            }
        )
    now = at or timezone.now()
    attachment = Attachment(
        ticket=ticket,
        uploaded_by=access.user,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        internal=internal,
        created_at=now,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _event(
        ticket,
        EventKind.ATTACHMENT,
        access=access,
        at=now,
        to_value=name,
        internal=internal,
        attachment_id=attachment.pk,
    )
    return attachment


# Canned replies: the leads keep them, the support team reads them -------------------------

CANNED_REPLY_FIELDS = ("title", "body")


def _require_lead(access: ProgrammeAccess) -> None:
    if not access.is_lead:
        access.refuse("Only the programme's hypercare leads manage canned replies.")


def _clean_canned_reply(reply, *, title: str, body: str):
    from tickets.models import CannedReply

    title, body = title.strip(), body.strip()
    if not title:
        raise ValidationError({"title": "Give the reply a short title the desk will recognise."})
    if len(title) > 100:
        raise ValidationError({"title": "Keep the title to 100 characters."})
    if not body:
        raise ValidationError({"body": "Write the text of the reply."})
    clash = CannedReply.objects.filter(programme_id=reply.programme_id, title__iexact=title).exclude(
        pk=reply.pk
    )
    if clash.exists():
        raise ValidationError({"title": f"There is already a canned reply called “{title}”."})
    reply.title, reply.body = title, body
    return reply


@transaction.atomic
def canned_reply_create(*, access: ProgrammeAccess, title: str, body: str):
    """Add a canned reply to the programme (leads only)."""
    from tickets.models import CannedReply

    _require_lead(access)
    reply = _clean_canned_reply(
        CannedReply(programme=access.programme, created_by=access.user), title=title, body=body
    )
    reply.save()
    return reply


@transaction.atomic
def canned_reply_update(*, access: ProgrammeAccess, reply, **changes):
    """Edit a canned reply's title or text (leads only)."""
    _require_lead(access)
    unknown = set(changes) - set(CANNED_REPLY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be edited."))
    if reply.programme_id != access.programme.pk:
        raise ValidationError({"reply": "No such canned reply in this programme."})
    _clean_canned_reply(reply, title=changes.get("title", reply.title), body=changes.get("body", reply.body))
    reply.save()
    return reply


@transaction.atomic
def canned_reply_delete(*, access: ProgrammeAccess, reply) -> None:
    """Remove a canned reply (leads only); comments already sent keep their text."""
    _require_lead(access)
    if reply.programme_id != access.programme.pk:
        raise ValidationError({"reply": "No such canned reply in this programme."})
    reply.delete()


# Watchers and duplicates ---------------------------------------------------------------


def _follow(ticket: Ticket, user, *, at: datetime) -> None:
    """`user` follows `ticket` (nothing happens if they already do)."""
    if user is None:
        return
    TicketWatcher.objects.bulk_create(
        [TicketWatcher(ticket=ticket, user=user, created_at=at)], ignore_conflicts=True
    )


def tell_watchers(
    ticket: Ticket,
    *,
    access: ProgrammeAccess | None,
    subject: str,
    body: str,
    event: str,
    at: datetime,
    skip=(),
) -> int:
    """Notify the ticket's watchers of one public change; the person who made it is not told, and
    an imported ticket's history (changes dated before its import) tells nobody."""
    from django.contrib.auth import get_user_model

    if ticket.happened_before_import(at):
        return 0
    actor_id = getattr(getattr(access, "user", None), "pk", None)
    watcher_ids = (
        TicketWatcher.objects.filter(ticket_id=ticket.pk)
        .exclude(user_id=actor_id)
        .exclude(user_id__in=list(skip))
        .values("user_id")
    )
    people = list(
        get_user_model()
        .objects.filter(
            pk__in=watcher_ids,
            memberships__programme_id=ticket.programme_id,
            memberships__is_active=True,
        )
        .distinct()
    )
    if not people:
        return 0
    return notify(
        programme=ticket.programme,
        recipients=people,
        kind="ticket_watched",
        key=f"watch:{ticket.pk}:{event}:{at.isoformat()}",
        subject=subject,
        body=body,
        link=f"/p/{ticket.programme.slug}/tickets/{ticket.reference}/",
        at=at,
    )


@transaction.atomic
def ticket_watch(*, access: ProgrammeAccess, ticket: Ticket, at: datetime | None = None) -> None:
    """Follow a ticket: any member who may see it (read-only members too)."""
    if access.membership is None or not Ticket.objects.visible_to(access).filter(pk=ticket.pk).exists():
        _deny("You cannot follow a ticket you cannot see.")
    _follow(ticket, access.user, at=at or timezone.now())


@transaction.atomic
def ticket_unwatch(*, access: ProgrammeAccess, ticket: Ticket) -> None:
    """Stop following a ticket (reporters and assignees too: they follow by default, not for ever)."""
    TicketWatcher.objects.filter(ticket=ticket, user=access.user).delete()


@transaction.atomic
def ticket_mark_duplicate(
    *, access: ProgrammeAccess, ticket: Ticket, original: Ticket, at: datetime | None = None
) -> Ticket:
    """Close a ticket as a duplicate of another of the same programme. The duplicate keeps its
    place in the intake counts; its reporter is told and follows the original from now on."""
    _require_changeable(access, ticket)
    require_worker(access)
    now = at or timezone.now()
    if original.programme_id != ticket.programme_id:
        raise ValidationError({"original": "No such ticket in this programme."})
    if original.pk == ticket.pk:
        raise ValidationError({"original": "A ticket cannot be a duplicate of itself."})
    if original.duplicate_of_id:
        first = Ticket.objects.only("reference").get(pk=original.duplicate_of_id)
        raise ValidationError(
            {"original": f"{original.reference} is itself a duplicate of {first.reference}: choose that one."}
        )
    if ticket.status == Status.CLOSED:
        raise TicketStateError(f"{ticket.reference} is already closed; reopen it first.")
    old = ticket.status
    _move(ticket, old=old, new=Status.CLOSED, closed_at=now, duplicate_of=original)
    _event(
        ticket,
        EventKind.CLOSED,
        access=access,
        at=now,
        from_value=old,
        to_value=Status.CLOSED,
        note=f"Duplicate of {original.reference}.",
        duplicate_of=original.reference,
    )
    ticket_clocks_refresh(ticket=ticket, at=now)
    _follow(original, ticket.reporter, at=now)
    notify(
        programme=ticket.programme,
        recipients=[ticket.reporter],
        kind="ticket_duplicate",
        key=f"duplicate:{ticket.pk}:{now.isoformat()}",
        subject=f"{ticket.reference} is a duplicate of {original.reference}: {original.title}",
        body=f"Your ticket {ticket.reference} was closed as a duplicate of {original.reference}. "
        "You now follow that ticket and will hear of its progress there.",
        link=f"/p/{ticket.programme.slug}/tickets/{original.reference}/",
        at=now,
    )
    return ticket


# Satisfaction on resolution ---------------------------------------------------------------


@transaction.atomic
def ticket_rate(
    *, access: ProgrammeAccess, ticket: Ticket, rating: int, comment: str = "", at: datetime | None = None
):
    """The reporter rates the resolution of their resolved (or closed) ticket, 1 to 5."""
    from tickets.models import TicketRating

    access.require_open()
    if access.user is None or ticket.reporter_id != access.user.pk:
        _deny("Only the person who reported the ticket rates its resolution.")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.resolved_at is None:
        raise TicketStateError(f"{ticket.reference} is not resolved: there is no resolution to rate yet.")
    if rating not in (1, 2, 3, 4, 5):
        raise ValidationError({"rating": "Rate from 1 (poor) to 5 (excellent)."})
    rated, _ = TicketRating.objects.update_or_create(
        ticket=ticket,
        resolved_at=ticket.resolved_at,
        defaults={
            "rating": rating,
            "comment": comment.strip(),
            "rated_by": access.user,
            "rated_at": at or timezone.now(),
        },
    )
    return rated


def tickets_release_member(*, programme: Programme, user, by=None, at: datetime | None = None) -> int:
    """A member left the programme: their open tickets go back to the queue (unassigned), each with
    a timeline entry. Set-based: one UPDATE and one INSERT whatever the number."""
    now = at or timezone.now()
    held = list(Ticket.objects.filter(programme=programme, assignee=user).open().only("pk"))
    if not held:
        return 0
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in held]).update(assignee=None, team="")
    name = user.get_full_name() or user.get_username()
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.ASSIGNED,
            actor=by,
            at=now,
            from_value=user.get_username(),
            to_value="",
            note=f"Back to the queue: {name} left the programme.",
        )
        for ticket in held
    )
    return len(held)
