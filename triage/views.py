"""Pages of triage under /p/<slug>/triage/: the standup board, SLA policy, matrix, overrides, rota, preferences."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import get_programme_for
from hypercare.views import apply_errors, require_lead
from sla.matrix import ALWAYS_SEV4_CATEGORIES, matrix_for
from sla.models import SlaPolicy
from sla.policy import policy_for, severity_matrix_update, sla_policy_publish
from tickets.explain import explain
from tickets.models import Ticket
from triage import services
from triage.forms import (
    MatrixForm,
    OnCallShiftForm,
    PeriodForm,
    PreferencesForm,
    QueueLeadsForm,
    SlaPolicyForm,
    aware,
)
from triage.models import OnCallShift, QueueLead


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render in the programme's time zone: every time on the page is the business's local time."""
    with timezone.override(context["programme"].timezone):
        return render(request, template, context, status=status)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def board(request: HttpRequest, slug: str) -> HttpResponse:
    """The standup board; htmx polls its #board partial every 30 seconds."""
    access = get_programme_for(request.user, slug)
    context = {"access": access, "programme": access.programme, "board": services.triage_board(access)}
    template = "triage/board.html" + ("#board" if request.htmx else "")
    return _render(request, template, context)


@require_POST
@login_required
def standup_start(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    try:
        standup = services.standup_start(access=access)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        with timezone.override(access.programme.timezone):
            messages.success(request, f"Standup started at {timezone.localtime(standup.started_at):%H:%M}.")
    return redirect("triage:board", slug=slug)


@require_http_methods(["GET", "POST"])
@login_required
def sla_policy(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    current = policy_for(programme, timezone.now())
    versions = (
        SlaPolicy.objects.filter(programme=programme)
        .select_related("created_by")
        .prefetch_related("targets")
        .order_by("-effective_from")
    )
    form = SlaPolicyForm(request.POST or None, policy=current)
    if request.method == "POST":
        require_lead(access, request)
        if form.is_valid():
            try:
                sla_policy_publish(
                    access=access,
                    targets=form.targets(),
                    effective_from=aware(form.cleaned_data["effective_from"], programme.timezone),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(form.error_for_service(field), errors)
            else:
                messages.success(request, "New SLA policy version saved.")
                return redirect("triage:sla_policy", slug=slug)
    context = {
        "access": access,
        "programme": programme,
        "current": current,
        "versions": versions,
        "form": form,
        "now": timezone.now(),
    }
    return _render(request, "triage/sla_policy.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def matrix(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    form = MatrixForm(request.POST or None, matrix=matrix_for(programme))
    if request.method == "POST":
        require_lead(access, request)
        if form.is_valid():
            try:
                changed = severity_matrix_update(access=access, cells=form.cells())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, f"Triage matrix saved ({changed} cell{'s' if changed != 1 else ''} changed)."
                )
                return redirect("triage:matrix", slug=slug)
    context = {
        "access": access,
        "programme": programme,
        "form": form,
        "always_sev4": sorted(ALWAYS_SEV4_CATEGORIES),
    }
    return _render(request, "triage/matrix.html", context, status=400 if form.errors else 200)


def _period(form: PeriodForm, tz: str) -> tuple[datetime | None, datetime | None]:
    if not form.is_valid():
        return None, None
    zone = ZoneInfo(tz)
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    return (
        datetime.combine(start, time(0), tzinfo=zone) if start else None,
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone) if end else None,
    )


@require_GET
@login_required
def overrides(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    if not access.sees_all_tickets:
        raise PermissionDenied("Programme-wide reports are for the support team, leads and sponsors.")
    form = PeriodForm(request.GET or None)
    start, end = _period(form, access.programme.timezone)
    context = {
        "access": access,
        "programme": access.programme,
        "form": form,
        "report": services.severity_override_report(access.programme, start, end),
        "compliance": services.sla_compliance(access.programme, start, end),
    }
    return _render(request, "triage/overrides.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def rota(request: HttpRequest, slug: str) -> HttpResponse:
    """The on-call rota and the queue leads: who is told of SLA alerts."""
    access = get_programme_for(request.user, slug)
    programme = access.programme
    shift_form = OnCallShiftForm(request.POST or None, programme=programme)
    if request.method == "POST":
        require_lead(access, request)
        if shift_form.is_valid():
            data = shift_form.cleaned_data
            try:
                services.oncall_shift_add(
                    access=access,
                    user=data["user"],
                    starts_at=aware(data["starts_at"], programme.timezone),
                    ends_at=aware(data["ends_at"], programme.timezone),
                    note=data["note"],
                )
            except ValidationError as error:
                apply_errors(shift_form, error)
            else:
                messages.success(request, f"{data['user'].username} is on the rota.")
                return redirect("triage:rota", slug=slug)
    now = timezone.now()
    leads = {
        row.tier: row.user for row in QueueLead.objects.filter(programme=programme).select_related("user")
    }
    leads_form = QueueLeadsForm(
        programme=programme,
        initial={"tier2": leads.get(2), "tier3": leads.get(3)},
    )
    shifts = (
        OnCallShift.objects.filter(programme=programme, ends_at__gt=now - timedelta(days=7))
        .select_related("user")
        .order_by("starts_at")
    )
    context = {
        "access": access,
        "programme": programme,
        "shift_form": shift_form,
        "leads_form": leads_form,
        "queue_leads": leads,
        "shifts": shifts,
        "on_call": services.oncall_now(programme, now),
        "now": now,
    }
    return _render(request, "triage/rota.html", context, status=400 if shift_form.errors else 200)


@require_POST
@login_required
def rota_remove(request: HttpRequest, slug: str, shift_id: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    shift = get_object_or_404(OnCallShift, pk=shift_id, programme=access.programme)
    services.oncall_shift_remove(access=access, shift=shift)
    messages.success(request, "Shift removed.")
    return redirect("triage:rota", slug=slug)


@require_POST
@login_required
def queue_leads(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    form = QueueLeadsForm(request.POST, programme=access.programme)
    if form.is_valid():
        for tier, name in ((2, "tier2"), (3, "tier3")):
            services.queue_lead_set(access=access, tier=tier, user=form.cleaned_data[name])
        messages.success(request, "Queue leads saved.")
    else:
        messages.error(request, "Choose queue leads among the support team of this programme.")
    return redirect("triage:rota", slug=slug)


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest, slug: str) -> HttpResponse:
    """A member's channels (in-app, email) per kind of notification."""
    access = get_programme_for(request.user, slug)
    form = PreferencesForm(request.POST or None, current=services.notification_preferences_for(request.user))
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_save(user=request.user, choices=form.choices())
        messages.success(request, "Notification preferences saved.")
        return redirect("triage:preferences", slug=slug)
    return _render(
        request, "triage/preferences.html", {"access": access, "programme": access.programme, "form": form}
    )


@require_GET
@login_required
def ticket_sla(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """A ticket's SLA timeline on its own page (the ticket page shows the same panel)."""
    access = get_programme_for(request.user, slug)
    ticket = get_object_or_404(
        Ticket.objects.visible_to(access).select_related("programme__calendar", "sla_policy"),
        reference=reference,
    )
    sla = explain(ticket)
    context = {
        "access": access,
        "programme": access.programme,
        "ticket": ticket,
        "sla": sla,
        "sla_explained": sla,
    }
    return _render(request, "triage/ticket_sla.html", context)
