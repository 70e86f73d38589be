"""Pages of the exit gate, the handover pack, runbooks, knowledge transfer, sign-off and the exit report."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from handover import report, services
from handover.criteria import criterion_thresholds, gate_evaluate, with_kpi_green
from handover.forms import (
    AttestForm,
    CriterionAddForm,
    CriterionEditForm,
    DecideForm,
    DocumentForm,
    ItemEditForm,
    ItemForm,
    KtPhasesForm,
    RevokeForm,
    RunbookDraftForm,
    RunbookForm,
    SignOffForm,
)
from handover.models import Attestation, ExitCriterion, HandoverItem, KtPhase, Runbook, SignOff
from handover.selectors import (
    current_phase,
    exit_outcome,
    hypercare_clock,
    kt_measured_phase,
    kt_rows,
    measured_phase,
    runbook_candidates,
    signatory_changes_in_review,
    signatory_states,
)
from handover.weekly import weekly_figures
from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.models import ProgrammeStatus
from hypercare.views import apply_errors, require_lead
from metrics.selectors import Window, bau_share
from releases.models import ReportKind, StatusReport
from tickets.models import KnownIssue, Ticket


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address as the server saw it (a trusted proxy sets REMOTE_ADDR through the WSGI server)."""
    return request.META.get("REMOTE_ADDR") or None


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def _base(access: ProgrammeAccess, **extra) -> dict:
    return {"access": access, "programme": access.programme, **extra}


