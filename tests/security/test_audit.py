"""The audit log names the actor, the programme and the UTC time of every security-relevant event."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from handover import services as handover
from handover.services.exit_criteria import criterion_update
from hypercare import services as core
from hypercare.models import AuditEntry
from metrics.services.thresholds import threshold_set
from metrics.services.tokens import ingestion_token_revoke
from releases.services.webhooks import webhook_set_active
from sla.policy import severity_matrix_update, sla_policy_publish
from tests.append_only import assert_database_refuses, guard_triggers, triggers_on
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


# The audit trail as a table: each kind of event is a row of its programme ---------------------------------


def _events(programme) -> set[str]:
    return set(AuditEntry.objects.of(programme).values_list("event", flat=True))


def test_every_kind_of_change_the_issue_names_is_a_row_of_the_trail(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    programme, lead = a.programme, a.access("lead")
    # The world itself registered a webhook, an ingestion token, a criterion and the sponsor's sign-off.
    sla_policy_publish(
        access=lead,
        targets=[
            {"severity": s, "response_minutes": 5 * s, "resolution_minutes": 60 * s, "clock": "24x7"}
            for s in (1, 2, 3, 4)
        ],
    )
    severity_matrix_update(
        access=lead,
        cells=[
            {
                "impact_scope": "individual",
                "workaround": "simple",
                "blocks_vital_process": False,
                "severity": 1,
            }
        ],
    )
    threshold_set(programme=programme, kpi="exception_rate", green=0.35, red=1, by=lead.user)
    criterion_update(access=lead, criterion=a.objects["criterion"], title="Renamed criterion")
    webhook_set_active(webhook=a.objects["webhook"], by=lead.user, active=False)
    ingestion_token_revoke(token=a.objects["token"], by=lead.user)
    core.member_add(programme=programme, username="viewer", roles=["viewer", "bau"], by=lead.user)
    core.member_remove(programme=programme, username="bau", by=lead.user)
    with django_capture_on_commit_callbacks(execute=True):
        core.invitation_send(programme=programme, email="new@example.com", roles=["desk"], by=lead.user)
    handover.signoff_revoke(
        access=a.access("sponsor"), sign_off=a.objects["sign_off"], password=PASSWORD, reason="Too early."
    )
    events = _events(programme)
    for event in (
        "membership.added",
        "membership.roles_changed",
        "membership.removed",
        "invitation.sent",
        "sla_policy.published",
        "severity_matrix.updated",
        "metrics.threshold_set",
        "exit_criterion.added",
        "exit_criterion.changed",
        "webhook.registered",
        "webhook.active",
        "metrics.token_created",
        "metrics.token_revoked",
        "signoff.signed",
        "signoff.revoked",
    ):
        assert event in events, f"{event} is not in the audit trail ({sorted(events)})"
    row = AuditEntry.objects.of(programme).get(event="membership.removed")
    assert (row.actor_id, row.actor_name, row.target) == (lead.user.pk, "lead", "bau")
    # Nothing of programme A is filed under B.
    assert not AuditEntry.objects.of(world.b.programme).filter(event="membership.removed").exists()


def test_api_tokens_issued_and_revoked_are_rows_naming_their_holder(world):
    user = world.a.user("desk")
    Token.objects.filter(user=user).delete()
    core.api_token_issue(user=user, reason="test")
    core.api_token_revoke(user=user, reason="test")
    rows = AuditEntry.objects.filter(actor=user, event__startswith="api_token.").order_by("pk")
    assert list(rows.values_list("event", "actor_name")) == [
        ("api_token.issued", "desk"),
        ("api_token.revoked", "desk"),
    ]


def test_a_change_that_rolls_back_leaves_no_entry(world):
    programme = world.a.programme
    before = AuditEntry.objects.of(programme).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        core.member_add(
            programme=programme, username="viewer", roles=["viewer", "bau"], by=world.a.user("lead")
        )
        raise RuntimeError("the change fails after its audit")
    assert AuditEntry.objects.of(programme).count() == before


def test_history_keeps_the_actors_name(world):
    lead = world.a.user("lead")
    core.member_add(programme=world.a.programme, username="viewer", roles=["viewer", "bau"], by=lead)
    get_user_model().objects.filter(pk=lead.pk).update(username="renamed-lead")
    row = AuditEntry.objects.of(world.a.programme).filter(event="membership.roles_changed").first()
    assert row.actor_name == "lead"


# Append-only: the model, its QuerySet and the database refuse edits and deletes ----------------------------


@pytest.fixture
def entry(world):
    core.member_add(
        programme=world.a.programme, username="viewer", roles=["viewer", "bau"], by=world.a.user("lead")
    )
    return AuditEntry.objects.of(world.a.programme).filter(event="membership.roles_changed").first()


def test_the_model_refuses_to_edit_or_delete_an_entry(entry):
    entry.event = "nothing.happened"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(event="nothing.happened")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_the_database_refuses_update_and_delete_of_an_entry(entry):
    """The triggers of migration 0007, on SQLite and on PostgreSQL alike (CI runs both)."""
    assert_database_refuses(
        AuditEntry._meta.db_table,
        entry.pk,
        "UPDATE {table} SET event = 'nothing.happened' WHERE id = %s",
        "UPDATE {table} SET actor_name = 'someone-else' WHERE id = %s",
        "DELETE FROM {table} WHERE id = %s",
    )
    assert AuditEntry.objects.filter(
        pk=entry.pk, event="membership.roles_changed", actor_name="lead"
    ).exists()


def test_the_guard_is_a_trigger_on_this_database(entry):
    table = AuditEntry._meta.db_table
    assert triggers_on(table) == guard_triggers(table)


def test_strangers_cannot_grow_the_trail(world):
    """Failed logins stay log lines: an unauthenticated caller writes no row to a table never pruned."""
    before = AuditEntry.objects.count()
    for attempt in range(3):
        Client().post("/accounts/login/", {"username": f"nobody-{attempt}", "password": "wrong"})
    assert AuditEntry.objects.count() == before
