"""The import wizard in chromium: a Jira Cloud export from upload to imported tickets, through the job pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from hypercare.models import Notification
from tests.conftest import log_in
from tickets.models import Ticket

pytestmark = pytest.mark.browser
EXPORT = Path(__file__).parent / "exports" / "jira_cloud.csv"


def test_a_lead_dry_runs_and_imports_a_jira_export(browser_page, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    log_in(page, lead.user.username)
    page.goto("/p/acme/tickets/import/")
    page.set_input_files("#id_file", str(EXPORT))
    page.click("button.primary")
    page.wait_for_url("**/tickets/import/map/")
    assert page.locator("#id_title").input_value() == "Summary"
    page.click("button.primary")  # the proposed columns
    page.wait_for_url("**/tickets/import/values/")
    page.click("button.primary")  # the proposed values
    page.wait_for_url("**/tickets/import/preview/")
    assert "Issue id" in page.inner_text("#import-ignored")
    page.click("text=Run the dry run of 8 tickets")
    page.wait_for_selector("text=The dry run passed: all 8 rows can be imported.")
    assert not Ticket.objects.exists()
    page.click("text=Import 8 tickets")
    page.wait_for_selector("text=Imported 8 tickets")
    page.click("text=See them in the queue")
    page.wait_for_selector("text=Quote totals ignore line discounts")
    assert Ticket.objects.count() == 8 and not Notification.objects.exists()
    assert page.js_errors == []
