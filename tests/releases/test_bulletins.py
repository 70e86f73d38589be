"""Daily bulletins: the draft says what What's happening says, each person in the audience gets it once
(in the app, by e-mail, and to the chat webhooks), and the schedule sends it on working days only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from hypercare.models import BusinessCalendar, Holiday, Notification
from hypercare.roles import Role, Team
from releases import services
from releases.models import Bulletin, BulletinDelivery, BulletinState, Stage, WebhookDelivery
from releases.services.common import StageConflict
from tests.factories import KnownIssueFactory
from tests.receiver import Receiver
from tests.releases.test_webhooks import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def change(make_persona):
    return make_persona(Role.CHANGE_MANAGER, username="change")


@pytest.fixture
def audience(make_persona):
    """Champions across two business units and two geographies."""
    people = {}
    for name, unit, place in (
        ("sales_uk", "Sales", "UK"),
        ("sales_de", "Sales", "Germany"),
        ("finance_uk", "Finance", "UK"),
    ):
        persona = make_persona(Role.CHAMPION, team=Team.BAU, username=name, business_unit=unit)
        persona.membership.geography = place
        persona.membership.save(update_fields=["geography"])
        people[name] = persona
    return people


def in_app(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="bulletin", channel="in_app"))


def draft(programme, by, **fields):
    fields.setdefault("fixed", "The quote PDF shows the new logo")
    return services.bulletin_create(programme=programme, by=by.user, **fields)


def test_the_draft_says_what_whats_happening_shows(client, programme, change, lead, make_hotfix, owner):
    expected_on = timezone.localdate() + timedelta(days=3)
    open_issue = KnownIssueFactory(
        programme=programme, title="Forecast totals lag", workaround="Refresh the page twice",
        fix_expected_on=expected_on, created_by=lead.user,
    )  # fmt: skip
    make_hotfix(Stage.DEPLOYED, summary="Quote PDFs show the new company logo again")

    prepared = services.bulletin_prepare(programme=programme)

    assert "Quote PDFs show the new company logo again" in prepared["fixed"]
    assert f"Forecast totals lag: fix expected by {expected_on:%a} {expected_on.day}" in prepared["coming"]
    assert "Forecast totals lag: Refresh the page twice" in prepared["workarounds"]
    # The fixed known issue (its hotfix is live) is neither expected nor in need of a workaround.
    assert "Opportunity save lock error" not in prepared["coming"] + prepared["workarounds"]
    client.force_login(change.user)
    page = client.get(reverse("releases:whats_happening", args=[programme.slug])).content.decode()
    assert "Quote PDFs show the new company logo again" in page and open_issue.title in page


def test_a_known_issue_is_never_shown_both_fixed_and_expected(
    client, programme, change, make_hotfix, known_issue
):
    make_hotfix(Stage.DEPLOYED, summary="Saving an Opportunity no longer locks")
    # Someone reopened the known issue by hand after its fix went live.
    type(known_issue).objects.filter(pk=known_issue.pk).update(
        status="fix_in_progress", fix_expected_on=date(2026, 12, 24)
    )

    prepared = services.bulletin_prepare(programme=programme)

    assert "Saving an Opportunity no longer locks" in prepared["fixed"]
    assert known_issue.title not in prepared["coming"] and known_issue.title not in prepared["workarounds"]
    client.force_login(change.user)
    page = client.get(reverse("releases:whats_happening", args=[programme.slug])).content.decode()
    known_problems = page.split('id="known-issues"')[1].split("</section>")[0]
    assert known_issue.title not in known_problems


def test_the_next_draft_lists_only_what_was_fixed_since_the_last_bulletin(programme, change, make_hotfix):
    make_hotfix(Stage.DEPLOYED, summary="First fix")
    services.bulletin_send(bulletin=draft(programme, change, from_draft=True), by=change.user)
    later = timezone.now() + timedelta(minutes=5)

    prepared = services.bulletin_prepare(programme=programme, at=later)

    assert "First fix" not in prepared["fixed"]


def test_each_person_gets_it_once_in_the_app_and_by_email_even_when_sent_twice(
    programme, change, audience, django_capture_on_commit_callbacks
):
    bulletin = draft(programme, change, message="Thanks for your patience this week.")
    with django_capture_on_commit_callbacks(execute=True):
        services.bulletin_send(bulletin=bulletin, by=change.user)
    with pytest.raises(StageConflict, match="already sent"):
        services.bulletin_send(bulletin=bulletin, by=change.user)

    bulletin.refresh_from_db()
    assert bulletin.state == BulletinState.SENT and bulletin.sent_by == change.user
    for persona in audience.values():
        assert len(in_app(persona.user)) == 1
    assert BulletinDelivery.objects.filter(bulletin=bulletin).count() == bulletin.recipient_count
    # Every member has an e-mail address: one message each, with the bulletin's words and link.
    to = sorted(address for message in mail.outbox for address in message.to)
    assert len(to) == len(set(to)) == bulletin.recipient_count
    message = next(m for m in mail.outbox if m.to == [audience["sales_uk"].user.email])
    assert "Thanks for your patience this week." in message.body
    assert "- The quote PDF shows the new logo" in message.body
    assert f"/p/acme/bulletins/{bulletin.pk}/" in message.body


def test_a_sent_bulletin_no_longer_changes(programme, change):
    bulletin = draft(programme, change)
    services.bulletin_send(bulletin=bulletin, by=change.user)
    with pytest.raises(StageConflict):
        services.bulletin_update(bulletin=bulletin, by=change.user, title="Rewritten history")
    bulletin.refresh_from_db()
    assert bulletin.title != "Rewritten history"


def test_it_goes_only_to_the_chosen_business_units(programme, change, audience):
    bulletin = draft(programme, change, business_units=["Finance"])
    services.bulletin_send(bulletin=bulletin, by=change.user)

    assert len(in_app(audience["finance_uk"].user)) == 1
    assert in_app(audience["sales_uk"].user) == [] and in_app(audience["sales_de"].user) == []
    assert bulletin.recipient_count == 1


def test_a_unit_and_a_geography_together_reach_the_people_in_both(programme, change, audience):
    bulletin = draft(programme, change, business_units=["Sales"], geographies=["Germany"])
    services.bulletin_send(bulletin=bulletin, by=change.user)

    assert [p for p, persona in audience.items() if in_app(persona.user)] == ["sales_de"]


def test_it_refuses_a_business_unit_nobody_is_in(programme, change, audience):
    with pytest.raises(ValidationError) as refused:
        draft(programme, change, business_units=["Marketing"])
    assert "business_units" in refused.value.message_dict
    assert not Bulletin.objects.exists()


def test_an_empty_bulletin_is_not_sent(programme, change, audience):
    bulletin = services.bulletin_create(programme=programme, by=change.user)
    with pytest.raises(ValidationError):
        services.bulletin_send(bulletin=bulletin, by=change.user)
    bulletin.refresh_from_db()
    assert bulletin.state == BulletinState.DRAFT and not Notification.objects.exists()


@pytest.mark.parametrize("role", [Role.CHAMPION, Role.DESK, Role.SPONSOR, Role.VIEWER])
def test_only_the_change_manager_and_leads_prepare_and_send(programme, change, make_persona, role):
    someone = make_persona(role, username="someone")
    bulletin = draft(programme, change)
    with pytest.raises(PermissionDenied):
        services.bulletin_create(programme=programme, by=someone.user)
    with pytest.raises(PermissionDenied):
        services.bulletin_send(bulletin=bulletin, by=someone.user)
    bulletin.refresh_from_db()
    assert bulletin.is_draft


def test_a_lead_may_send_too(programme, change, lead):
    bulletin = services.bulletin_send(bulletin=draft(programme, change), by=lead.user)
    assert bulletin.sent_by == lead.user


# The schedule ---------------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time (the factory programme's zone; GMT in December) as an instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


THURSDAY, SATURDAY = date(2026, 12, 3), date(2026, 12, 5)


@pytest.fixture
def scheduled(programme, change, known_issue):
    services.bulletin_schedule_set(programme=programme, by=change.user, send_at=time(9, 0))
    return programme


def test_the_schedule_sends_once_at_the_local_time_on_a_working_day(scheduled, audience, known_issue):
    assert services.bulletins_send_due(at=local(THURSDAY, 8, 59)) == 0
    assert services.bulletins_send_due(at=local(THURSDAY, 9, 0)) == 1
    assert services.bulletins_send_due(at=local(THURSDAY, 9, 1)) == 0
    assert services.bulletins_send_due(at=local(THURSDAY, 15, 0)) == 0

    bulletin = Bulletin.objects.get()
    assert bulletin.scheduled and bulletin.state == BulletinState.SENT and bulletin.sent_by is None
    assert bulletin.date == THURSDAY
    assert "Opportunity save lock error: Wait a minute and save again" in bulletin.workarounds
    assert len(in_app(audience["sales_uk"].user)) == 1


def test_the_schedule_rests_on_weekends_and_holidays(scheduled, audience, known_issue):
    assert services.bulletins_send_due(at=local(SATURDAY, 10)) == 0
    calendar, _ = BusinessCalendar.objects.get_or_create(programme=scheduled)
    Holiday.objects.create(calendar=calendar, date=THURSDAY, name="Founders' day")
    assert services.bulletins_send_due(at=local(THURSDAY, 10)) == 0
    assert not Bulletin.objects.exists()


def test_the_schedule_sends_the_change_managers_draft_for_the_day(scheduled, change, audience):
    mine = draft(scheduled, change, date=THURSDAY, title="Hand-written for Thursday")
    assert services.bulletins_send_due(at=local(THURSDAY, 9, 30)) == 1
    mine.refresh_from_db()
    assert mine.state == BulletinState.SENT and Bulletin.objects.count() == 1


def test_the_schedule_sends_nothing_more_once_todays_bulletin_went_out_by_hand(scheduled, change, audience):
    services.bulletin_send(bulletin=draft(scheduled, change, date=THURSDAY), by=change.user)
    assert services.bulletins_send_due(at=local(THURSDAY, 9, 30)) == 0
    assert Bulletin.objects.count() == 1


def test_without_a_schedule_nothing_is_sent(programme, audience, known_issue):
    assert services.bulletins_send_due(at=local(THURSDAY, 12)) == 0


# Webhooks -------------------------------------------------------------------------------------


def test_it_reaches_the_webhooks_that_take_bulletins_once(
    programme, change, lead, audience, django_capture_on_commit_callbacks
):
    with Receiver([]) as bulletins_hook, Receiver([]) as other_hook:
        services.webhook_register(
            programme=programme, by=lead.user, name="Users channel", url=bulletins_hook.url,
            events=["bulletin"], secret=SECRET,
        )  # fmt: skip
        services.webhook_register(
            programme=programme,
            by=lead.user,
            name="Ops",
            url=other_hook.url,
            events=["sev1_ticket"],
            secret=SECRET,
        )
        bulletin = draft(programme, change, coming="- Forecast totals: fix expected by Fri 4 Dec")
        with django_capture_on_commit_callbacks(execute=True):
            services.bulletin_send(bulletin=bulletin, by=change.user)
        with pytest.raises(StageConflict):
            services.bulletin_send(bulletin=bulletin, by=change.user)
    assert len(bulletins_hook.requests) == 1 and other_hook.requests == []
    request = bulletins_hook.requests[0]
    assert request["headers"]["X-Hypercare-Event"] == "bulletin"
    body = json.loads(request["body"])
    assert body["key"] == f"bulletin:{bulletin.pk}" and body["text"] == bulletin.title
    assert body["data"]["coming"] == ["Forecast totals: fix expected by Fri 4 Dec"]
    assert body["data"]["url"].endswith(f"/p/acme/bulletins/{bulletin.pk}/")
    assert WebhookDelivery.objects.get().state == "delivered"


# Pages ----------------------------------------------------------------------------------------


def test_preparing_twice_opens_the_same_draft(client, programme, change, known_issue):
    client.force_login(change.user)
    url = reverse("releases:bulletin_create", args=[programme.slug])
    first = client.post(url)
    second = client.post(url)
    assert first["Location"] == second["Location"] and Bulletin.objects.count() == 1


def test_the_edit_page_names_the_field_it_refuses(client, programme, change):
    bulletin = draft(programme, change)
    client.force_login(change.user)
    answer = client.post(
        reverse("releases:bulletin_edit", args=[programme.slug, bulletin.pk]),
        {"date": "2026-12-03", "title": "  ", "fixed": "x", "then": "send"},
    )
    assert answer.status_code == 400 and "This field is required" in answer.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.is_draft


def test_a_champion_may_not_send_from_the_page(client, programme, change, champion):
    bulletin = draft(programme, change)
    client.force_login(champion.user)
    assert (
        client.post(reverse("releases:bulletin_send", args=[programme.slug, bulletin.pk])).status_code == 403
    )
    bulletin.refresh_from_db()
    assert bulletin.is_draft
