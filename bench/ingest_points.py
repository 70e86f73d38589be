"""Telemetry ingestion for bench/run.py: `time_ingestion(slug, n)` posts n points through the real endpoint.

The request goes through URL routing, the ingestion-token authentication, JSON parsing, the
validation of every point and the one-statement upsert (metrics.services.telemetry_ingest), in
process with Django's test client, so the figure is the server's work without the network.
"""

from __future__ import annotations

import json
import time

from bench.metrics_ingest import payload, programme_and_key


def time_ingestion(slug: str, n: int) -> float:
    """Seconds to post `n` points to programme `slug` in one request (raises unless it answers 200)."""
    from django.conf import settings
    from django.test import Client

    programme, key = programme_and_key(slug)
    body = json.dumps(payload(n, programme)).encode()
    host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "testserver")
    client = Client(SERVER_NAME=host)
    started = time.perf_counter()
    response = client.post(
        f"/api/v1/programmes/{slug}/telemetry/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"ingestion answered {response.status_code}: {response.content[:300]!r}")
    accepted = response.json().get("accepted")
    if accepted != n:
        raise SystemExit(f"ingestion accepted {accepted} of {n} points")
    return seconds
