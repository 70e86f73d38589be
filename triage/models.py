"""The triage team's own records: the on-call rota, queue leads and standups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hypercare.models import Programme


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
