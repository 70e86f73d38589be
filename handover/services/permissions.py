"""Who may do what in the handover app: the pages ask these to show an action, the services to allow it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from handover.models import HandoverItem
from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.roles import Role

# Each is false once the programme is closed: its exit criteria, pack, runbooks and plan are then a
# record (hypercare.access). Only the sign-offs move: a signatory may still revoke theirs.


def can_edit_criteria(access: ProgrammeAccess) -> bool:
    return access.is_lead


def can_attest(access: ProgrammeAccess) -> bool:
    return not access.is_closed and (access.is_lead or access.has_role(Role.OPERATIONAL_OWNER))


def can_accept_items(access: ProgrammeAccess) -> bool:
    """The operational owner, or a BAU lead (a member who is both BAU and lead)."""
    return not access.is_closed and (
        access.has_role(Role.OPERATIONAL_OWNER) or (Role.BAU in access.roles and Role.LEAD in access.roles)
    )


def can_decide_item(access: ProgrammeAccess, item: HandoverItem) -> bool:
    """An approver may accept or reject any item but their own: nobody approves their own work."""
    return can_accept_items(access) and not is_own_item(access, item)


def is_own_item(access: ProgrammeAccess, item: HandoverItem) -> bool:
    return access.user is not None and item.owner_id == getattr(access.user, "pk", None)


def can_edit_item(access: ProgrammeAccess, item: HandoverItem) -> bool:
    """Leads edit every item; an item's owner supplies its document and submits it."""
    return not access.is_closed and (
        access.is_lead or (access.user is not None and item.owner_id == getattr(access.user, "pk", None))
    )


def can_write_runbooks(access: ProgrammeAccess) -> bool:
    return access.can_support


def deny(access: ProgrammeAccess, message: str):
    """Refuse with `message` (PermissionDenied), audited."""
    audit("permission.denied", actor=access.user, programme=access.programme, reason=message)
    raise PermissionDenied(message)


def require(allowed: bool, access: ProgrammeAccess, message: str) -> None:
    """Refuse with `message`; in a closed programme with ProgrammeClosed (the BAU service desk)."""
    if not allowed:
        access.refuse(message)
