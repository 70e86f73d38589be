"""Who is told and when: the on-call rota, the queue leads, standups and notification preferences."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.audit import audit
from hypercare.models import Membership, NotificationPreference, Programme
from hypercare.roles import QUEUE_WORKERS
from triage.models import OnCallShift, QueueLead, Standup

# The kinds of notification a member can route, with what each one is about.
NOTIFICATION_KINDS: dict[str, str] = {
    "sla_at_risk": "A ticket you handle or lead is at risk of breaching its SLA",
    "sla_response_breach": "A ticket's response target was breached",
    "sla_resolution_breach": "A ticket's resolution target was breached",
    "ticket_resolved": "A ticket you reported was resolved",
    "known_issue_fixed": "The known issue behind your ticket was fixed",
    "resolution_proposed": "Tier 3 passed back the resolution of a ticket you escalated",
    "sev1_ticket": "A new Sev1 ticket (you are a lead or on call)",
    "sev2_ticket": "A new Sev2 ticket in the queue you lead",
}
MAX_SHIFT = timedelta(days=31)


def _require_lead(access: ProgrammeAccess, what: str) -> None:
    if not access.is_lead:
        audit("permission.denied", actor=access.user, programme=access.programme, action=what)
        access.refuse("Only the programme's hypercare leads can do this.")


# One answer for a stranger, an unknown username, a member of another programme and a member in
# another role: the rota and the queue leads reveal nobody beyond the programme's own queue workers.
NOT_A_QUEUE_WORKER = (
    "Choose a member of this programme who works the queues (desk, engineer, BAU support or lead)."
)


def queue_worker(programme: Programme, user, field: str = "user") -> Membership:
    """The user's membership as a queue worker of the programme; the same refusal for anyone else
    (`user` may be None: an unknown username)."""
    membership = (
        Membership.objects.active().filter(programme=programme, user=user).first()
        if user is not None
        else None
    )
    if membership is None or not set(membership.roles) & QUEUE_WORKERS:
        raise ValidationError({field: NOT_A_QUEUE_WORKER})
    return membership


@transaction.atomic
def queue_lead_set(*, access: ProgrammeAccess, tier: int, user) -> QueueLead | None:
    """A lead names (or, with None, clears) the lead of the Tier 2 or Tier 3 queue."""
    _require_lead(access, "queue_lead.set")
    if tier not in (2, 3):
        raise ValidationError({"tier": "Queue leads are named for Tier 2 and Tier 3."})
    programme = access.programme
    if user is None:
        if QueueLead.objects.filter(programme=programme, tier=tier).delete()[0]:
            audit("queue_lead.cleared", actor=access.user, programme=programme, tier=tier)
        return None
    queue_worker(programme, user, "user")
    row, _ = QueueLead.objects.update_or_create(programme=programme, tier=tier, defaults={"user": user})
    audit("queue_lead.set", actor=access.user, programme=programme, tier=tier, user=user.username)
    return row


@transaction.atomic
def oncall_shift_add(
    *, access: ProgrammeAccess, user, starts_at: datetime, ends_at: datetime, note: str = ""
) -> OnCallShift:
    """A lead puts someone on call from `starts_at` to `ends_at`; shifts of a programme never overlap."""
    _require_lead(access, "oncall.add")
    programme = access.programme
    queue_worker(programme, user, "user")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValidationError({"starts_at": "Give times with a time zone."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "A shift ends after it starts."})
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError({"ends_at": "A shift lasts at most 31 days: plan a rotation instead."})
    # Serialise rota edits of one programme, so two leads cannot book overlapping shifts.
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    clash = (
        OnCallShift.objects.filter(programme=programme, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("user")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": f"{clash.user.username} is on call then "
                f"({clash.starts_at:%Y-%m-%d %H:%M} – {clash.ends_at:%Y-%m-%d %H:%M} UTC)."
            }
        )
    shift = OnCallShift.objects.create(
        programme=programme,
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip()[:200],
        created_by=access.user,
    )
    audit("oncall.added", actor=access.user, programme=programme, user=user.username)
    return shift


@transaction.atomic
def oncall_shift_remove(*, access: ProgrammeAccess, shift: OnCallShift) -> None:
    """A lead removes a shift from the rota."""
    _require_lead(access, "oncall.remove")
    if shift.programme_id != access.programme.pk:
        raise ValidationError({"shift": "No such shift in this programme."})
    OnCallShift.objects.filter(pk=shift.pk).delete()
    audit("oncall.removed", actor=access.user, programme=access.programme, shift=shift.pk)


def oncall_now(programme: Programme, at: datetime | None = None) -> OnCallShift | None:
    """The shift covering `at` (now), if any."""
    return (
        OnCallShift.objects.at(at or timezone.now())
        .filter(programme=programme)
        .select_related("user")
        .first()
    )


@transaction.atomic
def standup_start(*, access: ProgrammeAccess, at: datetime | None = None) -> Standup:
    """Record that the standup starts now: the board's "new since the last standup" counts from here."""
    if not (access.can_support or access.is_lead):
        access.refuse("Only the support team and leads run the standup.")
    return Standup.objects.create(
        programme=access.programme, started_at=at or timezone.now(), started_by=access.user
    )


@transaction.atomic
def notification_preferences_save(*, user, choices: Mapping[str, Mapping[str, bool]]) -> int:
    """Store a member's channels per kind of notification: {"sla_at_risk": {"email": True, "in_app": False}}."""
    unknown = set(choices) - set(NOTIFICATION_KINDS)
    if unknown:
        raise ValidationError({"kind": f"Unknown notification kind(s): {', '.join(sorted(unknown))}."})
    rows = [
        NotificationPreference(
            user=user, kind=kind, email=bool(channels.get("email")), in_app=bool(channels.get("in_app"))
        )
        for kind, channels in choices.items()
    ]
    NotificationPreference.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user", "kind"], update_fields=["email", "in_app"]
    )
    return len(rows)


def notification_preferences_for(user) -> dict[str, dict[str, bool]]:
    """Every kind with the member's channels (both, when they never chose)."""
    stored = {
        p.kind: p for p in NotificationPreference.objects.filter(user=user, kind__in=list(NOTIFICATION_KINDS))
    }
    return {
        kind: {
            "email": stored[kind].email if kind in stored else True,
            "in_app": stored[kind].in_app if kind in stored else True,
        }
        for kind in NOTIFICATION_KINDS
    }
