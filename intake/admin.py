"""Read-only views of the intake records; changes go through the lead's intake page (services)."""

from django.contrib import admin

from intake.models import ChatChannel, ChatIdentity, InboundMail, Mailbox


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


@admin.register(ChatChannel)
class ChatChannelAdmin(ReadOnly):
    list_display = ("programme", "platform", "name", "team_id", "channel_id", "created_at")
    list_filter = ("platform", "programme")
    exclude = ("token_encrypted",)


@admin.register(ChatIdentity)
class ChatIdentityAdmin(ReadOnly):
    """Staff may delete a link (someone left, or linked the wrong account); it is made again by a one-time link."""

    list_display = ("user", "platform", "team_id", "chat_user_id", "chat_name", "linked_at")
    list_filter = ("platform",)
    exclude = ("link_nonce",)
