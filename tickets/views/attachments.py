"""A ticket's attachments, downloaded by the members who may see them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from hypercare.access import get_programme_for
from tickets import selectors


@require_GET
@login_required
def attachment_download(request: HttpRequest, slug: str, reference: str, pk: int) -> FileResponse:
    """An attachment, always downloaded (never shown inline), only to members who may see the ticket."""
    access = get_programme_for(request.user, slug)
    ticket = selectors.ticket_for_page(access, reference)
    attachment = get_object_or_404(selectors.ticket_attachments(access, ticket), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
