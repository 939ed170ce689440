"""What each page shows, read from the round by the functions the CLI uses; plain data for the templates.

Every function here opens the ledger for reading (WAL: a running collect never makes the board wait) or calls
the library's own step (collect, the audit log); none knows about HTTP.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.collect.run import BUNDLE_SEPARATOR
from xlkpi.collect.status import LABELS, RESUBMIT, read_status
from xlkpi.collect.workflow import REVIEW_LABELS, decisions
from xlkpi.common.files import file_sha256
from xlkpi.common.text import shown_time
from xlkpi.report.rollup import LABELS as JUDGEMENTS

#: what the board's state filter offers, in the order an officer works through them
FILTERS = {
    "": "Tất cả đơn vị", "problem": "Cần xử lý (phải nộp lại, chờ duyệt, chưa nộp)",
    "missing": LABELS["missing"], "late": LABELS["late"], "resubmit": LABELS["resubmit"],
    "waiting": REVIEW_LABELS["waiting"], "approved": REVIEW_LABELS["approved"],
    "returned": REVIEW_LABELS["returned"], "after_lock": "Gửi bản mới sau khi chốt",
}


def _reading(campaign: Campaign) -> sqlite3.Connection:
    return L.connect(campaign.directory / L.LEDGER_NAME)


def version(campaign: Campaign) -> str:
    connection = _reading(campaign)
    try:
        return version_of(connection)
    finally:
        connection.close()


@dataclass
class Board:
    """The board: the round's summary, and every unit's line in a compact form for the page's script."""

    version: str
    summary: dict[str, Any]
    #: one list per unit, in the order of :data:`COLUMNS`
    rows: list[list[Any]]
    labels: list[str]
    levels: list[str]
    #: the names of the units' parents (a province, a district), which the board's search also looks in
    parents: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=lambda: FILTERS)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "columns": COLUMNS, "rows": self.rows, "labels": self.labels,
                "levels": self.levels, "parents": self.parents}


#: the fields of a board row, each taken from ``UnitStatus.to_dict()`` (what ``xlkpi status --json`` prints);
#: the level and the state's words are indexes into the board's ``levels`` and ``labels``
COLUMNS = ["unit", "name", "level", "state", "state_vi", "received_at", "late", "review", "errors", "warnings",
           "after_lock", "file", "parent"]


def board(campaign: Campaign) -> Board:
    """Every reporting unit's line, with the number of errors and warnings of the file that decides its state;
    each line from ``UnitStatus.to_dict()``, so the page shows what ``xlkpi status --json`` prints."""
    connection = _reading(campaign)
    try:
        stamp = version_of(connection)
        found = read_status(campaign, connection)
        counted = {sha: (errors, warnings) for sha, errors, warnings in connection.execute(
            "SELECT sha256, SUM(severity = 'error'), SUM(severity != 'error') FROM problems GROUP BY sha256")}
    finally:
        connection.close()
    level_names = {level.id: level.name for level in campaign.plan.levels}
    names = {unit.code: unit.name for unit in campaign.roster.units}
    levels: dict[str, int] = {}
    labels: dict[str, int] = {}
    parents: dict[str, int] = {"": 0}
    rows = []
    for entry in found.units:
        line = entry.to_dict()
        sha = entry.rejected_sha256 if entry.state == RESUBMIT and entry.rejected_sha256 else entry.sha256
        errors, warnings = counted.get(sha or "", (0, 0))
        level = levels.setdefault(level_names.get(entry.unit.level, entry.unit.level), len(levels))
        label = labels.setdefault(line["state_vi"], len(labels))
        rows.append([line["unit"], line["name"], level, line["state"], label, line["received_at"] or "",
                     int(line["late"]), line["review"] or "", errors, warnings, int(line["after_lock"]),
                     (line["file"] or "").rsplit("/", 1)[-1].rsplit(BUNDLE_SEPARATOR, 1)[-1],
                     parents.setdefault(names.get(line["parent"], ""), len(parents))])
    return Board(stamp, found.summary_dict(), rows, list(labels), list(levels), list(parents))


def version_of(connection: sqlite3.Connection) -> str:
    """Changes whenever anything the board shows may have changed: each change is an audit entry, and every
    file collect records comes with one."""
    head = connection.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    files = connection.execute("SELECT COUNT(*), MAX(first_seen) FROM files").fetchone()
    return f"{head[0] if head else '0'}|{files[0]}|{files[1] or ''}"


