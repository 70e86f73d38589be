"""The shared vocabulary of every app: ticket severity, status, tier, category, triage answers,
SLA clocks and timeline event kinds, with the status sets that rules are written in.

It holds names and sets only, no rule: the SLA layer, tickets, triage, metrics, releases and
handover all import from here, so a value is never typed twice as a string.
"""

from django.db import models


class Category(models.TextChoices):
    DEFECT = "defect", "Defect"
    HOW_TO = "how_to", "How-to / training gap"
    ACCESS = "access", "Access / permissions"
    DATA = "data", "Data correction / migration"
    CONFIGURATION = "configuration", "Configuration"
    PERFORMANCE = "performance", "Performance"
    INTEGRATION = "integration", "Integration"
    ENHANCEMENT = "enhancement", "Enhancement request"


# The seeds' distinction that every list must show: a bug or a training gap.
TRAINING_GAP_CATEGORIES = frozenset({Category.HOW_TO})
DEFECT_CATEGORIES = frozenset({Category.DEFECT, Category.PERFORMANCE, Category.INTEGRATION})


class TicketKind(models.TextChoices):
    """The split every list shows, derived from the category: a bug, a training gap, or neither."""

    DEFECT = "defect", "Defect"
    TRAINING_GAP = "training gap", "Training gap (how-to)"
    OTHER = "other", "Other"


def kind_of(category: str) -> TicketKind:
    if category in TRAINING_GAP_CATEGORIES:
        return TicketKind.TRAINING_GAP
    if category in DEFECT_CATEGORIES:
        return TicketKind.DEFECT
    return TicketKind.OTHER


def categories_of(kind: str) -> frozenset[str]:
    """The categories of one kind (the inverse of `kind_of`)."""
    return frozenset(category for category in Category.values if kind_of(category) == kind)


class Status(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_REPORTER = "waiting_on_reporter", "Waiting on reporter"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    DEFERRED = "deferred", "Deferred to backlog"


OPEN_STATUSES = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_REPORTER})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.DEFERRED})


# While a ticket has one of these statuses its SLA clocks run; waiting on the reporter pauses them,
# and any other status stops them.
RUNNING_STATUSES = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS})
PAUSED_STATUSES = frozenset({Status.WAITING_ON_REPORTER})


class Tier(models.IntegerChoices):
    TIER1 = 1, "Tier 1 (champions)"
    TIER2 = 2, "Tier 2 (hypercare desk)"
    TIER3 = 3, "Tier 3 (core engineers)"


class Severity(models.IntegerChoices):
    SEV1 = 1, "Sev1 critical"
    SEV2 = 2, "Sev2 high"
    SEV3 = 3, "Sev3 medium"
    SEV4 = 4, "Sev4 low"


class ImpactScope(models.TextChoices):
    ORGANISATION = "organisation", "The whole organisation"
    DEPARTMENT = "department", "A department or business unit"
    SUBSET = "subset", "A subset of users / a team"
    INDIVIDUAL = "individual", "One person"


class Workaround(models.TextChoices):
    NONE = "none", "No workaround"
    PAINFUL = "painful", "A workaround with heavy friction"
    SIMPLE = "simple", "A simple workaround"


class Clock(models.TextChoices):
    ROUND_THE_CLOCK = "24x7", "24×7"
    BUSINESS = "business", "Business hours"


class EventKind(models.TextChoices):
    CREATED = "created", "Logged"
    STATUS = "status", "Status changed"
    SEVERITY = "severity", "Severity changed"
    TIER = "tier", "Tier changed"
    ESCALATED = "escalated", "Escalated"
    ASSIGNED = "assigned", "Assigned"
    CATEGORY = "category", "Category changed"
    COMMENT = "comment", "Commented"
    ATTACHMENT = "attachment", "Attachment added"
    RESOLVED = "resolved", "Resolved"
    PROPOSED = "proposed", "Resolution proposed"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    LINKED = "linked", "Linked to a known issue"
    EDITED = "edited", "Edited"
    SLA = "sla", "SLA clocks recomputed"
    BREACH = "breach", "SLA at risk or breached"


class AlertKind(models.TextChoices):
    """What the breach sweep records about a ticket's SLA."""

    AT_RISK = "at_risk", "At risk"
    RESPONSE_BREACH = "response_breach", "Response target breached"
    RESOLUTION_BREACH = "resolution_breach", "Resolution target breached"
