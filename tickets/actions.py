"""The actions on a ticket: which a member may take, their forms, their panels on the ticket
page, and how each is validated and dispatched to its service.

The ticket page, its action panels and the queue's quick actions all go through this table;
the services check every rule again (a refused action comes back as the form's errors).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.loader import render_to_string

from hypercare.access import ProgrammeAccess
from hypercare.views import apply_errors
from hypercare.vocabulary import OPEN_STATUSES, Status, Tier
from tickets import forms, selectors, services
from tickets.models import TRANSITIONS, Ticket
from tickets.services import TicketStateError


@dataclass
class ActionUI:
    """One action of the ticket page: its labels, where it posts, and where its form is loaded from.

    `form` is set only for the forms the page renders at once (the comment box, a form that
    came back with errors); the others are fetched when their panel is opened.
    """

    name: str
    title: str
    button: str
    help: str = ""
    multipart: bool = False
    url: str = ""
    form_url: str = ""
    form: object = None
    fields_html: str = ""  # a blank form's fields, rendered once (_blank_fields)


# The ticket page's actions, in the order of its side panel (comment and attach live in the
# main column); `take` is a single button. Each posts to tickets:<name> (TICKET_ACTIONS).
ACTION_LABELS: dict[str, tuple[str, str, str]] = {
    "take": ("Take it", "Take it", "Assign it to yourself."),
    "comment": ("Add a comment", "Comment", ""),
    "attach": ("Attach a file", "Upload", ""),
    "transition": ("Change status", "Change status", ""),
    "resolve": (
        "Resolve",
        "Resolve",
        "A Tier 3 resolution passes back to the desk to confirm with the reporter.",
    ),
    "escalate": ("Escalate or move tier", "Move", "Tier 3 needs documented replication steps."),
    "reopen": ("Reopen", "Reopen", ""),
    "assign": ("Assign", "Assign", ""),
    "severity": ("Change severity", "Change severity", ""),
    "link": ("Link to a known issue", "Link", ""),
    "duplicate": (
        "Mark as duplicate",
        "Close as duplicate",
        "It is closed with a link to the original; its reporter is told and follows the original.",
    ),
    "edit": ("Edit", "Save", ""),
}
SIDE_ACTIONS = (
    "transition",
    "resolve",
    "escalate",
    "reopen",
    "assign",
    "severity",
    "link",
    "duplicate",
    "edit",
)
EAGER_ACTIONS = ("comment",)  # shown open at first sight: rendered with the page
# The URL conf routes exactly these (tickets/urls_pages.py).
TICKET_ACTIONS = tuple(ACTION_LABELS)


# Forms whose blank version is the same on every ticket for one side (their fields depend only
# on whether the member sees internal notes).
BLANK_FORMS = ("comment", "attach", "resolve", "reopen")
_blank_fields_cache: dict[tuple[str, bool], str] = {}


def _blank_fields(action: str, access: ProgrammeAccess, form) -> str:
    """The rendered fields of a blank form of BLANK_FORMS ("" for any other form or a bound one).

    Rendered once per process and side: the comment box's two widgets through Django's form
    templates were a quarter of the ticket page's rendering. Every time while DEBUG is on, so
    a template edit shows at once.
    """
    if action not in BLANK_FORMS or form.is_bound or form.initial:
        return ""
    key = (action, access.sees_internal)
    html = _blank_fields_cache.get(key)
    if html is None:
        html = render_to_string(
            "tickets/action.html#action-fields", {"a": ActionUI(action, "", "", form=form)}
        )
        if not settings.DEBUG:
            _blank_fields_cache[key] = html
    return html


def action_ui(action: str, ticket_url: str, form=None, access: ProgrammeAccess | None = None) -> ActionUI:
    """The panel of one action of the ticket at `ticket_url`, with its form when the page renders it."""
    title, button, help_text = ACTION_LABELS[action]
    return ActionUI(
        name=action,
        title=title,
        button=button,
        help=help_text,
        multipart=action == "attach",
        # The same paths as reverse("tickets:<action>") and reverse("tickets:action_form"),
        # built from the ticket's URL (tests/tickets/test_pages_lazy_actions.py checks them).
        url=f"{ticket_url}{action}/",
        form_url=f"{ticket_url}actions/{action}/",
        form=form,
        fields_html=_blank_fields(action, access, form) if form is not None and access else "",
    )


def allowed_actions(access: ProgrammeAccess, ticket: Ticket) -> set[str]:
    """What this member may do to this ticket; the services check every one again."""
    if access.is_read_only or not access.can_change_ticket(ticket):
        return set()
    is_reporter = ticket.reporter_id == access.user.pk
    is_open = ticket.status in OPEN_STATUSES
    done = ticket.status in (Status.RESOLVED, Status.CLOSED)
    actions = {"comment", "attach"}
    if access.can_work_queue:
        actions |= {"assign", "link", "edit"}
        if ticket.assignee_id is None:  # a colleague's ticket is reassigned, not taken
            actions.add("take")
        if forms.status_choices(ticket):
            actions.add("transition")
        if is_open:
            actions |= {"escalate", "severity"}
        if Status.RESOLVED in TRANSITIONS.get(ticket.status, ()):
            actions.add("resolve")
        if done:
            actions.add("reopen")
        if ticket.status != Status.CLOSED:
            actions.add("duplicate")
    elif is_reporter:
        actions |= {"link", "edit"}
        if done:
            actions.add("reopen")
        if is_open and ticket.tier == Tier.TIER1:
            actions.add("escalate")
    return actions


def action_form(action: str, access: ProgrammeAccess, ticket: Ticket, data=None, files=None):
    """The form of one action on this ticket, bound to `data` and `files` when they are given."""
    programme = access.programme
    if action == "take":
        return forms.TakeForm(data)
    if action == "assign":
        return forms.AssignForm(
            data,
            assignees=selectors.assignees(programme),
            initial={"assignee": ticket.assignee_id},
        )
    if action == "transition":
        return forms.TransitionForm(data, ticket=ticket)
    if action == "comment":
        return forms.CommentForm(data, sees_internal=access.sees_internal)
    if action == "escalate":
        form = forms.EscalateForm(data, ticket=ticket)
        if not access.can_work_queue and not form.is_bound:
            form.fields["to_tier"].choices = [(Tier.TIER2, Tier.TIER2.label)]
        return form
    if action == "resolve":
        # The desk confirming a Tier 3 proposal starts from its text.
        proposed = {"resolution": ticket.proposed_resolution} if ticket.proposed_resolution else None
        return forms.ResolveForm(data, initial=proposed)
    if action == "reopen":
        return forms.ReopenForm(data)
    if action == "severity":
        return forms.SeverityForm(data, initial={"severity": ticket.severity})
    if action == "link":
        return forms.LinkForm(data, programme=programme, initial={"known_issue": ticket.known_issue_id})
    if action == "duplicate":
        return forms.DuplicateForm(data)
    if action == "edit":
        return forms.EditForm(
            data,
            full=access.can_work_queue,
            initial={name: getattr(ticket, name) for name in services.EDITABLE_FIELDS},
        )
    if action == "attach":
        return forms.AttachForm(data, files, sees_internal=access.sees_internal)
    raise Http404("No such action.")


def run_action(action: str, access: ProgrammeAccess, ticket: Ticket, form) -> str:
    """Validate a bound action form and, when it is valid, run the action through its service.

    Returns what happened, in words; on refusal returns "" and the form carries why, on the
    field the service names where the form has one.
    """
    if not form.is_valid():
        return ""
    try:
        return _perform(action, access, ticket, form.cleaned_data)
    except ValidationError as error:
        apply_errors(form, forms.field_errors(error, ERROR_FIELDS))
    except TicketStateError as error:
        form.add_error(None, str(error))
    return ""


def _perform(action: str, access: ProgrammeAccess, ticket: Ticket, data: dict) -> str:
    """Run one action through its service; the message says what happened."""
    if action == "take":
        services.ticket_take(access=access, ticket=ticket)
        return f"You took {ticket.reference}."
    if action == "assign":
        assignee = None
        if data["assignee"]:
            assignee = next(
                (u for u in selectors.assignees(access.programme) if u.pk == data["assignee"]), None
            )
            if assignee is None:
                raise ValidationError({"assignee": "Choose someone from the support team."})
        services.ticket_assign(access=access, ticket=ticket, assignee=assignee)
        who = (assignee.get_full_name() or assignee.username) if assignee else "nobody"
        return f"{ticket.reference} is assigned to {who}."
    if action == "transition":
        if not data["status"]:
            raise ValidationError({"status": "Choose a status."})
        services.ticket_transition(
            access=access, ticket=ticket, status=data["status"], comment=data["comment"]
        )
        return f"{ticket.reference} is now {ticket.get_status_display().lower()}."
    if action == "comment":
        services.ticket_comment(
            access=access, ticket=ticket, body=data["body"], internal=bool(data.get("internal"))
        )
        return "Internal comment added." if data.get("internal") else "Comment added."
    if action == "escalate":
        services.ticket_escalate(
            access=access,
            ticket=ticket,
            to_tier=data["to_tier"],
            replication_steps=data["replication_steps"],
            note=data["note"],
        )
        return f"{ticket.reference} moved to Tier {ticket.tier}."
    if action == "resolve":
        services.ticket_resolve(access=access, ticket=ticket, resolution=data["resolution"])
        if ticket.status != Status.RESOLVED:
            who = (
                ticket.assignee.get_full_name() or ticket.assignee.username if ticket.assignee else "the desk"
            )
            return f"{ticket.reference} is back with {who} at Tier 2 to confirm the resolution with the reporter."
        return f"{ticket.reference} resolved at Tier {ticket.resolved_at_tier}; the reporter is notified."
    if action == "reopen":
        services.ticket_reopen(access=access, ticket=ticket, reason=data["reason"])
        return f"{ticket.reference} reopened."
    if action == "severity":
        services.ticket_change_severity(
            access=access, ticket=ticket, severity=data["severity"], reason=data["reason"]
        )
        return f"{ticket.reference} is now Sev{ticket.severity}."
    if action == "link":
        services.ticket_link(access=access, ticket=ticket, known_issue=data["known_issue"])
        return "Linked to the known issue." if data["known_issue"] else "Unlinked from the known issue."
    if action == "duplicate":
        if not access.can_work_queue:  # before looking the original up: a refusal, not a 400
            raise PermissionDenied("Only the support team marks a ticket as a duplicate.")
        original = selectors.ticket_by_reference(access, data["original"])
        if original is None:
            raise ValidationError({"original": f"No ticket {data['original']} in this programme."})
        services.ticket_mark_duplicate(access=access, ticket=ticket, original=original)
        return f"{ticket.reference} closed as a duplicate of {original.reference}; its reporter is told."
    if action == "edit":
        changes = {name: value for name, value in data.items() if name in services.EDITABLE_FIELDS}
        services.ticket_update(access=access, ticket=ticket, **changes)
        return "Ticket saved."
    if action == "attach":
        attachment = services.ticket_attach(
            access=access, ticket=ticket, upload=data["file"], internal=bool(data.get("internal"))
        )
        return f"{attachment.original_name} attached."
    raise Http404("No such action.")


ERROR_FIELDS = {
    "severity_reason": "reason",
    "to_tier": "to_tier",
    "body": "body",
    "file": "file",
    "original": "original",
}
