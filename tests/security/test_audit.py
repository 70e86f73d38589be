"""The audit log names the actor, the programme and the UTC time of every security-relevant event."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from handover import services as handover
from hypercare import services as core
from tests.factories import PASSWORD

UTC_TIME = r"at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00"


@pytest.fixture
def audit_log(caplog):
    caplog.set_level(logging.INFO, logger="hypercare.audit")
    return caplog


def _lines(caplog, event: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "hypercare.audit" and r.getMessage().startswith(event)
    ]


def test_failed_logins_are_audited_with_the_username_and_time(world, audit_log):
    Client().post("/accounts/login/", {"username": "lead", "password": "wrong"})
    Client().post("/accounts/login/", {"username": "nobody-at-all", "password": "wrong"})
    lines = _lines(audit_log, "login.failed")
    assert len(lines) == 2
    assert all(re.search(UTC_TIME, line) for line in lines)
    assert "username='lead'" in lines[0] and "username='nobody-at-all'" in lines[1]


def test_permission_denials_are_audited_for_pages_and_the_api(world, audit_log):
    slug = world.a.programme.slug
    page = Client()
    page.force_login(world.a.user("viewer"))
    assert page.post(f"/p/{slug}/members/", {}).status_code == 403
    api = APIClient()
    api.force_authenticate(world.a.user("champion"))
    assert (
        api.post(
            f"/api/v1/programmes/{slug}/members/", {"username": "x", "roles": ["viewer"]}, format="json"
        ).status_code
        == 403
    )
    lines = _lines(audit_log, "permission.denied")
    assert any("actor=viewer" in line and f"/p/{slug}/members/" in line for line in lines)
    assert any("actor=champion" in line and "/members/" in line for line in lines)
    assert all(re.search(UTC_TIME, line) for line in lines)


def test_role_changes_are_audited(world, audit_log):
    programme = world.a.programme
    core.member_add(
        programme=programme, username="viewer", roles=["viewer", "bau"], by=world.a.user("lead"), invite=False
    )
    lines = _lines(audit_log, "membership.roles_changed")
    assert any(f"actor=lead programme={programme.slug}" in line and "user='viewer'" in line for line in lines)
    assert all(re.search(UTC_TIME, line) for line in lines)


def test_sign_offs_and_their_revocation_are_audited(world, audit_log):
    sponsor = world.a.access("sponsor")
    handover.signoff_revoke(
        access=sponsor,
        sign_off=world.a.objects["sign_off"],
        password=PASSWORD,
        reason="Signed too early, sorry.",
    )
    owner = world.a.access("owner")
    justifications = {
        str(pk): "Accepted by the business."
        for pk in world.a.programme.exit_criteria.values_list("pk", flat=True)
    }
    handover.signoff_create(access=owner, password=PASSWORD, justifications=justifications)
    slug = world.a.programme.slug
    assert any(f"actor=sponsor programme={slug}" in line for line in _lines(audit_log, "signoff.revoked"))
    assert any(f"actor=owner programme={slug}" in line for line in _lines(audit_log, "signoff.signed"))
    assert all(re.search(UTC_TIME, line) for line in _lines(audit_log, "signoff."))
