"""The ticket pages: Tier 1's guided form, My tickets, the working queues, the ticket page,
the known-issues board and the in-app notifications inbox.

Every page resolves the programme through `get_programme_for` (404 for non-members) and its
tickets through `Ticket.objects.visible_to(access)`; every change goes through
tickets.services, which enforces the role rules again. One URL serves a full page or, for
an htmx request, a named partial of the same template; every htmx form is also a plain form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.compiled import CompiledQuery
from hypercare.models import BusinessCalendar, Holiday, Membership, Notification, NotificationChannel
from hypercare.pagination import FastPaginator
from hypercare.roles import QUEUE_WORKERS, Role
from hypercare.views import apply_errors
from hypercare.vocabulary import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Category,
    EventKind,
    ImpactScope,
    Severity,
    Status,
    Tier,
    Workaround,
)
from tickets import forms, rows, search, services
from tickets.models import TRANSITIONS, Attachment, Comment, KnownIssue, KnownIssueStatus, Ticket, TicketEvent
from tickets.rows import CHOICE_LABELS
from tickets.services import TicketStateError, TriageAnswers
from triage.explain import explain
from triage.matrix import ALWAYS_SEV4_CATEGORIES, severity_for
from triage.models import SlaTarget

User = get_user_model()
QUEUE_PAGE_SIZE = 25
LIST_PAGE_SIZE = 25


# --- helpers -------------------------------------------------------------------------------


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render in the programme's time zone, so every time on the page is the business's local time."""
    programme = context["programme"]
    with timezone.override(programme.timezone):
        return render(request, template, context, status=status)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _ticket_or_404(access: ProgrammeAccess, reference: str) -> Ticket:
    # The SLA panel's policy and calendar (with its holidays) come with the ticket.
    target = SlaTarget.objects.filter(policy=OuterRef("sla_policy_id"), severity=OuterRef("severity"))
    tickets = (
        Ticket.objects.visible_to(access)
        .for_list()
        .select_related("sla_policy", "programme__calendar")
        .prefetch_related("programme__calendar__holidays")
        .annotate(
            has_attachments=Exists(Attachment.objects.filter(ticket=OuterRef("pk"))),
            sla_target_values=Subquery(
                target.values(
                    values=JSONObject(
                        response_minutes="response_minutes",
                        resolution_minutes="resolution_minutes",
                        clock="clock",
                        at_risk_percent="at_risk_percent",
                    )
                )[:1],
                output_field=JSONField(),
            ),
        )
    )
    ticket = get_object_or_404(tickets, reference=reference)
    if isinstance(ticket.sla_target_values, str):  # SQLite hands the JSON back as text
        ticket.sla_target_values = json.loads(ticket.sla_target_values)
    return ticket


class Assignees(list):
    """The people tickets can be assigned to, with their <option>s rendered once per page.

    A queue page repeats the assignee menu on every row: rendering the options through the
    template engine for each row was half of the page's rendering time.
    """

    @cached_property
    def options_html(self) -> str:
        return format_html_join(
            "", '<option value="{}">{}</option>', ((u.pk, u.get_full_name() or u.username) for u in self)
        )


