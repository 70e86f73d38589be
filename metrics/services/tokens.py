"""Ingestion tokens: a pipeline's key to one programme's telemetry, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme
from metrics.models import (
    IngestionToken,
)

TOKEN_PREFIX = "hct_"


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: IngestionToken
    key: str  # shown once, never stored


@transaction.atomic
def ingestion_token_create(*, programme: Programme, name: str, by, at: datetime | None = None) -> NewToken:
    """Create a pipeline token for this programme's telemetry; the key is returned once and only its hash kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after the pipeline that will use it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = IngestionToken.objects.create(
        programme=programme,
        name=name,
        prefix=key[:10],
        key_hash=_hash(key),
        created_by=by,
        created_at=at or timezone.now(),
    )
    audit("metrics.token_created", actor=by, programme=programme, token=token.prefix, name=name)
    return NewToken(token, key)


@transaction.atomic
def ingestion_token_revoke(*, token: IngestionToken, by, at: datetime | None = None) -> IngestionToken:
    """Revoke a token at once; a second revoke changes nothing."""
    at = at or timezone.now()
    IngestionToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=at, revoked_by=by)
    token.refresh_from_db()
    audit("metrics.token_revoked", actor=by, programme=token.programme, token=token.prefix)
    return token


def ingestion_token_authenticate(key: str, *, at: datetime | None = None) -> IngestionToken | None:
    """The active token with this key, its use recorded; None for an unknown or revoked key."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = IngestionToken.objects.active().select_related("programme").filter(key_hash=_hash(key)).first()
    if token is not None:
        token.last_used_at = at or timezone.now()
        IngestionToken.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token
