"""The same figure on every screen: each page and API that shows one of the shared figures shows the
same number for the same programme and window, and that number is the one the definitions give by
hand (README, "Metric definitions").

`PLACES` is the table of (figure, place, extractor). Every new screen or API that shows one of
these figures joins it, with an extractor that reads the figure the way a person or a client
would: the text of the page, the number of the API.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from django.urls import reverse

from handover.models import CriterionKind, ExitCriterion
from hypercare.roles import Team
from metrics.selectors import percent_text
from tests.factories import TicketFactory
from tests.handover.factories import telemetry

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon in London (GMT = UTC); go-live was Monday 2 March.
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)
FIRST = date(2026, 3, 14)  # the 7 days ending today: the scorecard's and the exit gate's window
LABEL = "last 7 days, 14 Mar – 20 Mar"


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def at(offset_days: float) -> datetime:
    return NOW + timedelta(days=offset_days)


# The programme --------------------------------------------------------------------------------


def build(programme) -> None:
    """Tickets and telemetry around the window 14–20 March, each there for a reason noted beside it."""

    def make(**fields):
        return TicketFactory(programme=programme, **fields)

    # Reported in the window and reached the desk: 3 BAU, 3 project, 1 unassigned = 7.
    make(
        team=Team.BAU, reported_at=at(-5), status="resolved", resolved_at=at(-4), resolution_due_at=at(-3)
    )  # met
    make(
        team=Team.BAU, reported_at=at(-5), status="resolved", resolved_at=at(-2), resolution_due_at=at(-4)
    )  # late
    make(team=Team.BAU, reported_at=at(-4), status="in_progress", resolution_due_at=at(-1))  # open, overdue
    make(
        team=Team.PROJECT,
        reported_at=at(-3),
        status="resolved",
        resolved_at=at(-2.5),
        resolution_due_at=at(-2),
    )  # met
    make(
        team=Team.PROJECT, reported_at=at(-2), status="in_progress", resolution_due_at=at(2)
    )  # not due: not judged
    make(team=Team.PROJECT, reported_at=at(-1), status="waiting_on_reporter")  # no resolution target yet
    make(team="", reported_at=at(-0.1), status="new", resolution_due_at=at(1))  # unassigned, not due
    # Resolved on the spot by a champion: never reached the desk, in no BAU share.
    make(team="", reported_at=at(-2), tier=1, status="resolved", resolved_at=at(-2), resolved_at_tier=1)
    # Reported before the window: not in its BAU share. Resolved in it on time: judged, met.
    make(team=Team.BAU, reported_at=at(-10), status="resolved", resolved_at=at(-3), resolution_due_at=at(-2))
    # Overdue before the window and still open: judged in an earlier window, not this one.
    make(team=Team.PROJECT, reported_at=at(-12), status="triaged", resolution_due_at=at(-9))
    # Resolved late before the window: judged then.
    make(team=Team.BAU, reported_at=at(-14), status="resolved", resolved_at=at(-8), resolution_due_at=at(-10))

    days = [day(-n) for n in range(6, 0, -1)]  # 14 to 19 March; nothing sent for today yet
    telemetry(programme, "transactions", {d: 10_000 for d in days if d != day(-4)})
    # 16 March has exceptions but no transaction count: left out of the rate. 13 March is outside.
    telemetry(programme, "exceptions", dict(zip(days, [3, 4, 50, 6, 7, 8], strict=True)) | {day(-7): 900})
    telemetry(programme, "integration_success", dict.fromkeys(days, 999))
    telemetry(programme, "integration_failure", dict.fromkeys(days[:-1], 1) | {days[-1]: 5})
    telemetry(programme, "governor_limit_alerts", {day(-5): 2, day(-2): 1, day(-8): 7})
    telemetry(programme, "lock_contentions", dict.fromkeys(days, 0) | {TODAY: 1})


# By hand, from the definitions, over 14–20 March:
EXPECTED = {
    # 3 of the 7 tickets reported in the window that reached the desk are BAU's.
    "bau_share": Fraction(3, 7) * 100,
    # Judged: the 3 resolved in the window on time or late, the overdue open one, and the old one
    # resolved in the window: 5; met: 3.
    "sla_compliance": Fraction(3, 5) * 100,
    # Days with both series: 14, 15, 17, 18, 19 March: 28 exceptions of 50,000 transactions.
    "exception_rate": Fraction(28, 50_000) * 100,
    # 5,994 succeeded of 6,004 calls.
    "integration_success": Fraction(5994, 6004) * 100,
    "governor_limit_alerts": Fraction(3),
    "lock_contentions": Fraction(1),
}
KPI = {
    "bau_share": "bau_share",
    "sla_compliance": "sla_resolution_compliance",
    "exception_rate": "exception_rate",
    "integration_success": "integration_success_rate",
    "governor_limit_alerts": "governor_limit_alerts",
    "lock_contentions": "lock_contentions",
}
KEY_FIGURE = {
    "bau_share": "bau_share",
    "sla_compliance": "resolution_sla_compliance",
    "exception_rate": "exception_rate",
    "integration_success": "integration_success",
    "governor_limit_alerts": "governor_limit_alerts",
    "lock_contentions": "lock_contentions",
}
COUNTS = {"governor_limit_alerts", "lock_contentions"}


def shown(figure: str, value: Fraction) -> str:
    """How every page prints the figure."""
    return f"{int(value)}" if figure in COUNTS else percent_text(value)


# Reading the places ----------------------------------------------------------------------------

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")


def first_number(text: str) -> str:
    found = NUMBER.search(text)
    assert found, text
    return found.group(0)


def element_text(html: str, pattern: str) -> str:
    """The text of the first element matched by `pattern` (a regex whose group 1 is its inner HTML)."""
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


@dataclass
class Reader:
    """A lead of the programme, reading its pages and APIs (each fetched once)."""

    client: object
    api: object
    programme: object
    _cache: dict

    def page(self, name: str, query: str = "") -> str:
        key = (name, query)
        if key not in self._cache:
            response = self.client.get(reverse(name, args=[self.programme.slug]) + query)
            assert response.status_code == 200, (name, response.status_code)
            self._cache[key] = response.content.decode()
        return self._cache[key]

    def json(self, path: str) -> dict:
        if path not in self._cache:
            response = self.api.get(f"/api/v1/programmes/{self.programme.slug}/{path}")
            assert response.status_code == 200, (path, response.status_code)
            self._cache[path] = response.json()
        return self._cache[path]

    def pdf_texts(self) -> list[str]:
        if "pdf" not in self._cache:
            response = self.client.get(reverse("handover:exit_report_pdf", args=[self.programme.slug]))
            self._cache["pdf"] = pdf_strings(response.content)
        return self._cache["pdf"]

    def criterion(self, figure: str) -> ExitCriterion:
        return ExitCriterion.objects.get(programme=self.programme, kind=figure)


def pdf_strings(content: bytes) -> list[str]:
    """The text strings a PDF draws, in order (fpdf2 compresses each page's stream with zlib)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data):
            texts.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return texts


def scorecard_page(reader: Reader, figure: str) -> str:
    html = reader.page("metrics:scorecard")
    block = element_text(html, rf'id="kpi-{KPI[figure]}".*?<span class="kpi-value">(.*?)</span>')
    return first_number(block)


def scorecard_api(reader: Reader, figure: str) -> float:
    kpis = [kpi for area in reader.json("scorecard/")["areas"] for kpi in area["kpis"]]
    return next(kpi["value"] for kpi in kpis if kpi["slug"] == KPI[figure])


def gate_page(reader: Reader, figure: str) -> str:
    html = reader.page("handover:exit_gate")
    pk = reader.criterion(figure).pk
    return first_number(element_text(html, rf'id="criterion-{pk}".*?<span class="measured">(.*?)</span>'))


def gate_api(reader: Reader, figure: str) -> float:
    criteria = reader.json("exit-gate/")["criteria"]
    return round(next(c["value"] for c in criteria if c["kind"] == figure), 4)


def kt_page(reader: Reader, figure: str) -> str:
    return element_text(reader.page("handover:kt"), r'data-figure="bau-share">(.*?)</')


def status_page(reader: Reader, figure: str) -> str:
    html = reader.page("releases:status")
    return first_number(element_text(html, rf'data-figure="{KEY_FIGURE[figure]}">(.*?)</'))


def weekly_summary_page(reader: Reader, figure: str) -> str:
    html = reader.page("handover:weekly")
    return first_number(element_text(html, rf'id="weekly-kpi-{KPI[figure]}".*?class="kpi-value">(.*?)</'))


def exit_report_scorecard(reader: Reader, figure: str) -> str:
    html = reader.page("handover:exit_report")
    return first_number(element_text(html, rf'id="report-kpi-{KPI[figure]}".*?class="kpi-value">(.*?)</td>'))


def exit_report_criterion(reader: Reader, figure: str) -> str:
    html = reader.page("handover:exit_report")
    pk = reader.criterion(figure).pk
    return first_number(
        element_text(html, rf'id="report-criterion-{pk}".*?<span class="measured">(.*?)</span>')
    )


def exit_report_pdf(reader: Reader, figure: str) -> str:
    """The measured value printed after the criterion's title in the PDF's exit-criteria table."""
    texts = reader.pdf_texts()
    title = reader.criterion(figure).title
    start = max(i for i, text in enumerate(texts) if text.startswith(title[:20]))
    return first_number(next(t for t in texts[start + 1 :] if NUMBER.search(t) and t not in ("Pass", "Fail")))


def triage_api(reader: Reader, figure: str) -> float:
    start, end = "2026-03-14T00:00:00Z", "2026-03-21T00:00:00Z"
    return reader.json(f"sla-compliance/?start={start}&end={end}")["overall"]["met_percent"]


def triage_page(reader: Reader, figure: str) -> str:
    html = reader.page("triage:overrides", "?start=2026-03-14&end=2026-03-20")
    return element_text(html, r'data-figure="sla-compliance">(.*?)</')


ALL = list(EXPECTED)
PERCENTS = [f for f in ALL if f not in COUNTS]
# (figures, place, extractor, how it is compared: "text" as printed, or a number rounded to n places)
PLACES = [
    (ALL, "scorecard page", scorecard_page, "text"),
    (ALL, "scorecard API", scorecard_api, 4),
    (ALL, "exit gate page", gate_page, "text"),
    (ALL, "exit gate API", gate_api, 4),
    (["bau_share"], "knowledge-transfer page", kt_page, "text"),
    (ALL, "daily status", status_page, "text"),
    (ALL, "weekly summary", weekly_summary_page, "text"),
    (ALL, "exit report, scorecard table", exit_report_scorecard, "text"),
    (ALL, "exit report, exit criteria", exit_report_criterion, "text"),
    (ALL, "exit report PDF, exit criteria", exit_report_pdf, "text"),
    (["sla_compliance"], "triage compliance API", triage_api, 1),
    (["sla_compliance"], "triage report page", triage_page, "text"),
]
CASES = [(figure, place, extract, how) for figures, place, extract, how in PLACES for figure in figures]


@pytest.fixture
def reader(client, lead, programme, frozen_now):
    build(programme)
    client.force_login(lead.user)
    return Reader(client=client, api=lead.api(), programme=programme, _cache={})


def expected_as(figure: str, how) -> object:
    value = EXPECTED[figure]
    return shown(figure, value) if how == "text" else round(float(value), how)


def test_every_place_shows_the_figure_the_definitions_give(reader):
    """One assertion over the whole table, so a failure lists every place that disagrees."""
    wrong = {}
    for figure, place, extract, how in CASES:
        got = extract(reader, figure)
        if got != expected_as(figure, how):
            wrong[(figure, place)] = (got, expected_as(figure, how))
    assert not wrong


def test_the_places_agree_with_each_other(reader):
    """What a person compares: each figure is printed the same on every screen."""
    for figure in ALL:
        printed = {
            place: extract(reader, figure)
            for f, place, extract, how in CASES
            if f == figure and how == "text"
        }
        assert len(set(printed.values())) == 1, (figure, printed)


def test_every_page_says_which_days_the_figures_cover(reader):
    for name in (
        "metrics:scorecard",
        "handover:exit_gate",
        "handover:kt",
        "releases:status",
        "handover:exit_report",
        "handover:weekly",
    ):
        assert LABEL in reader.page(name), name
    criteria = {c["kind"]: c for c in reader.json("exit-gate/")["criteria"]}
    kpis = {kpi["slug"]: kpi for area in reader.json("scorecard/")["areas"] for kpi in area["kpis"]}
    window = {"first": "2026-03-14", "last": "2026-03-20", "days": 7, "label": LABEL}
    for figure in ALL:
        assert criteria[figure]["window"] == window
        assert kpis[KPI[figure]]["window"] == window


def test_one_day_figures_agree_between_the_snapshots_and_a_one_day_gate(reader, lead):
    """Today's BAU share and resolution compliance: the live snapshot (a day's figures are the
    selectors over that day) and an exit gate whose window is one day."""
    from handover import services
    from tests.handover.factories import access_of

    TicketFactory(programme=reader.programme, team=Team.BAU, reported_at=at(-0.2))
    TicketFactory(programme=reader.programme, team=Team.BAU, reported_at=at(-0.3), status="resolved",
                  resolved_at=at(-0.1), resolution_due_at=at(-0.05))  # fmt: skip
    # Today: 2 BAU of the 3 reported that reached the desk (with the unassigned one); 1 met of 1 judged.
    for kind in (CriterionKind.BAU_SHARE, CriterionKind.SLA_COMPLIANCE):
        services.criterion_update(access=access_of(lead), criterion=reader.criterion(kind), window_days=1)
    snapshot = reader.json(f"snapshots/?from={TODAY}&to={TODAY}")[0]
    criteria = {c["kind"]: c for c in reader.json("exit-gate/")["criteria"]}
    assert snapshot["is_live"] and snapshot["window"]["label"] == "today, 20 Mar"
    assert snapshot["bau_share"] == round(200 / 3, 4) == round(criteria["bau_share"]["value"], 4)
    assert snapshot["sla_compliance"]["resolution"] == 100.0 == criteria["sla_compliance"]["value"]
    assert criteria["bau_share"]["window"]["label"] == "today, 20 Mar"


# Built through the public API only ------------------------------------------------------------


def post(api, path: str, body: dict | list | None = None):
    response = api.post(f"/api/v1/programmes/acme/{path}", body or {}, format="json")
    assert response.status_code in (200, 201), (path, response.status_code, response.content[:300])
    return response.json()


def figures_of(api) -> tuple[dict, dict]:
    scorecard = api.get("/api/v1/programmes/acme/scorecard/").json()
    kpis = {kpi["slug"]: kpi["value"] for area in scorecard["areas"] for kpi in area["kpis"]}
    gate = api.get("/api/v1/programmes/acme/exit-gate/").json()
    criteria = {c["kind"]: c["value"] for c in gate["criteria"]}
    return (
        {figure: kpis[KPI[figure]] for figure in ALL},
        {figure: None if criteria[figure] is None else round(criteria[figure], 4) for figure in ALL},
    )


def test_a_programme_built_through_the_api_reads_the_same_on_the_scorecard_and_the_gate(
    programme, lead, desk, bau, champion
):
    from django.utils import timezone

    today = timezone.localdate()
    for n in range(3):
        ticket = post(
            desk.api(), "tickets/", {"title": f"Quote fails {n}", "severity": 3, "severity_reason": "x"}
        )
        post(bau.api() if n < 2 else desk.api(), f"tickets/{ticket['reference']}/take/")
    post(champion.api(), "tickets/", {"title": "Where is Clone?", "category": "how_to", "impact_scope": "individual",
                                       "workaround": "simple", "blocks_vital_process": False, "resolved_at_tier1": True,
                                       "resolution": "Showed the button."})  # fmt: skip
    post(desk.api(), "tickets/", {"title": "Nobody has it yet", "severity": 3, "severity_reason": "x"})
    points = []
    for n in range(1, 4):
        d = (today - timedelta(days=n)).isoformat()
        points += [
            {"series": "transactions", "date": d, "value": 20_000},
            {"series": "exceptions", "date": d, "value": 3 * n},
            {"series": "integration_success", "date": d, "value": 1_000},
            {"series": "integration_failure", "date": d, "value": n},
            {"series": "governor_limit_alerts", "date": d, "value": 0},
            {"series": "lock_contentions", "date": d, "value": n - 1},
        ]
    post(lead.api(), "telemetry/", points)

    scorecard, gate = figures_of(lead.api())
    assert scorecard == gate
    assert scorecard["bau_share"] == 50.0  # 2 BAU of the 4 that reached the desk
    assert scorecard["exception_rate"] == round(18 / 60_000 * 100, 4)
    assert scorecard["lock_contentions"] == 3
    assert scorecard["sla_compliance"] is None  # nothing resolved or overdue yet

    # A fresh programme where every resolved ticket met its target: 100% on both, not 0.
    for reference in list(programme.tickets.filter(team=Team.BAU).values_list("reference", flat=True)):
        post(bau.api(), f"tickets/{reference}/resolve/", {"resolution": "Fixed the template."})
    scorecard, gate = figures_of(lead.api())
    assert scorecard == gate
    assert scorecard["sla_compliance"] == gate["sla_compliance"] == 100.0
