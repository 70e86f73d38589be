"""Roles a member can hold in a programme, and what each role may do.

Every permission decision in the app asks one of the capability functions below,
so a rule changes in one place.
"""

from collections.abc import Iterable

from django.db import models


class Role(models.TextChoices):
    CHAMPION = "champion", "Business champion (Tier 1)"
    DESK = "desk", "Desk analyst (Tier 2)"
    ENGINEER = "engineer", "Engineer (Tier 3)"
    LEAD = "lead", "Hypercare lead / delivery manager"
    SPONSOR = "sponsor", "Business sponsor"
    OPERATIONAL_OWNER = "operational_owner", "Operational owner (BAU)"
    BAU = "bau", "BAU support"
    CHANGE_MANAGER = "change_manager", "Change manager"
    VIEWER = "viewer", "Viewer"


class Team(models.TextChoices):
    PROJECT = "project", "Project team"
    BAU = "bau", "BAU team"


# Staff who work the queues: they see internal comments and Tier 3 notes.
QUEUE_WORKERS = frozenset({Role.DESK, Role.ENGINEER, Role.LEAD, Role.BAU})
# Roles allowed to see every ticket of the programme (champions see their own and their unit's).
SEE_ALL_TICKETS = QUEUE_WORKERS | {Role.SPONSOR, Role.OPERATIONAL_OWNER, Role.CHANGE_MANAGER, Role.VIEWER}
# Roles that may log a ticket.
REPORTERS = QUEUE_WORKERS | {Role.CHAMPION, Role.CHANGE_MANAGER, Role.OPERATIONAL_OWNER}
SIGNATORIES = frozenset({Role.SPONSOR, Role.OPERATIONAL_OWNER})


def _as_set(roles: Iterable[str]) -> set[str]:
    return set(roles)


def can_work_queue(roles: Iterable[str]) -> bool:
    return bool(_as_set(roles) & QUEUE_WORKERS)


def sees_internal(roles: Iterable[str]) -> bool:
    return can_work_queue(roles)


def sees_all_tickets(roles: Iterable[str]) -> bool:
    return bool(_as_set(roles) & SEE_ALL_TICKETS)


def can_report(roles: Iterable[str]) -> bool:
    return bool(_as_set(roles) & REPORTERS)


def is_lead(roles: Iterable[str]) -> bool:
    return Role.LEAD in _as_set(roles)


def can_sign_off(roles: Iterable[str]) -> bool:
    return bool(_as_set(roles) & SIGNATORIES)
