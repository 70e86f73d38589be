"""The programme page's figures, provided by the apps that own them.

The core imports no feature app: an app registers a provider in its `AppConfig.ready`, and the
programme page asks every provider for its figures, as the member may see them.
"""

from __future__ import annotations

from collections.abc import Callable

from hypercare.access import ProgrammeAccess

Provider = Callable[[ProgrammeAccess], dict]
_providers: dict[str, Provider] = {}


def provide(name: str, provider: Provider) -> None:
    """Register (or replace) the provider `name`; its figures land in the page's context under `name`."""
    _providers[name] = provider


def figures(access: ProgrammeAccess) -> dict[str, dict]:
    return {name: provider(access) for name, provider in _providers.items()}
