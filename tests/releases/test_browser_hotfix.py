"""A real browser moves a hotfix through every stage: an engineer builds, an owner signs UAT off, it deploys."""

import pytest

from releases.models import Hotfix, HotfixStage
from tests.conftest import log_in

pytestmark = pytest.mark.browser


def record_stage(page, label: str) -> None:
    page.click(f"button:has-text('Record “{label}”')")


def test_a_hotfix_moves_through_its_stages_in_the_browser(browser_page, engineer, owner, sev3_ticket):
    page = browser_page
    log_in(page, "engineer")
    page.wait_for_url("**/")
    page.goto("/p/acme/hotfixes/")
    page.fill("#id_title", "Fix the quote logo")
    page.fill("#id_summary", "Quote PDFs show the new company logo again")
    page.fill("#id_tickets", sev3_ticket.reference)
    page.click("button:has-text('Record hotfix')")
    page.wait_for_url("**/hotfixes/*/")
    hotfix = Hotfix.objects.get()
    assert sev3_ticket.reference in page.locator("body").inner_text()

    # The pass count and report fields only show for the regression stage (releases.js).
    assert not page.locator("#id_pass_count").is_visible()
    record_stage(page, "Dev sandbox")
    page.wait_for_selector("li.stage.done[data-stage=dev_sandbox]")
    record_stage(page, "Hotfix sandbox")
    page.wait_for_selector("li.stage.done[data-stage=hotfix_sandbox]")

    # Regression without evidence is refused inside the panel (htmx), then recorded with it.
    record_stage(page, "Regression passed")
    page.wait_for_selector("#hotfix-stages [role=alert]")
    assert "Regression evidence is required" in page.locator("#hotfix-stages [role=alert]").inner_text()
    page.fill("#id_evidence_link", "https://ci.example.com/runs/42")
    page.fill("#id_pass_count", "412")
    record_stage(page, "Regression passed")
    page.wait_for_selector("li.stage.done[data-stage=regression_passed]")
    assert "412 regression tests passed" in page.locator("#hotfix-stages").inner_text()
    # The engineer who built it is not offered the UAT sign-off.
    assert page.locator("form.advance").count() == 0
    page.click("text=Log out")

    log_in(page, "owner")
    page.wait_for_url("**/")
    page.goto(f"/p/acme/hotfixes/{hotfix.pk}/")
    page.fill("#id_note", "Checked three quotes in the hotfix sandbox")
    record_stage(page, "UAT signed off")
    page.wait_for_selector("li.stage.done[data-stage=uat_signed_off]")
    page.click("text=Log out")

    log_in(page, "engineer")
    page.wait_for_url("**/")
    page.goto(f"/p/acme/hotfixes/{hotfix.pk}/")
    record_stage(page, "Deployed")
    page.wait_for_selector("li.stage.done[data-stage=deployed]")
    assert "In production since" in page.locator("#hotfix-stages").inner_text()

    stages = dict(HotfixStage.objects.filter(hotfix=hotfix).values_list("stage", "by__username"))
    assert stages == {
        "dev_sandbox": "engineer",
        "hotfix_sandbox": "engineer",
        "regression_passed": "engineer",
        "uat_signed_off": "owner",
        "deployed": "engineer",
    }
    assert page.js_errors == []
