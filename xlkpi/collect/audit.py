"""The audit log: who did what to the round, when and why — append-only, and chained so that an edited or
deleted entry is found.

Each entry (collect, approve, return, lock, reopen, enter, consolidate, send, sign) is written in the same
transaction as the change it records. Its ``hash`` is the SHA-256 of the entry's fields and the hash of the
entry before it; the newest hash and the number of entries are kept in the ledger's ``meta`` table too. So
``xlkpi log --verify`` finds an entry whose text was changed (its hash no longer matches), one taken out of the
middle (the next entry's ``prev`` no longer matches) and entries taken off the end (fewer than the count, or a
head that is not the newest). Someone able to rewrite the whole database and recompute every hash is beyond
what a chain inside the same file can show; a copy of the head hash kept elsewhere (printed by ``log``) is.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import ledger as L

GENESIS = "0" * 64

#: what each action is called in Vietnamese, for ``xlkpi log`` and the web page
ACTIONS = {
    "collect": "thu nhận", "approve": "duyệt", "return": "trả lại", "lock": "chốt số liệu",
    "reopen": "mở lại", "enter": "nhập số liệu của cơ quan", "consolidate": "lập phụ lục", "send": "gửi thư",
    "remind": "nhắc", "sign": "ký số", "upload": "tải tệp lên", "user-add": "thêm tài khoản",
    "user-password": "đổi mật khẩu", "user-remove": "khóa tài khoản",
}


def current_user() -> str:
    """The operating system's user name (the person at the office's computer)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a service account without a name
        return "không rõ"


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    who: str
    action: str
    target: str
    reason: str
    detail: dict[str, Any]
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "who": self.who, "action": self.action,
                "action_vi": ACTIONS.get(self.action, self.action), "target": self.target, "reason": self.reason,
                "detail": self.detail, "hash": self.hash}

    def line(self) -> str:
        """One line in Vietnamese: "12  06/12/2026 09:15  nguyenvana  duyệt  03388 — lý do"."""
        from xlkpi.common.text import shown_time

        text = f"{self.seq:>5}  {shown_time(self.at)}  {self.who}  {ACTIONS.get(self.action, self.action)}"
        if self.target:
            text += f"  {self.target}"
        if self.reason:
            text += f" — {self.reason}"
        return text


def _digest(prev: str, at: str, who: str, action: str, target: str, reason: str, detail: str) -> str:
    fields = json.dumps([prev, at, who, action, target, reason, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(fields.encode("utf-8")).hexdigest()


def record(connection: sqlite3.Connection, action: str, target: str = "", *, who: str | None = None,
           reason: str = "", detail: dict[str, Any] | None = None, at: str | None = None) -> Entry:
    """Append an entry; call inside the transaction that makes the change (so both happen or neither)."""
    who = who or current_user()
    at = at or L.now()
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    row = connection.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    digest = _digest(prev, at, who, action, target, reason, text)
    connection.execute("INSERT INTO audit (seq, at, who, action, target, reason, detail, prev, hash) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (seq, at, who, action, target, reason, text, prev, digest))
    connection.execute("INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)", (f"{seq}:{digest}",))
    return Entry(seq, at, who, action, target, reason, detail or {}, prev, digest)


def audited(campaign: Campaign, action: str, detail: dict[str, Any], who: str | None, reason: str = "") -> Entry:
    """An entry about the round for a step that changes no table of the ledger (an appendix written, a file
    signed or uploaded), in a transaction of its own."""
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            return record(connection, action, campaign.id, who=who, reason=reason, detail=detail)
    finally:
        connection.close()


def read_log(campaign: Campaign, *, check: bool = True) -> tuple[list[Entry], list[str]]:
    """The round's log in order, and (``check``) what is wrong with its chain — ``xlkpi log`` and the web page."""
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        return entries(connection), verify(connection) if check else []
    finally:
        connection.close()


def entries(connection: sqlite3.Connection, target: str | None = None) -> list[Entry]:
    """The log in order; ``target``: only the entries about it (a unit's history)."""
    found = []
    query = "SELECT seq, at, who, action, target, reason, detail, prev, hash FROM audit"
    rows = (connection.execute(query + " WHERE target = ? ORDER BY seq", (target,)) if target is not None
            else connection.execute(query + " ORDER BY seq"))
    for seq, at, who, action, target_, reason, detail, prev, digest in rows:
        try:
            parsed = json.loads(detail)
        except ValueError:
            parsed = {"?": detail}
        found.append(Entry(seq, at, who, action, target_, reason, parsed if isinstance(parsed, dict) else {}, prev,
                           digest))
    return found


def verify(connection: sqlite3.Connection) -> list[str]:
    """What is wrong with the chain, in Vietnamese, entry by entry; empty when it is whole."""
    wrong: list[str] = []
    prev, expected_seq = GENESIS, 1
    last = (0, GENESIS)
    for seq, at, who, action, target, reason, detail, stored_prev, digest in connection.execute(
            "SELECT seq, at, who, action, target, reason, detail, prev, hash FROM audit ORDER BY seq"):
        if seq != expected_seq:
            wrong.append(f"mục {expected_seq}–{seq - 1} đã bị xóa (số thứ tự nhảy từ {expected_seq - 1} lên {seq})")
        if stored_prev != prev:
            wrong.append(f"mục {seq}: không nối với mục trước nó (mục trước đã bị sửa hoặc xóa)")
        if _digest(stored_prev, at, who, action, target, reason, detail) != digest:
            wrong.append(f"mục {seq}: nội dung đã bị sửa sau khi ghi")
        prev, expected_seq, last = digest, seq + 1, (seq, digest)
    head = connection.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if head is not None:
        seq_text, _, digest = head[0].partition(":")
        if seq_text.isdigit() and int(seq_text) > last[0]:
            wrong.append(f"các mục {last[0] + 1}–{seq_text} ở cuối nhật ký đã bị xóa")
        elif (int(seq_text) if seq_text.isdigit() else -1, digest) != last:
            wrong.append("mục cuối của nhật ký không khớp với bản ghi đầu chuỗi (đã bị sửa)")
    elif last[0]:
        wrong.append("thiếu bản ghi đầu chuỗi của nhật ký (đã bị xóa)")
    return wrong
