"""Admin for the handover app. Sign-offs are read-only here: no add, change or delete."""

from django.contrib import admin

from handover.models import Attestation, ExitCriterion, HandoverItem, KtPhase, Runbook, SignOff


class AttestationInline(admin.TabularInline):
    model = Attestation
    extra = 0
    fields = ("outcome", "note", "evidence_url", "evidence_name", "by", "at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExitCriterion)
class ExitCriterionAdmin(admin.ModelAdmin):
    list_display = ("title", "programme", "kind", "threshold", "window_days", "position")
    list_filter = ("kind", "programme")
    search_fields = ("title",)
    inlines = [AttestationInline]


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ("criterion", "outcome", "by", "at")
    list_filter = ("outcome",)
    raw_id_fields = ("criterion", "by")


@admin.register(HandoverItem)
class HandoverItemAdmin(admin.ModelAdmin):
    list_display = ("title", "programme", "kind", "owner", "due_date", "status")
    list_filter = ("status", "kind", "programme")
    search_fields = ("title",)
    raw_id_fields = ("owner", "decided_by")


@admin.register(Runbook)
class RunbookAdmin(admin.ModelAdmin):
    list_display = ("title", "programme", "known_issue", "updated_at")
    search_fields = ("title", "steps")
    raw_id_fields = ("known_issue", "tickets", "item", "created_by")


@admin.register(KtPhase)
class KtPhaseAdmin(admin.ModelAdmin):
    list_display = ("programme", "phase", "starts_on")
    list_filter = ("phase",)


@admin.register(SignOff)
class SignOffAdmin(admin.ModelAdmin):
    """Sign-offs can be read, never added, changed or deleted here (they are revoked in the app)."""

    list_display = ("programme", "kind", "signatory", "role", "signed_at", "gate_green", "ip_address")
    list_filter = ("kind", "gate_green")
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
