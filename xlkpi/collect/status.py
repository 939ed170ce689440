"""Completeness at a glance: who has returned, who is missing, who is late, who must resubmit."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xlkpi.collect import ledger as L
from xlkpi.collect.workflow import APPROVED, RETURNED, REVIEW_LABELS, WAITING, active_lock, decisions
from xlkpi.campaign.folder import Campaign
from xlkpi.common.text import shown_time
from xlkpi.units.roster import Unit

SUBMITTED, LATE, MISSING, RESUBMIT = "submitted", "late", "missing", "resubmit"
LABELS = {SUBMITTED: "Đã nộp", LATE: "Nộp muộn", MISSING: "Chưa nộp", RESUBMIT: "Phải nộp lại"}


@dataclass(slots=True)
class UnitStatus:
    unit: Unit
    state: str
    #: the current accepted submission
    sha256: str | None = None
    file: str | None = None
    received_at: str | None = None
    late: bool = False
    #: the newest rejected file of the unit, when it has to resubmit
    rejected_sha256: str | None = None
    rejected_file: str | None = None
    #: the workflow's word on the current return: waiting, approved, returned (None: no current return)
    review: str | None = None
    review_reason: str = ""
    review_by: str = ""
    review_at: str = ""
    #: the return whose figures are consolidated when the workflow decides otherwise than "the current one":
    #: "" for none (returned, not yet approved, not in the locked figures); None: the current return's
    used: str | None = None
    #: a newer return came after the round was locked (recorded; the locked figures stand)
    after_lock: bool = False

    @property
    def used_sha256(self) -> str | None:
        return self.sha256 if self.used is None else (self.used or None)

    @property
    def label(self) -> str:
        if self.state == RESUBMIT and self.review == RETURNED and not self.rejected_sha256:
            return "Phải nộp lại (bị trả lại)"
        if self.state == RESUBMIT and self.sha256:
            return "Phải nộp lại (bản gửi sau bị từ chối)"
        return LABELS[self.state]

    def cells(self, level_names: dict[str, str] | None = None) -> tuple[str, str, str, str, str, str, str]:
        """What a report shows of the unit: code, name, level (its name), state, file, time received
        (dd/mm/yyyy HH:MM), late."""
        file = self.rejected_file if self.state == RESUBMIT else self.file
        level = (level_names or {}).get(self.unit.level, self.unit.level)
        return (self.unit.code, self.unit.name, level, self.label, file or "", shown_time(self.received_at),
                "Có" if self.late else "")

    def to_dict(self) -> dict[str, Any]:
        """The unit's line as ``xlkpi status --json`` prints it and the web page's board shows it."""
        return {"unit": self.unit.code, "name": self.unit.name, "level": self.unit.level,
                "parent": self.unit.parent or "", "state": self.state,
                "state_vi": self.label, "file": self.file or self.rejected_file, "received_at": self.received_at,
                "late": self.late, "review": self.review, "review_vi": REVIEW_LABELS.get(self.review or "", ""),
                "review_reason": self.review_reason, "review_by": self.review_by, "review_at": self.review_at,
                "used": self.used_sha256 is not None, "after_lock": self.after_lock}


@dataclass
class Status:
    deadline: date | None
    units: list[UnitStatus] = field(default_factory=list)
    #: rejected files whose unit could not be identified
    unidentified: list[L.FileRow] = field(default_factory=list)
    files: list[L.FileRow] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for u in self.units if u.state == state)

    @property
    def returned(self) -> int:
        """Units whose newest file was accepted: on time or late (one definition everywhere)."""
        return self.count(SUBMITTED) + self.count(LATE)

    @property
    def late(self) -> int:
        """Units whose accepted return came after the deadline (among those returned)."""
        return self.count(LATE)

    @property
    def with_data(self) -> int:
        """Units whose figures are consolidated: those returned, and those that must resubmit but have an
        earlier accepted return — of them, with the workflow, only those approved (or in the locked figures)."""
        return sum(1 for u in self.units if u.used_sha256)

    #: the lock in force (xlkpi.collect.workflow.Lock), if the round is locked
    lock: Any = None
    approved_only: bool = False

    def review_counts(self) -> dict[str, int]:
        counts = {WAITING: 0, APPROVED: 0, RETURNED: 0}
        for unit in self.units:
            if unit.review in counts:
                counts[unit.review] += 1
        return counts

    def review_summary_vi(self) -> str | None:
        """ "đã duyệt 40, chờ duyệt 3, bị trả lại 1 (chỉ tổng hợp báo cáo đã duyệt)" — the same words in status,
        review and the collection report; None for a round that does not use the workflow."""
        counts = self.review_counts()
        if not (self.approved_only or counts[APPROVED] or counts[RETURNED]):
            return None
        rule = "chỉ tổng hợp báo cáo đã duyệt" if self.approved_only else "tổng hợp mọi báo cáo hợp lệ chưa bị trả lại"
        return (f"đã duyệt {counts[APPROVED]}, chờ duyệt {counts[WAITING]}, bị trả lại {counts[RETURNED]} "
                f"({rule})")

    def counts(self) -> dict[str, int]:
        """The counts every report shows, under the same names everywhere (JSON included)."""
        return {"units": len(self.units), "returned": self.returned, "late": self.late,
                "resubmit": self.count(RESUBMIT), "missing": self.count(MISSING), "with_data": self.with_data,
                **{f"review_{k}": v for k, v in self.review_counts().items()}}

    def summary_vi(self) -> str:
        """ "38 đơn vị phải báo cáo: đã nộp 33 (nộp muộn 3), phải nộp lại 3, chưa nộp 2" — the same sentence
        in collect, status, consolidate, the demo and the collection report."""
        late = f" (nộp muộn {self.late})" if self.late else ""
        return (f"{len(self.units)} đơn vị phải báo cáo: đã nộp {self.returned}{late}, phải nộp lại "
                f"{self.count(RESUBMIT)}, chưa nộp {self.count(MISSING)}")

    def to_dict(self) -> dict[str, Any]:
        """The round's status for machines and the web page: the same keys in ``xlkpi status --json``."""
        return {**self.summary_dict(), "units": [u.to_dict() for u in self.units]}

    def summary_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without the units' lines (the web page's board sends those in its own form)."""
        lock = self.lock
        return {
            "deadline": str(self.deadline) if self.deadline else None, "summary_vi": self.summary_vi(),
            "review_summary_vi": self.review_summary_vi(), "counts": self.counts(),
            "unidentified": [f.path for f in self.unidentified],
            "approved_only": self.approved_only, "review": self.review_counts(),
            "lock": ({"at": lock.decided_at, "by": lock.decided_by, "reason": lock.reason,
                      "appendix_sha256": lock.appendix_sha256} if lock else None),
        }

    @property
    def has_problems(self) -> bool:
        return bool(self.unidentified) or any(u.state == RESUBMIT for u in self.units)


def is_late(received_at: str | None, deadline: date | None) -> bool:
    if not received_at or deadline is None:
        return False
    return datetime.fromisoformat(received_at).date() > deadline


def read_status(campaign: Campaign, connection: sqlite3.Connection) -> Status:
    deadline = campaign.config.deadline
    status = Status(deadline, files=L.file_rows(connection))
    status.lock = active_lock(connection)
    status.approved_only = campaign.config.approved_only
    decided = decisions(connection)
    current = L.current_submissions(connection)
    newest_rejected: dict[str, tuple[str, str, str]] = {}
    for row in status.files:
        if row.state != L.REJECTED:
            continue
        if row.unit is None:
            status.unidentified.append(row)
        elif row.unit not in newest_rejected or row.mtime > newest_rejected[row.unit][2]:
            newest_rejected[row.unit] = (row.sha256, row.path, row.mtime)
    # contents first recorded after the lock: a unit's return that came later is "after the lock"; one that was
    # there when the round was locked but not used (returned, or waiting for approval) is not
    since_lock: set[str] = set()
    if status.lock is not None and status.lock.last_run is not None:
        since_lock = {row[0] for row in connection.execute("SELECT sha256 FROM contents WHERE run_id > ?",
                                                           (status.lock.last_run,))}
    elif status.lock is not None:  # a lock made before xlkpi noted the run: by the time runs finished
        since_lock = {row[0] for row in connection.execute(
            "SELECT c.sha256 FROM contents c JOIN runs r ON r.id = c.run_id WHERE r.finished > ?",
            (status.lock.decided_at,))}
    reporting = set(campaign.plan.reporting_levels)
    for unit in campaign.roster.units:
        if unit.level not in reporting:
            continue
        accepted = current.get(unit.code)
        rejected = newest_rejected.get(unit.code)
        entry = UnitStatus(unit, MISSING)
        if accepted:
            entry.sha256, entry.file, entry.received_at = accepted
            entry.late = is_late(entry.received_at, deadline)
            entry.state = LATE if entry.late else SUBMITTED
        if rejected and (not accepted or rejected[2] > accepted[2]):
            entry.state = RESUBMIT
            entry.rejected_sha256, entry.rejected_file = rejected[0], rejected[1]
            if not accepted:
                entry.received_at = rejected[2]
        if entry.sha256:
            decision = decided.get(entry.sha256)
            entry.review = decision.kind if decision else WAITING
            if decision:
                entry.review_reason, entry.review_by, entry.review_at = (decision.reason, decision.decided_by,
                                                                         decision.decided_at)
            if entry.review == RETURNED:
                entry.state = RESUBMIT
            if entry.review == RETURNED or (status.approved_only and entry.review != APPROVED):
                entry.used = ""
        if status.lock is not None:
            frozen = status.lock.snapshot.get(unit.code, "")
            entry.used = frozen
            entry.after_lock = bool(entry.sha256) and entry.sha256 != frozen and entry.sha256 in since_lock
        status.units.append(entry)
    return status


def open_status(campaign: Campaign) -> Status:
    path = campaign.directory / L.LEDGER_NAME
    connection = L.connect(path)
    try:
        return read_status(campaign, connection)
    finally:
        connection.close()
