"""The audit log: security-relevant events with actor, programme and UTC time."""

import logging

from django.utils import timezone

logger = logging.getLogger("hypercare.audit")


def audit(event: str, *, actor=None, programme=None, **details) -> None:
    """Log one security-relevant event (failed login, denial, role change, sign-off)."""
    actor_name = getattr(actor, "username", None) or (str(actor) if actor else "anonymous")
    programme_slug = getattr(programme, "slug", programme) or "-"
    extra = " ".join(f"{key}={value!r}" for key, value in sorted(details.items()))
    logger.info(
        "%s actor=%s programme=%s at=%s %s",
        event,
        actor_name,
        programme_slug,
        timezone.now().isoformat(),
        extra,
    )
