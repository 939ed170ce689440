"""The office's accounts for the web page: who may log in, as an officer (chuyên viên: uploads, approves and
returns) or a leader (lãnh đạo: also locks and reopens the round).

Accounts live in the round's ledger (table ``users``), next to the audit log that records their making;
passwords are kept only as Argon2id hashes (argon2-cffi, the algorithm OWASP recommends first), never as
text. Sessions are kept in the serving process's memory (:class:`Sessions`): a restart logs everyone out, and
nothing about a session is written while the board polls.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.problems import XlkpiError, problem

OFFICER, LEADER = "officer", "leader"
ROLES = {OFFICER: "Chuyên viên", LEADER: "Lãnh đạo"}
MIN_PASSWORD = 8
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created_by TEXT NOT NULL,
    created_at TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1
);
"""

_hasher = PasswordHasher()
#: verified against when the name is unknown, so that a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_by: str = ""
    created_at: str = ""
    active: bool = True

    @property
    def role_vi(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_leader(self) -> bool:
        return self.role == LEADER

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "role_vi": self.role_vi, "created_by": self.created_by,
                "created_at": self.created_at, "active": self.active}


def connect(campaign: Campaign) -> sqlite3.Connection:
    """The ledger, with the accounts' table made if the round has none yet."""
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    connection.executescript(SCHEMA)
    return connection


def clean_name(name: str) -> str:
    """A user name as stored: lower case, 2–40 unaccented letters, digits, '.', '-', '_'."""
    text = (name or "").strip().lower()
    if not NAME_PATTERN.fullmatch(text):
        raise XlkpiError(problem("user-name-invalid", name=name))
    return text


def _checked_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise XlkpiError(problem("password-too-short", minimum=MIN_PASSWORD))
    return password


