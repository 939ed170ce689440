"""``xlkpi collect``: read, identify, validate and record every returned workbook.

Files are found under the given paths (default: the campaign's ``inbox/``, any sub-folders, any
names).  Every file ends in exactly one state — accepted, superseded, duplicate, rejected (with its
problems) or ignored (with a reason) — recorded in the ledger (:mod:`xlkpi.collect.ledger`) with its size and
SHA-256.  Returned files are only ever read: never moved, changed or deleted, so the inbox stays the
record of what was received and the ledger's digests show that it is intact.  Only new contents are
inspected, so running again on the same inbox does nothing new.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xlkpi.collect import ledger as L
from xlkpi.campaign.folder import Campaign
from xlkpi.problems import Problem, XlkpiError, problem
from xlkpi.collect.readers import SPREADSHEET_SUFFIXES, read_workbook
from xlkpi.collect.checks import CampaignView, inspect_workbook

SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass
class Outcome:
    """What one file turned out to be (plain data, so that worker processes can return it)."""

    path: str
    sha256: str
    size: int
    mtime: str
    verdict: str | None = None  # None: content already known, nothing inspected
    unit: str | None = None
    assigned: bool = False
    format: str | None = None
    saved_at: str | None = None
    note: str | None = None
    problems: list[Problem] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    raw_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class CollectResult:
    files_seen: int = 0
    new_contents: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    report_path: Path | None = None
    feedback: list[Path] = field(default_factory=list)
    status: Any = None  # xlkpi.collect.status.Status

    @property
    def new_problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]


def discover(paths: Sequence[Path]) -> list[Path]:
    """Every file under ``paths``, in a stable order (sorted by path)."""
    found: set[str] = set()
    for path in paths:
        if path.is_file():
            found.add(str(path))
        elif path.is_dir():
            for root, _, files in os.walk(path):
                found.update(os.path.join(root, name) for name in files)
    return [Path(name) for name in sorted(found)]


def _ignored_by_name(path: Path) -> str | None:
    name = path.name
    if name.startswith("~$") or name.startswith(".~lock."):
        return "tệp khóa tạm của Excel/LibreOffice (không phải báo cáo)"
    if name.lower() in SYSTEM_FILES or name.startswith("."):
        return "tệp hệ thống hoặc tệp ẩn"
    return None


# -- the work on one file (runs in worker processes) ------------------------------------------------------

_VIEW: CampaignView | None = None
_KNOWN: dict[str, tuple[str, str | None, int]] = {}
_ASSIGN: dict[str, str] = {}
_BASE: str | None = None


def _relative(path: Path) -> str:
    """The path as the ledger records it: relative to the campaign folder when inside it."""
    assert _BASE is not None
    absolute = os.path.abspath(path)
    if absolute.startswith(_BASE + os.sep):
        return absolute[len(_BASE) + 1:]
    relative = os.path.relpath(absolute, _BASE)
    return absolute if relative.startswith("..") else relative


def _process(path: Path) -> Outcome:
    assert _VIEW is not None
    rel = _relative(path)
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        data = handle.read()
    sha = hashlib.sha256(data).hexdigest()
    outcome = Outcome(rel, sha, len(data), datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0).isoformat(sep=" "))
    assigned = _ASSIGN.get(str(path.resolve())) if _ASSIGN else None
    known = _KNOWN.get(sha)
    if known is not None and (assigned is None or (known[1] == assigned and known[2])):
        return outcome
    reason = _ignored_by_name(path)
    if reason:
        outcome.verdict, outcome.note = L.IGNORED, reason
        return outcome
    try:
        book = read_workbook(data, rel)
    except XlkpiError as exc:
        code = exc.problems[0].code
        if path.suffix.lower() not in SPREADSHEET_SUFFIXES and code in ("not-a-spreadsheet", "file-empty"):
            outcome.verdict, outcome.note = L.IGNORED, f"không phải bảng tính ({path.suffix or 'không có đuôi'})"
            return outcome
        outcome.verdict, outcome.problems = L.REJECTED, exc.problems
        return outcome
    try:
        inspection = inspect_workbook(book, _VIEW, rel, assigned)
    finally:
        book.close()
    outcome.format = book.format
    outcome.saved_at = book.saved_at.isoformat(sep=" ") if book.saved_at else None
    outcome.unit = inspection.unit.code if inspection.unit else None
    outcome.assigned = inspection.assigned
    outcome.problems = inspection.problems
    outcome.verdict = L.ACCEPTED if inspection.accepted else L.REJECTED
    if outcome.verdict == L.REJECTED:
        outcome.raw_inputs = inspection.raw_inputs  # for the unit's feedback copy
    outcome.values = [(v.indicator, v.numerator, v.denominator, v.value, v.text, v.explanation, v.evidence, v.status)
                      for v in inspection.values]
    return outcome


def _process_chunk(chunk: list[Path]) -> list[Outcome]:
    return [_process(path) for path in chunk]


# -- a run ---------------------------------------------------------------------------------------------


def parse_assignments(pairs: Iterable[str], base: Path | None = None) -> dict[str, str]:
    """``FILE=UNIT`` pairs -> {absolute path: unit code}."""
    found: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise XlkpiError(problem("assign-invalid", value=pair))
        file, unit = pair.rsplit("=", 1)
        path = Path(file)
        if not path.is_absolute() and base is not None and not path.exists():
            path = base / path
        if not path.exists():
            raise XlkpiError(problem("file-not-found", file=file))
        found[str(path.resolve())] = unit.strip()
    return found


def view_of(campaign: Campaign) -> CampaignView:
    return CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)


def collect(
    campaign: Campaign,
    paths: Sequence[str | Path] = (),
    *,
    assign: Iterable[str] = (),
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    reports: bool = True,
) -> CollectResult:
    global _VIEW, _KNOWN, _ASSIGN, _BASE
    roots = [Path(p) for p in paths] or [campaign.inbox]
    for root in roots:
        if not root.exists():
            raise XlkpiError(problem("file-not-found", file=str(root)))
    assignments = parse_assignments(assign, campaign.inbox)
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        started = L.now()
        view = view_of(campaign)
        found = discover(roots)
        result = CollectResult(files_seen=len(found))
        new = 0
        outcomes: list[Outcome] = []
        with L.transaction(connection):  # taken first: a concurrent run waits, then sees this run's files
            known_files = L.known_files(connection)
            _VIEW, _KNOWN, _ASSIGN = view, L.known_contents(connection), assignments
            _BASE = str(campaign.directory.resolve())
            run_id = connection.execute(
                "INSERT INTO runs (started, finished, files_seen, contents_new) VALUES (?, ?, ?, 0)",
                (started, started, len(found)),
            ).lastrowid
            jobs = max(1, min(jobs or os.cpu_count() or 1, len(found) // 100 or 1))
            size = max(1, min(64, len(found) // (jobs * 4) or 1))
            chunks = [found[i:i + size] for i in range(0, len(found), size)]
            if jobs > 1:
                gc.freeze()  # the workers share the parent's objects: keep the collector from copying their pages
            pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else None
            try:
                results = pool.imap(_process_chunk, chunks) if pool else map(_process_chunk, chunks)
                for chunk_outcomes in results:
                    fresh = [o for o in chunk_outcomes if o.verdict is not None]
                    _record_contents(connection, fresh, run_id, campaign.config.period)
                    new += len(fresh)
                    outcomes.extend(fresh)
                    connection.executemany(
                        "INSERT OR IGNORE INTO files (path, sha256, size, mtime, first_seen, state, note) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(o.path, o.sha256, o.size, o.mtime, started, o.verdict or _KNOWN[o.sha256][0], o.note)
                         for o in chunk_outcomes if (o.path, o.sha256) not in known_files],
                    )
                    if progress:
                        progress(len(chunk_outcomes))
            finally:
                if pool is not None:
                    pool.terminate()
                    pool.join()
                    gc.unfreeze()
                _VIEW = None
            L.derive_states(connection)
            connection.execute("UPDATE runs SET finished = ?, contents_new = ? WHERE id = ?", (L.now(), new, run_id))
        result.outcomes = outcomes
        result.new_contents = new
        result.states = dict(connection.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall())
        from xlkpi.collect.status import read_status

        result.status = read_status(campaign, connection)
        if reports:
            from xlkpi.collect.report import write_feedback, write_collection_report

            result.report_path = write_collection_report(campaign, connection, result.status)
            result.feedback = write_feedback(campaign, connection, result.status)
        return result
    finally:
        connection.close()


def _record_contents(connection: Any, outcomes: list[Outcome], run_id: int, period: str) -> None:
    """Record newly inspected contents (a batch): verdict, problems, values and inputs."""
    if not outcomes:
        return
    shas = [(o.sha256,) for o in outcomes]
    for table in ("contents", "problems", '"values"', "inputs"):
        # an --assign re-inspection replaces what an earlier run recorded
        connection.executemany(f"DELETE FROM {table} WHERE sha256 = ?", shas)
    connection.executemany(
        "INSERT OR REPLACE INTO contents (sha256, size, format, verdict, unit, assigned, saved_at, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(o.sha256, o.size, o.format, o.verdict, o.unit, int(o.assigned), o.saved_at, run_id) for o in outcomes],
    )
    connection.executemany(
        "INSERT OR REPLACE INTO problems (sha256, seq, code, severity, sheet, cell, message_vi, message_en) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(o.sha256, i, p.code, p.severity, p.sheet, p.cell, p.message_vi, p.message_en)
         for o in outcomes for i, p in enumerate(o.problems)],
    )
    connection.executemany(
        'INSERT OR REPLACE INTO "values" (sha256, unit, indicator, period, numerator, denominator, value, text, '
        "explanation, evidence, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(o.sha256, o.unit, row[0], period, *row[1:]) for o in outcomes if o.unit for row in o.values],
    )
    connection.executemany(  # what a unit typed in a rejected file, for its feedback copy
        "INSERT OR REPLACE INTO inputs (sha256, cells) VALUES (?, ?)",
        [(o.sha256, json.dumps(o.raw_inputs, ensure_ascii=False)) for o in outcomes
         if o.unit and o.verdict == L.REJECTED],
    )
