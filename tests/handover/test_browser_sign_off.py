"""A real browser: the business sponsor reads the exit gate and signs off with their password."""

import pytest

from handover.models import ExitCriterion, SignOff
from hypercare.models import ProgrammeStatus
from tests.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_the_sponsor_signs_off_in_the_browser(
    sqlite_guard_restored, browser_page, sqlite_guard_lifted, sponsor, owner, programme
):
    # The gate is not green: the sponsor must justify each failing criterion.
    ExitCriterion.objects.of(programme).exclude(
        kind__in=["open_sev12", "new_sev12", "volume_trend", "handover_pack"]
    ).delete()
    page = browser_page
    log_in(page, "sponsor")
    page.wait_for_url("**/")
    page.goto("/p/acme/exit-gate/")
    assert "The gate is not green" in page.locator("#gate-light").inner_text()
    assert "Sign-off" in page.locator("#signatories").inner_text()
    page.click("text=Sign off")
    page.wait_for_url("**/p/acme/sign-off/")
    page.fill("#id_password", "wrong-password")
    page.locator("textarea").first.fill("The board accepts the open documentation risk.")
    page.click("#sign-button")
    assert "not your password" in page.content()
    assert not SignOff.objects.exists()
    page.fill("#id_password", PASSWORD)
    page.locator("textarea").first.fill("The board accepts the open documentation risk.")
    page.click("#sign-button")
    page.wait_for_url("**/p/acme/sign-off/*/")
    assert "not green" in page.locator("#not-green").inner_text()
    assert "content matches the hash" in page.locator("#hash-ok").inner_text()
    record = SignOff.objects.get()
    assert record.signatory == sponsor.user and record.gate_green is False
    assert record.justifications and record.ip_address == "127.0.0.1"
    assert page.locator("#content-hash").inner_text() == record.content_hash
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW
    assert page.js_errors == []


def test_two_people_sign_off_and_read_closed_with_exceptions_accepted(
    sqlite_guard_restored, browser_page, sqlite_guard_lifted, sponsor, owner, programme
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import TicketFactory

    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()
    for n in range(4):
        TicketFactory(programme=programme, severity=1, status="new", title=f"Orders stuck {n}",
                      reported_at=timezone.now() - timedelta(days=2))  # fmt: skip
    for person, name in ((sponsor, ("Helen", "Clarke")), (owner, ("David", "Osei"))):
        person.user.first_name, person.user.last_name = name
        person.user.save()
    page = browser_page
    for username, why in (
        ("sponsor", "The board accepts the Sev1 backlog."),
        ("owner", "BAU owns the backlog."),
    ):
        log_in(page, username)
        page.wait_for_url("**/")
        page.goto("/p/acme/sign-off/")
        page.fill("#id_password", PASSWORD)
        for box in page.locator("#sign-form textarea").all():
            box.fill(why)
        page.click("#sign-button")
        page.wait_for_load_state()
        page.context.clear_cookies()
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED
    assert SignOff.objects.filter(kind="sign_off").values("signatory").distinct().count() == 2
    log_in(page, "owner")
    page.wait_for_url("**/")
    page.goto("/p/acme/celebration/")
    text = page.locator("#exit-exceptions").inner_text()
    assert (
        "Closed with" in text
        and "exceptions accepted by Helen Clarke (business sponsor) and David Osei" in text
    )
    assert page.locator(".confetti").count() == 0
    page.goto("/p/acme/")
    assert "accepted by Helen Clarke" in page.locator("#exit-outcome").inner_text()
    assert "Hypercare is closed" in page.locator("#programme-closed").inner_text()
    assert page.locator("a", has_text="Log an issue").count() == 0
    assert page.js_errors == []
