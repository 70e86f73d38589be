"""Shared fixtures: a programme, a persona per role, an outsider, and guards for real services."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hypercare.models import Membership, Programme
from hypercare.roles import Role, Team
from tests.factories import PASSWORD, MembershipFactory, ProgrammeFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Set by .ci/run for its PostgreSQL + Redis pass: there, a missing service is a failure.
SERVICES_REQUIRED = os.environ.get("HYPERCARE_REQUIRE_SERVICES") == "1"


def require(condition: bool, reason: str, *, in_ci: bool = False) -> None:
    """Skip with a reason when a real service or browser is missing.

    It is a failure instead in the CI pass that must run it: the services pass for
    PostgreSQL/Redis tests, and any CI run (`in_ci=True`) for browser tests.
    """
    if condition:
        return
    if SERVICES_REQUIRED or (in_ci and IN_CI):
        pytest.fail(f"This run must not skip this test, but: {reason}")
    pytest.skip(reason)


def require_postgres() -> None:
    from django.db import connection

    require(connection.vendor == "postgresql", "needs PostgreSQL: run with DATABASE_URL=postgres://…")


def require_redis() -> None:
    require(port_open("127.0.0.1", 6379), "needs Redis on 127.0.0.1:6379")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# The append-only tables' SQLite triggers: a live-server or transactional test ends with a flush,
# which on SQLite is a DELETE those triggers refuse (PostgreSQL flushes with TRUNCATE, which row
# triggers do not see). The flush lifts them for its own statements and puts them back.
APPEND_ONLY_GUARDS = (
    "handover.migrations.0002_signoff_immutable_triggers",
    "hypercare.migrations.0005_signatoryrolechange_immutable_triggers",
    "hypercare.migrations.0007_auditentry_immutable_triggers",
)


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_append_only_guards():
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    guards = [importlib.import_module(name) for name in APPEND_ONLY_GUARDS]
    operations = type(connection.ops)
    original = operations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if not statements:
            return statements
        lift = [sql for guard in guards for sql in guard.GUARD.sqlite_reverse]
        restore = [sql for guard in guards for sql in guard.GUARD.sqlite_forward]
        return [*lift, *statements, *restore]

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = original


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@dataclass
class Persona:
    """A user with a membership in a programme, and clients logged in as them."""

    membership: Membership

    @property
    def user(self):
        return self.membership.user

    @property
    def programme(self) -> Programme:
        return self.membership.programme

    @property
    def password(self) -> str:
        return PASSWORD

    def api(self) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=self.user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client


@pytest.fixture
def programme(db) -> Programme:
    return ProgrammeFactory(slug="acme", name="Acme go-live", ticket_prefix="ACME")


@pytest.fixture
def other_programme(db) -> Programme:
    return ProgrammeFactory(slug="globex", name="Globex go-live", ticket_prefix="GLX")


@pytest.fixture
def make_persona(db, programme):
    def make(
        *roles: str,
        team: str = Team.PROJECT,
        business_unit: str = "Sales",
        username: str | None = None,
        programme_=None,
    ) -> Persona:
        user = UserFactory(**({"username": username} if username else {}))
        membership = MembershipFactory(
            programme=programme_ or programme,
            user=user,
            roles=[str(role) for role in roles],
            team=team,
            business_unit=business_unit,
        )
        return Persona(membership)

    return make


@pytest.fixture
def champion(make_persona) -> Persona:
    return make_persona(Role.CHAMPION, team=Team.BAU, username="champion")


@pytest.fixture
def desk(make_persona) -> Persona:
    return make_persona(Role.DESK, username="desk")


@pytest.fixture
def engineer(make_persona) -> Persona:
    return make_persona(Role.ENGINEER, username="engineer")


@pytest.fixture
def lead(make_persona) -> Persona:
    return make_persona(Role.LEAD, username="lead")


@pytest.fixture
def sponsor(make_persona) -> Persona:
    return make_persona(Role.SPONSOR, team=Team.BAU, username="sponsor")


@pytest.fixture
def owner(make_persona) -> Persona:
    return make_persona(Role.OPERATIONAL_OWNER, team=Team.BAU, username="owner")


@pytest.fixture
def bau(make_persona) -> Persona:
    return make_persona(Role.BAU, team=Team.BAU, username="bau")


@pytest.fixture
def viewer(make_persona) -> Persona:
    return make_persona(Role.VIEWER, team=Team.BAU, username="viewer")


@pytest.fixture
def outsider(make_persona, other_programme) -> Persona:
    """A lead of another programme: powerful there, nobody here."""
    return make_persona(Role.LEAD, username="outsider", programme_=other_programme)


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", is_staff=True)


@pytest.fixture
def browser_page(transactional_db, live_server):
    """A Playwright page in Debian's chromium, pointed at a live server."""
    require(CHROMIUM is not None, "chromium is not installed (apt-get install chromium)", in_ci=True)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        try:
            yield page
        finally:
            context.close()
            browser.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    # Leave the current page first: a request still in flight from it could come back with a
    # fresh CSRF cookie between the login form and its POST (403, "CSRF token incorrect").
    page.goto("about:blank")
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
