"""The SLA policy and the triage matrix of a programme.

The SLA policy is versioned: a ticket keeps the version in force when its clock started.
The matrix holds a programme's own cells over the default (`sla.matrix.DEFAULT_MATRIX`).
"""

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
        db_table = "triage_slapolicy"  # the table predates the SLA layer's own app
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
        db_table = "triage_slatarget"
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
        db_table = "triage_severityrule"
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
