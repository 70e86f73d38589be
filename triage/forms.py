"""Forms of the triage pages. Times are typed in the programme's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model

from hypercare.forms import DateField, DateTimeField
from hypercare.models import Membership
from hypercare.roles import QUEUE_WORKERS
from hypercare.vocabulary import Clock, ImpactScope, Severity, Workaround
from triage.services.team import NOT_A_QUEUE_WORKER, NOTIFICATION_KINDS

SEVERITY_CHOICES = [(value, f"Sev{value}") for value in Severity.values]


def aware(value: datetime | None, tz: str) -> datetime | None:
    """A datetime-local value read in the programme's zone (fold=0 in the repeated autumn hour)."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(tz))


class LocalDateTimeField(DateTimeField):
    """A date and time typed in the programme's zone (see `aware`)."""


class SlaPolicyForm(forms.Form):
    """Four rows (one per severity) of targets, and when the new version applies."""

    effective_from = LocalDateTimeField(
        required=False, help_text="Leave empty for now. Tickets already triaged keep their version."
    )
    note = forms.CharField(
        max_length=200, required=False, help_text="Why the targets change (shown in the history)."
    )

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = {t.severity: t for t in policy.targets.all()} if policy else {}
        for severity in Severity.values:
            row = current.get(severity)
            self.fields[f"sev{severity}_response_minutes"] = forms.IntegerField(
                min_value=1, label="Response (minutes)", initial=row.response_minutes if row else None
            )
            self.fields[f"sev{severity}_resolution_minutes"] = forms.IntegerField(
                min_value=1,
                required=False,
                label="Resolution (minutes)",
                help_text="Empty: no resolution target.",
                initial=row.resolution_minutes if row else None,
            )
            self.fields[f"sev{severity}_clock"] = forms.ChoiceField(
                choices=Clock.choices, label="Clock", initial=row.clock if row else Clock.BUSINESS
            )
            self.fields[f"sev{severity}_at_risk_percent"] = forms.IntegerField(
                min_value=1, max_value=100, label="At risk at (%)", initial=row.at_risk_percent if row else 75
            )

    def rows(self):
        """(severity, [response, resolution, clock, at risk] bound fields), for the table."""
        names = ("response_minutes", "resolution_minutes", "clock", "at_risk_percent")
        return [(severity, [self[f"sev{severity}_{name}"] for name in names]) for severity in Severity.values]

    def targets(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "severity": severity,
                "response_minutes": data[f"sev{severity}_response_minutes"],
                "resolution_minutes": data[f"sev{severity}_resolution_minutes"],
                "clock": data[f"sev{severity}_clock"],
                "at_risk_percent": data[f"sev{severity}_at_risk_percent"],
            }
            for severity in Severity.values
        ]

    def error_for_service(self, field: str) -> str | None:
        """The form field a service error such as "targets.sev3.resolution_minutes" belongs to."""
        parts = field.split(".")
        if len(parts) == 3 and parts[0] == "targets":
            name = f"{parts[1]}_{parts[2]}"
            return name if name in self.fields else None
        return field if field in self.fields else None


def cell_name(scope: str, workaround: str, vital: bool) -> str:
    return f"cell__{scope}__{workaround}__{'vital' if vital else 'other'}"


class MatrixForm(forms.Form):
    """One severity per combination of triage answers."""

    def __init__(self, *args, matrix: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for (scope, workaround, vital), severity in matrix.items():
            self.fields[cell_name(scope, workaround, vital)] = forms.TypedChoiceField(
                choices=SEVERITY_CHOICES, coerce=int, initial=severity, label=f"{scope} {workaround} {vital}"
            )

    def grid(self):
        """Rows per scope; columns per (workaround, vital process blocked)."""
        columns = [(w, v) for w in Workaround.values for v in (True, False)]
        return [
            (ImpactScope(scope).label, [self[cell_name(scope, w, v)] for w, v in columns])
            for scope in ImpactScope.values
        ]

    @staticmethod
    def columns():
        return [(Workaround(w).label, v) for w in Workaround.values for v in (True, False)]

    def cells(self) -> list[dict]:
        cells = []
        for name, severity in self.cleaned_data.items():
            _, scope, workaround, vital = name.split("__")
            cells.append(
                {
                    "impact_scope": scope,
                    "workaround": workaround,
                    "blocks_vital_process": vital == "vital",
                    "severity": severity,
                }
            )
        return cells


def queue_workers(programme):
    return (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.active()
            .filter(programme=programme)
            .with_any_role(*QUEUE_WORKERS)
            .values("user_id")
        )
        .order_by("username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": NOT_A_QUEUE_WORKER}

    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class OnCallShiftForm(forms.Form):
    user = PersonChoiceField(queryset=get_user_model().objects.none(), label="Who is on call")
    starts_at = LocalDateTimeField(label="From")
    ends_at = LocalDateTimeField(label="Until")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = queue_workers(programme)


class QueueLeadsForm(forms.Form):
    tier2 = PersonChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Tier 2 (desk) queue lead"
    )
    tier3 = PersonChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Tier 3 (engineers) queue lead"
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tier2", "tier3"):
            self.fields[name].queryset = queue_workers(programme)


class PreferencesForm(forms.Form):
    """Email and in-app per kind of notification."""

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NOTIFICATION_KINDS.items():
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                required=False, initial=current[kind]["in_app"], label=f"{label}: in the app"
            )
            self.fields[f"{kind}__email"] = forms.BooleanField(
                required=False, initial=current[kind]["email"], label=f"{label}: by email"
            )

    def rows(self):
        return [
            (kind, label, self[f"{kind}__in_app"], self[f"{kind}__email"])
            for kind, label in NOTIFICATION_KINDS.items()
        ]

    def choices(self) -> dict:
        return {
            kind: {
                "in_app": self.cleaned_data[f"{kind}__in_app"],
                "email": self.cleaned_data[f"{kind}__email"],
            }
            for kind in NOTIFICATION_KINDS
        }


class PeriodForm(forms.Form):
    start = DateField(required=False)
    end = DateField(required=False, help_text="Up to and including.")
