"""Template helpers shared by every app's pages: role checks for the programme navigation."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def has_role(access, roles: str) -> bool:
    """Whether the member holds any of `roles` (comma-separated role values): `access|has_role:"sponsor"`."""
    if access is None or not hasattr(access, "has_role"):
        return False
    return access.has_role(*(role.strip() for role in roles.split(",") if role.strip()))
