"""The metrics app's modules import each other without a cycle, and only the allowed apps import it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module named in an import of the file, at any depth (a function's imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def app_modules(app: str) -> dict[str, Path]:
    return {
        module_name(path): path
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    }


def test_the_metrics_modules_import_each_other_without_a_cycle():
    modules = app_modules("metrics")
    graph = {
        name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()
    }
    # A package's __init__ re-exports its submodules: importing them is not a way back into it.
    graph["metrics.services"] = set()
    for name, edges in graph.items():
        if name.startswith("metrics.services."):
            edges.discard("metrics.services")

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for following in graph[node]:
                if following == start:
                    return [*path, start]
                if following not in path:
                    stack.append((following, [*path, following]))
        return None

    cycles = {name: cycle_from(name) for name in graph}
    assert not {name: cycle for name, cycle in cycles.items() if cycle}


def test_only_the_status_reports_read_the_metric_selectors_sideways():
    """Layers go one way; the metric selectors are the one sideways import releases may make."""
    for app in ("triage", "releases"):
        for name, path in app_modules(app).items():
            metrics = {m for m in imports_of(path) if m == "metrics" or m.startswith("metrics.")}
            if name == "releases.services.comms":
                assert metrics <= {"metrics", "metrics.selectors", "metrics.selectors.Window"}, metrics
            else:
                assert not metrics, (name, metrics)
    for name, path in app_modules("metrics").items():
        higher = {m for m in imports_of(path) if m.split(".")[0] in {"handover", "releases", "triage"}}
        assert not higher, (name, higher)


# The layers (README "Layout"): an app imports only from the apps below it. Apps on the same
# floor do not import each other (the one sideways import is held by the test above).
LAYERS = {
    "hypercare": 0,
    "sla": 1,
    "tickets": 2,
    "triage": 3,
    "metrics": 3,
    "releases": 3,
    "intake": 3,
    "handover": 4,
}


def test_the_intake_app_sits_beside_triage_and_no_app_on_or_below_its_floor_imports_it():
    for app in LAYERS:
        for name, path in app_modules(app).items():
            imported = {m.split(".")[0] for m in imports_of(path)} & set(LAYERS)
            if app == "intake":
                assert all(LAYERS[other] < LAYERS["intake"] for other in imported - {"intake"}), (
                    name,
                    imported,
                )
            elif LAYERS[app] <= LAYERS["intake"]:
                assert "intake" not in imported, (name, imported)
