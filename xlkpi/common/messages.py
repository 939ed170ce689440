"""E-mail messages as received: their attachments, when they arrived, and names safe to save under.

Used by ``xlkpi fetch`` (messages from the mailbox) and by ``xlkpi collect`` (``.eml`` files a clerk saved
into the inbox by hand), so a message is read the same way whichever path it came by.  Only the standard
library's :mod:`email` parser is used; nothing in a message is ever run or followed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

#: a forwarded message inside a forwarded message … is opened this deep, no deeper
MAX_MESSAGE_DEPTH = 12  # a return forwarded from office to office (Fwd: Fwd: …)
MAX_ATTACHMENTS = 500
#: names Windows refuses whatever their extension ("CON.xlsx" too)
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME_LENGTH = 120
#: a file name's bytes in UTF-8: file systems allow 255 (a Vietnamese letter takes 2–3); room is left for the
#: prefix fetch adds (time and message number) and a -2, -3 …
MAX_NAME_BYTES = 180
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]")
#: an address as a whole: not the tail of a longer word ("nguyễn.văn.a@…" holds no address "n.a@…", which
#: is another mailbox) nor followed by more of one
_ADDRESS = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~@-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+"
                      r"(?:\.[A-Za-z0-9-]+)+(?![\w@-])")


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    data: bytes
    content_type: str


def parse_message(data: bytes) -> EmailMessage:
    """A message from its bytes (RFC 5322), with the modern policy: headers decoded (RFC 2047, RFC 2231)."""
    return BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[return-value]


def looks_like_message(data: bytes, name: str = "") -> bool:
    """Whether a file is an e-mail message saved from a mail program (``.eml``): by its name, or by a
    first line that is a header and a ``From:`` among the headers."""
    if name.lower().endswith(".eml"):
        return True
    head = data[:8192]
    if not _HEADER_LINE.match(head):
        return False
    headers = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = [line.split(b":", 1)[0].strip().lower() for line in headers.splitlines() if b":" in line]
    return b"from" in lines and (b"date" in lines or b"message-id" in lines or b"received" in lines)


def header_text(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 — a malformed header (the standard parser itself fails on some, with
        # AttributeError): its raw text, never a stop
        value = next((raw for key, raw in message.raw_items() if key.lower() == name.lower()), None)
    return " ".join(str(value).split()) if value is not None else ""


def sender_address(message: Message) -> str:
    """The sender's address (lower case), or '' when there is none."""
    found = addresses(header_text(message, "From"))
    return found[0] if found else ""


def addresses(text: str) -> list[str]:
    """Every e-mail address in a text (a roster's contact cell, a From: header), lower case, in order, once."""
    seen: dict[str, None] = {}
    for _, address in getaddresses([text]) if "<" in text else []:
        if _ADDRESS.fullmatch(address or ""):
            seen.setdefault(address.lower(), None)
    for address in _ADDRESS.findall(text):
        seen.setdefault(address.strip(".").lower(), None)
    return list(seen)


def message_time(message: Message) -> datetime | None:
    """When the message reached its recipient's server, as local time: the date of the topmost
    ``Received:`` header (added by the last server, the recipient's own), else the ``Date:`` header the
    sender's program wrote, else None."""
    candidates = []
    try:
        received = message.get_all("Received") or []
    except Exception:  # noqa: BLE001 — untrusted headers: the standard parser fails on some
        received = []
    if received:
        candidates.append(str(received[0]).rsplit(";", 1)[-1])
    candidates.append(header_text(message, "Date"))
    for text in candidates:
        moment = _parse_date(text)
        if moment is not None:
            return moment
    return None


def _parse_date(text: str) -> datetime | None:
    text = " ".join(text.split())
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


def attachments(message: Message, depth: int = 0) -> list[Attachment]:
    """Every attached file of a message with its original bytes, in order; the attachments of a forwarded
    message (``message/rfc822``) are included, as are files sent inline with a name.  The text of the
    message itself is not an attachment."""
    found = Attachments()
    _walk(message, depth, found)
    return found


class Attachments(list):  # type: ignore[type-arg]
    """The attached files kept (at most MAX_ATTACHMENTS), and how many more there were (``left_out``): a cut
    is said, never silent."""

    left_out = 0


def _walk(part: Message, depth: int, found: Attachments) -> None:
    try:
        content_type = part.get_content_type()
    except Exception:  # noqa: BLE001 — a Content-Type the standard parser fails on
        content_type = "application/octet-stream"
    if content_type == "message/rfc822":
        if depth >= MAX_MESSAGE_DEPTH:
            return
        for inner in part.get_payload() or []:  # the forwarded message
            if isinstance(inner, Message):
                _walk(inner, depth + 1, found)
        return
    if part.is_multipart():
        for sub in part.get_payload() or []:
            if isinstance(sub, Message):
                _walk(sub, depth, found)
        return
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 — untrusted headers: the standard parser fails on some
        name = None
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        disposition = ""
    if not name and disposition != "attachment":
        return  # the message's text (or an unnamed inline image): not a returned file
    if len(found) >= MAX_ATTACHMENTS:  # counted, not decoded
        found.left_out += 1
        return
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 — a payload the decoders cannot take: an empty file, said as such
        data = None
    if data is None:
        data = b""
    found.append(Attachment(name or "tep-dinh-kem", data, content_type))


def safe_file_name(name: str, fallback: str = "tep-dinh-kem") -> str:
    """A name any system accepts, keeping what a person recognises (Vietnamese letters stay): no path
    separators or characters Windows refuses, no control characters, no trailing dots or spaces, no
    reserved device name (CON, PRN, AUX, NUL, COM1 … LPT9, with or without an extension), at most
    120 characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # a path in the name: only its last part
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = fallback
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 10 or " " in suffix:
        stem, suffix = name, ""
    if stem.split(".")[0].strip().lower() in WINDOWS_RESERVED:
        stem = "_" + stem
    ending = f".{suffix}" if suffix else ""
    stem = stem[: MAX_NAME_LENGTH - len(ending)].rstrip(" .") or fallback
    while len((stem + ending).encode("utf-8")) > MAX_NAME_BYTES and len(stem) > 1:
        stem = stem[:-1].rstrip(" .") or fallback[:1]
    return stem + ending
