"""Real processes for the fault tests: web (gunicorn), Celery worker and beat, a private Redis and
a private PostgreSQL cluster, each started by the test and stopped by it.

Nothing here touches the shared services beyond the security battery's own Redis database
(number 9) and the test database pytest-django created: the Redis and PostgreSQL that get
stopped and restarted are private instances on free ports, in temporary folders.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

# The beat schedule's intervals in seconds for the fault tests (tests/security/fast_beat.py applies
# them in the beat process; importing this module changes nothing in the test process's own schedule).
FAST = {
    "heartbeat": 2.0,
    "email-outbox": 2.0,
    "sla-sweep": 1.0,
    "releases-status-reports": 30.0,
    "releases-webhook-sweep": 5.0,
    "metrics-daily-snapshots": 2.0,
}

REDIS_DB = 9  # the security battery's own Redis database on the shared server
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"Not within {timeout:.0f} s: {what}")


def broker_drained() -> bool:
    """Nothing waits in the battery's Redis broker: no message queued and none delivered but
    unacknowledged (kombu keeps those in the `unacked` hash until the task is done)."""
    import redis

    client = redis.Redis.from_url(shared_redis_url())
    try:
        queued = sum(client.llen(key) for key in client.scan_iter("celery*") if client.type(key) == b"list")
        return queued == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


def database_url_of_the_test_run() -> str:
    """The database pytest-django made for this run (the processes must see the test's rows)."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def shared_redis_url() -> str:
    return f"redis://127.0.0.1:6379/{REDIS_DB}"


def send_to_shared_broker(task: str, **kwargs) -> None:
    """Queue `task` on the stack's broker. An explicit connection: Celery(broker=…) would lose to a
    CELERY_BROKER_URL in the environment (CI sets one for the suite) and post to another database."""
    from celery import Celery

    app = Celery()
    with app.connection_for_write(shared_redis_url()) as connection:
        app.send_task(task, kwargs=kwargs, connection=connection)


def flush_shared_redis_db() -> None:
    subprocess.run(["redis-cli", "-n", str(REDIS_DB), "flushdb"], check=True, capture_output=True)


def app_env(*, database_url: str, broker_url: str, var_dir: Path, debug: bool = True) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_VERSION", "PYTEST_CURRENT_TEST")
    }
    env |= {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "HYPERCARE_VAR_DIR": str(var_dir),
        "DJANGO_DEBUG": "1" if debug else "0",
        "SECRET_KEY": "fault-tests-" + "s" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_INSECURE_HTTP": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "LOG_LEVEL": "WARNING",
    }
    return env


@dataclass
class Process:
    """A child process whose output goes to a log file (read it when a test fails)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> Process:
        self.starts += 1
        handle = self.log.open("a")
        handle.write(f"\n--- start {self.starts} ---\n")
        handle.flush()
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=str(BASE_DIR),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye, no acknowledgement, mid-whatever it was doing."""
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Stack:
    """The Procfile's process set (some of it), started against the given database and broker."""

    env: dict[str, str]
    folder: Path
    processes: list[Process] = field(default_factory=list)

    def _add(self, name: str, argv: list[str], env: dict | None = None) -> Process:
        process = Process(name, argv, env or self.env, self.folder / f"{name}.log")
        self.processes.append(process)
        return process.start()

    def worker(self, name: str = "worker") -> Process:
        return self._add(
            name,
            [sys.executable, "-m", "celery", "-A", "hypercare", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}-{os.getpid()}@%h"],
        )  # fmt: skip

    def beat(self, name: str = "beat") -> Process:
        schedule = self.folder / f"{name}-schedule"
        return self._add(
            name,
            [sys.executable, "-m", "celery", "-A", "tests.security.fast_beat", "beat", "--loglevel=INFO",
             "-s", str(schedule)],
        )  # fmt: skip

    def web(self, port: int) -> Process:
        return self._add(
            "web",
            [sys.executable, "-m", "gunicorn", "hypercare.wsgi", "--workers", "2", "--threads", "2",
             "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5"],
        )  # fmt: skip

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} =====\n{p.output()[-4000:]}" for p in self.processes)


def http(
    method: str, url: str, *, token: str = "", body: dict | None = None, timeout: float = 30, cookies=None
):
    """(status, text, seconds) of one request; never raises for an HTTP error status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Token {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace"), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), time.monotonic() - started
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, str(error), time.monotonic() - started


class PrivateRedis:
    """A redis-server of our own on a free port: stopping it harms nobody else."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.ping, timeout=20, what="the private redis-server answers")

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


class PrivatePostgres:
    """A PostgreSQL 15 cluster of our own (initdb in a temporary folder, run as the postgres user)."""

    def __init__(self):
        import tempfile

        self.port = free_port()
        # Directly under /tmp: pytest's own temporary folders are private to root, and the
        # cluster runs as the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="hc-security-pg-"))
        self.data = self.folder / "data"

    def _as_postgres(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            os.chmod(self.folder, 0o700)
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                       "fsync = off\nmax_connections = 50\n")  # fmt: skip

    def start(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "pg.log"), "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def createdb(self, name: str) -> str:
        self._as_postgres(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


def browser_session(base: str, username: str, password: str):
    """A logged-in browser-like session (cookies, CSRF token) against a running web process."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form.encode(), headers={"Referer": f"{base}/accounts/login/"}
    )
    landed = opener.open(request, timeout=30)
    assert "/accounts/login/" not in landed.geturl(), "the login failed"
    return opener


def page(opener, url: str, *, timeout: float = 30):
    """(status, text, seconds) of a GET in a browser session."""
    started = time.monotonic()
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace"), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), time.monotonic() - started
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, str(error), time.monotonic() - started
