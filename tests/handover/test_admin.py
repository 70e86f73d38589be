"""The admin shows sign-offs read-only: no add, change or delete, and no bulk actions."""

import pytest
from django.urls import reverse

from handover import services
from handover.models import ExitCriterion, SignOff
from tests.factories import PASSWORD, UserFactory
from tests.handover.factories import access_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(programme, sponsor):
    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()
    return services.signoff_create(access=access_of(sponsor), password=PASSWORD)


@pytest.fixture
def admin_client(client, db):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    return client


def test_an_administrator_can_read_a_sign_off_but_not_change_or_delete_it(admin_client, record):
    changelist = admin_client.get(reverse("admin:handover_signoff_changelist"))
    assert changelist.status_code == 200 and "delete_selected" not in changelist.content.decode()
    page = admin_client.get(reverse("admin:handover_signoff_change", args=[record.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="_save"' not in body and "deletelink" not in body
    response = admin_client.post(
        reverse("admin:handover_signoff_change", args=[record.pk]), {"reason": "edited"}
    )
    assert response.status_code == 403
    assert (
        admin_client.post(
            reverse("admin:handover_signoff_delete", args=[record.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:handover_signoff_add")).status_code == 403
    bulk = admin_client.post(
        reverse("admin:handover_signoff_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert SignOff.objects.filter(pk=record.pk, reason="").exists()
