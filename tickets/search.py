"""Finding known issues and earlier tickets from a few words, so a champion links instead of logging twice.

PostgreSQL gets real full-text search (stemming, ranking, websearch syntax); SQLite, the
embedded default, a plain word match. Every function runs one query whatever the input.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet

from hypercare.vocabulary import Status
from tickets.models import KnownIssue, KnownIssueStatus, Ticket

SEARCH_CONFIG = "english"
MIN_WORD = 3
MAX_WORDS = 12
# Words that match everything and tell nothing (PostgreSQL also drops its own
# english stop words).
STOP_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "when",
        "what",
        "have",
        "has",
        "had",
        "not",
        "but",
        "from",
        "into",
        "onto",
        "can",
        "cant",
        "cannot",
        "could",
        "would",
        "should",
        "does",
        "did",
        "doesnt",
        "dont",
        "its",
        "are",
        "was",
        "were",
        "will",
        "just",
        "get",
        "got",
        "out",
        "all",
        "any",
        "our",
        "your",
        "you",
        "they",
        "them",
        "their",
        "there",
        "then",
        "than",
        "too",
        "very",
        "how",
        "why",
        "who",
        "which",
        "where",
        "while",
        "been",
        "being",
        "also",
    ]
)


def words(text: str) -> list[str]:
    """The meaningful words of a query, lower-cased, at most MAX_WORDS of them."""
    found: list[str] = []
    for word in re.findall(r"[\w']+", (text or "").lower()):
        word = word.replace("'", "")
        if len(word) >= MIN_WORD and word not in STOP_WORDS and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _any_word_query(terms: list[str]):
    """A websearch query matching any of the words, ranked by how many (and how well) match."""
    from django.contrib.postgres.search import SearchQuery

    # websearch syntax: quoted words are literal, `or` between them widens the match.
    text = " or ".join(f'"{term}"' for term in terms)
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _ranked(queryset: QuerySet, fields: dict[str, str], terms: list[str], limit: int) -> list:
    """The best `limit` rows of `queryset` matching any of `terms` in `fields` (field -> weight A–D)."""
    if not terms:
        return []
    if is_postgres():
        from django.contrib.postgres.search import SearchRank, SearchVector

        vector = None
        for field, weight in fields.items():
            part = SearchVector(field, weight=weight, config=SEARCH_CONFIG)
            vector = part if vector is None else vector + part
        query = _any_word_query(terms)
        return list(
            queryset.annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .order_by("-rank", "-pk")[:limit]
        )
    # SQLite: rows containing any word, scored in Python by how many words they contain.
    match = Q()
    for term in terms:
        for field in fields:
            match |= Q(**{f"{field}__icontains": term})
    candidates = list(queryset.filter(match).order_by("-pk")[: limit * 10])
    weights = {"A": 4, "B": 2, "C": 1, "D": 1}

    def score(row) -> int:
        total = 0
        for field, weight in fields.items():
            value = (getattr(row, field) or "").lower()
            total += sum(weights[weight] for term in terms if term in value)
        return total

    candidates.sort(key=score, reverse=True)
    return candidates[:limit]


def matching_known_issues(programme, text: str, *, limit: int = 5) -> list[KnownIssue]:
    """Known issues of the programme that look like `text` (won't-fix ones are left out)."""
    queryset = (
        KnownIssue.objects.filter(programme=programme)
        .exclude(status=KnownIssueStatus.WONT_FIX)
        .only("id", "title", "symptoms", "workaround", "status", "fix_expected_on", "programme_id")
    )
    return _ranked(queryset, {"title": "A", "symptoms": "B", "workaround": "C"}, words(text), limit)


def similar_resolved_tickets(access, text: str, *, limit: int = 5) -> list[Ticket]:
    """Resolved or closed tickets the member may see that look like `text`, with their resolution."""
    queryset = (
        Ticket.objects.visible_to(access)
        .filter(status__in=[Status.RESOLVED, Status.CLOSED])
        .exclude(resolution="")
        .only(
            "id",
            "reference",
            "title",
            "description",
            "process",
            "resolution",
            "category",
            "status",
            "resolved_at",
            "programme_id",
        )
    )
    return _ranked(
        queryset,
        {"title": "A", "process": "B", "description": "C", "resolution": "C"},
        words(text),
        limit,
    )


def filter_tickets(queryset: QuerySet, text: str) -> QuerySet:
    """Narrow a ticket queryset to those matching every word of `text` (or its reference exactly)."""
    text = (text or "").strip()
    if not text:
        return queryset
    by_reference = Q(reference__iexact=text)
    if is_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("process", weight="B", config=SEARCH_CONFIG)
            + SearchVector("description", weight="C", config=SEARCH_CONFIG)
        )
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.annotate(search=vector).filter(Q(search=query) | by_reference)
    match = Q()
    for term in words(text) or [text.lower()]:
        match &= Q(title__icontains=term) | Q(description__icontains=term) | Q(process__icontains=term)
    return queryset.filter(match | by_reference)
