"""Who worked the queue: the tickets staff handled, per local day and per team, and the handling moves.

A member of the support staff (desk, engineer, lead or BAU role in the programme) *handles* a ticket
on a day when the ticket's timeline shows them, that day:

- taking it (an assignment whose new assignee is the person who made it),
- answering it publicly (a public comment on a ticket they did not report), or
- resolving it.

The handler's team is their membership's team (project or BAU). A ticket counts once per day per team,
and once per day in the day's total, however many times it was handled; a ticket both teams handled
on one day counts for each team and once in the total. Days are the programme's local days.

A *handling move* is an assignment that gives a ticket to someone other than its previous holder (the
last person it was assigned to, even if an escalation or an unassignment cleared it since). A move from
a BAU person to a project-team person is a *rescue*: the project team stepping in on BAU's ticket.

Both reads are set-based: `handling_by_day` is two queries whatever the window, `rescues` one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat, Trim, TruncDate

from hypercare.aggregates import cached_aggregate
from hypercare.models import Membership, Programme, roles_q
from hypercare.roles import QUEUE_WORKERS, Team
from hypercare.vocabulary import EventKind
from tickets.models import TicketEvent


def _bounds(programme: Programme, first: date, last: date) -> tuple[ZoneInfo, datetime, datetime]:
    tz = ZoneInfo(programme.timezone)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    return tz, start, end


def _staff_q(prefix: str) -> Q:
    """The person at `prefix` is support staff of the programme (joined through their membership)."""
    return roles_q(*QUEUE_WORKERS, prefix=prefix)


def handling_events(programme: Programme, start: datetime, end: datetime):
    """Timeline events in [start, end) by which a staff member handled a ticket, with the handler's
    membership joined once (the team aggregates below read it)."""
    handled = (
        Q(kind=EventKind.ASSIGNED, to_value=F("actor__username"))
        | (Q(kind=EventKind.COMMENT, internal=False) & ~Q(actor_id=F("ticket__reporter_id")))
        | Q(kind=EventKind.RESOLVED)
    )
    # One filter() call: every condition on actor__memberships refers to the same membership row.
    return TicketEvent.objects.filter(
        handled
        & Q(ticket__programme=programme, at__gte=start, at__lt=end)
        & Q(actor__memberships__programme=programme)
        & _staff_q("actor__memberships")
    )


@dataclass(frozen=True)
class HandlingDay:
    """One local day: the distinct tickets the staff handled, by the BAU team, by the project team."""

    day: date
    handled: int
    bau: int
    project: int

    @property
    def bau_share(self) -> Fraction | None:
        """BAU's tickets as a percentage of the day's handled tickets (None on a day nobody handled one)."""
        return Fraction(self.bau * 100, self.handled) if self.handled else None

    def comanaged(self, min_share: Decimal | Fraction | int) -> bool:
        """BAU handled at least `min_share` percent of the tickets handled that day; a day nobody
        handled a ticket shows no co-management."""
        return self.handled > 0 and self.bau_share >= Fraction(min_share)


@dataclass(frozen=True)
class Handling:
    """The window's days (every day, zero-filled) and its distinct tickets handled, in total and by BAU."""

    first: date
    last: date
    days: list[HandlingDay]
    handled: int
    bau: int

    @property
    def bau_share(self) -> Fraction | None:
        """Of the distinct tickets handled in the window, the percentage BAU handled."""
        return Fraction(self.bau * 100, self.handled) if self.handled else None


def handling_by_day(programme: Programme, first: date, last: date, *, at: datetime | None = None) -> Handling:
    """The tickets handled on each local day from `first` to `last` inclusive, per team: two queries."""
    return cached_aggregate(
        "handling",
        programme.pk,
        first,
        last,
        at=at,
        compute=lambda: _handling_by_day(programme, first, last),
    )


def _handling_by_day(programme: Programme, first: date, last: date) -> Handling:
    tz, start, end = _bounds(programme, first, last)
    events = handling_events(programme, start, end)
    bau = Q(actor__memberships__team=Team.BAU)
    project = Q(actor__memberships__team=Team.PROJECT)
    rows = (
        events.annotate(day=TruncDate("at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(
            handled=Count("ticket_id", distinct=True),
            bau=Count("ticket_id", distinct=True, filter=bau),
            project=Count("ticket_id", distinct=True, filter=project),
        )
    )
    by_day = {row["day"]: row for row in rows}
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        row = by_day.get(day) or {}
        days.append(HandlingDay(day, row.get("handled", 0), row.get("bau", 0), row.get("project", 0)))
    totals = events.aggregate(
        handled=Count("ticket_id", distinct=True), bau=Count("ticket_id", distinct=True, filter=bau)
    )
    return Handling(first, last, days, totals["handled"], totals["bau"])


@dataclass(frozen=True)
class HandlingMove:
    """A ticket given to a project-team person while its previous holder was a BAU person."""

    ticket_id: int
    reference: str
    at: datetime
    from_username: str
    from_name: str
    to_username: str
    to_name: str
    by_username: str


def _team_of(username_ref: str, programme: Programme) -> Subquery:
    return Subquery(
        Membership.objects.filter(programme=programme, user__username=OuterRef(username_ref))
        .order_by()
        .values("team")[:1]
    )


def _name_of(username_ref: str) -> Subquery:
    full = Trim(Concat("first_name", Value(" "), "last_name", output_field=CharField()))
    return Subquery(
        get_user_model()
        .objects.filter(username=OuterRef(username_ref))
        .annotate(full=full)
        .order_by()
        .values("full")[:1],
        output_field=CharField(),
    )


def rescues(
    programme: Programme, first: date, last: date, *, at: datetime | None = None
) -> list[HandlingMove]:
    """Assignments on the local days `first` to `last` that moved a ticket from a BAU person to a
    project-team person, oldest first: one query."""
    return cached_aggregate(
        "rescues",
        programme.pk,
        first,
        last,
        at=at,
        compute=lambda: _rescues(programme, first, last),
    )


def _rescues(programme: Programme, first: date, last: date) -> list[HandlingMove]:
    _, start, end = _bounds(programme, first, last)
    previous_holder = Subquery(
        TicketEvent.objects.filter(ticket_id=OuterRef("ticket_id"), kind=EventKind.ASSIGNED)
        .exclude(to_value="")
        .filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk")))
        .order_by("-at", "-pk")
        .values("to_value")[:1]
    )
    rows = (
        TicketEvent.objects.filter(
            ticket__programme=programme, kind=EventKind.ASSIGNED, at__gte=start, at__lt=end
        )
        .exclude(to_value="")
        .annotate(previous=previous_holder)
        .annotate(
            to_team=_team_of("to_value", programme),
            from_team=_team_of("previous", programme),
        )
        .filter(to_team=Team.PROJECT, from_team=Team.BAU)
        .annotate(from_name=_name_of("previous"), to_name=_name_of("to_value"))
        .order_by("at", "pk")
        .values(
            "ticket_id",
            "ticket__reference",
            "at",
            "previous",
            "from_name",
            "to_value",
            "to_name",
            "actor__username",
        )  # fmt: skip
    )
    return [
        HandlingMove(
            ticket_id=row["ticket_id"],
            reference=row["ticket__reference"],
            at=row["at"],
            from_username=row["previous"],
            from_name=row["from_name"] or row["previous"],
            to_username=row["to_value"],
            to_name=row["to_name"] or row["to_value"],
            by_username=row["actor__username"] or "",
        )
        for row in rows
    ]
