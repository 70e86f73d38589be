"""DRF hooks of the project (kept apart from hypercare.api to avoid an import cycle with DRF's settings)."""

from rest_framework import status
from rest_framework.views import exception_handler as drf_exception_handler

from hypercare.audit import audit


def exception_handler(exc, context):
    """DRF's handler, plus an audit line for every permission denial."""
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_403_FORBIDDEN:
        request = context.get("request")
        audit(
            "permission.denied",
            actor=getattr(request, "user", None),
            path=getattr(request, "path", ""),
            method=getattr(request, "method", ""),
            reason=str(getattr(exc, "detail", exc)),
        )
    return response
