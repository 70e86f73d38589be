from django.contrib import admin

from releases.models import (
    Hotfix,
    HotfixStage,
    PatchRelease,
    ProductionChange,
    ReleaseSettings,
    StatusReport,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)


class HotfixStageInline(admin.TabularInline):
    model = HotfixStage
    extra = 0
    can_delete = False
    readonly_fields = [
        "stage",
        "by",
        "at",
        "evidence_link",
        "evidence_file",
        "pass_count",
        "note",
        "emergency",
    ]

    def has_add_permission(self, request, obj=None):
        return False  # stages are recorded through the hotfix protocol, never by hand


@admin.register(Hotfix)
class HotfixAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "programme", "stage", "emergency", "release", "created_at"]
    list_filter = ["stage", "emergency", "programme"]
    search_fields = ["title", "summary"]
    raw_id_fields = ["tickets", "known_issue", "release", "created_by"]
    readonly_fields = ["stage", "stage_changed_at", "deployed_at", "emergency"]
    inlines = [HotfixStageInline]


@admin.register(PatchRelease)
class PatchReleaseAdmin(admin.ModelAdmin):
    list_display = ["number", "programme", "planned_for", "status", "deployed_at"]
    list_filter = ["status", "programme"]
    readonly_fields = ["notes", "deployed_at", "deployed_by"]


@admin.register(ProductionChange)
class ProductionChangeAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "kind", "risk", "status", "requested_by", "requested_at"]
    list_filter = ["status", "risk", "kind", "programme"]
    readonly_fields = ["status", "decided_by", "decided_at", "decision_note"]


@admin.register(ReleaseSettings)
class ReleaseSettingsAdmin(admin.ModelAdmin):
    list_display = ["programme", "cadence", "status_hour", "weekly_weekday"]


@admin.register(StatusReport)
class StatusReportAdmin(admin.ModelAdmin):
    list_display = ["programme", "kind", "date", "state", "recipient_count", "sent_at"]
    list_filter = ["kind", "state", "programme"]
    readonly_fields = ["data"]


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    fields = ["event", "key", "state", "attempts", "last_status_code", "delivered_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "programme", "url", "is_active"]
    list_filter = ["is_active", "programme"]
    exclude = ["secret"]
    inlines = [WebhookDeliveryInline]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    readonly_fields = ["number", "at", "status_code", "error", "duration_ms"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["key", "event", "webhook", "state", "attempts", "last_status_code", "created_at"]
    list_filter = ["state", "event"]
    readonly_fields = ["payload"]
    inlines = [WebhookAttemptInline]
