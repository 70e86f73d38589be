"""Reads the handover pages share: KT phases with the BAU team's measured share, runbook candidates,
the hypercare clock, the state of the sign-offs, the exit's outcome and what is handed to BAU open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q

from handover.models import (
    PHASE_ORDER,
    CriterionKind,
    CriterionStatus,
    ExitCriterion,
    KtPhase,
    PhaseKind,
    SignOff,
)
from hypercare.models import Programme, SignatoryRoleChange
from hypercare.roles import SIGNATORIES, Role
from hypercare.vocabulary import DONE_STATUSES, OPEN_STATUSES
from metrics.selectors import Share, Window, bau_shares
from tickets.models import KnownIssue, Ticket


@dataclass
class PhaseRow:
    phase: KtPhase
    ends_on: date | None
    is_current: bool
    is_past: bool
    share: Share | None  # the BAU share over the phase's days so far (None before it starts)

    @property
    def tickets(self) -> int:
        """Tickets reported in the phase that reached the desk."""
        return int(self.share.whole) if self.share else 0

    @property
    def bau(self) -> int:
        return int(self.share.part) if self.share else 0

    @property
    def bau_share(self) -> float | None:
        """The phase's BAU share in percent (`metrics.selectors.bau_share` over its days), one decimal."""
        percent = self.share.percent if self.share else None
        return None if percent is None else round(percent, 1)


def current_phase(programme: Programme, *, today: date) -> KtPhase | None:
    phases = [p for p in KtPhase.objects.filter(programme=programme) if p.starts_on <= today]
    return max(phases, key=lambda p: (p.starts_on, PHASE_ORDER[p.phase])) if phases else None


def kt_rows(programme: Programme, *, today: date, at: datetime | None = None) -> list[PhaseRow]:
    """Each KT phase with its dates and the BAU share of its days so far (the scorecard's definition):
    two queries."""
    phases = sorted(
        KtPhase.objects.filter(programme=programme), key=lambda p: (p.starts_on, PHASE_ORDER[p.phase])
    )
    bounds = []
    for index, phase in enumerate(phases):
        following = phases[index + 1].starts_on if index + 1 < len(phases) else None
        bounds.append((phase, following))
    windows = {
        phase.pk: Window.between(
            programme,
            phase.starts_on,
            min(following - timedelta(days=1), today) if following else today,
            at=at,
        )
        for phase, following in bounds
        if phase.starts_on <= today and (following is None or following > phase.starts_on)
    }
    shares = dict(zip(windows, bau_shares(programme, list(windows.values())), strict=True))
    current = current_phase_of(phases, today)
    rows = []
    for phase, following in bounds:
        rows.append(
            PhaseRow(
                phase=phase,
                ends_on=following - timedelta(days=1) if following else None,
                is_current=current is not None and phase.pk == current.pk,
                is_past=following is not None and following <= today,
                share=shares.get(phase.pk),
            )
        )
    return rows


def current_phase_of(phases: list[KtPhase], today: date) -> KtPhase | None:
    started = [p for p in phases if p.starts_on <= today]
    return started[-1] if started else None


@dataclass
class Clock:
    days_in: int
    days_planned: int

    @property
    def overrun(self) -> int:
        return max(0, self.days_in - self.days_planned)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.days_in / self.days_planned)) if self.days_planned else 100


def hypercare_clock(programme: Programme, *, today: date) -> Clock:
    """Days in hypercare so far against the days planned (go-live to planned exit)."""
    return Clock(
        days_in=max(0, (today - programme.go_live_date).days),
        days_planned=(programme.planned_exit_date - programme.go_live_date).days,
    )


def runbook_candidates(programme: Programme, *, limit: int = 20):
    """Recurring problems worth a runbook: known issues with resolved tickets, and resolved tickets
    that share a process and category without a known issue. Two queries."""
    known = list(
        KnownIssue.objects.filter(programme=programme)
        .annotate(
            resolved=Count(
                "tickets", filter=Q(tickets__status__in=DONE_STATUSES) & ~Q(tickets__resolution="")
            ),
            drafted=Count("runbooks", distinct=True),
        )
        .filter(resolved__gt=0)
        .order_by("-resolved", "title")[:limit]
    )
    groups = list(
        Ticket.objects.filter(programme=programme, known_issue__isnull=True, status__in=DONE_STATUSES)
        .exclude(resolution="")
        .exclude(process="")
        .values("process", "category")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .order_by("-n", "process")[:limit]
    )
    return known, groups


