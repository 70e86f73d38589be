"""Pagination whose cost follows the page, not the table.

`FastPaginator` (pages of the web UI) differs from Django's Paginator in two ways:

- Deferred join: a page first reads the ids of its rows (`SELECT id … ORDER BY … OFFSET n
  LIMIT k`, an index-only scan when an index matches the order, e.g. ticket_queue_order),
  then loads those rows with their joins. Django's single query joined and read every row it
  skipped: page 1,000 of the Tier 2 queue took 285 ms at a million tickets, now a few ms.
- A bounded count: rows are counted up to `count_limit` beyond the page asked for (10,000 by
  default), so a long queue costs the same as a short one; `count_is_exact` is False when
  there are more, and a page shows "10,000+". Pages deeper than the limit stay reachable:
  the limit moves with the page asked for.
"""

from __future__ import annotations

from django.core.paginator import InvalidPage, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_LIMIT = 10_000
# Deeper than any list can be: a larger page number asked for is read as this one (then, as
# with any page past the end, the last page is shown), which keeps the count's LIMIT an integer
# the database accepts (?page=10^30 overflowed it).
MAX_PAGE_NUMBER = 1_000_000_000


class DeferredJoinPaginator(Paginator):
    """Django's Paginator with the deferred join (exact count): for the API's lists.

    `rows`: a function adding what only the page's rows need (per-row subqueries, counts of
    related rows) to the query that loads them, kept out of the count and of the id scan.
    `direct_depth`: pages starting above this offset are read in one query (rows and joins in
    index order, LIMIT k), saving the id scan's round trip where skipping costs nothing; only
    for `rows` functions that keep one row per ticket without grouping (no Count()).
    """

    def __init__(self, *args, rows=None, direct_depth: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.decorate_rows = rows
        self.direct_depth = direct_depth

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int):
        rows = self.object_list
        if not isinstance(rows, QuerySet) or top <= bottom:
            return rows[bottom:top]
        if bottom < self.direct_depth:
            return list((self.decorate_rows(rows) if self.decorate_rows else rows)[bottom:top])
        ids = list(rows.values_list("pk", flat=True)[bottom:top])
        page_rows = rows.order_by().filter(pk__in=ids)
        if self.decorate_rows is not None:
            page_rows = self.decorate_rows(page_rows)
        loaded = {row.pk: row for row in page_rows}
        return [loaded[pk] for pk in ids if pk in loaded]


class FastPaginator(DeferredJoinPaginator):
    """The deferred join plus a count bounded near the page asked for (web pages)."""

    def __init__(self, *args, count_limit: int = COUNT_LIMIT, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_limit = count_limit
        self.count_is_exact = True

    def get_page(self, number):
        # Count far enough to know the page asked for exists (and a few pages beyond it).
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        wanted = min(max(wanted, 1), MAX_PAGE_NUMBER)
        self.count_limit = max(self.count_limit, (wanted + 10) * self.per_page)
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return len(rows)
        # SELECT COUNT(*) FROM (SELECT id … LIMIT n+1): stops after n+1 rows.
        found = rows.order_by().values("pk")[: self.count_limit + 1].count()
        if found > self.count_limit:
            self.count_is_exact = False
            return self.count_limit
        return found


__all__ = ["COUNT_LIMIT", "MAX_PAGE_NUMBER", "DeferredJoinPaginator", "FastPaginator", "InvalidPage"]
