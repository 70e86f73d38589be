"""Once hypercare is closed everything but the tickets left open is read-only: exit criteria,
attestations, the handover pack, runbooks, knowledge transfer, releases and the triage setup.
Pages hide the actions and the services refuse them; a signatory may still revoke their sign-off."""

import pytest
from django.core.exceptions import ValidationError

from handover import services
from handover.models import CriterionKind, ExitCriterion, HandoverItem, SignOff
from hypercare.access import ProgrammeClosed, get_programme_for
from hypercare.models import ProgrammeStatus
from tests.factories import PASSWORD
from tests.handover.factories import access_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(programme, sponsor, owner):
    ExitCriterion.objects.of(programme).exclude(
        kind__in=[CriterionKind.OPEN_SEV12, CriterionKind.NEW_SEV12, CriterionKind.VOLUME_TREND]
    ).delete()
    for persona in (sponsor, owner):
        services.signoff_create(access=access_of(persona), password=PASSWORD)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED
    return programme


def test_the_exit_record_can_no_longer_change(closed, lead, owner, bau_lead):
    lead_access, owner_access = access_of(lead), access_of(owner)
    item = HandoverItem.objects.of(closed).first()
    refusals = [
        lambda: services.criterion_add(access=lead_access, kind="attestation", title="Late addition"),
        lambda: services.item_add(access=lead_access, title="Late document"),
        lambda: services.item_attach(access=lead_access, item=item, link="https://docs.example.com/x"),
        lambda: services.kt_phases_update(access=lead_access, starts={}),
        lambda: services.criterion_attest(
            access=owner_access,
            criterion=ExitCriterion.objects.of(closed).first(),
            outcome="pass",
            note="x",
            evidence_url="https://e.example",
        ),
        lambda: services.runbook_draft(access=access_of(bau_lead), tickets=[], title="Late"),
    ]
    for refuse in refusals:
        with pytest.raises(ProgrammeClosed, match="read-only"):
            refuse()
    assert not HandoverItem.objects.filter(title="Late document").exists()
    assert not ExitCriterion.objects.filter(title="Late addition").exists()


def test_the_pages_offer_no_change_to_a_lead(client, closed, lead):
    client.force_login(lead.user)
    assert "Edit criteria" not in client.get("/p/acme/exit-gate/").content.decode()
    assert 'id="add-item"' not in client.get("/p/acme/handover/").content.decode()
    response = client.post("/p/acme/handover/", {"new-title": "Late", "new-kind": "other"})
    assert response.status_code == 409 and "read-only" in response.content.decode()
    assert (
        client.post("/p/acme/exit-gate/criteria/", {"add-kind": "attestation", "add-title": "x"}).status_code
        == 409
    )


def test_releases_and_the_triage_setup_are_read_only(closed, lead, engineer, desk):
    from releases import services as releases
    from triage.services import team

    with pytest.raises(ProgrammeClosed):
        releases.hotfix_create(programme=closed, by=engineer.user, title="Late fix")
    with pytest.raises(ProgrammeClosed):
        releases.release_create(programme=closed, by=lead.user, planned_for=closed.planned_exit_date)
    with pytest.raises(ProgrammeClosed):
        team.standup_start(access=get_programme_for(desk.user, "acme"))


def test_a_signatory_may_still_revoke_and_that_reopens_the_exit_review(closed, sponsor, lead):
    record = SignOff.objects.get(signatory=sponsor.user)
    services.signoff_revoke(
        access=access_of(sponsor), sign_off=record, password=PASSWORD, reason="A Sev1 came in."
    )
    closed.refresh_from_db()
    assert closed.status == ProgrammeStatus.EXIT_REVIEW and closed.closed_at is None
    assert access_of(lead).is_lead  # the programme is open again: the lead's powers are back


def test_a_closed_programme_takes_no_further_sign_off(closed, make_persona):
    late = make_persona("sponsor", username="late-sponsor")
    with pytest.raises(ValidationError, match="closed already"):
        services.signoff_create(access=access_of(late), password=PASSWORD)
