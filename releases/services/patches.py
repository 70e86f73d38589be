"""Hypercare patch releases: the cadence leads choose, bundling hotfixes, release notes, deployment."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from hypercare.access import get_programme_for
from hypercare.audit import audit
from hypercare.models import BusinessCalendar, Programme
from hypercare.vocabulary import OPEN_STATUSES
from releases.models import (
    CADENCE_DAYS,
    SHORT_STAGE_LABELS,
    Cadence,
    Hotfix,
    HotfixStage,
    PatchRelease,
    ReleaseSettings,
    ReleaseStatus,
    Stage,
)
from releases.services.common import StageConflict, require_builder, require_lead
from tickets.models import Ticket
from tickets.services import TicketStateError, known_issues_fixed, ticket_resolve

READY_STAGES = (Stage.UAT_SIGNED_OFF, Stage.DEPLOYED)


def release_settings_for(programme: Programme) -> ReleaseSettings:
    """The programme's release settings, or the defaults (unsaved) when a lead never changed them."""
    found = ReleaseSettings.objects.filter(programme=programme).first()
    return found or ReleaseSettings(programme=programme)


@transaction.atomic
def release_settings_update(
    *,
    programme: Programme,
    by,
    cadence: str | None = None,
    status_hour: int | None = None,
    weekly_weekday: int | None = None,
) -> ReleaseSettings:
    """A lead chooses the patch cadence (daily or every other day) and when status emails leave."""
    require_lead(programme, by, "Only a hypercare lead chooses the patch cadence.")
    errors = {}
    if cadence is not None and cadence not in Cadence.values:
        errors["cadence"] = f"Choose one of: {', '.join(Cadence.values)}."
    if status_hour is not None and not 0 <= status_hour <= 23:
        errors["status_hour"] = "An hour from 0 to 23."
    if weekly_weekday is not None and not 0 <= weekly_weekday <= 6:
        errors["weekly_weekday"] = "A weekday from 0 (Monday) to 6 (Sunday)."
    if errors:
        raise ValidationError(errors)
    changes = {
        key: value
        for key, value in {
            "cadence": cadence,
            "status_hour": status_hour,
            "weekly_weekday": weekly_weekday,
        }.items()
        if value is not None
    }
    settings_row, _ = ReleaseSettings.objects.update_or_create(programme=programme, defaults=changes)
    audit("release.settings", actor=by, programme=programme, **changes)
    return settings_row


def _next_working_day(programme: Programme, day: date) -> date:
    calendar = BusinessCalendar.objects.filter(programme=programme).first()
    if calendar is None:
        return day
    working = calendar.working_calendar
    for offset in range(14):
        candidate = day + timedelta(days=offset)
        if working.window(candidate) is not None:
            return candidate
    return day


