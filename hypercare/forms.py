from datetime import date

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from hypercare.calendar import WEEKDAYS, CalendarError, validate_working_hours
from hypercare.models import Programme, ProgrammeStatus
from hypercare.roles import Role, Team

# What <input type="date"> and <input type="datetime-local"> read and write, whatever the locale:
# a date rendered in the display format ("12/11/2026") shows as an empty input, and saving the
# form unchanged would erase it. Every form's date and date-time inputs use these (a test scans
# the forms modules for any that does not).
HTML_DATE_FORMAT = "%Y-%m-%d"
HTML_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """An <input type="date"> that renders its value in ISO form."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=HTML_DATE_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    """An <input type="datetime-local"> that renders its value as 2026-12-03T09:30."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=HTML_DATETIME_FORMAT)


class DateField(forms.DateField):
    widget = DateInput


class DateTimeField(forms.DateTimeField):
    """A date and time typed in a datetime-local input (minutes; seconds accepted from scripts)."""

    widget = DateTimeInput
    input_formats = [HTML_DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


DATE_INPUT = DateInput()


class ProgrammeForm(forms.ModelForm):
    bau_desk_url = forms.URLField(
        label="BAU service desk web address", max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Programme
        fields = [
            "name",
            "slug",
            "ticket_prefix",
            "system",
            "go_live_date",
            "planned_exit_date",
            "first_month_end_close",
            "timezone",
            "status",
            "bau_desk_name",
            "bau_desk_url",
            "bau_desk_email",
        ]
        widgets = {
            "go_live_date": DATE_INPUT,
            "planned_exit_date": DATE_INPUT,
            "first_month_end_close": DATE_INPUT,
        }
        help_texts = {
            "bau_desk_name": "Where new issues go once hypercare is closed, e.g. Acme IT Service Desk.",
            "status": "A programme closes when its sponsor and operational owner have signed off.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        if self.instance.pk and self.instance.is_closed:
            status.disabled = True  # reopened only by a revocation of a sign-off
        else:
            status.choices = [c for c in status.choices if c[0] != ProgrammeStatus.CLOSED]

    def clean(self):
        data = super().clean()
        if (
            data.get("go_live_date")
            and data.get("planned_exit_date")
            and data["planned_exit_date"] < data["go_live_date"]
        ):
            self.add_error("planned_exit_date", "The planned exit cannot be before go-live.")
        return data


class CalendarForm(forms.Form):
    """Working hours per weekday (blank = day off) and holidays, one per line: 2026-12-25 Christmas Day."""

    holiday_country = forms.CharField(
        required=False,
        max_length=10,
        help_text="Optional ISO code (GB, US, DE, GB-SCT …) to add public holidays.",
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One holiday per line: an ISO date, then optionally its name.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            self.fields[f"{day}_start"] = forms.CharField(
                required=False, max_length=5, label=f"{day.title()} from"
            )
            self.fields[f"{day}_end"] = forms.CharField(
                required=False, max_length=5, label=f"{day.title()} to"
            )

    @classmethod
    def initial_for(cls, calendar) -> dict:
        initial = {"holiday_country": calendar.holiday_country}
        for day in WEEKDAYS:
            span = (calendar.working_hours or {}).get(day)
            initial[f"{day}_start"], initial[f"{day}_end"] = span or ("", "")
        initial["holidays"] = "\n".join(
            f"{h.date.isoformat()} {h.name}".strip() for h in calendar.holidays.all()
        )
        return initial

    def day_fields(self):
        return [(day, self[f"{day}_start"], self[f"{day}_end"]) for day in WEEKDAYS]

    def clean_holidays(self) -> list[tuple[date, str]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            raw_date, _, name = line.partition(" ")
            try:
                parsed.append((date.fromisoformat(raw_date), name.strip()))
            except ValueError:
                raise ValidationError(
                    f"Line {number}: {raw_date!r} is not a date in YYYY-MM-DD form."
                ) from None
        return parsed

    def clean(self):
        data = super().clean()
        try:
            validate_working_hours(self.working_hours())
        except CalendarError as error:
            message = str(error)
            day = next((day for day in WEEKDAYS if message.startswith(f"working_hours.{day}")), None)
            if day is not None:
                self.add_error(f"{day}_start", message.replace(f"working_hours.{day}", day.title(), 1))
            else:
                self.add_error(None, message.replace("working_hours", "Working hours", 1))
        return data

    def working_hours(self) -> dict:
        hours = {}
        for day in WEEKDAYS:
            start = self.cleaned_data.get(f"{day}_start", "").strip()
            end = self.cleaned_data.get(f"{day}_end", "").strip()
            hours[day] = [start, end] if (start or end) else None
        return hours


class MemberForm(forms.Form):
    """A lead invites by e-mail (or changes a current member's roles by username); staff add an
    account directly by username."""

    email = forms.EmailField(
        required=False,
        help_text="The person receives an invitation here and joins when they accept it.",
    )
    username = forms.CharField(
        max_length=150,
        required=False,
        help_text="Only to change the roles of someone already on this programme (staff: any account).",
    )
    name = forms.CharField(max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only a programme administrator grants or removes the business sponsor and operational "
        "owner roles, and a signatory holds no lead, desk or engineer role. Nobody changes their own roles.",
    )
    team = forms.ChoiceField(choices=Team.choices)
    business_unit = forms.CharField(max_length=100, required=False)
    geography = forms.CharField(max_length=100, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("username"):
            self.add_error("email", "Give the e-mail address of the person to invite.")
        return data


class AuditFilterForm(forms.Form):
    """The audit page's and export's filters (all optional)."""

    event = forms.CharField(
        max_length=60, required=False, help_text="An event (membership.added) or a family (membership)."
    )
    actor = forms.CharField(max_length=150, required=False, help_text="A username.")
    since = DateField(required=False, label="From")
    until = DateField(required=False, label="To (inclusive)")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", "The end of the range cannot be before its start.")
        return data


class InvitationAccountForm(forms.Form):
    """The account an invitation creates: its username and password."""

    username = forms.CharField(
        max_length=150, validators=[UnicodeUsernameValidator()], help_text="Letters, digits and @ . + - _"
    )
    name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(widget=forms.PasswordInput, strip=False, label="Password again")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
