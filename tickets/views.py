"""The ticket pages: Tier 1's guided form, My tickets, the working queues, the ticket page,
the known-issues board and the in-app notifications inbox.

Every page resolves the programme through `get_programme_for` (404 for non-members) and its
tickets through `Ticket.objects.visible_to(access)`; every change goes through
tickets.services, which enforces the role rules again. One URL serves a full page or, for
an htmx request, a named partial of the same template; every htmx form is also a plain form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Count,
    Q,
)
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.models import Notification, NotificationChannel
from hypercare.pagination import FastPaginator
from hypercare.roles import Role
from hypercare.views import apply_errors
from hypercare.vocabulary import (
    OPEN_STATUSES,
    Category,
    EventKind,
    ImpactScope,
    Severity,
    Status,
    Workaround,
)
from sla.classifier import suggest_category
from tickets import forms, rows, search, selectors, services
from tickets.actions import (
    ACTION_LABELS,
    EAGER_ACTIONS,
    SIDE_ACTIONS,
    ActionUI,
    action_form,
    action_ui,
    allowed_actions,
    run_action,
)
from tickets.models import KnownIssue, KnownIssueStatus, Ticket, TicketEvent
from tickets.rows import CHOICE_LABELS
from tickets.services import TriageAnswers
from triage.explain import explain
from triage.matrix import ALWAYS_SEV4_CATEGORIES, severity_for

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
    if not access.can_report:
        raise PermissionDenied("Your role in this programme cannot log tickets.")
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
        apply_errors(form, forms.field_errors(error, {"description": "details", "file": "attachments"}))
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


@require_GET
@login_required
@vary_on_headers("HX-Request")
def my_tickets(request: HttpRequest, slug: str) -> HttpResponse:
    """The tickets I logged, and (for champions) those of my business unit: status and public replies."""
    access = get_programme_for(request.user, slug)
    programme = access.programme
    show = request.GET.get("show", "open")
    if show not in ("open", "done"):
        show = "all"
    unit = access.membership.business_unit if access.membership else ""
    page = FastPaginator(
        selectors.my_tickets(access, show=show),
        LIST_PAGE_SIZE,
        count_limit=1_000,  # a champion's list: "1,000+" is as useful as the exact figure
        rows=selectors.with_public_replies,  # the reply counts only for the page's rows
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


def _queue_context(request: HttpRequest, access: ProgrammeAccess) -> dict:
    programme = access.programme
    units = selectors.business_units(programme)
    filters = forms.QueueFilterForm(request.GET, business_units=units)
    view = filters.value("view") or _default_view(access)
    sort = filters.value("sort", "severity")
    tickets = selectors.queue_tickets(
        access,
        view=view,
        status=filters.value("status", "open"),
        severity=filters.value("severity"),
        category=filters.value("category"),
        business_unit=filters.value("business_unit"),
        known_issue=filters.value("known_issue"),
        q=filters.value("q", ""),
        order=forms.SORTS[sort],
    )
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
    ticket = selectors.ticket_for_page(access, reference)
    context = {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "assignees": selectors.assignees(access.programme),
        "queue_url": _safe_next(request, reverse("tickets:queue", args=[slug])),
    }
    return _render(request, "tickets/queue.html#row-menu", context)


# --- The ticket page and its actions --------------------------------------------------------


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


def _names(ticket: Ticket) -> dict[str, str]:
    """The names the ticket page shows, from selectors.ticket_for_page's columns."""
    return {
        "assignee_name": ticket.assignee_name or "",
        "reporter_name": ticket.reporter_name or "",
        "resolved_by_name": ticket.resolved_by_name or "",
        "known_issue_title": ticket.known_issue_title or "",
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
    all_events = selectors.ticket_events(ticket)
    comments = selectors.ticket_comments(ticket, internal=internal)
    attachments = selectors.ticket_attachments(access, ticket).select_related("uploaded_by")
    hidden = {EventKind.COMMENT}
    if not internal:
        # Champions never see internal comments, Tier 3 working notes, or the SLA machinery.
        hidden |= {EventKind.SLA, EventKind.BREACH}
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
    actions = allowed_actions(access, ticket)
    ticket_url = reverse("tickets:detail", args=[access.programme.slug, ticket.reference])
    bound_action, bound_form = bound if bound is not None else (None, None)

    def ui(action: str) -> ActionUI:
        if action == bound_action:
            return action_ui(action, ticket_url, bound_form)
        if action in EAGER_ACTIONS:
            return action_ui(action, ticket_url, action_form(action, access, ticket), access)
        return action_ui(action, ticket_url)

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
        "processes": selectors.process_suggestions(access.programme) if bound_action == "edit" else [],
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
    ticket = selectors.ticket_for_page(access, reference)
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
    ticket = selectors.ticket_for_page(access, reference)
    if action not in allowed_actions(access, ticket):
        raise PermissionDenied("This action is not open to you on this ticket now.")
    ticket_url = reverse("tickets:detail", args=[slug, ticket.reference])
    context = {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "ticket_url": ticket_url,
        "a": action_ui(action, ticket_url, action_form(action, access, ticket), access),
        "in_place": bool(request.htmx),
        "processes": selectors.process_suggestions(access.programme) if action == "edit" else [],
    }
    return _render(request, "tickets/action.html" + ("#action-form" if request.htmx else ""), context)


@require_POST
@login_required
def ticket_action(request: HttpRequest, slug: str, reference: str, action: str) -> HttpResponse:
    """One action on a ticket, from the ticket page or a queue row, with or without JavaScript."""
    access = get_programme_for(request.user, slug)
    ticket = selectors.ticket_for_page(access, reference)
    if access.is_read_only:
        raise PermissionDenied("Your role in this programme is read-only.")
    form = action_form(action, access, ticket, data=request.POST, files=request.FILES)
    done = run_action(action, access, ticket, form)
    from_row = request.POST.get("return") == "row"
    detail_url = reverse("tickets:detail", args=[slug, ticket.reference])
    if request.htmx:
        ticket = selectors.ticket_for_page(access, ticket.reference)
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
        ticket = selectors.ticket_for_page(access, ticket.reference)
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
    ticket = selectors.ticket_for_page(access, reference)
    attachment = get_object_or_404(selectors.ticket_attachments(access, ticket), pk=pk)
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
