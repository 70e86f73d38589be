"""Demo data of triage: queue leads, an on-call rota that rotates weekly, and the daily standups."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from triage.models import OnCallShift, QueueLead, Standup


def seed(*, programme, people, today: date) -> None:
    zone = ZoneInfo(programme.timezone)
    lead = people["lead"].user
    QueueLead.objects.bulk_create(
        [
            QueueLead(programme=programme, tier=2, user=people["desk"].user),
            QueueLead(programme=programme, tier=3, user=people["engineer"].user),
        ]
    )
    # A weekly rotation handed over on Mondays at 09:00, from go-live to three weeks ahead.
    rotation = [people[name].user for name in ("engineer", "engineer2", "lead2")]
    monday = programme.go_live_date - timedelta(days=programme.go_live_date.weekday())
    shifts = []
    week = 0
    while monday <= today + timedelta(days=21):
        starts = datetime.combine(monday, time(9), tzinfo=zone)
        shifts.append(
            OnCallShift(
                programme=programme,
                user=rotation[week % len(rotation)],
                starts_at=starts,
                ends_at=datetime.combine(monday + timedelta(days=7), time(9), tzinfo=zone),
                note=f"Week {week + 1}",
                created_by=lead,
            )
        )
        monday += timedelta(days=7)
        week += 1
    OnCallShift.objects.bulk_create(shifts)
    # Daily standups at 09:30 on working days since go-live (not today's: start it on the board).
    day = programme.go_live_date
    standups = []
    while day < today:
        if day.weekday() < 5:
            standups.append(
                Standup(
                    programme=programme,
                    started_at=datetime.combine(day, time(9, 30), tzinfo=zone),
                    started_by=lead,
                )
            )
        day += timedelta(days=1)
    Standup.objects.bulk_create(standups)
