"""``xlkpi collect``: read, identify, validate and record every returned workbook.

Files are found under the given paths (default: the campaign's ``inbox/``, any sub-folders, any
names).  Every file ends in exactly one state — accepted, superseded, duplicate, rejected (with its
problems) or ignored (with a reason) — recorded in the ledger (:mod:`xlkpi.collect.ledger`) with its size and
SHA-256.  Returned files are only ever read: never moved, changed or deleted, so the inbox stays the
record of what was received and the ledger's digests show that it is intact.  Only new contents are
inspected, so running again on the same inbox does nothing new.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xlkpi.collect import audit, workflow
from xlkpi.collect import ledger as L
from xlkpi.campaign.folder import Campaign
from xlkpi.problems import Problem, XlkpiError, exception_detail, problem
from xlkpi.collect.containers import is_container, open_container, unsupported
from xlkpi.collect.readers import MAX_FILE_BYTES, MAX_MEDIA_BYTES, SPREADSHEET_SUFFIXES, open_zip, read_workbook
from xlkpi.common.files import file_sha256
from xlkpi.common.messages import attachments, looks_like_message, message_time, parse_message, sender_address
from xlkpi.common.workers import Failure, WorkerPool, chunked
from xlkpi.collect.checks import CampaignView, inspect_workbook

SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}
UNREADABLE = "unreadable"  # not a ledger state: the file could not be opened, it is tried again next run
#: parts that make a zip a document of its own (xlsx, ods, xlsb, numbers, docx …) rather than a bundle of files
CONTAINER_MARKERS = {"[Content_Types].xml", "mimetype", "Index.zip"}
OTHER_SPREADSHEET_SUFFIXES = {".xlsb", ".numbers"}


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
    #: the form version whose cells raw_inputs and the problems name
    form_version: str | None = None


@dataclass
class CollectResult:
    files_seen: int = 0
    new_contents: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    report_path: Path | None = None
    feedback: list[Path] = field(default_factory=list)
    status: Any = None  # xlkpi.collect.status.Status
    #: files that could not be opened at all (locked, vanished): not recorded, tried again next run
    unreadable: list[Outcome] = field(default_factory=list)
    #: contents whose values an older version recorded badly: removed from the ledger, read again if present
    repaired: list[str] = field(default_factory=list)

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

#: a returned file larger than this is not read; a bundle (a .zip of returns) may be larger
MAX_BUNDLE_BYTES = 200 * 1024 * 1024
MAX_BUNDLE_MEMBERS = 5000
MAX_BUNDLE_DEPTH = 2  # a zip inside a zip is opened; one level deeper is not
BUNDLE_SEPARATOR = " › "
#: one file may take this long (seconds) before its worker is stopped and the file rejected
TIME_LIMIT = 60.0
WORKER_MEMORY_MB = 2048


@dataclass
class Settings:
    """Everything a worker needs, handed to it explicitly when it starts (nothing inherited)."""

    view: CampaignView
    known: dict[str, tuple[str, str | None, int]]
    assign: dict[str, str]
    base: str
    received: str | None = None  # receipt time for every file of this run (collect --received)
    #: path -> the mail server's receipt time, for the files ``xlkpi fetch`` saved
    mail_received: dict[str, str] = field(default_factory=dict)


def received_time(settings: Settings, rel: str, mtime: float) -> str:
    """When a file was received: the mail server's receipt time for a file fetch saved, else the time given
    with ``collect --received``, else the file's modification time in the inbox."""
    fetched = settings.mail_received.get(rel)
    if fetched:
        return fetched
    return settings.received or datetime.fromtimestamp(mtime).replace(microsecond=0).isoformat(sep=" ")


_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _SETTINGS
    _SETTINGS = settings


def ledger_path(path: Path | str, base: str, paths: Any = os.path) -> str:
    """The path as the ledger records it: relative to the campaign folder when inside it, with forward
    slashes on every system (``paths`` is :mod:`os.path`; the tests pass :mod:`ntpath`)."""
    absolute = paths.abspath(str(path))
    if absolute.startswith(base + paths.sep):
        relative = absolute[len(base) + 1:]
    elif paths.splitdrive(absolute)[0].lower() == paths.splitdrive(base)[0].lower():
        relative = paths.relpath(absolute, base)
        if relative.startswith(".."):
            relative = absolute
    else:  # another drive: no relative path exists
        relative = absolute
    return relative.replace(paths.sep, "/")


