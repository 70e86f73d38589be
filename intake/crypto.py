"""The mailbox password at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key from the settings."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> Fernet:
    key = getattr(settings, "INTAKE_ENCRYPTION_KEY", "")
    if key:
        try:
            return Fernet(key)
        except ValueError as error:
            raise ImproperlyConfigured(
                "INTAKE_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)."
            ) from error
    # No key of its own: one derived from SECRET_KEY (rotating SECRET_KEY then means re-entering passwords).
    digest = hashlib.sha256(b"hypercare.intake.mailbox:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "The stored mailbox password cannot be decrypted with the current key: enter it again."
        ) from error
