from django.contrib import admin

from triage.models import OnCallShift, QueueLead, Standup


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ["programme", "user", "starts_at", "ends_at", "note"]
    list_filter = ["programme"]
    raw_id_fields = ["user", "created_by"]


@admin.register(QueueLead)
class QueueLeadAdmin(admin.ModelAdmin):
    list_display = ["programme", "tier", "user"]
    raw_id_fields = ["user"]


@admin.register(Standup)
class StandupAdmin(admin.ModelAdmin):
    list_display = ["programme", "started_at", "started_by"]
    list_filter = ["programme"]
    raw_id_fields = ["started_by"]
