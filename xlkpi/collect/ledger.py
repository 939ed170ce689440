"""The ledger: an SQLite database in the campaign (``ledger.sqlite``) that remembers every file seen.

``contents``  one row per distinct file content (SHA-256): its verdict (accepted, rejected, ignored),
              the unit, whether an operator assigned it, when the workbook says it was saved
``files``     one row per (path, content) seen in the inbox: size, modification time, when first seen,
              and its state: accepted, superseded (a newer accepted submission of the same unit exists),
              duplicate (the same content was seen earlier under another path), rejected, ignored
``problems``  every problem of a content, located
``values``    the values per content, unit, indicator and period (consolidation uses accepted ones only)
``inputs``    the input cells of rejected and accepted contents as typed, for feedback copies (a return rejected,
              or returned by an officer): ``{"form": version,
              "cells": {cell: value}}`` (a ledger of xlkpi 0.1 holds the bare cells of a version-1 form)
``runs``      one row per collect run
``office_values``  figures the office entered itself (``xlkpi enter``) for an indicator it measures, with
              their source, who entered them and when
``mail_sent``       every message ``xlkpi send``/``remind`` delivered: unit, kind, Message-ID, time, recipients,
                    attachment and its SHA-256, and what it was about (so nothing goes twice by accident)
``mail_messages``   every message ``xlkpi fetch`` took from a mailbox (account, folder, UIDVALIDITY, UID,
                    Message-ID, sender, the server's receipt time), so a second fetch takes nothing again
``mail_files``      every attachment fetch saved into the inbox, with its message and the server's receipt
                    time, which collect uses as the file's time received
``decisions``       an officer's approval of a unit's return, or its return to the unit with the reason
``locks``           the round locked (its figures frozen: which return of each unit, the appendix's SHA-256) or
                    reopened, each with who, when and why
``audit``           the audit log: every decision, append-only, each entry chained to the one before by its
                    SHA-256 (see :mod:`xlkpi.collect.audit`)

Each collect run is one transaction (``BEGIN IMMEDIATE``, taken before it reads what the ledger
knows), so two runs at once queue rather than interleave, a crash leaves the ledger as it was, and
running again on the same inbox changes nothing.  States are derived from the contents after every run, the same way every time.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from xlkpi.problems import XlkpiError, problem

SCHEMA_VERSION = "2"
#: the form version of the cells a ledger of xlkpi 0.1 recorded
LEGACY_FORM = "1"
LEDGER_NAME = "ledger.sqlite"

ACCEPTED, SUPERSEDED, DUPLICATE, REJECTED, IGNORED = "accepted", "superseded", "duplicate", "rejected", "ignored"
#: what each state is called where a person reads it (the collection report, the web page)
STATE_LABELS = {ACCEPTED: "Tiếp nhận", SUPERSEDED: "Đã thay bằng bản sau", DUPLICATE: "Trùng tệp đã nhận",
                REJECTED: "Bị từ chối", IGNORED: "Bỏ qua"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT NOT NULL,
    files_seen INTEGER NOT NULL, contents_new INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contents (
    sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, format TEXT, verdict TEXT NOT NULL,
    unit TEXT, assigned INTEGER NOT NULL DEFAULT 0, saved_at TEXT, run_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS files (
    path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime TEXT NOT NULL,
    first_seen TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'rejected', note TEXT,
    PRIMARY KEY (path, sha256)
);
CREATE TABLE IF NOT EXISTS problems (
    sha256 TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL, severity TEXT NOT NULL,
    sheet TEXT, cell TEXT, message_vi TEXT NOT NULL, message_en TEXT NOT NULL,
    PRIMARY KEY (sha256, seq)
);
CREATE TABLE IF NOT EXISTS "values" (
    sha256 TEXT NOT NULL, unit TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL,
    numerator REAL, denominator REAL, value REAL, text TEXT, explanation TEXT, evidence TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (sha256, indicator)
);
CREATE TABLE IF NOT EXISTS inputs (sha256 TEXT PRIMARY KEY, cells TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS office_values (
    indicator TEXT NOT NULL, period TEXT NOT NULL, numerator REAL, denominator REAL, value REAL, text TEXT,
    source TEXT NOT NULL, entered_by TEXT NOT NULL, entered_at TEXT NOT NULL,
    PRIMARY KEY (indicator, period)
);
CREATE TABLE IF NOT EXISTS mail_sent (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, unit TEXT NOT NULL, about TEXT NOT NULL, message_id TEXT NOT NULL,
    sent_at TEXT NOT NULL, recipients TEXT NOT NULL, subject TEXT NOT NULL, attachment TEXT,
    attachment_sha256 TEXT
);
CREATE TABLE IF NOT EXISTS mail_messages (
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
    message_id TEXT NOT NULL, sender TEXT NOT NULL, subject TEXT NOT NULL, sent_date TEXT, received TEXT NOT NULL,
    attachments INTEGER NOT NULL, known_sender INTEGER NOT NULL, duplicate_of TEXT, fetched_at TEXT NOT NULL,
    PRIMARY KEY (account, folder, uidvalidity, uid)
);
CREATE TABLE IF NOT EXISTS mail_files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, message_id TEXT NOT NULL, sender TEXT NOT NULL,
    known_sender INTEGER NOT NULL, received TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, unit TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
    decided_by TEXT NOT NULL, decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS locks (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL, snapshot TEXT, appendix_sha256 TEXT, last_run INTEGER
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_sha ON decisions (sha256);
CREATE INDEX IF NOT EXISTS mail_sent_unit ON mail_sent (kind, unit, about);
CREATE INDEX IF NOT EXISTS mail_messages_id ON mail_messages (message_id);
CREATE INDEX IF NOT EXISTS files_sha ON files (sha256);
CREATE INDEX IF NOT EXISTS contents_unit ON contents (unit, verdict);
"""


