"""Canned replies: the leads keep the programme's list; the support team reads it and inserts
one into a comment from the ticket page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.views import apply_errors
from tickets import forms, services
from tickets.models import CannedReply
from tickets.views.common import render_page


def _reader(request: HttpRequest, slug: str) -> ProgrammeAccess:
    access = get_programme_for(request.user, slug)
    if not (access.can_work_queue or access.is_lead):
        raise PermissionDenied("Canned replies are for the support team.")
    return access


def _save(request: HttpRequest, access: ProgrammeAccess, form, reply: CannedReply | None):
    """Run the form through its service; the saved reply, or None with the errors on the form."""
    if not form.is_valid():
        return None
    try:
        if reply is None:
            return services.canned_reply_create(access=access, **form.cleaned_data)
        return services.canned_reply_update(access=access, reply=reply, **form.cleaned_data)
    except ValidationError as error:
        apply_errors(form, error)
        return None


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def canned_replies(request: HttpRequest, slug: str) -> HttpResponse:
    """The programme's canned replies; leads add one with the form under the list."""
    access = _reader(request, slug)
    form = forms.CannedReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        reply = _save(request, access, form, None)
        if reply is not None:
            messages.success(request, f"Canned reply “{reply.title}” added.")
            return redirect("tickets:canned_replies", slug=slug)
        status = 400
    context = {
        "access": access,
        "programme": access.programme,
        "replies": CannedReply.objects.filter(programme=access.programme),
        "form": form,
    }
    # The ticket page's picker (htmx, when its panel opens): the same list as a <select>.
    template = "tickets/canned_replies.html" + (
        "#picker" if request.htmx and request.GET.get("picker") else ""
    )
    return render_page(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def canned_reply_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _reader(request, slug)
    if not access.is_lead:
        access.refuse("Only the programme's hypercare leads manage canned replies.")
    reply = get_object_or_404(CannedReply, programme=access.programme, pk=pk)
    form = forms.CannedReplyForm(request.POST or None, initial={"title": reply.title, "body": reply.body})
    status = 200
    if request.method == "POST":
        if _save(request, access, form, reply) is not None:
            messages.success(request, f"Canned reply “{reply.title}” saved.")
            return redirect("tickets:canned_replies", slug=slug)
        status = 400
    context = {"access": access, "programme": access.programme, "reply": reply, "form": form}
    return render_page(request, "tickets/canned_reply_form.html", context, status=status)


@require_POST
@login_required
def canned_reply_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _reader(request, slug)
    reply = get_object_or_404(CannedReply, programme=access.programme, pk=pk)
    services.canned_reply_delete(access=access, reply=reply)
    messages.success(request, f"Canned reply “{reply.title}” deleted.")
    return redirect("tickets:canned_replies", slug=slug)
