"""Forms of the handover pages. They validate input; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from handover.criteria import USES_SHARE, USES_THRESHOLD, USES_WINDOW
from handover.models import AttestationOutcome, CriterionKind, ItemKind, PhaseKind
from hypercare.forms import DateField
from hypercare.models import Membership
from metrics.kpis import KPI_BY_GATE_CRITERION
from metrics.selectors import DEFAULT_DAYS


class CriterionAddForm(forms.Form):
    kind = forms.ChoiceField(choices=CriterionKind.choices)
    title = forms.CharField(max_length=200, required=False, help_text="Blank: the kind's standard title.")
    threshold = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=4)
    window_days = forms.IntegerField(required=False, min_value=1, max_value=366)
    share_threshold = forms.DecimalField(
        required=False, min_value=0, max_value=100, max_digits=7, decimal_places=4, label="Daily BAU share (%)",
        help_text="Co-management only: the share of each working day's handled tickets BAU must handle (blank: 25).",
    )  # fmt: skip
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


# What the threshold means for the kinds where "threshold" alone would not say.
THRESHOLD_LABELS = {
    CriterionKind.BAU_COMANAGED: "Days co-managed",
    CriterionKind.BAU_RAN_QUEUE: "BAU share of the tickets handled (%)",
    CriterionKind.NO_RESCUE: "Rescues allowed",
}


class CriterionEditForm(forms.Form):
    """Title, threshold and window of one criterion; the open-tickets rule also picks its seed variant."""

    VARIANTS = [
        ("zero", "Zero open Sev1 and zero open Sev2 (the default)"),
        ("cap", "Zero open Sev1 and open Sev2 under an agreed cap"),
    ]

    title = forms.CharField(max_length=200)
    threshold = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=4)
    window_days = forms.IntegerField(required=False, min_value=1, max_value=366)
    share_threshold = forms.DecimalField(
        required=False, min_value=0, max_value=100, max_digits=7, decimal_places=4, label="Daily BAU share (%)",
        help_text="The share of each working day's handled tickets BAU staff must have handled (blank: 25).",
    )  # fmt: skip
    variant = forms.ChoiceField(choices=VARIANTS, required=False, widget=forms.RadioSelect)
    sev2_cap = forms.IntegerField(required=False, min_value=1, max_value=10_000, label="Sev2 cap")

    def __init__(self, *args, criterion, **kwargs):
        self.criterion = criterion
        initial = {
            "title": criterion.title,
            "threshold": getattr(criterion, "threshold_in_force", criterion.threshold),
            "window_days": criterion.window_days,
            "share_threshold": criterion.share_threshold,
        }
        if criterion.kind == CriterionKind.OPEN_SEV12:
            cap = int(criterion.threshold or 0)
            initial |= {"variant": "cap" if cap else "zero", "sev2_cap": cap or None}
        kwargs.setdefault("initial", initial)
        kwargs.setdefault("prefix", f"c{criterion.pk}")
        super().__init__(*args, **kwargs)
        if criterion.kind == CriterionKind.OPEN_SEV12:
            del self.fields["threshold"]
        else:
            del self.fields["variant"]
            del self.fields["sev2_cap"]
            if criterion.kind not in USES_THRESHOLD:
                del self.fields["threshold"]
        if criterion.kind not in USES_WINDOW:
            del self.fields["window_days"]
        if criterion.kind not in USES_SHARE:
            del self.fields["share_threshold"]
        if "threshold" in self.fields and criterion.kind in THRESHOLD_LABELS:
            self.fields["threshold"].label = THRESHOLD_LABELS[criterion.kind]
        kpi = KPI_BY_GATE_CRITERION.get(criterion.kind)
        if kpi is not None:
            self.fields["threshold"].help_text = (
                f"The scorecard's green boundary of “{kpi.name}”: the same number judges both screens, so "
                "changing it here changes the scorecard too (and the scorecard's thresholds page changes it here)."
            )
            window_help = f"Blank: the scorecard's {DEFAULT_DAYS} days, ending today."
            self.fields["window_days"].help_text = window_help

    def clean(self):
        data = super().clean()
        if (
            self.criterion.kind == CriterionKind.OPEN_SEV12
            and data.get("variant") == "cap"
            and not data.get("sev2_cap")
        ):
            self.add_error("sev2_cap", "Give the cap on open Sev2 tickets for this variant.")
        return data

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {"title": data["title"]}
        if self.criterion.kind == CriterionKind.OPEN_SEV12:
            changes["threshold"] = data["sev2_cap"] if data.get("variant") == "cap" else 0
        elif "threshold" in self.fields:
            changes["threshold"] = data.get("threshold")
        if "window_days" in self.fields:
            changes["window_days"] = data.get("window_days")
        if "share_threshold" in self.fields:
            changes["share_threshold"] = data.get("share_threshold")
        return changes


class AttestForm(forms.Form):
    outcome = forms.ChoiceField(choices=AttestationOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What you checked")
    evidence_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="Link to the evidence"
    )
    evidence_file = forms.FileField(required=False, label="…or upload the evidence")

    def clean(self):
        data = super().clean()
        if not data.get("evidence_url") and not data.get("evidence_file"):
            self.add_error("evidence_url", "Give a link to the evidence or upload a file.")
        return data


def member_choices(programme):
    users = (
        get_user_model()
        .objects.filter(pk__in=Membership.objects.active().filter(programme=programme).values("user_id"))
        .order_by("username")
    )
    return users


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class ItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ItemKind.choices, initial=ItemKind.OTHER)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = OwnerField(queryset=get_user_model().objects.none(), required=False)
    due_date = DateField(required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices(programme)


class ItemEditForm(ItemForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class DocumentForm(forms.Form):
    document = forms.FileField(required=False, label="Upload the document")
    link = forms.URLField(required=False, max_length=500, assume_scheme="https", label="…or link to it")

    def clean(self):
        data = super().clean()
        if not data.get("document") and not data.get("link"):
            raise forms.ValidationError("Upload the document or give a link to it.")
        return data


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the item is rejected.")
        return data


class RunbookDraftForm(forms.Form):
    known_issue = forms.IntegerField(required=False, widget=forms.HiddenInput)
    tickets = forms.CharField(
        required=False,
        help_text="Ticket references separated by spaces or commas, e.g. ACME-12 ACME-31.",
        label="Resolved tickets",
    )
    title = forms.CharField(max_length=200, required=False)


class RunbookForm(forms.Form):
    title = forms.CharField(max_length=200)
    symptoms = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    steps = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Resolution steps")


class KtPhasesForm(forms.Form):
    def __init__(self, *args, phases, **kwargs):
        super().__init__(*args, **kwargs)
        starts = {p.phase: p.starts_on for p in phases}
        for value, label in PhaseKind.choices:
            self.fields[value] = DateField(label=f"{label} from", initial=starts.get(value), required=True)


class SignOffForm(forms.Form):
    """The password again, and one justification per criterion that is not passing."""

    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, failing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.failing = list(failing)
        for result in self.failing:
            self.fields[f"justify_{result.criterion.pk}"] = forms.CharField(
                label=f"Why sign although “{result.criterion.title}” does not pass ({result.status_label.lower()})?",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=True,
            )

    def justifications(self) -> dict[str, str]:
        return {
            name.removeprefix("justify_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("justify_")
        }

    def justification_fields(self):
        return [self[name] for name in self.fields if name.startswith("justify_")]


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
