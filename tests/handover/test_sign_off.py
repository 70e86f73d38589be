"""Sign-off: only signatories, the password again, justifications while not green, a frozen hashed
snapshot, never edited or deleted (model, QuerySet, database trigger), revocation, closing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from handover import services
from handover.models import CriterionKind, ExitCriterion, SignOff
from hypercare.models import ProgrammeStatus
from tests.append_only import assert_database_refuses, guard_triggers, triggers_on
from tests.factories import PASSWORD
from tests.handover.factories import AT, access_of

pytestmark = pytest.mark.django_db


def make_green(programme):
    """Keep only criteria that pass on an empty programme, so the gate is green."""
    ExitCriterion.objects.of(programme).exclude(
        kind__in=[CriterionKind.OPEN_SEV12, CriterionKind.NEW_SEV12, CriterionKind.VOLUME_TREND]
    ).delete()


def justify_all(programme, at=AT):
    from handover.criteria import gate_evaluate

    return {
        str(r.criterion.pk): f"Accepted risk for {r.criterion.title}"
        for r in gate_evaluate(programme=programme, at=at).failing
    }


def sign(persona, **kwargs):
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("ip_address", "203.0.113.7")
    return services.signoff_create(access=access_of(persona), **kwargs)


def test_only_sponsors_and_operational_owners_can_sign(
    programme, lead, desk, bau, viewer, champion, engineer
):
    make_green(programme)
    for persona in (lead, desk, bau, viewer, champion, engineer):
        with pytest.raises(PermissionDenied):
            sign(persona)
    assert SignOff.objects.count() == 0


def test_signing_re_asks_for_the_password(programme, sponsor):
    make_green(programme)
    with pytest.raises(ValidationError) as error:
        sign(sponsor, password="not-my-password")
    assert "password" in error.value.message_dict
    assert SignOff.objects.count() == 0


def test_a_green_sign_off_records_who_when_where_and_a_hashed_snapshot(programme, sponsor):
    make_green(programme)
    record = sign(sponsor, at=AT, user_agent="pytest")
    record = SignOff.objects.get(pk=record.pk)
    assert record.signatory == sponsor.user and record.role == "sponsor"
    assert record.signed_at == AT and str(record.ip_address) == "203.0.113.7"
    assert record.gate_green is True and record.justifications == {}
    criteria = record.snapshot["criteria"]
    assert [c["kind"] for c in criteria] == ["open_sev12", "new_sev12", "volume_trend"]
    assert {
        "status",
        "value",
        "value_display",
        "threshold",
        "threshold_display",
        "evidence_url",
        "test",
    } <= set(criteria[0])
    assert len(record.content_hash) == 64 and services.signoff_verify(record)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW  # one signatory of two


def test_signing_while_not_green_needs_a_justification_per_failing_criterion(programme, owner):
    with pytest.raises(ValidationError) as error:
        sign(owner, at=AT)
    assert "justifications" in error.value.message_dict
    justifications = justify_all(programme)
    first = next(iter(justifications))
    partial = dict(justifications, **{first: "  "})
    with pytest.raises(ValidationError):
        sign(owner, at=AT, justifications=partial)
    record = sign(owner, at=AT, justifications=justifications)
    assert record.gate_green is False
    assert record.justifications == justifications
    assert services.signoff_verify(SignOff.objects.get(pk=record.pk))


def test_the_snapshot_stays_frozen_while_the_data_moves_on(programme, sponsor):
    from tests.handover.factories import ticket

    make_green(programme)
    record = sign(sponsor, at=AT)
    ticket(programme, reported_at=AT + timedelta(hours=1), severity=1)
    record = SignOff.objects.get(pk=record.pk)
    assert record.snapshot["criteria"][0]["status"] == "pass"
    assert services.signoff_verify(record)


def test_a_tampered_snapshot_no_longer_matches_its_hash(programme, sponsor):
    make_green(programme)
    record = sign(sponsor, at=AT)
    record.snapshot["criteria"][0]["status"] = "fail"
    assert not services.signoff_verify(record)


def test_when_every_signatory_has_signed_the_programme_closes(programme, sponsor, owner):
    make_green(programme)
    sign(sponsor)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW
    sign(owner)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED


def test_a_second_sponsor_must_sign_too(programme, sponsor, owner, make_persona):
    make_green(programme)
    second = make_persona("sponsor", username="sponsor2")
    sign(sponsor)
    sign(owner)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW
    sign(second)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED


def test_one_cannot_sign_twice(programme, sponsor):
    make_green(programme)
    sign(sponsor)
    with pytest.raises(ValidationError):
        sign(sponsor)


def test_a_revocation_is_a_new_record_and_reopens_the_review(programme, sponsor, owner):
    make_green(programme)
    first = sign(sponsor)
    sign(owner)
    with pytest.raises(ValidationError):
        services.signoff_revoke(access=access_of(sponsor), sign_off=first, password=PASSWORD, reason="")
    with pytest.raises(PermissionDenied):
        services.signoff_revoke(access=access_of(owner), sign_off=first, password=PASSWORD, reason="Not mine")
    revocation = services.signoff_revoke(
        access=access_of(sponsor), sign_off=first, password=PASSWORD, reason="A Sev1 came in after I signed."
    )
    assert revocation.kind == "revocation" and revocation.revokes_id == first.pk
    assert services.signoff_verify(SignOff.objects.get(pk=revocation.pk))
    first = SignOff.objects.get(pk=first.pk)
    assert first.is_revoked and services.signoff_verify(first)  # the original is untouched
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW
    assert SignOff.objects.standing().filter(programme=programme).count() == 1
    sign(sponsor)  # may sign again after revoking
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED


# Immutability ----------------------------------------------------------------------------------------


@pytest.fixture
def record(programme, sponsor):
    make_green(programme)
    return sign(sponsor, at=AT)


def test_the_model_refuses_to_save_a_sign_off_again_or_delete_it(record):
    record.reason = "changed"
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()


def test_the_queryset_refuses_bulk_update_and_delete(record):
    with pytest.raises(TypeError):
        SignOff.objects.filter(pk=record.pk).update(gate_green=False)
    with pytest.raises(TypeError):
        SignOff.objects.filter(pk=record.pk).delete()


def test_the_database_refuses_update_and_delete_of_a_sign_off(record):
    """The trigger of migration 0002, on SQLite and on PostgreSQL alike (CI runs both)."""
    assert_database_refuses(
        SignOff._meta.db_table,
        record.pk,
        "UPDATE {table} SET gate_green = NOT gate_green WHERE id = %s",
        "UPDATE {table} SET content_hash = 'x' WHERE id = %s",
        "DELETE FROM {table} WHERE id = %s",
    )
    assert SignOff.objects.filter(pk=record.pk, gate_green=True, content_hash=record.content_hash).exists()


def test_the_database_still_accepts_new_sign_offs(record, owner):
    sign(owner, at=AT + timedelta(minutes=5))
    assert SignOff.objects.count() == 2


def test_the_guard_is_a_trigger_on_this_database(record):
    assert triggers_on("handover_signoff") == guard_triggers("handover_signoff")
