"""Read-only views of the intake records; changes go through the lead's intake page (services)."""

from django.contrib import admin

from intake.models import InboundMail, Mailbox


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(ReadOnly):
    list_display = ("programme", "username", "host", "folder", "enabled", "last_polled_at")
    exclude = ("password_encrypted",)


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnly):
    list_display = ("message_id", "programme", "outcome", "sender", "subject", "received_at")
    list_filter = ("outcome", "programme")
    exclude = ("raw",)
