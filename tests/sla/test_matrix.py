"""The default triage matrix keeps seed 000's rules, and the README shows it as the code has it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hypercare.vocabulary import Category, ImpactScope, Workaround
from sla.matrix import DEFAULT_MATRIX, severity_for

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- default-matrix:start -->", "<!-- default-matrix:end -->"
SCOPES = [ImpactScope.ORGANISATION, ImpactScope.DEPARTMENT, ImpactScope.SUBSET, ImpactScope.INDIVIDUAL]
WORKAROUNDS = [Workaround.NONE, Workaround.PAINFUL, Workaround.SIMPLE]


def matrix_table() -> str:
    """The README's table of DEFAULT_MATRIX: one row per scope and vital answer, one column per workaround."""
    lines = [
        "| Who is affected | Vital process blocked | " + " | ".join(w.label for w in WORKAROUNDS) + " |",
        "|---|---|" + "---|" * len(WORKAROUNDS),
    ]
    for vital in (True, False):
        for scope in SCOPES:
            cells = " | ".join(f"Sev{DEFAULT_MATRIX[(scope, w, vital)]}" for w in WORKAROUNDS)
            lines.append(f"| {scope.label} | {'yes' if vital else 'no'} | {cells} |")
    return "\n".join(lines)


def test_it_shows_the_default_matrix_in_the_readme_as_the_code_has_it():
    text = README.read_text()
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert found, f"README.md needs the default matrix between {START} and {END}"
    assert found.group(1).strip() == matrix_table(), "README's matrix differs; paste:\n" + matrix_table()


def test_it_covers_every_answer():
    assert set(DEFAULT_MATRIX) == {(s, w, v) for s in SCOPES for w in WORKAROUNDS for v in (True, False)}


def test_it_follows_seed_000():
    wide = (ImpactScope.ORGANISATION, ImpactScope.DEPARTMENT)
    for (scope, workaround, vital), severity in DEFAULT_MATRIX.items():
        if vital and workaround == Workaround.NONE and scope in wide:
            assert severity == 1, (scope, workaround, vital)
        else:
            assert severity >= 2, "only a vital process blocked without workaround, widely, is Sev1"
        if vital:
            assert severity <= 2, f"a vital process blocked is never below Sev2: {(scope, workaround)}"
        if scope in wide and workaround == Workaround.PAINFUL:
            assert severity == 2, "a department's workaround with heavy friction is Sev2 (the finance quiz)"
    assert DEFAULT_MATRIX[(ImpactScope.SUBSET, Workaround.SIMPLE, False)] == 3


@pytest.mark.django_db
@pytest.mark.parametrize("category", [Category.HOW_TO, Category.ENHANCEMENT])
def test_questions_and_enhancements_are_sev4_unless_a_vital_process_is_blocked(programme, category):
    answers = {"impact_scope": ImpactScope.ORGANISATION, "workaround": Workaround.NONE}
    assert severity_for(programme, **answers, blocks_vital_process=False, category=category) == 4
    assert severity_for(programme, **answers, blocks_vital_process=True, category=category) == 1
