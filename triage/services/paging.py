"""Paging on a new high-severity ticket: a Sev1 tells whoever is on call and the hypercare leads at once,
a Sev2 tells the desk's queue lead, in the app and by email, each person once per ticket.

Receivers of the tickets app's signals (connected in TriageConfig.ready): tickets never imports triage.
"""

from __future__ import annotations

from datetime import datetime

from hypercare.models import Membership
from hypercare.notifications import notify
from hypercare.roles import Role
from hypercare.vocabulary import OPEN_STATUSES, Severity, Tier
from tickets.models import Ticket
from triage.models import OnCallShift, QueueLead


def _leads(programme_id: int) -> list:
    return [
        membership.user
        for membership in Membership.objects.active()
        .with_role(Role.LEAD)
        .filter(programme_id=programme_id, user__is_active=True)
        .select_related("user")
    ]


def ticket_page_for_severity(*, ticket: Ticket, at: datetime) -> int:
    """Tell the right people that `ticket` is (now) Sev1 or Sev2; nothing for a lower severity or a
    ticket already done. The notification key names the ticket and the severity, so a re-save, a retry,
    or a ticket lowered and raised again never pages anyone twice. Returns the notifications queued."""
    if ticket.severity > Severity.SEV2 or ticket.status not in OPEN_STATUSES:
        return 0
    programme = ticket.programme
    if ticket.severity == Severity.SEV1:
        on_call = [
            shift.user
            for shift in OnCallShift.objects.at(at)
            .filter(programme=programme, user__is_active=True)
            .select_related("user")
        ]
        recipients = on_call + _leads(programme.pk)
        kind, what = "sev1_ticket", "New Sev1"
    else:
        lead = (
            QueueLead.objects.filter(programme=programme, tier=Tier.TIER2, user__is_active=True)
            .select_related("user")
            .first()
        )
        # A desk with no named queue lead falls back to the hypercare leads (as SLA alerts do).
        recipients = [lead.user] if lead else _leads(programme.pk)
        kind, what = "sev2_ticket", "New Sev2"
    return notify(
        programme=programme,
        recipients=recipients,
        kind=kind,
        key=f"{kind}:{ticket.pk}",
        subject=f"{what}: {ticket.reference} {ticket.title}",
        body=(ticket.description or ticket.title)[:2000],
        link=f"/p/{programme.slug}/tickets/{ticket.reference}/",
        at=at,
    )


def on_ticket_created(sender, ticket: Ticket, at: datetime, imported: bool = False, **kwargs) -> None:
    if not imported:
        ticket_page_for_severity(ticket=ticket, at=at)


def on_severity_changed(sender, ticket: Ticket, at: datetime, old: int, **kwargs) -> None:
    if ticket.severity < old:  # raised, e.g. to Sev1
        ticket_page_for_severity(ticket=ticket, at=at)
