"""What users are told about known issues and fixes: one home for "fixed" and "expected".

The What's happening page and the daily bulletin both read these, so a fix never shows as
fixed on one and still expected on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch
from django.utils import timezone

from hypercare.models import Programme
from releases.models import Hotfix, PatchRelease
from tickets.models import KnownIssue

# "Fixed recently" on the What's happening page, and a first bulletin's look back.
RECENT_FIXES_DAYS = 14


def fixes_deployed(*, programme: Programme, since: datetime, until: datetime) -> list[Hotfix]:
    """Hotfixes that reached production in [since, until), newest first: what was fixed."""
    return list(
        Hotfix.objects.of(programme)
        .deployed()
        .filter(deployed_at__gte=since, deployed_at__lt=until)
        .select_related("known_issue", "release")
        .order_by("-deployed_at", "-pk")[:50]
    )


def next_release(*, programme: Programme, today: date) -> PatchRelease | None:
    """The next planned patch release from `today` on, with its hotfixes."""
    return (
        PatchRelease.objects.planned()
        .filter(programme=programme, planned_for__gte=today)
        .order_by("planned_for")
        .prefetch_related(
            Prefetch("hotfixes", queryset=Hotfix.objects.select_related("known_issue").order_by("pk"))
        )
        .first()
    )


def known_issues_open(*, programme: Programme, fixed: list[Hotfix] = ()) -> list[KnownIssue]:
    """Open known issues, soonest expected fix first; none whose fix is among `fixed`."""
    fixed_ids = {hotfix.known_issue_id for hotfix in fixed if hotfix.known_issue_id}
    return list(
        KnownIssue.objects.open()
        .filter(programme=programme)
        .exclude(pk__in=fixed_ids)
        .annotate(affected=Count("tickets", distinct=True))
        .order_by("fix_expected_on", "-affected", "pk")
    )


@dataclass(frozen=True)
class News:
    """Known problems (with workarounds and expected dates), the next release and the fixes since `since`."""

    known_issues: list[KnownIssue]
    next_release: PatchRelease | None
    fixed: list[Hotfix]
    since: datetime

    def expected_on(self, issue: KnownIssue) -> date | None:
        """When a known issue's fix is expected: its release's date if one carries it, else its own date."""
        if self.next_release is not None:
            for hotfix in self.next_release.hotfixes.all():
                if hotfix.known_issue_id == issue.pk:
                    return self.next_release.planned_for
        return issue.fix_expected_on


def news(*, programme: Programme, at: datetime, since: datetime | None = None) -> News:
    """Everything the What's happening page shows at `at`; fixes from `since` (default: two weeks)."""
    since = since or at - timedelta(days=RECENT_FIXES_DAYS)
    fixed = fixes_deployed(programme=programme, since=since, until=at)
    today = timezone.localdate(at, ZoneInfo(programme.timezone))
    return News(
        known_issues=known_issues_open(programme=programme, fixed=fixed),
        next_release=next_release(programme=programme, today=today),
        fixed=fixed,
        since=since,
    )
