"""Completeness at a glance: who has returned, who is missing, who is late, who must resubmit."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime

from xlkpi.collect import ledger as L
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

    @property
    def label(self) -> str:
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
        earlier accepted return."""
        return sum(1 for u in self.units if u.sha256)

    def counts(self) -> dict[str, int]:
        """The counts every report shows, under the same names everywhere (JSON included)."""
        return {"units": len(self.units), "returned": self.returned, "late": self.late,
                "resubmit": self.count(RESUBMIT), "missing": self.count(MISSING), "with_data": self.with_data}

    def summary_vi(self) -> str:
        """ "38 đơn vị phải báo cáo: đã nộp 33 (nộp muộn 3), phải nộp lại 3, chưa nộp 2" — the same sentence
        in collect, status, consolidate, the demo and the collection report."""
        late = f" (nộp muộn {self.late})" if self.late else ""
        return (f"{len(self.units)} đơn vị phải báo cáo: đã nộp {self.returned}{late}, phải nộp lại "
                f"{self.count(RESUBMIT)}, chưa nộp {self.count(MISSING)}")

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
    current = L.current_submissions(connection)
    newest_rejected: dict[str, tuple[str, str, str]] = {}
    for row in status.files:
        if row.state != L.REJECTED:
            continue
        if row.unit is None:
            status.unidentified.append(row)
        elif row.unit not in newest_rejected or row.mtime > newest_rejected[row.unit][2]:
            newest_rejected[row.unit] = (row.sha256, row.path, row.mtime)
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
        status.units.append(entry)
    return status


def open_status(campaign: Campaign) -> Status:
    path = campaign.directory / L.LEDGER_NAME
    connection = L.connect(path)
    try:
        return read_status(campaign, connection)
    finally:
        connection.close()
