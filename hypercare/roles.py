"""Roles a member can hold in a programme, and what each role may do.

Every permission decision in the app asks one of the capability functions below,
so a rule changes in one place. A closed programme (hypercare is over) is read-only: the
functions take `closed=` and then grant only what BAU still does there.
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
# The project team's delivery roles. Separation of duties: who delivers hypercare does not sign
# its exit off, so a signatory never holds one of these in the same programme.
DELIVERY_ROLES = frozenset({Role.LEAD, Role.DESK, Role.ENGINEER})
# Who still works a closed programme: BAU support and the operational owner, on the tickets
# left open at closure, until they are resolved. Everything else there is read-only.
AFTER_EXIT_WORKERS = frozenset({Role.BAU, Role.OPERATIONAL_OWNER})


def _as_set(roles: Iterable[str]) -> set[str]:
    return set(roles)


def can_work_queue(roles: Iterable[str], *, closed: bool = False) -> bool:
    return bool(_as_set(roles) & (AFTER_EXIT_WORKERS if closed else QUEUE_WORKERS))


def in_support_team(roles: Iterable[str]) -> bool:
    """A member of the support team (desk, engineers, BAU, leads), whether or not the programme is closed."""
    return bool(_as_set(roles) & QUEUE_WORKERS)


def sees_internal(roles: Iterable[str], *, closed: bool = False) -> bool:
    return in_support_team(roles) or can_work_queue(roles, closed=closed)


def sees_all_tickets(roles: Iterable[str]) -> bool:
    return bool(_as_set(roles) & SEE_ALL_TICKETS)


def can_report(roles: Iterable[str], *, closed: bool = False) -> bool:
    return not closed and bool(_as_set(roles) & REPORTERS)


def is_lead(roles: Iterable[str], *, closed: bool = False) -> bool:
    return not closed and Role.LEAD in _as_set(roles)


def is_read_only(roles: Iterable[str], *, closed: bool = False) -> bool:
    if closed:
        return not can_work_queue(roles, closed=True)
    return _as_set(roles) <= {Role.VIEWER, Role.SPONSOR}


def can_sign_off(roles: Iterable[str]) -> bool:
    return bool(_as_set(roles) & SIGNATORIES)


def signatory_conflicts(roles: Iterable[str]) -> list[str]:
    """Why these roles cannot sign the exit off (empty when they can): separation of duties.

    A signatory holds no delivery role, and the sponsor's and the operational owner's
    sign-offs come from two different people, so one person never holds both.
    """
    held = _as_set(roles)
    if not held & SIGNATORIES:
        return []
    problems = []
    delivery = [role for role in Role if role in held & DELIVERY_ROLES]
    if delivery:
        labels = " and ".join(f"“{role.label}”" for role in delivery)
        problems.append(f"A signatory cannot also deliver hypercare, and these roles include {labels}.")
    if held >= SIGNATORIES:
        problems.append(
            "The sponsor's and the operational owner's sign-offs come from two different people: "
            "one member cannot hold both roles."
        )
    return problems
