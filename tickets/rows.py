"""A ticket's row in the queue, its badges and its SLA cell, built in Python.

These are the app's hottest HTML: a queue page is 25 rows, and the desk reloads it all day.
Through the template engine a row cost about 0.8 ms (variable lookups, two includes, filters,
a reverse() per row); built here with f-strings it costs about a tenth of that, for the same
markup. Every value that is not a constant of this module goes through `escape` (html.escape,
which Django's own escaping uses), as a template would escape it; tests/security checks the
queue with hostile titles, names and business units.

Templates reach these through the tags in tickets/templatetags/tickets_ui.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from hypercare.roles import Team
from hypercare.timewords import span_words
from hypercare.vocabulary import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Category,
    ImpactScope,
    Severity,
    Status,
    TicketKind,
    Workaround,
)
from sla import outcomes
from tickets.models import Ticket

# The columns a row reads: the queue loads only these (a ticket row has about 50).
FIELDS = (
    "reference", "title", "business_unit", "process", "known_issue_id", "category", "severity", "tier",
    "status", "team", "assignee_id", "assignee__first_name", "assignee__last_name", "assignee__username",
    "reported_at", "first_responded_at", "sla_started_at", "response_due_at", "resolution_due_at",
    "paused_at", "at_risk", "response_breached", "resolution_breached", "resolved_at",
    "response_at_risk_at", "resolution_at_risk_at",
)  # fmt: skip


def load_rows(queryset):
    """A page's rows with only what a row shows (the paginator's `rows` hook)."""
    return queryset.select_related(None).select_related("assignee").only(*FIELDS)


# A ticket's choice labels by field and value (lazy, so still translated at render time), for
# the queue and the ticket page: get_FOO_display() rebuilds a hashable copy of every choice on
# each call, which was a fifth of a queue row's cost.
CHOICE_LABELS = {
    name: dict(choices.choices)
    for name, choices in (
        ("status", Status),
        ("team", Team),
        ("category", Category),
        ("impact_scope", ImpactScope),
        ("workaround", Workaround),
        ("severity", Severity),
    )
}


def _label(field: str, value) -> str:
    return str(CHOICE_LABELS[field].get(value, value))


def _when(value, *, day: bool = True, tz=None) -> str:
    """'Mon 3 Nov 14:05' (or 'Mon 14:05') in the current time zone (or `tz`, which a page of rows
    looks up once), as the template's date filter would print "D j M H:i" in English, at a
    fraction of its cost."""
    local = value.astimezone(tz) if tz is not None else template_localtime(value)
    return local.strftime(f"%a {local.day} %b %H:%M" if day else "%a %H:%M")


def sla_state(ticket: Ticket, at: datetime | None = None) -> str:
    """'breached', 'at-risk', 'paused', 'due', 'met' or '' (no clock) for a list row, at `at` (now).

    The SLA layer judges breach and risk (`sla.outcomes.judge`); a done ticket whose clock ran
    and was never breached met its targets.
    """
    outcome = outcomes.judge(ticket, at or timezone.now())
    if outcome.breached:
        return "breached"
    if ticket.status in DONE_STATUSES:
        return "met" if ticket.sla_started_at else ""
    if not outcome.state and (ticket.resolution_due_at or ticket.response_due_at):
        return "due"  # answered, and no resolution target: the cell says so
    return outcome.state


def due_at(ticket: Ticket):
    """The next deadline that matters: the response while nobody has answered, then the resolution."""
    if ticket.first_responded_at is None and ticket.response_due_at:
        return ticket.response_due_at
    return ticket.resolution_due_at


def sla_words(ticket: Ticket, at: datetime | None = None) -> str:
    """How much: "breached 3 h ago" or "due in 40 min" (wall-clock time, at `at`: now), "" when
    the ticket has no breach and no open target. The queue, the API and the ticket page say it alike."""
    now = at or timezone.now()
    since = outcomes.breached_since(ticket, now)
    if since is not None:
        return f"breached {span_words(now - since)} ago"
    if ticket.status in DONE_STATUSES:
        return ""
    due = due_at(ticket)
    if due is None:
        return ""
    if due < now:  # past due, not yet flagged or judged breached (e.g. a paused clock)
        return f"due {span_words(now - due)} ago"
    return f"due in {span_words(due - now)}"


def _sla_cell(ticket: Ticket) -> str:
    now = timezone.now()
    state = sla_state(ticket, now)
    if state == "breached":
        words = sla_words(ticket, now)
        return f'<span class="badge red" title="SLA breached">{words or "SLA breached"}</span>'
    due = due_at(ticket)
    when = f' title="{_when(due)}"' if due else ""
    if state == "at-risk":
        return f'<span class="badge amber">At risk</span> <small{when}>{sla_words(ticket, now)}</small>'
    if state == "paused":
        return '<span class="badge">Paused</span>'
    if state == "due":
        if due:
            return f"<small{when}>{sla_words(ticket, now)}</small>"
        return '<small class="help">responded · no resolution target</small>'
    if state == "met":
        return '<small class="help">met</small>'
    return '<small class="help">–</small>'


def sla_cell(ticket: Ticket) -> SafeString:
    """The SLA in a few words: breached, at risk (and when due), paused, due, met, or no clock."""
    return mark_safe(_sla_cell(ticket))  # noqa: S308 -- constants and formatted dates only


KIND_WORDS = {TicketKind.TRAINING_GAP: "Training gap", TicketKind.DEFECT: "Defect"}


def _badges(ticket: Ticket) -> str:
    kind = ticket.kind
    category = escape(_label("category", ticket.category))
    return (
        f'<span class="badge sev{int(ticket.severity)}" title="{escape(_label("severity", ticket.severity))}">'
        f"Sev{int(ticket.severity)}</span>\n"
        f'<span class="kind kind-{kind.replace(" ", "-")}" title="{category}">{KIND_WORDS.get(kind) or category}</span>'
    )


def ticket_badges(ticket: Ticket) -> SafeString:
    """Severity, and the training-gap / defect split every list shows."""
    return mark_safe(_badges(ticket))  # noqa: S308 -- every value escaped


@dataclass(frozen=True)
class QueueRows:
    """What every row of one queue page shares: the viewer, the links, the token."""

    slug: str
    can_work_queue: bool
    csrf_token: str
    queue_url: str
    # A closed programme: only its open tickets still take actions (hypercare.access).
    only_open: bool = False

    @property
    def detail_prefix(self) -> str:
        # /p/<slug>/tickets/ACME-1/ → /p/<slug>/tickets/: one reverse() per page, not per row.
        probe = reverse("tickets:detail", args=[self.slug, "X-1"])
        return probe[: -len("X-1/")]

    def render(self, ticket: Ticket, *, error: str = "", done: str = "") -> SafeString:
        return mark_safe(self._row(ticket, self.detail_prefix, error=error, done=done))  # noqa: S308 -- escaped

    def render_page(self, tickets) -> SafeString:
        prefix = self.detail_prefix
        return mark_safe("\n    ".join(self._row(ticket, prefix) for ticket in tickets))  # noqa: S308 -- escaped

    def _row(self, ticket: Ticket, prefix: str, *, error: str = "", done: str = "") -> str:
        ref = escape(ticket.reference)
        url = escape(f"{prefix}{quote(ticket.reference)}/")
        where = [ticket.business_unit]
        if ticket.process:
            where.append(ticket.process)
        if ticket.known_issue_id:
            where.append("known issue")
        notes = ""
        if error:
            notes += f'\n        <p class="error row-error" role="alert">{escape(str(error))}</p>'
        if done:
            notes += f'\n        <p class="ok row-done" role="status">{escape(str(done))}</p>'
        if ticket.assignee_id:
            assignee = ticket.assignee
            who = escape(assignee.get_full_name() or assignee.username)
            if ticket.team:
                who += f' <small class="help">{escape(_label("team", ticket.team))}</small>'
        else:
            who = '<span class="empty">unassigned</span>'
        tier = int(ticket.tier)
        pick = ""
        if self.can_work_queue:
            box = ""
            if not (self.only_open and ticket.status not in OPEN_STATUSES):
                # Belongs to the queue's bulk form (outside the table): no JavaScript needed.
                box = (
                    f'<input type="checkbox" name="ticket" value="{ref}" form="bulk-form" class="pick-box"'
                    f' aria-label="Select {ref}">'
                )
            pick = f'\n      <td class="pick">{box}</td>'
        return (
            f'<tr id="row-{ref}" class="ticket-row{" row-updated" if done else ""}">{pick}\n'
            f'      <td class="ticket-cell"><a href="{url}" class="ref">{ref}</a>\n'
            f'        <span class="title">{escape(ticket.title)}</span>\n'
            f'        <small class="help">{escape(" · ".join(where))}</small>{notes}</td>\n'
            f'      <td class="cell-inline">{_badges(ticket)}</td>\n'
            f'      <td class="cell-inline" title="Tier {tier}">T{tier}</td>\n'
            f'      <td class="cell-inline"><span class="status status-{escape(ticket.status)}">'
            f"{escape(_label('status', ticket.status))}</span></td>\n"
            f'      <td class="assignee" data-label="Assignee">{who}</td>\n'
            f'      <td data-label="SLA">{_sla_cell(ticket)}</td>\n'
            f'      <td class="when" data-label="Reported"><small>{_when(ticket.reported_at)}</small></td>'
            f"{self._actions(ticket, url, ref) if self.can_work_queue else ''}\n"
            "    </tr>"
        )

    def _actions(self, ticket: Ticket, url: str, ref: str) -> str:
        if self.only_open and ticket.status not in OPEN_STATUSES:
            return '\n      <td class="quick"></td>'
        take = ""
        # Take picks up an unassigned ticket; a colleague's is reassigned through "More".
        if ticket.assignee_id is None:
            take = (
                f'\n        <form method="post" action="{url}take/" hx-post="{url}take/" hx-target="closest tr"'
                ' hx-swap="outerHTML" class="inline">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(self.csrf_token)}">'
                '<input type="hidden" name="return" value="row">'
                f'<input type="hidden" name="next" value="{escape(self.queue_url)}">'
                '<button type="submit" class="small take">Take</button></form>'
            )
        # The menu's forms load when it opens, so a page of rows stays small; without
        # JavaScript the <details> opens on a link to the ticket, where every action is.
        return (
            f'\n      <td class="quick">{take}\n'
            f'        <details class="row-actions" hx-get="{url}row-actions/?next={escape(quote(self.queue_url, safe=""))}"'
            ' hx-trigger="toggle once" hx-target="find .row-menu"><summary>More</summary>\n'
            f'          <div class="row-menu"><a href="{url}">Assign, move or comment on {ref}</a></div>\n'
            "        </details>\n"
            "      </td>"
        )
