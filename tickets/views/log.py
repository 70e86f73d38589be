"""Log an issue: Tier 1's guided form and its live suggestions (category, severity and its
SLA targets, matching known issues and similar resolved tickets)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.roles import Role
from hypercare.views import apply_errors
from hypercare.vocabulary import Category, Clock, ImpactScope, Severity, Status, Workaround
from sla.classifier import suggest_category
from sla.matrix import ALWAYS_SEV4_CATEGORIES, severity_for
from sla.policy import policy_for, target_for
from tickets import forms, search, selectors, services
from tickets.models import KnownIssue, Ticket
from tickets.services import TriageAnswers
from tickets.views.common import render_page


def _duration(minutes: int | None, clock: str, business_day_minutes: int) -> str:
    """A target in words; whole business days of the programme's own calendar read as days."""
    if minutes is None:
        return "no fixed target"
    working = clock == Clock.BUSINESS
    day = business_day_minutes
    if minutes < 60:
        text = f"{minutes} minutes"
    elif working and day and minutes >= day and minutes % day == 0:
        days = minutes // day
        return f"{days} business day{'s' if days != 1 else ''}"
    elif minutes % 60 == 0:
        hours = minutes // 60
        text = f"{hours} hour{'s' if hours != 1 else ''}"
    else:
        text = f"{minutes // 60} h {minutes % 60} min"
    return f"{text}{' (working time)' if working else ', round the clock'}"


@dataclass
class Suggestion:
    category: str
    category_reason: str
    severity: int | None = None
    severity_reason: str = ""
    response: str = ""
    resolution: str = ""

    @property
    def category_label(self) -> str:
        return Category(self.category).label

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label if self.severity else ""


def _severity_words(scope: str, workaround: str, blocks: bool) -> str:
    who = {
        ImpactScope.INDIVIDUAL: "one person is affected",
        ImpactScope.SUBSET: "a team or group of users is affected",
        ImpactScope.DEPARTMENT: "a whole department is affected",
        ImpactScope.ORGANISATION: "the whole organisation is affected",
    }[scope]
    how = {
        Workaround.NONE: "there is no workaround",
        Workaround.PAINFUL: "the workaround is painful",
        Workaround.SIMPLE: "there is a simple workaround",
    }[workaround]
    vital = "a vital business process is blocked" if blocks else "no vital business process is blocked"
    return f"{who.capitalize()}, {how} and {vital}"


def report_text(data) -> str:
    """The words of a report that the suggestions read: the same for the live suggestion and for
    the ticket it files."""
    return f"{data.get('title') or ''} {data.get('details') or ''} {data.get('process') or ''}"


def similar_for(access: ProgrammeAccess, text: str) -> list[Ticket]:
    return search.similar_resolved_tickets(access, text) if search.words(text) else []


def category_for(data, similar: list[Ticket]) -> tuple[str, str]:
    """The category the reporter chose, else the one the classifier reads in the report: the form
    shows it and, left on "Not sure", the ticket is filed with exactly it."""
    chosen = data.get("category") or ""
    if chosen in Category.values:
        return chosen, "You chose it."
    return suggest_category(report_text(data), similar)