def _assignees(programme) -> Assignees:
    """People tickets can be assigned to (one query)."""
    memberships = (
        Membership.objects.active()
        .filter(programme=programme)
        .filter(
            Q(roles__contains=f",{Role.DESK},")
            | Q(roles__contains=f",{Role.ENGINEER},")
            | Q(roles__contains=f",{Role.LEAD},")
            | Q(roles__contains=f",{Role.BAU},")
        )
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    return Assignees(m.user for m in memberships if set(m.roles) & QUEUE_WORKERS)


def _process_suggestions(programme) -> list[str]:
    """Earlier tickets' process values, most used first: the datalist of the process field.

    Counted over the latest 500 tickets (index ticket_programme_latest): the same list in
    practice, at a fixed cost where grouping every ticket of the programme took about 40 ms
    at 100,000 tickets and grew with them (2,000 rows still read 17 ms of cold pages at 1M).
    """
    recent = Ticket.objects.filter(programme=programme).order_by("-reported_at").values("pk")[:500]
    return list(
        Ticket.objects.filter(pk__in=Subquery(recent))
        .exclude(process="")
        .values("process")
        .annotate(n=Count("id"))
        .order_by("-n", "process")
        .values_list("process", flat=True)[:60]
    )


def _field_errors(error: ValidationError, rename: dict[str, str]) -> ValidationError:
    """A service's error with its field names mapped onto the form's."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({rename.get(field, field): errors for field, errors in error.error_dict.items()})


def _duration(minutes: int | None, clock: str) -> str:
    if minutes is None:
        return "no fixed target"
    working = clock == "business"
    if minutes < 60:
        text = f"{minutes} minutes"
    elif minutes % (60 * 8) == 0 and working and minutes >= 60 * 8:
        days = minutes // (60 * 8)
        return f"{days} business day{'s' if days != 1 else ''}"
    elif minutes % 60 == 0:
        hours = minutes // 60
        text = f"{hours} hour{'s' if hours != 1 else ''}"
    else:
        text = f"{minutes // 60} h {minutes % 60} min"
    return f"{text}{' (working time)' if working else ', round the clock'}"


# --- Tier 1: the guided form ----------------------------------------------------------------

# (category, phrases, why): a phrase ending in * matches any word starting with it.
CATEGORY_HINTS: list[tuple[str, tuple[str, ...], str]] = [
    (
        Category.HOW_TO,
        (
            "how do i",
            "how to",
            "how can i",
            "how do we",
            "where do i",
            "where is",
            "where can i",
            "where are",
            "training",
            "not sure how",
            "what is the way",
            "is there a way",
            "can't find",
            "cannot find",
            "can not find",
            "explain*",
        ),
        "it reads like a question about how to do something: often a training gap rather than a defect",
    ),
    (
        Category.ACCESS,
        (
            "access",
            "permission*",
            "log in",
            "login",
            "password",
            "locked out",
            "not authori*",
            "insufficient privileges",
            "can't see",
            "cannot see",
            "licen*",
            "profile",
        ),
        "it mentions access, logging in or permissions",
    ),
    (
        Category.PERFORMANCE,
        ("slow*", "timeout", "timed out", "takes ages", "takes minutes", "spinning", "hangs", "performance"),
        "it mentions slowness",
    ),
    (
        Category.INTEGRATION,
        (
            "integration",
            "interface",
            "sync*",
            "not flowing",
            "sap",
            "erp",
            "api",
            "middleware",
            "feed",
            "not arriving",
            "didn't arrive",
            "mulesoft",
        ),
        "it mentions another system or an interface between systems",
    ),
    (
        Category.DATA,
        (
            "wrong data",
            "migrat*",
            "missing record*",
            "duplicate*",
            "incorrect value",
            "wrong address",
            "wrong owner",
            "data",
            "records are missing",
        ),
        "it mentions wrong, missing or migrated data",
    ),
    (
        Category.ENHANCEMENT,
        (
            "would be nice",
            "could we",
            "can we have",
            "feature",
            "enhancement",
            "it would help",
            "wish",
            "add a field",
            "new report",
            "suggestion",
        ),
        "it asks for something new rather than reporting a fault",
    ),
    (
        Category.CONFIGURATION,
        (
            "picklist",
            "page layout",
            "layout",
            "validation rule",
            "field is missing",
            "workflow",
            "approval process",
            "setting*",
            "configur*",
        ),
        "it mentions how the system is set up",
    ),
    (
        Category.DEFECT,
        (
            "error*",
            "fails",
            "failed",
            "failing",
            "broken",
            "bug",
            "crash*",
            "exception",
            "doesn't work",
            "does not work",
            "not working",
            "blank page",
            "won't save",
            "wrong",
            "shows the wrong",
            "incorrect*",
            "cannot save",
            "can't save",
        ),
        "it describes something failing",
    ),
]
_HINT_PATTERNS = [
    (
        category,
        [
            re.compile(r"\b" + re.escape(p[:-1]) if p.endswith("*") else r"\b" + re.escape(p) + r"\b")
            for p in phrases
        ],
        why,
    )
    for category, phrases, why in CATEGORY_HINTS
]


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


def suggest_category(text: str, similar: list[Ticket]) -> tuple[str, str]:
    """A category for the words of a report: keyword hints first, then what similar tickets turned out to be."""
    lowered = (text or "").lower()
    best, best_hits, best_why = None, 0, ""
    for category, patterns, why in _HINT_PATTERNS:
        hits = sum(1 for pattern in patterns if pattern.search(lowered))
        if hits > best_hits:
            best, best_hits, best_why = category, hits, why
    if best is not None:
        return best, f"Suggested because {best_why}."
    if similar:
        return similar[0].category, (
            f"Suggested because the most similar resolved ticket, {similar[0].reference}, was "
            f"{Category(similar[0].category).label.lower()}."
        )
    return Category.DEFECT, "No clue in the words yet: the desk will confirm the category."


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


def suggest(access: ProgrammeAccess, data, similar: list[Ticket]) -> Suggestion:
    """What the triage matrix and the words say about a report, in plain words."""
    text = f"{data.get('title', '')} {data.get('details', '')} {data.get('process', '')}"
    chosen = data.get("category") or ""
    if chosen in Category.values:
        category, category_reason = chosen, "You chose it."
    else:
        category, category_reason = suggest_category(text, similar)
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
        if category in ALWAYS_SEV4_CATEGORIES:
            suggestion.severity_reason = (
                f"{Category(category).label} tickets are always Sev4: they go to the backlog triage."
            )
        else:
            suggestion.severity_reason = f"{_severity_words(scope, workaround, vital)}: the triage matrix gives Sev{suggestion.severity}."
        from triage.services import policy_for, target_for

        target = target_for(policy_for(access.programme, timezone.now()), suggestion.severity)
        if target is not None:
            suggestion.response = _duration(target.response_minutes, target.clock)
            suggestion.resolution = _duration(target.resolution_minutes, target.clock)
    return suggestion


def _assist_context(access: ProgrammeAccess, data) -> dict:
    text = f"{data.get('title', '')} {data.get('details', '')} {data.get('process', '')}"
    similar = search.similar_resolved_tickets(access, text) if search.words(text) else []
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
        "processes": _process_suggestions(programme),
        **_assist_context(access, data),
    }
    return _render(request, "tickets/new.html", context)


def _log_issue(request: HttpRequest, access: ProgrammeAccess, form) -> Ticket | None:
    data = form.cleaned_data
    similar = search.similar_resolved_tickets(access, data["title"]) if not data["category"] else []
    category = data["category"] or suggest_category(f"{data['title']} {data['details']}", similar)[0]
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
        apply_errors(form, _field_errors(error, {"description": "details", "file": "attachments"}))
        return None
    return ticket


@require_GET
@login_required
def ticket_assist(request: HttpRequest, slug: str) -> HttpResponse:
    """The live part of the guided form: suggested category and severity, matching known issues and tickets."""
    access = get_programme_for(request.user, slug)
    if not access.can_report:
        raise PermissionDenied("Your role in this programme cannot log tickets.")
    if not request.htmx:
        # Without JavaScript the form itself shows all of this (its "Check" button).
        return redirect("tickets:new", slug=slug)
    context = {"access": access, "programme": access.programme, **_assist_context(access, request.GET)}
    return _render(request, "tickets/new.html#assist", context)


# --- My tickets -----------------------------------------------------------------------------


def _latest_public_comment():
    return Subquery(
        Comment.objects.filter(ticket=OuterRef("pk"), internal=False)
        .order_by("-created_at", "-pk")
        .values("body")[:1]
    )


@require_GET
@login_required
@vary_on_headers("HX-Request")
def my_tickets(request: HttpRequest, slug: str) -> HttpResponse:
    """The tickets I logged, and (for champions) those of my business unit: status and public replies."""
    access = get_programme_for(request.user, slug)
    programme = access.programme
    mine = Q(reporter=request.user)
    unit = access.membership.business_unit if access.membership else ""
    if unit and access.has_role(Role.CHAMPION):
        mine |= Q(business_unit=unit)
    show = request.GET.get("show", "open")
    tickets = Ticket.objects.visible_to(access).filter(mine)
    if show == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif show == "done":
        tickets = tickets.filter(status__in=DONE_STATUSES)
    else:
        show = "all"
    tickets = tickets.for_list().order_by("-reported_at", "-pk")
    # The reply counts and latest replies only for the page's rows: annotating the whole list
    # grouped every matching ticket with its comments (730 ms for a champion at 1M tickets).
    page = FastPaginator(
        tickets,
        LIST_PAGE_SIZE,
        count_limit=1_000,  # a champion's list: "1,000+" is as useful as the exact figure
        rows=lambda page_rows: page_rows.annotate(
            public_comments=Count("comments", filter=Q(comments__internal=False)),
            latest_reply=_latest_public_comment(),
        ),
    ).get_page(request.GET.get("page"))
    context = {
        "access": access,
        "programme": programme,
        "page": page,
        "show": show,
        "unit": unit if access.has_role(Role.CHAMPION) else "",
    }
    return _render(request, "tickets/my_tickets.html" + ("#list" if request.htmx else ""), context)


# --- Queues ---------------------------------------------------------------------------------


def _default_view(access: ProgrammeAccess) -> str:
    if access.has_role(Role.ENGINEER) and not access.has_role(Role.DESK, Role.LEAD):
        return "tier3"
    if access.has_role(Role.DESK):
        return "tier2"
    if access.has_role(Role.BAU) and not access.has_role(Role.LEAD):
        return "team"
    return "all"


def _queue_tickets(access: ProgrammeAccess, filters: forms.QueueFilterForm, view: str):
    tickets = Ticket.objects.visible_to(access)
    user = access.user
    if view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif view == "mine":
        tickets = tickets.filter(assignee=user)
    elif view == "team":
        team = access.membership.team if access.membership else ""
        tickets = tickets.filter(team=team)
    elif view == "tier2":
        tickets = tickets.filter(tier=Tier.TIER2)
    elif view == "tier3":
        tickets = tickets.filter(tier=Tier.TIER3)
    status = filters.value("status", "open")
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status == "done":
        tickets = tickets.filter(status__in=DONE_STATUSES)
    elif status in Status.values:
        tickets = tickets.filter(status=status)
    if severity := filters.value("severity"):
        tickets = tickets.filter(severity=severity)
    if category := filters.value("category"):
        tickets = tickets.filter(category=category)
    if unit := filters.value("business_unit"):
        tickets = tickets.filter(business_unit=unit)
    if known := filters.value("known_issue"):
        tickets = tickets.filter(known_issue_id=known)
    tickets = search.filter_tickets(tickets, filters.value("q", ""))
    sort = filters.value("sort", "severity")
    return tickets.for_list().order_by(*forms.SORTS[sort]), sort


def _queue_context(request: HttpRequest, access: ProgrammeAccess) -> dict:
    programme = access.programme
    units = _business_units(programme)
    filters = forms.QueueFilterForm(request.GET, business_units=units)
    view = filters.value("view") or _default_view(access)
    tickets, sort = _queue_tickets(access, filters, view)
    # The first pages in one query off the queue's index; deep ones by the deferred join.
    page = FastPaginator(tickets, QUEUE_PAGE_SIZE, rows=rows.load_rows, direct_depth=500).get_page(
        request.GET.get("page")
    )
    return {
        "access": access,
        "programme": programme,
        "filters": filters,
        "view": view,
        "views": forms.QUEUE_VIEWS,
        "sort": sort,
        "page": page,
        "queue_url": request.get_full_path(),
        "export_url": _export_url(programme, request),
    }


def _business_units(programme) -> list[str]:
    """The business units the programme's tickets name, in order (the queue's filter choices).

    A loose index scan: one index descent per distinct unit on ticket_programme_unit, where
    SELECT DISTINCT read every ticket of the programme (about 1 s at a million tickets).
    """
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE units(unit) AS (
                SELECT MIN(business_unit) FROM {table} WHERE programme_id = %(p)s AND business_unit > ''
                UNION ALL
                SELECT (SELECT MIN(business_unit) FROM {table} WHERE programme_id = %(p)s AND business_unit > unit)
                FROM units WHERE unit IS NOT NULL
            )
            SELECT unit FROM units WHERE unit IS NOT NULL
            """,
            {"p": programme.pk},
        )
        return [unit for (unit,) in cursor.fetchall()]


