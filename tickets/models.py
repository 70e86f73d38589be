"""Tickets of the three-tier support model, their append-only timeline, comments, attachments and known issues."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q

from hypercare.models import Programme
from hypercare.roles import Team
from hypercare.vocabulary import (
    OPEN_STATUSES,
    TRAINING_GAP_CATEGORIES,
    AlertKind,
    Category,
    Clock,
    EventKind,
    ImpactScope,
    Severity,
    Status,
    Tier,
    Workaround,
    kind_of,
)
from sla import outcomes

# Allowed moves of the `transition` action. Resolving goes through `resolve` (it needs a
# resolution note) and reopening through `reopen` (it needs a reason); both are listed
# here too so one table answers "may this status follow that one".
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_REPORTER, Status.RESOLVED, Status.DEFERRED}
    ),
    Status.TRIAGED: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_ON_REPORTER, Status.RESOLVED, Status.DEFERRED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_ON_REPORTER, Status.RESOLVED, Status.DEFERRED, Status.TRIAGED}
    ),
    Status.WAITING_ON_REPORTER: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.DEFERRED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),  # in_progress only by reopen
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),  # only by reopen
    Status.DEFERRED: frozenset({Status.TRIAGED, Status.CLOSED}),
}


class KnownIssueStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
    FIXED = "fixed", "Fixed"
    WONT_FIX = "wont_fix", "Won't fix"


class KnownIssueQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=[KnownIssueStatus.INVESTIGATING, KnownIssueStatus.FIX_IN_PROGRESS])


class KnownIssue(models.Model):
    """One underlying problem that several tickets share, with its workaround and expected fix."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="known_issues")
    title = models.CharField(max_length=200)
    symptoms = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=KnownIssueStatus.choices, default=KnownIssueStatus.INVESTIGATING
    )
    fix_expected_on = models.DateField(null=True, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    fixed_in = models.CharField(
        max_length=200, blank=True, help_text="What fixed it in production, e.g. the patch release."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KnownIssueQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["programme", "status"], name="knownissue_programme_status")]

    def __str__(self) -> str:
        return self.title


# The reads that every screen counts by, each written once: a Q for aggregates (Count(filter=…))
# and a QuerySet method for lists. Breach and at-risk come from the SLA layer (`sla.outcomes`).
OPEN = Q(status__in=OPEN_STATUSES)
HIGH_SEVERITY = Q(severity__lte=Severity.SEV2)
# Waiting for an owner at the desk or at Tier 3 (a champion's Tier 1 ticket is theirs).
UNASSIGNED = Q(assignee__isnull=True, tier__gte=Tier.TIER2)


class TicketQuerySet(models.QuerySet):
    def open(self) -> TicketQuerySet:
        return self.filter(OPEN)

    def high_severity(self) -> TicketQuerySet:
        """Sev1 and Sev2."""
        return self.filter(HIGH_SEVERITY)

    def unassigned(self) -> TicketQuerySet:
        return self.filter(UNASSIGNED)

    def breached_at(self, at: datetime) -> TicketQuerySet:
        """Either SLA target breached at `at`: a flag the sweep set, or a due instant already past."""
        return self.filter(outcomes.breached_q(at))

    def at_risk_at(self, at: datetime) -> TicketQuerySet:
        return self.filter(outcomes.at_risk_q(at))

    def reported_between(self, start: datetime, end: datetime) -> TicketQuerySet:
        return self.filter(reported_at__gte=start, reported_at__lt=end)

    def headline(self, *, at: datetime, midnight: datetime) -> dict[str, int]:
        """The programme page's figures over these tickets, at `at` (one aggregate query)."""
        return self.aggregate(
            open=Count("pk", filter=OPEN),
            sev1=Count("pk", filter=OPEN & Q(severity=Severity.SEV1)),
            sev2=Count("pk", filter=OPEN & Q(severity=Severity.SEV2)),
            breached=Count("pk", filter=OPEN & outcomes.breached_q(at)),
            at_risk=Count("pk", filter=OPEN & outcomes.at_risk_q(at)),
            unassigned=Count("pk", filter=OPEN & UNASSIGNED),
            today=Count("pk", filter=Q(reported_at__gte=midnight)),
        )

    def of(self, programme) -> TicketQuerySet:
        return self.filter(programme=programme)

    def visible_to(self, access) -> TicketQuerySet:
        """Tickets of `access.programme` that the member may see.

        Queue workers, leads, sponsors, owners, change managers and viewers see them all;
        champions see their own and those of their business unit.
        """
        tickets = self.filter(programme=access.programme)
        if access.sees_all_tickets:
            return tickets
        if access.membership is None:
            return tickets.none()
        mine = Q(reporter=access.membership.user)
        if access.membership.business_unit:
            mine |= Q(business_unit=access.membership.business_unit)
        return tickets.filter(mine)

    def for_list(self) -> TicketQuerySet:
        """Everything a list row shows, in the same query."""
        return self.select_related("programme", "assignee", "reporter", "known_issue")


