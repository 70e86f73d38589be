"""The API's ticket rows and details are built directly (tickets.serializers.Rendering), not by
DRF's field machinery: they must equal, key by key and type by type, what the declared fields
give (DRF's own to_representation, kept as the reference), for every kind of ticket."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework import serializers as drf

from hypercare.calendar import WorkingCalendar
from hypercare.models import Programme
from hypercare.vocabulary import Clock, Status
from tests.factories import HolidayFactory, KnownIssueFactory, TicketFactory
from tests.tickets.test_services_transitions import access_of, log, ticket_in
from tickets import services
from tickets.api import TicketViewSet
from tickets.models import Ticket
from tickets.serializers import SlaCalendars, TicketDetailSerializer, TicketSerializer

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/tickets/"


def same(fast, slow, where: str = "") -> None:
    """Equal keys in the same order, equal values of the same types, recursively."""
    if isinstance(slow, dict):
        assert isinstance(fast, dict), where
        assert list(fast) == list(slow), where
        for key in slow:
            same(fast[key], slow[key], f"{where}.{key}")
    elif isinstance(slow, list):
        assert isinstance(fast, list) and len(fast) == len(slow), where
        for index, (a, b) in enumerate(zip(fast, slow, strict=True)):
            same(a, b, f"{where}[{index}]")
    else:
        assert (type(fast), fast) == (type(slow), slow), where


def reference(serializer_class, ticket: Ticket, context: dict) -> dict:
    """What DRF's field machinery gives for the declared fields (the path the fast one replaces)."""
    return drf.ModelSerializer.to_representation(serializer_class(context=context), ticket)