def _inspect_path(path: Path) -> list[Outcome]:
    """The outcome of one inbox file (several when it is a bundle of returns)."""
    settings = _SETTINGS
    assert settings is not None, "worker not initialised"
    rel = ledger_path(path, settings.base)
    try:
        stat, data = _read_file(path)
    except OSError as exc:
        return [Outcome(rel, "", 0, "", verdict=UNREADABLE, problems=[
            problem("file-unreadable", file=rel, detail=exc.strerror or str(exc))])]
    mtime = received_time(settings, rel, stat.st_mtime)
    if stat.st_size > MAX_BUNDLE_BYTES:
        sha = file_sha256(path)
        outcome = Outcome(rel, sha, stat.st_size, mtime)
        if sha not in settings.known:
            outcome.verdict = L.REJECTED
            outcome.problems = [problem("file-too-large", file=rel, size=stat.st_size // 1024,
                                        limit=MAX_FILE_BYTES // 1024)]
        return [outcome]
    assigned = settings.assign.get(str(path.resolve())) if settings.assign else None
    return _inspect_bytes(data, rel, path.name, mtime, assigned, depth=0)


def _read_file(path: Path) -> tuple[os.stat_result, bytes]:
    """The file's status and its content (none when it is larger than MAX_BUNDLE_BYTES), read with a file
    descriptor: a buffered file object costs more than the read itself for a 13 KB return."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # O_BINARY: no newline translation on Windows
    try:
        stat = os.fstat(handle)
        if stat.st_size > MAX_BUNDLE_BYTES:
            return stat, b""
        chunks = [os.read(handle, stat.st_size + 1)]
        while chunks[-1]:  # to the end, however the system splits the reads (or the file grew)
            chunks.append(os.read(handle, 1 << 20))
        return stat, b"".join(chunks)
    finally:
        os.close(handle)


def _inspect_bytes(data: bytes, rel: str, name: str, mtime: str, assigned: str | None, depth: int) -> list[Outcome]:
    settings = _SETTINGS
    assert settings is not None
    sha = hashlib.sha256(data).hexdigest()
    outcome = Outcome(rel, sha, len(data), mtime)
    known = settings.known.get(sha)
    if known is not None and (assigned is None or (known[1] == assigned and known[2])):
        return [outcome]
    reason = _ignored_by_name(Path(name))
    if reason:
        outcome.verdict, outcome.note = L.IGNORED, reason
        return [outcome]
    names, parsed = open_zip(data) if data[:2] == b"PK" else (None, None)
    if names is not None and is_bundle(names):
        return _inspect_bundle(data, outcome, depth)
    if names is None and looks_like_message(data, name):
        return _inspect_message(data, outcome, depth)
    if names is None:
        other = unsupported(data, name)
        if other is not None:  # RAR, 7z, flat ODS: refused with what to do, never passed over
            outcome.verdict = L.REJECTED
            outcome.problems = [problem("container-unsupported", file=rel, kind=other[0], advice=other[1])]
            return [outcome]
        if is_container(data):  # an Outlook .msg, a winmail.dat
            return _inspect_container(data, outcome, depth)
    try:  # a file larger than MAX_FILE_BYTES is refused by the reader
        _inspect_workbook(data, outcome, Path(name).suffix.lower(), assigned, parsed)
    except Exception as exc:  # noqa: BLE001 — untrusted input: one file's failure is that file's verdict
        outcome.verdict, outcome.values, outcome.raw_inputs = L.REJECTED, [], {}
        outcome.problems = [problem("file-reader-failed", file=rel, detail=exception_detail(exc))]
    return [outcome]


def _inspect_workbook(data: bytes, outcome: Outcome, suffix: str, assigned: str | None, parsed: Any = None) -> None:
    settings = _SETTINGS
    assert settings is not None
    rel = outcome.path
    try:
        book = read_workbook(data, rel, parsed)
    except XlkpiError as exc:
        code = exc.problems[0].code
        if suffix not in SPREADSHEET_SUFFIXES | OTHER_SPREADSHEET_SUFFIXES and code in ("not-a-spreadsheet", "file-empty"):
            outcome.verdict, outcome.note = L.IGNORED, f"không phải bảng tính ({suffix or 'không có đuôi'})"
            return
        outcome.verdict, outcome.problems = L.REJECTED, exc.problems
        return
    try:
        inspection = inspect_workbook(book, settings.view, rel, assigned)
    except XlkpiError as exc:  # a sheet that cannot be read: located by the reader
        outcome.format = book.format
        outcome.verdict, outcome.problems = L.REJECTED, exc.problems
        return
    finally:
        book.close()
    outcome.format = book.format
    outcome.saved_at = book.saved_at.isoformat(sep=" ") if book.saved_at else None
    outcome.unit = inspection.unit.code if inspection.unit else None
    outcome.assigned = inspection.assigned
    outcome.form_version = inspection.version
    outcome.problems = inspection.problems
    outcome.verdict = L.ACCEPTED if inspection.accepted else L.REJECTED
    if inspection.unfilled:  # the office's blank form back: no return, nothing for the unit to fix
        outcome.verdict, outcome.unit = L.IGNORED, None
        outcome.note = (f"phiếu của đơn vị {inspection.unit.code if inspection.unit else '?'} chưa nhập số liệu nào "
                        "(bản phiếu trống của đợt, ví dụ thư trả lời trích lại phiếu văn phòng đã gửi)")
        return
    outcome.raw_inputs = inspection.raw_inputs  # for the unit's feedback copy (rejected, or returned by an officer)
    outcome.values = [(v.indicator, v.numerator, v.denominator, v.value, v.text, v.explanation, v.evidence, v.status)
                      for v in inspection.values]
    unclean = [row[0] for row in outcome.values if not L.clean_row(row)]
    if unclean:  # never reached by a correct reader; the ledger must hold clean values whatever happens
        outcome.verdict, outcome.values, outcome.raw_inputs = L.REJECTED, [], {}
        outcome.problems = [problem("file-reader-failed", file=rel, detail=f"giá trị không hợp lệ ở {unclean[0]}")]


def is_bundle(names: list[str]) -> bool:
    """Whether a zip's members make it a bundle of files rather than a document in a zip container
    (xlsx, ods, xlsb, numbers …): decided by the archive's own names (a stored .xlsx inside shows its
    part names in the bytes too)."""
    return not (set(names) & CONTAINER_MARKERS or any(name.startswith(("xl/", "Index/")) for name in names))


def _inspect_bundle(data: bytes, outcome: Outcome, depth: int) -> list[Outcome]:
    """A .zip of returns, opened in memory (never extracted): each member is a file of its own."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        outcome.verdict, outcome.problems = L.REJECTED, [problem("file-corrupt", file=outcome.path,
                                                                 detail=exception_detail(exc))]
        return [outcome]
    with archive:
        return _inspect_members(archive, outcome, depth)


