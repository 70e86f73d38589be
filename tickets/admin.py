"""Admin views of tickets and known issues: read-only, since every change goes through tickets.services
(which keeps the timeline, the SLA clocks and the notifications right), and nothing is hard-deleted."""

from django.contrib import admin

from tickets.models import Attachment, Comment, KnownIssue, SlaAlert, Ticket, TicketEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "kind", "actor", "from_value", "to_value", "note", "internal"]
    readonly_fields = fields


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author", "internal", "body"]
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["created_at", "uploaded_by", "original_name", "content_type", "size", "internal"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title",
        "programme",
        "category",
        "severity",
        "tier",
        "status",
        "assignee",
        "reported_at",
    ]
    list_filter = ["programme", "status", "severity", "tier", "category", "team"]
    search_fields = ["reference", "title", "source_reference"]
    list_select_related = ["programme", "assignee"]
    date_hierarchy = "reported_at"
    inlines = [EventInline, CommentInline, AttachmentInline]


@admin.register(KnownIssue)
class KnownIssueAdmin(ReadOnlyAdmin):
    list_display = ["title", "programme", "status", "fix_expected_on", "created_at"]
    list_filter = ["programme", "status"]
    search_fields = ["title", "symptoms"]
    list_select_related = ["programme"]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "actor", "at", "internal"]
    list_filter = ["kind", "internal"]
    search_fields = ["ticket__reference"]
    list_select_related = ["ticket", "actor"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "author", "internal", "created_at"]
    list_filter = ["internal"]
    search_fields = ["ticket__reference", "body"]
    list_select_related = ["ticket", "author"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "ticket", "content_type", "size", "internal", "created_at"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "original_name"]


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "severity", "created_at", "notified_at"]
    list_filter = ["kind", "severity"]
    raw_id_fields = ["ticket"]
    # The sweep's outbox: read it here, never edit it (exactly-once rests on these rows).
    readonly_fields = ["ticket", "kind", "severity", "created_at", "notified_at"]
