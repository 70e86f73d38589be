"""Every page of the navigation, in a real browser: it says what it is for, marks where you are,
and never scrolls sideways on a phone."""

import pytest

from hypercare.roles import Role, Team
from tests.conftest import log_in
from tests.factories import KnownIssueFactory, TicketFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
LONG = "Quote approval for the Northern Europe framework agreement fails with an unexpected validation error"


@pytest.fixture
def tickets(programme, champion, desk):
    issue = KnownIssueFactory(programme=programme, title=LONG, created_by=desk.user)
    for n, severity in enumerate([1, 2, 3, 4, 3, 2]):
        TicketFactory(
            programme=programme,
            reporter=champion.user,
            title=f"{LONG} ({n})",
            severity=severity,
            assignee=desk.user if n % 2 else None,
            known_issue=issue if n == 0 else None,
            response_breached=n == 1,
        )


def visit_every_page_of_the_navigation(page) -> list[str]:
    page.goto("/p/acme/")
    hrefs = page.eval_on_selector_all("nav.subnav a", "links => links.map(a => a.getAttribute('href'))")
    seen = []
    for href in hrefs:
        page.goto(href)
        assert page.locator("h1").count() == 1, href
        assert page.locator("main .lead").count() >= 1, f"{href} does not say what it is for"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{href} scrolls sideways ({width}px)"
        current = page.locator("nav.subnav a[aria-current=page]")
        assert current.count() == 1 and current.get_attribute("href") == href, href
        seen.append(href)
    assert page.js_errors == []
    return seen


def test_a_champion_on_a_phone_gets_seven_pages_that_fit_the_screen(browser_page, champion, tickets):
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, "champion")
    seen = visit_every_page_of_the_navigation(page)
    assert len(seen) == 7  # overview, log, mine, known issues, notifications, what's happening, bulletins


def test_a_lead_on_a_phone_gets_every_page_without_sideways_scrolling(browser_page, make_persona, tickets):
    make_persona(Role.LEAD, Role.ENGINEER, team=Team.PROJECT, username="lead")
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, "lead")
    seen = visit_every_page_of_the_navigation(page)
    assert len(seen) >= 20


def test_a_sponsor_on_a_laptop_sees_the_pages_of_the_exit(browser_page, sponsor, tickets):
    page = browser_page
    log_in(page, "sponsor")
    seen = visit_every_page_of_the_navigation(page)
    assert {"/p/acme/scorecard/", "/p/acme/exit-gate/", "/p/acme/sign-off/", "/p/acme/daily-status/"} <= set(
        seen
    )