def _export_url(programme, request: HttpRequest) -> str:
    """The CSV export of exactly what the queue shows (every filter, no page)."""
    query = request.GET.copy()
    query.pop("page", None)
    url = reverse("tickets:export", args=[programme.slug])
    return f"{url}?{query.urlencode()}" if query else url


@require_GET
@login_required
@vary_on_headers("HX-Request")
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """The working queues of the desk and engineers: views, filters, sorting, pages, quick actions."""
    access = get_programme_for(request.user, slug)
    if not access.sees_all_tickets:
        raise PermissionDenied("The queues are for the support team; your tickets are under My tickets.")
    context = _queue_context(request, access)
    return _render(request, "tickets/queue.html" + ("#results" if request.htmx else ""), context)


@require_GET
@login_required
def row_actions(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """A queue row's "More" menu (assign, change status, comment), loaded when the menu opens."""
    access = get_programme_for(request.user, slug)
    if not access.can_work_queue:
        raise PermissionDenied("Only the support team acts on tickets from the queue.")
    ticket = _ticket_or_404(access, reference)
    context = {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "assignees": _assignees(access.programme),
        "queue_url": _safe_next(request, reverse("tickets:queue", args=[slug])),
    }
    return _render(request, "tickets/queue.html#row-menu", context)


# --- The ticket page and its actions --------------------------------------------------------


def _allowed_actions(access: ProgrammeAccess, ticket: Ticket) -> set[str]:
    """What this member may do to this ticket; the services check every one again."""
    if access.is_read_only or not access.can_change_ticket(ticket):
        return set()
    is_reporter = ticket.reporter_id == access.user.pk
    is_open = ticket.status in OPEN_STATUSES
    done = ticket.status in (Status.RESOLVED, Status.CLOSED)
    actions = {"comment", "attach"}
    if access.can_work_queue:
        actions |= {"assign", "link", "edit"}
        if ticket.assignee_id != access.user.pk:
            actions.add("take")
        if forms.status_choices(ticket):
            actions.add("transition")
        if is_open:
            actions |= {"escalate", "severity"}
        if Status.RESOLVED in TRANSITIONS.get(ticket.status, ()):
            actions.add("resolve")
        if done:
            actions.add("reopen")
    elif is_reporter:
        actions |= {"link", "edit"}
        if done:
            actions.add("reopen")
        if is_open and ticket.tier == Tier.TIER1:
            actions.add("escalate")
    return actions


def _action_form(action: str, access: ProgrammeAccess, ticket: Ticket, data=None, files=None):
    programme = access.programme
    if action == "take":
        return forms.TakeForm(data)
    if action == "assign":
        return forms.AssignForm(
            data,
            assignees=_assignees(programme),
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
        return forms.ResolveForm(data)
    if action == "reopen":
        return forms.ReopenForm(data)
    if action == "severity":
        return forms.SeverityForm(data, initial={"severity": ticket.severity})
    if action == "link":
        return forms.LinkForm(data, programme=programme, initial={"known_issue": ticket.known_issue_id})
    if action == "edit":
        return forms.EditForm(
            data,
            full=access.can_work_queue,
            initial={name: getattr(ticket, name) for name in services.EDITABLE_FIELDS},
        )
    if action == "attach":
        return forms.AttachForm(data, files, sees_internal=access.sees_internal)
    raise Http404("No such action.")


def _perform(action: str, access: ProgrammeAccess, ticket: Ticket, data: dict) -> str:
    """Run one action through its service; the message says what happened."""
    if action == "take":
        services.ticket_take(access=access, ticket=ticket)
        return f"You took {ticket.reference}."
    if action == "assign":
        assignee = None
        if data["assignee"]:
            assignee = next((u for u in _assignees(access.programme) if u.pk == data["assignee"]), None)
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
        tier = ticket.tier
        services.ticket_resolve(access=access, ticket=ticket, resolution=data["resolution"])
        return f"{ticket.reference} resolved at Tier {tier}; the reporter is notified."
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


ERROR_FIELDS = {"severity_reason": "reason", "to_tier": "to_tier", "body": "body", "file": "file"}


def _event_summary(event: TicketEvent) -> str:
    """One line of the timeline, in words (an assignment names the person when the query did)."""

    def status(value: str) -> str:
        return Status(value).label.lower() if value in Status.values else value

    kind = event.kind
    if kind == EventKind.CREATED:
        return "logged the ticket"
    if kind in (EventKind.STATUS, EventKind.CLOSED):
        return f"moved it from {status(event.from_value)} to {status(event.to_value)}"
    if kind == EventKind.SEVERITY:
        return f"changed the severity from Sev{event.from_value} to Sev{event.to_value}"
    if kind == EventKind.ESCALATED:
        return f"escalated it from Tier {event.from_value} to Tier {event.to_value}"
    if kind == EventKind.TIER:
        return f"moved it from Tier {event.from_value} to Tier {event.to_value}"
    if kind == EventKind.ASSIGNED:
        if not event.to_value:
            return "unassigned it"
        return f"assigned it to {getattr(event, 'assignee_name', None) or event.to_value}"
    if kind == EventKind.CATEGORY:
        labels = dict(Category.choices)
        return (
            f"changed the category from {labels.get(event.from_value, event.from_value)} "
            f"to {labels.get(event.to_value, event.to_value)}"
        )
    if kind == EventKind.ATTACHMENT:
        return f"attached {event.to_value}"
    if kind == EventKind.RESOLVED:
        tier = event.data.get("tier") if isinstance(event.data, dict) else None
        return f"resolved it at Tier {tier}" if tier else "resolved it"
    if kind == EventKind.REOPENED:
        return "reopened it"
    if kind == EventKind.LINKED:
        return (
            f"linked it to the known issue “{event.to_value}”"
            if event.to_value
            else "unlinked the known issue"
        )
    if kind == EventKind.EDITED:
        field = (event.data or {}).get("field", event.from_value)
        return f"edited the {str(field).replace('_', ' ')}"
    return event.get_kind_display().lower()


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
# main column); `take` is a single button. Each posts to tickets:<name> (urls_pages.TICKET_ACTIONS).
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
    "edit": ("Edit", "Save", ""),
}
SIDE_ACTIONS = ("transition", "resolve", "escalate", "reopen", "assign", "severity", "link", "edit")
EAGER_ACTIONS = ("comment",)  # shown open at first sight: rendered with the page


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
    if action not in BLANK_FORMS or form.is_bound:
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


def _action_ui(action: str, ticket_url: str, form=None, access: ProgrammeAccess | None = None) -> ActionUI:
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


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _timeline_events(ticket: Ticket) -> list[TicketEvent]:
    """Every event of the ticket with its actor and, for an assignment, the assignee's name: one query.

    Assignment events store a username; the name is read from the user it names (empty when
    that user is gone: the timeline then shows the username). Written as SQL because the
    equivalent Case/Subquery expression cost more to build than the query took to run.
    """
    return _events_of(ticket_id=ticket.pk)


def _events_query(ticket_id: int):
    users, events = _table(User), _table(TicketEvent)
    assignee_name = RawSQL(
        f"SELECT TRIM(u.first_name || ' ' || u.last_name) FROM {users} u "
        f"WHERE u.username = {events}.to_value AND {events}.kind = %s",
        (EventKind.ASSIGNED.value,),
        output_field=CharField(),
    )
    return (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .select_related("actor")
        .annotate(assignee_name=assignee_name)
        .order_by("at", "pk")
    )


def _comments_query(ticket_id: int, internal: bool):
    author = RawSQL(_name_sql(_table(User), f"{_table(Comment)}.author_id"), (), output_field=CharField())
    comments = Comment.objects.filter(ticket_id=ticket_id).annotate(author_name=author)
    return comments if internal else comments.filter(internal=False)


# The ticket page's queries, compiled once per process (hypercare.compiled).
_events_of = CompiledQuery(_events_query, ticket_id=int)
_comments_of = {
    internal: CompiledQuery(
        lambda ticket_id, internal=internal: _comments_query(ticket_id, internal), ticket_id=int
    )
    for internal in (True, False)
}


def _name_sql(users: str, user_id: str) -> str:
    """A user's name as the pages show it (get_full_name, else the username), as a scalar subquery."""
    return (
        f"SELECT COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username) "
        f"FROM {users} u WHERE u.id = {user_id}"
    )


def _holidays_sql(tickets: str) -> str | None:
    """The holidays of the ticket's programme calendar as JSON text, [[id, "date", "name"], …]."""
    rows = (
        f"FROM {_table(Holiday)} h JOIN {_table(BusinessCalendar)} c ON c.id = h.calendar_id "
        f"WHERE c.programme_id = {tickets}.programme_id"
    )
    if connection.vendor == "postgresql":
        return f"SELECT COALESCE(json_agg(json_build_array(h.id, h.date, h.name)), '[]')::text {rows}"
    if connection.vendor == "sqlite":
        return f"SELECT json_group_array(json_array(h.id, h.date, h.name)) {rows}"
    return None


def _prefetched_holidays(calendar: BusinessCalendar, rows: str | None) -> None:
    """Give the calendar its holidays as prefetch_related("holidays") would (the SLA panel reads them so)."""
    holidays = sorted(
        (
            Holiday(id=pk, calendar=calendar, date=date.fromisoformat(day), name=name)
            for pk, day, name in json.loads(rows or "[]")
        ),
        key=lambda holiday: (holiday.date, holiday.pk),
    )
    queryset = calendar.holidays.all()
    queryset._result_cache = holidays
    queryset._prefetch_done = True
    calendar._prefetched_objects_cache = {"holidays": queryset}


def _detail_ticket(access: ProgrammeAccess, reference: str) -> Ticket:
    """The ticket of the ticket page, with what _ticket_or_404 gives it, in one query cheap to plan.

    The SLA panel's policy, calendar and holidays come as objects, and so do the target's
    figures and whether the ticket has attachments; the people and the known issue the page
    names come as names (`assignee_name`, `reporter_name`, `resolved_by_name`,
    `known_issue_title`), not as joined rows. Seven joins took PostgreSQL 1-2 ms to plan,
    longer than running the query; scalar subqueries on primary keys plan in microseconds,
    and as SQL they cost nothing to build in Python. The calendar's holidays come in the same
    query, as JSON (a second query and Django's prefetch machinery cost about 1 ms).
    """
    if access.sees_all_tickets:
        found = _detail_rows(programme_id=access.programme.pk, reference=reference)
    else:
        found = list(_detail_query(Ticket.objects.visible_to(access)).filter(reference=reference))
    if not found:
        raise Http404("No such ticket.")
    ticket = found[0]
    calendar = getattr(ticket.programme, "calendar", None)
    if calendar is not None and hasattr(ticket, "calendar_holidays"):
        _prefetched_holidays(calendar, ticket.calendar_holidays)
    # No target row: None, and the SLA panel says so (as with _ticket_or_404's JSON).
    ticket.sla_target_values = (
        {
            "response_minutes": ticket.sla_target_response_minutes,
            "resolution_minutes": ticket.sla_target_resolution_minutes,
            "clock": ticket.sla_target_clock,
            "at_risk_percent": ticket.sla_target_at_risk_percent,
        }
        if ticket.sla_target_clock is not None
        else None
    )
    return ticket


def _detail_query(visible):
    """_detail_ticket's columns on a queryset of tickets the member may see."""
    tickets, users = _table(Ticket), _table(User)
    target = (
        f"FROM {_table(SlaTarget)} t "
        f"WHERE t.policy_id = {tickets}.sla_policy_id AND t.severity = {tickets}.severity"
    )
    text, number = CharField(), IntegerField()
    columns = {
        "has_attachments": (
            f"EXISTS (SELECT 1 FROM {_table(Attachment)} a WHERE a.ticket_id = {tickets}.id)",
            BooleanField(),
        ),
        "sla_target_response_minutes": (f"SELECT t.response_minutes {target}", number),
        "sla_target_resolution_minutes": (f"SELECT t.resolution_minutes {target}", number),
        "sla_target_clock": (f"SELECT t.clock {target}", text),
        "sla_target_at_risk_percent": (f"SELECT t.at_risk_percent {target}", number),
        "assignee_name": (_name_sql(users, f"{tickets}.assignee_id"), text),
        "reporter_name": (_name_sql(users, f"{tickets}.reporter_id"), text),
        "resolved_by_name": (_name_sql(users, f"{tickets}.resolved_by_id"), text),
        "known_issue_title": (
            f"SELECT k.title FROM {_table(KnownIssue)} k WHERE k.id = {tickets}.known_issue_id",
            text,
        ),
    }
    holidays = _holidays_sql(tickets)
    queryset = visible.select_related("programme__calendar", "sla_policy")
    if holidays is None:
        queryset = queryset.prefetch_related("programme__calendar__holidays")
    else:
        columns["calendar_holidays"] = (holidays, text)
    return queryset.annotate(
        **{name: RawSQL(sql, (), output_field=field) for name, (sql, field) in columns.items()}
    )


# Members who see every ticket of the programme (the desk, engineers, leads): compiled once.
_detail_rows = CompiledQuery(
    lambda programme_id, reference: _detail_query(
        Ticket.objects.filter(programme_id=programme_id, reference=reference)
    ),
    programme_id=int,
    reference=str,
)


def _names(ticket: Ticket) -> dict[str, str]:
    """The names the ticket page shows: from _detail_ticket's columns, else from the joined rows
    (a ticket from _ticket_or_404, re-rendered after an action)."""
    if hasattr(ticket, "reporter_name"):
        return {
            "assignee_name": ticket.assignee_name or "",
            "reporter_name": ticket.reporter_name or "",
            "resolved_by_name": ticket.resolved_by_name or "",
            "known_issue_title": ticket.known_issue_title or "",
        }
    return {
        "assignee_name": _person(ticket.assignee),
        "reporter_name": _person(ticket.reporter),
        "resolved_by_name": _person(ticket.resolved_by),
        "known_issue_title": ticket.known_issue.title if ticket.known_issue_id else "",
    }


def _labels(ticket: Ticket) -> dict[str, str]:
    """The labels of the ticket's choices the page shows (the value itself when it has none)."""
    return {
        name: labels.get(getattr(ticket, name), getattr(ticket, name))
        for name, labels in CHOICE_LABELS.items()
    }


def _when(moment, zone) -> tuple[str, str]:
    """A moment as the timeline shows it, in the programme's time zone: the same as the filters
    `date:"c"` and `date:"D j M H:i"` under _render's time zone."""
    local = timezone.localtime(moment, zone)
    return local.isoformat(), dateformat.format(local, "D j M H:i")


def _person(user) -> str:
    if user is None:
        return ""
    return f"{user.first_name} {user.last_name}".strip() or user.username


def _detail_context(
    access: ProgrammeAccess, ticket: Ticket, *, bound: tuple[str, object] | None = None, done: str = ""
) -> dict:
    """The ticket page: what happened, the conversation, the timeline, the SLA panel and the actions.

    Only the forms shown at first sight are built (the comment box, and a form that came back
    with errors); every other action's form is fetched from tickets:action_form when its panel
    is opened, or followed as a link without JavaScript.
    """
    internal = access.sees_internal
    # Every event once: the SLA panel computes the clocks from all of them, the timeline shows some.
    all_events = _timeline_events(ticket)
    comments = _comments_of[internal](ticket_id=ticket.pk)
    attachments = Attachment.objects.filter(ticket=ticket).select_related("uploaded_by")
    hidden = {EventKind.COMMENT}
    if not internal:
        # Champions never see internal comments, Tier 3 working notes, or the SLA machinery.
        hidden |= {EventKind.SLA, EventKind.BREACH}
        attachments = attachments.filter(internal=False)
    sla_explained = explain(ticket, events=all_events)
    events = [e for e in all_events if e.kind not in hidden and (internal or not e.internal)]
    # Each line's words and times once, here, rather than through per-line filters.
    zone = ZoneInfo(access.programme.timezone)
    for event in events:
        event.summary = _event_summary(event)
        event.who = _person(event.actor) or "System"
        event.when_iso, event.when = _when(event.at, zone)
    for comment in comments:
        comment.who = comment.author_name
        comment.when = _when(comment.created_at, zone)[1]
    actions = _allowed_actions(access, ticket)
    ticket_url = reverse("tickets:detail", args=[access.programme.slug, ticket.reference])
    bound_action, bound_form = bound if bound is not None else (None, None)

    def ui(action: str) -> ActionUI:
        if action == bound_action:
            return _action_ui(action, ticket_url, bound_form)
        if action in EAGER_ACTIONS:
            return _action_ui(action, ticket_url, _action_form(action, access, ticket), access)
        return _action_ui(action, ticket_url)

    return {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "ticket_url": ticket_url,
        "events": events,
        "sla_explained": sla_explained,
        "comments": comments,
        # Most tickets have none: the ticket query said whether to look.
        "attachments": list(attachments) if getattr(ticket, "has_attachments", True) else [],
        "actions": actions,
        "comment_action": ui("comment") if "comment" in actions else None,
        "attach_action": ui("attach") if "attach" in actions else None,
        "take_action": ui("take") if "take" in actions else None,
        "side_actions": [ui(action) for action in SIDE_ACTIONS if action in actions],
        "done": done,
        "is_reporter": ticket.reporter_id == access.user.pk,
        # The edit form's process suggestions, only when that form is on the page.
        "processes": _process_suggestions(access.programme) if bound_action == "edit" else [],
        "severity_overridden": ticket.computed_severity is not None
        and ticket.computed_severity != ticket.severity,
        **_names(ticket),
        "labels": _labels(ticket),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def ticket_detail(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    ticket = _detail_ticket(access, reference)
    context = _detail_context(access, ticket)
    return _render(request, "tickets/detail.html" + ("#ticket-body" if request.htmx else ""), context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def ticket_action_form(request: HttpRequest, slug: str, reference: str, action: str) -> HttpResponse:
    """One action's form: the htmx partial a ticket page panel loads when opened, or (without
    JavaScript) a page with just that form, which posts to the same endpoint as the panel."""
    if action not in ACTION_LABELS:
        raise Http404("No such action.")
    access = get_programme_for(request.user, slug)
    # The forms need the ticket's own fields only: no joins to plan.
    ticket = get_object_or_404(Ticket.objects.visible_to(access), reference=reference)
    ticket.programme = access.programme
    if action not in _allowed_actions(access, ticket):
        raise PermissionDenied("This action is not open to you on this ticket now.")
    ticket_url = reverse("tickets:detail", args=[slug, ticket.reference])
    context = {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "ticket_url": ticket_url,
        "a": _action_ui(action, ticket_url, _action_form(action, access, ticket), access),
        "in_place": bool(request.htmx),
        "processes": _process_suggestions(access.programme) if action == "edit" else [],
    }
    return _render(request, "tickets/action.html" + ("#action-form" if request.htmx else ""), context)


@require_POST
@login_required
def ticket_action(request: HttpRequest, slug: str, reference: str, action: str) -> HttpResponse:
    """One action on a ticket, from the ticket page or a queue row, with or without JavaScript."""
    access = get_programme_for(request.user, slug)
    ticket = _ticket_or_404(access, reference)
    if access.is_read_only:
        raise PermissionDenied("Your role in this programme is read-only.")
    form = _action_form(action, access, ticket, data=request.POST, files=request.FILES)
    done = ""
    if form.is_valid():
        try:
            done = _perform(action, access, ticket, form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, _field_errors(error, ERROR_FIELDS))
        except TicketStateError as error:
            form.add_error(None, str(error))
    from_row = request.POST.get("return") == "row"
    detail_url = reverse("tickets:detail", args=[slug, ticket.reference])
    if request.htmx:
        ticket = _ticket_or_404(access, ticket.reference)
        if from_row:
            context = {
                "access": access,
                "programme": access.programme,
                "ticket": ticket,
                "queue_url": _safe_next(request, reverse("tickets:queue", args=[slug])),
                "row_error": " ".join(_error_texts(form)),
                "row_done": done,
            }
            return _render(request, "tickets/queue.html#row", context)
        context = _detail_context(access, ticket, bound=(action, form) if form.errors else None, done=done)
        return _render(request, "tickets/detail.html#ticket-body", context)
    if form.errors:
        if from_row:
            messages.error(request, f"{ticket.reference}: {' '.join(_error_texts(form))}")
            return redirect(_safe_next(request, detail_url))
        ticket = _ticket_or_404(access, ticket.reference)
        context = _detail_context(access, ticket, bound=(action, form))
        return _render(request, "tickets/detail.html", context)
    messages.success(request, done)
    return redirect(_safe_next(request, detail_url))


def _error_texts(form) -> list[str]:
    texts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            texts.append(f"{label}: {error}" if label and field != "__all__" else str(error))
    return texts


@require_GET
@login_required
def attachment_download(request: HttpRequest, slug: str, reference: str, pk: int) -> FileResponse:
    """An attachment, always downloaded (never shown inline), only to members who may see the ticket."""
    access = get_programme_for(request.user, slug)
    ticket = _ticket_or_404(access, reference)
    attachments = Attachment.objects.filter(ticket=ticket)
    if not access.sees_internal:
        attachments = attachments.filter(internal=False)
    attachment = get_object_or_404(attachments, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Known issues ---------------------------------------------------------------------------


@require_GET
@login_required
def known_issues(request: HttpRequest, slug: str) -> HttpResponse:
    """The board every member reads: open problems, their workarounds and expected fixes."""
    access = get_programme_for(request.user, slug)
    programme = access.programme
    show = request.GET.get("show", "open")
    issues = KnownIssue.objects.filter(programme=programme)
    if show == "open":
        issues = issues.open()
    else:
        show = "all"
    issues = issues.annotate(
        ticket_count=Count("tickets", distinct=True),
        open_ticket_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES), distinct=True),
    ).order_by("status", "fix_expected_on", "-created_at")
    recently_fixed = []
    if show == "open":
        recently_fixed = list(
            KnownIssue.objects.filter(
                programme=programme,
                status=KnownIssueStatus.FIXED,
                fixed_at__gte=timezone.now() - timedelta(days=14),
            )
            .annotate(ticket_count=Count("tickets"))
            .order_by("-fixed_at")[:10]
        )
    context = {
        "access": access,
        "programme": programme,
        "issues": list(issues),
        "recently_fixed": recently_fixed,
        "show": show,
    }
    return _render(request, "tickets/known_issues.html", context)


def _known_issue_form_page(request: HttpRequest, slug: str, pk: int | None) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    if not access.can_work_queue:
        raise PermissionDenied("Only the support team can record known issues.")
    programme = access.programme
    issue = get_object_or_404(KnownIssue, programme=programme, pk=pk) if pk else None
    # The form edits a copy, so `issue` still holds the status before the change.
    editing = KnownIssue(programme=programme) if issue is None else KnownIssue.objects.get(pk=issue.pk)
    form = forms.KnownIssueForm(request.POST or None, instance=editing)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.KNOWN_ISSUE_FIELDS}
        try:
            if issue is None:
                issue = services.known_issue_create(access=access, **data)
                messages.success(request, f"Known issue “{issue.title}” recorded.")
            else:
                became_fixed = (
                    data["status"] == KnownIssueStatus.FIXED and issue.status != KnownIssueStatus.FIXED
                )
                services.known_issue_update(access=access, known_issue=issue, **data)
                messages.success(
                    request,
                    "Known issue saved; the reporters of its tickets are notified that it is fixed."
                    if became_fixed
                    else "Known issue saved.",
                )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("tickets:known_issues", slug=programme.slug)
    linked = []
    if issue is not None:
        linked = list(
            Ticket.objects.visible_to(access)
            .filter(known_issue=issue)
            .for_list()
            .order_by("-reported_at")[:50]
        )
    context = {"access": access, "programme": programme, "form": form, "issue": issue, "linked": linked}
    return _render(request, "tickets/known_issue_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def known_issue_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _known_issue_form_page(request, slug, None)


@require_http_methods(["GET", "POST"])
@login_required
def known_issue_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _known_issue_form_page(request, slug, pk)


# --- Notifications --------------------------------------------------------------------------


def _inbox(access: ProgrammeAccess):
    return Notification.objects.filter(
        programme=access.programme, recipient=access.user, channel=NotificationChannel.IN_APP
    )


@require_GET
@login_required
def notifications(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's in-app notifications of this programme, newest first."""
    access = get_programme_for(request.user, slug)
    inbox = _inbox(access).order_by("-created_at", "-pk")
    show = request.GET.get("show", "all")
    if show == "unread":
        inbox = inbox.filter(read_at__isnull=True)
    page = Paginator(inbox, 30).get_page(request.GET.get("page"))
    context = {
        "access": access,
        "programme": access.programme,
        "page": page,
        "show": show,
        "unread": _inbox(access).filter(read_at__isnull=True).count(),
    }
    return _render(request, "tickets/notifications.html", context)


@require_POST
@login_required
def notifications_read(request: HttpRequest, slug: str) -> HttpResponse:
    """Mark one notification (`id`) or all of them as read."""
    access = get_programme_for(request.user, slug)
    ids = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            raise Http404("No such notification.") from None
    services.notifications_mark_read(access=access, ids=ids)
    target = _safe_next(request, reverse("tickets:notifications", args=[slug]))
    return redirect(target)
