"""Reading one raw mail: who sent it, what it says (without signature and quoted history),
its attachments, and whether it is an auto-reply or bulk mail. Pure functions, no database."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html import unescape


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    message_id: str
    sender: str  # the From address, lower-case
    sender_name: str
    subject: str
    body: str  # trimmed: no signature, no quoted history
    attachments: list[Attachment] = field(default_factory=list)
    automatic: str = ""  # why it is an auto-reply or bulk mail ("" when a person wrote it)
    forged: str = ""  # why the From address cannot be trusted ("" when nothing says so)


def parse(raw: bytes) -> Mail:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    name, address = parseaddr(str(message.get("From", "")))
    return Mail(
        message_id=message_id_of(message, raw),
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=_header(message, "Subject"),
        body=trim_body(_text_of(message)),
        attachments=_attachments_of(message),
        automatic=automatic_reason(message),
        forged=forged_reason(message),
    )


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    """The Message-ID; a mail without one is keyed on a digest of its bytes, so it too is read once."""
    value = _header(message, "Message-ID").strip()
    if value:
        return value[:255]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _header(message: EmailMessage, name: str) -> str:
    try:
        return " ".join(str(message.get(name, "") or "").split())
    except (ValueError, TypeError, IndexError):  # a header too broken for the parser to decode
        return ""


def automatic_reason(message: EmailMessage) -> str:
    """Why a mail is not from a person (RFC 3834 Auto-Submitted, Precedence, list headers), or ""."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe"):
        if message.get(name) is not None:
            return f"{name} header"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "X-Autoreply header"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    local = parseaddr(str(message.get("From", "")))[1].split("@")[0].lower()
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}:
        return f"sent by {local}"
    return ""


def forged_reason(message: EmailMessage) -> str:
    """Why the From address is not to be believed: the receiving server's DMARC verdict (RFC 8601
    Authentication-Results) says it failed. Intake trusts From, so its mail server must check it."""
    for value in message.get_all("Authentication-Results") or []:
        if re.search(r"\bdmarc=fail\b", str(value), re.I):
            return "Authentication-Results: dmarc=fail"
    return ""


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        content = _html_to_text(content)
    return content


def _html_to_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|head).*?</\1>", "", html)
    html = re.sub(r"(?is)<blockquote.*?</blockquote>", "", html)  # quoted history
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", html)
    return unescape(re.sub(r"<[^>]+>", "", html))


def _attachments_of(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        content = part.get_payload(decode=True) or b""
        if not name and part.get_content_disposition() != "attachment":
            continue  # an inline part without a name (a signature logo): not something the reporter sent
        found.append(Attachment(name=name or "attachment", content=content))
    return found


# Where the reply ends and the history it quotes begins.
_HISTORY = [
    re.compile(r"^\s*On .{1,200}wrote:\s*$", re.I),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^\s*Le .{1,200}a écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am .{1,200}schrieb .{1,200}:\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted headers
    re.compile(r"^\s*From:\s.+$"),  # Outlook's quoted header block (From:, Sent:, To:, Subject:)
]
# Where the signature begins: the standard "-- " delimiter and phone footers.
_SIGNATURE = [
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*Sent from my \w+", re.I),
    re.compile(r"^\s*Get Outlook for \w+", re.I),
]


def trim_body(text: str) -> str:
    """The new text of a mail: up to the quoted history or the signature, whichever comes first."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = []
    for line in lines:
        if any(p.match(line) for p in _HISTORY) or any(p.match(line) for p in _SIGNATURE):
            break
        if line.lstrip().startswith(">"):
            continue  # an interleaved quote
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)


def clean_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes: a ticket's title."""
    return _REPLY_PREFIX.sub("", subject).strip()


def reference_in(subject: str, prefix: str) -> str | None:
    """The ticket reference in a subject ("[ACME-12] …" or "Re: ACME-12 …"), upper-cased, or None."""
    match = re.search(rf"(?<![\w-])\[?({re.escape(prefix)}-\d+)\]?(?![\w-])", subject, re.I)
    return match.group(1).upper() if match else None


def addresses(value: str) -> list[str]:
    return [address.lower() for _, address in getaddresses([value]) if address]
