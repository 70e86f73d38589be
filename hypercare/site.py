"""The address links in e-mails, webhooks and reports point to.

SITE_URL when it is configured (what production sets: the public address behind the proxy);
without it, the address the app is served on: the request's own origin when there is a request,
else the origin of the latest request the app answered (recorded by SiteAddressMiddleware in the
shared cache, so the Celery worker that sends e-mails knows it too).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

CACHE_KEY = "hypercare:served-at"
# Only before the app has answered any request (e.g. a management command on a fresh install).
FALLBACK = "http://localhost:8000"


def site_url(request: HttpRequest | None = None) -> str:
    """The site's origin, without a trailing slash, e.g. "https://hypercare.example.com"."""
    configured = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if configured:
        return configured
    if request is not None:
        return _origin(request)
    return cache.get(CACHE_KEY) or FALLBACK


def absolute(path: str, request: HttpRequest | None = None) -> str:
    """A link a reader outside the browser can follow: the path on the site's address."""
    if not path or "://" in path:
        return path
    return site_url(request) + path


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


class SiteAddressMiddleware:
    """Remembers the address the app is served on, for links built without a request. Writes the
    cache only when the address changes (once per process, in practice)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.last = None

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(settings, "SITE_URL", "") and 200 <= response.status_code < 400:
            try:
                origin = _origin(request)
            except Exception:  # noqa: BLE001 (a host ALLOWED_HOSTS refuses is never recorded)
                return response
            if origin != self.last:
                cache.set(CACHE_KEY, origin, None)
                self.last = origin
        return response
