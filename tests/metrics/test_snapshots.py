"""Daily snapshots: figures against hand-computed fixtures, backfill equals live, idempotent re-runs."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from hypercare.models import Programme
from metrics import services
from metrics.models import Snapshot
from metrics.snapshots import FIGURE_FIELDS, snapshot_figures
from tests.factories import ProgrammeFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 3, 10)


def at(day_offset: int, hour: int, minute: int = 0, tz=LONDON) -> datetime:
    return datetime.combine(DAY + timedelta(days=day_offset), datetime.min.time(), tzinfo=tz).replace(
        hour=hour, minute=minute
    )


@pytest.fixture
def history(programme):
    """Eight tickets around 10 March 2026 (London), each there for a reason noted beside it."""
    make = TicketFactory
    # Reported the day before, resolved at Tier 1 on the day: a closure of the day, cycle 23 h.
    make(
        programme=programme,
        reported_at=at(-1, 10),
        resolved_at=at(0, 9),
        resolved_at_tier=1,
        status="resolved",
        category="how_to",
        severity=3,
        tier=1,
        team="bau",
    )
    # Reported on the day, still open, response SLA breached, resolution SLA still running.
    make(
        programme=programme,
        reported_at=at(0, 8),
        category="defect",
        severity=2,
        tier=2,
        team="project",
        response_due_at=at(0, 9),
        response_breached=True,
        resolution_due_at=at(1, 8),
    )
    # Reported and resolved at Tier 2 on the day (cycle 3 h), both SLAs met, handled by BAU.
    make(
        programme=programme,
        reported_at=at(0, 12),
        first_responded_at=at(0, 12, 10),
        resolved_at=at(0, 15),
        resolved_at_tier=2,
        status="resolved",
        category="defect",
        severity=1,
        tier=2,
        team="bau",
        response_due_at=at(0, 12, 15),
        resolution_due_at=at(0, 16),
    )
    # Reported late on the day: intake of the day and open at its end.
    make(programme=programme, reported_at=at(0, 23, 30), category="how_to", severity=4, tier=1)
    # Just after midnight: the next day's intake, not this one's.
    make(programme=programme, reported_at=at(1, 0, 10), category="defect", severity=3)
    # Deferred to the backlog: counted in intake history but never open.
    make(programme=programme, reported_at=at(-2, 10), status="deferred", category="enhancement", severity=3)
    # Closed without a resolution the day before: a closure of that day.
    make(
        programme=programme,
        reported_at=at(-3, 10),
        closed_at=at(-1, 11),
        status="closed",
        category="access",
        severity=4,
    )
    # Resolved only the next day: open at the end of this one.
    make(programme=programme, reported_at=at(-5, 10), resolved_at=at(1, 10), resolved_at_tier=3,
         status="resolved", category="integration", severity=3, tier=3)  # fmt: skip


def test_it_computes_the_days_figures_as_counted_by_hand(programme, history):
    figures = snapshot_figures(programme=programme, day=DAY, at=at(2, 0))
    assert figures["intake"] == 3
    assert figures["closures"] == 2
    assert figures["cumulative_intake"] == 7
    assert figures["cumulative_closures"] == 3
    assert figures["intake_defects"] == 2
    assert figures["intake_training_gaps"] == 1
    assert figures["intake_bau"] == 1
    assert figures["open_total"] == 3
    assert figures["open_by_severity"] == {"1": 0, "2": 1, "3": 1, "4": 1}
    assert figures["open_by_tier"] == {"1": 1, "2": 1, "3": 1}
    assert figures["open_by_category"]["how_to"] == 1 and figures["open_by_category"]["integration"] == 1
    assert figures["open_defects"] == 2  # the defect and the integration failure
    assert figures["open_training_gaps"] == 1
    assert figures["resolved_by_tier"] == {"1": 1, "2": 1, "3": 0}
    # Cycle times of the 7 days ending on the day: 23 h and 3 h.
    assert figures["cycle_time_sample"] == 2
    assert figures["cycle_time_median_hours"] == 13.0
    assert figures["cycle_time_p90_hours"] == 21.0
    assert figures["sla"]["1"] == {
        "response": {"met": 1, "breached": 0, "open": 0},
        "resolution": {"met": 1, "breached": 0, "open": 0},
    }
    assert figures["sla"]["2"] == {
        "response": {"met": 0, "breached": 1, "open": 0},
        "resolution": {"met": 0, "breached": 0, "open": 1},
    }


def test_today_so_far_counts_only_what_happened_before_now(programme, history):
    figures = snapshot_figures(programme=programme, day=DAY, at=at(0, 13))
    # Reported by 13:00: the 08:00 and 12:00 tickets; closed by then: only the 09:00 resolution.
    assert figures["intake"] == 2
    assert figures["closures"] == 1
    assert figures["open_total"] == 3  # the 08:00 and 12:00 tickets, and the one resolved the next day
    assert figures["sla"]["1"]["resolution"] == {"met": 0, "breached": 0, "open": 1}


def test_a_day_is_the_programmes_local_day(db):
    programme = ProgrammeFactory(slug="nyc", timezone="America/New_York")
    new_york = ZoneInfo("America/New_York")
    # 23:30 in New York on the 10th is 03:30 UTC on the 11th: it belongs to the 10th.
    TicketFactory(programme=programme, reported_at=datetime(2026, 3, 10, 23, 30, tzinfo=new_york))
    TicketFactory(programme=programme, reported_at=datetime(2026, 3, 10, 0, 30, tzinfo=new_york))
    TicketFactory(programme=programme, reported_at=datetime(2026, 3, 9, 23, 59, tzinfo=new_york))
    later = datetime(2026, 3, 20, tzinfo=new_york)
    assert snapshot_figures(programme=programme, day=date(2026, 3, 10), at=later)["intake"] == 2
    assert snapshot_figures(programme=programme, day=date(2026, 3, 9), at=later)["intake"] == 1


def test_a_day_across_the_clock_change_has_its_23_hours(db):
    programme = ProgrammeFactory(slug="dst", timezone="Europe/London")
    # 29 March 2026: clocks go forward at 01:00 GMT; the local day runs 00:00 GMT to 23:00 UTC.
    TicketFactory(programme=programme, reported_at=datetime(2026, 3, 29, 22, 30, tzinfo=ZoneInfo("UTC")))
    TicketFactory(programme=programme, reported_at=datetime(2026, 3, 29, 23, 30, tzinfo=ZoneInfo("UTC")))
    later = datetime(2026, 4, 5, tzinfo=LONDON)
    assert snapshot_figures(programme=programme, day=date(2026, 3, 29), at=later)["intake"] == 1
    assert snapshot_figures(programme=programme, day=date(2026, 3, 30), at=later)["intake"] == 1


def test_the_percentiles_interpolate_like_percentile_cont(programme):
    # Cycle times 1, 2, 3, 4 and 10 hours: median 3 h; p90 at position 3.6, between 4 and 10: 7.6 h.
    for hours in (1, 2, 3, 4, 10):
        TicketFactory(programme=programme, reported_at=at(0, 0) - timedelta(hours=hours) + timedelta(hours=12),
                      resolved_at=at(0, 12), resolved_at_tier=2, status="resolved")  # fmt: skip
    figures = snapshot_figures(programme=programme, day=DAY, at=at(3, 0))
    assert (figures["cycle_time_median_hours"], figures["cycle_time_p90_hours"]) == (3.0, 7.6)


def test_a_day_without_resolutions_has_no_cycle_time(programme):
    TicketFactory(programme=programme, reported_at=at(0, 9))
    figures = snapshot_figures(programme=programme, day=DAY, at=at(1, 0))
    assert figures["cycle_time_median_hours"] is None and figures["cycle_time_sample"] == 0


def test_it_computes_a_snapshot_in_a_constant_number_of_queries(programme, django_assert_max_num_queries):
    for n in range(30):
        TicketFactory(programme=programme, reported_at=at(-n % 5, 9), resolved_at=at(0, 10) if n % 2 else None,
                      resolved_at_tier=1 + n % 3 if n % 2 else None, severity=1 + n % 4, category="how_to")  # fmt: skip
    # one pass grouped by severity, tier and category; the percentiles (one aggregate on PostgreSQL,
    # two ordered probes on SQLite)
    with django_assert_max_num_queries(3):
        snapshot_figures(programme=programme, day=DAY, at=at(1, 0))


def test_a_snapshot_of_a_day_that_has_not_ended_is_refused(programme):
    with pytest.raises(ValidationError):
        services.snapshot_take(programme=programme, day=DAY, at=at(0, 23, 59))


def test_taking_a_day_twice_replaces_its_row(programme, history):
    services.snapshot_take(programme=programme, day=DAY, at=at(1, 0, 5))
    TicketFactory(programme=programme, reported_at=at(0, 20), category="how_to")  # logged late, backdated
    services.snapshot_take(programme=programme, day=DAY, at=at(1, 0, 10))
    assert Snapshot.objects.filter(programme=programme, date=DAY).count() == 1
    assert Snapshot.objects.get(programme=programme, date=DAY).intake == 4


def test_beat_takes_yesterday_just_after_the_programmes_midnight(programme, history):
    tokyo = ProgrammeFactory(slug="tokyo", timezone="Asia/Tokyo")
    Programme.objects.filter(pk__in=[programme.pk, tokyo.pk]).update(created_at=at(-30, 0))
    # 00:05 in London on the 11th is already 09:05 in Tokyo: both have the 10th to take.
    assert services.snapshots_take_due(at=at(1, 0, 5)) > 0
    assert Snapshot.objects.filter(programme=programme, date=DAY).exists()
    assert Snapshot.objects.filter(programme=tokyo, date=DAY).exists()
    assert not Snapshot.objects.filter(date=DAY + timedelta(days=1)).exists()
    # A second run a few minutes later finds nothing to do and duplicates nothing.
    count = Snapshot.objects.count()
    assert services.snapshots_take_due(at=at(1, 0, 15)) == 0
    assert Snapshot.objects.count() == count


def test_beat_does_not_take_a_day_before_it_has_ended_locally(db):
    new_york = ProgrammeFactory(slug="nyc", timezone="America/New_York")
    Programme.objects.filter(pk=new_york.pk).update(created_at=at(-30, 0))
    # 03:00 UTC on the 11th is still the evening of the 10th in New York.
    services.snapshots_take_due(at=datetime(2026, 3, 11, 3, 0, tzinfo=ZoneInfo("UTC")))
    assert not Snapshot.objects.filter(programme=new_york, date=DAY).exists()
    assert Snapshot.objects.filter(programme=new_york, date=DAY - timedelta(days=1)).exists()


def test_beat_catches_up_missed_days_but_skips_closed_programmes(programme, other_programme):
    Programme.objects.filter(pk=programme.pk).update(created_at=at(-30, 0))
    Programme.objects.filter(pk=other_programme.pk).update(created_at=at(-30, 0), status="closed")
    services.snapshots_take_due(at=at(1, 0, 5))
    days = set(Snapshot.objects.filter(programme=programme).values_list("date", flat=True))
    assert days == {DAY - timedelta(days=n) for n in range(7)}
    assert not Snapshot.objects.filter(programme=other_programme).exists()


def test_the_celery_task_takes_due_snapshots(programme, monkeypatch):
    from django.utils import timezone

    from metrics.tasks import snapshots_due_task

    Programme.objects.filter(pk=programme.pk).update(created_at=at(-3, 0))
    monkeypatch.setattr(timezone, "now", lambda: at(1, 0, 5))
    assert snapshots_due_task.delay().get() == 4
    assert Snapshot.objects.filter(programme=programme).count() == 4


def test_beat_runs_the_snapshot_task_every_ten_minutes():
    from hypercare.celery import app

    entry = next(
        e for e in app.conf.beat_schedule.values() if e["task"] == "metrics.tasks.snapshots_due_task"
    )
    assert entry["schedule"].minute == {0, 10, 20, 30, 40, 50}


def test_a_backfill_weeks_later_gives_the_figures_taken_after_midnight(programme, history):
    Programme.objects.filter(pk=programme.pk).update(created_at=at(-6, 0))
    services.snapshots_take_due(at=at(1, 0, 5))
    taken = {s.date: s for s in Snapshot.objects.filter(programme=programme)}
    # Life goes on after midnight: new tickets, an open one resolved, another closed.
    TicketFactory(programme=programme, reported_at=at(1, 9), category="defect")
    open_ticket = Ticket.objects.get(programme=programme, reported_at=at(0, 8))
    Ticket.objects.filter(pk=open_ticket.pk).update(
        status="resolved", resolved_at=at(2, 9), resolved_at_tier=2
    )
    call_command("backfill_snapshots", "--programme", programme.slug, "--from", str(DAY - timedelta(days=6)),
                 "--to", str(DAY), stdout=io.StringIO())  # fmt: skip
    rebuilt = {s.date: s for s in Snapshot.objects.filter(programme=programme)}
    assert rebuilt.keys() == taken.keys()
    for day_, snapshot in taken.items():
        for name in FIGURE_FIELDS:
            assert getattr(rebuilt[day_], name) == getattr(snapshot, name), (day_, name)


def test_a_backfill_is_idempotent(programme, history):
    for _ in range(2):
        services.snapshots_backfill(programme=programme, start=DAY - timedelta(days=3), end=DAY, at=at(5, 0))
    assert Snapshot.objects.filter(programme=programme).count() == 4


def test_the_backfill_command_refuses_bad_input(programme):
    out = io.StringIO()
    with pytest.raises(CommandError, match="No programme"):
        call_command(
            "backfill_snapshots", "--programme", "nope", "--from", "2026-03-01", "--to", "2026-03-02"
        )
    with pytest.raises(CommandError, match="not a date"):
        call_command("backfill_snapshots", "--programme", "acme", "--from", "2026-3-1", "--to", "2026-03-02")
    with pytest.raises(CommandError, match="before the start"):
        call_command(
            "backfill_snapshots", "--programme", "acme", "--from", "2026-03-05", "--to", "2026-03-02"
        )
    with pytest.raises(CommandError, match="has not ended"):
        call_command(
            "backfill_snapshots", "--programme", "acme", "--from", "2026-03-05", "--to", "2999-01-01"
        )
    call_command(
        "backfill_snapshots", "--programme", "acme", "--from", "2026-03-01", "--to", "2026-03-02", stdout=out
    )
    assert "2 snapshot(s) of acme rebuilt" in out.getvalue()
