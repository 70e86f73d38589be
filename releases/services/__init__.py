"""Every write of the releases app goes through these functions (split by subdomain)."""

from releases.services.common import StageConflict, require_builder
from releases.services.comms import (
    render_status_email,
    status_email_preference_set,
    status_email_preferences,
    status_figures,
    status_recipients,
    status_report_send,
    status_reports_send_due,
)
from releases.services.hotfixes import (
    hotfix_advance,
    hotfix_create,
    production_change_decide,
    production_change_record,
)
from releases.services.patches import (
    release_add_hotfix,
    release_create,
    release_deploy,
    release_notes,
    release_plan_next,
    release_remove_hotfix,
    release_resolve_tickets,
    release_settings_for,
    release_settings_update,
    release_tickets_to_resolve,
)
from releases.services.webhooks import (
    SIGNATURE_HEADER,
    ticket_webhooks_emit,
    webhook_attempt,
    webhook_deliveries_due,
    webhook_emit,
    webhook_register,
    webhook_set_active,
    webhook_sign,
)

__all__ = [
    "require_builder",
    "SIGNATURE_HEADER",
    "StageConflict",
    "hotfix_advance",
    "hotfix_create",
    "production_change_decide",
    "production_change_record",
    "release_add_hotfix",
    "release_create",
    "release_deploy",
    "release_resolve_tickets",
    "release_tickets_to_resolve",
    "release_notes",
    "release_plan_next",
    "release_remove_hotfix",
    "release_settings_for",
    "release_settings_update",
    "render_status_email",
    "status_email_preference_set",
    "status_email_preferences",
    "status_figures",
    "status_recipients",
    "status_report_send",
    "status_reports_send_due",
    "ticket_webhooks_emit",
    "webhook_attempt",
    "webhook_deliveries_due",
    "webhook_emit",
    "webhook_register",
    "webhook_set_active",
    "webhook_sign",
]
