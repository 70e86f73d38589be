"""Uploaded evidence and documents: a size limit, and the type checked by content, never by name."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from tickets.services import sniff_content_type

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# Documents are PDFs, images, Office files (ZIP) or plain text such as Markdown: checked by content.
DOCUMENT_TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".csv", ".json", ".xml", ".log", ".yaml", ".yml")


def check_upload(upload: UploadedFile | None, field: str) -> None:
    """Refuse a file over the size limit, or one whose content is not a type we accept."""
    if upload is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError({field: f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."})
    if upload is not None:
        name = (upload.name or "").lower()
        upload.seek(0)
        head = upload.read(2048)
        upload.seek(0)
        if sniff_content_type(head, name) is None and not (
            name.endswith(DOCUMENT_TEXT_SUFFIXES) and sniff_content_type(head, "document.txt")
        ):
            raise ValidationError(
                {field: f"{upload.name} is not a file type we accept: PDF, images, Office/ZIP or text."}
            )
