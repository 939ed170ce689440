"""The round as a workflow: an officer approves each unit's return or returns it with a reason; a leader locks
the round's figures (with a reason) and may reopen them (with a reason). Every decision is recorded in the ledger
and in the audit log (:mod:`xlkpi.collect.audit`), in one transaction with the change.

A unit's current return (the newest accepted, as collect decides) is *waiting* until someone decides; a decision
belongs to that return's content, so a newer return waits again. A returned return is never consolidated; with
the campaign's ``approved_only`` (the default of a new round) only approved returns are. A lock freezes which
return of each unit the appendix uses: files collected after it are recorded and change nothing until the round
is reopened. Locking itself (which writes the appendix) is :func:`xlkpi.report.consolidate.lock_round`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.problems import XlkpiError, problem

WAITING, APPROVED, RETURNED = "waiting", "approved", "returned"
REVIEW_LABELS = {WAITING: "Chờ duyệt", APPROVED: "Đã duyệt", RETURNED: "Bị trả lại"}
MAX_REASON = 1000


@dataclass(frozen=True)
class Decision:
    sha256: str
    unit: str
    kind: str
    reason: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True)
class Lock:
    id: int
    reason: str
    decided_by: str
    decided_at: str
    #: unit -> the SHA-256 of the return whose figures the locked appendix uses
    snapshot: dict[str, str] = field(default_factory=dict)
    appendix_sha256: str = ""
    #: the newest collect run when the round was locked (None for a lock an earlier xlkpi made)
    last_run: int | None = None


def decisions(connection: sqlite3.Connection) -> dict[str, Decision]:
    """The latest decision on each content (SHA-256)."""
    found: dict[str, Decision] = {}
    for row in connection.execute("SELECT sha256, unit, kind, reason, decided_by, decided_at FROM decisions "
                                  "ORDER BY id"):
        found[row[0]] = Decision(*row)
    return found


def active_lock(connection: sqlite3.Connection) -> Lock | None:
    """The lock in force: the newest lock or reopen row, when it is a lock."""
    row = connection.execute("SELECT id, kind, reason, decided_by, decided_at, snapshot, appendix_sha256, last_run "
                             "FROM locks ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or row[1] != "lock":
        return None
    try:
        snapshot = json.loads(row[5] or "{}")
    except ValueError:
        snapshot = {}
    return Lock(row[0], row[2], row[3], row[4], snapshot if isinstance(snapshot, dict) else {}, row[6] or "", row[7])


def clean_reason(reason: str | None, action: str) -> str:
    """A reason is required for returning, locking and reopening: one to a thousand characters of text."""
    text = " ".join((reason or "").split())
    if not text:
        raise XlkpiError(problem("reason-missing", action=audit.ACTIONS.get(action, action)))
    if len(text) > MAX_REASON:
        raise XlkpiError(problem("reason-too-long", limit=MAX_REASON))
    return text


def refuse_if_locked(connection: sqlite3.Connection) -> None:
    """Nothing is approved, returned or locked again while the round is locked."""
    lock = active_lock(connection)
    if lock is not None:
        from xlkpi.common.text import shown_time

        raise XlkpiError(problem("round-locked", at=shown_time(lock.decided_at), who=lock.decided_by))


@dataclass
class Decided:
    """What a decision command did: the units decided, and those it passed over with why."""

    done: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: the feedback copies written (for a return sent back)
    feedback: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"done": self.done, "skipped": [{"unit": u, "why": why} for u, why in self.skipped]}


def approve(campaign: Campaign, units: Iterable[str] = (), *, all_clean: bool = False, who: str | None = None
            ) -> Decided:
    """Approve the named units' current returns, or (``all_clean``) every waiting return with no warning."""
    from xlkpi.collect.status import read_status

    wanted = [u.strip() for u in units if u.strip()]
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            refuse_if_locked(connection)
            status = read_status(campaign, connection)
            by_code = {entry.unit.code: entry for entry in status.units}
            known = {unit.code for unit in campaign.roster.units}
            result = Decided()
            if all_clean:
                warned = L.problems_of(connection, [e.sha256 for e in status.units if e.sha256])
                wanted += [e.unit.code for e in status.units if e.review == WAITING and e.sha256
                           and not warned.get(e.sha256)]
            for code in dict.fromkeys(wanted):
                entry = by_code.get(code)
                if entry is None:
                    if code not in known:
                        raise XlkpiError(problem("unit-unknown", code=code))
                    result.skipped.append((code, "cấp của đơn vị này không báo cáo theo kế hoạch"))
                elif entry.sha256 is None:
                    result.skipped.append((code, "chưa có báo cáo được tiếp nhận để duyệt"))
                elif entry.review == APPROVED:
                    result.skipped.append((code, "đã duyệt trước đó"))
                else:
                    _decide(connection, entry.sha256, code, APPROVED, "", who)
                    result.done.append(code)
            return result
    finally:
        connection.close()


def return_unit(campaign: Campaign, unit: str, reason: str, *, who: str | None = None) -> Decided:
    """Return a unit's current return with the reason: it must resubmit, and its figures are not used."""
    from xlkpi.collect.status import read_status

    reason = clean_reason(reason, "return")
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            refuse_if_locked(connection)
            status = read_status(campaign, connection)
            entry = next((e for e in status.units if e.unit.code == unit.strip()), None)
            if entry is None:
                if unit.strip() not in {u.code for u in campaign.roster.units}:
                    raise XlkpiError(problem("unit-unknown", code=unit))
                return Decided(skipped=[(unit, "cấp của đơn vị này không báo cáo theo kế hoạch")])
            if entry.sha256 is None or entry.review == RETURNED:
                why = "đã trả lại trước đó" if entry.review == RETURNED else "chưa có báo cáo được tiếp nhận để trả lại"
                return Decided(skipped=[(entry.unit.code, why)])
            _decide(connection, entry.sha256, entry.unit.code, RETURNED, reason, who)
        # the unit's feedback copy: its own figures on today's form, the reason on the "Phản hồi" sheet (what
        # `xlkpi remind` sends it)
        from xlkpi.collect.report import write_feedback

        copies = write_feedback(campaign, connection, read_status(campaign, connection))
        return Decided(done=[entry.unit.code], feedback=[p for p in copies if p.name.startswith(entry.unit.code)])
    finally:
        connection.close()


def _decide(connection: sqlite3.Connection, sha: str, unit: str, kind: str, reason: str, who: str | None) -> None:
    who = who or audit.current_user()
    at = L.now()
    connection.execute("INSERT INTO decisions (sha256, unit, kind, reason, decided_by, decided_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (sha, unit, kind, reason, who, at))
    audit.record(connection, "approve" if kind == APPROVED else "return", unit, who=who, reason=reason,
                 detail={"sha256": sha}, at=at)


def reopen_round(campaign: Campaign, reason: str, *, who: str | None = None) -> Lock:
    """Reopen a locked round (a reason is required); returns the lock that was lifted."""
    reason = clean_reason(reason, "reopen")
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            lock = active_lock(connection)
            if lock is None:
                raise XlkpiError(problem("round-not-locked"))
            who = who or audit.current_user()
            at = L.now()
            connection.execute("INSERT INTO locks (kind, reason, decided_by, decided_at) VALUES ('reopen', ?, ?, ?)",
                               (reason, who, at))
            audit.record(connection, "reopen", campaign.id, who=who, reason=reason, detail={"lock": lock.id}, at=at)
            return lock
    finally:
        connection.close()
