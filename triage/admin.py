from django.contrib import admin

from triage.models import OnCallShift, QueueLead, SeverityRule, SlaAlert, SlaPolicy, SlaTarget, Standup


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["programme", "effective_from", "created_by", "note"]
    list_filter = ["programme"]
    inlines = [SlaTargetInline]
    raw_id_fields = ["created_by"]


@admin.register(SeverityRule)
class SeverityRuleAdmin(admin.ModelAdmin):
    list_display = ["programme", "impact_scope", "workaround", "blocks_vital_process", "severity"]
    list_filter = ["programme", "severity"]


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "severity", "created_at", "notified_at"]
    list_filter = ["kind", "severity"]
    raw_id_fields = ["ticket"]
    # The sweep's outbox: read it here, never edit it (exactly-once rests on these rows).
    readonly_fields = ["ticket", "kind", "severity", "created_at", "notified_at"]


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
