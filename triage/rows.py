"""The triage board's rows, built in Python like the queue's (tickets/rows.py).

A board shows up to five sections of fifty rows. Through the template engine each row cost
about 0.2 ms of variable lookups and filters, most of the page's time; built here with
f-strings it is a fraction of that, for the same markup. Every value that is not a constant of
this module goes through `escape`, as a template would escape it.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from tickets.rows import _label, _when

# The columns a board row reads; the board loads only these, as plain rows (no model instances).
FIELDS = (
    "id", "reference", "title", "severity", "tier", "status", "reported_at", "assignee_id",
    "assignee__first_name", "assignee__last_name", "assignee__username", "first_responded_at",
    "response_due_at", "resolution_due_at", "paused_at", "at_risk", "response_breached",
    "resolution_breached",
)  # fmt: skip


def load_rows(queryset) -> list[dict]:
    """The board's tickets with only what a row shows."""
    return list(queryset.select_related(None).order_by().values(*FIELDS))


def minutes_words(minutes: int | None) -> str:
    """A short span for a board clock: 95 → "1 h 35 min", 3000 → "2 d 2 h"."""
    if minutes is None:
        return ""
    days, rest = divmod(int(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def clock(ticket: dict, at: datetime) -> dict:
    """The clock a board row shows: response until answered, then resolution."""
    if ticket["first_responded_at"] is None and ticket["response_due_at"] is not None:
        label, due, breached = "response", ticket["response_due_at"], ticket["response_breached"]
    else:
        label, due, breached = "resolution", ticket["resolution_due_at"], ticket["resolution_breached"]
    if ticket["paused_at"] is not None and label == "resolution":
        return {
            "label": "paused",
            "due": None,
            "minutes": None,
            "overdue": False,
            "paused_at": ticket["paused_at"],
        }
    if due is None:
        return {"label": label, "due": None, "minutes": None, "overdue": False, "paused_at": None}
    minutes = int((due - at).total_seconds() // 60)
    return {
        "label": label,
        "due": due,
        "minutes": abs(minutes),
        "overdue": breached or minutes < 0,
        "paused_at": None,
    }


def _clock_cell(ticket: dict, at: datetime, tz) -> str:
    c = clock(ticket, at)
    if c["label"] == "paused":
        local = _when(c["paused_at"], day=False, tz=tz)
        cell = f'<span class="badge">paused</span> since {local}'
    elif c["due"]:
        words = minutes_words(c["minutes"])
        state = f'<strong class="error">overdue {words}</strong>' if c["overdue"] else f"due in {words}"
        cell = f'{c["label"]} {state}\n              <small class="help">{_when(c["due"], tz=tz)}</small>'
    else:
        cell = '<span class="help">no target</span>'
    if ticket["at_risk"]:
        cell += ' <span class="badge amber">at risk</span>'
    if ticket["response_breached"]:
        cell += ' <span class="badge red">response breached</span>'
    if ticket["resolution_breached"]:
        cell += ' <span class="badge red">resolution breached</span>'
    return cell


def _row(ticket: dict, prefix: str, at: datetime, tz) -> str:
    ref = escape(ticket["reference"])
    if ticket["response_breached"] or ticket["resolution_breached"]:
        state = "breached"
    elif ticket["at_risk"]:
        state = "at-risk"
    else:
        state = ""
    if ticket["assignee_id"]:
        full_name = f"{ticket['assignee__first_name']} {ticket['assignee__last_name']}".strip()
        who = escape(full_name or ticket["assignee__username"])
    else:
        who = '<span class="empty">nobody</span>'
    severity = int(ticket["severity"])
    return (
        f'<tr class="{state}">\n'
        f'          <td class="ticket"><a href="{escape(prefix + quote(ticket["reference"]))}/" class="ref">{ref}</a>'
        f" {escape(ticket['title'])}\n"
        f'            <small class="help">reported {_when(ticket["reported_at"], tz=tz)} · '
        f"{escape(_label('status', ticket['status']).lower())}</small></td>\n"
        f'          <td class="sev"><span class="badge sev{severity}">Sev{severity}</span></td>\n'
        f'          <td class="tier" data-label="Tier">{int(ticket["tier"])}</td>\n'
        f'          <td class="who">{who}</td>\n'
        f'          <td class="clock">{_clock_cell(ticket, at, tz)}</td>\n'
        "        </tr>"
    )


def board_rows(tickets, slug: str, at: datetime) -> SafeString:
    """The <tr>s of one board section."""
    prefix = reverse("tickets:detail", args=[slug, "X-1"])[: -len("X-1/")]
    tz = timezone.get_current_timezone()
    return mark_safe("\n        ".join(_row(ticket, prefix, at, tz) for ticket in tickets))  # noqa: S308 -- escaped
