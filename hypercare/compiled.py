"""Querysets built and compiled to SQL once per process, then run with new parameters.

Building a queryset (filter, annotate, select_related, subqueries) and compiling it to SQL
costs Django 0.5-2 ms of Python per query: more than PostgreSQL takes to run the short,
indexed queries of a page. The hot queries of the busiest pages differ only in their
parameters (this user, this programme, this ticket), so `CompiledQuery` builds each one once
with placeholder values, keeps its SQL and the compiler's description of the columns, and
afterwards only puts the parameters in. The rows come back through Django's own iterables:
model instances, select_related objects, annotations, values() dicts and field converters are
exactly what the queryset would have given (tests compare both).

    membership_rows = CompiledQuery(
        lambda user_id: Membership.objects.filter(user_id=user_id).select_related("programme"),
        user_id=int,
    )
    memberships = membership_rows(user_id=request.user.pk)   # a list, one query

Parameters are compared for equality only (`field=value`): a placeholder must reach the SQL
parameters unchanged, so lookups that rewrite their value (`icontains`, `__in`, dates on
SQLite) are refused when the query is first prepared.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet

# Within every integer column's range (Django answers "no rows" without SQL for a value outside it).
_INT_PLACEHOLDER = -2_000_000_000


def _placeholder(position: int, name: str, kind: type) -> int | str:
    if kind is int:
        return _INT_PLACEHOLDER - position
    if kind is str:
        return f"\ue000compiled-query-parameter:{name}\ue000"
    raise ImproperlyConfigured(
        f"CompiledQuery parameter {name!r}: only int and str are supported, not {kind}."
    )


class _Prepared:
    __slots__ = ("compiler", "params", "queryset", "slots", "sql")

    def __init__(self, queryset: QuerySet, placeholders: dict[str, int | str]):
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also fills the compiler's select, klass_info, col_count
        slots = []
        for index, value in enumerate(params):
            for name, placeholder in placeholders.items():
                if type(value) is type(placeholder) and value == placeholder:
                    slots.append((index, name))
        missing = set(placeholders) - {name for _, name in slots}
        if missing:
            raise ImproperlyConfigured(
                f"CompiledQuery: the parameter(s) {', '.join(sorted(missing))} did not reach the SQL "
                "unchanged; use them only in equality lookups."
            )
        self.queryset, self.compiler, self.sql, self.params, self.slots = (
            queryset,
            compiler,
            sql,
            tuple(params),
            tuple(slots),
        )


class CompiledQuery:
    """A queryset shape compiled once per database alias; calling it runs it with new values."""

    def __init__(self, build: Callable[..., QuerySet], **parameters: type):
        self._build = build
        self._parameters = parameters
        self._prepared: dict[tuple[str, str], _Prepared] = {}

    def _prepare(self) -> _Prepared:
        placeholders = {
            name: _placeholder(position, name, kind)
            for position, (name, kind) in enumerate(self._parameters.items())
        }
        queryset = self._build(**placeholders)
        key = (queryset.db, connections[queryset.db].vendor)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = _Prepared(queryset, placeholders)
        return prepared

    def prepared(self) -> _Prepared:
        # The common case, one database: no need to build the queryset again to learn its alias.
        if len(self._prepared) == 1:
            (key, prepared), *_ = self._prepared.items()
            if connections[key[0]].vendor == key[1]:
                return prepared
        return self._prepare()

    def __call__(self, **values: Any) -> list:
        if values.keys() != self._parameters.keys():
            raise TypeError(f"CompiledQuery expects {sorted(self._parameters)}, got {sorted(values)}")
        prepared = self.prepared()
        params = list(prepared.params)
        for index, name in prepared.slots:
            params[index] = values[name]
        sql = prepared.sql
        compiler = copy.copy(prepared.compiler)
        compiler.connection = connections[prepared.queryset.db]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        run = prepared.queryset._chain()
        run.query.get_compiler = lambda *args, **kwargs: compiler
        # A list, never the queryset: chaining onto `run` would keep the fixed SQL.
        return list(run)
