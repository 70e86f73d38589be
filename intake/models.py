"""A programme's intake mailbox and the ledger of every mail read from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hypercare.models import Programme


class Security(models.TextChoices):
    SSL = "ssl", "SSL/TLS (IMAPS, usually port 993)"
    STARTTLS = "starttls", "STARTTLS (usually port 143)"
    NONE = "none", "None (plain text: a local test server only)"


class Mailbox(models.Model):
    """Where a programme's intake mail arrives: an IMAP folder polled by Celery beat.

    The password is either stored encrypted (`password_encrypted`, see intake.crypto) or read
    from the environment variable named in `password_env`, which wins when set.
    """

    programme = models.OneToOneField(Programme, models.CASCADE, related_name="intake_mailbox")
    enabled = models.BooleanField(default=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(max_length=255)
    password_encrypted = models.TextField(blank=True)
    password_env = models.CharField(max_length=100, blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.username}@{self.host}/{self.folder}"


class Outcome(models.TextChoices):
    TICKET = "ticket", "Logged as a ticket"
    COMMENT = "comment", "Added as a comment"
    IGNORED = "ignored", "Ignored (auto-reply or bulk mail)"
    NOT_MEMBER = "not_member", "Sender is not a member: answered"
    REFUSED = "refused", "Refused: the sender was told why"
    FAILED = "failed", "Failed: kept for the leads"


class InboundMailQuerySet(models.QuerySet):
    def needing_attention(self) -> InboundMailQuerySet:
        """Mails a lead should look at: those that failed, newest first."""
        return self.filter(outcome=Outcome.FAILED).order_by("-received_at", "-pk")


class InboundMail(models.Model):
    """One mail read from a mailbox, keyed on its Message-ID: the exactly-once ledger.

    A row is inserted (the claim) in the same transaction that creates the ticket or the
    comment, so a worker that dies mid-message leaves neither the row nor the ticket behind
    and the next poll processes the mail again; a second worker on the same mail waits on
    the unique key and then finds it taken. A mail that fails is stored raw with its error.
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="inbound_mails")
    message_id = models.CharField(max_length=255)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    sender = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    raw = models.BinaryField()
    error = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", models.SET_NULL, null=True, blank=True, related_name="inbound_mails"
    )
    comment = models.ForeignKey(
        "tickets.Comment", models.SET_NULL, null=True, blank=True, related_name="inbound_mails"
    )
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=1)

    objects = InboundMailQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "message_id"], name="inboundmail_message_once")
        ]
        indexes = [
            models.Index(
                fields=["programme", "received_at"],
                name="inboundmail_failed",
                condition=Q(outcome="failed"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.outcome})"


# War-room chat ----------------------------------------------------------------------------------


class ChatPlatform(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class ChatChannel(models.Model):
    """A Slack or Teams channel a lead linked to a programme: what is logged there lands here.

    Slack: the workspace (team id) and the channel id; requests are signed with the
    installation's signing secret. Teams: the outgoing webhook's security token (stored
    encrypted, see intake.crypto) and, optionally, one channel id; a blank channel takes every
    channel of the team the outgoing webhook belongs to.
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="chat_channels")
    platform = models.CharField(max_length=10, choices=ChatPlatform.choices)
    team_id = models.CharField(max_length=255, blank=True)
    channel_id = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=100, blank=True)
    token_encrypted = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["platform", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "team_id", "channel_id"],
                name="chatchannel_once",
                condition=Q(platform="slack"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name or self.channel_id or self.team_id}"


class ChatIdentity(models.Model):
    """A chat user (platform, workspace or tenant, user id) linked to a Hypercare account.

    `link_nonce` is the nonce of the one-time link that made it: unique, so a link is used once.
    """

    platform = models.CharField(max_length=10, choices=ChatPlatform.choices)
    team_id = models.CharField(max_length=255)
    chat_user_id = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="chat_identities")
    chat_name = models.CharField(max_length=255, blank=True)
    link_nonce = models.CharField(max_length=64, unique=True)
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["platform", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "team_id", "chat_user_id"], name="chatidentity_one_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.chat_user_id} → {self.user}"
