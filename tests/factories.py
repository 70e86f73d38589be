"""Factories for every model. Programmes go through the service, so they get their calendar and app defaults."""

from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from hypercare import services
from hypercare.calendar import DEFAULT_WORKING_HOURS
from hypercare.models import Heartbeat, Holiday, Membership, Programme
from hypercare.roles import Role, Team

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProgrammeFactory(factory.Factory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"prog-{n}")
    ticket_prefix = factory.Sequence(lambda n: f"P{n}")
    system = "Salesforce Sales Cloud"
    go_live_date = date(2026, 3, 2)
    planned_exit_date = date(2026, 4, 13)
    first_month_end_close = date(2026, 3, 31)
    timezone = "Europe/London"
    status = "active"
    working_hours = factory.LazyFunction(lambda: dict(DEFAULT_WORKING_HOURS))
    holidays = ()

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.programme_create(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        kwargs.pop("working_hours")
        kwargs.pop("holidays")
        return model_class(**kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    programme = factory.SubFactory(ProgrammeFactory)
    user = factory.SubFactory(UserFactory)
    roles = factory.LazyFunction(lambda: [Role.DESK.value])
    team = Team.PROJECT
    business_unit = "Sales"
    geography = "UK"


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.LazyAttribute(lambda o: ProgrammeFactory().calendar)
    date = date(2026, 12, 25)
    name = "Christmas Day"


class HeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Heartbeat

    source = "test"
    at = factory.Faker("date_time", tzinfo=__import__("datetime").UTC)


class KnownIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tickets.KnownIssue"

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Known issue {n}")
    symptoms = "Saving an Opportunity fails with a lock error."
    workaround = "Retry after a minute."
    created_by = factory.SubFactory(UserFactory)


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket written straight to the table, for tests of readers (metrics, exit gate).

    Tests of the ticket workflow itself go through tickets.services instead, which also
    writes the timeline and the SLA clocks.
    """

    class Meta:
        model = "tickets.Ticket"

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: n + 1)
    reference = factory.LazyAttribute(lambda t: f"{t.programme.ticket_prefix}-{t.number}")
    title = factory.Sequence(lambda n: f"Ticket {n}")
    description = "Something went wrong."
    reporter = factory.SubFactory(UserFactory)
    business_unit = "Sales"
    geography = "UK"
    process = "Opportunity"
    category = "defect"
    severity = 3
    tier = 2
    status = "new"
    reported_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tickets.Comment"

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SubFactory(UserFactory)
    body = "Looking into it."
    internal = False
    created_at = factory.LazyFunction(timezone.now)
