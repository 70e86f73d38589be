"""Reading a mail: the new text without signature or quoted history, the reference, robots."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from intake.parsing import clean_subject, parse, reference_in, trim_body


@pytest.mark.parametrize(
    "body",
    [
        "Saving fails.\n\n-- \nChris\nSales Ops",
        "Saving fails.\n\nSent from my iPhone",
        "Saving fails.\n\nOn Tue, 1 Dec 2026 at 09:00, Desk <desk@acme.example> wrote:\n> What fails?",
        "Saving fails.\n\n-----Original Message-----\nFrom: Desk\nSubject: ACME-3",
        "Saving fails.\n\n________________________________\nFrom: Desk <desk@acme.example>\nSent: Tuesday",
        "Saving fails.\r\n> quoted line\r\n",
    ],
    ids=["sig-dashes", "phone-footer", "gmail-quote", "original-message", "outlook-rule", "interleaved"],
)
def test_it_keeps_only_the_new_text(body):
    assert trim_body(body) == "Saving fails."


def test_it_reads_the_text_of_an_html_only_mail_without_the_quoted_part():
    message = EmailMessage()
    message["From"] = "Chris <Chris@Acme.example>"
    message["Subject"] = "Re: [ACME-7] Quote"
    message.set_content(
        "<p>It still fails &amp; shows <b>blank</b>.</p><blockquote>old text</blockquote>", subtype="html"
    )

    mail = parse(message.as_bytes())

    assert mail.body == "It still fails & shows blank."
    assert mail.sender == "chris@acme.example"
    assert mail.message_id.startswith("sha256:")  # no Message-ID: keyed on its bytes


@pytest.mark.parametrize(
    ("subject", "reference"),
    [
        ("[ACME-12] Quote PDF blank", "ACME-12"),
        ("RE: AW: acme-12 still broken", "ACME-12"),
        ("About ACME-120", "ACME-120"),
        ("XACME-12 is another programme", None),
        ("ACME-12x", None),
        ("Quote PDF blank", None),
    ],
)
def test_it_finds_the_reference_in_the_subject(subject, reference):
    assert reference_in(subject, "ACME") == reference


def test_it_drops_reply_and_forward_prefixes_from_the_title():
    assert clean_subject("RE: Fwd: AW: Quote PDF blank") == "Quote PDF blank"


def test_it_takes_mailer_daemons_and_no_reply_senders_for_robots():
    for sender in ("MAILER-DAEMON@mx.acme.example", "no-reply@vendor.example"):
        raw = f"From: {sender}\r\nSubject: Undelivered\r\n\r\nYour mail bounced.\r\n".encode()
        assert parse(raw).automatic == f"sent by {sender.split('@')[0].lower()}"
