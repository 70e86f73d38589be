"""Server time of every page at several data sizes, measured in-process and interleaved.

    .venv/bin/python bench/inprocess.py --sizes 10000,100000,1000000

Uses the databases `bench/run.py --keep` leaves (hc_bench_<size>). Each round requests every
page once per size, in turn, through Django's test client (no network, no gunicorn), so a
busy machine slows every size alike; the figure is the median of the rounds. It answers "does
the cost follow the page or the database?" with less noise than wrk on a shared machine.
Aggregate caches are off (HYPERCARE_AGGREGATE_CACHE_SECONDS=0): dashboards are timed as when
they recompute, unless --cached is given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, statistics, sys, time
from django.test import Client
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from bench.targets import PAGES, _resolve
from tickets.models import Ticket
slug = "bench-1"
users = get_user_model().objects
ref = Ticket.objects.filter(programme__slug=slug, status="in_progress").order_by("-id").values_list("reference", flat=True).first()
clients = {}
for persona in ("desk", "champion", "lead"):
    c = Client(SERVER_NAME="127.0.0.1"); c.force_login(users.get(username=f"{slug}-{persona}-1")); clients[persona] = (c, {})
token, _ = Token.objects.get_or_create(user=users.get(username=f"{slug}-desk-1"))
clients["api"] = (Client(SERVER_NAME="127.0.0.1"), {"HTTP_AUTHORIZATION": f"Token {token.key}"})
targets = [(label, persona, _resolve(names, [slug, ref] if needs else [slug])) for label, persona, names, needs in PAGES]
targets.append(("ticket list API", "api", f"/api/v1/programmes/{slug}/tickets/"))
tickets = Ticket.objects.filter(programme__slug=slug)
deep_api = min(1000, -(-tickets.count() // 50))
targets.append(("ticket list API, page 1,000 (or the last)", "api", f"/api/v1/programmes/{slug}/tickets/?page={deep_api}"))
queue = _resolve(["tickets:queue"], [slug])
deep_queue = min(1000, -(-tickets.filter(tier=2).count() // 25))
targets.append(("Tier 2 queue, every status, page 1,000 (or the last)", "desk", f"{queue}?view=tier2&status=any&page={deep_queue}"))
for line in sys.stdin:
    label = line.strip()
    for name, persona, path in targets:
        if name == label:
            c, h = clients[persona]
            t = time.perf_counter(); r = c.get(path, **h); ms = (time.perf_counter() - t) * 1000
            print(json.dumps({"label": label, "ms": ms, "status": r.status_code}), flush=True)
    if label == "LIST":
        print(json.dumps({"labels": [t[0] for t in targets]}), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cached", action="store_true", help="keep the dashboards' minute caches on")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench-inprocess.json"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.run import env_for

    sizes = [int(s) for s in args.sizes.split(",")]
    children = {}
    for size in sizes:
        env = env_for(f"hc_bench_{size}")
        env["HYPERCARE_AGGREGATE_CACHE_SECONDS"] = "60" if args.cached else "0"
        children[size] = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", CHILD],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(size: int, line: str) -> dict:
        child = children[size]
        child.stdin.write(line + "\n")
        child.stdin.flush()
        while True:
            out = child.stdout.readline()
            if out.startswith("{"):
                return json.loads(out)
            if not out:
                raise RuntimeError(f"the {size} process ended")

    labels = ask(sizes[0], "LIST")["labels"]
    times: dict = {label: {size: [] for size in sizes} for label in labels}
    for label in labels:  # warm every process and page once
        for size in sizes:
            ask(size, label)
    for _ in range(args.rounds):
        for label in labels:
            for size in sizes:
                result = ask(size, label)
                if result["status"] != 200:
                    raise SystemExit(f"{label} at {size}: HTTP {result['status']}")
                times[label][size].append(result["ms"])
    for child in children.values():
        child.stdin.close()
        child.wait(timeout=60)
    medians = {label: {size: statistics.median(v) for size, v in by.items()} for label, by in times.items()}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(medians, indent=2))
    head = "| page | " + " | ".join(f"{s:,} tickets (ms)" for s in sizes) + " | largest ÷ smallest |"
    print(head)
    print("|---|" + "---:|" * (len(sizes) + 1))
    for label, by in medians.items():
        cells = " | ".join(f"{by[s]:.1f}" for s in sizes)
        print(f"| {label} | {cells} | {by[sizes[-1]] / by[sizes[0]]:.2f}× |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