@pytest.fixture
def mix(settings, tmp_path, programme, desk, champion, engineer, lead):
    """Tickets in every state a row can show: new, triaged, in progress, waiting (paused), resolved at
    Tier 1 and Tier 2, closed, deferred; 24×7 and business clocks, at risk, breached on response and
    resolution, no clock at all; with and without assignee, team, known issue, comments, attachments."""
    settings.MEDIA_ROOT = tmp_path
    HolidayFactory(calendar=programme.calendar, date=(timezone.now() + timedelta(days=2)).date())
    desk_access, lead_access = access_of(desk), access_of(lead)
    known_issue = KnownIssueFactory(programme=programme, created_by=desk.user)
    tickets = [ticket_in(status, desk_access) for status in Status.values]
    tickets.append(log(desk_access, severity=1, title="Sev1 round the clock"))
    tickets.append(log(access_of(champion), severity=2, title="Sev2 from a champion"))
    tickets.append(
        services.ticket_create(
            access=access_of(champion),
            title="Where is the clone button?",
            category="how_to",
            answers=services.TriageAnswers("individual", "simple", False),
            resolved_at_tier1=True,
            resolution="Showed the Clone button.",
        )
    )
    # Logged long ago: both clocks breached (24×7 and business), or at risk only.
    for severity, age in ((1, timedelta(days=3)), (3, timedelta(days=20)), (2, timedelta(minutes=50))):
        tickets.append(
            services.ticket_create(
                access=lead_access,
                title=f"Imported Sev{severity}",
                severity=severity,
                severity_reason="import",
                reported_at=timezone.now() - age,
                category="integration",
            )
        )
    assigned = tickets[0]
    services.ticket_assign(access=desk_access, ticket=assigned, assignee=engineer.user)
    services.ticket_link(access=desk_access, ticket=assigned, known_issue=known_issue)
    services.ticket_comment(access=desk_access, ticket=assigned, body="Public <b>note</b>")
    services.ticket_comment(access=desk_access, ticket=assigned, body="Internal note", internal=True)
    services.ticket_escalate(
        access=desk_access,
        ticket=assigned,
        to_tier=3,
        replication_steps="1. Open a quote. 2. Click Sync. Expected: synced. Actual: a 504.",
        note="",
    )
    services.ticket_attach(
        access=desk_access, ticket=assigned, upload=SimpleUploadedFile("trace.log", b"Timeout at line 12")
    )
    services.ticket_attach(
        access=desk_access,
        ticket=assigned,
        upload=SimpleUploadedFile("error.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        internal=True,
    )
    # Straight to the table: odd values the services would not write (no clock, a blank team).
    TicketFactory(
        programme=programme, number=900, reporter=champion.user, category="other", status="deferred"
    )
    return tickets


def calendars(programme, now) -> SlaCalendars:
    # A fresh programme: the fixture's cached its calendar before the holiday was added.
    return SlaCalendars(Programme.objects.get(pk=programme.pk), now=now)


def loaded(viewset_access, reference: str) -> Ticket:
    view = TicketViewSet()
    view.access = viewset_access
    return view.with_timeline(Ticket.objects.for_list()).get(reference=reference)


@pytest.mark.parametrize("persona", ["desk", "champion"])
def test_rows_and_details_equal_the_declared_fields(request, mix, programme, persona):
    access = access_of(request.getfixturevalue(persona))
    now = timezone.now()
    for ticket in Ticket.objects.filter(programme=programme):
        ticket = loaded(access, ticket.reference)
        for serializer_class in (TicketSerializer, TicketDetailSerializer):
            context = {"access": access, "sla_calendars": calendars(programme, now)}
            fast = serializer_class(context=context).to_representation(ticket)
            slow = reference(serializer_class, ticket, context)
            same(fast, slow, f"{ticket.reference} {serializer_class.__name__}")


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata"])
def test_instants_follow_the_current_time_zone_as_drf_does(mix, programme, desk, zone):
    access = access_of(desk)
    with timezone.override(zone):
        for ticket in mix[:4]:
            ticket = loaded(access, ticket.reference)
            context = {"access": access, "sla_calendars": calendars(programme, timezone.now())}
            fast = TicketDetailSerializer(context=context).to_representation(ticket)
            same(fast, reference(TicketDetailSerializer, ticket, context), ticket.reference)
            if zone == "Asia/Kolkata":
                assert fast["reported_at"].endswith("+05:30")


def test_the_mix_covers_every_figure(mix, programme):
    context = {"sla_calendars": calendars(programme, timezone.now())}
    rows = [TicketSerializer(context=context).to_representation(t) for t in mix]
    assert {row["status"] for row in rows} == set(Status.values)
    assert {row["kind"] for row in rows} == {"defect", "training gap"}
    for figure in ("at_risk", "response_breached", "resolution_breached", "paused"):
        assert {row[figure] for row in rows} == {True, False}, figure
    remaining = [row["time_remaining_minutes"] for row in rows]
    assert None in remaining and any(m and m > 0 for m in remaining) and any(m and m < 0 for m in remaining)


@pytest.mark.parametrize("persona", ["desk", "champion"])
def test_the_api_list_and_detail_equal_the_declared_fields(request, mix, programme, persona):
    member = request.getfixturevalue(persona)
    access = access_of(member)
    api = member.api()
    now = timezone.now()
    context = {"access": access, "sla_calendars": calendars(programme, now)}
    with mock.patch("django.utils.timezone.now", return_value=now):
        body = api.get(URL, {"page_size": 200}).json()
    visible = Ticket.objects.visible_to(access)
    assert body["count"] == visible.count() and len(body["results"]) == body["count"]
    expected = [
        reference(TicketSerializer, loaded(access, t.reference), context)
        for t in visible.order_by("-reported_at", "-pk")
    ]
    same(body["results"], [dict(row) for row in expected], "list")
    for ticket in visible:
        with mock.patch("django.utils.timezone.now", return_value=now):
            detail = api.get(f"{URL}{ticket.reference}/").json()
        slow = reference(TicketDetailSerializer, loaded(access, ticket.reference), context)
        same(detail, slow, ticket.reference)


def test_a_filtered_deep_page_reads_the_same_rows(mix, desk):
    api = desk.api()
    everything = api.get(URL, {"page_size": 200, "sort": "severity"}).json()["results"]
    pages = [api.get(URL, {"page_size": 3, "page": n, "sort": "severity"}).json() for n in (1, 2, 3)]
    assert [row["reference"] for page in pages for row in page["results"]] == [
        row["reference"] for row in everything[:9]
    ]
    assert pages[1]["previous"] and pages[1]["next"]
    open_only = api.get(URL, {"status": "open", "page_size": 200}).json()
    assert open_only["count"] == sum(
        row["status"] in {"new", "triaged", "in_progress", "waiting_on_reporter"} for row in everything
    )


@pytest.mark.parametrize("zone", ["Europe/London", "America/Sao_Paulo", "Asia/Kolkata"])
def test_the_requests_calendar_counts_the_minutes_the_working_calendar_does(zone):
    """SlaCalendars.minutes_between (the 24×7 clock as plain elapsed time, the business clock on the
    request's calendar) gives the same floats as WorkingCalendar.working_minutes_between, across
    holidays, DST changes, nights and weekends."""
    hours = {
        "mon": ["09:00", "17:30"],
        "tue": ["08:15", "24:00"],
        "wed": ["09:00", "17:00"],
        "thu": ["00:00", "12:00"],
        "fri": ["09:00", "17:00"],
        "sat": ["10:00", "14:00"],
        "sun": None,
    }
    holidays = [date(2026, 3, 30), date(2026, 3, 31), date(2026, 10, 26), date(2026, 12, 25)]
    business = WorkingCalendar.build(timezone=zone, working_hours=hours, holidays=holidays)
    programme = mock.Mock(timezone=zone)
    programme.calendar.working_calendar = business
    calendars = SlaCalendars(programme)
    rng = random.Random(7)
    base = datetime(2026, 3, 20, tzinfo=UTC)
    for _ in range(3000):
        start = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 240))
        end = start + timedelta(minutes=rng.randrange(-600, 60 * 24 * 40), seconds=rng.randrange(60))
        expected = business.working_minutes_between(start, end)
        assert calendars.minutes_between(Clock.BUSINESS, start, end) == expected, (start, end)
        assert calendars.minutes_between(Clock.ROUND_THE_CLOCK, start, end) == (
            calendars.round_the_clock.working_minutes_between(start, end)
        ), (start, end)