def _create_release(*, programme: Programme, planned_for: date, by, at: datetime) -> PatchRelease:
    # Lock the programme row so two releases never take the same number.
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    number = (PatchRelease.objects.filter(programme=programme).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            return PatchRelease.objects.create(
                programme=programme, number=number, planned_for=planned_for, created_by=by, created_at=at
            )
    except IntegrityError:
        raise ValidationError(
            {"planned_for": f"A release is already planned for {planned_for:%d %b %Y}."}
        ) from None


@transaction.atomic
def release_create(
    *, programme: Programme, by, planned_for: date, at: datetime | None = None
) -> PatchRelease:
    """A lead plans a patch release for a date."""
    require_lead(programme, by, "Only a hypercare lead plans patch releases.")
    at = at or timezone.now()
    if planned_for < timezone.localdate(at, timezone=_tz(programme)):
        raise ValidationError({"planned_for": "A release cannot be planned in the past."})
    return _create_release(programme=programme, planned_for=planned_for, by=by, at=at)


def _tz(programme: Programme):
    from zoneinfo import ZoneInfo

    return ZoneInfo(programme.timezone)


@transaction.atomic
def release_plan_next(*, programme: Programme, by=None, at: datetime | None = None) -> PatchRelease:
    """The next planned release on the programme's cadence, created if none is planned yet."""
    at = at or timezone.now()
    today = timezone.localdate(at, timezone=_tz(programme))
    upcoming = PatchRelease.objects.planned().filter(programme=programme, planned_for__gte=today)
    existing = upcoming.order_by("planned_for").first()
    if existing is not None:
        return existing
    if by is not None:
        require_lead(programme, by, "Only a hypercare lead plans patch releases.")
    step = timedelta(days=CADENCE_DAYS[release_settings_for(programme).cadence])
    last = PatchRelease.objects.filter(programme=programme).exclude(status=ReleaseStatus.CANCELLED)
    last_day = last.aggregate(d=Max("planned_for"))["d"]
    day = max(today, last_day + step) if last_day else today + step
    day = _next_working_day(programme, day)
    try:
        with transaction.atomic():
            return _create_release(programme=programme, planned_for=day, by=by, at=at)
    except ValidationError:
        # Another request planned the same day a moment ago: that one is the answer.
        return PatchRelease.objects.planned().get(programme=programme, planned_for=day)


@transaction.atomic
def release_add_hotfix(*, release: PatchRelease, hotfix: Hotfix, by) -> Hotfix:
    """Bundle a hotfix that is not yet in production into a planned release."""
    require_builder(release.programme, by)
    if hotfix.programme_id != release.programme_id:
        raise ValidationError({"hotfix": "That hotfix belongs to another programme."})
    if release.status != ReleaseStatus.PLANNED:
        raise StageConflict(f"{release.name} is {release.get_status_display().lower()}: it cannot change.")
    moved = (
        Hotfix.objects.filter(pk=hotfix.pk)
        .exclude(stage=Stage.DEPLOYED)
        .exclude(release__status=ReleaseStatus.DEPLOYED)
        .update(release=release)
    )
    if moved != 1:
        raise StageConflict(f"Hotfix #{hotfix.pk} is already in production.")
    hotfix.refresh_from_db()
    return hotfix


@transaction.atomic
def release_remove_hotfix(*, release: PatchRelease, hotfix: Hotfix, by) -> Hotfix:
    """Take a hotfix out of a planned release (it waits for a later one)."""
    require_builder(release.programme, by)
    if release.status != ReleaseStatus.PLANNED:
        raise StageConflict(f"{release.name} is {release.get_status_display().lower()}: it cannot change.")
    Hotfix.objects.filter(pk=hotfix.pk, release=release).update(release=None)
    hotfix.refresh_from_db()
    return hotfix


def release_notes(*, release: PatchRelease) -> str:
    """Release notes in words a business user understands, from the release's hotfixes and tickets."""
    hotfixes = list(
        release.hotfixes.select_related("known_issue")
        .prefetch_related("tickets")
        .order_by("-emergency", "pk")
    )
    if release.status == ReleaseStatus.DEPLOYED and release.deployed_at:
        when = f"in production since {timezone.localtime(release.deployed_at, _tz(release.programme)):%A %d %B %Y, %H:%M}"
    else:
        when = f"planned for {release.planned_for:%A %d %B %Y}"
    lines = [f"{release.name} for {release.programme.name}, {when}.", ""]
    if not hotfixes:
        lines.append("No fixes are in this release yet.")
        return "\n".join(lines)
    lines.append(f"What is fixed ({len(hotfixes)} {'fix' if len(hotfixes) == 1 else 'fixes'}):")
    for hotfix in hotfixes:
        lines.append("")
        lines.append(f"• {hotfix.plain_summary.rstrip('.')}.")
        tickets = sorted(hotfix.tickets.all(), key=lambda t: t.number)
        if tickets:
            reported = "; ".join(f"{t.reference} “{t.title}”" for t in tickets)
            lines.append(f"  This resolves what was reported in {reported}.")
        if hotfix.known_issue is not None:
            issue = hotfix.known_issue
            lines.append(f"  Known issue “{issue.title}” is fixed.")
            if issue.workaround.strip():
                lines.append(f"  You no longer need the workaround ({issue.workaround.strip().rstrip('.')}).")
        if hotfix.emergency:
            lines.append(
                "  This was an urgent fix for a critical problem and went through the emergency path."
            )
    lines += [
        "",
        "Every fix was tested against a copy of production and checked by the business before release.",
        "If something still does not work as expected, tell your business champion or log a ticket.",
    ]
    return "\n".join(lines)


@transaction.atomic
def release_deploy(*, release: PatchRelease, by, at: datetime | None = None) -> PatchRelease:
    """Deploy a planned release: its signed-off hotfixes reach production and every reporter is told."""
    from releases.services.hotfixes import _notify_fix_deployed
    from releases.services.webhooks import webhook_emit

    programme = release.programme
    require_lead(programme, by, "Only a hypercare lead deploys a patch release.")
    at = at or timezone.now()
    if release.status != ReleaseStatus.PLANNED:
        raise StageConflict(f"{release.name} is already {release.get_status_display().lower()}.")
    hotfixes = list(release.hotfixes.all().order_by("pk"))
    if not hotfixes:
        raise StageConflict(f"{release.name} has no hotfixes to deploy.")
    not_ready = [hotfix for hotfix in hotfixes if hotfix.stage not in READY_STAGES]
    if not_ready:
        names = "; ".join(
            f"#{hotfix.pk} “{hotfix.title}” is at “{SHORT_STAGE_LABELS[hotfix.stage]}”"
            for hotfix in not_ready
        )
        raise StageConflict(f"Every hotfix needs UAT sign-off before the release is deployed: {names}.")
    won = PatchRelease.objects.filter(pk=release.pk, status=ReleaseStatus.PLANNED).update(
        status=ReleaseStatus.DEPLOYED, deployed_at=at, deployed_by=by
    )
    if won != 1:
        raise StageConflict(f"{release.name} was deployed a moment ago by someone else.")
    signed_off = [hotfix for hotfix in hotfixes if hotfix.stage == Stage.UAT_SIGNED_OFF]
    HotfixStage.objects.bulk_create(
        [
            HotfixStage(
                hotfix=hotfix, stage=Stage.DEPLOYED, by=by, at=at, note=f"Deployed in {release.name}."
            )
            for hotfix in signed_off
        ],
        ignore_conflicts=True,
    )
    Hotfix.objects.filter(release=release, stage=Stage.UAT_SIGNED_OFF).update(
        stage=Stage.DEPLOYED, stage_changed_at=at, deployed_at=at
    )
    release.refresh_from_db()
    # The known issues its hotfixes fix are fixed now, by this release: no screen shows them as expected.
    known_issues_fixed(
        known_issues=[hotfix.known_issue for hotfix in release.hotfixes.select_related("known_issue")],
        fixed_in=release.name,
        at=at,
    )
    notes = release_notes(release=release)
    PatchRelease.objects.filter(pk=release.pk).update(notes=notes)
    release.notes = notes
    _notify_fix_deployed(hotfixes=hotfixes, key=f"release:{release.pk}:deployed", at=at, release=release)
    ticket_count = Ticket.objects.filter(hotfixes__release=release).distinct().count()
    webhook_emit(
        programme=programme,
        event="release",
        key=f"release:{release.pk}",
        payload={
            "text": f"{programme.name}: {release.name} is deployed with {len(hotfixes)} "
            f"{'fix' if len(hotfixes) == 1 else 'fixes'} for {ticket_count} tickets.",
            "fields": {
                "Release": release.name,
                "Fixes": len(hotfixes),
                "Tickets": ticket_count,
                "Emergency fixes": sum(1 for hotfix in hotfixes if hotfix.emergency),
            },
            "release": {"number": release.number, "notes": notes},
        },
        at=at,
    )
    audit("release.deployed", actor=by, programme=programme, release=release.pk)
    release_plan_next(programme=programme, at=at)
    return release


def release_tickets_to_resolve(*, release: PatchRelease):
    """The open tickets a deployed release fixes: those its hotfixes name, and those linked to the known
    issues its hotfixes fix."""
    issues = release.hotfixes.exclude(known_issue=None).values("known_issue_id")
    return (
        Ticket.objects.filter(Q(hotfixes__release=release) | Q(known_issue_id__in=issues))
        .filter(programme_id=release.programme_id, status__in=OPEN_STATUSES)
        .distinct()
        .order_by("number")
    )


def release_resolve_tickets(*, release: PatchRelease, by, at: datetime | None = None) -> dict:
    """The desk's one action after a deployment: resolve every open ticket the release fixes, each through
    the same service as a single resolve (its reporter is told), with the release note of its fix.

    Returns {"resolved": [references], "refused": {reference: why}}; a refusal leaves that ticket as it was.
    """
    access = get_programme_for(by, release.programme.slug)
    if not access.can_work_queue:
        raise PermissionDenied("Only the desk, engineers, BAU support and leads resolve tickets.")
    if release.status != ReleaseStatus.DEPLOYED:
        raise StageConflict(f"{release.name} is not deployed yet: its tickets are not fixed in production.")
    at = at or timezone.now()
    day = f"{timezone.localtime(release.deployed_at, _tz(release.programme)):%a %d %b %Y}"
    summaries = {hotfix.pk: hotfix.plain_summary.rstrip(".") for hotfix in release.hotfixes.all()}
    by_issue = {
        hotfix.known_issue_id: hotfix.pk for hotfix in release.hotfixes.all() if hotfix.known_issue_id
    }
    resolved, refused = [], {}
    for ticket in release_tickets_to_resolve(release=release).select_related("programme", "reporter"):
        fixes = list(ticket.hotfixes.filter(release=release).values_list("pk", flat=True))
        fix = fixes[0] if fixes else by_issue.get(ticket.known_issue_id)
        note = f"Fixed in {release.name}, in production since {day}: {summaries.get(fix, 'see the release notes')}."
        try:
            with transaction.atomic():
                ticket_resolve(access=access, ticket=ticket, resolution=note, pass_back=False, at=at)
        except (TicketStateError, ValidationError, PermissionDenied) as error:
            refused[ticket.reference] = getattr(error, "message", None) or "; ".join(
                getattr(error, "messages", [str(error)])
            )
            continue
        resolved.append(ticket.reference)
    audit(
        "release.resolve_tickets",
        actor=by,
        programme=release.programme,
        release=release.pk,
        resolved=len(resolved),
    )
    return {"resolved": resolved, "refused": refused}
