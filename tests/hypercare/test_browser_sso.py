"""Single sign-on in a real browser, through a real OpenID Connect provider: the npm package
oidc-provider (tests/oidc/provider.mjs), started by the test on 127.0.0.1 with Node.js.

Its development login page takes the account id as the login and any password."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.contrib.auth import get_user_model

from hypercare import oidc
from hypercare.roles import Role, Team
from tests.conftest import log_in, require

pytestmark = pytest.mark.browser

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc"
CLIENT_ID = "hypercare-test"
CLIENT_SECRET = "a-test-only-client-secret-of-some-length"
ACCOUNTS = {
    # The invited champion, with their e-mail in another case than Hypercare has it.
    "champion-at-idp": {"email": "CHAMPION@example.com", "email_verified": True, "name": "Cham Pion"},
    "stranger": {"email": "stranger@example.com", "email_verified": True, "name": "Stranger"},
    # The champion's address, but the provider has not verified it.
    "unverified": {"email": "champion@example.com", "email_verified": False, "name": "Not Verified"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _install_provider(npm: str) -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROVIDER_DIR,
        check=True,
        timeout=600,
    )


@pytest.fixture
def oidc_provider(live_server, settings):
    """A running provider with one client (redirects to the live server) and three accounts;
    Hypercare configured to use it through discovery, as from the environment."""
    node, npm = shutil.which("node"), shutil.which("npm")
    require(
        node is not None and npm is not None, "needs Node.js and npm (apt-get install nodejs npm)", in_ci=True
    )
    _install_provider(npm)
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "client": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{live_server.url}/oidc/callback/"],
            "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"],
        },
        "accounts": ACCOUNTS,
    }
    env = {**os.environ, "OIDC_TEST_PORT": str(port), "OIDC_TEST_CONFIG": json.dumps(config)}
    process = subprocess.Popen(
        [node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the OIDC provider exited: {process.stdout.read().decode(errors='replace')}")
            try:
                with urlopen(f"{issuer}/.well-known/openid-configuration", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the OIDC provider did not start within 30 s")
            time.sleep(0.2)
        settings.OIDC_ISSUER = issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        oidc._metadata.clear()
        yield issuer
    finally:
        oidc._metadata.clear()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in_at_provider(page, login: str) -> None:
    """Start SSO from the login page and sign in on the provider's development login page."""
    page.goto("/accounts/login/")
    page.click("#sso-login")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")


def test_an_invited_member_signs_in_and_out_through_the_provider(browser_page, oidc_provider, make_persona):
    champion = make_persona(Role.CHAMPION, team=Team.BAU, username="champion")
    page = browser_page

    sign_in_at_provider(page, "champion-at-idp")
    page.wait_for_selector(".topbar .account")
    assert "/oidc/" not in page.url and "/accounts/login/" not in page.url
    assert champion.user.get_full_name() in page.locator(".topbar .account").inner_text()
    assert "Acme go-live" in page.locator("main").inner_text()

    # Logging out ends the Hypercare session, then the provider's (it asks to confirm).
    page.click(".topbar .account button:has-text('Log out')")
    page.wait_for_url(f"{oidc_provider}/**")
    page.click("button[name=logout][value=yes]")
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    page.wait_for_url("**/accounts/login/?next=/")
    assert page.locator("#sso-login").is_visible()
    assert page.js_errors == []


@pytest.mark.parametrize(
    ("login", "says"),
    [
        ("stranger", "No Hypercare account has this e-mail address"),
        ("unverified", "has not verified this e-mail address"),
    ],
)
def test_a_sign_in_that_matches_no_invited_account_is_refused(
    browser_page, oidc_provider, make_persona, login, says
):
    make_persona(Role.CHAMPION, team=Team.BAU, username="champion")
    users_before = get_user_model().objects.count()
    page = browser_page

    sign_in_at_provider(page, login)
    page.wait_for_url("**/oidc/refused/")
    assert says in page.locator("[role=alert]").inner_text()
    page.goto("/")
    page.wait_for_url("**/accounts/login/?next=/")
    assert get_user_model().objects.count() == users_before
    assert page.js_errors == []


def test_with_password_login_for_staff_only_a_champion_on_a_phone_uses_sso(
    browser_page, oidc_provider, make_persona, settings
):
    settings.HYPERCARE_PASSWORD_LOGIN = "staff-only"
    make_persona(Role.CHAMPION, team=Team.BAU, username="champion")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})

    log_in(page, "champion")
    assert "didn't match" in page.locator("[role=alert]").inner_text()
    assert "Password login is for Hypercare staff only" in page.locator("main").inner_text()
    assert "/accounts/login/" in page.url

    sign_in_at_provider(page, "champion-at-idp")
    page.wait_for_selector(".topbar .account")
    assert "Acme go-live" in page.locator("main").inner_text()
    assert page.js_errors == []
