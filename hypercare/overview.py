"""The programme page's figures and panels, provided by the apps that own them.

The core imports no feature app: an app registers a provider in its `AppConfig.ready`, and the
programme page asks every provider for its figures, as the member may see them, and every
panel provider for an HTML fragment (rendered from an escaping template; "" for nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

from hypercare.access import ProgrammeAccess

Provider = Callable[[ProgrammeAccess], dict]
_providers: dict[str, Provider] = {}
Panel = Callable[[ProgrammeAccess], str]
_panels: dict[str, Panel] = {}


def provide(name: str, provider: Provider) -> None:
    """Register (or replace) the provider `name`; its figures land in the page's context under `name`."""
    _providers[name] = provider


def figures(access: ProgrammeAccess) -> dict[str, dict]:
    return {name: provider(access) for name, provider in _providers.items()}


def provide_panel(name: str, panel: Panel) -> None:
    """Register (or replace) a panel of the programme page, shown in registration order."""
    _panels[name] = panel


def panels(access: ProgrammeAccess) -> list[SafeString]:
    return [mark_safe(html) for panel in _panels.values() if (html := panel(access))]  # noqa: S308 -- escaping templates
