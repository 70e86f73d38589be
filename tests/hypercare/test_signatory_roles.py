"""Who may change whose roles: nobody their own, only staff the sponsor and operational-owner roles,
a signatory never on the project team; and the append-only record of every signatory role change."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hypercare import services
from hypercare.models import Membership, SignatoryRoleChange
from hypercare.roles import Role
from tests.append_only import assert_database_refuses, guard_triggers, triggers_on
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/programmes/acme/members/"


def roles_of(username: str) -> list[str]:
    return Membership.objects.get(user__username=username).roles


# The service ------------------------------------------------------------------------------------


def test_it_refuses_a_lead_who_turns_the_signatories_into_viewers(programme, lead, sponsor, owner):
    for member in (sponsor, owner):
        with pytest.raises(PermissionDenied, match="programme administrator"):
            services.member_add(
                programme=programme, username=member.user.username, roles=["viewer"], by=lead.user
            )
    assert roles_of("sponsor") == ["sponsor"] and roles_of("owner") == ["operational_owner"]
    assert not SignatoryRoleChange.objects.exists()


def test_it_refuses_anyone_who_changes_their_own_roles(programme, lead, staff_user):
    with pytest.raises(PermissionDenied, match="own roles"):
        services.member_add(programme=programme, username="lead", roles=["lead", "sponsor"], by=lead.user)
    with pytest.raises(PermissionDenied, match="own roles"):
        services.member_add(programme=programme, username="staff", roles=["sponsor"], by=staff_user)
    assert roles_of("lead") == ["lead"]
    assert not Membership.objects.filter(user=staff_user).exists()


def test_a_lead_still_manages_the_other_roles_of_others(programme, lead, desk):
    services.member_add(programme=programme, username="desk", roles=["desk", "bau"], by=lead.user)
    assert roles_of("desk") == ["desk", "bau"]
    # The same roles in another order, with a new team: no signatory role changes.
    services.member_add(programme=programme, username="desk", roles=["bau", "desk"], team="bau", by=lead.user)
    assert not SignatoryRoleChange.objects.exists()


def test_staff_grant_and_remove_the_signatory_roles_and_each_change_is_recorded(
    programme, staff_user, sponsor, desk
):
    services.member_add(
        programme=programme, username="newowner", email="o@example.com", roles=["operational_owner"],
        by=staff_user, invite=False,
    )  # fmt: skip
    services.member_add(programme=programme, username="sponsor", roles=["viewer"], by=staff_user)
    services.member_deactivate(membership=Membership.objects.get(user__username="newowner"), by=staff_user)
    changes = list(SignatoryRoleChange.objects.of(programme).for_list())
    assert [(c.member.username, c.old_roles, c.new_roles, c.changed_by) for c in changes] == [
        ("newowner", [], ["operational_owner"], staff_user),
        ("sponsor", ["sponsor"], ["viewer"], staff_user),
        ("newowner", ["operational_owner"], [], staff_user),
    ]
    assert changes[1].granted == [Role.VIEWER.label] and changes[1].removed == [Role.SPONSOR.label]


def test_a_lead_cannot_take_out_a_signatory_either(programme, lead, sponsor):
    with pytest.raises(PermissionDenied):
        services.member_deactivate(membership=sponsor.membership, by=lead.user)
    sponsor.membership.refresh_from_db()
    assert sponsor.membership.is_active


@pytest.mark.parametrize(
    "roles",
    [
        ["sponsor", "lead"],
        ["operational_owner", "desk"],
        ["sponsor", "engineer"],
        ["sponsor", "operational_owner"],
    ],
)
def test_no_one_becomes_a_signatory_who_delivers_hypercare_or_holds_both_signatory_roles(
    programme, staff_user, roles
):
    with pytest.raises(ValidationError) as error:
        services.member_add(
            programme=programme,
            username="both",
            email="b@example.com",
            roles=roles,
            by=staff_user,
            invite=False,
        )
    assert "roles" in error.value.message_dict
    assert not Membership.objects.filter(user__username="both").exists()
    assert not SignatoryRoleChange.objects.exists()


# The record is append-only ------------------------------------------------------------------------


@pytest.fixture
def change(programme, staff_user, desk):
    services.member_add(programme=programme, username="desk", roles=["desk"], by=staff_user)  # no change
    services.member_add(
        programme=programme, username="helen", email="h@example.com", roles=["sponsor"], by=staff_user,
        invite=False,
    )  # fmt: skip
    return SignatoryRoleChange.objects.get()


def test_the_model_and_queryset_refuse_to_edit_or_delete_a_change(change):
    change.new_roles = ["viewer"]
    with pytest.raises(ValidationError):
        change.save()
    with pytest.raises(ValidationError):
        change.delete()
    with pytest.raises(TypeError):
        SignatoryRoleChange.objects.filter(pk=change.pk).update(new_roles=["viewer"])
    with pytest.raises(TypeError):
        SignatoryRoleChange.objects.filter(pk=change.pk).delete()


def test_the_database_refuses_update_and_delete_of_a_change(change):
    """The trigger of migration 0005, on SQLite and on PostgreSQL alike (CI runs both)."""
    assert_database_refuses(
        SignatoryRoleChange._meta.db_table,
        change.pk,
        "UPDATE {table} SET new_roles = ',viewer,' WHERE id = %s",
        "UPDATE {table} SET changed_by_id = NULL WHERE id = %s",
        "DELETE FROM {table} WHERE id = %s",
    )
    assert SignatoryRoleChange.objects.filter(pk=change.pk, new_roles=["sponsor"]).exists()


def test_the_guard_is_a_trigger_on_this_database(change):
    table = SignatoryRoleChange._meta.db_table
    assert triggers_on(table) == guard_triggers(table)


# The members page and API ---------------------------------------------------------------------------


def test_the_members_page_says_why_a_lead_cannot_change_a_signatory(client, lead, sponsor):
    client.force_login(lead.user)
    response = client.post("/p/acme/members/", {"username": "sponsor", "roles": ["viewer"], "team": "bau"})
    assert response.status_code == 403
    assert "Only a programme administrator (staff) grants or removes" in response.content.decode()
    assert roles_of("sponsor") == ["sponsor"]


def test_staff_grant_a_signatory_role_on_the_members_page_and_it_is_listed(client, programme, sponsor):
    admin = UserFactory(
        username="admin", is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin"
    )
    client.force_login(admin)
    response = client.post(
        "/p/acme/members/",
        {"username": "olive", "email": "olive@example.com", "name": "Olive Owner", "roles": ["operational_owner"], "team": "bau"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get("/p/acme/members/").content.decode()
    assert 'id="signatory-role-changes"' in page
    assert "Olive Owner" in page and "granted Operational owner (BAU)" in page and "Ada Admin" in page


def test_the_api_refuses_a_lead_who_grants_a_signatory_role_with_a_message(lead, desk):
    response = lead.api().post(MEMBERS, {"username": "desk", "roles": ["desk", "sponsor"]}, format="json")
    assert response.status_code == 403
    assert "programme administrator" in response.json()["detail"]
    response = lead.api().post(MEMBERS, {"username": "lead", "roles": ["viewer"]}, format="json")
    assert response.status_code == 403 and "own roles" in response.json()["detail"]
    assert roles_of("desk") == ["desk"] and roles_of("lead") == ["lead"]


def test_the_api_lets_staff_grant_a_signatory_role_but_not_beside_a_delivery_role(programme, desk):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    response = api.post(MEMBERS, {"username": "desk", "roles": ["desk", "sponsor"]}, format="json")
    assert response.status_code == 400 and "cannot also deliver hypercare" in str(response.json()["roles"])
    response = api.post(MEMBERS, {"username": "desk", "roles": ["sponsor"], "team": "bau"}, format="json")
    assert response.status_code == 201 and roles_of("desk") == ["sponsor"]
    assert SignatoryRoleChange.objects.get().changed_by == admin
