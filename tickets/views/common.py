"""What every ticket page shares: rendering in the programme's time zone and a safe `next`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme


def render_page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render in the programme's time zone, so every time on the page is the business's local time."""
    programme = context["programme"]
    with timezone.override(programme.timezone):
        return render(request, template, context, status=status)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the request names when it is a path of this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
