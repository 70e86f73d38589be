from django.contrib import admin

from sla.models import SeverityRule, SlaPolicy, SlaTarget


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
