"""In a real browser: a lead invites an address on the members page; the person behind it logs in,
accepts and is a member; a new address creates its account from the link."""

import re

import pytest
from django.core import mail

from hypercare.models import Membership
from tests.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def _invite_on_the_members_page(page, email: str, role_label: str) -> str:
    log_in(page, "lead")
    page.wait_for_url("**/p/acme/")
    page.goto("/p/acme/members/")
    page.fill("#id_email", email)
    page.get_by_label(role_label, exact=True).check()
    page.click("#add-member button[type=submit]")
    assert f"Invitation sent to {email}." in page.locator("main").inner_text()
    return re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_an_existing_account_logs_in_and_accepts(browser_page, lead, programme):
    page = browser_page
    pat = UserFactory(username="pat", email="pat@example.com")
    link = _invite_on_the_members_page(page, "pat@example.com", "Desk analyst (Tier 2)")
    assert not Membership.objects.filter(programme=programme, user=pat).exists()
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_role("link", name="Log in to accept").click()
    page.fill("#id_username", "pat")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{link}")
    page.get_by_role("button", name="Accept and join Acme go-live").click()
    page.wait_for_url("**/p/acme/")
    assert "You are now a member of Acme go-live." in page.locator("main").inner_text()
    assert Membership.objects.get(programme=programme, user=pat).roles == ["desk"]
    assert page.js_errors == []


def test_a_new_address_creates_its_account_from_the_link(browser_page, lead, programme):
    page = browser_page
    link = _invite_on_the_members_page(page, "newbie@example.com", "Viewer")
    page.context.clear_cookies()
    page.goto(link)
    page.fill("#id_username", "newbie")
    page.fill("#id_name", "New Bie")
    page.fill("#id_password", "a-long-pass-phrase")
    page.fill("#id_password_again", "a-long-pass-phrase")
    page.get_by_role("button", name="Create my account and join").click()
    page.wait_for_url("**/p/acme/")
    assert "Welcome to Acme go-live." in page.locator("main").inner_text()
    assert Membership.objects.get(programme=programme, user__username="newbie").roles == ["viewer"]
    assert page.js_errors == []
