from django.contrib import admin

from hypercare.models import BusinessCalendar, Heartbeat, Holiday, Membership, Programme


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "go_live_date", "planned_exit_date", "first_month_end_close"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "system"]
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
    list_display = ["user", "programme", "roles", "team", "business_unit", "geography", "is_active"]
    list_filter = ["programme", "team", "is_active"]
    search_fields = ["user__username", "business_unit", "geography"]
    raw_id_fields = ["user"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "calendar"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["source", "at"]
