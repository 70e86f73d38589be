"""Hotfixes and their gated stages, patch releases, production configuration changes,
status reports to the sponsor and leadership, and outgoing webhooks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, Prefetch, Q

from hypercare.models import Programme
from tickets.models import KnownIssue, Ticket


class Stage(models.TextChoices):
    """The emergency hotfix protocol of seed 000, in order. No stage is ever skipped."""

    DEV_SANDBOX = "dev_sandbox", "Built and tested in a developer sandbox"
    HOTFIX_SANDBOX = "hotfix_sandbox", "Merged into the hotfix sandbox (clone of production)"
    REGRESSION_PASSED = "regression_passed", "Automated regression suite passed"
    UAT_SIGNED_OFF = "uat_signed_off", "UAT signed off"
    DEPLOYED = "deployed", "Deployed to production"


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)
SHORT_STAGE_LABELS = {
    "": "Recorded",
    Stage.DEV_SANDBOX: "Dev sandbox",
    Stage.HOTFIX_SANDBOX: "Hotfix sandbox",
    Stage.REGRESSION_PASSED: "Regression passed",
    Stage.UAT_SIGNED_OFF: "UAT signed off",
    Stage.DEPLOYED: "Deployed",
}


def stage_index(stage: str) -> int:
    """Position of a stage in the protocol; -1 for a hotfix that has not started."""
    return STAGE_ORDER.index(stage) if stage else -1


class HotfixQuerySet(models.QuerySet):
    def of(self, programme) -> HotfixQuerySet:
        return self.filter(programme=programme)

    def not_deployed(self) -> HotfixQuerySet:
        return self.exclude(stage=Stage.DEPLOYED)

    def deployed(self) -> HotfixQuerySet:
        return self.filter(stage=Stage.DEPLOYED)

    def for_list(self, access=None) -> HotfixQuerySet:
        """Everything a list row shows, in a fixed number of queries: the tickets the member may see."""
        tickets = Ticket.objects.order_by("number")
        if access is not None:
            tickets = tickets.visible_to(access)
        return self.select_related("known_issue", "release", "created_by").prefetch_related(
            Prefetch("tickets", queryset=tickets.only("id", "reference", "title", "severity", "programme_id"))
        )


class Hotfix(models.Model):
    """A fix on its way to production through the gated stages of the hotfix protocol."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="hotfixes")
    title = models.CharField(max_length=200)
    summary = models.TextField(
        "what changes for users",
        blank=True,
        help_text="One or two sentences in plain business language; used in release notes.",
    )
    tickets = models.ManyToManyField(Ticket, related_name="hotfixes", blank=True)
    known_issue = models.ForeignKey(
        KnownIssue, models.SET_NULL, null=True, blank=True, related_name="hotfixes"
    )
    # Set once at creation and never cleared: the record always shows that the emergency path was used.
    emergency = models.BooleanField(default=False)
    stage = models.CharField(max_length=20, choices=Stage.choices, blank=True, default="")
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    release = models.ForeignKey(
        "PatchRelease", models.SET_NULL, null=True, blank=True, related_name="hotfixes"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    objects = HotfixQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "hotfixes"
        indexes = [
            models.Index(fields=["programme", "stage"], name="hotfix_programme_stage"),
            models.Index(fields=["programme", "-deployed_at"], name="hotfix_programme_deployed"),
        ]

    def __str__(self) -> str:
        return f"Hotfix #{self.pk} {self.title}"

    @property
    def stage_label(self) -> str:
        return SHORT_STAGE_LABELS[self.stage]

    @property
    def next_stage(self) -> str | None:
        position = stage_index(self.stage) + 1
        return STAGE_ORDER[position] if position < len(STAGE_ORDER) else None

    @property
    def next_stage_label(self) -> str:
        return SHORT_STAGE_LABELS[self.next_stage] if self.next_stage else ""

    @property
    def progress(self) -> int:
        """Stages done, 0 to 5 (for the progress bar)."""
        return stage_index(self.stage) + 1

    @property
    def plain_summary(self) -> str:
        return self.summary.strip() or self.title


def evidence_path(instance: HotfixStage, filename: str) -> str:
    # A random name on disk: the uploaded name is kept in the row, never trusted as a path.
    return f"releases/evidence/{instance.hotfix.programme_id}/{uuid.uuid4().hex}"


class HotfixStage(models.Model):
    """One stage a hotfix passed: who recorded it, when, and the evidence."""

    hotfix = models.ForeignKey(Hotfix, models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField()
    evidence_link = models.URLField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to=evidence_path, blank=True)
    evidence_file_name = models.CharField(max_length=255, blank=True)
    pass_count = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    # True when a hypercare lead signed UAT off on the shortened emergency path.
    emergency = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            # A double submit cannot record a stage twice.
            models.UniqueConstraint(fields=["hotfix", "stage"], name="hotfixstage_once_per_stage"),
            models.CheckConstraint(
                condition=~Q(stage="regression_passed")
                | (Q(pass_count__gte=1) & (~Q(evidence_link="") | ~Q(evidence_file=""))),
                name="hotfixstage_regression_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} by {self.by} at {self.at:%Y-%m-%d %H:%M}"


class Cadence(models.TextChoices):
    DAILY = "daily", "Daily"
    EVERY_OTHER_DAY = "every_other_day", "Every other day"


CADENCE_DAYS = {Cadence.DAILY: 1, Cadence.EVERY_OTHER_DAY: 2}


class ReleaseSettings(models.Model):
    """A programme's patch cadence and the local hour its status emails leave."""

    programme = models.OneToOneField(Programme, models.CASCADE, related_name="release_settings")
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.DAILY)
    status_hour = models.PositiveSmallIntegerField(
        default=8, help_text="Local hour (programme time zone) from which the daily status is sent."
    )
    weekly_weekday = models.PositiveSmallIntegerField(
        default=0, help_text="Day of the weekly leadership summary (Monday = 0)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "release settings"
        constraints = [
            models.CheckConstraint(condition=Q(status_hour__lte=23), name="releasesettings_hour_0_23"),
            models.CheckConstraint(condition=Q(weekly_weekday__lte=6), name="releasesettings_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {self.get_cadence_display()} patches"


class ReleaseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DEPLOYED = "deployed", "Deployed"
    CANCELLED = "cancelled", "Cancelled"


class PatchReleaseQuerySet(models.QuerySet):
    def planned(self) -> PatchReleaseQuerySet:
        return self.filter(status=ReleaseStatus.PLANNED)

    def deployed(self) -> PatchReleaseQuerySet:
        return self.filter(status=ReleaseStatus.DEPLOYED)

    def with_counts(self) -> PatchReleaseQuerySet:
        return self.select_related("deployed_by").annotate(
            hotfix_count=Count("hotfixes", distinct=True),
            ready_count=Count(
                "hotfixes",
                filter=Q(hotfixes__stage__in=[Stage.UAT_SIGNED_OFF, Stage.DEPLOYED]),
                distinct=True,
            ),
        )


class PatchRelease(models.Model):
    """A hypercare patch: hotfixes bundled for one deployment on the programme's cadence."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="patch_releases")
    number = models.PositiveIntegerField()
    planned_for = models.DateField()
    status = models.CharField(max_length=20, choices=ReleaseStatus.choices, default=ReleaseStatus.PLANNED)
    notes = models.TextField(blank=True, help_text="Release notes, frozen when the release is deployed.")
    deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = PatchReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_for", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="patchrelease_number_unique"),
            # One planned release per day: planning the next one twice creates nothing.
            models.UniqueConstraint(
                fields=["programme", "planned_for"],
                condition=Q(status="planned"),
                name="patchrelease_one_planned_per_day",
            ),
            models.CheckConstraint(
                condition=~Q(status="deployed") | Q(deployed_at__isnull=False),
                name="patchrelease_deployed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Patch {self.number} ({self.planned_for:%d %b %Y})"

    @property
    def name(self) -> str:
        return f"Patch {self.number}"


class ChangeStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting a lead's approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ChangeKind(models.TextChoices):
    VALIDATION_RULE = "validation_rule", "Validation rule"
    FLOW = "flow", "Active flow / automation"
    PERMISSION = "permission", "Profile / permission"
    LAYOUT = "layout", "Page layout"
    INTEGRATION = "integration", "Integration setting"
    OTHER = "other", "Other configuration"


class ProductionChange(models.Model):
    """A change made directly to production configuration, outside the hotfix path (seed 000 warns)."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="production_changes")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, default=ChangeKind.OTHER)
    component = models.CharField("what is touched", max_length=200)
    description = models.TextField("the change")
    impact_assessment = models.TextField()
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.MEDIUM)
    rollback_plan = models.TextField(blank=True)
    hotfix = models.ForeignKey(
        Hotfix, models.SET_NULL, null=True, blank=True, related_name="production_changes"
    )
    status = models.CharField(
        max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.AWAITING_APPROVAL
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["programme", "status"], name="prodchange_programme_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(impact_assessment=""), name="prodchange_has_impact_assessment"
            ),
            models.CheckConstraint(
                condition=Q(status="awaiting_approval")
                | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="prodchange_decision_has_lead",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReportKind(models.TextChoices):
    DAILY = "daily_status", "Daily status"
    WEEKLY = "weekly_summary", "Weekly summary"


class ReportState(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class StatusReport(models.Model):
    """A daily status or weekly summary as sent: the row is claimed before any email leaves."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="status_reports")
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    date = models.DateField(help_text="The local date (programme time zone) the report is for.")
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.SENDING)
    subject = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    recipient_count = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "kind"]
        constraints = [
            # Once per programme per day and kind, even when the task runs twice.
            models.UniqueConstraint(fields=["programme", "date", "kind"], name="statusreport_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.programme} for {self.date}"


class WebhookEvent(models.TextChoices):
    SEV1_TICKET = "sev1_ticket", "A Sev1 ticket is logged"
    BREACH = "breach", "An SLA is breached"
    RELEASE = "release", "A patch release is deployed"
    DAILY_STATUS = "daily_status", "The daily status is sent"
    BULLETIN = "bulletin", "A user bulletin is sent"
    KPI_ALERT = "kpi_alert", "A KPI turns red or recovers"
    FORECAST_LATE = "forecast_late", "The exit forecast falls after the planned exit"


class WebhookFormat(models.TextChoices):
    """How a delivery's body is shaped for the receiver."""

    GENERIC = "generic", "Generic JSON"
    SLACK = "slack", "Slack (Block Kit)"
    TEAMS = "teams", "Microsoft Teams (Adaptive Card)"


class Webhook(models.Model):
    """An outgoing webhook (Slack- or Teams-compatible) a lead registered for some events."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Signs each delivery (HMAC-SHA256).")
    events = models.JSONField(default=list)
    format = models.CharField(max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.GENERIC)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def event_labels(self) -> list[str]:
        return [WebhookEvent(event).label for event in self.events if event in WebhookEvent.values]

    @property
    def masked_secret(self) -> str:
        return "•" * 8 + self.secret[-4:] if len(self.secret) > 8 else "•" * 8


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    GAVE_UP = "gave_up", "Gave up"


class WebhookDelivery(models.Model):
    """The outbox: one event for one webhook, delivered once (unique key), retried with backoff."""

    webhook = models.ForeignKey(Webhook, models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=20, choices=WebhookEvent.choices)
    key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # An attempt in flight holds the row until then: a second worker skips it.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "key"], name="webhookdelivery_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhookdelivery_due", condition=Q(state="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.key} → {self.webhook}"


class WebhookAttempt(models.Model):
    """One try at delivering: the response code (or the network error) and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery}: {self.status_code or self.error}"


class BulletinState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"


def _lines(text: str) -> list[str]:
    """A section's items: one a line, without the "- " a person may type in front."""
    return [
        line.strip().removeprefix("- ").removeprefix("• ").strip()
        for line in text.splitlines()
        if line.strip()
    ]


class Bulletin(models.Model):
    """The change manager's daily word to users: what was fixed, what is coming, what to do meanwhile.

    Sent once (a conditional UPDATE from draft to sent), to every active member or to the members of
    the chosen business units and geographies.
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="bulletins")
    date = models.DateField(help_text="The local date (programme time zone) the bulletin is for.")
    title = models.CharField(max_length=200)
    # Empty lists: every member. Within a list any value matches; with both lists, a member matches one of each.
    business_units = models.JSONField(default=list, blank=True)
    geographies = models.JSONField(default=list, blank=True)
    fixed = models.TextField("what was fixed", blank=True)
    coming = models.TextField("what is coming", blank=True)
    workarounds = models.TextField("workarounds to use meanwhile", blank=True)
    message = models.TextField("a word from the change manager", blank=True)
    state = models.CharField(max_length=10, choices=BulletinState.choices, default=BulletinState.DRAFT)
    # Prepared by the daily schedule (at most one a day), not by a person.
    scheduled = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["programme", "state", "-date"], name="bulletin_programme_state")]
        constraints = [
            # The schedule prepares one bulletin a day, even when its task runs twice at once.
            models.UniqueConstraint(
                fields=["programme", "date"],
                condition=Q(scheduled=True),
                name="bulletin_one_scheduled_per_day",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(sent_at__isnull=False), name="bulletin_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d %b %Y})"

    @property
    def is_draft(self) -> bool:
        return self.state == BulletinState.DRAFT

    @property
    def audience_label(self) -> str:
        if not self.business_units and not self.geographies:
            return "All members"
        parts = []
        if self.business_units:
            parts.append(", ".join(self.business_units))
        if self.geographies:
            parts.append(", ".join(self.geographies))
        return " in ".join(parts)

    @property
    def fixed_lines(self) -> list[str]:
        return _lines(self.fixed)

    @property
    def coming_lines(self) -> list[str]:
        return _lines(self.coming)

    @property
    def workaround_lines(self) -> list[str]:
        return _lines(self.workarounds)


class BulletinDelivery(models.Model):
    """One recipient of a sent bulletin: the ledger that makes each person get it exactly once."""

    bulletin = models.ForeignKey(Bulletin, models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    delivered_at = models.DateTimeField()

    class Meta:
        ordering = ["bulletin", "user"]
        verbose_name_plural = "bulletin deliveries"
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "user"], name="bulletindelivery_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin} → {self.user}"


class BulletinSchedule(models.Model):
    """When the daily bulletin goes out by itself: a local time on the programme's working days."""

    programme = models.OneToOneField(Programme, models.CASCADE, related_name="bulletin_schedule")
    send_at = models.TimeField(
        null=True, blank=True, help_text="Local time (programme time zone); empty: only sent by hand."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Bulletin schedule of {self.programme}"
