"""Every write of the triage app (and its read models for reports), by subdomain.

policy: SLA policy versions and the triage matrix; clocks: a ticket's stored clocks;
sweep: the breach sweep and its notifications; reports: the standup board, SLA
compliance and severity overrides; team: the on-call rota, queue leads, standups and
notification preferences.
"""

from triage.services.clocks import (
    SLA_FIELDS,
    ClockContext,
    clock_state,
    ticket_clocks_alert,
    ticket_clocks_recompute,
    ticket_clocks_refresh,
    ticket_clocks_start,
)
from triage.services.policy import (
    BEGINNING,
    default_targets,
    policy_and_target_for,
    policy_for,
    programme_defaults_create,
    severity_matrix_update,
    sla_policy_create,
    sla_policy_publish,
    target_for,
)
from triage.services.reports import severity_override_report, sla_compliance, triage_board
from triage.services.sweep import sla_alerts_fan_out, sla_sweep
from triage.services.team import (
    NOTIFICATION_KINDS,
    notification_preferences_for,
    notification_preferences_save,
    oncall_now,
    oncall_shift_add,
    oncall_shift_remove,
    queue_lead_set,
    standup_start,
)

__all__ = [
    "NOTIFICATION_KINDS",
    "notification_preferences_for",
    "notification_preferences_save",
    "oncall_now",
    "oncall_shift_add",
    "oncall_shift_remove",
    "queue_lead_set",
    "severity_override_report",
    "sla_compliance",
    "standup_start",
    "triage_board",
    "BEGINNING",
    "SLA_FIELDS",
    "ClockContext",
    "clock_state",
    "default_targets",
    "policy_and_target_for",
    "policy_for",
    "programme_defaults_create",
    "severity_matrix_update",
    "sla_alerts_fan_out",
    "sla_policy_create",
    "sla_policy_publish",
    "sla_sweep",
    "target_for",
    "ticket_clocks_alert",
    "ticket_clocks_recompute",
    "ticket_clocks_refresh",
    "ticket_clocks_start",
]
