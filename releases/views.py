"""Pages of the releases app: hotfixes, patch releases, production changes, status reports,
the "what's happening" page, webhooks and email preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, ProgrammeClosed, get_programme_for
from hypercare.views import apply_errors, require_lead
from releases import selectors, services
from releases.forms import (
    AdvanceForm,
    DecisionForm,
    HotfixForm,
    PreferencesForm,
    ProductionChangeForm,
    ReleaseCreateForm,
    ReleaseSettingsForm,
    WebhookForm,
)
from releases.models import (
    ChangeStatus,
    Hotfix,
    HotfixStage,
    PatchRelease,
    ProductionChange,
    ReportKind,
    Stage,
    StatusReport,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from releases.services.common import BUILDERS, BUSINESS_TESTERS, StageConflict

FILTERS = {"open": "In progress", "deployed": "Deployed", "all": "All"}


def _is_builder(access: ProgrammeAccess) -> bool:
    return not access.is_closed and bool(access.roles & BUILDERS)


def _refusal(error: Exception) -> tuple[str, int]:
    """A service's refusal as a message for the person and an HTTP status."""
    if isinstance(error, StageConflict):
        return error.message, 409
    if isinstance(error, ProgrammeClosed):
        return str(error), 409
    if isinstance(error, PermissionDenied):
        return str(error) or "You may not do this.", 403
    if isinstance(error, ValidationError):
        return " ".join(error.messages), 400
    raise error


