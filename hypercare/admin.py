"""Admin of the core. Roles and a programme's status change only through the app's services (the
members page and API, the sign-offs), so the rules and the record of signatory changes hold here too."""

from django.contrib import admin
from django.db import models

from hypercare.models import (
    AuditEntry,
    BusinessCalendar,
    Heartbeat,
    Holiday,
    Invitation,
    Membership,
    Programme,
    SignatoryRoleChange,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["user", "roles", "is_active"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "go_live_date", "planned_exit_date", "first_month_end_close"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "system"]
    readonly_fields = ["status", "exit_review_started_at", "closed_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [MembershipInline]


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["programme", "holiday_country"]
    inlines = [HolidayInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Read the roles here; change them on the programme's members page (or its API)."""

    list_display = ["user", "programme", "roles", "team", "business_unit", "geography", "is_active"]
    list_filter = ["programme", "team", "is_active"]
    search_fields = ["user__username", "business_unit", "geography"]
    raw_id_fields = ["user"]
    readonly_fields = ["programme", "user", "roles", "is_active"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SignatoryRoleChange)
class SignatoryRoleChangeAdmin(admin.ModelAdmin):
    """The record of sponsor and operational-owner role changes: read-only."""

    list_display = ["programme", "member", "old_roles", "new_roles", "changed_by", "at"]
    list_filter = ["programme"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "calendar"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["source", "at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The whole audit trail, programme-less events (API tokens) included: read-only."""

    list_display = ["at", "event", "actor_name", "programme", "target"]
    list_filter = ["programme"]
    search_fields = ["event", "actor_name", "target"]
    date_hierarchy = "at"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are sent and accepted in the app; read them here."""

    list_display = ["email", "programme", "roles", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["programme"]
    search_fields = ["email"]
    exclude = ["token_hash"]
