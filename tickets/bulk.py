"""Bulk actions on tickets selected in a queue: one action, one set of inputs, many tickets.

Each ticket goes through exactly the path of the single action (tickets.actions: its form, its
service, each in its own transaction), so every rule holds as it does one at a time; a refused
ticket is reported by reference and the others still change. The inputs shared by every ticket
(a severity's reason, a resolution note) are checked once, before any ticket changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms as django_forms
from django.core.exceptions import PermissionDenied, ValidationError

from hypercare.access import ProgrammeAccess
from hypercare.vocabulary import Severity, Status
from tickets import actions
from tickets.models import KnownIssue, KnownIssueStatus, Ticket

MAX_BULK_TICKETS = 200

# The bulk actions, by the name of the single action each runs, with the inputs it needs.
BULK_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "assign": ("Assign", ("assignee",)),
    "transition": ("Change status", ("status", "comment")),
    "severity": ("Override severity", ("severity", "reason")),
    "link": ("Link a known issue", ("known_issue",)),
    "resolve": ("Resolve", ("resolution",)),
}


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{self.reference}: {self.detail}"


class BulkForm(django_forms.Form):
    """The shared inputs of a bulk action; which are required depends on the action."""

    action = django_forms.ChoiceField(choices=[(name, label) for name, (label, _) in BULK_ACTIONS.items()])
    tickets = django_forms.CharField(required=False)  # references, validated in clean_tickets
    assignee = django_forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    status = django_forms.ChoiceField(choices=[("", "—"), *Status.choices], required=False)
    comment = django_forms.CharField(required=False)
    severity = django_forms.TypedChoiceField(
        coerce=int, empty_value=None, choices=[("", "—"), *Severity.choices], required=False
    )
    reason = django_forms.CharField(required=False)
    known_issue = django_forms.ModelChoiceField(queryset=KnownIssue.objects.none(), required=False)
    resolution = django_forms.CharField(required=False)

    def __init__(self, *args, access: ProgrammeAccess, assignees=(), references=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.references = references
        self.fields["assignee"].choices = [("", "Nobody")] + [
            (user.pk, user.get_full_name() or user.username) for user in assignees
        ]
        self.fields["known_issue"].queryset = KnownIssue.objects.filter(programme=access.programme).exclude(
            status=KnownIssueStatus.WONT_FIX
        )

    def clean(self):
        data = super().clean()
        refs = self.references
        if refs is None:
            refs = (data.get("tickets") or "").replace(",", " ").split()
        refs = list(dict.fromkeys(r.strip() for r in refs if r and r.strip()))
        if not refs:
            self.add_error("tickets", "Select at least one ticket.")
        elif len(refs) > MAX_BULK_TICKETS:
            self.add_error("tickets", f"Select at most {MAX_BULK_TICKETS} tickets at a time.")
        data["references"] = refs
        action = data.get("action")
        if action == "transition" and not data.get("status"):
            self.add_error("status", "Choose the status to move the tickets to.")
        if action == "severity":
            if data.get("severity") is None:
                self.add_error("severity", "Choose the severity.")
            if not (data.get("reason") or "").strip():
                self.add_error("reason", "A severity override needs one written reason.")
        if action == "resolve" and not (data.get("resolution") or "").strip():
            self.add_error("resolution", "Write the resolution note the reporters will read.")
        return data


def _single_action_data(action: str, data: dict) -> dict[str, str]:
    """The POST data of the single action, from the bulk inputs."""
    if action == "assign":
        return {"assignee": "" if data.get("assignee") is None else str(data["assignee"])}
    if action == "transition":
        return {"status": data["status"], "comment": data.get("comment") or ""}
    if action == "severity":
        return {"severity": str(data["severity"]), "reason": data["reason"]}
    if action == "link":
        issue = data.get("known_issue")
        return {"known_issue": str(issue.pk) if issue else ""}
    return {"resolution": data["resolution"]}


def _form_errors(form) -> str:
    texts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        texts.extend(f"{label}: {e}" if label and field != "__all__" else str(e) for e in errors)
    return " ".join(texts)


def tickets_bulk_apply(
    *, access: ProgrammeAccess, references: list[str], action: str, data: dict
) -> list[BulkOutcome]:
    """Run one action on each ticket named, in the order given; one outcome per reference.

    Only the support team may act in bulk, and only on tickets of this programme it may see;
    an unknown reference is reported like a refusal, never a 500. `data` is a BulkForm's
    cleaned data.
    """
    if not access.can_work_queue or access.is_read_only:
        raise PermissionDenied("Only the support team acts on tickets in bulk.")
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": f"Choose one of {', '.join(BULK_ACTIONS)}."})
    found = {
        t.reference: t
        for t in Ticket.objects.visible_to(access)
        .filter(reference__in=references)
        .select_related("programme", "assignee", "known_issue", "reporter")
    }
    post = _single_action_data(action, data)
    outcomes = []
    for reference in references:
        ticket = found.get(reference)
        if ticket is None:
            outcomes.append(BulkOutcome(reference, False, "no such ticket in this programme."))
            continue
        form = actions.action_form(action, access, ticket, data=post)
        try:
            done = actions.run_action(action, access, ticket, form)
        except PermissionDenied as error:
            outcomes.append(BulkOutcome(reference, False, str(error) or "not allowed for you."))
            continue
        if done:
            outcomes.append(BulkOutcome(reference, True, done))
        else:
            outcomes.append(BulkOutcome(reference, False, _form_errors(form) or "refused."))
    return outcomes