def add_user(campaign: Campaign, name: str, role: str, password: str, *, who: str | None = None) -> User:
    """Make an account (recorded in the audit log, without the password)."""
    name = clean_name(name)
    if role not in ROLES:
        raise ValueError(role)
    digest = _hasher.hash(_checked_password(password))
    who = who or audit.current_user()
    connection = connect(campaign)
    try:
        with L.transaction(connection):
            if connection.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise XlkpiError(problem("user-exists", name=name))
            at = L.now()
            connection.execute("INSERT INTO users (name, role, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                               (name, role, digest, who, at))
            audit.record(connection, "user-add", name, who=who, detail={"role": role}, at=at)
            return User(name, role, who, at)
    finally:
        connection.close()


def set_password(campaign: Campaign, name: str, password: str, *, who: str | None = None) -> User:
    """A new password (the account is opened again if it was closed)."""
    digest = _hasher.hash(_checked_password(password))
    return _change(campaign, name, "UPDATE users SET hash = ?, active = 1 WHERE name = ?", (digest,), "user-password",
                   who)


def remove_user(campaign: Campaign, name: str, *, who: str | None = None) -> User:
    """Close an account: it can no longer log in (its sessions end at their next request); the name stays in
    the audit log and cannot be reused for someone else."""
    return _change(campaign, name, "UPDATE users SET active = 0, hash = '' WHERE name = ?", (), "user-remove", who)


def _change(campaign: Campaign, name: str, statement: str, values: tuple, action: str, who: str | None) -> User:
    """One change to an existing account, recorded in the audit log in the same transaction."""
    name = clean_name(name)
    connection = connect(campaign)
    try:
        with L.transaction(connection):
            user = _user(connection, name)
            if user is None:
                raise XlkpiError(problem("user-unknown", name=name))
            connection.execute(statement, (*values, name))
            audit.record(connection, action, name, who=who)
            return user
    finally:
        connection.close()


def copy_users(campaign: Campaign, source: Campaign, *, who: str | None = None) -> tuple[list[User], list[str]]:
    """The open accounts of another round (last quarter's), with their password hashes as they are, so the staff
    log in to the new round with the passwords they have; a name the round already has is left as it is.
    Returns (the accounts added, the names passed over)."""
    giving = connect(source)
    try:
        rows = giving.execute("SELECT name, role, hash FROM users WHERE active = 1 AND hash != '' ORDER BY name"
                              ).fetchall()
    finally:
        giving.close()
    who = who or audit.current_user()
    added: list[User] = []
    passed: list[str] = []
    connection = connect(campaign)
    try:
        with L.transaction(connection):
            for name, role, digest in rows:
                if connection.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                    passed.append(name)
                    continue
                at = L.now()
                connection.execute("INSERT INTO users (name, role, hash, created_by, created_at) VALUES "
                                   "(?, ?, ?, ?, ?)", (name, role, digest, who, at))
                audit.record(connection, "user-add", name, who=who, detail={"role": role, "from": source.id}, at=at)
                added.append(User(name, role, who, at))
    finally:
        connection.close()
    return added, passed


def _user(connection: sqlite3.Connection, name: str) -> User | None:
    row = connection.execute("SELECT name, role, created_by, created_at, active FROM users WHERE name = ?",
                             (name,)).fetchone()
    return User(row[0], row[1], row[2], row[3], bool(row[4])) if row else None


def list_users(campaign: Campaign) -> list[User]:
    connection = connect(campaign)
    try:
        return [User(r[0], r[1], r[2], r[3], bool(r[4])) for r in connection.execute(
            "SELECT name, role, created_by, created_at, active FROM users ORDER BY name")]
    finally:
        connection.close()


def active_user(connection: sqlite3.Connection, name: str) -> User | None:
    """The account as it stands now (None when removed): a session's role is read afresh on each request."""
    user = _user(connection, name)
    return user if user is not None and user.active else None


def check_password(campaign: Campaign, name: str, password: str) -> User | None:
    """The user when the name and password match an active account; None otherwise (the same time either way)."""
    try:
        name = clean_name(name)
    except XlkpiError:
        name = ""
    connection = connect(campaign)
    try:
        row = connection.execute("SELECT hash, active FROM users WHERE name = ?", (name,)).fetchone() if name else None
        stored = row[0] if row and row[1] and row[0] else _DUMMY_HASH
        try:
            _hasher.verify(stored, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if stored is _DUMMY_HASH:
            return None
        if _hasher.check_needs_rehash(stored):  # parameters raised by a newer argon2-cffi: stronger from now on
            with L.transaction(connection):
                connection.execute("UPDATE users SET hash = ? WHERE name = ?", (_hasher.hash(password), name))
        return _user(connection, name)
    finally:
        connection.close()


@dataclass
class Session:
    user: str
    csrf: str
    created: float
    seen: float
    #: messages for the next page shown (after a POST redirects)
    flash: list[tuple[str, str]] = field(default_factory=list)
    #: what the last upload found, for the page after it
    last_upload: object = None

    def flash_pop(self) -> list[tuple[str, str]]:
        shown, self.flash = self.flash, []
        return shown


@dataclass
class Sessions:
    """Logged-in browsers, by a random token kept in an HttpOnly cookie; each ends after ``idle`` seconds
    without a request, and after ``lifetime`` seconds in any case."""

    idle: float = 30 * 60
    lifetime: float = 12 * 3600
    _by_token: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: failed logins per name: (count, time of the first in the window)
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    MAX_FAILURES = 5
    FAILURE_WINDOW = 15 * 60

    def start(self, user: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        session = Session(user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._by_token[token] = session
            self._failures.pop(user, None)
        return token, session

    def get(self, token: str | None, *, touch: bool = True) -> Session | None:
        """The session of the token, if it has not expired; ``touch``: the request is the user's own (the board's
        polling is not, so a page left open does not keep its session alive)."""
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._by_token.get(token)
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.created > self.lifetime:
                del self._by_token[token]
                return None
            if touch:
                session.seen = now
            return session

    def end(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

    def end_user(self, user: str) -> None:
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.user == user]:
                del self._by_token[token]

    def blocked(self, name: str) -> bool:
        """Too many wrong passwords for this name lately: wait before trying again."""
        with self._lock:
            count, first = self._failures.get(name.strip().lower(), (0, 0.0))
            if time.monotonic() - first > self.FAILURE_WINDOW:
                return False
            return count >= self.MAX_FAILURES

    def failed(self, name: str) -> None:
        key = name.strip().lower()
        now = time.monotonic()
        with self._lock:
            count, first = self._failures.get(key, (0, now))
            if now - first > self.FAILURE_WINDOW:
                count, first = 0, now
            self._failures[key] = (count + 1, first)
            if len(self._failures) > 10_000:  # someone trying many names: forget the oldest windows
                for old in sorted(self._failures, key=lambda k: self._failures[k][1])[:5_000]:
                    del self._failures[old]