def _may_record(access: ProgrammeAccess, hotfix: Hotfix) -> bool:
    """Whether to offer the advance form (the service decides for real)."""
    nxt = hotfix.next_stage
    if nxt is None or access.is_closed:
        return False
    if nxt == Stage.UAT_SIGNED_OFF:
        return access.is_lead if hotfix.emergency else bool(access.roles & BUSINESS_TESTERS)
    return _is_builder(access)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def hotfix_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    form = HotfixForm(request.POST or None, programme=programme) if _is_builder(access) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the desk, engineers, BAU support and leads record hotfixes.")
        if form.is_valid():
            try:
                hotfix = services.hotfix_create(programme=programme, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Hotfix #{hotfix.pk} recorded.")
                return redirect("releases:hotfix", slug=slug, pk=hotfix.pk)
    show = request.GET.get("show", "open")
    show = show if show in FILTERS else "open"
    hotfixes = Hotfix.objects.of(programme).for_list(access).order_by("-emergency", "-created_at", "-pk")
    if show == "open":
        hotfixes = hotfixes.not_deployed()
    elif show == "deployed":
        hotfixes = hotfixes.deployed()
    context = {
        "access": access,
        "programme": programme,
        "hotfixes": hotfixes,
        "form": form,
        "show": show,
        "filters": FILTERS,
    }
    template = "releases/hotfixes.html" + ("#hotfix-table" if request.htmx else "")
    return render(request, template, context, status=400 if form is not None and form.errors else 200)


def _hotfix_context(
    access: ProgrammeAccess, pk: int, form: AdvanceForm | None = None, error: str = ""
) -> dict:
    hotfix = get_object_or_404(
        Hotfix.objects.of(access.programme)
        .for_list(access)
        .prefetch_related(Prefetch("stages", queryset=HotfixStage.objects.select_related("by"))),
        pk=pk,
    )
    done = {record.stage: record for record in hotfix.stages.all()}
    timeline = [{"stage": stage, "label": label, "record": done.get(stage)} for stage, label in Stage.choices]
    may_record = _may_record(access, hotfix)
    if form is None and may_record:
        form = AdvanceForm(initial={"stage": hotfix.next_stage})
    return {
        "access": access,
        "programme": access.programme,
        "hotfix": hotfix,
        "timeline": timeline,
        "may_record": may_record,
        "advance_form": form,
        "error": error,
        "production_changes": hotfix.production_changes.all(),
    }


@require_GET
@login_required
def hotfix_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    return render(request, "releases/hotfix.html", _hotfix_context(access, pk))


@require_POST
@login_required
@vary_on_headers("HX-Request")
def hotfix_advance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    hotfix = get_object_or_404(Hotfix.objects.select_related("programme"), pk=pk, programme=access.programme)
    form = AdvanceForm(request.POST, request.FILES)
    error, status = "", 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = services.hotfix_advance(
                hotfix=hotfix,
                stage=data["stage"],
                by=request.user,
                evidence_link=data["evidence_link"],
                pass_count=data["pass_count"],
                report=data["report"],
                note=data["note"],
            )
        except (StageConflict, PermissionDenied, ValidationError) as refusal:
            error, status = _refusal(refusal)
        else:
            if not request.htmx:
                messages.success(request, f"Recorded: {record.get_stage_display()}.")
                return redirect("releases:hotfix", slug=slug, pk=pk)
            form = None
    else:
        error, status = "Check the evidence below.", 400
    context = _hotfix_context(access, pk, form=form, error=error)
    if request.htmx:
        # htmx swaps only successful responses: the refusal is shown inside the re-rendered panel.
        return render(request, "releases/hotfix.html#hotfix-stages", context)
    return render(request, "releases/hotfix.html", context, status=status)


@require_GET
@login_required
def hotfix_report(request: HttpRequest, slug: str, pk: int, stage: str) -> FileResponse:
    access = get_programme_for(request.user, slug)
    record = get_object_or_404(HotfixStage, hotfix__programme=access.programme, hotfix_id=pk, stage=stage)
    if not record.evidence_file:
        raise Http404("No report was uploaded for this stage.")
    return FileResponse(
        record.evidence_file.open("rb"),
        as_attachment=True,
        filename=record.evidence_file_name or "report",
        content_type="application/octet-stream",
    )


# Patch releases ---------------------------------------------------------------------------------


@require_GET
@login_required
def release_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    options = services.release_settings_for(programme)
    releases = (
        PatchRelease.objects.filter(programme=programme).with_counts().order_by("-planned_for", "-number")
    )
    return render(
        request,
        "releases/releases.html",
        {
            "access": access,
            "programme": programme,
            "releases": releases,
            "options": options,
            "settings_form": ReleaseSettingsForm(
                initial={
                    "cadence": options.cadence,
                    "status_hour": options.status_hour,
                    "weekly_weekday": options.weekly_weekday,
                }
            )
            if access.is_lead
            else None,
            "create_form": ReleaseCreateForm() if access.is_lead else None,
        },
    )


@require_POST
@login_required
def release_settings(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    form = ReleaseSettingsForm(request.POST)
    if form.is_valid():
        services.release_settings_update(programme=access.programme, by=request.user, **form.cleaned_data)
        messages.success(request, "Cadence and status times saved.")
    else:
        messages.error(request, "Check the cadence and the hour: " + form.errors.as_text())
    return redirect("releases:releases", slug=slug)


@require_POST
@login_required
def release_create(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    if request.POST.get("next"):
        release = services.release_plan_next(programme=access.programme, by=request.user)
        messages.success(request, f"{release.name} is planned for {release.planned_for:%a %d %b}.")
        return redirect("releases:release", slug=slug, pk=release.pk)
    form = ReleaseCreateForm(request.POST)
    if form.is_valid():
        try:
            release = services.release_create(
                programme=access.programme, by=request.user, planned_for=form.cleaned_data["planned_for"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{release.name} planned.")
            return redirect("releases:release", slug=slug, pk=release.pk)
    else:
        messages.error(request, "Give the date the release is planned for.")
    return redirect("releases:releases", slug=slug)


def _release_context(access: ProgrammeAccess, pk: int, error: str = "") -> dict:
    release = get_object_or_404(
        PatchRelease.objects.filter(programme=access.programme).select_related("programme", "deployed_by"),
        pk=pk,
    )
    hotfixes = Hotfix.objects.filter(release=release).for_list(access).order_by("pk")
    candidates = (
        Hotfix.objects.of(access.programme)
        .not_deployed()
        .filter(Q(release__isnull=True) | ~Q(release=release))
        .exclude(release__status="deployed")
        .order_by("-emergency", "pk")
        .only("id", "title", "stage", "emergency")
    )
    return {
        "access": access,
        "programme": access.programme,
        "release": release,
        "hotfixes": hotfixes,
        "candidates": candidates if release.status == "planned" and _is_builder(access) else [],
        "notes": release.notes or services.release_notes(release=release),
        "error": error,
        "may_bundle": release.status == "planned" and _is_builder(access),
        # After deployment, the desk resolves the tickets it fixes in one action.
        "to_resolve": (
            services.release_tickets_to_resolve(release=release).count()
            if release.status == "deployed" and access.can_work_queue
            else 0
        ),
    }


@require_GET
@login_required
def release_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    return render(request, "releases/release.html", _release_context(access, pk))


@require_POST
@login_required
def release_hotfixes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    release = get_object_or_404(
        PatchRelease.objects.select_related("programme"), pk=pk, programme=access.programme
    )
    hotfix = get_object_or_404(Hotfix, pk=request.POST.get("hotfix") or 0, programme=access.programme)
    try:
        if request.POST.get("action") == "remove":
            services.release_remove_hotfix(release=release, hotfix=hotfix, by=request.user)
            messages.success(request, f"Hotfix #{hotfix.pk} taken out of {release.name}.")
        else:
            services.release_add_hotfix(release=release, hotfix=hotfix, by=request.user)
            messages.success(request, f"Hotfix #{hotfix.pk} added to {release.name}.")
    except (StageConflict, ValidationError) as refusal:
        message, status = _refusal(refusal)
        return render(request, "releases/release.html", _release_context(access, pk, message), status=status)
    return redirect("releases:release", slug=slug, pk=pk)


@require_POST
@login_required
def release_deploy(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    release = get_object_or_404(
        PatchRelease.objects.select_related("programme"), pk=pk, programme=access.programme
    )
    try:
        services.release_deploy(release=release, by=request.user)
    except StageConflict as refusal:
        return render(
            request, "releases/release.html", _release_context(access, pk, refusal.message), status=409
        )
    messages.success(request, f"{release.name} is deployed; the reporters of its tickets have been told.")
    return redirect("releases:release", slug=slug, pk=pk)


@require_POST
@login_required
def release_resolve_tickets(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The desk's one action after a deployment: resolve every open ticket the release fixes."""
    access = get_programme_for(request.user, slug)
    release = get_object_or_404(
        PatchRelease.objects.select_related("programme"), pk=pk, programme=access.programme
    )
    try:
        outcome = services.release_resolve_tickets(release=release, by=request.user)
    except StageConflict as refusal:
        return render(
            request, "releases/release.html", _release_context(access, pk, refusal.message), status=409
        )
    resolved, refused = outcome["resolved"], outcome["refused"]
    if resolved:
        messages.success(
            request,
            f"{len(resolved)} ticket{'s' if len(resolved) != 1 else ''} resolved with the release note "
            f"({', '.join(resolved)}); their reporters are told.",
        )
    for reference, why in refused.items():
        messages.error(request, f"{reference} was not resolved: {why}")
    return redirect("releases:release", slug=slug, pk=pk)


# Production configuration changes ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def production_changes(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    if not access.sees_all_tickets:
        raise PermissionDenied("Production changes are visible to the support team and leadership.")
    form = ProductionChangeForm(request.POST or None, programme=programme) if _is_builder(access) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(
                "Only the desk, engineers, BAU support and leads record production changes."
            )
        if form.is_valid():
            try:
                services.production_change_record(programme=programme, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Production change recorded: it waits for a lead's approval.")
                return redirect("releases:production_changes", slug=slug)
    changes = (
        ProductionChange.objects.filter(programme=programme)
        .select_related("requested_by", "decided_by", "hotfix")
        .order_by("-requested_at", "-pk")
    )
    return render(
        request,
        "releases/production_changes.html",
        {
            "access": access,
            "programme": programme,
            "changes": changes,
            "awaiting": sum(1 for change in changes if change.status == ChangeStatus.AWAITING_APPROVAL),
            "form": form,
            "decision_form": DecisionForm() if access.is_lead else None,
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
@login_required
def production_change_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    change = get_object_or_404(
        ProductionChange.objects.select_related("programme"), pk=pk, programme=access.programme
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect("releases:production_changes", slug=slug)
    try:
        services.production_change_decide(
            change=change,
            by=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )
    except (StageConflict, ValidationError) as refusal:
        messages.error(request, _refusal(refusal)[0])
    else:
        messages.success(request, f"“{change.title}”: {form.cleaned_data['decision']}d.")
    return redirect("releases:production_changes", slug=slug)


# Daily status, weekly summary, "what's happening" -----------------------------------------------


def _require_status_reader(access: ProgrammeAccess) -> None:
    if not access.sees_all_tickets:
        raise PermissionDenied("The status reports are for the sponsor, leadership and the support team.")


@require_GET
@login_required
def status_page(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_status_reader(access)
    programme = access.programme
    kind = ReportKind.DAILY  # the weekly summary is the handover app's own report and page
    data = services.status_figures(programme=programme, kind=kind)
    reports = StatusReport.objects.filter(programme=programme, kind=kind).only(
        "id", "kind", "date", "state", "subject", "recipient_count", "sent_at"
    )[:60]
    return render(
        request,
        "releases/status.html",
        {
            "access": access,
            "programme": programme,
            "data": data,
            "kind": kind,
            "reports": reports,
            "live": True,
        },
    )


@require_GET
@login_required
def status_report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_status_reader(access)
    report = get_object_or_404(StatusReport, pk=pk, programme=access.programme, kind=ReportKind.DAILY)
    return render(
        request,
        "releases/status_report.html",
        {"access": access, "programme": access.programme, "report": report, "data": report.data},
    )


@require_GET
@login_required
def whats_happening(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    news = selectors.news(programme=programme, at=timezone.now())
    return render(
        request,
        "releases/whats_happening.html",
        {
            "access": access,
            "programme": programme,
            "known_issues": news.known_issues,
            "next_release": news.next_release,
            "recent_fixes": news.fixed[:20],
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    current = services.status_email_preferences(user=request.user)
    form = PreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        for kind in ReportKind.values:
            services.status_email_preference_set(
                user=request.user, kind=kind, receive=form.cleaned_data[kind]
            )
        messages.success(request, "Email preferences saved.")
        return redirect("releases:preferences", slug=slug)
    return render(
        request, "releases/preferences.html", {"access": access, "programme": access.programme, "form": form}
    )


# Webhooks (leads) ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def webhooks(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    programme = access.programme
    form = WebhookForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.webhook_register(programme=programme, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            form = WebhookForm()
    hooks = (
        Webhook.objects.filter(programme=programme)
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__state="delivered")),
            failed=Count("deliveries", filter=Q(deliveries__state="gave_up")),
            pending=Count("deliveries", filter=Q(deliveries__state="pending")),
        )
        .order_by("name", "pk")
    )
    return render(
        request,
        "releases/webhooks.html",
        {"access": access, "programme": programme, "hooks": hooks, "form": form, "created": created},
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
def webhook_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    hook = get_object_or_404(Webhook, pk=pk, programme=access.programme)
    deliveries = (
        WebhookDelivery.objects.filter(webhook=hook)
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number")))
        .order_by("-created_at", "-pk")[:50]
    )
    return render(
        request,
        "releases/webhook.html",
        {"access": access, "programme": access.programme, "hook": hook, "deliveries": deliveries},
    )


@require_POST
@login_required
def webhook_active(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    hook = get_object_or_404(Webhook.objects.select_related("programme"), pk=pk, programme=access.programme)
    services.webhook_set_active(webhook=hook, by=request.user, active=request.POST.get("active") == "1")
    messages.success(
        request, f"Webhook “{hook.name}” {'resumed' if request.POST.get('active') == '1' else 'paused'}."
    )
    return redirect("releases:webhooks", slug=slug)