@dataclass
class SignatoryState:
    membership: object
    sign_off: SignOff | None

    @property
    def signed(self) -> bool:
        return self.sign_off is not None


def signatory_states(programme: Programme, sign_offs: list[SignOff]) -> list[SignatoryState]:
    """Every required signatory and their standing sign-off, if any (from the already-loaded list)."""
    from hypercare.models import Membership

    revoked = {s.revokes_id for s in sign_offs if s.revokes_id}
    standing = {s.signatory_id: s for s in sign_offs if s.kind == "sign_off" and s.pk not in revoked}
    members = list(
        Membership.objects.active()
        .filter(programme=programme)
        .with_any_role(*SIGNATORIES)
        .select_related("user")
    )
    members.sort(key=lambda m: (Role.SPONSOR not in m.roles, m.user.get_username()))
    return [SignatoryState(m, standing.get(m.user_id)) for m in members]


def phase_label(value: str | None) -> str:
    return PhaseKind(value).label if value in PhaseKind.values else "—"


# ---------------------------------------------------------------------------------------------
# The exit's outcome: clean, or closed with exceptions the signatories accepted


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class Acceptance:
    """One signatory's acceptance of one criterion that did not pass, in their words."""

    signatory: str
    role: str
    justification: str


@dataclass
class AcceptedException:
    """A criterion that did not pass when the programme was signed off, as the sign-offs froze it."""

    title: str
    status_label: str
    value_display: str
    acceptances: list[Acceptance]

    @property
    def accepted_by(self) -> str:
        return " and ".join(a.signatory for a in self.acceptances)


@dataclass
class ExitOutcome:
    """How a programme left (or is leaving) hypercare, from its standing sign-offs: every page
    that tells the outcome (the programme page, the celebration, the exit report and its PDF)
    reads it here."""

    closed: bool
    closed_at: datetime | None
    signers: list[SignOff]
    exceptions: list[AcceptedException]

    @property
    def clean(self) -> bool:
        """Closed on a green gate by every signatory: the only exit the confetti is for."""
        return self.closed and bool(self.signers) and all(s.gate_green for s in self.signers)

    @property
    def accepted_by(self) -> str:
        """The signatories who accepted at least one exception, in signing order."""
        names: list[str] = []
        for exception in self.exceptions:
            for acceptance in exception.acceptances:
                label = f"{acceptance.signatory} ({acceptance.role})"
                if label not in names:
                    names.append(label)
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""

    @property
    def summary(self) -> str:
        if not self.closed:
            return ""
        if self.clean:
            return "Closed clean: every exit criterion passed when each signatory signed."
        n = len(self.exceptions)
        if not n:
            return "Closed while the exit gate was not green."
        return f"Closed with {n} exception{'s' if n != 1 else ''} accepted by {self.accepted_by}."


# How the outcome names a signatory's role and a criterion that did not pass.
SIGNATORY_TITLES = {Role.SPONSOR: "business sponsor", Role.OPERATIONAL_OWNER: "operational owner"}
FROZEN_STATUS = {CriterionStatus.FAIL: "not met", CriterionStatus.NOT_MEASURABLE: "not yet measurable"}


def _role_label(role: str) -> str:
    return " and ".join(SIGNATORY_TITLES.get(part, part) for part in role.split("+"))


