"""The route inventory: every URL pattern the resolver knows, by name, with its path and parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"; unnamed patterns get "<unnamed> <path>"
    path: str  # the pattern as text, e.g. "p/<slug:slug>/tickets/<ticket_ref:reference>/"
    callback: object
    default_kwargs: tuple = ()

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:[^:>]+:)?([^>]+)>", self.path) + re.findall(r"\(\?P<([^>]+)>", self.path)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def drf_actions(self) -> dict | None:
        """For a DRF viewset route: the HTTP methods it maps ({"get": "list", …})."""
        return getattr(self.callback, "actions", None)


def _pattern_text(pattern) -> str:
    return str(pattern.pattern)


def walk(resolver=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every URL pattern below `resolver`, depth first, with its full path and namespaced name."""
    resolver = resolver or get_resolver()
    routes: list[Route] = []
    for entry in resolver.url_patterns:
        text = prefix + _pattern_text(entry)
        if isinstance(entry, URLResolver):
            child_ns = namespace
            if entry.namespace:
                child_ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            routes.extend(walk(entry, text, child_ns))
        elif isinstance(entry, URLPattern):
            if entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                name = f"<unnamed> {text}"
            routes.append(
                Route(name, text, entry.callback, tuple(sorted((entry.default_args or {}).items())))
            )
    return routes


def inventory() -> dict[str, list[Route]]:
    """Routes grouped by name (a name may serve several paths, e.g. a router's format suffixes)."""
    grouped: dict[str, list[Route]] = {}
    for route in walk():
        grouped.setdefault(route.name, []).append(route)
    return grouped
