"""A member's in-app notifications inbox of one programme."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hypercare.access import get_programme_for
from hypercare.notifications import inbox as _inbox
from hypercare.notifications import notifications_mark_read
from tickets.views.common import render_page, safe_next


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
    return render_page(request, "tickets/notifications.html", context)


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
    notifications_mark_read(access=access, ids=ids)
    target = safe_next(request, reverse("tickets:notifications", args=[slug]))
    return redirect(target)
