"""Every write of the handover app, by subdomain: exit criteria and their attestations, the handover
pack, runbooks, the knowledge-transfer plan and the sign-off. `from handover.services import X`
works for every public name, as it did when this was one module."""

from handover.services.defaults import DEFAULT_ITEMS, programme_defaults_create
from handover.services.exit_criteria import (
    CRITERION_FIELDS,
    criterion_add,
    criterion_attest,
    criterion_remove,
    criterion_update,
)
from handover.services.knowledge_transfer import kt_phases_update
from handover.services.pack import item_add, item_attach, item_decide, item_remove, item_submit, item_update
from handover.services.permissions import (
    can_accept_items,
    can_attest,
    can_decide_item,
    can_edit_criteria,
    can_edit_item,
    can_write_runbooks,
)
from handover.services.runbooks import runbook_draft, runbook_publish, runbook_update
from handover.services.signoff import (
    content_hash,
    gate_green_notify,
    signatory_memberships,
    signoff_create,
    signoff_payload,
    signoff_refusal,
    signoff_revoke,
    signoff_verify,
)
from handover.services.uploads import DOCUMENT_TEXT_SUFFIXES, MAX_UPLOAD_BYTES

__all__ = [
    "CRITERION_FIELDS",
    "DEFAULT_ITEMS",
    "DOCUMENT_TEXT_SUFFIXES",
    "MAX_UPLOAD_BYTES",
    "can_accept_items",
    "can_decide_item",
    "can_attest",
    "can_edit_criteria",
    "can_edit_item",
    "can_write_runbooks",
    "content_hash",
    "criterion_add",
    "criterion_attest",
    "criterion_remove",
    "criterion_update",
    "gate_green_notify",
    "item_add",
    "item_attach",
    "item_decide",
    "item_remove",
    "item_submit",
    "item_update",
    "kt_phases_update",
    "programme_defaults_create",
    "runbook_draft",
    "runbook_publish",
    "runbook_update",
    "signatory_memberships",
    "signoff_create",
    "signoff_payload",
    "signoff_refusal",
    "signoff_revoke",
    "signoff_verify",
]
