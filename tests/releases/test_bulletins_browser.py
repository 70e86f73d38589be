"""In a real browser: the change manager prepares, edits and sends a bulletin; a champion reads it on a phone."""

from __future__ import annotations

import pytest

from hypercare.models import Notification
from hypercare.roles import Role
from releases import services
from releases.models import Bulletin, BulletinState
from tests.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def change(make_persona):
    return make_persona(Role.CHANGE_MANAGER, username="change")


def test_the_change_manager_edits_and_sends_todays_bulletin(browser_page, change, champion, known_issue):
    finance = champion.membership
    finance.business_unit = "Finance"
    finance.save(update_fields=["business_unit"])
    page = browser_page
    log_in(page, "change")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/p/acme/bulletins/")
    page.click('button:has-text("Prepare today\'s bulletin")')
    page.wait_for_url("**/bulletins/*/edit/")
    # The draft arrives filled from the known issues: the workaround is already there.
    assert "Opportunity save lock error: Wait a minute and save again" in page.input_value("#id_workarounds")
    assert page.get_attribute("#id_date", "type") == "date"
    page.fill("#id_title", "Thursday: fixes and workarounds")
    page.fill("#id_message", "Thanks <b>all</b> for logging issues.")
    page.get_by_label("Finance").check()
    page.click("button:has-text('Save and send')")
    page.wait_for_url("**/bulletins/*/")
    assert "Sent to 1 person" in page.locator("body").inner_text()

    bulletin = Bulletin.objects.get()
    assert bulletin.state == BulletinState.SENT and bulletin.business_units == ["Finance"]
    assert bulletin.message == "Thanks <b>all</b> for logging issues."
    # The words are shown as typed, never as markup.
    assert page.locator(".bulletin-message").inner_text() == "Thanks <b>all</b> for logging issues."
    assert Notification.objects.filter(recipient=champion.user, kind="bulletin").exists()
    assert not Notification.objects.filter(recipient=change.user, kind="bulletin").exists()
    # A sent bulletin offers no edit any more, and its edit page sends the reader back to it.
    assert page.locator("text=Edit the draft").count() == 0
    page.goto(f"/p/acme/bulletins/{bulletin.pk}/edit/")
    page.wait_for_url(f"**/bulletins/{bulletin.pk}/")
    assert page.js_errors == []


def test_a_champion_reads_the_bulletin_on_a_phone(browser_page, change, champion):
    bulletin = services.bulletin_create(
        programme=change.programme, by=change.user, title="Order sync back to normal",
        fixed="- Orders reach SAP again within five minutes",
        coming="- Forecast totals: fix expected by Fri 4 Dec",
        workarounds="- Forecast totals: refresh the page twice before exporting",
    )  # fmt: skip
    services.bulletin_send(bulletin=bulletin, by=change.user)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "champion")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/p/acme/bulletins/")
    page.click("text=Order sync back to normal")
    page.wait_for_url(f"**/bulletins/{bulletin.pk}/")
    for section, line in (
        ("#bulletin-fixed", "Orders reach SAP again within five minutes"),
        ("#bulletin-coming", "Forecast totals: fix expected by Fri 4 Dec"),
        ("#bulletin-workarounds", "Forecast totals: refresh the page twice before exporting"),
    ):
        item = page.locator(f"{section} li").first
        assert item.inner_text() == line
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{section} runs off a phone's screen"
    # Nothing makes the page scroll sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A champion is never offered the drafting tools.
    assert page.locator("text=Edit the draft").count() == 0
    page.goto("/p/acme/bulletins/")
    assert page.locator("text=Prepare today's bulletin").count() == 0
    assert page.js_errors == []
