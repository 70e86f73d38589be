"""The core of Hypercare: programmes, their business calendars, and who plays which role."""

from __future__ import annotations

from functools import cached_property
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse

from hypercare.calendar import DEFAULT_WORKING_HOURS, CalendarError, WorkingCalendar, validate_working_hours
from hypercare.roles import Role, Team


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/London).")


class ProgrammeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    EXIT_REVIEW = "exit_review", "Exit review"
    CLOSED = "closed", "Closed"


class ProgrammeQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProgrammeQuerySet:
        """Programmes the user is an active member of; every programme for a superuser."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(pk__in=Membership.objects.filter(user=user, is_active=True).values("programme_id"))


class Programme(models.Model):
    """One go-live's hypercare window."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    ticket_prefix = models.CharField(
        max_length=12,
        help_text="Prefix of ticket references, e.g. ACME for ACME-142.",
    )
    system = models.CharField("system under support", max_length=200, blank=True)
    go_live_date = models.DateField()
    planned_exit_date = models.DateField()
    first_month_end_close = models.DateField("first month-end close")
    timezone = models.CharField(max_length=64, default="Europe/London", validators=[validate_timezone])
    status = models.CharField(max_length=20, choices=ProgrammeStatus.choices, default=ProgrammeStatus.PLANNED)
    # Set by the status services (hypercare.services): the sign-off page lists the signatory role
    # changes made since the exit review began; closed_at is when the last signatory signed.
    exit_review_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where new requests go once hypercare is closed: every channel that refuses a ticket names it.
    bau_desk_name = models.CharField(
        "BAU service desk", max_length=200, blank=True, help_text="e.g. Acme IT Service Desk"
    )
    bau_desk_url = models.URLField("BAU service desk web address", max_length=500, blank=True)
    bau_desk_email = models.EmailField("BAU service desk e-mail", blank=True)
    # Incremented with UPDATE … SET n = n + 1 inside the ticket's transaction: references never repeat.
    last_ticket_number = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["-go_live_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_exit_date__gte=models.F("go_live_date")),
                name="programme_exit_after_go_live",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("hypercare:programme", args=[self.slug])

    @property
    def is_closed(self) -> bool:
        return self.status == ProgrammeStatus.CLOSED

    @property
    def bau_service_desk(self) -> str:
        """The BAU service desk in words, with its web address and e-mail where the programme has them."""
        name = self.bau_desk_name.strip() or "the BAU service desk"
        ways = [way for way in (self.bau_desk_url.strip(), self.bau_desk_email.strip()) if way]
        return f"{name} ({', '.join(ways)})" if ways else name

    @property
    def exits_before_month_end(self) -> bool:
        """The seeds' warning: leaving hypercare before the first month-end close is a known risk."""
        return self.planned_exit_date < self.first_month_end_close


class BusinessCalendar(models.Model):
    """Working hours and holidays the business-hours SLA clocks count in."""

    programme = models.OneToOneField(Programme, models.CASCADE, related_name="calendar")
    working_hours = models.JSONField(default=dict)
    holiday_country = models.CharField(
        max_length=10, blank=True, help_text="ISO country code used to pre-fill public holidays (optional)."
    )

    def __str__(self) -> str:
        return f"Business calendar of {self.programme}"

    def clean(self) -> None:
        try:
            self.working_hours = validate_working_hours(self.working_hours or DEFAULT_WORKING_HOURS)
        except CalendarError as error:
            raise ValidationError({"working_hours": str(error)}) from None

    @cached_property
    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar.build(
            timezone=self.programme.timezone,
            working_hours=self.working_hours or DEFAULT_WORKING_HOURS,
            holidays=(
                # Prefetched holidays (the ticket page loads them once for its SLA panel too).
                [holiday.date for holiday in self.holidays.all()]
                if "holidays" in getattr(self, "_prefetched_objects_cache", {})
                else self.holidays.values_list("date", flat=True)
            ),
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class RoleSetField(models.CharField):
    """A set of roles stored as ',desk,lead,' so that `roles__contains=',desk,'` finds a role on any database."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        return [role for role in value.split(",") if role]

    def get_prep_value(self, value):
        if isinstance(value, list | tuple | set):
            ordered = [role.value for role in Role if role.value in set(value)]
            return "," + ",".join(ordered) + "," if ordered else ""
        return value

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


def roles_q(*roles: str, prefix: str = "") -> Q:
    """Memberships (reached through `prefix`, e.g. "assignee__memberships") holding any of `roles`."""
    lookup = f"{prefix}__roles__contains" if prefix else "roles__contains"
    condition = Q()
    for role in sorted(roles):
        condition |= Q(**{lookup: f",{role},"})
    return condition if roles else Q(pk__in=[])


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)

    def with_role(self, role: str) -> MembershipQuerySet:
        return self.filter(roles__contains=f",{role},")

    def with_any_role(self, *roles: str) -> MembershipQuerySet:
        """Members holding at least one of `roles` (none given: nobody)."""
        return self.filter(roles_q(*roles))


class Membership(models.Model):
    """A user's place in a programme: their roles, team, business unit and geography."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="memberships")
    roles = RoleSetField(max_length=200, default=list)
    team = models.CharField(max_length=10, choices=Team.choices, default=Team.PROJECT)
    business_unit = models.CharField(max_length=100, blank=True)
    geography = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "user__username"]
        constraints = [models.UniqueConstraint(fields=["programme", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.programme} ({', '.join(self.roles)})"

    def clean(self) -> None:
        unknown = set(self.roles or []) - set(Role.values)
        if unknown:
            raise ValidationError({"roles": f"Unknown role(s): {', '.join(sorted(unknown))}."})
        if not self.roles:
            raise ValidationError({"roles": "A member needs at least one role."})

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]

    def has_role(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))


class SignatoryRoleChangeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Role changes are a record: they are never edited.")

    def delete(self):
        raise TypeError("Role changes are a record: they are never deleted.")

    def of(self, programme) -> SignatoryRoleChangeQuerySet:
        return self.filter(programme=programme)

    def since(self, at) -> SignatoryRoleChangeQuerySet:
        """Changes from `at` on (every change when `at` is None)."""
        return self if at is None else self.filter(at__gte=at)

    def for_list(self) -> SignatoryRoleChangeQuerySet:
        return self.select_related("member", "changed_by").order_by("at", "pk")


class SignatoryRoleChange(models.Model):
    """One change to a member's sponsor or operational-owner role: who changed whose roles, from
    what to what, and when. Append-only, like sign-offs: the model and its QuerySet refuse edits
    and deletes, and a database trigger (migration 0005) raises on UPDATE and DELETE."""

    programme = models.ForeignKey(Programme, models.PROTECT, related_name="signatory_role_changes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for a change made by the system (a seed or a management command).",
    )
    old_roles = RoleSetField(max_length=200, default=list, blank=True)
    new_roles = RoleSetField(max_length=200, default=list, blank=True)
    at = models.DateTimeField()

    objects = SignatoryRoleChangeQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "at", "pk"]
        indexes = [models.Index(fields=["programme", "at"], name="rolechange_programme_at")]

    def __str__(self) -> str:
        return f"{self.member} {self.old_roles} → {self.new_roles} by {self.changed_by or 'the system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Role changes are a record: they are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Role changes are a record: they are never deleted.")

    @property
    def old_labels(self) -> list[str]:
        return [Role(role).label for role in self.old_roles]

    @property
    def new_labels(self) -> list[str]:
        return [Role(role).label for role in self.new_roles]

    @property
    def granted(self) -> list[str]:
        return [Role(role).label for role in self.new_roles if role not in self.old_roles]

    @property
    def removed(self) -> list[str]:
        return [Role(role).label for role in self.old_roles if role not in self.new_roles]