def _inspect_members(archive: zipfile.ZipFile, outcome: Outcome, depth: int) -> list[Outcome]:
    rel = outcome.path
    members = [info for info in archive.infolist() if not info.is_dir()]
    problems: list[Problem] = []
    if depth >= MAX_BUNDLE_DEPTH:
        problems.append(problem("file-too-complex", file=rel, detail=f"tệp nén lồng nhau quá {MAX_BUNDLE_DEPTH} cấp"))
    elif len(members) > MAX_BUNDLE_MEMBERS:
        problems.append(problem("file-too-complex", file=rel, detail=f"{len(members)} tệp trong tệp nén"))
    elif sum(info.file_size for info in members) > MAX_BUNDLE_BYTES:
        problems.append(problem("file-too-complex", file=rel,
                                detail=f"giải nén ra {sum(i.file_size for i in members) // 1_048_576} MB"))
    if problems:
        outcome.verdict, outcome.problems = L.REJECTED, problems
        return [outcome]
    results: list[Outcome] = []
    skipped: list[Problem] = []
    seen: set[str] = set()
    for info in members:
        label = _member_label(info.filename)
        member_path = f"{rel}{BUNDLE_SEPARATOR}{label}"
        if member_path in seen:
            skipped.append(problem("bundle-member-skipped", file=rel, member=label, detail="trùng tên"))
            continue
        seen.add(member_path)
        if info.flag_bits & 0x1:  # a zip with a password: the returns in it cannot be read until unpacked
            skipped.append(problem("bundle-member-encrypted", file=rel, member=label))
            continue
        if info.file_size > MAX_FILE_BYTES + MAX_MEDIA_BYTES:
            skipped.append(problem("bundle-member-skipped", file=rel, member=label,
                                   detail=f"{info.file_size // 1024} KB, quá lớn"))
            continue
        try:
            content = _read_member(archive, info)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
            skipped.append(problem("bundle-member-skipped", file=rel, member=label, detail=exception_detail(exc)))
            continue
        results.extend(_inspect_bytes(content, member_path, label.rsplit("/", 1)[-1], outcome.mtime, None,
                                      depth + 1))
    encrypted = any(p.code == "bundle-member-encrypted" for p in skipped)
    outcome.verdict = L.REJECTED if (skipped and not results) or encrypted else L.IGNORED
    outcome.problems = skipped
    outcome.note = f"tệp nén: {len(results)} tệp bên trong được xét riêng ({rel}{BUNDLE_SEPARATOR}…)"
    return [outcome, *results]


