"""The ticket page: what happened, the conversation, the timeline, the SLA panel and the
action panels; each action's form on its own, and an action posted from the page or a queue row."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.vocabulary import Category, EventKind, Status
from tickets import selectors, services
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
from tickets.explain import explain
from tickets.models import Ticket, TicketEvent
from tickets.rows import CHOICE_LABELS
from tickets.views.common import render_page, safe_next


def _event_summary(event: TicketEvent) -> str:
    """One line of the timeline, in words (an assignment names the person when the query did)."""

    def status(value: str) -> str:
        return Status(value).label.lower() if value in Status.values else value

    kind = event.kind
    if kind == EventKind.CREATED:
        return "logged the ticket"
    if kind == EventKind.CLOSED and isinstance(event.data, dict) and event.data.get("duplicate_of"):
        return f"closed it as a duplicate of {event.data['duplicate_of']}"
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
    if kind == EventKind.PROPOSED:
        return "found the resolution at Tier 3 and passed it back to the desk"
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
    `date:"c"` and `date:"D j M H:i"` under render_page's time zone."""
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
        "attachments": list(attachments) if ticket.has_attachments else [],
        "actions": actions,
        "comment_action": ui("comment") if "comment" in actions else None,
        "attach_action": ui("attach") if "attach" in actions else None,
        "take_action": ui("take") if "take" in actions else None,
        "side_actions": [ui(action) for action in SIDE_ACTIONS if action in actions],
        "done": done,
        # The support team inserts a canned reply into the comment box; the list loads when opened.
        "following": ticket.following,
        "offers_canned_replies": "comment" in actions and access.can_work_queue,
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
    return render_page(request, "tickets/detail.html" + ("#ticket-body" if request.htmx else ""), context)


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
    return render_page(request, "tickets/action.html" + ("#action-form" if request.htmx else ""), context)


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
                "queue_url": safe_next(request, reverse("tickets:queue", args=[slug])),
                "row_error": " ".join(_error_texts(form)),
                "row_done": done,
            }
            return render_page(request, "tickets/queue.html#row", context)
        context = _detail_context(access, ticket, bound=(action, form) if form.errors else None, done=done)
        return render_page(request, "tickets/detail.html#ticket-body", context)
    if form.errors:
        if from_row:
            messages.error(request, f"{ticket.reference}: {' '.join(_error_texts(form))}")
            return redirect(safe_next(request, detail_url))
        ticket = selectors.ticket_for_page(access, ticket.reference)
        context = _detail_context(access, ticket, bound=(action, form))
        return render_page(request, "tickets/detail.html", context)
    messages.success(request, done)
    return redirect(safe_next(request, detail_url))


def _error_texts(form) -> list[str]:
    texts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            texts.append(f"{label}: {error}" if label and field != "__all__" else str(error))
    return texts


@require_POST
@login_required
def ticket_follow(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """Follow (follow=1) or unfollow (follow=0) a ticket: any member who may see it."""
    access = get_programme_for(request.user, slug)
    ticket = selectors.ticket_for_page(access, reference)
    if request.POST.get("follow") == "0":
        services.ticket_unwatch(access=access, ticket=ticket)
        messages.success(request, f"You no longer follow {ticket.reference}.")
    else:
        services.ticket_watch(access=access, ticket=ticket)
        messages.success(request, f"You follow {ticket.reference}: you will be told of its public changes.")
    return redirect("tickets:detail", slug=slug, reference=ticket.reference)


@require_http_methods(["GET", "POST"])
@login_required
def ticket_rate(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """The reporter rates a resolution: the page the resolution notice links to, where one click
    on a score (1-5) records it; a comment is optional."""
    access = get_programme_for(request.user, slug)
    ticket = selectors.ticket_for_page(access, reference)
    if ticket.reporter_id != request.user.pk:
        raise PermissionDenied("Only the person who reported the ticket rates its resolution.")
    error, status = "", 200
    if request.method == "POST":
        try:
            rating = int(request.POST.get("rating", ""))
        except ValueError:
            rating = 0
        try:
            services.ticket_rate(
                access=access, ticket=ticket, rating=rating, comment=request.POST.get("comment", "")[:2000]
            )
        except ValidationError as failure:
            error, status = " ".join(failure.messages), 400
        except services.TicketStateError as failure:
            error, status = str(failure), 409
        else:
            messages.success(request, "Thank you: your rating is recorded.")
            return redirect("tickets:detail", slug=slug, reference=ticket.reference)
    current = ticket.ratings.filter(resolved_at=ticket.resolved_at).first() if ticket.resolved_at else None
    context = {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "current": current,
        "error": error,
        "scores": [(5, "Excellent"), (4, "Good"), (3, "OK"), (2, "Poor"), (1, "Very poor")],
    }
    return render_page(request, "tickets/rate.html", context, status=status)
