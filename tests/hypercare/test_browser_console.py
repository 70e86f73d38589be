"""A clean console: every role visits every page it may open, opens every action panel and filters
the queue, and the browser logs no error (a Content-Security-Policy refusal, an htmx abort, a
script error) and no request fails (4xx/5xx) along the way.

The pages come from the access matrix (tests/security/access_matrix.py): a new page joins this
test as soon as it is given its access rule there.
"""

from __future__ import annotations

import pytest

from tests.conftest import log_in
from tests.handover.conftest import sqlite_guard_lifted, sqlite_guard_restored  # noqa: F401 (fixtures)
from tests.security.access_matrix import MATRIX
from tests.security.probe import OK, url_for
from tests.security.routes import inventory
from tests.security.world import MEMBER_ROLES

pytestmark = pytest.mark.browser

# Pages that are downloads rather than pages (the matrix probes them without htmx).
DOWNLOADS = {name for name, entry in MATRIX.items() if entry.kind == "page" and not entry.htmx}
# Pages only reached in the middle of a flow (their state comes from the step before), and the
# fragment an open queue-row menu loads.
FLOW_STEPS = {
    "tickets:import_map",
    "tickets:import_values",
    "tickets:import_preview",
    "metrics:upload_preview",
    "tickets:row_actions",
    # Opened from the link a chat bot sends; its one-time token comes from that message
    # (tests/intake/test_chat_linking.py opens it with a real one).
    "integrations:chat_link",
}
SETTLED = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"


def pages_for(side, role: str) -> list[str]:
    routes = inventory()
    urls = []
    for name, entry in MATRIX.items():
        if entry.kind != "page" or name in DOWNLOADS or name in FLOW_STEPS or "GET" not in entry.methods:
            continue
        if entry.methods["GET"].get(role) != OK:
            continue
        route = routes[name][0]
        if route.default_kwargs:  # one URL per ticket action: the action panels below cover them
            continue
        urls.append(url_for(name, route.params, side, entry.obj))
    return sorted(set(urls))


@pytest.fixture
def side(sqlite_guard_restored, sqlite_guard_lifted, settings, tmp_path):  # noqa: F811 (fixtures imported above)
    from tests.security.world import build_side

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return build_side(slug="acme", prefix="ACME", username_prefix="")


def test_no_role_meets_a_console_error_or_a_failed_request_on_any_page(browser_page, side):
    page = browser_page
    problems: list[str] = []
    where = {"url": ""}
    page.on(
        "console",
        lambda message: (
            problems.append(f"{where['url']}: console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{where['url']}: {response.status} {response.request.method} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    # A request the browser cancels because the test moves on (net::ERR_ABORTED) is not a failure; an
    # htmx request aborted by the page shows as the console error htmx logs for it.
    page.on(
        "requestfailed",
        lambda request: (
            problems.append(f"{where['url']}: failed {request.url} {request.failure}")
            if "ERR_ABORTED" not in (request.failure or "")
            else None
        ),
    )
    ticket = side.objects["ticket"]
    for role in MEMBER_ROLES:
        page.goto("about:blank")  # no request of the last page may land after the cookies are cleared
        page.context.clear_cookies()
        where["url"] = f"login as {role}"
        log_in(page, role)
        # A busy CI machine (two suites side by side) can take long over the first page after a login.
        page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=60_000)
        for url in pages_for(side, role):
            where["url"] = f"{role} {url}"
            page.goto(url)
            page.wait_for_function(SETTLED)
        # Every action panel of a ticket this role may see, opened as a person would.
        if role in ("champion", "desk", "engineer", "lead", "bau"):
            where["url"] = f"{role} ticket panels"
            page.goto(f"/p/acme/tickets/{ticket.reference}/")
            for panel in page.locator("details.action").all():
                panel.locator("summary").click()
                page.wait_for_load_state("networkidle")
        # Filtering the queue, faster than its answers come back (each new filter replaces the last).
        if role in ("desk", "engineer", "lead", "bau"):
            where["url"] = f"{role} queue filters"
            page.goto("/p/acme/tickets/")
            for option in page.locator("#queue-filters select").first.locator("option").all()[:4]:
                page.locator("#queue-filters select").first.select_option(option.get_attribute("value"))
            page.wait_for_timeout(300)
            page.wait_for_function(SETTLED)
    assert not problems, "\n".join(problems)
    assert page.js_errors == []
