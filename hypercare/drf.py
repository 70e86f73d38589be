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


# The refusals any API operation can give, documented once instead of on every view: the
# request was malformed (400), had no valid credentials (401), the role may not do it (403),
# the programme or object is not one the caller sees (404), a write met a closed programme or
# a concurrent change (409), a body came in a type the operation does not read (415), or the
# caller was throttled (429). Each answers JSON, {"detail": …} or {field: [messages]}.
REFUSALS = {
    "400": "The request is malformed; the body names each field or parameter at fault.",
    "401": "No valid credentials (a token or a session).",
    "403": "The caller's role may not do this.",
    "404": "No such programme or object among those the caller may see.",
    "409": "The change conflicts with the current state (e.g. a closed programme).",
    "415": "The body's content type is not one this operation reads.",
    "429": "Too many requests or failed attempts; try again later.",
}
WRITE_ONLY_REFUSALS = {"409", "415"}
ERROR_SCHEMA = {
    "type": "object",
    "description": 'An error: {"detail": "…"} or, for invalid input, {"field": ["message", …]}.',
    "additionalProperties": True,
}


def document_refusals(result, generator, request, public):
    """drf-spectacular post-processing hook: add the refusals above to every operation that
    does not document them already (an operation's own description of a code wins)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ApiError", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/ApiError"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in REFUSALS.items():
                if code in WRITE_ONLY_REFUSALS and method == "get":
                    continue
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result


def _redirect_operation(summary: str, description: str, found: str) -> dict:
    return {
        "operationId": summary.lower().replace(" ", "_"),
        "summary": summary,
        "description": description,
        "tags": ["single sign-on"],
        "security": [],
        "responses": {
            "302": {"description": found},
            "404": {"description": "Single sign-on is not configured (no OIDC_ISSUER)."},
        },
    }


def document_sso(result, generator, request, public):
    """drf-spectacular post-processing hook: the two OpenID Connect endpoints, browser redirects
    rather than API views, so a script or a proxy rule can rely on them as documented."""
    paths = result.setdefault("paths", {})
    paths["/oidc/authenticate/"] = {
        "get": _redirect_operation(
            "Start single sign-on",
            "Sends the browser to the identity provider (authorization code flow with state and nonce).",
            "To the identity provider's authorization endpoint.",
        )
    }
    paths["/oidc/callback/"] = {
        "get": _redirect_operation(
            "Finish single sign-on",
            "The identity provider returns here; a verified e-mail of an invited member signs them in.",
            "Into the app when the e-mail matches an invited member, else to the refusal page.",
        )
    }
    return result