@dataclass
class UnitView:
    """A unit's page: where it stands, the figures of its current return, the problems, its history."""

    line: dict[str, Any]
    level_vi: str
    parent: str
    figures: list[dict[str, Any]]
    figures_count: bool
    problems: list[dict[str, Any]]
    files: list[dict[str, Any]]
    history: list[audit.Entry]
    can_decide: bool
    locked: bool


def unit(campaign: Campaign, code: str) -> UnitView | None:
    known = {u.code: u for u in campaign.roster.units}
    if code not in known:
        return None
    connection = _reading(campaign)
    try:
        found = read_status(campaign, connection)
        entry = next((e for e in found.units if e.unit.code == code), None)
        if entry is None:  # a unit of a level that reports nothing (a district that only consolidates)
            return None
        shown = entry.sha256 or entry.used_sha256
        figures = _figures(campaign, connection, shown) if shown else []
        problem_sha = [s for s in (entry.rejected_sha256 if entry.state == RESUBMIT else None, entry.sha256) if s]
        problems = []
        for sha in problem_sha:
            for code_, severity, sheet, cell, vi, _ in L.problems_of(connection, [sha]).get(sha, []):
                problems.append({"code": code_, "severity": severity, "where": f"{sheet}!{cell}" if cell else
                                 (sheet or ""), "message": vi, "current": sha == entry.sha256})
        decided = decisions(connection)
        files = []
        for path, sha, mtime, state, verdict in connection.execute(
                "SELECT f.path, f.sha256, f.mtime, f.state, c.verdict FROM files f JOIN contents c USING (sha256) "
                "WHERE c.unit = ? ORDER BY f.mtime DESC, f.path", (code,)):
            decision = decided.get(sha)
            files.append({"path": path, "name": Path(path).name, "sha256": sha, "received": shown_time(mtime),
                          "state": L.STATE_LABELS.get(state, state), "current": sha == entry.sha256,
                          "decision": REVIEW_LABELS.get(decision.kind, "") if decision else ""})
        history = audit.entries(connection, target=code)
    finally:
        connection.close()
    parent = known.get(entry.unit.parent or "")
    levels = {level.id: level.name for level in campaign.plan.levels}
    return UnitView(entry.to_dict(), levels.get(entry.unit.level, entry.unit.level), parent.name if parent else "",
                    figures, bool(shown) and entry.used_sha256 == shown, problems, files, history,
                    can_decide=bool(entry.sha256) and found.lock is None, locked=found.lock is not None)


def _figures(campaign: Campaign, connection: sqlite3.Connection, sha: str) -> list[dict[str, Any]]:
    plan = campaign.plan
    rows = {row[0]: row[1:] for row in connection.execute(
        'SELECT indicator, numerator, denominator, value, text, explanation, status FROM "values" WHERE sha256 = ?',
        (sha,))}
    shown = []
    for indicator in plan.all_indicators:
        if indicator.id not in rows:
            continue
        numerator, denominator, value, text, explanation, judgement = rows[indicator.id]
        target = indicator.targets.get(campaign.target_year)
        shown.append({"number": plan.full_number(indicator.id), "name": indicator.name,
                      "numerator": _number(numerator), "denominator": _number(denominator),
                      "value": _number(value), "text": text or "", "unit": indicator.unit or "",
                      "target": target.text if target else "", "judgement": JUDGEMENTS.get(judgement, judgement),
                      "met": judgement, "explanation": explanation or ""})
    return shown


