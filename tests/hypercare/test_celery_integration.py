"""A real Celery worker consumes a task from Redis and writes to PostgreSQL."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from celery import Celery
from django.db import connection

from hypercare.models import Heartbeat
from tests.conftest import require_postgres, require_redis

pytestmark = pytest.mark.services
# Celery lets the CELERY_BROKER_URL environment variable win over any broker given in code,
# so the worker and the sender use that one when it points at Redis.
_env_broker = os.environ.get("CELERY_BROKER_URL", "")
REDIS_TEST_BROKER = _env_broker if _env_broker.startswith("redis://") else "redis://127.0.0.1:6379/15"


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db):
    require_postgres()
    require_redis()
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    env |= {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_TEST_BROKER,
        "DJANGO_DEBUG": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hypercare",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"it-{uuid.uuid4().hex[:6]}@%h",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_worker_consumes_a_task_from_redis_and_writes_to_postgres(worker):
    source = f"integration-{uuid.uuid4().hex[:8]}"
    Celery(broker=REDIS_TEST_BROKER).send_task("hypercare.tasks.heartbeat_task", kwargs={"source": source})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(source=source).exists():
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.25)
    else:
        worker.terminate()
        pytest.fail(
            "The worker did not write the heartbeat within 60 s:\n" + worker.communicate(timeout=15)[0]
        )
    assert Heartbeat.objects.get(source=source).at is not None
