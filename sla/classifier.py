"""The category a report's words suggest, before anyone has triaged it: keyword rules.

The guided form shows the suggestion as the reporter types and files it when they leave the
category blank; the desk confirms it. The rules read words only: the tickets that turned out
similar are found by the caller (tickets.search) and handed in, as the fallback when no rule
matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from hypercare.vocabulary import Category


class ResolvedExample(Protocol):
    """A resolved ticket like the report: what it turned out to be, and its reference to name it."""

    reference: str
    category: str


# (category, phrases, why): a phrase ending in * matches any word starting with it.
CATEGORY_HINTS: list[tuple[str, tuple[str, ...], str]] = [
    (
        Category.HOW_TO,
        (
            "how do i",
            "how to",
            "how can i",
            "how do we",
            "where do i",
            "where is",
            "where can i",
            "where are",
            "training",
            "not sure how",
            "what is the way",
            "is there a way",
            "can't find",
            "cannot find",
            "can not find",
            "explain*",
        ),
        "it reads like a question about how to do something: often a training gap rather than a defect",
    ),
    (
        Category.ACCESS,
        (
            "access",
            "permission*",
            "log in",
            "login",
            "password",
            "locked out",
            "not authori*",
            "insufficient privileges",
            "can't see",
            "cannot see",
            "licen*",
            "profile",
        ),
        "it mentions access, logging in or permissions",
    ),
    (
        Category.PERFORMANCE,
        ("slow*", "timeout", "timed out", "takes ages", "takes minutes", "spinning", "hangs", "performance"),
        "it mentions slowness",
    ),
    (
        Category.INTEGRATION,
        (
            "integration",
            "interface",
            "sync*",
            "not flowing",
            "sap",
            "erp",
            "api",
            "middleware",
            "feed",
            "not arriving",
            "didn't arrive",
            "mulesoft",
        ),
        "it mentions another system or an interface between systems",
    ),
    (
        Category.DATA,
        (
            "wrong data",
            "migrat*",
            "missing record*",
            "duplicate*",
            "incorrect value",
            "wrong address",
            "wrong owner",
            "data",
            "records are missing",
        ),
        "it mentions wrong, missing or migrated data",
    ),
    (
        Category.ENHANCEMENT,
        (
            "would be nice",
            "could we",
            "can we have",
            "feature",
            "enhancement",
            "it would help",
            "wish",
            "add a field",
            "new report",
            "suggestion",
        ),
        "it asks for something new rather than reporting a fault",
    ),
    (
        Category.CONFIGURATION,
        (
            "picklist",
            "page layout",
            "layout",
            "validation rule",
            "field is missing",
            "workflow",
            "approval process",
            "setting*",
            "configur*",
        ),
        "it mentions how the system is set up",
    ),
    (
        Category.DEFECT,
        (
            "error*",
            "fails",
            "failed",
            "failing",
            "broken",
            "bug",
            "crash*",
            "exception",
            "doesn't work",
            "does not work",
            "not working",
            "blank page",
            "won't save",
            "wrong",
            "shows the wrong",
            "incorrect*",
            "cannot save",
            "can't save",
        ),
        "it describes something failing",
    ),
]
_HINT_PATTERNS = [
    (
        category,
        [
            re.compile(r"\b" + re.escape(p[:-1]) if p.endswith("*") else r"\b" + re.escape(p) + r"\b")
            for p in phrases
        ],
        why,
    )
    for category, phrases, why in CATEGORY_HINTS
]


def suggest_category(text: str, similar: Sequence[ResolvedExample] = ()) -> tuple[str, str]:
    """A category for the words of a report, and why: keyword hints first, then what the most
    similar resolved ticket turned out to be, else a defect for the desk to confirm."""
    lowered = (text or "").lower()
    best, best_hits, best_why = None, 0, ""
    for category, patterns, why in _HINT_PATTERNS:
        hits = sum(1 for pattern in patterns if pattern.search(lowered))
        if hits > best_hits:
            best, best_hits, best_why = category, hits, why
    if best is not None:
        return best, f"Suggested because {best_why}."
    if similar:
        return similar[0].category, (
            f"Suggested because the most similar resolved ticket, {similar[0].reference}, was "
            f"{Category(similar[0].category).label.lower()}."
        )
    return Category.DEFECT, "No clue in the words yet: the desk will confirm the category."
