"""Filters of the ticket queue, shared by the API list and the CSV export.

The names and values are those of the queue page too (view, status=open/done, sort), so the
export link of a filtered queue exports exactly what the queue shows.
"""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from hypercare.roles import Role, Team
from hypercare.vocabulary import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Category,
    Severity,
    Status,
    TicketKind,
    Tier,
    categories_of,
)
from tickets import search
from tickets.models import KnownIssue, KnownIssueStatus, Ticket

KIND_CHOICES = TicketKind.choices
STATUS_CHOICES = [("open", "Open (any)"), ("done", "Done (any)"), ("any", "Any status"), *Status.choices]
VIEW_CHOICES = [
    ("unassigned", "Unassigned"),
    ("mine", "Assigned to me"),
    ("team", "My team's"),
    ("tier2", "Tier 2 queue"),
    ("tier3", "Tier 3 queue"),
    ("all", "All"),
]
SORTS = {
    "severity": ("severity", "resolution_due_at", "reported_at", "pk"),
    "-severity": ("-severity", "-reported_at", "-pk"),
    "reported": ("reported_at", "pk"),
    "-reported": ("-reported_at", "-pk"),
    "due": ("resolution_due_at", "severity", "pk"),
    "-due": ("-resolution_due_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "reference": ("number",),
    "-reference": ("-number",),
    "status": ("status", "severity", "pk"),
    "-status": ("-status", "severity", "pk"),
}


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number in the database's range (anything else is a 400, not a crash)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class TicketFilter(django_filters.FilterSet):
    """?severity=1&status=open&tier=2&category=defect&assignee=desk&business_unit=Sales&q=quote&sort=due"""

    severity = django_filters.TypedMultipleChoiceFilter(
        choices=Severity.choices, coerce=int, help_text="Severity 1–4; repeat for several."
    )
    tier = django_filters.TypedMultipleChoiceFilter(
        choices=Tier.choices, coerce=int, help_text="Tier 1–3; repeat for several."
    )
    status = django_filters.MultipleChoiceFilter(
        choices=STATUS_CHOICES,
        method="filter_status",
        help_text="A status, or open (new, triaged, in progress, waiting), done (resolved, closed, deferred) "
        "or any; repeat for several.",
    )
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, help_text="Repeat for several.")
    kind = django_filters.ChoiceFilter(
        choices=KIND_CHOICES,
        method="filter_kind",
        help_text="Defects, training gaps or the other categories.",
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        help_text='Username of the assignee; "me" for yourself, "none" for unassigned tickets.',
    )
    team = django_filters.ChoiceFilter(choices=Team.choices, help_text="Handling team.")
    business_unit = django_filters.CharFilter(lookup_expr="iexact")
    geography = django_filters.CharFilter(lookup_expr="iexact")
    reporter = django_filters.CharFilter(
        field_name="reporter__username", help_text="Username of the reporter."
    )
    known_issue = IdFilter(field_name="known_issue_id", help_text="Id of a known issue.")
    q = django_filters.CharFilter(
        method="filter_text",
        help_text="Words in the title, process or description (full-text search on PostgreSQL), or a reference.",
    )
    view = django_filters.ChoiceFilter(
        choices=VIEW_CHOICES, method="filter_view", help_text="A working queue, as on the queue page."
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for key in SORTS],
        method="filter_sort",
        help_text="Sort order (a leading - reverses it); newest reported first by default.",
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args, access=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access

    def _user(self):
        if self.access is not None:
            return self.access.user
        return getattr(self.request, "user", None)

    def filter_status(self, queryset, name, values):
        statuses: set[str] = set()
        for value in values:
            if value == "any":
                return queryset
            if value == "open":
                statuses |= OPEN_STATUSES
            elif value == "done":
                statuses |= DONE_STATUSES
            else:
                statuses.add(value)
        return queryset.filter(status__in=statuses)

    def filter_kind(self, queryset, name, value):
        return queryset.filter(category__in=categories_of(value))

    def filter_assignee(self, queryset, name, value):
        value = value.strip()
        if value.lower() == "none":
            return queryset.filter(assignee__isnull=True)
        if value.lower() == "me":
            return queryset.filter(assignee=self._user())
        return queryset.filter(assignee__username=value)

    def filter_text(self, queryset, name, value):
        return search.filter_tickets(queryset, value)

    def filter_view(self, queryset, name, value):
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        if value == "mine":
            return queryset.filter(assignee=self._user())
        if value == "team":
            membership = getattr(self.access, "membership", None)
            return queryset.filter(team=membership.team) if membership else queryset.none()
        if value == "tier2":
            return queryset.filter(tier=Tier.TIER2)
        if value == "tier3":
            return queryset.filter(tier=Tier.TIER3)
        return queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS[value])


class ProgrammeFilterBackend(DjangoFilterBackend):
    """django-filter, with the caller's programme access handed to the filter set (for view=team, assignee=me)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if getattr(view, "filterset_class", None) is TicketFilter:
            kwargs["access"] = getattr(view, "access", None)
        return kwargs


class KnownIssueFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=KnownIssueStatus.choices, help_text="Repeat for several."
    )
    open = django_filters.BooleanFilter(
        method="filter_open", help_text="true: investigating or fix in progress."
    )

    class Meta:
        model = KnownIssue
        fields: list[str] = []

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


def default_view(access) -> str:
    """The working queue a member sees when they name none: Tier 3 for engineers, Tier 2 for
    the desk, their team's for BAU, every ticket for leads and everyone else."""
    if access.has_role(Role.ENGINEER) and not access.has_role(Role.DESK, Role.LEAD):
        return "tier3"
    if access.has_role(Role.DESK):
        return "tier2"
    if access.has_role(Role.BAU) and not access.has_role(Role.LEAD):
        return "team"
    return "all"


def export_defaults(access) -> dict[str, str]:
    """What the queue page shows when a filter is not given: open tickets of the member's usual queue."""
    return {"view": default_view(access), "status": "open", "sort": "severity"}
