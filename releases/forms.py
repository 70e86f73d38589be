"""HTML forms of the releases app. They shape input; the rules live in releases.services."""

import re

from django import forms

from hypercare.forms import DateField
from releases.models import (
    Cadence,
    ChangeKind,
    Hotfix,
    ReportKind,
    Risk,
    Stage,
    WebhookEvent,
    WebhookFormat,
)
from tickets.models import KnownIssue

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class HotfixForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        label="What changes for users",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Plain business language; it goes into the release notes.",
    )
    tickets = forms.CharField(
        label="Tickets fixed",
        required=False,
        help_text="References separated by commas or spaces, e.g. ACME-12, ACME-15.",
    )
    known_issue = forms.ModelChoiceField(queryset=KnownIssue.objects.none(), required=False)
    emergency = forms.BooleanField(
        label="Emergency path (Sev1)",
        required=False,
        help_text="Same stages, with a shortened UAT signed off by a hypercare lead. Recorded for good.",
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["known_issue"].queryset = (
            KnownIssue.objects.open().filter(programme=programme).order_by("title")
        )

    def clean_tickets(self) -> list[str]:
        return [ref for ref in re.split(r"[\s,;]+", self.cleaned_data["tickets"]) if ref]


class AdvanceForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)
    evidence_link = forms.URLField(
        label="Evidence link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="The regression run, the merge request or the UAT record.",
    )
    pass_count = forms.IntegerField(label="Regression tests passed", required=False, min_value=0)
    report = forms.FileField(label="Or upload the regression report", required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReleaseSettingsForm(forms.Form):
    cadence = forms.ChoiceField(label="Patch cadence", choices=Cadence.choices)
    status_hour = forms.IntegerField(label="Daily status leaves at (local hour)", min_value=0, max_value=23)
    weekly_weekday = forms.TypedChoiceField(label="Weekly summary on", choices=WEEKDAYS, coerce=int)


class ReleaseCreateForm(forms.Form):
    planned_for = DateField()


class ProductionChangeForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ChangeKind.choices)
    component = forms.CharField(
        label="What is touched", max_length=200, help_text="e.g. Opportunity validation rule VR_Close_Date"
    )
    description = forms.CharField(label="The change", widget=forms.Textarea(attrs={"rows": 3}))
    impact_assessment = forms.CharField(
        label="Impact assessment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Who and what is affected, data-integrity risk, and why the hotfix path is not enough.",
    )
    risk = forms.ChoiceField(choices=Risk.choices, initial=Risk.MEDIUM)
    rollback_plan = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hotfix = forms.ModelChoiceField(queryset=Hotfix.objects.none(), required=False, label="Related hotfix")

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hotfix"].queryset = Hotfix.objects.filter(programme=programme).order_by("-pk")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)
    format = forms.ChoiceField(
        choices=WebhookFormat.choices,
        initial=WebhookFormat.GENERIC,
        required=False,  # scripts written before formats existed get the generic JSON
        help_text="Slack: an incoming webhook URL. Teams: a Workflows “When a Teams webhook request is received” URL.",
    )
    secret = forms.CharField(
        required=False, max_length=200, help_text="Leave empty to generate one (shown once, below)."
    )


class PreferencesForm(forms.Form):
    daily_status = forms.BooleanField(label=ReportKind.DAILY.label + " by email", required=False)
    weekly_summary = forms.BooleanField(label=ReportKind.WEEKLY.label + " by email", required=False)


class BulletinForm(forms.Form):
    """A bulletin draft as the change manager edits it: one item a line in each section."""

    date = DateField(label="For", help_text="The day the bulletin is for.")
    title = forms.CharField(max_length=200, help_text="The e-mail's subject and the archive's heading.")
    business_units = forms.MultipleChoiceField(
        label="Business units",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every business unit.",
    )
    geographies = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every geography. With both, a member must be in a ticked unit and place.",
    )
    fixed = forms.CharField(
        label="What was fixed", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One item a line.",
    )  # fmt: skip
    coming = forms.CharField(
        label="What is coming, and when", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One item a line, with its expected date.",
    )  # fmt: skip
    workarounds = forms.CharField(
        label="Workarounds to use meanwhile", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One item a line.",
    )  # fmt: skip
    message = forms.CharField(
        label="A short word from you", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, units: list[str], places: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_units"].choices = [(u, u) for u in units]
        self.fields["geographies"].choices = [(p, p) for p in places]


class TimeInput(forms.TimeInput):
    """An <input type="time"> that renders its value as 09:30."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class BulletinScheduleForm(forms.Form):
    send_at = forms.TimeField(
        label="Send the daily bulletin at",
        required=False,
        widget=TimeInput,
        help_text="Local time of the programme, on working days of its calendar. Empty: only sent by hand.",
    )
