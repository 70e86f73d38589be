"""A round trip through every edit form: opened in a real browser on existing data and saved
unchanged, it changes nothing that is stored. Dates were the casualty: rendered in a display
format that <input type="date"> cannot show, they came back empty and were erased.

ROUND_TRIPS is the list of edit forms. A new form joins it with one line; test_form_dates.py fails
for a form with a date field that is neither here nor in NOT_EDIT_FORMS (with the reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from django.forms.models import model_to_dict

from tests.conftest import log_in
from tests.handover.conftest import sqlite_guard_lifted, sqlite_guard_restored  # noqa: F401 (fixtures)

# Fields a save may touch without changing anything a person sees.
IGNORED = {"updated_at"}


@dataclass(frozen=True)
class RoundTrip:
    form: str  # "module.Class" of the form the page shows
    role: str  # who edits it
    url: Callable  # side -> the page's path
    stored: Callable  # side -> everything the form can change, as stored
    form_selector: str  # the <form> on the page (a page may hold several)
    submit: str = "button[type=submit]"
    obj: str = "criterion"  # the object whose pk fills {pk} in form_selector


def row(obj) -> dict:
    obj.refresh_from_db()
    return {name: value for name, value in model_to_dict(obj).items() if name not in IGNORED}


def rows(queryset) -> list[dict]:
    return [row(obj) for obj in queryset]


def _programme(side):
    return row(side.programme)


def _calendar(side):
    from hypercare.models import BusinessCalendar, Holiday

    calendar = BusinessCalendar.objects.get(programme=side.programme)
    return {
        "calendar": row(calendar),
        "holidays": rows(Holiday.objects.filter(calendar=calendar).order_by("date")),
    }


def _policy(side):
    from django.utils import timezone

    from sla.policy import policy_for

    policy = policy_for(side.programme, timezone.now())
    return sorted(
        (t.severity, t.response_minutes, t.resolution_minutes, t.clock, t.at_risk_percent)
        for t in policy.targets.all()
    )


def _matrix(side):
    from sla.models import SeverityRule

    return rows(SeverityRule.objects.filter(programme=side.programme).order_by("pk"))


def _kt(side):
    from handover.models import KtPhase

    return rows(KtPhase.objects.filter(programme=side.programme).order_by("phase"))


def _release_settings(side):
    from releases.services.patches import release_settings_for

    settings = release_settings_for(side.programme)  # the defaults until someone saves them
    return {name: getattr(settings, name) for name in ("cadence", "status_hour", "weekly_weekday")}


def _bulletin_schedule(side):
    from releases.services.bulletins import bulletin_schedule_for

    return bulletin_schedule_for(side.programme).send_at


ROUND_TRIPS = [
    RoundTrip(
        "hypercare.forms.ProgrammeForm", "lead", lambda s: f"/p/{s.programme.slug}/edit/", _programme,
        "form:has(#id_go_live_date)",
    ),
    RoundTrip(
        "hypercare.forms.CalendarForm", "lead", lambda s: f"/p/{s.programme.slug}/calendar/", _calendar,
        "form:has([name=holidays])",
    ),
    RoundTrip(
        "tickets.forms.KnownIssueForm", "desk",
        lambda s: f"/p/{s.programme.slug}/known-issues/{s.objects['known_issue'].pk}/edit/",
        lambda s: row(s.objects["known_issue"]), "form:has(#id_fix_expected_on)",
    ),
    RoundTrip(
        "tickets.forms.EditForm", "desk",
        lambda s: f"/p/{s.programme.slug}/tickets/{s.objects['ticket'].reference}/actions/edit/",
        lambda s: row(s.objects["ticket"]), "form:has([name=title])",
    ),
    RoundTrip(
        "handover.forms.ItemEditForm", "lead",
        lambda s: f"/p/{s.programme.slug}/handover/items/{s.objects['item'].pk}/",
        lambda s: row(s.objects["item"]), "form:has([name=due_date])",
    ),
    RoundTrip(
        "handover.forms.KtPhasesForm", "lead", lambda s: f"/p/{s.programme.slug}/knowledge-transfer/", _kt,
        "form:has(input[type=date])",
    ),
    RoundTrip(
        "handover.forms.RunbookForm", "lead",
        lambda s: f"/p/{s.programme.slug}/runbooks/{s.objects['runbook'].pk}/",
        lambda s: row(s.objects["runbook"]), "form:has([name=steps])",
    ),
    RoundTrip(
        "handover.forms.CriterionEditForm", "lead",
        lambda s: f"/p/{s.programme.slug}/exit-gate/criteria/",
        lambda s: row(s.objects["criterion"]),
        "form[action$='/criteria/{pk}/']",
    ),
    RoundTrip(
        "triage.forms.SlaPolicyForm", "lead", lambda s: f"/p/{s.programme.slug}/triage/sla-policy/", _policy,
        "form:has([name=sev1_response_minutes])",
    ),
    RoundTrip(
        "triage.forms.MatrixForm", "lead", lambda s: f"/p/{s.programme.slug}/triage/matrix/", _matrix,
        "form:has(select)",
    ),
    RoundTrip(
        "releases.forms.ReleaseSettingsForm", "lead", lambda s: f"/p/{s.programme.slug}/releases/",
        _release_settings, "form:has([name=cadence])",
    ),
    RoundTrip(
        "releases.forms.BulletinForm", "lead",
        lambda s: f"/p/{s.programme.slug}/bulletins/{s.objects['bulletin'].pk}/edit/",
        lambda s: row(s.objects["bulletin"]), "form#bulletin-form",
    ),
    RoundTrip(
        "releases.forms.BulletinScheduleForm", "lead", lambda s: f"/p/{s.programme.slug}/bulletins/",
        _bulletin_schedule, "form:has([name=send_at])",
    ),
]  # fmt: skip


@pytest.fixture
def side(sqlite_guard_restored, sqlite_guard_lifted, settings, tmp_path):  # noqa: F811 (fixtures imported above)
    """One programme with a person per role and one of every object, its dates all set."""
    from handover import services as handover
    from hypercare.access import get_programme_for
    from tests.security.world import build_side
    from tickets import services as tickets

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    side = build_side(slug="acme", prefix="ACME", username_prefix="")
    lead, desk = side.access("lead"), side.access("desk")
    # Dates a person would have set, on days that read differently as d/m and m/d.
    tickets.known_issue_update(
        access=desk, known_issue=side.objects["known_issue"], fix_expected_on=date(2026, 11, 12)
    )
    handover.item_update(access=lead, item=side.objects["item"], due_date=date(2026, 11, 12))
    runbook = side.objects["runbook"]
    handover.runbook_update(
        access=lead, runbook=runbook, title=runbook.title, symptoms=runbook.symptoms,
        workaround=runbook.workaround, steps="Clear the cache, then retry.",
    )  # fmt: skip
    from releases.services.bulletins import bulletin_schedule_for, bulletin_schedule_set, bulletin_update

    bulletin_schedule_set(programme=side.programme, by=side.user("lead"), send_at=time(7, 30))
    assert bulletin_schedule_for(side.programme).send_at == time(7, 30)
    bulletin_update(
        bulletin=side.objects["bulletin"], by=side.user("lead"), date=date(2026, 11, 12),
        coming="- Forecast totals: fix expected by Thu 12 Nov",
    )  # fmt: skip
    go_live = side.programme.go_live_date
    handover.kt_phases_update(
        access=get_programme_for(side.user("lead"), "acme"),
        starts={"project_leads": go_live, "co_managed": go_live + timedelta(days=9), "bau_leads": go_live + timedelta(days=23)},
    )  # fmt: skip
    return side


@pytest.mark.browser
def test_it_saves_every_edit_form_unchanged_without_changing_anything_stored(browser_page, side):
    page = browser_page
    failures = []
    current_role = None
    for trip in ROUND_TRIPS:
        if trip.role != current_role:
            page.context.clear_cookies()
            log_in(page, trip.role)
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            current_role = trip.role
        try:
            before = trip.stored(side)
            response = page.goto(trip.url(side))
            assert response.status == 200, f"{trip.form}: {trip.url(side)} answered {response.status}"
            form = page.locator(
                trip.form_selector.format(pk=getattr(side.objects.get(trip.obj), "pk", ""))
            ).first
            invalid = form.evaluate(
                "f => [...f.elements].filter(e => e.willValidate && !e.checkValidity()).map(e => e.name)"
            )
            if invalid:
                failures.append(f"{trip.form}: the browser will not submit it, empty or invalid: {invalid}")
                continue
            # A form may post by htmx and swap in place, or post and redirect: wait for its answer.
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                form.locator(trip.submit).first.click()
            page.wait_for_load_state()
            status = posted.value.status
            errors = [
                e for e in page.locator(".errorlist, .error[role=alert]").all_inner_texts() if e.strip()
            ]
            if status >= 400:
                errors.append(f"answered {status}")
            after = trip.stored(side)
            if errors or after != before:
                failures.append(f"{trip.form}: errors {errors}; before {before}; after {after}")
        except Exception as error:  # noqa: BLE001 (every form's failure is reported, not only the first)
            failures.append(f"{trip.form}: {error}")
    assert not failures, "\n\n".join(failures)
    assert page.js_errors == []
