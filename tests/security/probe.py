"""Sending one request as one role to one route, and naming what came back.

Outcomes are coarse on purpose: the matrix says whether a role gets past the door, not what
the page says. A state-changing probe carries an empty body, so "ok" includes a form shown
again with its errors (200) and an API 400: authorisation passed, validation did its job.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from metrics.charts import CHARTS
from metrics.kpis import KPIS
from tests.security.world import Side

OK = "ok"  # past authorisation: 2xx, a 3xx that is not the login page, or a 400 for the empty probe
DENIED = "403"
HIDDEN = "404"
LOGIN = "login"  # a redirect to the login page (HTML)
UNAUTHENTICATED = "401"  # API without credentials
NOT_ALLOWED = "405"
OUTCOMES = {OK, DENIED, HIDDEN, LOGIN, UNAUTHENTICATED, NOT_ALLOWED}


def classify(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return LOGIN
        return OK
    if status == 401:
        return UNAUTHENTICATED
    if status == 403:
        return DENIED
    if status == 404:
        return HIDDEN
    if status == 405:
        return NOT_ALLOWED
    if status >= 500:
        return f"server error {status}"
    if 200 <= status < 300 or status in (400, 409, 422):
        return OK
    return f"unexpected {status}"


# Values for the URL parameters that are not objects.
def param_values(side: Side) -> dict[str, list[str]]:
    return {
        "slug": [side.programme.slug],
        "kpi": [kpi.slug for kpi in KPIS],
        "chart": list(CHARTS),
        "stage": [side.objects["stage"]],
        "uidb64": ["MQ"],
        "token": ["set-password"],
        "action": ["edit"],  # tickets:action_form
    }


def url_for(name: str, params: list[str], side: Side, obj: str | None, *, variant: int = 0) -> str:
    """The URL of route `name` with programme `side`'s objects (obj names the object behind pk/reference)."""
    values = param_values(side)
    kwargs = {}
    for param in params:
        if param == "reference":
            kwargs[param] = side.objects[obj if obj and obj.endswith("ticket") else "ticket"].reference
        elif param in ("pk", "id", "shift_id", "mail_id"):
            kwargs[param] = side.objects[obj].pk
        elif param in values:
            options = values[param]
            kwargs[param] = options[min(variant, len(options) - 1)]
        else:
            kwargs[param] = "1"
    return reverse(name, kwargs=kwargs)


@dataclass
class Caller:
    """Clients for one role: a logged-in browser-like client and a token API client."""

    role: str
    html: Client
    api: APIClient


def callers(side_a: Side, side_b: Side, *, enforce_csrf: bool = False) -> dict[str, Caller]:
    """A Caller per role of the battery: anonymous, each member of A, and B's lead (outsider)."""
    from rest_framework.authtoken.models import Token

    result = {"anonymous": Caller("anonymous", Client(enforce_csrf_checks=enforce_csrf), APIClient())}
    people = dict(side_a.people)
    people["outsider"] = side_b.people["lead"]
    for role, membership in people.items():
        html = Client(enforce_csrf_checks=enforce_csrf)
        html.force_login(membership.user)
        api = APIClient(enforce_csrf_checks=enforce_csrf)
        token, _ = Token.objects.get_or_create(user=membership.user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        result[role] = Caller(role, html, api)
    return result


def send(client, method: str, url: str, *, data=None, htmx: bool = False, api: bool = False, **extra):
    headers = {"HX-Request": "true"} if htmx else {}
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url, data or {}, headers=headers, **extra)
    if api:
        has_file = any(hasattr(value, "read") for value in (data or {}).values())
        return call(url, data or {}, format="multipart" if has_file else "json", headers=headers, **extra)
    return call(url, data or {}, headers=headers, **extra)


@contextlib.contextmanager
def rolled_back():
    """Whatever the request writes is undone, so the next probe sees the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def body_text(response) -> str:
    """The response body as text, streamed (files, CSV) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")