class Heartbeat(models.Model):
    """A row a Celery worker writes: proof that tasks are consumed, shown on /healthz."""

    source = models.CharField(max_length=50)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-at"], name="heartbeat_latest")]

    def __str__(self) -> str:
        return f"{self.source} at {self.at:%Y-%m-%d %H:%M:%S}"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email"


class Notification(models.Model):
    """One message to one person, written in the same transaction as the change it reports.

    `dedupe_key` is unique: a retried or concurrent task that tries to notify the same
    person of the same event again inserts nothing (exactly once, enforced by the database).
    Email rows are the outbox: a task sends those with `sent_at` empty, claiming each row
    with a conditional UPDATE so two workers never send one twice.
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    channel = models.CharField(
        max_length=10, choices=NotificationChannel.choices, default=NotificationChannel.IN_APP
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the email left (email channel only)."
    )
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took the email to send (a lease; email channel only)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
            models.Index(
                fields=["created_at"],
                name="notification_outbox",
                condition=Q(channel="email", sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}: {self.subject}"


class NotificationPreference(models.Model):
    """A member's choice of channel per kind of notification (default: both)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40)
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}: email={self.email} in_app={self.in_app}"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is a record: it is never edited.")

    def delete(self):
        raise TypeError("The audit trail is a record: it is never deleted.")

    def of(self, programme) -> AuditEntryQuerySet:
        return self.filter(programme=programme)

    def filtered(self, *, event: str = "", actor: str = "", since=None, until=None) -> AuditEntryQuerySet:
        """Entries of one event (or a family: "membership" finds membership.*), by one actor's
        username, from `since` (inclusive) to `until` (exclusive); empty filters keep everything."""
        rows = self
        if event:
            rows = rows.filter(Q(event=event) | Q(event__startswith=f"{event}."))
        if actor:
            rows = rows.filter(actor_name=actor)
        if since is not None:
            rows = rows.filter(at__gte=since)
        if until is not None:
            rows = rows.filter(at__lt=until)
        return rows

    def newest_first(self) -> AuditEntryQuerySet:
        return self.order_by("-at", "-pk")


class AuditEntry(models.Model):
    """One security-relevant event: who did what to what, in which programme, when.

    Append-only, like sign-offs: the model and its QuerySet refuse edits and deletes, and database
    triggers (migration 0007) raise on UPDATE and DELETE. The actor's username is kept as text,
    so the record still names them whatever becomes of the account."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="The actor's username then, or 'anonymous'.")
    programme = models.ForeignKey(
        Programme, models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    event = models.CharField(max_length=60)
    target = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # Serves the audit page and API: one programme's entries, newest first.
            models.Index(fields=["programme", "-at"], name="auditentry_programme_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} by {self.actor_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("The audit trail is a record: it is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The audit trail is a record: it is never deleted.")


class Invitation(models.Model):
    """A lead's invitation to join a programme, sent to an e-mail address.

    Only a hash of the token is stored: the link in the e-mail is the only copy of the token.
    Nobody becomes a member until the person behind the address accepts."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="invitations")
    email = models.EmailField()
    roles = RoleSetField(max_length=200, default=list)
    team = models.CharField(max_length=10, choices=Team.choices, default=Team.PROJECT)
    business_unit = models.CharField(max_length=100, blank=True)
    geography = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["programme", "email"], name="invitation_programme_email")]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.programme}"

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]
