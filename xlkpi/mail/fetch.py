"""``xlkpi fetch``: every attachment of every new message in the office's mailbox, saved into the inbox.

The mailbox is opened read-only (nothing is marked, moved or deleted).  Each new message's attachments are
saved into ``inbox/mail/`` with their original bytes, under names any system accepts, prefixed with the
time the server received the message and its UID.  The ledger records, for each message, its UID (with
the folder's UIDVALIDITY) and Message-ID, so a second fetch takes nothing again and the same message
stored twice is saved once; and for each file, the message's sender and the server's receipt time
(INTERNALDATE), which ``collect`` then uses as the file's time received — so a clerk who runs fetch the
day after the deadline does not make every unit late.

A ``.zip`` attachment is saved as it came (collect opens it and reads each return in it); a forwarded
message's attachments are saved like the message's own.  A sender not in the roster is still saved, and
flagged in the fetch summary and the collection report.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import ledger as L
from xlkpi.collect.run import ledger_path
from xlkpi.common.files import write_atomically
from xlkpi.common.messages import (Attachment, Attachments, attachments, header_text, parse_message,
                                   safe_file_name, sender_address)
from xlkpi.mail.compose import server_config, unit_addresses
from xlkpi.mail.servers import keyring_name, open_imap
from xlkpi.problems import Problem, XlkpiError, exception_detail, problem

MAIL_DIR = "mail"
MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_INTERNALDATE = re.compile(rb'INTERNALDATE "\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"')


@dataclass(frozen=True)
class SavedFile:
    path: Path
    name: str
    sender: str
    received: datetime
    known_sender: bool


@dataclass
class FetchResult:
    #: new messages looked at (duplicates and other mail included)
    messages: int = 0
    saved: list[SavedFile] = field(default_factory=list)
    #: (sender, subject, received) of new messages without any attachment
    without_attachment: list[tuple[str, str, datetime]] = field(default_factory=list)
    #: the same message (Message-ID) stored again: recorded, nothing saved
    duplicates: int = 0
    #: --only-campaign: messages that do not name the campaign, left unread
    other_mail: int = 0
    #: what could not be done (an attachment that could not be saved: its message is fetched again next
    #: time), and what was cut (a message with more attachments than are kept)
    problems: list[Problem] = field(default_factory=list)

    @property
    def unknown_senders(self) -> list[str]:
        return sorted({f.sender or "(không rõ)" for f in self.saved if not f.known_sender})


def internal_date(meta: bytes) -> datetime | None:
    """The INTERNALDATE of a FETCH response as local time (its month names are English whatever the locale)."""
    found = _INTERNALDATE.search(meta)
    if not found:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = found.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == b"+" else -1)
    try:
        moment = datetime(int(year), MONTHS[month.decode().title()], int(day), int(hour), int(minute), int(second),
                          tzinfo=timezone(offset))
    except (KeyError, ValueError):
        return None
    return moment.astimezone().replace(tzinfo=None)


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): "Hộp thư đến" → "H&H9k-p th&AbA- &ARE-""."""
    out, pending = [], []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append(f"&{encoded}-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    return '"' + imap_utf7(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_date(day: date) -> str:
    return f"{day.day}-{list(MONTHS)[day.month - 1]}-{day.year}"


def fetch(campaign: Campaign, *, since: date | None = None, folder: str | None = None, only_campaign: bool = False,
          opener: Callable[..., imaplib.IMAP4] = open_imap, now: datetime | None = None) -> FetchResult:
    server = server_config(campaign, "imap")
    folder = folder or server.folder
    account = keyring_name(server)
    roster_addresses = {a for unit in campaign.roster.units for a in unit_addresses(unit)}
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    client = opener(server)
    result = FetchResult()
    try:
        typ, data = client.select(_quoted(folder), readonly=True)
        if typ != "OK":
            raise XlkpiError(problem("mail-folder-missing", folder=folder, detail=_said(data)))
        validity = client.response("UIDVALIDITY")[1]
        uidvalidity = int(validity[0]) if validity and validity[0] else 0
        criteria = ("SINCE", _imap_date(since)) if since else ("ALL",)
        typ, data = client.uid("SEARCH", None, *criteria)
        if typ != "OK":
            raise XlkpiError(problem("mail-folder-missing", folder=folder, detail=_said(data)))
        uids = sorted({int(x) for x in (data[0] or b"").split()})
        known = {uid for (uid,) in connection.execute(
            "SELECT uid FROM mail_messages WHERE account = ? AND folder = ? AND uidvalidity = ?",
            (account, folder, uidvalidity))}
        sent_ids = {mid for (mid,) in connection.execute("SELECT message_id FROM mail_sent")}
        for uid in uids:
            if uid in known:
                continue
            if only_campaign and not _names_campaign(client, uid, campaign.id, sent_ids):
                result.other_mail += 1
                continue
            result.messages += 1
            _fetch_one(campaign, client, connection, result, account, folder, uidvalidity, uid, roster_addresses,
                       (now or datetime.now()).replace(microsecond=0))
    except (OSError, imaplib.IMAP4.error) as exc:
        raise XlkpiError(problem("mail-interrupted-fetch", saved=len(result.saved), detail=exception_detail(exc))) from exc
    finally:
        connection.close()
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return result


def _said(data: list) -> str:
    return " ".join(x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in data or [])[:200]


def _pieces(data: list) -> tuple[bytes, bytes | None]:
    """(every non-literal part of a FETCH response joined, the first literal) — servers put INTERNALDATE
    before or after the message's bytes."""
    meta, literal = b"", None
    for item in data or []:
        if isinstance(item, tuple):
            meta += item[0]
            if literal is None:
                literal = item[1]
        elif isinstance(item, bytes):
            meta += item
    return meta, literal


def _names_campaign(client: imaplib.IMAP4, uid: int, campaign_id: str, sent_ids: set[str]) -> bool:
    typ, data = client.uid("FETCH", str(uid), "(BODY.PEEK[HEADER.FIELDS (SUBJECT IN-REPLY-TO REFERENCES "
                                              "X-XLKPI-CAMPAIGN)])")
    _, literal = _pieces(data)
    if typ != "OK" or literal is None:
        return False
    headers = parse_message(literal)
    if campaign_id.lower() in header_text(headers, "Subject").lower():
        return True
    if header_text(headers, "X-Xlkpi-Campaign") == campaign_id:
        return True
    mentioned = set(re.findall(r"<[^<>\s]+>", header_text(headers, "In-Reply-To") + " "
                               + header_text(headers, "References")))
    return bool(mentioned & sent_ids)


def _fetch_one(campaign: Campaign, client: imaplib.IMAP4, connection, result: FetchResult, account: str, folder: str,
               uidvalidity: int, uid: int, roster_addresses: set[str], now: datetime) -> None:
    typ, data = client.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])")
    meta, raw = _pieces(data)
    if typ != "OK" or raw is None:  # expunged meanwhile: looked at again next time
        return
    received = internal_date(meta) or now
    try:
        message = parse_message(raw)
        message_id = header_text(message, "Message-ID") or f"<uid-{uidvalidity}-{uid}@{account}>"
        sender = sender_address(message)
        subject = header_text(message, "Subject")
        sent_date = header_text(message, "Date")
        found = attachments(message)
    except Exception:  # noqa: BLE001 — a message the standard parser fails on: kept whole, as an .eml collect reads
        message_id, sender, subject, sent_date = f"<uid-{uidvalidity}-{uid}@{account}>", "", "", ""
        found = Attachments([Attachment("thu-khong-doc-duoc.eml", raw, "message/rfc822")])
    known_sender = sender in roster_addresses
    message_id, seen = _identity(connection, message_id, [hashlib.sha256(a.data).hexdigest() for a in found])
    files: list[tuple[Path, str, str]] = []
    if not seen:
        folder_path = campaign.inbox / MAIL_DIR
        for attached in found:
            name = safe_file_name(attached.name)
            path = _free_path(folder_path, f"{received:%Y%m%d-%H%M%S}_{uid}_{name}", attached.data)
            try:
                if not path.exists():
                    write_atomically(path, attached.data)
            except OSError as exc:  # not recorded: the whole message is fetched again next time
                result.problems.append(problem("mail-attachment-unsaved", file=str(path), sender=sender or "?",
                                               name=attached.name[:120], detail=exception_detail(exc)))
                return
            files.append((path, attached.name, hashlib.sha256(attached.data).hexdigest()))
        if found.left_out:
            result.problems.append(problem("mail-attachments-left-out", sender=sender or "?", subject=subject[:120],
                                           kept=len(found), count=found.left_out))
    with L.transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO mail_messages (account, folder, uidvalidity, uid, message_id, sender, subject, "
            "sent_date, received, attachments, known_sender, duplicate_of, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (account, folder, uidvalidity, uid, message_id, sender, subject, sent_date, received.isoformat(sep=" "),
             len(files), int(known_sender), message_id if seen else None, now.isoformat(sep=" ")))
        connection.executemany(
            "INSERT OR REPLACE INTO mail_files (path, sha256, message_id, sender, known_sender, received) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(ledger_path(path, str(campaign.directory.resolve())), sha, message_id, sender, int(known_sender), received.isoformat(sep=" "))
             for path, _, sha in files])
    if seen:
        result.duplicates += 1
    elif not files:
        result.without_attachment.append((sender, subject, received))
    result.saved.extend(SavedFile(path, name, sender, received, known_sender) for path, name, _ in files)


def _identity(connection, message_id: str, digests: list[str]) -> tuple[str, bool]:
    """(the id the message is recorded by, whether it was fetched before). The same message stored twice
    (in two folders, or copied back) has one Message-ID and the same attachments: fetched once. Two
    different messages may share a Message-ID (a program that reuses them, a forged one): the second is
    recorded by its id and its attachments' digest, never dropped as a duplicate."""
    content = hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()[:16]
    for candidate in (message_id, f"{message_id} #{content}"):
        if connection.execute("SELECT 1 FROM mail_messages WHERE message_id = ? LIMIT 1", (candidate,)).fetchone():
            recorded = sorted(sha for (sha,) in connection.execute(
                "SELECT sha256 FROM mail_files WHERE message_id = ?", (candidate,)))
            if recorded == sorted(set(digests)) or candidate != message_id:
                return candidate, True
        elif candidate == message_id:
            return message_id, False
    return f"{message_id} #{content}", False


def _free_path(folder: Path, name: str, data: bytes) -> Path:
    """``name`` in ``folder``, or, when a different file already has it, ``name`` with -2, -3 … added."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists() and path.read_bytes() != data:
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path