def _inspect_message(data: bytes, outcome: Outcome, depth: int) -> list[Outcome]:
    """An e-mail message saved into the inbox (``.eml``): each attachment is a file of its own, received
    when the message reached the office's mail server (its topmost ``Received:`` header, else its ``Date:``)
    unless fetch recorded the file or ``collect --received`` gives the time."""
    settings = _SETTINGS
    assert settings is not None
    rel = outcome.path
    if depth >= MAX_BUNDLE_DEPTH:
        return _too_deep(outcome)
    try:
        message = parse_message(data)
        found = attachments(message)
        sender, moment = sender_address(message), message_time(message)
    except Exception as exc:  # noqa: BLE001 — untrusted input: an unparsable message is that file's verdict
        outcome.verdict, outcome.problems = L.REJECTED, [problem("file-corrupt", file=rel,
                                                                 detail=exception_detail(exc))]
        return [outcome]
    top = rel.split(BUNDLE_SEPARATOR, 1)[0]
    mtime = outcome.mtime
    if moment is not None and top not in settings.mail_received and settings.received is None:
        mtime = moment.isoformat(sep=" ")
    results = _inspect_attached(outcome, [(a.name, a.data) for a in found], mtime, depth)
    outcome.verdict = L.IGNORED
    if getattr(found, "left_out", 0):
        outcome.problems = [problem("container-files-left-out", file=rel, count=found.left_out, kept=len(found))]
    who = f" của {sender}" if sender else ""
    outcome.note = (f"thư điện tử{who}: {len(found)} tệp đính kèm được xét riêng ({rel}{BUNDLE_SEPARATOR}…)"
                    if found else f"thư điện tử{who} không có tệp đính kèm")
    return [outcome, *results]


def _inspect_container(data: bytes, outcome: Outcome, depth: int) -> list[Outcome]:
    """An Outlook message (.msg) or a winmail.dat, opened in memory: each attached file is a file of its own,
    received when the container was."""
    rel = outcome.path
    if depth >= MAX_BUNDLE_DEPTH:
        return _too_deep(outcome)
    try:
        container = open_container(data)
    except Exception as exc:  # noqa: BLE001 — untrusted input: a damaged container is that file's verdict
        outcome.verdict, outcome.problems = L.REJECTED, [problem("file-corrupt", file=rel,
                                                                 detail=exception_detail(exc))]
        return [outcome]
    results = _inspect_attached(outcome, container.files, outcome.mtime, depth)
    outcome.verdict = L.IGNORED
    if container.left_out:
        outcome.problems = [problem("container-files-left-out", file=rel, count=container.left_out,
                                    kept=len(container.files))]
    who = f" của {container.sender}" if container.sender else ""
    outcome.note = (f"{container.kind}{who}: {len(container.files)} tệp đính kèm được xét riêng "
                    f"({rel}{BUNDLE_SEPARATOR}…)" if container.files else f"{container.kind}{who} không có tệp đính kèm")
    return [outcome, *results]