def _download(stored_file, name: str) -> FileResponse:
    if not stored_file:
        raise Http404("No file.")
    try:
        handle = stored_file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    # Never typed from the uploader's file name (evil.html would be served as text/html).
    response = FileResponse(
        handle, as_attachment=True, filename=name or "document", content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ---------------------------------------------------------------------------------------------
# Exit-gate dashboard


@require_GET
@login_required
@vary_on_headers("HX-Request")
def exit_gate(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    gate = gate_evaluate(programme=programme)
    today = gate.context.today
    sign_offs = list(SignOff.objects.of(programme).for_list())
    context = _base(
        access,
        gate=gate,
        pack=gate.context.pack,
        kt=kt_rows(programme, today=today, at=gate.at),
        measured_phase=measured_phase(gate.results),
        clock=hypercare_clock(programme, today=today),
        signatories=signatory_states(programme, sign_offs),
        burn_rate=_burn_rate(gate),
        can_edit=services.can_edit_criteria(access),
        can_attest=services.can_attest(access),
    )
    template = "handover/exit_gate.html" + ("#criteria" if request.htmx else "")
    return render(request, template, context)


def _burn_rate(gate) -> float:
    figures = gate.context.ticket_figures
    return round((figures["done_in_week"] - figures["in_week"]) / 7, 1)


# ---------------------------------------------------------------------------------------------
# Criteria: edit (leads) and attest (leads, operational owner)


@require_http_methods(["GET", "POST"])
@login_required
def criteria(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    add_form = CriterionAddForm(request.POST or None, prefix="add")
    if request.method == "POST":
        require_lead(access, request)
        if add_form.is_valid():
            try:
                criterion = services.criterion_add(access=access, **add_form.cleaned_data)
            except ValidationError as error:
                apply_errors(add_form, error)
            else:
                messages.success(request, f"Criterion “{criterion.title}” added.")
                return redirect("handover:criteria", slug=programme.slug)
    items = _with_thresholds(
        programme, with_kpi_green(ExitCriterion.objects.of(programme).with_latest_attestation())
    )
    forms = [(c, CriterionEditForm(criterion=c)) for c in items]
    return render(
        request,
        "handover/criteria.html",
        _base(access, rows=forms, add_form=add_form, can_edit=services.can_edit_criteria(access)),
    )


def _with_thresholds(programme, criteria) -> list[ExitCriterion]:
    """The criteria, each with the threshold in force (`threshold_in_force`): a criterion judging a
    scorecard figure reads the KPI's green boundary."""
    criteria = list(criteria)
    thresholds = criterion_thresholds(programme, criteria)
    for criterion in criteria:
        criterion.threshold_in_force = thresholds.get(criterion.pk, criterion.threshold)
    return criteria


def _criterion(access: ProgrammeAccess, pk: int) -> ExitCriterion:
    return get_object_or_404(ExitCriterion.objects.of(access.programme), pk=pk)


@require_POST
@login_required
def criterion_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    criterion = _criterion(access, pk)
    form = CriterionEditForm(request.POST, criterion=criterion)
    if form.is_valid():
        try:
            services.criterion_update(access=access, criterion=criterion, **form.changes())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Criterion “{criterion.title}” saved.")
            return redirect("handover:criteria", slug=access.programme.slug)
    items = _with_thresholds(
        access.programme, with_kpi_green(ExitCriterion.objects.of(access.programme).with_latest_attestation())
    )
    rows = [(c, form if c.pk == criterion.pk else CriterionEditForm(criterion=c)) for c in items]
    return render(
        request,
        "handover/criteria.html",
        _base(access, rows=rows, add_form=CriterionAddForm(prefix="add"), can_edit=True),
        status=400,
    )


@require_POST
@login_required
def criterion_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    criterion = _criterion(access, pk)
    title = criterion.title
    services.criterion_remove(access=access, criterion=criterion)
    messages.success(request, f"Criterion “{title}” removed from the exit gate.")
    return redirect("handover:criteria", slug=access.programme.slug)


@require_http_methods(["GET", "POST"])
@login_required
def criterion_attest(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    criterion = _criterion(access, pk)
    if not criterion.is_attested:
        raise Http404("This criterion is measured, not attested.")
    if not services.can_attest(access):
        raise PermissionDenied("Only leads and the operational owner can attest exit criteria.")
    form = AttestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.criterion_attest(
                access=access,
                criterion=criterion,
                outcome=data["outcome"],
                note=data["note"],
                evidence_url=data.get("evidence_url") or "",
                evidence_file=data.get("evidence_file"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Attestation of “{criterion.title}” recorded.")
            return redirect("handover:exit_gate", slug=access.programme.slug)
    attestations = criterion.attestations.select_related("by").order_by("-at", "-pk")
    return render(
        request,
        "handover/attest.html",
        _base(access, criterion=criterion, form=form, attestations=attestations),
    )


@require_GET
@login_required
def attestation_evidence(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    access = get_programme_for(request.user, slug)
    attestation = get_object_or_404(Attestation, pk=pk, criterion__programme=access.programme)
    return _download(attestation.evidence_file, attestation.evidence_name)


# ---------------------------------------------------------------------------------------------
# Handover pack


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def pack(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    form = ItemForm(request.POST or None, programme=programme, prefix="new")
    if request.method == "POST":
        require_lead(access, request)
        if form.is_valid():
            try:
                item = services.item_add(access=access, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"“{item.title}” added to the handover pack.")
                return redirect("handover:pack", slug=programme.slug)
    return render(request, "handover/pack.html", _pack_context(access, form=form))


def _pack_context(access: ProgrammeAccess, **extra) -> dict:
    items = list(HandoverItem.objects.of(access.programme).for_list())
    total = len(items)
    accepted = sum(1 for item in items if item.status == "accepted")
    return _base(
        access,
        items=items,
        total=total,
        accepted=accepted,
        percent=round(100 * accepted / total) if total else 0,
        can_accept=services.can_accept_items(access),
        user_id=request_user_id(access),
        **extra,
    )


def request_user_id(access: ProgrammeAccess):
    return getattr(access.user, "pk", None)


def _item(access: ProgrammeAccess, pk: int) -> HandoverItem:
    return get_object_or_404(HandoverItem.objects.of(access.programme).for_list(), pk=pk)


def _item_page(request, access, item, *, status=200, **forms) -> HttpResponse:
    context = _base(
        access,
        item=item,
        can_edit=services.can_edit_item(access, item),
        can_accept=services.can_decide_item(access, item),
        edit_form=forms.get("edit_form")
        or ItemEditForm(
            programme=access.programme,
            initial={
                "title": item.title,
                "description": item.description,
                "owner": item.owner_id,
                "due_date": item.due_date,
            },
        ),
        document_form=forms.get("document_form") or DocumentForm(),
        decide_form=forms.get("decide_form") or DecideForm(),
        runbooks=item.runbooks.all(),
    )
    template = "handover/item.html" + ("#item-status" if request.htmx and status == 200 else "")
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def item_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    item = _item(access, pk)
    if request.method == "POST":
        require_lead(access, request)
        form = ItemEditForm(request.POST, programme=access.programme)
        if form.is_valid():
            try:
                services.item_update(access=access, item=item, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Item saved.")
                return redirect("handover:item", slug=access.programme.slug, pk=item.pk)
        return _item_page(request, access, item, status=400, edit_form=form)
    return _item_page(request, access, item)


@require_POST
@login_required
def item_document(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    item = _item(access, pk)
    if not services.can_edit_item(access, item):
        raise PermissionDenied("Only the item's owner or a lead can supply its document.")
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.item_attach(
                access=access,
                item=item,
                document=form.cleaned_data.get("document"),
                link=form.cleaned_data.get("link") or "",
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Document saved: the item is a draft until you submit it.")
            return redirect("handover:item", slug=access.programme.slug, pk=item.pk)
    return _item_page(request, access, item, status=400, document_form=form)


@require_GET
@login_required
def item_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    access = get_programme_for(request.user, slug)
    item = _item(access, pk)
    return _download(item.document, item.document_name)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def item_submit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    item = _item(access, pk)
    if not services.can_edit_item(access, item):
        raise PermissionDenied("Only the item's owner or a lead can submit it.")
    try:
        services.item_submit(access=access, item=item)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{item.title}” submitted for acceptance.")
    return redirect("handover:item", slug=access.programme.slug, pk=item.pk)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def item_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    item = _item(access, pk)
    if not services.can_accept_items(access):
        raise PermissionDenied("Only the operational owner or a BAU lead can accept handover items.")
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            item = services.item_decide(
                access=access,
                item=item,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data.get("reason") or "",
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if request.htmx:
                return _item_page(request, access, _item(access, pk))
            messages.success(request, f"“{item.title}” {item.get_status_display().lower()}.")
            return redirect("handover:item", slug=access.programme.slug, pk=item.pk)
    return _item_page(request, access, item, status=400, decide_form=form)


@require_POST
@login_required
def item_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    item = _item(access, pk)
    services.item_remove(access=access, item=item)
    messages.success(request, f"“{item.title}” removed from the handover pack.")
    return redirect("handover:pack", slug=access.programme.slug)


# ---------------------------------------------------------------------------------------------
# Runbooks


REFERENCE_SPLIT = re.compile(r"[\s,;]+")


@require_http_methods(["GET", "POST"])
@login_required
def runbooks(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    form = RunbookDraftForm(request.POST or None)
    if request.method == "POST":
        if not services.can_write_runbooks(access):
            raise PermissionDenied("Only the support team can write runbooks.")
        if form.is_valid():
            data = form.cleaned_data
            references = [r for r in REFERENCE_SPLIT.split(data.get("tickets") or "") if r]
            tickets = list(Ticket.objects.filter(programme=programme, reference__in=references))
            known_issue = None
            if data.get("known_issue"):
                known_issue = KnownIssue.objects.filter(programme=programme, pk=data["known_issue"]).first()
                if known_issue is None:
                    form.add_error(None, "No such known issue in this programme.")
            missing = sorted(set(references) - {t.reference for t in tickets})
            if missing:
                form.add_error("tickets", f"No such ticket in this programme: {', '.join(missing)}.")
            if not form.errors:
                try:
                    runbook = services.runbook_draft(
                        access=access, known_issue=known_issue, tickets=tickets, title=data.get("title") or ""
                    )
                except ValidationError as error:
                    apply_errors(form, error)
                else:
                    messages.success(request, "Runbook drafted from the resolutions: review and edit it.")
                    return redirect("handover:runbook", slug=programme.slug, pk=runbook.pk)
    known, groups = runbook_candidates(programme)
    items = Runbook.objects.filter(programme=programme).select_related("known_issue", "created_by")
    return render(
        request,
        "handover/runbooks.html",
        _base(
            access,
            runbooks=items,
            known=known,
            groups=groups,
            form=form,
            can_write=services.can_write_runbooks(access),
        ),
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def runbook_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    runbook = get_object_or_404(
        Runbook.objects.filter(programme=access.programme).select_related("known_issue", "item"), pk=pk
    )
    form = RunbookForm(
        request.POST or None,
        initial={
            "title": runbook.title,
            "symptoms": runbook.symptoms,
            "workaround": runbook.workaround,
            "steps": runbook.steps,
        },
    )
    if request.method == "POST":
        if not services.can_write_runbooks(access):
            raise PermissionDenied("Only the support team can write runbooks.")
        if form.is_valid():
            try:
                services.runbook_update(access=access, runbook=runbook, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Runbook saved.")
                return redirect("handover:runbook", slug=access.programme.slug, pk=runbook.pk)
    return render(
        request,
        "handover/runbook.html",
        _base(
            access,
            runbook=runbook,
            tickets=runbook.tickets.order_by("reported_at"),
            form=form,
            can_write=services.can_write_runbooks(access),
        ),
    )


@require_POST
@login_required
def runbook_publish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    runbook = get_object_or_404(Runbook.objects.filter(programme=access.programme), pk=pk)
    if not services.can_write_runbooks(access):
        raise PermissionDenied("Only the support team can write runbooks.")
    try:
        services.runbook_publish(access=access, runbook=runbook)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Runbook published.")
    return redirect("handover:runbook", slug=access.programme.slug, pk=runbook.pk)


# ---------------------------------------------------------------------------------------------
# Knowledge transfer


@require_http_methods(["GET", "POST"])
@login_required
def knowledge_transfer(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    phases = list(KtPhase.objects.filter(programme=programme))
    form = KtPhasesForm(request.POST or None, phases=phases)
    if request.method == "POST":
        require_lead(access, request)
        if form.is_valid():
            try:
                services.kt_phases_update(access=access, starts=form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Knowledge-transfer plan saved.")
                return redirect("handover:kt", slug=programme.slug)
    now = timezone.now()
    today = now.astimezone(ZoneInfo(programme.timezone)).date()
    return render(
        request,
        "handover/kt.html",
        _base(
            access,
            rows=kt_rows(programme, today=today, at=now),
            # The scorecard's and the exit gate's BAU share, over their window.
            bau_share=bau_share(programme, Window.ending(programme, at=now)),
            measured=kt_measured_phase(programme),
            planned=current_phase(programme, today=today),
            form=form,
        ),
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------
# Sign-off


@require_http_methods(["GET", "POST"])
@login_required
def sign_off(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    gate = gate_evaluate(programme=programme)
    form = SignOffForm(request.POST or None, failing=gate.failing)
    status = 200
    if request.method == "POST":
        if not access.can_sign_off:
            raise PermissionDenied("Only the business sponsor and the operational owner sign off.")
        status = 400
        if form.is_valid():
            try:
                record = services.signoff_create(
                    access=access,
                    password=form.cleaned_data["password"],
                    justifications=form.justifications(),
                    ip_address=client_ip(request),
                    user_agent=_user_agent(request),
                    request=request,
                )
            except ValidationError as error:
                apply_errors(form, error)
            except PermissionDenied as error:
                # Separation of duties: the page says why, nothing is recorded.
                form.add_error(None, str(error))
                status = 403
            else:
                if programme.status == ProgrammeStatus.CLOSED:
                    messages.success(request, "Every signatory has signed: hypercare is closed.")
                    return redirect("handover:celebration", slug=programme.slug)
                messages.success(request, "Your sign-off is recorded.")
                return redirect("handover:sign_off_detail", slug=programme.slug, pk=record.pk)
    sign_offs = list(SignOff.objects.of(programme).for_list().order_by("-signed_at", "-pk"))
    states = signatory_states(programme, sign_offs)
    mine = next((s.sign_off for s in states if s.membership.user_id == request.user.pk and s.sign_off), None)
    return render(
        request,
        "handover/sign_off.html",
        _base(
            access,
            gate=gate,
            form=form,
            sign_offs=sign_offs,
            signatories=states,
            mine=mine,
            refusal=services.signoff_refusal(access) if access.can_sign_off else "",
            role_changes=signatory_changes_in_review(programme),
            outcome=exit_outcome(programme, sign_offs),
        ),
        status=status,
    )


@require_GET
@login_required
def sign_off_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    record = get_object_or_404(SignOff.objects.of(access.programme).for_list(), pk=pk)
    can_revoke = (
        record.kind == "sign_off"
        and record.signatory_id == request.user.pk
        and not record.is_revoked
        and access.can_sign_off
    )
    return _render_sign_off(request, access, record, RevokeForm(), can_revoke=can_revoke)


def _render_sign_off(request, access, record, form, *, can_revoke: bool, status: int = 200) -> HttpResponse:
    """The frozen record with each criterion beside the justification given for it."""
    justifications = record.justifications or {}
    criteria = [
        {**row, "justification": justifications.get(str(row.get("id")), "")}
        for row in record.snapshot.get("criteria", [])
    ]
    return render(
        request,
        "handover/sign_off_detail.html",
        _base(
            access,
            record=record,
            criteria=criteria,
            verified=services.signoff_verify(record),
            revoke_form=form,
            can_revoke=can_revoke,
        ),
        status=status,
    )


@require_POST
@login_required
def sign_off_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    record = get_object_or_404(SignOff.objects.of(access.programme).for_list(), pk=pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.signoff_revoke(
                access=access,
                sign_off=record,
                password=form.cleaned_data["password"],
                reason=form.cleaned_data["reason"],
                ip_address=client_ip(request),
                user_agent=_user_agent(request),
                request=request,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, "Your sign-off is revoked. The original record stays, marked as revoked."
            )
            return redirect("handover:sign_off", slug=access.programme.slug)
    return _render_sign_off(request, access, record, form, can_revoke=True, status=400)


# ---------------------------------------------------------------------------------------------
# Celebration and the exit report


@require_GET
@login_required
def celebration(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    if programme.status != ProgrammeStatus.CLOSED:
        messages.info(request, "The celebration opens when every signatory has signed off.")
        return redirect("handover:sign_off", slug=programme.slug)
    return render(request, "handover/celebration.html", _base(access, **report.achievements(programme)))


@require_GET
@login_required
def exit_report(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    data = report.exit_report_data(access.programme)
    return render(
        request,
        "handover/exit_report.html",
        _base(access, report=data, pdf_url=reverse("handover:exit_report_pdf", args=[access.programme.slug])),
    )


@require_GET
@login_required
def exit_report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    data = report.exit_report_data(access.programme)
    pdf = report.exit_report_pdf(data)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{access.programme.slug}-exit-report.pdf"'
    return response


# ---------------------------------------------------------------------------------------------
# The weekly leadership summary


def _require_report_reader(access: ProgrammeAccess) -> None:
    # The same readers as the daily status: leadership and the support team.
    if not access.sees_all_tickets:
        raise PermissionDenied("The weekly summary is for leadership and the support team.")


def _weekly_page(request: HttpRequest, access: ProgrammeAccess, report: StatusReport | None) -> HttpResponse:
    programme = access.programme
    weeks = StatusReport.objects.filter(programme=programme, kind=ReportKind.WEEKLY).only(
        "id", "date", "state", "subject", "recipient_count", "sent_at"
    )[:60]
    data = report.data if report is not None else weekly_figures(programme=programme)
    return render(
        request,
        "handover/weekly.html",
        _base(access, report=report, data=data, weeks=weeks),
    )


@require_GET
@login_required
def weekly(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest weekly summary sent, or this week's figures so far when none has been sent yet."""
    access = get_programme_for(request.user, slug)
    _require_report_reader(access)
    latest = StatusReport.objects.filter(programme=access.programme, kind=ReportKind.WEEKLY).first()
    return _weekly_page(request, access, latest)


@require_GET
@login_required
def weekly_report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_report_reader(access)
    report = get_object_or_404(StatusReport, pk=pk, programme=access.programme, kind=ReportKind.WEEKLY)
    return _weekly_page(request, access, report)
