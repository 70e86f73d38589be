"""E-mail intake against a real IMAP server: a member's mail becomes a ticket, a reply a comment,
strangers get one answer, robots are ignored, and every mail is processed exactly once."""

from __future__ import annotations

import pytest

from hypercare.access import get_programme_for
from hypercare.vocabulary import Status, Tier
from intake import services
from intake.models import InboundMail, Outcome
from sla.matrix import UNTRIAGED_SEVERITY
from tests.intake.conftest import mail
from tickets import services as tickets
from tickets.models import Attachment, Comment, Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

BODY = """The quote PDF is blank for every opportunity in EMEA.
It started after this morning's release.

--
Chris Champion
Sales Operations, Acme
+44 20 7946 0000

On Tue, 1 Dec 2026 at 09:00, Desk <desk@acme.example> wrote:
> Can you tell us more?
"""


def test_it_logs_a_members_mail_as_an_untriaged_ticket_for_the_desk(imap_server, poll, champion):
    imap_server.append(
        mail(
            sender=f"Chris Champion <{champion.user.email.upper()}>",
            subject="Fwd: Quote PDF is blank",
            body=BODY,
            attachments=[("screen.png", PNG, "image/png")],
        )
    )

    assert poll() == 1

    ticket = Ticket.objects.get()
    assert ticket.reporter == champion.user
    assert ticket.title == "Quote PDF is blank"
    assert ticket.description == (
        "The quote PDF is blank for every opportunity in EMEA.\nIt started after this morning's release."
    )
    # Triage answers unknown: the desk triages it from the Tier 2 queue.
    assert (ticket.impact_scope, ticket.workaround, ticket.blocks_vital_process) == ("", "", None)
    assert ticket.severity == UNTRIAGED_SEVERITY and ticket.triaged_at is None
    assert (ticket.status, ticket.tier) == (Status.NEW, Tier.TIER2)
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.original_name, attachment.content_type) == ("screen.png", "image/png")
    assert InboundMail.objects.get().outcome == Outcome.TICKET
    assert imap_server.unseen() == 0


def test_it_turns_a_reply_carrying_the_reference_into_a_public_comment(imap_server, poll, champion, desk):
    imap_server.append(mail(sender=champion.user.email, subject="Cannot save opportunities"))
    poll()
    ticket = Ticket.objects.get()

    imap_server.append(
        mail(
            sender=champion.user.email,
            subject=f"RE: [{ticket.reference}] Cannot save opportunities",
            body="It fails on opportunity 0065g00000XyZ.\n\n> Which opportunity?\n",
        )
    )
    imap_server.append(
        mail(sender=desk.user.email, subject=f"{ticket.reference.lower()} seen", body="On it.")
    )
    assert poll() == 2

    assert Ticket.objects.count() == 1
    comments = list(Comment.objects.filter(ticket=ticket).order_by("pk"))
    assert [(c.author, c.body, c.internal) for c in comments] == [
        (champion.user, "It fails on opportunity 0065g00000XyZ.", False),
        (desk.user, "On it.", False),
    ]


def test_it_answers_a_stranger_once_naming_the_leads_and_logs_nothing(imap_server, poll, lead, mailoutbox):
    lead.user.first_name, lead.user.last_name = "Lee", "Lead"
    lead.user.save()
    for subject in ("Printer broken", "Printer still broken"):
        imap_server.append(mail(sender="Sam Stranger <sam@elsewhere.example>", subject=subject))

    assert poll() == 2

    assert not Ticket.objects.exists()
    assert len(mailoutbox) == 1
    answer = mailoutbox[0]
    assert answer.to == ["sam@elsewhere.example"]
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert "Lee Lead" in answer.body and lead.user.email not in answer.body
    assert "nothing was recorded" in answer.body
    assert set(InboundMail.objects.values_list("outcome", flat=True)) == {Outcome.NOT_MEMBER}


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"List-Id": "<announce.acme.example>"},
        {"List-Unsubscribe": "<mailto:leave@acme.example>"},
        {"Content-Type": "multipart/report; report-type=delivery-status; boundary=x"},
        # Not a robot, but a forged sender: the receiving server's DMARC check failed.
        {"Authentication-Results": "mx.acme.example; spf=fail; dmarc=fail header.from=acme.example"},
    ],
)
def test_it_ignores_auto_replies_and_bulk_mail(imap_server, poll, champion, mailoutbox, headers):
    imap_server.append(mail(sender=champion.user.email, subject="Out of office", headers=headers))
    imap_server.append(mail(sender="robot@elsewhere.example", subject="Newsletter", headers=headers))

    poll()

    assert not Ticket.objects.exists() and not mailoutbox
    assert set(InboundMail.objects.values_list("outcome", flat=True)) == {Outcome.IGNORED}


