"""Compiled querysets give exactly what the queryset gives, for whichever parameters they get."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from hypercare.compiled import CompiledQuery
from hypercare.models import Membership
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _memberships(user_id):
    return (
        Membership.objects.filter(user_id=user_id)
        .select_related("programme", "user")
        .annotate(label=Concat(F("programme__name"), Value(": "), F("team")))
        .order_by("programme__name")
    )


memberships_of = CompiledQuery(_memberships, user_id=int)


def _fields(membership):
    return (
        membership.pk,
        membership.roles,
        membership.label,
        membership.programme.slug,
        membership.programme.go_live_date,
        membership.user.username,
    )


def test_rows_are_the_querysets_rows_for_each_parameter(champion, desk, outsider):
    for persona in (champion, desk, outsider):
        expected = [_fields(m) for m in _memberships(persona.user.pk)]
        assert expected, "every persona has a membership"
        assert [_fields(m) for m in memberships_of(user_id=persona.user.pk)] == expected
    assert memberships_of(user_id=-1) == []


def test_one_query_and_no_compilation_after_the_first(desk):
    memberships_of(user_id=desk.user.pk)
    with CaptureQueriesContext(connection) as queries:
        first = memberships_of(user_id=desk.user.pk)[0]
        names = (first.programme.name, first.user.username)  # select_related: no further query
    assert len(queries) == 1
    assert names == (desk.membership.programme.name, desk.user.username)


def test_values_and_string_parameters(programme, desk):
    for title in ("Printer jams", "Quote PDF fails"):
        TicketFactory(programme=programme, reporter=desk.user, title=title)
    titles = CompiledQuery(
        lambda slug, title: Ticket.objects.filter(programme__slug=slug, title=title).values(
            "title", "severity"
        ),
        slug=str,
        title=str,
    )
    assert titles(slug=programme.slug, title="Printer jams") == list(
        Ticket.objects.filter(title="Printer jams").values("title", "severity")
    )
    assert titles(slug=programme.slug, title="Nothing like it") == []
    assert titles(slug="another-programme", title="Quote PDF fails") == []


def test_a_parameter_the_lookup_rewrites_is_refused(programme):
    rewritten = CompiledQuery(lambda title: Ticket.objects.filter(title__icontains=title), title=str)
    with pytest.raises(ImproperlyConfigured, match="title"):
        rewritten(title="printer")


def test_the_parameters_must_be_the_declared_ones(desk):
    with pytest.raises(TypeError, match="user_id"):
        memberships_of(user=desk.user)
