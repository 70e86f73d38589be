"""Pages of the metrics app: the scorecard with drill-downs and CSV, telemetry, baselines, tokens, thresholds."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import get_programme_for
from hypercare.views import apply_errors, require_lead
from metrics import services
from metrics.charts import CHARTS, QUEUE_CHARTS, build_chart, chart_csv, charts_for_kpi, render_svg
from metrics.forms import BaselineForm, CsvUploadForm, SeriesForm, ThresholdForm, TokenForm
from metrics.kpis import KPI_BY_SLUG, KPIS, Area, Direction, threshold_for
from metrics.models import Baseline, IngestionToken, KpiThreshold, MetricSeries, TelemetryUpload
from metrics.scorecard import ProgrammeMetrics
from metrics.selectors import satisfaction_weekly
from metrics.telemetry import DIMENSIONS

PREVIEW_ROWS = 20


def _range(request: HttpRequest) -> tuple[date | None, date | None]:
    """Optional ?from=&to= of a drill-down or CSV; a bad date is ignored (the default range is shown)."""
    bounds = []
    for name in ("from", "to"):
        try:
            bounds.append(date.fromisoformat(request.GET.get(name, "")))
        except ValueError:
            bounds.append(None)
    return bounds[0], bounds[1]


def _chart_entries(metrics: ProgrammeMetrics, slugs: list[str], slug: str) -> list[dict]:
    entries = []
    for chart_slug in slugs:
        chart = build_chart(metrics, chart_slug)
        entries.append(
            {"chart": chart, "svg": render_svg(chart, chart_id=f"chart-{chart_slug}"), "slug": chart_slug}
        )
    return entries


@require_GET
@login_required
def scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    metrics = ProgrammeMetrics(access.programme, at=timezone.now())
    context = {
        "access": access,
        "programme": access.programme,
        "metrics": metrics,
        "areas": metrics.areas(),
        "findings": metrics.findings(),
        "queue_charts": _chart_entries(metrics, QUEUE_CHARTS, slug),
        # Reporters' ratings of resolutions, week by week (metrics.selectors.satisfaction).
        "satisfaction": satisfaction_weekly(access.programme, weeks=4),
    }
    return render(request, "metrics/scorecard.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def kpi_detail(request: HttpRequest, slug: str, kpi: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    if kpi not in KPI_BY_SLUG:
        raise Http404("No such KPI.")
    start, end = _range(request)
    metrics = ProgrammeMetrics(access.programme, at=timezone.now(), start=start, end=end)
    context = {
        "access": access,
        "programme": access.programme,
        "metrics": metrics,
        "result": metrics.result(kpi),
        "charts": _chart_entries(metrics, charts_for_kpi(kpi), slug),
    }
    template = "metrics/kpi.html" + ("#drilldown" if request.htmx else "")
    return render(request, template, context)


@require_GET
@login_required
def chart_data(request: HttpRequest, slug: str, chart: str) -> HttpResponse:
    """A chart's numbers as CSV (one row per day), for the spreadsheet behind every chart."""
    access = get_programme_for(request.user, slug)
    if chart not in CHARTS:
        raise Http404("No such chart.")
    start, end = _range(request)
    metrics = ProgrammeMetrics(access.programme, at=timezone.now(), start=start, end=end)
    response = HttpResponse(chart_csv(build_chart(metrics, chart)), content_type="text/csv; charset=utf-8")
    filename = f"{access.programme.slug}-{chart}-{metrics.start}-{metrics.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Telemetry -----------------------------------------------------------------------------------


def _telemetry_page(request, access, *, series_form=None, upload_form=None, errors=None, status=200):
    series = (
        MetricSeries.objects.filter(programme=access.programme)
        .annotate(points_count=Count("points"), last_date=Max("points__date"))
        .order_by("-is_standard", "slug")
    )
    context = {
        "access": access,
        "programme": access.programme,
        "series": series,
        "series_form": series_form or SeriesForm(),
        "upload_form": upload_form or CsvUploadForm(),
        "upload_errors": errors or [],
        "dimensions": DIMENSIONS,
    }
    return render(request, "metrics/telemetry.html", context, status=status)