def typed_inputs(form_version: str | None, cells: dict[str, Any]) -> str:
    """The ``inputs`` row of a rejected content: the cells as typed and the form version that names them."""
    return json.dumps({"form": form_version, "cells": cells}, ensure_ascii=False)


def read_typed_inputs(text: str | None) -> tuple[str, dict[str, Any]]:
    """(form version, cells) of an ``inputs`` row, as :func:`typed_inputs` wrote it or as xlkpi 0.1 did (bare
    cells of a version-1 form); what cannot be read is no cells.  NaN an older version recorded stays text."""
    try:
        found = json.loads(text, parse_constant=str) if text else {}
    except ValueError:
        return LEGACY_FORM, {}
    if not isinstance(found, dict):
        return LEGACY_FORM, {}
    if set(found) == {"form", "cells"} and isinstance(found["cells"], dict):
        return str(found["form"] or LEGACY_FORM), found["cells"]
    return LEGACY_FORM, found


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    sha256: str
    size: int
    mtime: str
    first_seen: str
    state: str
    note: str | None
    unit: str | None
    verdict: str


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=60000")
    connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    found = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if found is not None and found[0] != SCHEMA_VERSION:
        connection.close()
        raise XlkpiError(problem("ledger-version", file=str(path), found=found[0], expected=SCHEMA_VERSION))
    connection.executescript(SCHEMA)  # tables that exist are left alone without a write
    if found is None:  # an INSERT would take the write lock: a reader would wait for a running collect
        connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    _add_columns(connection)
    return connection


#: columns added to a table after ledgers were made without them (table -> (column, declaration))
ADDED_COLUMNS = {"locks": [("last_run", "INTEGER")]}


