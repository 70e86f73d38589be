"""Every URL the resolver knows is declared in the access matrix, with each method it serves."""

from django.urls import get_resolver

from tests.security.access_matrix import MATRIX, METHODS, entry_for
from tests.security.routes import inventory, walk


def test_it_declares_every_route_of_the_resolver():
    missing = [
        f"{name}  (/{routes[0].path})" for name, routes in inventory().items() if entry_for(name) is None
    ]
    assert not missing, (
        "These routes are not in tests/security/access_matrix.py; declare who may use them:\n  "
        + "\n  ".join(missing)
    )


def test_it_has_no_stale_entries():
    names = set(inventory())
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"The access matrix names routes that no longer exist: {stale}"


def test_it_declares_every_viewset_method():
    """A DRF route serves exactly the methods its router maps: each must be declared."""
    undeclared = []
    for route in walk():
        entry = entry_for(route.name)
        if entry is None or not route.drf_actions:
            continue
        for method in route.drf_actions:
            # HEAD is GET without the body (checked with it by test_no_get_changes_anything).
            if method.upper() != "HEAD" and method.upper() not in entry.methods:
                undeclared.append(f"{route.name} {method.upper()}")
    assert not undeclared, f"Methods served but not declared in the access matrix: {undeclared}"


def test_every_declaration_names_every_role_and_a_known_method():
    from tests.security.world import ROLES

    for name, entry in MATRIX.items():
        for method, outcomes in entry.methods.items():
            assert method in METHODS, f"{name}: unknown method {method}"
            assert set(outcomes) == set(ROLES), f"{name} {method}: roles {sorted(set(ROLES) ^ set(outcomes))}"


def test_the_walk_finds_the_whole_resolver():
    # A guard on the walker itself: it sees the app URLconfs, the API and the admin.
    names = {route.name for route in walk(get_resolver())}
    assert {"tickets:queue", "api:ticket-list", "admin:index", "healthz"} <= names
