"""A real browser renders the scorecard's charts under the Content-Security-Policy and drills into a KPI."""

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics import services
from tests.conftest import log_in
from tests.factories import TicketFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def telemetry(programme, lead):
    today = timezone.localdate()
    points = []
    for n in range(1, 15):
        day = (today - timedelta(days=n)).isoformat()
        points += [
            {"series": "transactions", "date": day, "value": 10_000},
            {"series": "exceptions", "date": day, "value": 4 + n},
            {
                "series": "daily_active_users",
                "date": day,
                "value": 55,
                "dimensions": {"business_unit": "Sales"},
            },
            {
                "series": "weekly_active_users",
                "date": day,
                "value": 100,
                "dimensions": {"business_unit": "Sales"},
            },
            {
                "series": "daily_active_users",
                "date": day,
                "value": 12,
                "dimensions": {"business_unit": "Finance"},
            },
            {
                "series": "weekly_active_users",
                "date": day,
                "value": 100,
                "dimensions": {"business_unit": "Finance"},
            },
        ]
    services.telemetry_ingest(programme=programme, points=points)
    now = timezone.now()
    for n in range(12):
        TicketFactory(programme=programme, reported_at=now - timedelta(days=n, hours=2),
                      resolved_at=now - timedelta(days=n, hours=1) if n % 2 else None,
                      resolved_at_tier=1 + n % 3 if n % 2 else None, category="how_to" if n % 3 else "defect")  # fmt: skip
    services.snapshots_backfill(programme=programme, start=timezone.localdate() - timedelta(days=10),
                                end=timezone.localdate() - timedelta(days=2))  # fmt: skip


def test_the_scorecard_renders_its_charts_and_a_drill_down(browser_page, lead, telemetry):
    page = browser_page
    csp_reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_reports.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, "lead")
    page.wait_for_url("**/")
    page.goto("/p/acme/scorecard/")

    assert page.locator("section.area h2").all_inner_texts()[0].startswith("Technical health")
    assert page.locator("section.area").count() == 4
    assert page.locator("svg.spark").count() == 15
    charts = page.locator(".queue-charts figure.chart svg.chart-svg")
    assert charts.count() == 5
    burn_up = page.locator("#chart-burn_up svg")
    assert burn_up.bounding_box()["width"] > 300, "the chart scales to its card"
    assert burn_up.locator("path.line").count() == 2
    assert page.locator("#chart-intake_closures rect.bar").count() > 0
    # The stylesheet (not a style attribute) colours the lines: proof it loaded under the CSP.
    stroke = burn_up.locator("path.line.s0").evaluate("el => getComputedStyle(el).stroke")
    assert stroke == "rgb(31, 79, 163)"

    page.locator("#kpi-dau_wau_ratio a.drill").click()
    drill = page.locator("#drilldown .drilldown-body")
    drill.wait_for()
    assert "DAU/WAU ratio" in drill.locator("h2").inner_text()
    assert drill.locator("figure.chart svg path.line").count() == 3  # all users, Finance, Sales
    assert "Finance" in drill.locator("table.breakdown").inner_text()
    assert drill.locator("a", has_text="Data as CSV").count() == 1
    assert "/p/acme/scorecard/" in page.url, "htmx swapped the drill-down in place"

    assert page.js_errors == []
    assert csp_reports == []


def test_the_drill_down_link_works_without_javascript(browser_page, live_server, lead, telemetry):
    context = browser_page.context.browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "lead")
        page.goto("/p/acme/scorecard/")
        page.locator("#kpi-exception_rate a.drill").click()
        page.wait_for_url("**/p/acme/scorecard/exception_rate/")
        assert page.locator("h2", has_text="Exception rate").count() == 1
        assert page.locator("figure.chart svg circle.dot").count() == 14
    finally:
        context.close()
