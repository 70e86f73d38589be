"""A real browser logs in through the real login page and lands on the programme dashboard."""

import pytest

from tests.conftest import log_in

pytestmark = pytest.mark.browser


def test_it_logs_in_and_lands_on_its_only_programme(browser_page, desk):
    page = browser_page
    log_in(page, "desk")
    page.wait_for_url("**/p/acme/")
    assert page.locator("h1").inner_text() == "Acme go-live"
    assert "Desk analyst (Tier 2)" in page.locator(".topbar").inner_text()
    assert page.evaluate("typeof window.htmx") == "object", "the vendored htmx must load under the CSP"
    assert page.js_errors == []


def test_a_wrong_password_keeps_the_user_on_the_login_page(browser_page, desk):
    page = browser_page
    log_in(page, "desk", "wrong-password")
    assert "didn't match" in page.locator("[role=alert]").inner_text()
    assert "/accounts/login/" in page.url