def _add_columns(connection: sqlite3.Connection) -> None:
    """A ledger made by an earlier xlkpi gains the columns added since (once; nothing is rewritten)."""
    for table, columns in ADDED_COLUMNS.items():
        have = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns:
            if name not in have:
                try:
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
                except sqlite3.OperationalError as exc:  # another process added it a moment ago
                    if "duplicate column" not in str(exc):
                        raise


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction; taken at once (IMMEDIATE) so concurrent runs queue, rolled back on error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    else:
        connection.execute("COMMIT")


def known_files(connection: sqlite3.Connection) -> dict[tuple[str, str], None]:
    return {(path, sha): None for path, sha in connection.execute("SELECT path, sha256 FROM files")}


def known_contents(connection: sqlite3.Connection) -> dict[str, tuple[str, str | None, int]]:
    """sha256 -> (verdict, unit, assigned)."""
    return {sha: (verdict, unit, assigned) for sha, verdict, unit, assigned in
            connection.execute("SELECT sha256, verdict, unit, assigned FROM contents")}


def derive_states(connection: sqlite3.Connection, not_before: datetime | None = None) -> None:
    """Set every file's state from the contents: the same result whatever order files arrived in.

    Of a unit's accepted contents the newest is current: newest by the save time the workbook states when
    that time can be true — not before the forms were made (``not_before``) and not after the file was
    received (a day's margin each way: a save time is UTC, a receipt the office's clock) — else by when it
    was received. A PC whose clock is years off, or a program that writes no save time, never makes an old
    copy win nor a correction lose."""
    rows = connection.execute(
        "SELECT f.path, f.sha256, f.mtime, f.first_seen, c.verdict, c.unit, c.saved_at, f.state "
        "FROM files f JOIN contents c USING (sha256)"
    ).fetchall()
    # the earliest path of each content is the original; the others are duplicates
    first_path: dict[str, tuple[str, str]] = {}
    for path, sha, mtime, first_seen, *_ in rows:
        key = (first_seen, path)
        if sha not in first_path or key < first_path[sha]:
            first_path[sha] = key
    # for each unit, the newest accepted content is current; older accepted ones are superseded
    newest: dict[str, tuple[str, str, str]] = {}
    received: dict[str, str] = {}
    for path, sha, mtime, first_seen, verdict, unit, saved_at, _ in rows:
        received[sha] = min(received.get(sha, mtime), mtime)
    earliest = (not_before - timedelta(days=1)).isoformat(sep=" ") if not_before else ""

    def when(saved_at: str | None, received_at: str) -> str:
        if saved_at and earliest <= saved_at <= _day_after(received_at):
            return saved_at
        return received_at

    for path, sha, mtime, first_seen, verdict, unit, saved_at, _ in rows:
        if verdict == ACCEPTED and unit:
            key = (when(saved_at, received[sha]), received[sha], sha)
            if unit not in newest or key > newest[unit]:
                newest[unit] = key
    updates = []
    for path, sha, mtime, first_seen, verdict, unit, saved_at, current in rows:
        if first_path[sha][1] != path:
            state = DUPLICATE
        elif verdict == ACCEPTED and unit and newest[unit][2] != sha:
            state = SUPERSEDED
        else:
            state = verdict
        if state != current:
            updates.append((state, path, sha))
    connection.executemany("UPDATE files SET state = ? WHERE path = ? AND sha256 = ?", updates)


def _day_after(moment: str) -> str:
    try:
        return (datetime.fromisoformat(moment) + timedelta(days=1)).isoformat(sep=" ")
    except ValueError:
        return moment


def current_submissions(connection: sqlite3.Connection) -> dict[str, tuple[str, str, str]]:
    """unit -> (sha256, path, received at) of its current accepted submission."""
    found: dict[str, tuple[str, str, str]] = {}
    for unit, sha, path, mtime in connection.execute(
        "SELECT c.unit, f.sha256, f.path, f.mtime FROM files f JOIN contents c USING (sha256) "
        "WHERE f.state = 'accepted' ORDER BY f.path"
    ):
        found.setdefault(unit, (sha, path, mtime))
    return found


