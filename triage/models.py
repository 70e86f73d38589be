"""Triage and SLA policy. The SLA policy is versioned: a ticket keeps the version in force when it was triaged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hypercare.models import Programme
from hypercare.vocabulary import Clock, Severity


class SlaPolicy(models.Model):
    """One version of a programme's SLA policy, in force from `effective_from` until the next version."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="sla_policies")
    effective_from = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["programme", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "effective_from"], name="slapolicy_unique_effective_from"
            )
        ]

    def __str__(self) -> str:
        return f"SLA policy of {self.programme} from {self.effective_from:%Y-%m-%d %H:%M}"


class SlaTarget(models.Model):
    """Response and resolution targets of one severity within a policy version."""

    policy = models.ForeignKey(SlaPolicy, models.CASCADE, related_name="targets")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no resolution target."
    )
    clock = models.CharField(max_length=10, choices=Clock.choices)
    at_risk_percent = models.PositiveSmallIntegerField(default=75)

    class Meta:
        ordering = ["policy", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "severity"], name="slatarget_unique_severity"),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=100),
                name="slatarget_at_risk_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"Sev{self.severity}: respond {self.response_minutes} min, resolve {self.resolution_minutes} min ({self.clock})"


class SeverityRule(models.Model):
    """One cell of a programme's triage matrix: these answers give this severity."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="severity_rules")
    impact_scope = models.CharField(max_length=20)
    workaround = models.CharField(max_length=10)
    blocks_vital_process = models.BooleanField()
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)

    class Meta:
        ordering = ["programme", "impact_scope", "workaround", "blocks_vital_process"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "impact_scope", "workaround", "blocks_vital_process"],
                name="severityrule_unique",
            )
        ]

    def __str__(self) -> str:
        vital = "vital process blocked" if self.blocks_vital_process else "no vital process blocked"
        return f"{self.impact_scope} / {self.workaround} workaround / {vital} → Sev{self.severity}"


class AlertKind(models.TextChoices):
    AT_RISK = "at_risk", "At risk"
    RESPONSE_BREACH = "response_breach", "Response target breached"
    RESOLUTION_BREACH = "resolution_breach", "Resolution target breached"


class SlaAlertQuerySet(models.QuerySet):
    def pending(self) -> SlaAlertQuerySet:
        """Alerts whose notifications have not gone out yet."""
        return self.filter(notified_at__isnull=True)


class SlaAlert(models.Model):
    """One SLA event of one ticket: the breach sweep's outbox.

    The (ticket, kind) pair is unique, so however often the sweep runs, retries or races
    another sweep, each event is recorded once; its notifications go out with the row
    marked notified in the same transaction.
    """

    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="sla_alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    created_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = SlaAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="slaalert_unique_kind")]
        indexes = [
            # The fan-out reads only pending alerts, oldest first.
            models.Index(fields=["id"], name="slaalert_pending", condition=Q(notified_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"


class OnCallShiftQuerySet(models.QuerySet):
    def at(self, instant) -> OnCallShiftQuerySet:
        """Shifts covering `instant`."""
        return self.filter(starts_at__lte=instant, ends_at__gt=instant)


class OnCallShift(models.Model):
    """One turn on the on-call rota: who answers Sev1 and Sev1/Sev2 breach alerts, from when to when.

    A rota that leads plan ahead, so nobody carries hypercare alone (seed 001's "hero culture").
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="oncall_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="oncall_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = OnCallShiftQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="oncallshift_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["programme", "starts_at", "ends_at"], name="oncallshift_programme")]

    def __str__(self) -> str:
        return f"{self.user} on call {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class QueueLead(models.Model):
    """The lead of a tier's queue (Tier 2 desk, Tier 3 engineers): told of every SLA alert in it."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="queue_leads")
    tier = models.PositiveSmallIntegerField(
        choices=[(2, "Tier 2 (hypercare desk)"), (3, "Tier 3 (core engineers)")]
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["programme", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "tier"], name="queuelead_unique_tier"),
            models.CheckConstraint(condition=Q(tier__in=[2, 3]), name="queuelead_tier_2_or_3"),
        ]

    def __str__(self) -> str:
        return f"Tier {self.tier} lead of {self.programme}: {self.user}"


class Standup(models.Model):
    """A daily standup, recorded when it starts so that "new since the last standup" is exact."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="standups")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["programme", "-started_at"]
        indexes = [models.Index(fields=["programme", "-started_at"], name="standup_latest")]

    def __str__(self) -> str:
        return f"Standup of {self.programme} at {self.started_at:%Y-%m-%d %H:%M}"