def exit_outcome(programme: Programme, sign_offs: list[SignOff] | None = None) -> ExitOutcome:
    """The standing sign-offs and the exceptions they accepted (from `sign_offs` when loaded already)."""
    if sign_offs is None:
        sign_offs = list(SignOff.objects.of(programme).for_list())
    revoked = {s.revokes_id for s in sign_offs if s.revokes_id}
    standing = [s for s in sign_offs if s.kind == "sign_off" and s.pk not in revoked]
    standing.sort(key=lambda s: (s.signed_at, s.pk))
    exceptions: dict[str, AcceptedException] = {}
    for record in standing:
        frozen = {str(c.get("id")): c for c in record.snapshot.get("criteria", [])}
        for key, text in (record.justifications or {}).items():
            criterion = frozen.get(key, {})
            exception = exceptions.setdefault(
                key,
                AcceptedException(
                    title=criterion.get("title", f"Criterion {key}"),
                    status_label=FROZEN_STATUS.get(criterion.get("status"), "not met"),
                    value_display=str(criterion.get("value_display") or ""),
                    acceptances=[],
                ),
            )
            exception.acceptances.append(Acceptance(_name(record.signatory), _role_label(record.role), text))
    return ExitOutcome(
        closed=programme.is_closed,
        closed_at=programme.closed_at,
        signers=standing,
        exceptions=list(exceptions.values()),
    )


def open_backlog(programme: Programme) -> list[Ticket]:
    """The tickets still open, handed to BAU: most severe and oldest first, with their owner."""
    return list(
        Ticket.objects.filter(programme=programme, status__in=OPEN_STATUSES)
        .select_related("assignee")
        .order_by("severity", "reported_at", "pk")
    )


def open_known_issues(programme: Programme) -> list[KnownIssue]:
    """Known issues not fixed yet (investigating, or a fix in progress), handed to BAU."""
    return list(KnownIssue.objects.filter(programme=programme).open().order_by("title", "pk"))


def signatory_changes_in_review(programme: Programme):
    """Changes to the sponsor and operational-owner roles since the exit review began (all of them
    before it has begun): the sign-off page lists each, with who made it."""
    return SignatoryRoleChange.objects.of(programme).since(programme.exit_review_started_at).for_list()


# The knowledge-transfer phase the data shows


# The exit criteria that measure who runs the queue, and so which phase the data shows.
HANDLING_KINDS = (CriterionKind.BAU_COMANAGED, CriterionKind.BAU_RAN_QUEUE)


@dataclass
class MeasuredPhase:
    """The knowledge-transfer phase the handling data shows, and why."""

    phase: str
    reason: str

    @property
    def label(self) -> str:
        return PhaseKind(self.phase).label


def measured_phase(results) -> MeasuredPhase | None:
    """The phase the gate's BAU handling criteria show: BAU leads once BAU handled its share of the
    tickets handled (the "BAU ran the queue" criterion's threshold), co-managed once every working day
    of the co-management window was, otherwise the project team leads. None without those criteria."""
    by_kind = {r.criterion.kind: r for r in results if r.criterion.kind in HANDLING_KINDS}
    ran = by_kind.get(CriterionKind.BAU_RAN_QUEUE)
    comanaged = by_kind.get(CriterionKind.BAU_COMANAGED)
    if ran is None and comanaged is None:
        return None
    if ran is not None and ran.facts.get("share_met"):
        ready = " and met the SLA targets: ready to hand over" if ran.status == "pass" else ""
        return MeasuredPhase(
            PhaseKind.BAU_LEADS, f"{ran.value_display} (last {ran.criterion.window_days} days){ready}."
        )
    if comanaged is not None and comanaged.status == "pass":
        return MeasuredPhase(PhaseKind.CO_MANAGED, f"{comanaged.value_display}.")
    reasons = [r.value_display for r in (comanaged, ran) if r is not None]
    return MeasuredPhase(PhaseKind.PROJECT_LEADS, "; ".join(reasons) + ".")


def kt_measured_phase(programme: Programme, *, at: datetime | None = None) -> MeasuredPhase | None:
    """`measured_phase` for the programme now: its handling criteria (the kinds' defaults where the
    leads removed one) evaluated on their own."""
    from handover.criteria import DEFAULT_CRITERIA, gate_evaluate

    criteria = list(ExitCriterion.objects.of(programme).filter(kind__in=HANDLING_KINDS))
    present = {c.kind for c in criteria}
    for kind, title, threshold, window, _ in DEFAULT_CRITERIA:
        if kind in HANDLING_KINDS and kind not in present:
            criteria.append(
                ExitCriterion(
                    programme=programme,
                    kind=kind,
                    title=title,
                    threshold=Decimal(threshold) if threshold is not None else None,
                    window_days=window,
                )
            )
    return measured_phase(gate_evaluate(programme=programme, at=at, criteria=criteria).results)
