import pytest
from django.db import connection

from tests.factories import HeartbeatFactory

pytestmark = pytest.mark.django_db


def test_it_reports_database_and_broker_reachable(client):
    HeartbeatFactory()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": connection.vendor}
    assert body["broker"]["ok"] is True
    assert body["last_worker_heartbeat"] is not None


def test_it_reports_503_naming_the_broker_when_it_is_unreachable(client, monkeypatch):
    from hypercare import health

    monkeypatch.setattr(health, "broker_url", lambda: "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True
