"""The peer (django-helpdesk 2.6.1) beside Hypercare: set up, seeded and served from its kit.

The kit lives in ../shared/peer-bench (HC_PEER_KIT overrides it) and is only read. Its
settings come from its env.sh (BENCH_DIR, default /tmp/bench, holds the venv and the site
copy; database helpdesk_bench, role bench). The peer's own Python runs the kit's seed.py and,
for the login and clean-up, the kit's measure.py helpers, so both follow the kit exactly.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT = Path(os.environ.get("HC_PEER_KIT", ROOT.parent / "shared" / "peer-bench"))

# Run with the peer's Python (cwd = its site): logs in over HTTP as the kit's staff user
# with the kit's own flow, picks a ticket with two follow-ups, and prints what wrk needs.
LOGIN = """
import json, sys, urllib.parse
sys.path.insert(0, {kit!r})
import measure
from django.db.models import Count
from helpdesk.models import Queue, Ticket
cookie, token, dt_path = measure.http_session()
support = Queue.objects.get(slug="support").id
detail = (Ticket.objects.annotate(n=Count("followup")).filter(n=2).order_by("id")
          .values_list("id", flat=True).first())
print("PEER " + json.dumps({{
    "cookie": cookie, "csrf": token, "max_seed_id": Ticket.objects.order_by("-id").values_list("id", flat=True).first(),
    "datatables": dt_path + "?" + measure.datatables_qs(), "detail": f"/helpdesk/tickets/{{detail}}/",
    "create_body": urllib.parse.urlencode(measure.create_form(support, token)),
}}))
"""
DROP_CREATED = """
import sys
sys.path.insert(0, {kit!r})
import measure
measure.drop_created({max_seed_id})
"""
COUNT = "from helpdesk.models import Ticket; print('COUNT', Ticket.objects.count())"


def kit_env() -> dict[str, str]:
    """The environment after sourcing the kit's env.sh (its defaults, or ours if already set)."""
    out = subprocess.run(
        ["bash", "-c", f"source {KIT / 'env.sh'} && env -0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    env.pop("DJANGO_DEBUG", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk_site.settings"
    return env


def _pg_listen_pinned() -> bool:
    """Whether setup.sh would leave PostgreSQL alone: it appends listen_addresses and restarts
    the cluster when the line is missing, which would cut every other user of the server."""
    confs = sorted(Path("/etc/postgresql").glob("*/main/postgresql.conf"))
    if not confs:
        return False
    return any(
        line.startswith("listen_addresses = '127.0.0.1'") for line in confs[-1].read_text().splitlines()
    )


@dataclass
class Peer:
    env: dict[str, str] = field(default_factory=kit_env)
    server: subprocess.Popen | None = None
    session: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.env['BENCH_PORT']}"

    @property
    def python(self) -> str:
        return str(Path(self.env["BENCH_VENV"]) / "bin" / "python")

    def _run(self, *args: str, capture: bool = False, timeout: float | None = None) -> str:
        result = subprocess.run(
            list(args),
            cwd=self.env["BENCH_SITE"],
            env=self.env,
            check=True,
            text=True,
            capture_output=capture,
            timeout=timeout,
        )
        return result.stdout if capture else ""

    def setup(self) -> None:
        """The kit's setup.sh with BENCH_SKIP_APT=1 (PostgreSQL and Redis already run). When the
        server's config does not pin listen_addresses, the same steps run here instead, minus the
        config edit and restart, so the shared server is never restarted."""
        env = {**self.env, "BENCH_SKIP_APT": "1"}
        if _pg_listen_pinned():
            subprocess.run(["bash", str(KIT / "setup.sh")], env=env, check=True, timeout=1800)
            return
        print("peer setup: setup.sh's steps without its PostgreSQL restart", flush=True)
        user, database = self.env["BENCH_PGUSER"], self.env["BENCH_PGDB"]
        psql = ["psql", "-h", self.env["BENCH_PGHOST"], "-U", "postgres", "-qtAc"]
        if not subprocess.run(
            [*psql, f"SELECT 1 FROM pg_roles WHERE rolname='{user}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip():
            password = self.env["BENCH_PGPASSWORD"]
            subprocess.run([*psql, f"CREATE ROLE {user} LOGIN CREATEDB PASSWORD '{password}'"], check=True)
        if not subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname='{database}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip():
            subprocess.run(
                ["createdb", "-h", self.env["BENCH_PGHOST"], "-U", "postgres", "-O", user, database],
                check=True,
            )
        venv = Path(self.env["BENCH_VENV"])
        Path(self.env["BENCH_RESULTS"]).mkdir(parents=True, exist_ok=True)
        if not (venv / "bin" / "python").exists():
            subprocess.run([self.env["BENCH_PYTHON"], "-m", "venv", str(venv)], check=True, env=self.env)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "-r", str(KIT / "requirements.txt")],
            check=True,
            env=self.env,
            timeout=1200,
        )
        shutil.copytree(KIT / "site", self.env["BENCH_SITE"], dirs_exist_ok=True)
        for path in Path(self.env["BENCH_SITE"]).rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)  # the kit is read-only; later copies overwrite
        self._run(self.python, "manage.py", "migrate", "--noinput", "-v", "0")

    def tickets(self) -> int:
        try:
            out = self._run(self.python, "manage.py", "shell", "-c", COUNT, capture=True)
        except subprocess.CalledProcessError:
            return -1
        return int(next(line.split()[1] for line in out.splitlines() if line.startswith("COUNT")))

    def seed(self, tickets: int, *, timeout: float = 3600) -> float:
        """The kit's seed.py --tickets N (it wipes first); returns its wall-clock seconds."""
        started = time.monotonic()
        self._run(self.python, str(KIT / "seed.py"), "--tickets", str(tickets), capture=True, timeout=timeout)
        return time.monotonic() - started

    def start(self) -> None:
        """gunicorn as measure.py starts it: 2 sync workers on 127.0.0.1:BENCH_PORT."""
        log = Path(self.env["BENCH_DIR"]) / "gunicorn-hypercare-bench.log"
        self.server = subprocess.Popen(
            [
                str(Path(self.env["BENCH_VENV"]) / "bin" / "gunicorn"),
                "helpdesk_site.wsgi:application",
                "--workers",
                self.env["BENCH_WORKERS"],
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.env['BENCH_PORT']}",
                "--chdir",
                self.env["BENCH_SITE"],
                "--timeout",
                "120",
                "--error-logfile",
                str(log),
                "--log-level",
                "warning",
            ],
            cwd=self.env["BENCH_SITE"],
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.base}/bench/tiny/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"the peer's gunicorn did not start; see {log}")
        out = self._run(self.python, "-c", LOGIN.format(kit=str(KIT)), capture=True, timeout=120)
        self.session = json.loads(next(line[5:] for line in out.splitlines() if line.startswith("PEER ")))

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=10)
        self.server = None

    def drop_created(self) -> None:
        """Delete the tickets the create runs added, so the data set keeps its size."""
        if self.session:
            code = DROP_CREATED.format(kit=str(KIT), max_seed_id=int(self.session["max_seed_id"]))
            self._run(self.python, "-c", code, timeout=120)

    def endpoints(self) -> dict[str, dict]:
        """label → path, headers and optional form body of each measured peer endpoint."""
        headers = {"Cookie": self.session["cookie"]}
        return {
            "ticket list page": {"path": "/helpdesk/tickets/", "headers": headers},
            "datatables JSON": {"path": self.session["datatables"], "headers": headers},
            "ticket detail": {"path": self.session["detail"], "headers": headers},
            "dashboard": {"path": "/helpdesk/dashboard/", "headers": headers},
            "create": {
                "path": "/helpdesk/tickets/submit/",
                "headers": {**headers, "X-CSRFToken": self.session["csrf"]},
                "body": self.session["create_body"],
                "content_type": "application/x-www-form-urlencoded",
            },
        }