@require_GET
@login_required
def telemetry(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    return _telemetry_page(request, access)


@require_POST
@login_required
def series_create(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    form = SeriesForm(request.POST)
    if form.is_valid():
        try:
            series = services.series_create(programme=access.programme, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Series {series.slug} added.")
            return redirect("metrics:telemetry", slug=slug)
    return _telemetry_page(request, access, series_form=form, status=400)


@require_POST
@login_required
def telemetry_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Check a CSV file and show a preview; nothing is stored in the series until the lead commits."""
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _telemetry_page(request, access, upload_form=form, status=400)
    upload_file = form.cleaned_data["file"]
    if upload_file.size > services.MAX_CSV_BYTES:
        return _telemetry_page(
            request, access, upload_form=form, errors=["File: larger than 5 MB: split it."], status=400
        )
    try:
        upload = services.telemetry_upload_stage(
            programme=access.programme, content=upload_file.read(), filename=upload_file.name, by=request.user
        )
    except services.TelemetryRejected as rejected:
        return _telemetry_page(request, access, upload_form=form, errors=rejected.messages(), status=400)
    return redirect("metrics:upload_preview", slug=slug, pk=upload.pk)


def _pending_upload(access, pk: int) -> TelemetryUpload:
    return get_object_or_404(TelemetryUpload, pk=pk, programme=access.programme)


@require_GET
@login_required
def upload_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    upload = _pending_upload(access, pk)
    errors, rows, per_series = [], [], {}
    try:
        result = services.telemetry_csv_validate(programme=access.programme, content=upload.content)
    except services.TelemetryRejected as rejected:
        errors = rejected.messages()
    else:
        slugs = dict(MetricSeries.objects.filter(programme=access.programme).values_list("pk", "slug"))
        for series_id, day, unit, geography, obj, value in result.rows:
            per_series[slugs[series_id]] = per_series.get(slugs[series_id], 0) + 1
            if len(rows) < PREVIEW_ROWS:
                rows.append((slugs[series_id], day, unit, geography, obj, value))
    context = {
        "access": access,
        "programme": access.programme,
        "upload": upload,
        "rows": rows,
        "per_series": sorted(per_series.items()),
        "errors": errors,
        "preview_rows": PREVIEW_ROWS,
    }
    return render(request, "metrics/upload_preview.html", context)


@require_POST
@login_required
def upload_commit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    upload = _pending_upload(access, pk)
    try:
        count = services.telemetry_upload_commit(upload=upload, by=request.user)
    except services.TelemetryRejected as rejected:
        for message in rejected.messages(limit=10):
            messages.error(request, message)
        return redirect("metrics:upload_preview", slug=slug, pk=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("metrics:telemetry", slug=slug)
    messages.success(request, f"{count} data points stored from {upload.filename or 'the file'}.")
    return redirect("metrics:telemetry", slug=slug)


# Baselines -----------------------------------------------------------------------------------


def _baselines_page(request, access, *, form=None, upload_form=None, errors=None, status=200):
    baselines = Baseline.objects.filter(series__programme=access.programme).select_related(
        "series", "updated_by"
    )
    context = {
        "access": access,
        "programme": access.programme,
        "baselines": baselines,
        "form": form or BaselineForm(programme=access.programme),
        "upload_form": upload_form or CsvUploadForm(),
        "upload_errors": errors or [],
    }
    return render(request, "metrics/baselines.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def baselines(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    if request.method == "GET":
        return _baselines_page(request, access)
    require_lead(access, request)
    form = BaselineForm(request.POST, programme=access.programme)
    if form.is_valid():
        try:
            services.baseline_set(programme=access.programme, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Baseline saved.")
            return redirect("metrics:baselines", slug=slug)
    return _baselines_page(request, access, form=form, status=400)


@require_POST
@login_required
def baselines_upload(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _baselines_page(request, access, upload_form=form, status=400)
    try:
        count = services.baselines_import_csv(
            programme=access.programme, content=form.cleaned_data["file"].read(), by=request.user
        )
    except services.TelemetryRejected as rejected:
        return _baselines_page(request, access, upload_form=form, errors=rejected.messages(), status=400)
    messages.success(request, f"{count} baselines saved.")
    return redirect("metrics:baselines", slug=slug)


@require_POST
@login_required
def baseline_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    baseline = get_object_or_404(
        Baseline.objects.select_related("series"), pk=pk, series__programme=access.programme
    )
    services.baseline_delete(baseline=baseline, by=request.user)
    messages.success(request, "Baseline removed.")
    return redirect("metrics:baselines", slug=slug)


# Ingestion tokens ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.ingestion_token_create(
                programme=access.programme, name=form.cleaned_data["name"], by=request.user
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            new_key = created.key
            form = TokenForm()
    context = {
        "access": access,
        "programme": access.programme,
        "tokens": IngestionToken.objects.filter(programme=access.programme).select_related("created_by"),
        "form": form,
        "new_key": new_key,
    }
    response = render(request, "metrics/tokens.html", context, status=400 if form.errors else 200)
    # The key is shown once: never from a cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    token = get_object_or_404(IngestionToken, pk=pk, programme=access.programme)
    services.ingestion_token_revoke(token=token, by=request.user)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("metrics:tokens", slug=slug)


# Thresholds ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def thresholds(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    programme = access.programme
    failed: tuple[str, ThresholdForm] | None = None
    if request.method == "POST":
        require_lead(access, request)
        kpi = request.POST.get("kpi", "")
        if kpi not in KPI_BY_SLUG:
            raise Http404("No such KPI.")
        if "reset" in request.POST:
            services.threshold_reset(programme=programme, kpi=kpi, by=request.user)
            messages.success(request, f"{KPI_BY_SLUG[kpi].name}: back to the default thresholds.")
            return redirect("metrics:thresholds", slug=slug)
        form = ThresholdForm(request.POST, auto_id=False)
        if form.is_valid():
            try:
                services.threshold_set(
                    programme=programme,
                    kpi=kpi,
                    green=form.cleaned_data["green"],
                    red=form.cleaned_data["red"],
                    green_high=form.cleaned_data["green_high"],
                    by=request.user,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"{KPI_BY_SLUG[kpi].name}: thresholds saved.")
                return redirect("metrics:thresholds", slug=slug)
        failed = (kpi, form)
    overrides = {row.kpi: row for row in KpiThreshold.objects.filter(programme=programme)}
    rows = []
    for kpi in KPIS:
        threshold = threshold_for(kpi, overrides)
        if failed and failed[0] == kpi.slug:
            form = failed[1]
        else:
            form = ThresholdForm(
                initial={
                    "kpi": kpi.slug,
                    "green": threshold.green,
                    "red": threshold.red,
                    "green_high": threshold.green_high,
                },
                auto_id=False,
            )
        rows.append(
            {
                "kpi": kpi,
                "area": Area(kpi.area).label,
                "threshold": threshold,
                "text": threshold.describe(kpi.unit),
                "is_band": threshold.direction == Direction.BAND,
                "custom": kpi.slug in overrides,
                "default_text": kpi.threshold.describe(kpi.unit),
                "gate": bool(kpi.gate_criterion),
                "form": form,
            }
        )
    return render(
        request,
        "metrics/thresholds.html",
        {"access": access, "programme": programme, "rows": rows},
        status=400 if failed else 200,
    )
