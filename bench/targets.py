"""What the benchmark measures, resolved inside Django: URLs, a ticket reference, and auth headers."""

from __future__ import annotations

import json
import math

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token

from tickets.models import Ticket

# (label, persona, candidate URL names taking the programme slug [and a ticket reference])
PAGES = [
    ("Tier 2 queue page", "desk", ["tickets:queue"], False),
    ("champion's my tickets", "champion", ["tickets:mine", "tickets:my_tickets"], False),
    ("ticket page", "desk", ["tickets:detail", "tickets:ticket"], True),
    ("triage board", "lead", ["triage:board"], False),
    ("scorecard", "lead", ["metrics:scorecard"], False),
    ("exit-gate dashboard", "lead", ["handover:dashboard", "handover:exit_gate"], False),
]
DEEP_PAGE = 1000  # "page 1,000 is as fast as page 1" (or the last page, on a smaller data set)
QUEUE_PAGE_SIZE = 25
API_PAGE_SIZE = 50


def _resolve(names: list[str], args: list) -> str | None:
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def describe(slug: str) -> None:
    users = get_user_model().objects
    personas = {"desk": f"{slug}-desk-1", "champion": f"{slug}-champion-1", "lead": f"{slug}-lead-1"}
    auth: dict[str, dict[str, str]] = {"anonymous": {}}
    for persona, username in personas.items():
        client = Client()
        client.force_login(users.get(username=username))
        auth[persona] = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    token, _ = Token.objects.get_or_create(user=users.get(username=personas["desk"]))
    auth["api"] = {"Authorization": f"Token {token.key}"}
    tickets = Ticket.objects.filter(programme__slug=slug)
    reference = tickets.order_by("-id").values_list("reference", flat=True).first()
    targets = []
    for label, persona, names, needs_ticket in PAGES:
        path = _resolve(names, [slug, reference] if needs_ticket else [slug])
        if path:
            targets.append((label, persona, path))
    api = f"/api/v1/programmes/{slug}/tickets/"
    targets.append(("ticket list API", "api", api))
    # Deep pages: the whole Tier 2 queue (every status) and the whole API list, far from the top.
    queue = _resolve(["tickets:queue"], [slug])
    if queue:
        pages = max(1, math.ceil(tickets.filter(tier=2).count() / QUEUE_PAGE_SIZE))
        deep = min(DEEP_PAGE, pages)
        targets.append(("Tier 2 queue, every status, page 1", "desk", f"{queue}?view=tier2&status=any"))
        targets.append(
            (
                f"Tier 2 queue, every status, page {deep:,}",
                "desk",
                f"{queue}?view=tier2&status=any&page={deep}",
            )
        )
    deep = min(DEEP_PAGE, max(1, math.ceil(tickets.count() / API_PAGE_SIZE)))
    targets.append((f"ticket list API, page {deep:,}", "api", f"{api}?page={deep}"))
    targets.append(("POST ticket creation API", "api", api))
    print(json.dumps({"targets": targets, "auth": auth}))