def test_it_refuses_a_mail_whose_attachment_an_upload_would_refuse(imap_server, poll, champion, mailoutbox):
    imap_server.append(
        mail(
            sender=champion.user.email,
            subject="Tool crashes",
            attachments=[("fix.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream")],
        )
    )

    poll()

    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    kept = InboundMail.objects.get()
    assert kept.outcome == Outcome.REFUSED and "fix.exe is not a file type we accept" in kept.error
    assert mailoutbox[0].to == [champion.user.email]
    assert "fix.exe is not a file type we accept" in mailoutbox[0].body


class WorkerDied(BaseException):
    """What a killed worker looks like from inside: no `except Exception` catches it."""


def test_a_mail_killed_mid_processing_is_processed_exactly_once_by_the_next_poll(
    imap_server, poll, champion, monkeypatch
):
    handle = services._handle

    def die_after_the_work(record, *args):
        handle(record, *args)  # the mail is claimed and its ticket written, uncommitted
        raise WorkerDied

    raw = mail(sender=champion.user.email, subject="Invoices stuck in draft")
    imap_server.append(raw)
    monkeypatch.setattr(services, "_handle", die_after_the_work)
    with pytest.raises(WorkerDied):
        poll()
    assert not Ticket.objects.exists() and not InboundMail.objects.exists()
    assert imap_server.unseen() == 1  # still waiting in the mailbox

    monkeypatch.setattr(services, "_handle", handle)
    assert poll() == 1
    imap_server.append(raw)  # the same mail again (a resend, a second copy): same Message-ID
    assert poll() == 0

    assert Ticket.objects.get().title == "Invoices stuck in draft"
    assert InboundMail.objects.get().outcome == Outcome.TICKET


def test_a_failing_mail_is_kept_for_the_leads_and_can_be_processed_again(
    imap_server, poll, champion, lead, monkeypatch, client
):
    raw = mail(sender=champion.user.email, subject="Reports time out")
    imap_server.append(raw)
    monkeypatch.setattr(
        services.tickets, "ticket_create", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("disk full"))
    )
    poll()
    kept = InboundMail.objects.get()
    assert kept.outcome == Outcome.FAILED and bytes(kept.raw) == raw and "disk full" in kept.error
    assert imap_server.unseen() == 0  # read, and kept here rather than in the mailbox

    client.force_login(lead.user)
    page = client.get(f"/p/{lead.programme.slug}/intake/")
    assert "Reports time out" in page.content.decode() and "disk full" in page.content.decode()
    download = client.get(f"/p/{lead.programme.slug}/intake/mails/{kept.pk}/raw/")
    assert download.content == raw and download["Content-Disposition"].startswith("attachment")

    monkeypatch.undo()
    client.post(f"/p/{lead.programme.slug}/intake/mails/{kept.pk}/retry/")
    assert Ticket.objects.get().title == "Reports time out"
    retried = InboundMail.objects.get()
    assert (retried.outcome, retried.attempts) == (Outcome.TICKET, 2)


def test_the_beat_task_reads_every_enabled_mailbox_and_a_failing_login_is_shown_to_the_lead(
    imap_server, mailbox, champion, lead, client, django_capture_on_commit_callbacks
):
    from intake.tasks import poll_mailboxes_task

    imap_server.append(mail(sender=champion.user.email, subject="Forecast page empty"))
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_mailboxes_task() == 1
    assert Ticket.objects.get().title == "Forecast page empty"

    access = get_programme_for(lead.user, lead.programme.slug)
    services.mailbox_save(access=access, password="wrong")
    imap_server.append(mail(sender=champion.user.email, subject="Second issue"))
    assert poll_mailboxes_task() == 0  # logged, not raised: other mailboxes still get read

    client.force_login(lead.user)
    page = client.get(f"/p/{lead.programme.slug}/intake/").content.decode()
    assert "The last read failed" in page and "LoginError" in page
    assert Ticket.objects.count() == 1 and imap_server.unseen() == 1  # waits for the right password


def test_the_reporters_reply_resumes_a_clock_waiting_on_them(imap_server, poll, champion, desk):
    imap_server.append(mail(sender=champion.user.email, subject="Cannot export the forecast"))
    poll()
    ticket = Ticket.objects.get()
    tickets.ticket_transition(
        access=get_programme_for(desk.user, desk.programme.slug),
        ticket=ticket,
        status=Status.WAITING_ON_REPORTER,
        comment="Which forecast?",
    )

    imap_server.append(mail(sender=champion.user.email, subject=f"Re: [{ticket.reference}] Cannot export"))
    poll()

    ticket.refresh_from_db()
    assert Comment.objects.filter(ticket=ticket, author=champion.user).exists()
    assert ticket.status != Status.WAITING_ON_REPORTER