def suggest(access: ProgrammeAccess, data, similar: list[Ticket]) -> Suggestion:
    """What the triage matrix and the words say about a report, in plain words."""
    category, category_reason = category_for(data, similar)
    suggestion = Suggestion(category=category, category_reason=category_reason)
    scope, workaround, blocks = (
        data.get("impact_scope"),
        data.get("workaround"),
        data.get("blocks_vital_process"),
    )
    if scope in ImpactScope.values and workaround in Workaround.values and blocks in ("yes", "no"):
        vital = blocks == "yes"
        suggestion.severity = severity_for(
            access.programme,
            impact_scope=scope,
            workaround=workaround,
            blocks_vital_process=vital,
            category=category,
        )
        if category in ALWAYS_SEV4_CATEGORIES and not vital:
            suggestion.severity_reason = (
                f"{Category(category).label} tickets are Sev4: they go to the backlog triage."
            )
        else:
            suggestion.severity_reason = f"{_severity_words(scope, workaround, vital)}: the triage matrix gives Sev{suggestion.severity}."
        target = target_for(policy_for(access.programme, timezone.now()), suggestion.severity)
        if target is not None:
            day = int(access.programme.calendar.working_calendar.business_day.total_seconds() // 60)
            suggestion.response = _duration(target.response_minutes, target.clock, day)
            suggestion.resolution = _duration(target.resolution_minutes, target.clock, day)
    return suggestion


def _assist_context(access: ProgrammeAccess, data) -> dict:
    text = report_text(data)
    similar = similar_for(access, text)
    known = search.matching_known_issues(access.programme, text) if search.words(text) else []
    chosen_known = str(data.get("known_issue") or "")
    if chosen_known.isdigit() and all(str(issue.pk) != chosen_known for issue in known):
        # Keep the known issue the person picked on screen, even when more typing moves it out of the matches.
        picked = KnownIssue.objects.filter(programme=access.programme, pk=int(chosen_known)).first()
        if picked is not None:
            known.append(picked)
    return {
        "suggestion": suggest(access, data, similar),
        "similar": similar,
        "known_issues": known,
        "chosen_known_issue": chosen_known,
        "typed": bool(search.words(text)),
    }


def _can_resolve_myself(access: ProgrammeAccess) -> bool:
    return access.has_role(Role.CHAMPION)


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Log an issue: the guided Tier 1 form."""
    access = get_programme_for(request.user, slug)
    services.require_ticket_intake(access)  # a closed programme answers with the BAU service desk
    programme = access.programme
    membership = access.membership
    initial = {
        "business_unit": membership.business_unit if membership else "",
        "geography": membership.geography if membership else "",
    }
    preview = request.method == "POST" and "preview" in request.POST
    if preview:
        # "Check suggestions" without JavaScript: the answers so far, shown back without error messages.
        initial.update(request.POST.dict())
    bound = request.method == "POST" and not preview
    form = forms.LogIssueForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        programme=programme,
        can_resolve_myself=_can_resolve_myself(access),
        initial=initial,
    )
    data = request.POST if request.method == "POST" else {}
    if bound and form.is_valid():
        ticket = _log_issue(request, access, form)
        if ticket is not None:
            if ticket.status == Status.RESOLVED:
                messages.success(request, f"{ticket.reference} recorded as resolved by you. Thank you!")
            else:
                messages.success(
                    request,
                    f"{ticket.reference} logged. The hypercare desk will pick it up; you can follow it here.",
                )
            return redirect("tickets:detail", slug=programme.slug, reference=ticket.reference)
    context = {
        "access": access,
        "programme": programme,
        "form": form,
        "processes": selectors.process_suggestions(programme),
        **_assist_context(access, data),
    }
    return render_page(request, "tickets/new.html", context)


def _log_issue(request: HttpRequest, access: ProgrammeAccess, form) -> Ticket | None:
    data = form.cleaned_data
    # The category shown on the form: the same words, the same similar tickets, the same classifier.
    similar = similar_for(access, report_text(data)) if not data["category"] else []
    category, _ = category_for(data, similar)
    answers = TriageAnswers(
        impact_scope=data["impact_scope"],
        workaround=data["workaround"],
        blocks_vital_process=data["blocks_vital_process"] == "yes",
    )
    resolved = bool(data.get("resolved_myself"))
    try:
        # One transaction: a refused screenshot leaves no half-logged ticket behind.
        with transaction.atomic():
            ticket = services.ticket_create(
                access=access,
                title=data["title"],
                description=data["details"],
                business_unit=data["business_unit"].strip(),
                geography=data["geography"].strip(),
                process=data["process"],
                category=category,
                answers=answers,
                resolved_at_tier1=resolved,
                resolution=data.get("resolution", "") if resolved else "",
                known_issue=data["known_issue"],
            )
            for upload in data["attachments"]:
                services.ticket_attach(access=access, ticket=ticket, upload=upload)
    except ValidationError as error:
        apply_errors(form, forms.field_errors(error, {"description": "details", "file": "attachments"}))
        return None
    return ticket


@require_http_methods(["GET", "POST"])
@login_required
def ticket_assist(request: HttpRequest, slug: str) -> HttpResponse:
    """The live part of the guided form: suggested category and severity, matching known issues and tickets.

    The form asks by POST: details as long as the form accepts (a pasted stack trace) do not fit
    in a query string. It reads, never writes; GET still answers for short text."""
    access = get_programme_for(request.user, slug)
    if not access.can_report:
        raise PermissionDenied("Your role in this programme cannot log tickets.")
    if not request.htmx:
        # Without JavaScript the form itself shows all of this (its "Check" button).
        return redirect("tickets:new", slug=slug)
    context = {
        "access": access,
        "programme": access.programme,
        **_assist_context(access, request.POST if request.method == "POST" else request.GET),
    }
    return render_page(request, "tickets/new.html#assist", context)
