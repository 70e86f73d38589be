"""Forms of the ticket pages. They shape input only: every rule lives in tickets.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from hypercare.forms import DateInput
from hypercare.vocabulary import Category, ImpactScope, Severity, Status, Tier, Workaround
from tickets.filters import SORTS
from tickets.models import DETAILS_MAX_LENGTH, TITLE_MAX_LENGTH, TRANSITIONS, KnownIssue, KnownIssueStatus

# The guided form's plain-words answers, in the order a person thinks of them.
IMPACT_CHOICES = [
    (ImpactScope.INDIVIDUAL, "Just me / one person"),
    (ImpactScope.SUBSET, "A team or a group of users"),
    (ImpactScope.DEPARTMENT, "A whole department or business unit"),
    (ImpactScope.ORGANISATION, "The whole organisation"),
]
WORKAROUND_CHOICES = [
    (Workaround.NONE, "No, we are stuck"),
    (Workaround.PAINFUL, "Yes, but it is slow or painful"),
    (Workaround.SIMPLE, "Yes, a simple one"),
]
BLOCKS_CHOICES = [("yes", "Yes, a vital process is blocked"), ("no", "No")]
SUGGESTED = ""


TITLE_TOO_LONG = (
    f"Keep the title to {TITLE_MAX_LENGTH} characters (it has %(show_value)s): put the rest in the details."
)
DETAILS_TOO_LONG = f"Keep the details to {DETAILS_MAX_LENGTH:,} characters (they have %(show_value)s): attach a longer log as a file."


def title_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        max_length=TITLE_MAX_LENGTH, error_messages={"max_length": TITLE_TOO_LONG}, **kwargs
    )


def details_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        max_length=DETAILS_MAX_LENGTH,
        required=False,
        error_messages={"max_length": DETAILS_TOO_LONG},
        **kwargs,
    )


class NoSilentCut:
    """Drops the `maxlength` attribute of text inputs: a browser cuts a longer paste without a
    word, while the form answers with a message that says what to shorten."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several uploads in one input; each is checked by the attach service, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.txt,.log,.csv,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        if not isinstance(data, list | tuple):
            data = [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in data]


class LogIssueForm(NoSilentCut, forms.Form):
    """Tier 1's guided form: a few plain questions, answerable on a phone in under a minute."""

    title = title_field(
        label="What happened?",
        help_text="In a few words, e.g. “Cannot save a quote with a discount”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "assist-text"}),
    )
    details = details_field(
        label="Details",
        help_text=f"What you did, what you expected, what you saw (error text helps; up to {DETAILS_MAX_LENGTH:,} characters).",
        widget=forms.Textarea(attrs={"rows": 3, "class": "assist-text"}),
    )
    process = forms.CharField(
        label="Which process or record?",
        max_length=200,
        required=False,
        help_text="e.g. Quote approval, Case escalation, Account merge.",
        widget=forms.TextInput(
            attrs={"list": "process-suggestions", "class": "assist-text", "autocomplete": "off"}
        ),
    )
    impact_scope = forms.ChoiceField(
        label="Who is affected?",
        choices=IMPACT_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "assist-choice"}),
    )
    workaround = forms.ChoiceField(
        label="Can people work around it?",
        choices=WORKAROUND_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "assist-choice"}),
    )
    blocks_vital_process = forms.ChoiceField(
        label="Is a vital business process blocked?",
        help_text="e.g. taking orders, invoicing, shipping, paying people.",
        choices=BLOCKS_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "assist-choice"}),
    )
    category = forms.ChoiceField(
        label="What kind of issue is it?",
        required=False,
        choices=[(SUGGESTED, "Not sure: use the suggestion")] + list(Category.choices),
        widget=forms.Select(attrs={"class": "assist-choice"}),
    )
    known_issue = forms.ModelChoiceField(
        queryset=KnownIssue.objects.none(),
        required=False,
        widget=forms.HiddenInput,
    )
    resolved_myself = forms.BooleanField(label="I already resolved it myself", required=False)
    resolution = forms.CharField(
        label="How did you resolve it?",
        required=False,
        help_text="So the next person (and the metrics) can learn from it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachments = MultipleFileField(
        label="Screenshots or files",
        required=False,
        help_text="Images, PDF, text logs or ZIP, up to 10 MB each.",
    )
    business_unit = forms.CharField(max_length=100, required=False, label="Business unit")
    geography = forms.CharField(max_length=100, required=False, label="Geography")

    def __init__(self, *args, programme, can_resolve_myself: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["known_issue"].queryset = KnownIssue.objects.filter(programme=programme)
        if not can_resolve_myself:
            del self.fields["resolved_myself"]
            del self.fields["resolution"]

    def clean(self):
        data = super().clean()
        if data.get("resolved_myself") and not (data.get("resolution") or "").strip():
            self.add_error("resolution", "Say how you resolved it, so others can learn from it.")
        return data


class TakeForm(forms.Form):
    pass


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label="Assign to", coerce=int, empty_value=None, required=False)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody (unassigned)")] + [
            (user.pk, user.get_full_name() or user.username) for user in assignees
        ]


