"""Headers and cookies: CSP without inline scripts, nosniff, no framing, secure HttpOnly cookies."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.security.access_matrix import MATRIX
from tests.security.probe import OK, body_text, url_for
from tests.security.routes import inventory

# The browsable API docs and the admin ship inline scripts of their own (exempt from our CSP).
EXEMPT = ("/api/docs", "/admin/")


class InlineCode(HTMLParser):
    """Finds what a CSP without 'unsafe-inline' would block: inline scripts, handlers, style attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attributes
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}…")


def _html_pages(world):
    for name, routes in sorted(inventory().items()):
        entry = MATRIX.get(name)
        if entry is None or "GET" not in entry.methods or entry.kind not in ("page", "auth", "public"):
            continue
        if entry.methods["GET"].get("lead") != OK:
            continue
        yield name, url_for(name, routes[0].params, world.a, entry.obj)


def test_every_page_has_the_security_headers_and_no_inline_code(shared_world, db):
    client = Client()
    client.force_login(shared_world.a.user("lead"))
    problems, pages = [], 0
    for name, url in _html_pages(shared_world):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            assert response["X-Content-Type-Options"] == "nosniff", url
            policy = response.get("Content-Security-Policy", "")
            if url.startswith(EXEMPT):
                continue
            download = "attachment" in response.get("Content-Disposition", "")
            framing_closed = "frame-ancestors 'none'" in policy or (download and "sandbox" in policy)
            if not framing_closed or "unsafe-inline" in policy:
                problems.append(f"{url} [{name}]: CSP {policy!r}")
            script_src = next(
                (d for d in policy.split(";") if d.strip().startswith(("script-src", "default-src"))), ""
            )
            if "unsafe-eval" in script_src or "*" in script_src:
                problems.append(f"{url} [{name}]: scripts from anywhere ({script_src})")
            if response.get("Content-Type", "").startswith("text/html"):
                pages += 1
                parser = InlineCode()
                parser.feed(body_text(response))
                problems += [f"{url} [{name}]: {found}" for found in parser.found]
                if "X-Frame-Options" not in response:
                    problems.append(f"{url} [{name}]: no X-Frame-Options")
    assert pages > 50
    assert not problems, "\n".join(problems)


def test_the_login_page_carries_the_headers_too(db):
    response = Client().get("/accounts/login/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


PRODUCTION_PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
call_command("collectstatic", verbosity=0, interactive=False)  # production serves the hashed manifest
from django.contrib.auth import get_user_model
get_user_model().objects.create_user("cookie", password="a-long-enough-password-1")
from django.test import Client
client = Client()
page = client.get("/accounts/login/", secure=True)
token = page.cookies["csrftoken"].value
response = client.post("/accounts/login/", {"username": "cookie", "password": "a-long-enough-password-1",
                       "csrfmiddlewaretoken": token}, secure=True, HTTP_REFERER="https://hypercare.example.com/")
cookies = {name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
           for name, m in {**page.cookies, **response.cookies}.items()}
plain = Client().get("/accounts/login/")
print(json.dumps({"cookies": cookies, "status": response.status_code, "redirect_http": plain.status_code,
                  "hsts": page.get("Strict-Transport-Security", "")}))
"""


def test_production_settings_give_secure_httponly_cookies_and_https_only(tmp_path):
    env = {
        "SECRET_KEY": "p" * 64 + "-cookie-probe",
        "ALLOWED_HOSTS": "testserver,hypercare.example.com",
        "DJANGO_SETTINGS_MODULE": "hypercare.settings",
        "PATH": "/usr/bin:/bin",
        "HYPERCARE_VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        env=env,
        cwd=str(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] == 302, report
    cookies = report["cookies"]
    assert {"sessionid", "csrftoken"} <= set(cookies), cookies
    for name in ("sessionid", "csrftoken"):
        assert cookies[name]["secure"], name
        assert cookies[name]["httponly"], name
        assert cookies[name]["samesite"] in ("Lax", "Strict"), name
    assert report["redirect_http"] == 301  # plain HTTP is sent to HTTPS
    assert "max-age=31536000" in report["hsts"]


@pytest.mark.parametrize("path", ["/static/js/app.js", "/static/vendor/htmx-2.0.11.min.js"])
def test_static_files_are_served_without_a_login(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
