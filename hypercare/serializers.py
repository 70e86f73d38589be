from django.contrib.auth import get_user_model
from rest_framework import serializers

from hypercare.calendar import WEEKDAYS, CalendarError, validate_working_hours
from hypercare.models import Membership, Programme
from hypercare.roles import Role, Team

User = get_user_model()

WORKING_HOURS_HELP = 'Working hours per weekday, e.g. {"mon": ["09:00", "17:00"], …, "sat": null}; "24:00" ends a day at midnight.'


class WorkingHoursField(serializers.JSONField):
    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        try:
            return validate_working_hours(data)
        except CalendarError as error:
            raise serializers.ValidationError(str(error)) from None


class HolidaysField(serializers.ListField):
    def to_representation(self, holidays):
        return [holiday.date.isoformat() for holiday in holidays.all()]


class ProgrammeSerializer(serializers.ModelSerializer):
    working_hours = WorkingHoursField(
        source="calendar.working_hours", required=False, help_text=WORKING_HOURS_HELP
    )
    holidays = HolidaysField(
        source="calendar.holidays",
        child=serializers.DateField(),
        required=False,
        help_text="Public holidays as ISO dates.",
    )
    holiday_country = serializers.CharField(
        source="calendar.holiday_country", required=False, allow_blank=True, max_length=10
    )
    exits_before_month_end = serializers.BooleanField(read_only=True)
    bau_desk_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="The BAU service desk's web address: where new issues go once hypercare is closed.",
    )

    class Meta:
        model = Programme
        fields = [
            "name",
            "slug",
            "ticket_prefix",
            "system",
            "timezone",
            "status",
            "go_live_date",
            "planned_exit_date",
            "first_month_end_close",
            "working_hours",
            "holidays",
            "holiday_country",
            "exits_before_month_end",
            "bau_desk_name",
            "bau_desk_url",
            "bau_desk_email",
            "exit_review_started_at",
            "closed_at",
        ]
        read_only_fields = ["exit_review_started_at", "closed_at"]
        extra_kwargs = {
            "ticket_prefix": {"required": False},
            "status": {
                "help_text": "planned, active or exit_review: a programme closes through its sign-offs "
                "and reopens when one is revoked, never by setting its status."
            },
            "bau_desk_name": {"help_text": "Where new issues go once hypercare is closed."},
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["working_hours"] = {day: instance.calendar.working_hours.get(day) for day in WEEKDAYS}
        return data

    def validate(self, attrs):
        go_live = attrs.get("go_live_date", getattr(self.instance, "go_live_date", None))
        exit_date = attrs.get("planned_exit_date", getattr(self.instance, "planned_exit_date", None))
        if go_live and exit_date and exit_date < go_live:
            raise serializers.ValidationError(
                {"planned_exit_date": "The planned exit cannot be before go-live."}
            )
        return attrs

    @staticmethod
    def flatten(attrs: dict) -> dict:
        """Serializer data as keyword arguments for the programme services."""
        calendar = attrs.pop("calendar", {})
        attrs.update(calendar)
        return attrs


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(
        source="user.username",
        max_length=150,
        required=False,
        allow_blank=True,
        help_text="Staff: the account to add (created when new). A lead: only to change the roles of a current "
        "member of this programme.",
    )
    email = serializers.EmailField(
        source="user.email",
        required=False,
        allow_blank=True,
        help_text="A lead: where the invitation goes (required unless `username` names a current member).",
    )
    name = serializers.CharField(
        source="user.get_full_name", required=False, allow_blank=True, max_length=150
    )
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), min_length=1)
    team = serializers.ChoiceField(choices=Team.choices, default=Team.PROJECT)

    class Meta:
        model = Membership
        fields = ["username", "email", "name", "roles", "team", "business_unit", "geography", "is_active"]
        read_only_fields = ["is_active"]
