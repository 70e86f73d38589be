"""One door into a programme: membership is checked here, for views and the API alike.

The capabilities of a `ProgrammeAccess` are where writes are authorised: pages show an action
when its capability is true and services refuse it when it is false. They follow the member's
roles and the programme's state: a closed programme is read-only, except for BAU support and the
operational owner working the tickets left open at closure, until they are resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from hypercare import roles as capabilities
from hypercare.audit import audit
from hypercare.compiled import CompiledQuery
from hypercare.models import Membership, Programme
from hypercare.roles import Role
from hypercare.vocabulary import OPEN_STATUSES


class ProgrammeClosed(PermissionDenied):
    """A write refused because hypercare is over: the message points to the BAU service desk.

    Pages answer it with the BAU service desk's details, the API with 409 Conflict.
    """

    def __init__(self, programme: Programme, what: str = "it is read-only now"):
        self.programme, self.what = programme, what
        super().__init__(
            f"Hypercare of {programme.name} is closed: {what}. "
            f"New issues and requests go to {programme.bau_service_desk}."
        )


# What each kind of refusal in a closed programme says (ProgrammeClosed's `what`).
NO_NEW_TICKETS = "it takes no new tickets"
ONLY_OPEN_TICKETS = (
    "only BAU support and the operational owner still work the tickets left open at closure, "
    "until they are resolved"
)


@dataclass(frozen=True)
class ProgrammeAccess:
    """A programme as one user may use it: their membership (if any) and effective roles."""

    programme: Programme
    membership: Membership | None
    roles: frozenset[str] = field(default_factory=frozenset)
    user: object = None

    @property
    def roles_key(self) -> str:
        """The roles (and whether the programme is closed) as one stable string: what the
        navigation fragment's cache varies on."""
        return ",".join(sorted(self.roles)) + ("|closed" if self.is_closed else "")

    @property
    def is_closed(self) -> bool:
        return self.programme.is_closed

    @property
    def can_work_queue(self) -> bool:
        """Works tickets: the support team; in a closed programme BAU support and the operational owner."""
        return capabilities.can_work_queue(self.roles, closed=self.is_closed)

    @property
    def in_support_team(self) -> bool:
        """Desk, engineers, BAU or lead, whether or not the programme is closed (what they may read)."""
        return capabilities.in_support_team(self.roles)

    @property
    def can_support(self) -> bool:
        """The support team's work beyond single tickets (known issues, runbooks, standups, hotfixes):
        only while hypercare runs."""
        return not self.is_closed and capabilities.can_work_queue(self.roles)

    @property
    def sees_internal(self) -> bool:
        return capabilities.sees_internal(self.roles, closed=self.is_closed)

    @property
    def sees_all_tickets(self) -> bool:
        return capabilities.sees_all_tickets(self.roles)

    @property
    def can_report(self) -> bool:
        return capabilities.can_report(self.roles, closed=self.is_closed)

    @property
    def is_lead(self) -> bool:
        return capabilities.is_lead(self.roles, closed=self.is_closed)

    @property
    def can_sign_off(self) -> bool:
        return capabilities.can_sign_off(self.roles)

    @property
    def is_read_only(self) -> bool:
        return capabilities.is_read_only(self.roles, closed=self.is_closed)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def can_change_ticket(self, ticket) -> bool:
        """Whether the ticket may still change at all: in a closed programme only while it is open."""
        return not self.is_closed or ticket.status in OPEN_STATUSES

    def refuse(self, message: str, *, what: str = "it is read-only now"):
        """Refuse a write: ProgrammeClosed (pointing to the BAU service desk) in a closed
        programme, PermissionDenied with `message` otherwise. Both are audited."""
        error = ProgrammeClosed(self.programme, what) if self.is_closed else PermissionDenied(message)
        audit("permission.denied", actor=self.user, programme=self.programme, reason=str(error))
        raise error

    def require_open(self, what: str = "it is read-only now") -> None:
        """Refuse any write to a closed programme (ProgrammeClosed)."""
        if self.is_closed:
            self.refuse("", what=what)


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