def file_rows(connection: sqlite3.Connection) -> list[FileRow]:
    return [FileRow(*row) for row in connection.execute(
        "SELECT f.path, f.sha256, f.size, f.mtime, f.first_seen, f.state, f.note, c.unit, c.verdict "
        "FROM files f JOIN contents c USING (sha256) ORDER BY f.path, f.first_seen"
    )]


def problems_of(connection: sqlite3.Connection, sha256s: Iterable[str] | None = None) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {}
    for sha, code, severity, sheet, cell, vi, en in connection.execute(
        "SELECT sha256, code, severity, sheet, cell, message_vi, message_en FROM problems ORDER BY sha256, seq"
    ):
        found.setdefault(sha, []).append((code, severity, sheet, cell, vi, en))
    if sha256s is not None:
        wanted = set(sha256s)
        found = {k: v for k, v in found.items() if k in wanted}
    return found


def _finite(value: object) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))


def clean_row(row: tuple) -> bool:
    """Whether a values row (indicator, numerator, denominator, value, text, explanation, evidence, status) is
    fit for the ledger: finite numbers or none, texts as text."""
    _, numerator, denominator, value, text, explanation, evidence, _ = row
    if (type(numerator) is type(denominator) is type(value) is float and type(explanation) is type(evidence) is str
            and text is None):  # the usual rate: decided at once
        return math.isfinite(numerator) and math.isfinite(denominator) and math.isfinite(value)
    return (_finite(numerator) and _finite(denominator) and _finite(value)
            and all(x is None or isinstance(x, str) for x in (text, explanation, evidence)))


def _strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


def repair(connection: sqlite3.Connection) -> list[str]:
    """Find contents whose recorded values are not clean (written by an older version: an infinite number, a
    NaN in the typed inputs), reject them with a problem that says so and forget their values, so that a
    file still in the inbox is read again (the caller treats them as unknown).  Returns their SHA-256s."""
    bad: dict[str, str] = {}
    for sha, indicator, numerator, denominator, value in connection.execute(
        'SELECT sha256, indicator, numerator, denominator, value FROM "values" '
        "WHERE abs(numerator) > 1e308 OR abs(denominator) > 1e308 OR abs(value) > 1e308 "
        "OR typeof(numerator) NOT IN ('real', 'integer', 'null') OR typeof(denominator) NOT IN ('real', 'integer', 'null') "
        "OR typeof(value) NOT IN ('real', 'integer', 'null')"
    ):
        bad.setdefault(sha, f"chỉ tiêu {indicator}: {numerator}, {denominator}, {value}")
    for sha, cells in connection.execute("SELECT sha256, cells FROM inputs"):
        try:
            parsed = _strict_json(cells)
            if not isinstance(parsed, dict):
                raise ValueError("not a mapping")
        except (ValueError, TypeError) as exc:
            bad.setdefault(sha, f"ô nhập liệu: {exc}"[:120])
    for sha, detail in bad.items():
        for table in ('"values"', "inputs", "problems"):
            connection.execute(f"DELETE FROM {table} WHERE sha256 = ?", (sha,))
        connection.execute("UPDATE contents SET verdict = ? WHERE sha256 = ?", (REJECTED, sha))
        message = problem("ledger-repaired", detail=detail)
        connection.execute(
            "INSERT INTO problems (sha256, seq, code, severity, sheet, cell, message_vi, message_en) "
            "VALUES (?, 0, ?, ?, NULL, NULL, ?, ?)", (sha, message.code, message.severity, message.message_vi,
                                                     message.message_en))
    return sorted(bad)


def mail_sources(connection: sqlite3.Connection) -> dict[str, tuple[str, str, bool]]:
    """path -> (server's receipt time, sender, whether the sender is in the roster) of every file fetch saved."""
    return {path: (received, sender, bool(known)) for path, received, sender, known in
            connection.execute("SELECT path, received, sender, known_sender FROM mail_files")}


def now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")
