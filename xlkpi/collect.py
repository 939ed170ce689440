"""``xlkpi collect``: read, identify, validate and record every returned workbook.

Files are found under the given paths (default: the campaign's ``inbox/``, any sub-folders, any
names).  Every file ends in exactly one state — accepted, superseded, duplicate, rejected (with its
problems) or ignored (with a reason) — recorded in the ledger (:mod:`xlkpi.ledger`).  Returned files
are only ever read; each spreadsheet is also kept, content-addressed, in ``archive/`` so that what was
accepted can be shown later even if the inbox is cleaned.  Only new contents are inspected, so
running again on the same inbox does nothing new.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import ledger as L
from .campaign import Campaign
from .files import atomic_output
from .problems import Problem, XlkpiError, problem
from .readers import SPREADSHEET_SUFFIXES, read_workbook
from .validate import CampaignView, inspect_workbook

ARCHIVE = "archive"
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
    archive: str | None = None


@dataclass
class CollectResult:
    files_seen: int = 0
    new_contents: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    report_path: Path | None = None
    feedback: list[Path] = field(default_factory=list)
    status: Any = None  # xlkpi.status.Status

    @property
    def new_problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]


def discover(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found.extend(Path(root) / name for name in sorted(files))
    return sorted(set(found))


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
_ARCHIVE: Path | None = None
_BASE: Path | None = None


def _relative(path: Path) -> str:
    assert _BASE is not None
    try:
        return str(path.resolve().relative_to(_BASE))
    except ValueError:
        return str(path.resolve())


def _process(path: Path) -> Outcome:
    assert _VIEW is not None and _ARCHIVE is not None
    rel = _relative(path)
    stat = path.stat()
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    outcome = Outcome(rel, sha, len(data), datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0).isoformat(sep=" "))
    assigned = _ASSIGN.get(str(path.resolve()))
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
    outcome.raw_inputs = inspection.raw_inputs
    outcome.verdict = L.ACCEPTED if inspection.accepted else L.REJECTED
    outcome.values = [(v.indicator, v.numerator, v.denominator, v.value, v.text, v.explanation, v.evidence, v.status)
                      for v in inspection.values]
    outcome.archive = _keep(data, sha, book.format)
    return outcome


def _keep(data: bytes, sha: str, extension: str) -> str:
    """A content-addressed copy in archive/ (written once, atomically; never modified)."""
    assert _ARCHIVE is not None
    target = _ARCHIVE / sha[:2] / f"{sha}.{extension}"
    if not target.exists():
        with atomic_output(target, force=True) as temp:
            temp.write_bytes(data)
    return str(target.relative_to(_ARCHIVE.parent))


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
    global _VIEW, _KNOWN, _ASSIGN, _ARCHIVE, _BASE
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
        known_files = L.known_files(connection)
        _VIEW, _KNOWN, _ASSIGN = view, L.known_contents(connection), assignments
        _ARCHIVE, _BASE = campaign.directory / ARCHIVE, campaign.directory.resolve()
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(found) // 100 or 1))
        size = max(1, min(64, len(found) // (jobs * 4) or 1))
        chunks = [found[i:i + size] for i in range(0, len(found), size)]
        outcomes: list[Outcome] = []
        pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else None
        try:
            results = pool.imap(_process_chunk, chunks) if pool else map(_process_chunk, chunks)
            for chunk_outcomes in results:
                outcomes.extend(chunk_outcomes)
                if progress:
                    progress(len(chunk_outcomes))
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
            _VIEW = None
        result = CollectResult(files_seen=len(found))
        with L.transaction(connection):
            run_id = connection.execute(
                "INSERT INTO runs (started, finished, files_seen, contents_new) VALUES (?, ?, ?, 0)",
                (started, started, len(found)),
            ).lastrowid
            new = 0
            for outcome in outcomes:
                if outcome.verdict is not None:
                    new += 1
                    _record_content(connection, outcome, run_id)
                if (outcome.path, outcome.sha256) not in known_files:
                    connection.execute(
                        "INSERT OR IGNORE INTO files (path, sha256, size, mtime, first_seen, note) VALUES (?, ?, ?, ?, ?, ?)",
                        (outcome.path, outcome.sha256, outcome.size, outcome.mtime, started, outcome.note),
                    )
            L.derive_states(connection)
            connection.execute("UPDATE runs SET finished = ?, contents_new = ? WHERE id = ?", (L.now(), new, run_id))
        result.new_contents = new
        result.outcomes = [o for o in outcomes if o.verdict is not None]
        result.states = dict(connection.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall())
        from .status import read_status

        result.status = read_status(campaign, connection)
        if reports:
            from .collect_report import write_feedback, write_collection_report

            result.report_path = write_collection_report(campaign, connection, result.status)
            result.feedback = write_feedback(campaign, connection, result.status)
        return result
    finally:
        connection.close()


def _record_content(connection: Any, outcome: Outcome, run_id: int) -> None:
    sha = outcome.sha256
    for table in ("contents", "problems", '"values"', "inputs"):
        connection.execute(f"DELETE FROM {table} WHERE sha256 = ?", (sha,))  # an --assign re-inspection replaces
    connection.execute(
        "INSERT INTO contents (sha256, size, format, verdict, unit, assigned, saved_at, archive, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sha, outcome.size, outcome.format, outcome.verdict, outcome.unit, int(outcome.assigned), outcome.saved_at,
         outcome.archive, run_id),
    )
    connection.executemany(
        "INSERT INTO problems (sha256, seq, code, severity, sheet, cell, message_vi, message_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(sha, i, p.code, p.severity, p.sheet, p.cell, p.message_vi, p.message_en) for i, p in enumerate(outcome.problems)],
    )
    if outcome.unit:
        connection.executemany(
            'INSERT INTO "values" (sha256, unit, indicator, numerator, denominator, value, text, explanation, evidence, '
            "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sha, outcome.unit, *row) for row in outcome.values],
        )
        connection.execute("INSERT INTO inputs (sha256, cells) VALUES (?, ?)",
                            (sha, json.dumps(outcome.raw_inputs, ensure_ascii=False)))
