"""My tickets: what a member logged and, for a champion, their business unit's tickets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from hypercare.access import get_programme_for
from hypercare.pagination import FastPaginator
from hypercare.roles import Role
from tickets import selectors
from tickets.views.common import render_page

LIST_PAGE_SIZE = 25


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
    return render_page(request, "tickets/my_tickets.html" + ("#list" if request.htmx else ""), context)
