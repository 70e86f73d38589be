"""The category suggested from a report's words, on its own: no database, no request."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from sla import classifier
from sla.classifier import suggest_category


@pytest.mark.parametrize(
    ("words", "category"),
    [
        ("The SAP interface stopped sending orders overnight", "integration"),
        ("Quotes not arriving in the ERP: the API call fails", "integration"),
        ("How do I add a second contact to a quote?", "how_to"),
        ("Locked out after the password reset", "access"),
        ("The case list is slower than ever this morning", "performance"),
        ("Duplicate accounts after the migration", "data"),
        ("It would be nice to have a new report of open quotes", "enhancement"),
        ("The picklist on the page layout lacks Norway", "configuration"),
        ("Saving a quote crashes with an error", "defect"),
    ],
)
def test_it_suggests_the_category_the_words_point_to(words, category):
    suggested, why = suggest_category(words)
    assert suggested == category
    assert why.startswith("Suggested because it ")


def test_it_says_why_it_suggests_integration():
    _, why = suggest_category("The middleware feed to SAP is not flowing")
    assert why == "Suggested because it mentions another system or an interface between systems."


def test_it_matches_whole_words_unless_the_phrase_is_a_prefix():
    # "sap" is a word of the integration rule; "sapphire" is not SAP.
    assert suggest_category("The sapphire theme looks odd")[0] == "defect"
    assert suggest_category("Record sync stalls")[0] == "integration", "sync* also matches 'sync' itself"


def test_it_falls_back_on_the_most_similar_resolved_ticket_when_no_word_matches():
    similar = [
        SimpleNamespace(reference="ACME-7", category="how_to"),
        SimpleNamespace(reference="ACME-9", category="data"),
    ]
    category, why = suggest_category("Quote totals look odd", similar)
    assert category == "how_to"
    assert why == "Suggested because the most similar resolved ticket, ACME-7, was how-to / training gap."


def test_the_words_win_over_similar_tickets():
    similar = [SimpleNamespace(reference="ACME-7", category="how_to")]
    assert suggest_category("The API to the ERP times out", similar)[0] == "integration"


def test_with_no_clue_it_suggests_a_defect_for_the_desk_to_confirm():
    assert suggest_category("") == (
        "defect",
        "No clue in the words yet: the desk will confirm the category.",
    )


def test_it_imports_nothing_above_the_core():
    tree = ast.parse(Path(classifier.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "re", "collections", "typing", "django", "hypercare"}, imported
