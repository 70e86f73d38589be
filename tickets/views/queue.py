"""The working queues of the desk and engineers, and a queue row's menu of quick actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.pagination import FastPaginator
from tickets import forms, rows, selectors
from tickets.bulk import BULK_ACTIONS, BulkForm, tickets_bulk_apply
from tickets.filters import SORTS, default_view
from tickets.views.common import render_page, safe_next

QUEUE_PAGE_SIZE = 25


def _queue_context(request: HttpRequest, access: ProgrammeAccess, bulk_form: BulkForm | None = None) -> dict:
    programme = access.programme
    units = selectors.business_units(programme)
    filters = forms.QueueFilterForm(request.GET, business_units=units)
    view = filters.value("view") or default_view(access)
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
        order=SORTS[sort],
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
        # The bulk form's inputs load when its panel opens (they cost two queries); a form
        # that came back with errors is shown at once.
        "can_bulk": access.can_work_queue and not access.is_read_only,
        "bulk_form": bulk_form,
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
    return render_page(request, "tickets/queue.html" + ("#results" if request.htmx else ""), context)


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
        "queue_url": safe_next(request, reverse("tickets:queue", args=[slug])),
    }
    return render_page(request, "tickets/queue.html#row-menu", context)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """One action on the tickets selected in the queue; each ticket's outcome is reported by reference.

    GET: the bulk form on its own page (tickets named in a text box), or for htmx its inputs,
    which the queue's bulk panel loads when it opens.
    """
    access = get_programme_for(request.user, slug)
    if not access.can_work_queue or access.is_read_only:
        raise PermissionDenied("Only the support team acts on tickets in bulk.")
    assignees = selectors.assignees(access.programme)
    if request.method == "GET":
        context = {
            "access": access,
            "programme": access.programme,
            "bulk_form": BulkForm(access=access, assignees=assignees),
        }
        return render_page(request, "tickets/bulk.html" + ("#fields" if request.htmx else ""), context)
    form = BulkForm(
        request.POST, access=access, assignees=assignees, references=request.POST.getlist("ticket") or None
    )
    queue_url = safe_next(request, reverse("tickets:queue", args=[slug]))
    if not form.is_valid():
        if "ticket" not in request.POST and "tickets" in request.POST:  # from the bulk page itself
            context = {"access": access, "programme": access.programme, "bulk_form": form}
            return render_page(request, "tickets/bulk.html", context, status=400)
        context = _queue_context(request, access, bulk_form=form)
        context["queue_url"] = queue_url
        return render_page(request, "tickets/queue.html", context, status=400)
    data = form.cleaned_data
    outcomes = tickets_bulk_apply(
        access=access, references=data["references"], action=data["action"], data=data
    )
    changed = [o for o in outcomes if o.ok]
    if changed:
        label = BULK_ACTIONS[data["action"]][0]
        messages.success(
            request,
            f"{label}: {len(changed)} ticket{'s' if len(changed) != 1 else ''} changed "
            f"({', '.join(o.reference for o in changed)}).",
        )
    for outcome in outcomes:
        if not outcome.ok:
            messages.error(request, str(outcome))
    return redirect(queue_url)