def status_choices(ticket) -> list[tuple[str, str]]:
    """The statuses the transition action may move this ticket to (resolve and reopen have their own forms)."""
    allowed = TRANSITIONS.get(ticket.status, frozenset()) - {Status.RESOLVED}
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        allowed -= {Status.IN_PROGRESS}
    return [(value, label) for value, label in Status.choices if value in allowed]


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label="Move to")
    comment = forms.CharField(
        label="Public comment (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The reporter sees it.",
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        choices = status_choices(ticket) or [("", "No move possible")]
        if self.is_bound:
            # Any status is accepted so the service, not the form, explains why a move is refused.
            asked = self.data.get("status")
            if asked in Status.values and asked not in dict(choices):
                choices = [*choices, (asked, Status(asked).label)]
        self.fields["status"].choices = choices


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(
        label="Internal (support team only)", required=False, help_text="Champions never see it."
    )

    def __init__(self, *args, sees_internal: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not sees_internal:
            del self.fields["internal"]


class EscalateForm(forms.Form):
    to_tier = forms.TypedChoiceField(label="Move to", coerce=int, choices=Tier.choices)
    replication_steps = forms.CharField(
        label="Replication steps",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Required for Tier 3: the steps to reproduce, what happens, what should happen.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["to_tier"].choices = [(v, label) for v, label in Tier.choices if v != ticket.tier]
            self.fields["to_tier"].initial = min(ticket.tier + 1, Tier.TIER3)
            self.fields["replication_steps"].initial = ticket.replication_steps


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="Resolution for the reporter",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was wrong and what was done; the reporter is notified (from Tier 3, the desk first confirms it with them).",
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label="Why reopen it?", widget=forms.Textarea(attrs={"rows": 2}))


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(label="Severity", coerce=int, choices=Severity.choices)
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class LinkForm(forms.Form):
    known_issue = forms.ModelChoiceField(
        label="Known issue", queryset=KnownIssue.objects.none(), required=False, empty_label="None (unlink)"
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["known_issue"].queryset = KnownIssue.objects.filter(programme=programme).exclude(
            status=KnownIssueStatus.WONT_FIX
        )


class EditForm(NoSilentCut, forms.Form):
    title = title_field()
    description = details_field(widget=forms.Textarea(attrs={"rows": 4}))
    process = forms.CharField(
        label="Business process / object",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "process-suggestions"}),
    )
    business_unit = forms.CharField(max_length=100, required=False)
    geography = forms.CharField(max_length=100, required=False)
    category = forms.ChoiceField(choices=Category.choices)

    REPORTER_FIELDS = ("title", "description")

    def __init__(self, *args, full: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not full:
            for name in list(self.fields):
                if name not in self.REPORTER_FIELDS:
                    del self.fields[name]


class AttachForm(forms.Form):
    file = forms.FileField(
        label="File",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf,.txt,.log,.csv,.json,.xml,.zip"}),
        help_text="Images, PDF, text logs or ZIP, up to 10 MB.",
    )
    internal = forms.BooleanField(label="Internal (support team only)", required=False)

    def __init__(self, *args, sees_internal: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not sees_internal:
            del self.fields["internal"]


class KnownIssueForm(forms.ModelForm):
    class Meta:
        model = KnownIssue
        fields = ["title", "symptoms", "workaround", "status", "fix_expected_on"]
        widgets = {
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "workaround": forms.Textarea(attrs={"rows": 3}),
            "fix_expected_on": DateInput(),
        }
        labels = {"fix_expected_on": "Fix expected on"}


QUEUE_VIEWS = [
    ("unassigned", "Unassigned"),
    ("mine", "Mine"),
    ("team", "My team's"),
    ("tier2", "Tier 2 queue"),
    ("tier3", "Tier 3 queue"),
    ("all", "All"),
]
STATUS_FILTERS = [("open", "Open (any)"), ("done", "Done (any)"), ("any", "Any status")] + list(
    Status.choices
)


class QueueFilterForm(forms.Form):
    """The queue's filters; anything unknown falls back to the default rather than failing the page."""

    view = forms.ChoiceField(choices=QUEUE_VIEWS, required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity")] + list(Severity.choices), coerce=int, empty_value=None, required=False
    )
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    category = forms.ChoiceField(choices=[("", "Any category")] + list(Category.choices), required=False)
    business_unit = forms.ChoiceField(choices=[("", "Any business unit")], required=False)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words or a reference"}),
    )
    known_issue = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)

    def __init__(self, *args, business_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].choices = [("", "Any business unit")] + [
            (unit, unit) for unit in business_units
        ]

    def value(self, name: str, default=None):
        """The cleaned value of a filter, or `default` when it is missing or invalid."""
        self.is_valid()
        return self.cleaned_data.get(name) or default


def field_errors(error: ValidationError, rename: dict[str, str]) -> ValidationError:
    """A service's error with its field names mapped onto the form's."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({rename.get(field, field): errors for field, errors in error.error_dict.items()})


class CannedReplyForm(forms.Form):
    title = forms.CharField(max_length=100, help_text="How the desk finds it, e.g. “Password reset steps”.")
    body = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 5}), help_text="The desk edits it before sending."
    )


class DuplicateForm(forms.Form):
    original = forms.CharField(
        label="Original ticket", max_length=30, help_text="Its reference, e.g. ACME-12 (same programme)."
    )

    def clean_original(self) -> str:
        return self.cleaned_data["original"].strip().upper()
