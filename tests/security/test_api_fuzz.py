"""API fuzzing with schemathesis against /api/schema/, with a token per role.

Every operation of the schema is fed generated requests (path parameters pinned to real objects
of programme A, so requests reach the code behind the lookup) as every role: no answer is a
server error, and every answer, refusals included, conforms to the schema: its status code is
documented, its body is JSON of the documented shape. No operation answers without credentials.
The number of examples is small and fixed, so the run stays bounded in CI.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.world import MEMBER_ROLES

# Examples per operation and role: enough to try odd bodies and queries, small enough for CI.
EXAMPLES = {"lead": 8}
DEFAULT_EXAMPLES = 3
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
# Open by design: the token exchange, and single sign-on's browser redirects.
OPEN_OPERATIONS = {
    ("POST", "/api/v1/auth/token/"),
    ("GET", "/oidc/authenticate/"),
    ("GET", "/oidc/callback/"),
}
REVOKE_TOKEN = ("DELETE", "/api/v1/auth/token/")


@pytest.fixture
def schema(db):
    # schemathesis calls the WSGI handler directly, which would close the test's database
    # connection after each request (Django's test client unhooks this the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def _pin(case, world, side="a"):
    """Real identifiers for the path parameters (a random slug would only ever meet a 404)."""
    objects = getattr(world, side).objects
    path = case.operation.path
    values = {"slug": getattr(world, side).programme.slug, "reference": objects["ticket"].reference}
    for prefix, name in (
        ("/known-issues/", "known_issue"),
        ("/sign-offs/", "sign_off"),
        ("/hotfixes/", "hotfix"),
        ("/releases/", "release"),
        ("/production-changes/", "production_change"),
        ("/webhooks/", "webhook"),
        ("/bulletins/", "bulletin"),
        ("/oncall/", "shift"),
    ):
        if prefix in path:
            values["pk"] = values["id"] = objects[name].pk
    for name in list(case.path_parameters or {}):
        if name in values:
            case.path_parameters[name] = values[name]


def _fuzz(schema, world, headers, examples):
    failures = []
    # Revoking the token the run authenticates with comes last, so every other operation is fuzzed with it.
    operations = sorted(_operations(schema), key=lambda op: (op.method.upper(), op.path) == REVOKE_TOKEN)
    for operation in operations:
        run = _fuzzer(operation, world, headers, examples)
        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collect every failure, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:1500]}")
    return failures


def _fuzzer(operation, world, headers, examples):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        _pin(case, world)
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


def _unauthenticated(operation, world, headers, answered):
    @given(case=operation.as_strategy())
    @settings(max_examples=1, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case):
        _pin(case, world)
        response = case.call(headers=headers)
        if response.status_code != 401:
            answered.append(f"{case.method} {case.formatted_path} {headers}: {response.status_code}")

    return run


@pytest.mark.parametrize("role", [*MEMBER_ROLES, "outsider"])
def test_fuzzed_api_never_errs_and_conforms_to_its_schema(world, schema, role):
    user = world.b.user("lead") if role == "outsider" else world.a.user(role)
    token, _ = Token.objects.get_or_create(user=user)
    failures = _fuzz(
        schema, world, {"Authorization": f"Token {token.key}"}, EXAMPLES.get(role, DEFAULT_EXAMPLES)
    )
    assert not failures, f"{role}:\n" + "\n\n".join(failures)


def test_no_operation_answers_without_credentials(world, schema):
    answered = []
    count = 0
    for operation in _operations(schema):
        if (operation.method.upper(), operation.path) in OPEN_OPERATIONS:
            continue
        count += 1
        for headers in (
            {},
            {"Authorization": "Token not-a-real-token"},
            {"Authorization": "Bearer hct_forged"},
        ):
            _unauthenticated(operation, world, headers, answered)()
    assert count > 30
    assert not answered, "answered without valid credentials:\n" + "\n".join(answered)
