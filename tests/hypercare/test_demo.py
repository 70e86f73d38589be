"""`make run` loads the demo programme: every role is there and every app's demo data loads."""

import pytest

from handover.demo import seed_demo
from hypercare.demo import DEMO_PASSWORD, DEMO_SLUG
from hypercare.models import Membership, Programme
from hypercare.roles import Role

pytestmark = pytest.mark.django_db


def test_the_demo_programme_has_people_in_every_role_and_loads_once(client):
    programme = seed_demo()
    assert programme is not None and programme.slug == DEMO_SLUG
    for role in Role.values:
        assert Membership.objects.filter(programme=programme).with_role(role).exists(), role
    assert seed_demo() is None
    assert Programme.objects.filter(slug=DEMO_SLUG).count() == 1
    assert client.login(username="champion", password=DEMO_PASSWORD)
    assert client.get(f"/p/{DEMO_SLUG}/").status_code == 200


def test_the_demo_has_a_bulletin_a_champion_can_read(client):
    from django.utils.html import escape

    from releases.models import Bulletin

    programme = seed_demo()
    bulletin = Bulletin.objects.get(programme=programme)
    assert bulletin.state == "sent" and bulletin.fixed_lines and bulletin.workaround_lines
    assert programme.bulletin_schedule.send_at is not None
    assert client.login(username="champion", password=DEMO_PASSWORD)
    page = client.get(f"/p/{DEMO_SLUG}/bulletins/{bulletin.pk}/").content.decode()
    assert escape(bulletin.fixed_lines[0]) in page