def _too_deep(outcome: Outcome) -> list[Outcome]:
    outcome.verdict, outcome.problems = L.REJECTED, [problem(
        "file-too-complex", file=outcome.path, detail=f"thư hoặc tệp nén lồng nhau quá {MAX_BUNDLE_DEPTH} cấp")]
    return [outcome]


def _inspect_attached(outcome: Outcome, files: Iterable[tuple[str, bytes]], mtime: str, depth: int) -> list[Outcome]:
    """The files attached to a message (an .eml, an Outlook .msg, a winmail.dat), each a file of its own named
    ``message › name`` (a second file of the same name gets " (2)"), received at ``mtime``."""
    results: list[Outcome] = []
    seen: set[str] = set()
    for name, content in files:
        label = _member_label(name)
        member_path, n = f"{outcome.path}{BUNDLE_SEPARATOR}{label}", 2
        while member_path in seen:
            member_path, n = f"{outcome.path}{BUNDLE_SEPARATOR}{label} ({n})", n + 1
        seen.add(member_path)
        results.extend(_inspect_bytes(content, member_path, label.rsplit("/", 1)[-1], mtime, None, depth + 1))
    return results


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than it declares (a lying header cannot make it a bomb)."""
    with archive.open(info) as handle:
        content = handle.read(info.file_size + 1)
    if len(content) != info.file_size:
        raise ValueError("kích thước không khớp")
    return content


def _member_label(name: str) -> str:
    """A member's name as shown and recorded: printable, forward slashes, never a path to extract to."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name.replace("\\", "/"))
    return "/".join(part for part in cleaned.split("/") if part not in ("", ".", "..")) or "?"


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
    received: datetime | None = None,
    isolate: bool = True,
    time_limit: float = TIME_LIMIT,
    who: str | None = None,
) -> CollectResult:
    """Read, check and record every file under ``paths`` (default: the inbox).

    Each file is read in a worker process (``isolate``, the default): whatever one file does — an
    exception, a crash of a reader library, more than ``time_limit`` seconds — ends with that file
    rejected and a located problem; the run goes on.  ``received`` sets the receipt time of every file of
    this run (files dropped into the inbox by hand long after they arrived); a file ``xlkpi fetch`` saved
    keeps the mail server's receipt time; an ``.eml`` message saved by hand, the time in its headers;
    otherwise it is the file's modification time. ``who`` is named in the audit log (default: the
    operating system's user; the web page's user for an upload)."""
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
            result.repaired = L.repair(connection)
            known_files = L.known_files(connection)
            known = L.known_contents(connection)
            for sha in result.repaired:  # read again what an older version recorded badly
                known.pop(sha, None)
            settings = Settings(view, known, assignments, str(campaign.directory.resolve()),
                                received.replace(microsecond=0).isoformat(sep=" ") if received else None,
                                {path: entry[0] for path, entry in L.mail_sources(connection).items()})
            run_id = connection.execute(
                "INSERT INTO runs (started, finished, files_seen, contents_new) VALUES (?, ?, ?, 0)",
                (started, started, len(found)),
            ).lastrowid
            jobs = max(1, min(jobs or os.cpu_count() or 1, len(found) // 100 or 1))
            chunks = chunked(found, jobs)

            def record(chunk_outcomes: list[Outcome]) -> None:
                nonlocal new
                unreadable = [o for o in chunk_outcomes if o.verdict == UNREADABLE]
                result.unreadable.extend(unreadable)
                chunk_outcomes = [o for o in chunk_outcomes if o.verdict != UNREADABLE]
                fresh = [o for o in chunk_outcomes if o.verdict is not None and o.sha256 not in recorded]
                recorded.update(o.sha256 for o in fresh)
                _record_contents(connection, fresh, run_id, campaign.config.period, known)
                new += len(fresh)
                outcomes.extend(fresh)
                rows = [(o.path, o.sha256, o.size, o.mtime, started, o.verdict or known[o.sha256][0], o.note)
                        for o in chunk_outcomes if (o.path, o.sha256) not in known_files]
                known_files.update((row[0], row[1]) for row in rows)
                added.extend(row[0] for row in rows)
                connection.executemany(
                    "INSERT OR IGNORE INTO files (path, sha256, size, mtime, first_seen, state, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

            recorded: set[str] = set()
            added: list[str] = []
            if isolate and found:
                with WorkerPool(jobs, _inspect_path, initializer=_init_worker, initargs=(settings,),
                                time_limit=time_limit, memory_mb=WORKER_MEMORY_MB) as pool:
                    for chunk, results in pool.run(chunks):
                        chunk_outcomes = []
                        for path, got in zip(chunk, results):
                            chunk_outcomes.extend(_failed(path, got, settings, time_limit)
                                                  if isinstance(got, Failure) else got)
                        record(chunk_outcomes)
                        if progress:
                            progress(len(chunk))
            else:
                _init_worker(settings)
                try:
                    for chunk in chunks:
                        chunk_outcomes = []
                        for path in chunk:
                            try:
                                chunk_outcomes.extend(_inspect_path(path))
                            except Exception as exc:  # noqa: BLE001 — as a worker would report it
                                chunk_outcomes.extend(_failed(path, Failure(path, "exception", exception_detail(exc)),
                                                              settings, time_limit))
                        record(chunk_outcomes)
                        if progress:
                            progress(len(chunk))
                finally:
                    _init_worker(None)  # type: ignore[arg-type]
            L.derive_states(connection, campaign.config.created)
            connection.execute("UPDATE runs SET finished = ?, contents_new = ? WHERE id = ?", (L.now(), new, run_id))
            if added:  # the audit log says what came in; a run that found nothing new adds nothing
                verdicts: dict[str, int] = {}
                for outcome in outcomes:
                    verdicts[outcome.verdict or "known"] = verdicts.get(outcome.verdict or "known", 0) + 1
                audit.record(connection, "collect", campaign.id, who=who, detail={
                    "files": len(added), "new_contents": new, **verdicts,
                    "after_lock": workflow.active_lock(connection) is not None})
        outcomes.sort(key=lambda o: o.path)
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


def _failed(path: Path, failure: Failure, settings: Settings, time_limit: float) -> list[Outcome]:
    """The outcome of a file whose reading failed, crashed or overran: rejected, with what happened."""
    rel = ledger_path(path, settings.base)
    try:
        stat = path.stat()
        sha, size = file_sha256(path), stat.st_size
        mtime = received_time(settings, rel, stat.st_mtime)
    except OSError as exc:
        return [Outcome(rel, "", 0, "", verdict=UNREADABLE, problems=[
            problem("file-unreadable", file=rel, detail=exc.strerror or str(exc))])]
    if failure.kind == "timeout":
        found = problem("file-timeout", file=rel, limit=f"{time_limit:g}")
    elif failure.kind == "crashed":
        found = problem("file-reader-crashed", file=rel, detail=failure.detail)
    else:
        found = problem("file-reader-failed", file=rel, detail=failure.detail)
    return [Outcome(rel, sha, size, mtime, verdict=L.REJECTED, problems=[found])]


def _record_contents(connection: Any, outcomes: list[Outcome], run_id: int, period: str,
                     known: Container[str] = ()) -> None:
    """Record newly inspected contents (a batch): verdict, problems, values and inputs.  A content the ledger
    already holds (``known``: re-inspected for --assign) replaces what an earlier run recorded of it."""
    if not outcomes:
        return
    shas = [(o.sha256,) for o in outcomes if o.sha256 in known]
    for table in ("contents", "problems", '"values"', "inputs") if shas else ():
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
        [(o.sha256, L.typed_inputs(o.form_version, o.raw_inputs)) for o in outcomes
         if o.unit and o.verdict in (L.REJECTED, L.ACCEPTED)],
    )
