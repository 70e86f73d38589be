"""Every write of the triage app (and its read models for reports), by subdomain.

(The SLA policy and the triage matrix live in the SLA layer, `sla.policy`; a ticket's stored
clocks in `tickets.clocks`.) sweep: the breach sweep and its notifications; reports: the standup board, SLA
compliance and severity overrides; team: the on-call rota, queue leads, standups and
notification preferences.
"""

from triage.services.reports import severity_override_report, sla_compliance, triage_board
from triage.services.sweep import sla_alerts_fan_out, sla_sweep
from triage.services.team import (
    NOT_A_QUEUE_WORKER,
    NOTIFICATION_KINDS,
    notification_preferences_for,
    notification_preferences_save,
    oncall_now,
    oncall_shift_add,
    oncall_shift_remove,
    queue_lead_set,
    queue_worker,
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
    "queue_worker",
    "NOT_A_QUEUE_WORKER",
    "severity_override_report",
    "sla_compliance",
    "standup_start",
    "triage_board",
    "sla_alerts_fan_out",
    "sla_sweep",
]