def _number(value: float | None) -> str:
    """1234.5 -> "1.234,5" as a Vietnamese reader writes it (at most two decimals)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


@dataclass
class UploadOutcome:
    """What an upload found, file by file: saved as, the verdict, the unit, the first problems."""

    files: list[dict[str, Any]]
    summary: str
    report: str | None


def collect_uploads(campaign: Campaign, paths: list[Path], who: str) -> UploadOutcome:
    """Record the upload in the audit log, then collect exactly those files at once (received now)."""
    from datetime import datetime

    from xlkpi.collect.run import collect

    base = campaign.directory.resolve()
    audit.audited(campaign, "upload", {"files": [
        {"name": p.resolve().relative_to(base).as_posix(), "sha256": file_sha256(p), "size": p.stat().st_size}
        for p in paths[:200]], "count": len(paths)}, who)
    result = collect(campaign, paths, received=datetime.now(), who=who)
    connection = _reading(campaign)
    try:
        states = {}
        for path in paths:
            relative = path.resolve().relative_to(base).as_posix()
            states[relative] = connection.execute(
                "SELECT f.state, c.unit FROM files f LEFT JOIN contents c USING (sha256) WHERE f.path = ?",
                (relative,)).fetchall()
    finally:
        connection.close()
    shown = []
    names = {u.code: u.name for u in campaign.roster.units}
    for outcome in result.outcomes:
        errors = [p for p in outcome.problems if p.severity == "error"]
        warnings = [p for p in outcome.problems if p.severity != "error"]
        shown.append({"path": outcome.path, "name": _shown_name(outcome.path), "verdict": outcome.verdict,
                      "verdict_vi": L.STATE_LABELS.get(outcome.verdict or "", outcome.verdict or ""),
                      "unit": outcome.unit or "", "unit_name": names.get(outcome.unit or "", ""),
                      "problems": [{"where": f"{p.sheet}!{p.cell}" if p.cell else (p.sheet or ""),
                                    "message": p.message_vi, "severity": p.severity}
                                   for p in (errors + warnings)[:8]],
                      "more": max(0, len(errors) + len(warnings) - 8)})
    for relative, rows in states.items():
        if not any(o.path == relative or o.path.startswith(relative + BUNDLE_SEPARATOR) for o in result.outcomes):
            state = rows[0][0] if rows else None
            unit_code = rows[0][1] if rows else ""
            shown.append({"path": relative, "name": relative.rsplit("/", 1)[-1], "verdict": state or "known",
                          "verdict_vi": "Trùng nội dung với tệp đã nhận trước đó" if rows else "Không đọc được",
                          "unit": unit_code or "", "unit_name": names.get(unit_code or "", ""), "problems": [],
                          "more": 0})
    return UploadOutcome(shown, result.status.summary_vi(),
                         result.report_path.name if result.report_path else None)


def _shown_name(path: str) -> str:
    """inbox/web/2026-12-06/xa.zip › 03388.xlsx -> "xa.zip › 03388.xlsx"."""
    outer, _, inner = path.partition(BUNDLE_SEPARATOR)
    return outer.rsplit("/", 1)[-1] + (f"{BUNDLE_SEPARATOR}{inner}" if inner else "")


#: the words of an audit entry's details, in Vietnamese
DETAIL_WORDS = {
    "files": "tệp", "new_contents": "nội dung mới", "accepted": "tiếp nhận", "rejected": "từ chối",
    "superseded": "thay bằng bản sau", "duplicate": "trùng", "ignored": "bỏ qua", "known": "đã có",
    "after_lock": "sau khi chốt", "appendix": "phụ lục", "units": "đơn vị có số liệu", "locked": "đã chốt",
    "role": "vai trò", "count": "số tệp", "lock": "lần chốt", "file": "tệp", "sha256": "SHA-256",
}


def detail_vi(entry: audit.Entry) -> str:
    """An entry's details on one line: "tệp: 5; tiếp nhận: 4; từ chối: 1" (file names for an upload)."""
    parts = []
    for key, value in entry.detail.items():
        if key == "sha256":
            parts.append(f"SHA-256 {str(value)[:12]}…")
        elif isinstance(value, list):
            names = [str(item.get("name", "")).rsplit("/", 1)[-1] if isinstance(item, dict) else str(item)
                     for item in value]
            parts.append(f"{DETAIL_WORDS.get(key, key)}: {', '.join(names[:5])}" + (" …" if len(names) > 5 else ""))
        elif isinstance(value, bool):
            if value:
                parts.append(DETAIL_WORDS.get(key, key))
        else:
            parts.append(f"{DETAIL_WORDS.get(key, key)}: {value}")
    return "; ".join(parts)


def log(campaign: Campaign) -> tuple[list[audit.Entry], list[str]]:
    """The log, newest first, and what is wrong with its chain."""
    found, wrong = audit.read_log(campaign)
    return found[::-1], wrong
