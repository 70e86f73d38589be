"""The known-issues board every member reads, and the support team's form to record one."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from hypercare.access import get_programme_for
from hypercare.views import apply_errors
from hypercare.vocabulary import OPEN_STATUSES
from tickets import forms, services
from tickets.models import KnownIssue, KnownIssueStatus, Ticket
from tickets.views.common import render_page


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
    return render_page(request, "tickets/known_issues.html", context)


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
    return render_page(request, "tickets/known_issue_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def known_issue_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _known_issue_form_page(request, slug, None)


@require_http_methods(["GET", "POST"])
@login_required
def known_issue_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _known_issue_form_page(request, slug, pk)
