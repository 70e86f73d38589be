"""Single sign-on without a browser: off unless configured, who a verified e-mail opens, what a
refusal says, and password login for staff only. The browser tests (test_browser_sso.py) sign in
through a real provider."""

import socket

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory, override_settings

from hypercare import oidc
from hypercare.roles import Role
from tests.factories import PASSWORD, UserFactory

SSO_PATHS = ["/oidc/authenticate/", "/oidc/callback/", "/oidc/refused/"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sso(settings):
    """SSO configured against an issuer where nothing listens (no test here reaches it, except
    the one about an unreachable provider)."""
    settings.OIDC_ISSUER = f"http://127.0.0.1:{closed_port()}"
    settings.OIDC_RP_CLIENT_ID = "hypercare"
    settings.OIDC_RP_CLIENT_SECRET = "test-secret"
    oidc._metadata.clear()
    yield settings
    oidc._metadata.clear()


def backend_request():
    request = RequestFactory().get("/oidc/callback/")
    request.session = SessionStore()
    backend = oidc.Backend()
    backend.request = request
    return backend, request


@pytest.mark.parametrize("path", SSO_PATHS)
def test_it_answers_404_on_the_sso_paths_when_not_configured(client, db, path):
    assert client.get(path).status_code == 404


def test_it_shows_no_sso_button_when_not_configured(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"/oidc/authenticate/" not in response.content


def test_it_shows_the_sso_button_when_configured(client, db, sso):
    response = client.get("/accounts/login/?next=/p/acme/")
    assert b'href="/oidc/authenticate/?next=/p/acme/"' in response.content
    # The password form stays by default.
    assert b'name="password"' in response.content


def test_an_unreachable_provider_gets_a_clear_refusal_not_a_500(client, db, sso):
    response = client.get("/oidc/authenticate/", follow=True)
    assert response.status_code == 403
    assert b"identity provider could not be reached" in response.content


def test_it_matches_a_verified_email_case_insensitively(db, make_persona):
    member = make_persona(Role.CHAMPION, username="alice").user
    member.email = "Alice@Example.com"
    member.save()
    backend, _ = backend_request()
    assert (
        backend.user_for_claims({"sub": "a1", "email": "alice@example.COM", "email_verified": True}) == member
    )


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": "alice@example.com", "email_verified": False}, "unverified"),
        ({"email": "alice@example.com"}, "unverified"),
        ({"email": "nobody@example.com", "email_verified": True}, "unknown"),
        ({"email": "loner@example.com", "email_verified": True}, "not_member"),
        ({"email": "twin@example.com", "email_verified": True}, "ambiguous"),
        ({"email": "gone@example.com", "email_verified": True}, "inactive"),
    ],
)
def test_it_refuses_and_says_why(db, make_persona, claims, reason):
    make_persona(Role.CHAMPION, username="alice")
    UserFactory(username="loner")  # an account, but never invited to a programme
    make_persona(Role.DESK, username="twin1").user.__class__.objects.filter(username="twin1").update(
        email="twin@example.com"
    )
    make_persona(Role.DESK, username="twin2").user.__class__.objects.filter(username="twin2").update(
        email="TWIN@example.com"
    )
    gone = make_persona(Role.DESK, username="gone").user
    gone.is_active = False
    gone.save()
    users_before = get_user_model().objects.count()
    backend, request = backend_request()

    assert backend.user_for_claims({"sub": "x", **claims}) is None
    assert request.session[oidc.REFUSAL_KEY] == reason
    assert get_user_model().objects.count() == users_before, "nobody is created"


def test_the_refusal_page_names_the_reason(client, db, sso):
    session = client.session
    session[oidc.REFUSAL_KEY] = "unknown"
    session.save()
    response = client.get("/oidc/refused/")
    assert response.status_code == 403
    assert b"No Hypercare account has this e-mail address" in response.content
    assert b"hypercare lead" in response.content


def test_a_callback_without_a_login_in_progress_is_refused_cleanly(client, db, sso):
    response = client.get("/oidc/callback/?code=abc&state=xyz", follow=True)
    assert response.status_code == 403
    assert not response.wsgi_request.user.is_authenticated


def test_a_callback_with_a_state_this_browser_never_sent_is_refused_cleanly(client, db, sso):
    # A login is in progress in this session, but the provider's answer names another state.
    session = client.session
    session["oidc_states"] = {"mine": {"nonce": "n", "code_verifier": None, "added_on": 0}}
    session.save()
    response = client.get("/oidc/callback/?code=abc&state=forged", follow=True)
    assert response.status_code == 403
    assert b"could not be completed" in response.content
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "http://127.0.0.1:1/evil", "aud": "hypercare"},
        {"iss": "<issuer>", "aud": "another-client"},
        {"iss": "<issuer>", "aud": ["another-client"]},
    ],
)
def test_an_id_token_from_another_issuer_or_for_another_client_is_refused(db, sso, claims):
    backend, _ = backend_request()
    claims = {**claims, "iss": claims["iss"].replace("<issuer>", sso.OIDC_ISSUER), "sub": "x"}
    with pytest.raises(SuspiciousOperation):
        backend.get_or_create_user("access-token", "id-token", claims)


def test_the_logout_form_may_continue_to_the_provider_under_the_csp(client, db, sso, champion):
    client.force_login(champion.user)
    csp = client.get("/")["Content-Security-Policy"]
    assert f"form-action 'self' {sso.OIDC_ISSUER};" in csp


def test_password_login_stays_open_to_everyone_by_default(client, champion):
    response = client.post("/accounts/login/", {"username": "champion", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@override_settings(HYPERCARE_PASSWORD_LOGIN="staff-only")
def test_staff_only_password_login_refuses_everyone_else(client, sso, champion, staff_user):
    page = client.get("/accounts/login/")
    assert b"Password login is for Hypercare staff only" in page.content
    response = client.post("/accounts/login/", {"username": "champion", "password": PASSWORD})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    # Nor can a password buy an API token.
    assert (
        client.post("/api/v1/auth/token/", {"username": "champion", "password": PASSWORD}).status_code == 400
    )

    response = client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
