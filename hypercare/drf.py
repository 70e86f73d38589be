"""DRF hooks of the project (kept apart from hypercare.api to avoid an import cycle with DRF's settings)."""

from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from hypercare.access import ProgrammeClosed
from hypercare.audit import audit


class ProgrammeClosedConflict(exceptions.APIException):
    """A write to a closed programme: 409, with the message that points to the BAU service desk."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Hypercare of this programme is closed."
    default_code = "programme_closed"


def exception_handler(exc, context):
    """DRF's handler, plus an audit line for every permission denial; a write to a closed
    programme (ProgrammeClosed, from any service) answers 409 Conflict."""
    closed = isinstance(exc, ProgrammeClosed)
    if closed:
        exc = ProgrammeClosedConflict(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and (response.status_code == status.HTTP_403_FORBIDDEN or closed):
        request = context.get("request")
        audit(
            "permission.denied",
            actor=getattr(request, "user", None),
            path=getattr(request, "path", ""),
            method=getattr(request, "method", ""),
            reason=str(getattr(exc, "detail", exc)),
        )
    return response
