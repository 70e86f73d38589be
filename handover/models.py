"""Exit criteria and their attestations, the handover pack, runbooks, knowledge-transfer phases and sign-offs."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from hypercare.models import Programme


def _upload_path(instance, filename: str) -> str:
    # A random name on disk: the original name is kept in the row, never trusted as a path.
    return f"handover/{instance.programme_id}/{uuid.uuid4().hex}"


def _evidence_path(instance, filename: str) -> str:
    return f"handover/{instance.criterion.programme_id}/evidence/{uuid.uuid4().hex}"


# ---------------------------------------------------------------------------------------------
# Exit criteria


class CriterionKind(models.TextChoices):
    OPEN_SEV12 = "open_sev12", "No open Sev1 / Sev2 tickets"
    NEW_SEV12 = "new_sev12", "No new Sev1 / Sev2 tickets"
    VOLUME_TREND = "volume_trend", "Ticket volume stable or falling"
    EXCEPTION_RATE = "exception_rate", "Exception rate"
    INTEGRATION_SUCCESS = "integration_success", "Integration success rate"
    GOVERNOR_LIMIT_ALERTS = "governor_limit_alerts", "Governor-limit alerts"
    LOCK_CONTENTIONS = "lock_contentions", "Lock contentions"
    BAU_COMANAGED = "bau_comanaged", "BAU co-managed the queue"
    BAU_SHARE = "bau_share", "BAU share of incoming volume"
    MONTH_END_CLOSE = "month_end_close", "First month-end close clean"
    HANDOVER_PACK = "handover_pack", "Handover pack complete"
    SLA_COMPLIANCE = "sla_compliance", "SLA compliance"
    BAU_RAN_QUEUE = "bau_ran_queue", "BAU ran the queue, meeting the SLA targets"
    NO_RESCUE = "no_rescue", "No project-team rescue"
    SATISFACTION = "satisfaction", "Reporters' satisfaction with resolutions"
    ATTESTATION = "attestation", "Attested by a person"


# Kinds whose outcome a person attests (the data cannot tell).
ATTESTED_KINDS = frozenset({CriterionKind.MONTH_END_CLOSE, CriterionKind.ATTESTATION})


class CriterionStatus(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    NOT_MEASURABLE = "not_measurable", "Not yet measurable"


class ExitCriterionQuerySet(models.QuerySet):
    def of(self, programme) -> ExitCriterionQuerySet:
        return self.filter(programme=programme)

    def with_latest_attestation(self) -> ExitCriterionQuerySet:
        """Criteria with their attestations (newest first) and attesters, in one extra query."""
        return self.prefetch_related(
            models.Prefetch(
                "attestations",
                queryset=Attestation.objects.select_related("by").order_by("-at", "-pk"),
            )
        )


class ExitCriterion(models.Model):
    """One condition of a programme's exit gate; the gate is green when every criterion passes."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="exit_criteria")
    kind = models.CharField(max_length=30, choices=CriterionKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    threshold = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The boundary the measured value is compared with (its meaning depends on the kind).",
    )
    window_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many days of data the measurement looks at."
    )
    share_threshold = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="A second boundary, in percent: for co-management, the share of each working day's "
        "handled tickets that BAU staff must have handled (blank: the kind's default).",
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExitCriterionQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "position", "pk"]
        verbose_name_plural = "exit criteria"
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(threshold__gte=0),
                name="exitcriterion_threshold_positive",
            ),
            models.CheckConstraint(
                condition=Q(window_days__isnull=True) | Q(window_days__gte=1),
                name="exitcriterion_window_positive",
            ),
            models.CheckConstraint(
                condition=Q(share_threshold__isnull=True)
                | Q(share_threshold__gte=0, share_threshold__lte=100),
                name="exitcriterion_share_percent",
            ),
        ]
        indexes = [models.Index(fields=["programme", "position"], name="exitcriterion_programme_pos")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_attested(self) -> bool:
        return self.kind in ATTESTED_KINDS

    @property
    def latest_attestation(self) -> Attestation | None:
        """The attestation in force (reads the prefetched list when there is one)."""
        attestations = list(self.attestations.all())
        if not attestations:
            return None
        return max(attestations, key=lambda a: (a.at, a.pk))


class AttestationOutcome(models.TextChoices):
    PASS = "pass", "Attested: met"
    FAIL = "fail", "Attested: not met"


class Attestation(models.Model):
    """A person's statement that a criterion is (or is not) met, with evidence; the newest one counts."""

    criterion = models.ForeignKey(ExitCriterion, models.CASCADE, related_name="attestations")
    outcome = models.CharField(max_length=10, choices=AttestationOutcome.choices)
    note = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to=_evidence_path, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["criterion", "-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} by {self.by} on {self.criterion}"


# ---------------------------------------------------------------------------------------------
# Handover pack


class ItemKind(models.TextChoices):
    ADR = "adr", "Architectural decision records"
    ERD = "erd", "Entity-relationship diagrams"
    PROCESS_FLOWS = "process_flows", "Process flows"
    INTERFACE_SPECS = "interface_specs", "Integration interface specifications"
    TEST_DOCS = "test_docs", "Automated test suite documentation"
    HOTFIX_PLAYBOOK = "hotfix_playbook", "Hotfix deployment playbook"
    RUNBOOKS = "runbooks", "Runbooks for recurring issues"
    OTHER = "other", "Other document"


class ItemStatus(models.TextChoices):
    MISSING = "missing", "Missing"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class HandoverItemQuerySet(models.QuerySet):
    def of(self, programme) -> HandoverItemQuerySet:
        return self.filter(programme=programme)

    def for_list(self) -> HandoverItemQuerySet:
        """Everything a checklist row shows, in the same query."""
        return self.select_related("owner", "decided_by").annotate(runbook_count=models.Count("runbooks"))


class HandoverItem(models.Model):
    """One document of the operational handover pack, owned by a person, accepted by BAU."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="handover_items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices, default=ItemKind.OTHER)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="handover_items"
    )
    due_date = models.DateField(null=True, blank=True)
    document = models.FileField(upload_to=_upload_path, blank=True)
    document_name = models.CharField(max_length=255, blank=True)
    link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.MISSING)
    rejection_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HandoverItemQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "position", "pk"]
        indexes = [models.Index(fields=["programme", "status"], name="handoveritem_programme_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="handoveritem_rejection_has_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_document(self) -> bool:
        return bool(self.document) or bool(self.link)


class RunbookStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Runbook(models.Model):
    """The resolution steps of a recurring problem, drafted from resolved tickets and known issues."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="runbooks")
    title = models.CharField(max_length=200)
    symptoms = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    steps = models.TextField(blank=True, help_text="How to resolve it, step by step.")
    known_issue = models.ForeignKey(
        "tickets.KnownIssue", models.SET_NULL, null=True, blank=True, related_name="runbooks"
    )
    tickets = models.ManyToManyField("tickets.Ticket", blank=True, related_name="runbooks")
    item = models.ForeignKey(HandoverItem, models.SET_NULL, null=True, blank=True, related_name="runbooks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RunbookStatus.choices, default=RunbookStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["programme", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="runbook_published_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------------------------------------
# Knowledge transfer


class PhaseKind(models.TextChoices):
    # Seed 000's progression, in order.
    PROJECT_LEADS = "project_leads", "Project team leads, BAU observes"
    CO_MANAGED = "co_managed", "Co-managed queue"
    BAU_LEADS = "bau_leads", "BAU leads, project team shadows"
    HANDED_OVER = "handed_over", "Handed over"


PHASE_ORDER = {kind: index for index, kind in enumerate(PhaseKind.values)}


class KtPhase(models.Model):
    """When one knowledge-transfer phase starts; it lasts until the next phase starts."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="kt_phases")
    phase = models.CharField(max_length=20, choices=PhaseKind.choices)
    starts_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["programme", "starts_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["programme", "phase"], name="ktphase_unique")]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} from {self.starts_on}"


def default_phase_starts(go_live: date, planned_exit: date) -> dict[str, date]:
    """Seed 000's progression spread over the planned window: a sixth observing, co-managing to the
    middle, BAU leading to the planned exit."""
    span = max((planned_exit - go_live).days, 4)
    return {
        PhaseKind.PROJECT_LEADS: go_live,
        PhaseKind.CO_MANAGED: go_live + timedelta(days=max(1, span // 6)),
        PhaseKind.BAU_LEADS: go_live + timedelta(days=max(2, span // 2)),
        PhaseKind.HANDED_OVER: go_live + timedelta(days=span),
    }


# ---------------------------------------------------------------------------------------------
# Sign-off


class SignOffKind(models.TextChoices):
    SIGN_OFF = "sign_off", "Sign-off"
    REVOCATION = "revocation", "Revocation"


class SignOffQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Sign-offs are never edited: revoke one with a new record instead.")

    def delete(self):
        raise TypeError("Sign-offs are never deleted: revoke one with a new record instead.")

    def of(self, programme) -> SignOffQuerySet:
        return self.filter(programme=programme)

    def standing(self) -> SignOffQuerySet:
        """Sign-offs that no revocation has withdrawn."""
        return self.filter(kind=SignOffKind.SIGN_OFF, revocation__isnull=True)

    def for_list(self) -> SignOffQuerySet:
        return self.select_related("signatory", "revokes", "revokes__signatory", "revocation")


class SignOff(models.Model):
    """A signatory's exit sign-off, or the revocation of one: append-only, with a content hash.

    Rows are never updated or deleted: the model refuses it, its QuerySet refuses it, the
    admin offers no way to, and a database trigger (migration 0002) raises on UPDATE and DELETE.
    """

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="sign_offs")
    kind = models.CharField(max_length=12, choices=SignOffKind.choices, default=SignOffKind.SIGN_OFF)
    signatory = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="sign_offs")
    role = models.CharField(max_length=30, help_text="The role signed in: sponsor or operational_owner.")
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    gate_green = models.BooleanField(help_text="Whether every exit criterion passed at that moment.")
    snapshot = models.JSONField(default=dict, help_text="Every criterion's value and evidence, frozen.")
    justifications = models.JSONField(
        default=dict, blank=True, help_text="Per criterion not passing: why the signatory signed anyway."
    )
    revokes = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="revocation")
    reason = models.TextField(blank=True, help_text="Why a sign-off is revoked.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the signed content.")

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="sign_off") & Q(revokes__isnull=True))
                | (Q(kind="revocation") & Q(revokes__isnull=False) & ~Q(reason="")),
                name="signoff_revocation_has_target_and_reason",
            )
        ]
        indexes = [models.Index(fields=["programme", "signatory"], name="signoff_programme_signatory")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.signatory} at {self.signed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Sign-offs are never edited: revoke one with a new record instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Sign-offs are never deleted: revoke one with a new record instead.")

    @property
    def is_revoked(self) -> bool:
        return hasattr(self, "revocation") and self.revocation is not None


# ---------------------------------------------------------------------------------------------
# Alerts: the last known state of each watched figure, so people are told once per transition


class AlertLevel(models.TextChoices):
    OK = "ok", "Fine"
    ALERT = "alert", "Alerting"


# The subject of the exit forecast's alert (the others are KPI slugs of metrics.kpis).
EXIT_FORECAST = "exit_forecast"


class AlertState(models.Model):
    """The last level seen for one KPI (or the exit forecast) of a programme.

    A change of level is claimed by `UPDATE … WHERE level = old`: of two concurrent evaluations
    only the one whose row count is 1 tells anybody, and `transitions` numbers the change so
    each one has its own notification and webhook key.
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="alert_states")
    subject = models.CharField(max_length=40, help_text="A scorecard KPI's slug, or exit_forecast.")
    level = models.CharField(max_length=10, choices=AlertLevel.choices, default=AlertLevel.OK)
    transitions = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["programme", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "subject"], name="alertstate_one_per_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} of {self.programme}: {self.level}"
