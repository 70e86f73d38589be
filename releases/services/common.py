"""What every releases service shares: the refusals it raises and who may do what."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.models import Programme
from hypercare.roles import Role


class StageConflict(Exception):
    """A change refused because of the record's state (a skipped stage, four eyes, a race): HTTP 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Who builds, merges, tests and deploys hotfixes: the people who work the queues.
BUILDERS = frozenset({Role.DESK, Role.ENGINEER, Role.LEAD, Role.BAU})
# Business testers who sign UAT off on the normal path: the champions trained during UAT and the owner.
BUSINESS_TESTERS = frozenset({Role.CHAMPION, Role.OPERATIONAL_OWNER})


def access_of(programme: Programme, user) -> ProgrammeAccess | None:
    """The user's access to the programme, or None for a non-member."""
    try:
        return get_programme_for(user, programme.slug)
    except Http404:
        return None


def require_roles(programme: Programme, user, roles: frozenset[str], message: str) -> ProgrammeAccess:
    """The user's access, or PermissionDenied with `message` when they hold none of `roles`.

    Every release write is refused once hypercare is closed (ProgrammeClosed): BAU runs its own changes.
    """
    access = access_of(programme, user)
    if access is None or not (access.roles & roles):
        raise PermissionDenied(message)
    access.require_open()
    return access


def require_lead(
    programme: Programme, user, message: str = "Only the programme's hypercare leads can do this."
):
    return require_roles(programme, user, frozenset({Role.LEAD}), message)


def require_builder(programme: Programme, user) -> ProgrammeAccess:
    return require_roles(
        programme, user, BUILDERS, "Only the desk, engineers, BAU support and leads work on hotfixes."
    )
