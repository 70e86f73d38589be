"""Hypercare patch releases: cadence, bundling, business-language release notes, deployment and notifications."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from hypercare.models import Notification
from releases import services
from releases.models import HotfixStage, PatchRelease, ReleaseStatus
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# A Tuesday morning in the programme's hypercare window.
TUESDAY = datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)


@pytest.fixture
def release(programme, lead):
    return services.release_create(
        programme=programme, by=lead.user, planned_for=date(2026, 3, 11), at=TUESDAY
    )


def test_release_notes_speak_business_language(
    release, engineer, make_hotfix, sev3_ticket, sev1_ticket, known_issue
):
    hotfix = make_hotfix("uat_signed_off", tickets=[sev3_ticket.reference])
    urgent = make_hotfix(
        "regression_passed",
        title="Release the Opportunity lock",
        summary="Sales reps can save Opportunities again",
        tickets=[sev1_ticket.reference],
        emergency=True,
        known_issue=None,
    )
    for fix in (hotfix, urgent):
        services.release_add_hotfix(release=release, hotfix=fix, by=engineer.user)
    notes = services.release_notes(release=release)
    assert "Patch 1 for Acme go-live, planned for Wednesday 11 March 2026." in notes
    assert "• Quote PDFs show the new company logo again." in notes
    assert f"{sev3_ticket.reference} “Quote PDF shows wrong logo”" in notes
    assert "Known issue “Opportunity save lock error” is fixed." in notes
    assert "You no longer need the workaround (Wait a minute and save again)." in notes
    assert "• Sales reps can save Opportunities again." in notes
    assert "urgent fix for a critical problem" in notes
    # Business words, not the engineers' protocol.
    for jargon in ("sandbox", "regression", "UAT", "dev_", "hotfix"):
        assert jargon not in notes


def test_notes_fall_back_to_the_title_when_there_is_no_summary(release, engineer, make_hotfix):
    hotfix = make_hotfix(title="Page layout shows the Region field again", summary="")
    services.release_add_hotfix(release=release, hotfix=hotfix, by=engineer.user)
    assert "• Page layout shows the Region field again." in services.release_notes(release=release)


def test_a_release_deploys_only_when_every_hotfix_is_signed_off(release, lead, engineer, make_hotfix):
    ready = make_hotfix("uat_signed_off", title="Ready")
    late = make_hotfix("hotfix_sandbox", title="Late")
    for fix in (ready, late):
        services.release_add_hotfix(release=release, hotfix=fix, by=engineer.user)
    with pytest.raises(services.StageConflict, match="Late” is at “Hotfix sandbox"):
        services.release_deploy(release=release, by=lead.user)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.PLANNED


def test_deploying_records_the_stage_freezes_the_notes_and_tells_every_reporter(
    release, lead, engineer, make_hotfix, sev1_ticket, sev3_ticket, programme
):
    second_reporter_ticket = TicketFactory(
        programme=programme, severity=2, title="Cases vanish", reporter=lead.user
    )
    one = make_hotfix("uat_signed_off", tickets=[sev3_ticket.reference, sev1_ticket.reference])
    two = make_hotfix("uat_signed_off", tickets=[second_reporter_ticket.reference], known_issue=None)
    for fix in (one, two):
        services.release_add_hotfix(release=release, hotfix=fix, by=engineer.user)
    services.release_deploy(release=release, by=lead.user, at=TUESDAY)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DEPLOYED and release.deployed_by == lead.user
    assert "in production since Tuesday 10 March 2026, 09:00" in release.notes
    assert set(HotfixStage.objects.filter(stage="deployed").values_list("hotfix_id", flat=True)) == {
        one.pk,
        two.pk,
    }
    one.refresh_from_db()
    assert one.stage == "deployed" and one.deployed_at == TUESDAY
    told = set(
        Notification.objects.filter(kind="fix_deployed", channel="in_app").values_list("recipient", flat=True)
    )
    assert told == {sev1_ticket.reporter_id, sev3_ticket.reporter_id, lead.user.pk}
    # Deploying twice is refused and tells nobody again.
    with pytest.raises(services.StageConflict):
        services.release_deploy(release=release, by=lead.user)
    assert Notification.objects.filter(kind="fix_deployed", channel="in_app").count() == 3


def test_the_next_release_is_planned_on_the_cadence_after_a_deploy(
    release, lead, engineer, make_hotfix, programme
):
    services.release_settings_update(programme=programme, by=lead.user, cadence="every_other_day")
    services.release_add_hotfix(release=release, hotfix=make_hotfix("uat_signed_off"), by=engineer.user)
    services.release_deploy(release=release, by=lead.user, at=TUESDAY)
    upcoming = PatchRelease.objects.planned().get(programme=programme)
    # 11 March + 2 days = Friday 13 March (a working day on the default calendar).
    assert upcoming.planned_for == date(2026, 3, 13) and upcoming.number == 2


def test_planning_skips_days_off(programme, lead):
    services.release_settings_update(programme=programme, by=lead.user, cadence="daily")
    friday = datetime(2026, 3, 13, 9, 0, tzinfo=LONDON)
    first = services.release_plan_next(programme=programme, by=lead.user, at=friday)
    assert first.planned_for == date(2026, 3, 16)  # Saturday → Monday
    # Planning again while one is planned gives the same release.
    assert services.release_plan_next(programme=programme, by=lead.user, at=friday).pk == first.pk


def test_only_leads_choose_the_cadence_and_deploy(programme, engineer, release, make_hotfix):
    with pytest.raises(PermissionDenied):
        services.release_settings_update(programme=programme, by=engineer.user, cadence="every_other_day")
    services.release_add_hotfix(release=release, hotfix=make_hotfix("uat_signed_off"), by=engineer.user)
    with pytest.raises(PermissionDenied):
        services.release_deploy(release=release, by=engineer.user)


def test_a_deployed_hotfix_cannot_be_bundled(release, engineer, make_hotfix):
    hotfix = make_hotfix("deployed")
    with pytest.raises(services.StageConflict, match="already in production"):
        services.release_add_hotfix(release=release, hotfix=hotfix, by=engineer.user)


def test_a_hotfix_deployed_on_its_own_tells_its_reporters(make_hotfix, sev3_ticket):
    make_hotfix("deployed", tickets=[sev3_ticket.reference])
    note = Notification.objects.get(kind="fix_deployed", channel="in_app")
    assert note.recipient_id == sev3_ticket.reporter_id
    assert sev3_ticket.reference in note.body


def test_releases_api_lists_notes_and_deploys(lead, engineer, release, make_hotfix, viewer):
    services.release_add_hotfix(release=release, hotfix=make_hotfix("uat_signed_off"), by=engineer.user)
    url = "/api/v1/programmes/acme/releases/"
    listed = viewer.api().get(url).json()["results"]
    assert (
        listed[0]["name"] == "Patch 1"
        and "Quote PDFs show the new company logo again" in listed[0]["release_notes"]
    )
    assert viewer.api().post(f"{url}{release.pk}/deploy/").status_code == 403
    deployed = lead.api().post(f"{url}{release.pk}/deploy/")
    assert deployed.status_code == 200 and deployed.json()["status"] == "deployed"
    again = lead.api().post(f"{url}{release.pk}/deploy/")
    assert again.status_code == 409 and "already deployed" in again.json()["detail"]


def test_a_release_cannot_be_planned_in_the_past(programme, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.release_create(
            programme=programme, by=lead.user, planned_for=TUESDAY.date() - timedelta(days=1), at=TUESDAY
        )
