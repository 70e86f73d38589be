"""Separation of duties at sign-off: two different people, neither on the project team; and the
sign-off page lists every change to the signatory roles since the exit review began."""

import pytest
from django.core.exceptions import PermissionDenied

from handover import services
from handover.models import CriterionKind, ExitCriterion, SignOff
from hypercare import services as core
from hypercare.models import ProgrammeStatus, SignatoryRoleChange
from hypercare.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.handover.factories import access_of

pytestmark = pytest.mark.django_db

SIGN_OFFS = "/api/v1/programmes/acme/sign-offs/"


def make_green(programme):
    ExitCriterion.objects.of(programme).exclude(
        kind__in=[CriterionKind.OPEN_SEV12, CriterionKind.NEW_SEV12, CriterionKind.VOLUME_TREND]
    ).delete()


def sign(persona, **kwargs):
    kwargs.setdefault("password", PASSWORD)
    return services.signoff_create(access=access_of(persona), **kwargs)


@pytest.fixture
def admin(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")


def test_the_lead_who_took_both_signatory_roles_can_no_longer_close_the_programme(
    programme, lead, sponsor, owner
):
    """The incident: a lead turned the signatories into viewers, took both roles, signed, and
    the programme closed. Each step is now refused."""
    make_green(programme)
    for username in ("sponsor", "owner"):
        with pytest.raises(PermissionDenied):
            core.member_add(programme=programme, username=username, roles=["viewer"], by=lead.user)
    with pytest.raises(PermissionDenied):
        core.member_add(
            programme=programme, username="lead", roles=["lead", "sponsor", "operational_owner"], by=lead.user
        )
    # Even with such a membership in the data (written around the services), signing is refused.
    lead.membership.roles = [Role.LEAD, Role.SPONSOR, Role.OPERATIONAL_OWNER]
    lead.membership.save()
    with pytest.raises(PermissionDenied) as error:
        sign(lead)
    assert "cannot also deliver hypercare" in str(error.value)
    assert "two different people" in str(error.value)
    assert not SignOff.objects.exists()
    programme.refresh_from_db()
    assert programme.status != ProgrammeStatus.CLOSED


def test_one_person_cannot_sign_as_sponsor_and_operational_owner(programme, make_persona):
    make_green(programme)
    both = make_persona(Role.SPONSOR, Role.OPERATIONAL_OWNER, username="both")
    with pytest.raises(PermissionDenied, match="two different people"):
        sign(both)
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("delivery", [Role.LEAD, Role.DESK, Role.ENGINEER])
def test_a_signatory_on_the_project_team_cannot_sign(programme, make_persona, delivery):
    make_green(programme)
    member = make_persona(Role.OPERATIONAL_OWNER, delivery, username="dual")
    with pytest.raises(PermissionDenied, match="cannot also deliver hypercare"):
        sign(member)


def test_a_conflicted_signatory_holds_the_exit_even_after_the_others_sign(
    programme, sponsor, owner, make_persona
):
    make_green(programme)
    make_persona(Role.SPONSOR, Role.ENGINEER, username="sponsor2")
    sign(sponsor)
    sign(owner)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW


def test_two_different_people_close_the_programme_and_the_exit_review_is_timed(programme, sponsor, owner):
    make_green(programme)
    first = sign(sponsor)
    programme.refresh_from_db()
    assert (
        programme.status == ProgrammeStatus.EXIT_REVIEW
        and programme.exit_review_started_at == first.signed_at
    )
    second = sign(owner)
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED and programme.closed_at == second.signed_at
    assert first.signatory != second.signatory


def test_the_page_says_why_a_conflicted_signatory_cannot_sign(client, programme, make_persona):
    make_green(programme)
    member = make_persona(Role.SPONSOR, Role.LEAD, username="dual")
    client.force_login(member.user)
    page = client.get("/p/acme/sign-off/").content.decode()
    assert 'id="sign-refusal"' in page and 'id="sign-form"' not in page
    assert "cannot also deliver hypercare" in page and "Hypercare lead / delivery manager" in page
    response = client.post("/p/acme/sign-off/", {"password": PASSWORD})
    assert response.status_code == 403 and "cannot also deliver hypercare" in response.content.decode()
    assert not SignOff.objects.exists()


def test_the_api_refuses_a_conflicted_signatory_with_a_message(programme, make_persona):
    make_green(programme)
    member = make_persona(Role.SPONSOR, Role.OPERATIONAL_OWNER, username="both")
    response = member.api().post(SIGN_OFFS, {"password": PASSWORD}, format="json")
    assert response.status_code == 403 and "two different people" in response.json()["detail"]


def test_the_sign_off_page_lists_the_signatory_role_changes_since_the_exit_review(
    client, programme, sponsor, owner, viewer, admin
):
    make_green(programme)
    # Before the exit review: listed until it begins, then no longer on this page.
    core.member_add(programme=programme, username="early", email="e@example.com", roles=["sponsor"], by=admin,
                    invite=False)  # fmt: skip
    client.force_login(viewer.user)
    page = client.get("/p/acme/sign-off/").content.decode()
    assert "so far" in page and "Ada Admin" in page
    core.member_deactivate(membership=programme.memberships.get(user__username="early"), by=admin)
    sign(sponsor)  # the exit review begins
    later = SignatoryRoleChange.objects.count()
    core.member_add(programme=programme, username="viewer", roles=["operational_owner"], team="bau", by=admin)
    assert SignatoryRoleChange.objects.count() == later + 1
    page = client.get("/p/acme/sign-off/").content.decode()
    section = page[page.index('id="signatory-role-changes"') :]
    assert "since the exit review began" in section
    assert "granted Operational owner (BAU)" in section and "Ada Admin" in section
    assert "removed Business sponsor" not in section  # "early" left before the review began