# A ticket's text limits, checked by the service (and shaped by the form and the API): a clear
# message names the field, nothing is cut. Details fit a long stack trace, not a log file.
TITLE_MAX_LENGTH = 200
DETAILS_MAX_LENGTH = 20_000


class Ticket(models.Model):
    programme = models.ForeignKey(Programme, models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField()
    reference = models.CharField(max_length=30, help_text='Per-programme reference, e.g. "ACME-142".')
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="reported_tickets")
    business_unit = models.CharField(max_length=100, blank=True)
    geography = models.CharField(max_length=100, blank=True)
    process = models.CharField("business process / object", max_length=200, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.DEFECT)

    # Triage: the answers, what the matrix computed, and the severity in force.
    impact_scope = models.CharField(max_length=20, choices=ImpactScope.choices, blank=True)
    workaround = models.CharField(max_length=10, choices=Workaround.choices, blank=True)
    blocks_vital_process = models.BooleanField(null=True, blank=True)
    computed_severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    severity_reason = models.TextField(blank=True)

    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER2)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    team = models.CharField(
        max_length=10, choices=Team.choices, blank=True, help_text="Derived from the assignee."
    )
    known_issue = models.ForeignKey(
        KnownIssue, models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    replication_steps = models.TextField(blank=True)
    source_reference = models.CharField(
        max_length=100, blank=True, help_text="Key of the ticket in the tracker it was imported from."
    )
    imported_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the ticket was brought in from another tracker; its history before this is not news.",
    )
    # A Tier 3 resolution comes back to the desk as a proposal: the desk confirms it with the
    # reporter and resolves the ticket, which then counts as resolved at Tier 3.
    proposed_resolution = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        help_text="The original this ticket was closed as a duplicate of.",
    )
    resolution = models.TextField(blank=True)
    resolved_at_tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    reported_at = models.DateTimeField()
    triaged_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # SLA clocks, maintained by sla.engine from the ticket's own timeline events.
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    sla_clock = models.CharField(max_length=10, choices=Clock.choices, blank=True)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    response_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while waiting on the reporter.")
    at_risk = models.BooleanField(default=False)
    response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="ticket_number_unique"),
            models.UniqueConstraint(fields=["programme", "reference"], name="ticket_reference_unique"),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=4), name="ticket_severity_1_to_4"
            ),
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=3), name="ticket_tier_1_to_3"),
            # An import run twice must not log the same source ticket twice.
            models.UniqueConstraint(
                fields=["programme", "source_reference"],
                name="ticket_source_reference_unique",
                condition=~Q(source_reference=""),
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status", "-reported_at"], name="ticket_programme_status"),
            models.Index(fields=["programme", "tier", "status"], name="ticket_programme_tier"),
            models.Index(fields=["programme", "reporter"], name="ticket_programme_reporter"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["programme", "-reported_at"], name="ticket_programme_reported"),
            models.Index(fields=["programme", "resolved_at"], name="ticket_programme_resolved"),
            # The queues' default order (severity, then due, then reported): a page is read off
            # the index in order, page 1,000 as cheaply as page 1.
            models.Index(
                fields=["programme", "tier", "severity", "resolution_due_at", "reported_at", "id"],
                name="ticket_queue_order",
            ),
            # The API list's order: its pages read their ids off this index alone (deferred join).
            models.Index(fields=["programme", "-reported_at", "-id"], name="ticket_programme_latest"),
            # The triage board's open sections (Sev1/2, at risk, Tier 3, unassigned), oldest first:
            # each reads its first rows off the open tickets alone.
            models.Index(
                fields=["programme", "reported_at", "id"], name="ticket_open_oldest", condition=OPEN
            ),
            # The queue's business-unit filter lists the distinct units by skipping along this index.
            models.Index(fields=["programme", "business_unit"], name="ticket_programme_unit"),
            # Serve the breach sweep: only open, unflagged tickets are scanned.
            models.Index(
                fields=["response_due_at"],
                name="ticket_response_unflagged",
                condition=Q(response_breached=False, first_responded_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_due_at"],
                name="ticket_resolution_unflagged",
                condition=Q(resolution_breached=False, resolved_at__isnull=True),
            ),
            # Serve the sweep's at-risk rule: only tickets not yet flagged at risk on that clock.
            models.Index(
                fields=["response_at_risk_at"],
                name="ticket_response_risk_open",
                condition=Q(at_risk=False, response_breached=False, first_responded_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_at_risk_at"],
                name="ticket_resolution_risk_open",
                condition=Q(at_risk=False, resolution_breached=False, resolved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_training_gap(self) -> bool:
        return self.category in TRAINING_GAP_CATEGORIES

    @property
    def kind(self) -> str:
        """'training gap', 'defect' or 'other': the split the seeds ask every list to show."""
        return kind_of(self.category).value

    def happened_before_import(self, instant: datetime | None) -> bool:
        """Whether an SLA event at `instant` (a due instant passed, say) is the history of an imported
        ticket rather than news: recorded, but nobody is told (alerts, e-mails, webhooks)."""
        return self.imported_at is not None and instant is not None and instant <= self.imported_at


class ProgrammeTicketCount(models.Model):
    """How many tickets a programme has, kept by database triggers on the ticket table.

    The API list answers with the exact number of tickets; counting a million rows took
    PostgreSQL about 45 ms on every request. Triggers (migration 0005) add and subtract on
    every INSERT, DELETE and change of programme, whatever wrote the rows (the app, COPY in
    seed_scale, the admin), so this row never needs the application's help. Read it, never
    write it: a save() from a stale instance would overwrite the triggers' arithmetic.
    """

    programme = models.OneToOneField(
        Programme, models.CASCADE, primary_key=True, related_name="ticket_counter"
    )
    tickets = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.tickets} tickets"


class TicketEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ticket events are append-only.")

    def delete(self):
        raise TypeError("Ticket events are append-only.")


class TicketEvent(models.Model):
    """One entry of a ticket's append-only timeline: who changed what, when."""

    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    internal = models.BooleanField(default=False, help_text="Hidden from champions (Tier 3 working notes).")
    data = models.JSONField(default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Ticket events are append-only.")


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="Visible to Tier 2/3 and leads only.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.ticket}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name on disk: the original name is kept in the row, never trusted as a path.
    import uuid

    return f"attachments/{instance.ticket.programme_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


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

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="sla_alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    created_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = SlaAlertQuerySet.as_manager()

    class Meta:
        db_table = "triage_slaalert"  # the table predates its move to tickets
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="slaalert_unique_kind")]
        indexes = [
            # The fan-out reads only pending alerts, oldest first.
            models.Index(fields=["id"], name="slaalert_pending", condition=Q(notified_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class TicketImport(models.Model):
    """One dry run or commit of a CSV export, run by a Celery job (tickets.tasks.run_import_task).

    `done` with refused rows stored nothing (all or none); `failed` is an unexpected error.
    """

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="ticket_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last took the job.")
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.CharField(max_length=300, help_text="The uploaded file, in the default storage.")
    owns_file = models.BooleanField(default=True, help_text="Delete the file when the job ends.")
    source_name = models.CharField(max_length=100, blank=True)
    tracker = models.CharField(max_length=20, blank=True)
    dry_run = models.BooleanField(default=True)
    mapping = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="ticketimport_progress_0_to_100")
        ]

    def __str__(self) -> str:
        return f"{'Dry run' if self.dry_run else 'Import'} {self.pk} of {self.source_name}"


class SavedImportMapping(models.Model):
    """A lead's mapping for one tracker's files (Jira, ServiceNow, Zendesk, other CSV), reused for the next file."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="saved_import_mappings")
    tracker = models.CharField(max_length=20)
    mapping = models.JSONField(default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "tracker"], name="savedimportmapping_one_per_tracker"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tracker} mapping of {self.programme}"


class CannedReply(models.Model):
    """A reply the desk sends often, kept per programme by its leads; the desk inserts it into a
    comment and edits it before sending."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="canned_replies")
    title = models.CharField(max_length=100)
    body = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "title"], name="cannedreply_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class TicketWatcher(models.Model):
    """A member who follows a ticket and is told of its public changes (comments, status,
    resolution). Reporters and assignees follow by default; anyone who may see it can follow."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="watched_tickets")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="ticketwatcher_unique")]
        indexes = [models.Index(fields=["user", "ticket"], name="ticketwatcher_user")]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.ticket_id}"


class TicketRating(models.Model):
    """The reporter's rating of one resolution of their ticket (1-5, with an optional comment).

    One per resolution: a ticket reopened and resolved again is rated again; rating the same
    resolution twice replaces the first answer.
    """

    ticket = models.ForeignKey(Ticket, models.PROTECT, related_name="ratings")
    resolved_at = models.DateTimeField(help_text="The resolution rated (the ticket's resolved_at then).")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    rated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "resolved_at"], name="ticketrating_one_per_resolution"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="ticketrating_1_to_5"),
        ]
        indexes = [models.Index(fields=["rated_at"], name="ticketrating_rated_at")]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.ticket_id}"
