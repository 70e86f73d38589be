"""Thin Celery tasks of the e-mail intake."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def poll_mailboxes_task() -> int:
    """Read every enabled intake mailbox (run every minute by beat); one failing mailbox does not stop the others."""
    from intake.models import Mailbox

    processed = 0
    for mailbox_id in Mailbox.objects.filter(enabled=True).values_list("pk", flat=True):
        processed += poll_mailbox_task(mailbox_id)
    return processed


@shared_task(acks_late=True)
def poll_mailbox_task(mailbox_id: int) -> int:
    from intake.models import Mailbox
    from intake.services import mailbox_poll

    mailbox = Mailbox.objects.select_related("programme").filter(pk=mailbox_id, enabled=True).first()
    if mailbox is None:
        return 0
    try:
        return mailbox_poll(mailbox=mailbox)
    except Exception:  # recorded on the mailbox (last_error) for the lead's page
        logger.exception("Polling intake mailbox %s failed", mailbox_id)
        return 0


@shared_task(acks_late=True)
def chat_respond_task(url: str, message: dict) -> int | None:
    """Post the bot's answer to a Slack response_url; the status code, or None when it failed."""
    from intake.chat.delivery import respond

    return respond(url=url, message=message)
