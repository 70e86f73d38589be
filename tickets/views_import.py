"""The CSV import wizard (leads only: upload, map columns, map values, dry run, commit) and the queue export."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.audit import audit
from hypercare.views import apply_errors, require_lead
from hypercare.vocabulary import Category, Severity
from tickets.exports import tickets_csv
from tickets.filters import TicketFilter, export_defaults
from tickets.import_jobs import import_mapping_save, import_progress, import_start, proposed_mapping
from tickets.imports import (
    DATE_ORDERS,
    MAX_DISTINCT_VALUES,
    MAX_IMPORT_BYTES,
    TARGETS,
    TRACKERS,
    VALUE_TARGETS,
    CsvTable,
    ImportMapping,
    People,
    csv_read,
    detect_tracker,
    ignored_columns,
    import_check,
    proposed_matches,
    suggest_values,
    value_choices,
)
from tickets.models import ImportState, Ticket, TicketImport

SIGNING_SALT = "tickets.import"
PLAN_MAX_AGE = 24 * 3600


def _session_key(slug: str) -> str:
    return f"ticket-import:{slug}"


def _lead(request: HttpRequest, slug: str) -> ProgrammeAccess:
    access = get_programme_for(request.user, slug)
    require_lead(access, request)
    return access


class PendingImport:
    """The uploaded file (in storage, under a random name) and the mapping so far, kept in the session."""

    def __init__(self, request: HttpRequest, access: ProgrammeAccess):
        self.request = request
        self.access = access
        self.key = _session_key(access.programme.slug)
        self.data = request.session.get(self.key)

    @property
    def exists(self) -> bool:
        return bool(self.data) and default_storage.exists(self.data["file"])

    def table(self) -> CsvTable:
        with default_storage.open(self.data["file"], "rb") as handle:
            return csv_read(handle.read())

    @property
    def mapping(self) -> ImportMapping:
        return ImportMapping.from_dict(self.data["mapping"])

    @property
    def source_name(self) -> str:
        return self.data["source_name"]

    def start(self, *, content: bytes, source_name: str, table: CsvTable) -> None:
        self.discard()
        name = default_storage.save(
            f"imports/{self.access.programme.pk}/{uuid.uuid4().hex}.csv", ContentFile(content)
        )
        mapping = proposed_mapping(access=self.access, table=table)
        self.data = {
            "file": name,
            "source_name": source_name,
            "tracker": detect_tracker(table.headers),
            "mapping": mapping.to_dict(),
        }
        self.save()

    def set_mapping(self, mapping: ImportMapping) -> None:
        self.data["mapping"] = mapping.to_dict()
        self.save()

    def save(self) -> None:
        self.request.session[self.key] = self.data
        self.request.session.modified = True

    def discard(self) -> None:
        if self.data and self.data.get("file") and default_storage.exists(self.data["file"]):
            default_storage.delete(self.data["file"])
        self.request.session.pop(self.key, None)
        self.data = None


def _context(access: ProgrammeAccess, step: str, **extra) -> dict:
    return {"access": access, "programme": access.programme, "step": step, **extra}


def _start_again(
    request: HttpRequest, slug: str, message: str = "Upload the CSV file first."
) -> HttpResponse:
    messages.error(request, message)
    return redirect("tickets:import", slug)


# Forms ---------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A Jira, ServiceNow or Zendesk CSV export, or a spreadsheet saved as CSV (UTF-8 or "
        "Windows-1252), 64 MB and 60,000 rows at most, with a header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class MappingForm(forms.Form):
    default_category = forms.ChoiceField(
        choices=Category.choices, initial=Category.DEFECT, help_text="For rows without a category."
    )
    default_severity = forms.TypedChoiceField(
        choices=[("", "None: every row needs a severity")]
        + [(str(v), label) for v, label in Severity.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For rows without a severity.",
    )
    date_order = forms.ChoiceField(
        choices=[("", "Read it from the file")] + DATE_ORDERS,
        required=False,
        help_text="How to read dates like 03/04/2026: a day or month above 12 in the file decides; when every "
        "date could be either, choose. ISO dates (2026-04-03) and Jira's 03/Apr/26 are always clear.",
    )
    time_zone = forms.ChoiceField(
        label="Source time zone",
        required=False,
        help_text="Where the export's times without a UTC offset were written (the tracker's or your profile's "
        "zone). Empty: the programme's time zone.",
    )
    labels = forms.MultipleChoiceField(
        label="Labels and tags",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their values join the process field (Jira: Labels; Zendesk: Tags).",
    )
    public_comments = forms.MultipleChoiceField(
        label="Public comments",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Jira: Comment; ServiceNow: comments. Champions see them.",
    )
    internal_comments = forms.MultipleChoiceField(
        label="Internal comments",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="ServiceNow: work_notes. Only the support team sees them.",
    )

    def __init__(self, *args, table: CsvTable, programme_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        choices = [("", "— not in the file —")] + [(header, header) for header in table.headers]
        columns = {}
        for target in TARGETS:
            columns[target.name] = forms.ChoiceField(
                label=target.label, choices=choices, required=False, help_text=target.help
            )
        # The column fields first, in the order of TARGETS.
        self.fields = {**columns, **self.fields}
        self.fields["time_zone"].choices = [("", f"The programme's ({programme_zone})")] + [
            (zone, zone) for zone in sorted(available_timezones())
        ]
        for name in ("labels", "public_comments", "internal_comments"):
            self.fields[name].choices = choices[1:]

    def mapping(self, previous: ImportMapping) -> ImportMapping:
        data = self.cleaned_data
        comments = dict.fromkeys(data.get("public_comments", []), "public")
        comments.update(dict.fromkeys(data.get("internal_comments", []), "internal"))
        mapping = ImportMapping(
            columns={target.name: data[target.name] for target in TARGETS if data.get(target.name)},
            values=previous.values,
            labels=list(data.get("labels", [])),
            comments=comments,
            default_category=data["default_category"],
            default_severity=data["default_severity"],
            date_order=data["date_order"],
            time_zone=data["time_zone"],
        )
        mapping.values = suggest_values(self.table, mapping)
        return mapping

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.mapping(ImportMapping()).validate(self.table)
        except ValidationError as error:
            apply_errors(self, error)
        return data


class ValuesForm(forms.Form):
    """One choice per distinct source value of the category, severity and status columns."""

    def __init__(self, *args, suggestions: dict[str, dict[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups: list[tuple[str, list[str], bool]] = []
        self.slots: dict[str, tuple[str, str]] = {}
        for target in VALUE_TARGETS:
            values = list(suggestions.get(target, {}))
            if not values:
                continue
            truncated = len(values) > MAX_DISTINCT_VALUES
            names = []
            for number, value in enumerate(values[:MAX_DISTINCT_VALUES]):
                name = f"{target}-{number}"
                self.fields[name] = forms.ChoiceField(
                    label=value,
                    choices=[("", "— not mapped: refuse these rows —")] + value_choices(target),
                    required=False,
                    initial=suggestions[target][value],
                )
                self.slots[name] = (target, value)
                names.append(name)
            self.groups.append((target, names, truncated))

    def bound_groups(self):
        return [
            (target, [self[name] for name in names], truncated) for target, names, truncated in self.groups
        ]

    def values(self) -> dict[str, dict[str, str]]:
        chosen: dict[str, dict[str, str]] = {}
        for name, (target, value) in self.slots.items():
            chosen.setdefault(target, {})[value] = self.cleaned_data.get(name) or ""
        return chosen


# The wizard ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1: upload the CSV file."""
    access = _lead(request, slug)
    pending = PendingImport(request, access)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(MAX_IMPORT_BYTES + 1)
        try:
            table = csv_read(content)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            pending.start(content=content, source_name=upload.name.rsplit("/", 1)[-1][:100], table=table)
            return redirect("tickets:import_map", slug)
    return render(
        request,
        "tickets/import.html",
        _context(access, "upload", form=form, pending=pending.data if pending.exists else None),
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_map(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 2: which column holds what."""
    access = _lead(request, slug)
    pending = PendingImport(request, access)
    if not pending.exists:
        return _start_again(request, slug)
    table = pending.table()
    mapping = pending.mapping
    initial = {
        **mapping.columns,
        "default_category": mapping.default_category,
        "default_severity": mapping.default_severity,
        "date_order": mapping.date_order,
        "time_zone": mapping.time_zone,
        "labels": mapping.labels,
        "public_comments": [h for h, kind in mapping.comments.items() if kind == "public"],
        "internal_comments": [h for h, kind in mapping.comments.items() if kind == "internal"],
    }
    form = MappingForm(
        request.POST or None, table=table, initial=initial, programme_zone=access.programme.timezone
    )
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping(mapping)
        pending.set_mapping(mapping)
        if any(mapping.columns.get(target) for target in VALUE_TARGETS):
            return redirect("tickets:import_values", slug)
        return redirect("tickets:import_preview", slug)
    sample = [cells for _, cells in table.rows[:3]]
    return render(
        request,
        "tickets/import_map.html",
        _context(
            access,
            "map",
            form=form,
            column_fields=[form[target.name] for target in TARGETS],
            option_fields=[
                form["default_category"],
                form["default_severity"],
                form["date_order"],
                form["time_zone"],
            ],
            list_fields=[form["labels"], form["public_comments"], form["internal_comments"]],
            headers=table.headers,
            sample=sample,
            row_count=len(table.rows),
            source_name=pending.source_name,
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_values(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 3: what the source's categories, priorities and statuses mean here."""
    access = _lead(request, slug)
    pending = PendingImport(request, access)
    if not pending.exists:
        return _start_again(request, slug)
    table = pending.table()
    mapping = pending.mapping
    form = ValuesForm(request.POST or None, suggestions=suggest_values(table, mapping))
    if request.method == "POST" and form.is_valid():
        mapping.values = form.values()
        pending.set_mapping(mapping)
        return redirect("tickets:import_preview", slug)
    return render(
        request,
        "tickets/import_values.html",
        _context(access, "values", form=form, groups=form.bound_groups(), columns=mapping.columns),
    )


def _signed(pending: PendingImport) -> str:
    return signing.dumps(
        {"file": pending.data["file"], "mapping": pending.data["mapping"]}, salt=SIGNING_SALT, compress=True
    )


@require_GET
@login_required
def import_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 4: what the file says read with this mapping: the rows it cannot read, the columns it
    ignores, the people it matches, warnings; then the dry run (a job) and the import."""
    access = _lead(request, slug)
    pending = PendingImport(request, access)
    if not pending.exists:
        return _start_again(request, slug)
    table = pending.table()
    mapping = pending.mapping
    people = People(access.programme, table)
    try:
        plan = import_check(access=access, table=table, mapping=mapping, people=people)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tickets:import_map", slug)
    tracker = pending.data.get("tracker", "csv")
    return render(
        request,
        "tickets/import_preview.html",
        _context(
            access,
            "preview",
            plan=plan,
            sample=plan.rows[:10],
            zone=mapping.zone(access.programme),
            signed_plan=_signed(pending),
            source_name=pending.source_name,
            ignored=ignored_columns(table, mapping),
            matches=proposed_matches(table, mapping, people),
            tracker=tracker,
            tracker_name=TRACKERS.get(tracker, tracker),
        ),
    )


def _start_job(request: HttpRequest, slug: str, *, dry_run: bool) -> HttpResponse:
    access = _lead(request, slug)
    pending = PendingImport(request, access)
    try:
        signed = signing.loads(request.POST.get("plan", ""), salt=SIGNING_SALT, max_age=PLAN_MAX_AGE)
    except signing.BadSignature:
        return _start_again(request, slug, "This import has expired or was changed: please start again.")
    if not pending.exists or signed != {"file": pending.data["file"], "mapping": pending.data["mapping"]}:
        return _start_again(request, slug, "The mapping changed since the dry run: check the preview again.")
    try:
        job = import_start(
            access=access,
            file=pending.data["file"],
            source_name=pending.source_name,
            mapping=pending.mapping,
            dry_run=dry_run,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tickets:import_map", slug)
    audit(
        "tickets.import_started", actor=request.user, programme=access.programme, id=job.pk, dry_run=dry_run
    )
    return redirect("tickets:import_job", slug, job.pk)


@require_POST
@login_required
def import_dry_run(request: HttpRequest, slug: str) -> HttpResponse:
    """Run the dry run as a job: every row through the same code as the import, then rolled back."""
    return _start_job(request, slug, dry_run=True)


@require_POST
@login_required
def import_commit(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 5: import every row in one transaction, or none (a job with a progress bar)."""
    return _start_job(request, slug, dry_run=False)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def import_job(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A dry run or import: its progress (htmx polls the partial; the page has a refresh link), then its outcome."""
    access = _lead(request, slug)
    job = get_object_or_404(TicketImport, programme=access.programme, pk=pk)
    pending = PendingImport(request, access)
    finished = job.state in (ImportState.DONE, ImportState.FAILED)
    same_file = pending.exists and pending.data["file"] == job.file
    imported = finished and not job.dry_run and job.state == ImportState.DONE and not job.refused
    signed_plan = _signed(pending) if same_file else ""
    can_commit = (
        finished
        and job.dry_run
        and job.state == ImportState.DONE
        and not job.refused
        and same_file
        and pending.data["mapping"] == job.mapping
    )
    if imported and same_file:
        pending.discard()  # the file is in; the wizard starts afresh
        audit("tickets.imported", actor=request.user, programme=access.programme, count=len(job.references))
    context = _context(
        access,
        "preview",
        job=job,
        progress=import_progress(job),
        finished=finished,
        imported=imported,
        can_commit=can_commit,
        signed_plan=signed_plan,
        queue_url=reverse("tickets:queue", args=[slug]) + "?view=all&status=any&sort=-reference",
    )
    template = "tickets/import_job.html" + ("#import-progress" if request.htmx else "")
    return render(request, template, context)


@require_POST
@login_required
def import_save_mapping(request: HttpRequest, slug: str) -> HttpResponse:
    """Keep the current mapping for the next file from the same tracker."""
    access = _lead(request, slug)
    pending = PendingImport(request, access)
    if not pending.exists:
        return _start_again(request, slug)
    tracker = pending.data.get("tracker", "csv")
    import_mapping_save(access=access, tracker=tracker, mapping=pending.mapping)
    messages.success(
        request, f"Mapping saved: the next {TRACKERS.get(tracker, tracker)} file will start from it."
    )
    return redirect("tickets:import_preview", slug)


@require_POST
@login_required
def import_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """Forget the uploaded file and its mapping."""
    access = _lead(request, slug)
    PendingImport(request, access).discard()
    messages.info(request, "The import was cancelled; nothing was stored.")
    return redirect("tickets:import", slug)


# The export ----------------------------------------------------------------------------------


@require_GET
@login_required
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """The filtered queue as CSV, with the filters of the queue page and the API (same names)."""
    access = get_programme_for(request.user, slug)
    data = request.GET.copy()
    for name, value in export_defaults(access).items():
        data.setdefault(name, value)
    tickets = Ticket.objects.visible_to(access).for_list()
    filters = TicketFilter(data, queryset=tickets, request=request, access=access)
    if not filters.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
        return HttpResponse(f"Bad filter: {problems}", status=400, content_type="text/plain; charset=utf-8")
    audit("tickets.exported", actor=request.user, programme=access.programme, filters=request.GET.urlencode())
    zone = ZoneInfo(access.programme.timezone)
    rows = filters.qs.iterator(chunk_size=500)
    response = StreamingHttpResponse(tickets_csv(rows, zone=zone), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().astimezone(zone).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{access.programme.slug}-tickets-{stamp}.csv"'
    return response
