"""Bulletin pages: the archive every member reads, and the change manager's draft, edit and send."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.views import apply_errors
from releases import services
from releases.forms import BulletinForm, BulletinScheduleForm
from releases.models import Bulletin, BulletinState
from releases.services.bulletins import SENDER_REFUSAL, audience_choices, may_send
from releases.services.common import StageConflict


def _require_sender(access: ProgrammeAccess) -> None:
    if not may_send(access):
        access.refuse(SENDER_REFUSAL)


def _bulletin(access: ProgrammeAccess, pk: int) -> Bulletin:
    return get_object_or_404(services.bulletins_visible(access), pk=pk)


@require_GET
@login_required
def bulletin_list(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    sender = may_send(access)
    bulletins = list(services.bulletins_visible(access).order_by("-date", "-pk")[:200])
    schedule = services.bulletin_schedule_for(access.programme)
    return render(
        request,
        "releases/bulletins.html",
        {
            "access": access,
            "programme": access.programme,
            "sent": [b for b in bulletins if not b.is_draft],
            "drafts": [b for b in bulletins if b.is_draft],
            "may_send": sender,
            "schedule": schedule,
            "schedule_form": BulletinScheduleForm(initial={"send_at": schedule.send_at}) if sender else None,
        },
    )


@require_POST
@login_required
def bulletin_create(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_sender(access)
    today = timezone.localdate(timezone.now(), ZoneInfo(access.programme.timezone))
    existing = (
        Bulletin.objects.filter(programme=access.programme, date=today, state=BulletinState.DRAFT)
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        # A second click opens the day's draft rather than starting a rival one.
        messages.info(request, "Today's draft is already there: here it is.")
        return redirect("releases:bulletin_edit", slug=slug, pk=existing.pk)
    bulletin = services.bulletin_create(programme=access.programme, by=request.user, from_draft=True)
    messages.success(request, "A draft is ready, filled from today's known issues and releases.")
    return redirect("releases:bulletin_edit", slug=slug, pk=bulletin.pk)


@require_POST
@login_required
def bulletin_schedule(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_sender(access)
    form = BulletinScheduleForm(request.POST)
    if form.is_valid():
        send_at = form.cleaned_data["send_at"]
        services.bulletin_schedule_set(programme=access.programme, by=request.user, send_at=send_at)
        messages.success(
            request,
            f"The daily bulletin will leave at {send_at:%H:%M} on working days."
            if send_at
            else "The daily bulletin is only sent by hand now.",
        )
    else:
        messages.error(request, "Enter a time of day, e.g. 09:00, or leave it empty.")
    return redirect("releases:bulletins", slug=slug)


@require_GET
@login_required
def bulletin_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    bulletin = _bulletin(access, pk)
    return render(
        request,
        "releases/bulletin.html",
        {"access": access, "programme": access.programme, "bulletin": bulletin, "may_send": may_send(access)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def bulletin_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_sender(access)
    bulletin = _bulletin(access, pk)
    if not bulletin.is_draft:
        messages.info(request, "This bulletin was sent: it can no longer change.")
        return redirect("releases:bulletin", slug=slug, pk=pk)
    units, places = audience_choices(access.programme)
    initial = {name: getattr(bulletin, name) for name in BulletinForm.base_fields}
    form = BulletinForm(request.POST or None, initial=initial, units=units, places=places)
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = services.bulletin_update(bulletin=bulletin, by=request.user, **form.cleaned_data)
        except StageConflict as error:
            messages.error(request, error.message)
            return redirect("releases:bulletin", slug=slug, pk=pk)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if request.POST.get("then") == "send":
                return _send(request, access, bulletin)
            messages.success(request, "Draft saved.")
            return redirect("releases:bulletin_edit", slug=slug, pk=pk)
    return render(
        request,
        "releases/bulletin_edit.html",
        {"access": access, "programme": access.programme, "bulletin": bulletin, "form": form},
        status=400 if form.errors else 200,
    )


def _send(request: HttpRequest, access: ProgrammeAccess, bulletin: Bulletin) -> HttpResponse:
    slug = access.programme.slug
    try:
        bulletin = services.bulletin_send(bulletin=bulletin, by=request.user)
    except StageConflict as error:
        messages.error(request, error.message)
        return redirect("releases:bulletin", slug=slug, pk=bulletin.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("releases:bulletin_edit", slug=slug, pk=bulletin.pk)
    people = bulletin.recipient_count
    messages.success(request, f"Sent to {people} {'person' if people == 1 else 'people'}.")
    return redirect("releases:bulletin", slug=slug, pk=bulletin.pk)


@require_POST
@login_required
def bulletin_send(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_programme_for(request.user, slug)
    _require_sender(access)
    return _send(request, access, _bulletin(access, pk))
