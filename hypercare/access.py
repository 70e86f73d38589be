"""One door into a programme: membership is checked here, for views and the API alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from hypercare import roles as capabilities
from hypercare.compiled import CompiledQuery
from hypercare.models import Membership, Programme
from hypercare.roles import Role


@dataclass(frozen=True)
class ProgrammeAccess:
    """A programme as one user may use it: their membership (if any) and effective roles."""

    programme: Programme
    membership: Membership | None
    roles: frozenset[str] = field(default_factory=frozenset)
    user: object = None

    @property
    def roles_key(self) -> str:
        """The roles as one stable string: what the navigation fragment's cache varies on."""
        return ",".join(sorted(self.roles))

    @property
    def can_work_queue(self) -> bool:
        return capabilities.can_work_queue(self.roles)

    @property
    def sees_internal(self) -> bool:
        return capabilities.sees_internal(self.roles)

    @property
    def sees_all_tickets(self) -> bool:
        return capabilities.sees_all_tickets(self.roles)

    @property
    def can_report(self) -> bool:
        return capabilities.can_report(self.roles)

    @property
    def is_lead(self) -> bool:
        return capabilities.is_lead(self.roles)

    @property
    def can_sign_off(self) -> bool:
        return capabilities.can_sign_off(self.roles)

    @property
    def is_read_only(self) -> bool:
        return self.roles <= {Role.VIEWER, Role.SPONSOR}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def _unread_in_app():
    from hypercare.models import Notification, NotificationChannel

    unread = Notification.objects.filter(
        programme=OuterRef("programme_id"),
        recipient=OuterRef("user_id"),
        channel=NotificationChannel.IN_APP,
        read_at__isnull=True,
    )
    return Coalesce(
        Subquery(unread.order_by().values("recipient").annotate(n=Count("pk")).values("n")[:1]), 0
    )


# Every active membership of a user (the navigation lists them) with its unread in-app
# notifications (the badge): one query serves the whole page, compiled once per process.
_memberships_of = CompiledQuery(
    lambda user_id: (
        Membership.objects.active()
        .filter(user_id=user_id)
        .select_related("programme")
        .annotate(unread_in_app=_unread_in_app())
        .order_by("programme__name")
    ),
    user_id=int,
)


def get_programme_for(user, slug: str) -> ProgrammeAccess:
    """The programme `slug` as `user` may see it; 404 (never 403) for anyone who is not a member."""
    if not user.is_authenticated:
        raise Http404("No such programme.")
    memberships = _memberships_of(user_id=user.pk)
    for loaded in memberships:
        loaded.user = user  # the caller's user object: membership.user costs no query
    user._hypercare_memberships = memberships
    membership = next((m for m in memberships if m.programme.slug == slug), None)
    if membership is not None:
        return ProgrammeAccess(membership.programme, membership, frozenset(membership.roles), user)
    if user.is_superuser:
        programme = Programme.objects.filter(slug=slug).first()
        if programme is not None:
            # Superusers administer every programme with every power except signing off for the business.
            return ProgrammeAccess(programme, None, frozenset(Role.values) - capabilities.SIGNATORIES, user)
    raise Http404("No such programme.")
