"""API tokens: issued and revoked in the browser, with an optional lifetime, and gone with the last programme."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hypercare.models import Membership

pytestmark = pytest.mark.django_db

URL = "/account/api-token/"


def works(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/programmes/").status_code


def test_it_issues_a_token_once_shown_and_revokes_it(client, desk):
    client.force_login(desk.user)
    assert "You have no API token." in client.get(URL).content.decode()
    issued = client.post(URL, {"action": "issue"})
    key = Token.objects.get(user=desk.user).key
    assert key in issued.content.decode()
    assert works(key) == 200
    listed = client.get(URL).content.decode()
    assert key not in listed and f"…{key[-4:]}" in listed  # shown once, then only its ending
    client.post(URL, {"action": "revoke"})
    assert works(key) == 401
    assert not Token.objects.filter(user=desk.user).exists()


def test_a_page_post_without_a_csrf_token_is_refused(desk):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.user)
    assert client.post(URL, {"action": "issue"}).status_code == 403
    assert not Token.objects.exists()


def test_a_token_stops_working_after_its_lifetime_and_login_issues_a_new_one(desk, settings):
    settings.HYPERCARE_API_TOKEN_DAYS = 30
    desk.user.set_password("a-long-password-1")
    desk.user.save()
    login = APIClient().post("/api/v1/auth/token/", {"username": "desk", "password": "a-long-password-1"})
    assert login.status_code == 200
    key = login.json()["token"]
    assert login.json()["expires_at"]
    assert works(key) == 200
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=31))
    assert works(key) == 401
    again = APIClient().post("/api/v1/auth/token/", {"username": "desk", "password": "a-long-password-1"})
    assert again.json()["token"] != key and works(again.json()["token"]) == 200


def test_leaving_the_last_programme_revokes_the_token(desk, other_programme):
    key = Token.objects.create(user=desk.user).key
    second = Membership.objects.create(programme=other_programme, user=desk.user, roles=["desk"])
    Membership.objects.filter(pk=desk.membership.pk).get().delete()
    assert works(key) == 200  # still a member of the other programme
    second.is_active = False
    second.save()
    assert works(key) == 401


def test_staff_keep_their_token_without_a_programme(staff_user, programme):
    key = Token.objects.create(user=staff_user).key
    Membership.objects.create(programme=programme, user=staff_user, roles=["lead"]).delete()
    assert works(key) == 200  # staff provision programmes by script, member or not
