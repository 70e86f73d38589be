"""Daily user bulletins: prepare a draft from the known issues and releases, edit it, send it once.

Sending is one transaction: a conditional UPDATE from draft to sent decides who sends, and the
recipients' ledger rows, their notifications (in-app and e-mail outbox) and the webhook outbox rows
are written with it, each under a unique key. A second send, a double click or two beat workers
therefore reach nobody twice.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import BusinessCalendar, Membership, Programme, ProgrammeStatus
from hypercare.notifications import notify
from hypercare.roles import Role
from hypercare.site import absolute
from releases import selectors
from releases.models import Bulletin, BulletinDelivery, BulletinSchedule, BulletinState, WebhookEvent
from releases.services.common import StageConflict, require_roles
from releases.services.webhooks import webhook_emit

# Seed 001: the change manager keeps users told; the leads may stand in.
SENDERS = frozenset({Role.CHANGE_MANAGER, Role.LEAD})
SENDER_REFUSAL = "Only the change manager and the hypercare leads prepare and send bulletins."
NOTIFICATION_KIND = "bulletin"
TITLE_MAX = 200
SECTION_MAX = 10_000
SECTIONS = ("fixed", "coming", "workarounds", "message")


def may_send(access) -> bool:
    """Whether this member prepares, edits and sends bulletins (and sees the drafts)."""
    return access is not None and bool(access.roles & SENDERS) and not access.is_closed


def _local_today(programme: Programme, at: datetime) -> date:
    return timezone.localdate(at, ZoneInfo(programme.timezone))


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def bulletin_prepare(*, programme: Programme, at: datetime | None = None) -> dict:
    """Today's sections from the known issues and releases, as the What's happening page shows them.

    Fixed: hotfixes deployed since the last bulletin sent (two weeks for the first one). Coming:
    the open known issues with an expected date (the next release's date when it carries the fix),
    and the next release's other fixes. Workarounds: the open known issues that have one.
    """
    at = at or timezone.now()
    last = (
        Bulletin.objects.filter(programme=programme, state=BulletinState.SENT, sent_at__lt=at)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    news = selectors.news(programme=programme, at=at, since=last)
    fixed = []
    for hotfix in news.fixed:
        line = f"- {hotfix.plain_summary}"
        if hotfix.known_issue is not None:
            line += f" (“{hotfix.known_issue.title}” no longer needs its workaround)"
        fixed.append(line)
    coming, covered = [], set()
    for issue in news.known_issues:
        expected = news.expected_on(issue)
        if expected is not None:
            coming.append(f"- {issue.title}: fix expected by {_day(expected)}")
            covered.add(issue.pk)
    release = news.next_release
    if release is not None:
        for hotfix in release.hotfixes.all():
            if hotfix.known_issue_id in covered or hotfix.known_issue_id in {
                h.known_issue_id for h in news.fixed if h.known_issue_id
            }:
                continue
            coming.append(
                f"- {hotfix.plain_summary}: in {release.name}, planned for {_day(release.planned_for)}"
            )
    workarounds = [
        f"- {issue.title}: {' '.join(issue.workaround.split())}"
        for issue in news.known_issues
        if issue.workaround.strip()
    ]
    today = _local_today(programme, at)
    return {
        "date": today,
        "title": f"{programme.name} · what's new on {_day(today)}"[:TITLE_MAX],
        "fixed": "\n".join(fixed),
        "coming": "\n".join(coming),
        "workarounds": "\n".join(workarounds),
    }


def audience_choices(programme: Programme) -> tuple[list[str], list[str]]:
    """The business units and geographies the programme's active members have, sorted."""
    rows = Membership.objects.active().filter(programme=programme).values_list("business_unit", "geography")
    units = sorted({unit for unit, _ in rows if unit})
    places = sorted({place for _, place in rows if place})
    return units, places


def _clean(programme: Programme, fields: dict) -> dict:
    """Validated changes (only the keys given), or ValidationError naming each field."""
    errors, clean = {}, {}
    if "title" in fields:
        title = " ".join(str(fields["title"] or "").split())
        if not title:
            errors["title"] = "Give the bulletin a title."
        elif len(title) > TITLE_MAX:
            errors["title"] = f"A title holds at most {TITLE_MAX} characters; this one has {len(title)}."
        clean["title"] = title
    if "date" in fields:
        if not isinstance(fields["date"], date):
            errors["date"] = "Enter the date the bulletin is for (YYYY-MM-DD)."
        clean["date"] = fields["date"]
    for name in SECTIONS:
        if name in fields:
            text = str(fields[name] or "").replace("\r\n", "\n").strip()
            if len(text) > SECTION_MAX:
                errors[name] = f"At most {SECTION_MAX} characters; this has {len(text)}."
            clean[name] = text
    units, places = None, None
    for name in ("business_units", "geographies"):
        if name not in fields:
            continue
        values = fields[name] or []
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            errors[name] = "A list of names."
            continue
        if units is None:
            units, places = audience_choices(programme)
        known = units if name == "business_units" else places
        chosen = sorted({v.strip() for v in values if v.strip()})
        unknown = [v for v in chosen if v not in known]
        if unknown:
            errors[name] = f"No member is in {', '.join(unknown)}; choose from: {', '.join(known) or 'none'}."
        clean[name] = chosen
    if errors:
        raise ValidationError(errors)
    return clean


def bulletin_create(
    *, programme: Programme, by, from_draft: bool = False, at: datetime | None = None, **fields
) -> Bulletin:
    """A change manager or lead starts a draft; `from_draft` fills it from the known issues and releases."""
    require_roles(programme, by, SENDERS, SENDER_REFUSAL)
    at = at or timezone.now()
    values = bulletin_prepare(programme=programme, at=at) if from_draft else {}
    values.setdefault("date", _local_today(programme, at))
    values.setdefault("title", f"{programme.name} · bulletin of {_day(values['date'])}")
    values.update({name: value for name, value in fields.items() if value is not None})
    clean = _clean(programme, values)
    bulletin = Bulletin.objects.create(programme=programme, created_by=by, created_at=at, **clean)
    audit("bulletin.created", actor=by, programme=programme, bulletin=bulletin.pk)
    return bulletin


@transaction.atomic
def bulletin_update(*, bulletin: Bulletin, by, **fields) -> Bulletin:
    """Edit a draft; a bulletin already sent is never changed (StageConflict)."""
    require_roles(bulletin.programme, by, SENDERS, SENDER_REFUSAL)
    clean = _clean(bulletin.programme, {k: v for k, v in fields.items() if v is not None})
    changed = Bulletin.objects.filter(pk=bulletin.pk, state=BulletinState.DRAFT).update(
        updated_at=timezone.now(), **clean
    )
    if changed != 1:
        raise StageConflict("This bulletin was already sent: it can no longer change.")
    bulletin.refresh_from_db()
    return bulletin


def bulletin_recipients(bulletin: Bulletin) -> list:
    """The active members the bulletin is for: everyone, or the chosen units and geographies."""
    members = Membership.objects.active().filter(programme_id=bulletin.programme_id, user__is_active=True)
    if bulletin.business_units:
        members = members.filter(business_unit__in=bulletin.business_units)
    if bulletin.geographies:
        members = members.filter(geography__in=bulletin.geographies)
    return [m.user for m in members.select_related("user").order_by("user__username")]


def bulletin_url(bulletin: Bulletin) -> str:
    return reverse("releases:bulletin", args=[bulletin.programme.slug, bulletin.pk])


def bulletin_text(bulletin: Bulletin) -> str:
    """The bulletin as plain text: the e-mail's body (the notification adds the link to the page)."""
    return render_to_string("releases/email/bulletin.txt", {"bulletin": bulletin}).strip()


def _send(bulletin: Bulletin, *, by, at: datetime) -> Bulletin:
    if not any(getattr(bulletin, name).strip() for name in SECTIONS):
        raise ValidationError({"fixed": "The bulletin is empty: write at least one section before sending."})
    recipients = bulletin_recipients(bulletin)
    if not recipients:
        raise ValidationError({"business_units": "Nobody is in this audience: choose other units or places."})
    with transaction.atomic():
        # The row count says who sends: a second send (or a racing worker) changes nothing.
        won = Bulletin.objects.filter(pk=bulletin.pk, state=BulletinState.DRAFT).update(
            state=BulletinState.SENT, sent_by=by, sent_at=at, recipient_count=len(recipients)
        )
        if won != 1:
            raise StageConflict("This bulletin was already sent.")
        bulletin.refresh_from_db()
        BulletinDelivery.objects.bulk_create(
            [BulletinDelivery(bulletin=bulletin, user=user, delivered_at=at) for user in recipients],
            ignore_conflicts=True,
        )
        link = bulletin_url(bulletin)
        notify(
            programme=bulletin.programme,
            recipients=recipients,
            kind=NOTIFICATION_KIND,
            key=f"bulletin:{bulletin.pk}",
            subject=bulletin.title,
            body=bulletin_text(bulletin),
            link=link,
            at=at,
        )
        webhook_emit(
            programme=bulletin.programme,
            event=WebhookEvent.BULLETIN,
            key=f"bulletin:{bulletin.pk}",
            payload={
                "text": bulletin.title,
                "fields": {
                    "Fixed": len(bulletin.fixed_lines),
                    "Coming": len(bulletin.coming_lines),
                    "Workarounds": len(bulletin.workaround_lines),
                    "For": bulletin.audience_label,
                },
                "url": absolute(link),
                "date": bulletin.date.isoformat(),
                "fixed": bulletin.fixed_lines,
                "coming": bulletin.coming_lines,
                "workarounds": bulletin.workaround_lines,
                "message": bulletin.message,
            },
            at=at,
        )
        audit(
            "bulletin.sent",
            actor=by,
            programme=bulletin.programme,
            bulletin=bulletin.pk,
            recipients=len(recipients),
        )
    return bulletin


def bulletin_send(*, bulletin: Bulletin, by, at: datetime | None = None) -> Bulletin:
    """A change manager or lead sends a draft to its audience, once (StageConflict if already sent)."""
    require_roles(bulletin.programme, by, SENDERS, SENDER_REFUSAL)
    return _send(bulletin, by=by, at=at or timezone.now())


def bulletin_schedule_for(programme: Programme) -> BulletinSchedule:
    """The programme's schedule, or an unsaved one that sends nothing by itself."""
    return BulletinSchedule.objects.filter(programme=programme).first() or BulletinSchedule(
        programme=programme
    )


@transaction.atomic
def bulletin_schedule_set(*, programme: Programme, by, send_at: time | None) -> BulletinSchedule:
    """Send the daily bulletin at `send_at` local time on working days (None: only by hand)."""
    require_roles(programme, by, SENDERS, SENDER_REFUSAL)
    if send_at is not None and not isinstance(send_at, time):
        raise ValidationError({"send_at": "A local time of day, HH:MM."})
    schedule, _ = BulletinSchedule.objects.update_or_create(
        programme=programme, defaults={"send_at": send_at, "updated_by": by}
    )
    audit("bulletin.schedule", actor=by, programme=programme, send_at=str(send_at or ""))
    return schedule


def _is_working_day(programme: Programme, day: date) -> bool:
    calendar = BusinessCalendar.objects.filter(programme=programme).first()
    if calendar is None:
        return day.weekday() < 5
    return calendar.working_calendar.is_working_day(day)


def bulletin_send_scheduled(*, programme: Programme, at: datetime) -> Bulletin | None:
    """Today's scheduled bulletin, if due and not yet sent: a person's draft for today, else a fresh one.

    Nothing happens on a day off, before the time, or once a bulletin for today went out.
    """
    schedule = BulletinSchedule.objects.filter(programme=programme, send_at__isnull=False).first()
    if schedule is None:
        return None
    local = timezone.localtime(at, ZoneInfo(programme.timezone))
    today = local.date()
    if local.time() < schedule.send_at or not _is_working_day(programme, today):
        return None
    mine = Bulletin.objects.filter(programme=programme, date=today)
    # The draft first, then the sent check: a draft a person sends meanwhile is either still
    # found here (and the conditional send below lets one of us win) or already committed as
    # sent (and found by the check). The other order let a run see neither and send a second one.
    draft = mine.filter(state=BulletinState.DRAFT).order_by("-updated_at", "-pk").first()
    if mine.filter(state=BulletinState.SENT).exists():
        return None
    if draft is None:
        values = bulletin_prepare(programme=programme, at=at)
        try:
            with transaction.atomic():
                draft = Bulletin.objects.create(programme=programme, scheduled=True, created_at=at, **values)
        except IntegrityError:
            return None  # another run prepared it, and sends it
    try:
        return _send(draft, by=None, at=at)
    except StageConflict:
        return None
    except ValidationError:
        # An empty day (nothing fixed, coming or to work around): nothing to tell, the draft waits.
        return None


def bulletins_send_due(*, at: datetime | None = None) -> int:
    """Send each running programme's scheduled bulletin once it is due; safe to run as often as beat likes."""
    at = at or timezone.now()
    running = Programme.objects.filter(
        status__in=[ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW],
        bulletin_schedule__send_at__isnull=False,
    )
    sent = 0
    for programme in running.order_by("pk"):
        if bulletin_send_scheduled(programme=programme, at=at) is not None:
            sent += 1
    return sent


def bulletins_visible(access):
    """The bulletins a member may read: every one sent; the drafts too for those who send them."""
    bulletins = Bulletin.objects.filter(programme=access.programme).select_related("sent_by", "created_by")
    if access.roles & SENDERS:
        return bulletins
    return bulletins.filter(state=BulletinState.SENT)
