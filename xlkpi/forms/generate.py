"""``xlkpi generate``: one data-entry workbook per reporting unit, into the campaign's ``outbox/``.

The work that is the same for many units is done once: the workbook for a level (its indicators and
targets) is written once by XlsxWriter with placeholder tokens and turned into a :class:`Prototype`;
each unit's workbook is then that prototype with the unit's code, name and digest stamped in.  A unit
with targets of its own gets a prototype of its own.  Units are spread over processes (``jobs``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from xlkpi.forms import layout as F
from xlkpi.campaign.folder import Campaign
from xlkpi.forms.entry_workbook import FormContext, UnitText, protect_structure, rows_grow, xlsxwriter_workbook
from xlkpi.forms.fill import FORM_PART
from xlkpi.common.files import atomic_output, write_atomically
from xlkpi.forms.identity import Identity, LockedRow, digest
from xlkpi.campaign.periods import Period
from xlkpi.plan.model import Plan
from xlkpi.problems import Problem, XlkpiError, problem
from xlkpi.units.roster import Unit
from xlkpi.common.text import csv_safe, csv_unsafe, slug
from xlkpi.forms.stamp import Prototype
from xlkpi.common.workers import Failure, WorkerPool, chunked

#: a feedback copy's form: its second sheet, after "Phản hồi" (a blank form's is its first, FORM_PART)
FEEDBACK_FORM_PART = "xl/worksheets/sheet2.xml"

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("unit", "name", "level", "file", "sha256", "indicators")

_CODE = b"XLKPIxTOKENxCODEx"
_NAME = b"XLKPIxTOKENxNAMEx"
_DIGEST = b"XLKPIxTOKENxDIGESTx"
_NAME_CODE = b"XLKPIxTOKENxNCODEx"  # the code inside a defined name's formula: quotes doubled
_TOKENS = [_CODE, _NAME, _DIGEST, _NAME_CODE]


@dataclass(frozen=True)
class GeneratedFile:
    unit: Unit
    path: Path
    sha256: str
    indicators: int


@dataclass
class GenerateResult:
    files: list[GeneratedFile] = field(default_factory=list)
    #: units in the roster that report nothing in this plan (e.g. the province rows above communes)
    skipped: list[Unit] = field(default_factory=list)
    manifest: Path | None = None


class WorkbookFactory:
    """Makes the workbook of any unit of a campaign, reusing one prototype per level."""

    def __init__(self, plan: Plan, context: FormContext, secret: bytes, year: int):
        self.plan = plan
        self.context = context
        self.secret = secret
        self.year = year
        self._own_targets = F.units_with_own_targets(plan, year)
        self._prototypes: dict[tuple[str, str | None], tuple[Prototype, list[LockedRow], int]] = {}

    def _own(self, unit: Unit) -> str | None:
        return unit.code if unit.code in self._own_targets else None

    def _prototype(self, unit: Unit) -> tuple[Prototype, list[LockedRow], int]:
        own = self._own(unit)
        key = (unit.level, own)
        if key not in self._prototypes:
            layout = F.layout(self.plan, unit.level, self.year, own)
            text = UnitText(_CODE.decode(), _NAME.decode(), _DIGEST.decode(), _NAME_CODE.decode())
            identity = Identity(self.plan.id, self.plan.version, self.context.campaign, _CODE.decode(),
                                str(self.context.period))
            raw = xlsxwriter_workbook(layout, self.context, text, identity)
            prototype = Prototype(raw, _TOKENS, timestamp=self.context.created, patch=self._patch(layout))
            locked = [LockedRow(b.indicator.id, b.indicator.name, b.target_text) for b in layout.blocks]
            self._prototypes[key] = (prototype, locked, len(layout.blocks))
        return self._prototypes[key]

    def _patch(self, layout: F.FormLayout, form: str = FORM_PART) -> dict[str, Callable[[bytes], bytes]]:
        """What XlsxWriter cannot write: the workbook's structure protection; rows that grow as typed into."""
        return {"xl/workbook.xml": lambda xml: protect_structure(xml, self.context.password),
                form: rows_grow(layout)}

    def identity(self, unit: Unit) -> Identity:
        _, locked, _ = self._prototype(unit)
        bare = Identity(self.plan.id, self.plan.version, self.context.campaign, unit.code, str(self.context.period))
        return Identity(**{**bare.as_dict(), "digest": digest(self.secret, bare, locked)})

    def feedback(self, unit: Unit, filled: dict[str, Any], notes: dict[str, str], banner: str,
                 findings: list[tuple[str, str]] | None = None) -> bytes:
        """The unit's workbook with its own values, each problem cell marked, and the list of problems (the
        slow, direct path: only for the few units that must correct and resend)."""
        own = self._own(unit)
        layout = F.layout(self.plan, unit.level, self.year, own)
        identity = self.identity(unit)
        text = UnitText(unit.code, unit.name, identity.digest, unit.code.replace('"', '""'))
        raw = xlsxwriter_workbook(layout, self.context, text, identity, filled=filled, notes=notes, banner=banner,
                                  findings=findings if findings is not None else [])
        prototype = Prototype(raw, [], timestamp=self.context.created, patch=self._patch(layout, FEEDBACK_FORM_PART))
        return prototype.render({})

    def cells_from(self, unit: Unit, version: str) -> dict[str, str]:
        """cell of the unit's form as ``version`` laid it out -> the same cell in the form written today
        (empty when the versions agree or ``version`` is unknown)."""
        if version == F.FORM_VERSION or version not in F.FORM_VERSIONS:
            return {}
        own = self._own(unit)
        return F.translate_cells(F.layout(self.plan, unit.level, self.year, own, version),
                                 F.layout(self.plan, unit.level, self.year, own))

    def workbook(self, unit: Unit) -> tuple[bytes, int]:
        """The unit's workbook as bytes, and how many indicators it holds."""
        prototype, _, count = self._prototype(unit)
        code = escape(unit.code).encode("utf-8")
        values = {
            _CODE: code,
            _NAME: escape(unit.name).encode("utf-8"),
            _DIGEST: self.identity(unit).digest.encode("ascii"),
            _NAME_CODE: escape(unit.code.replace('"', '""')).encode("utf-8"),
        }
        return prototype.render(values), count


def form_context(campaign: Campaign) -> FormContext:
    config = campaign.config
    return FormContext(
        campaign=config.id,
        period=Period.parse(config.period),
        convention=config.convention,
        deadline=config.deadline,
        owner=config.owner,
        send_to=config.send_to,
        password=config.password,
        created=config.created,
    )


def file_names(units: Sequence[Unit]) -> dict[str, str]:
    """ASCII, unique, readable: ``<code>_<slug-of-name>.xlsx`` ("03388_phuong-doan-ket.xlsx")."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for unit in units:
        stem = f"{slug(unit.code, 20)}_{slug(unit.name)}"
        name, n = f"{stem}.xlsx", 2
        while name.lower() in used:
            name, n = f"{stem}-{n}.xlsx", n + 1
        used.add(name.lower())
        names[unit.code] = name
    return names


def select_units(plan: Plan, units: Iterable[Unit], codes: Sequence[str] = (), level: str | None = None,
                 file: str | None = None) -> tuple[list[Unit], list[Unit], list[Problem]]:
    """(units to generate, units skipped because they report nothing, problems)."""
    all_units = list(units)
    by_code = {u.code: u for u in all_units}
    problems: list[Problem] = []
    reporting = set(plan.reporting_levels)
    if level is not None and level not in plan.level_ids:
        problems.append(problem("unknown-level", file=file, level=level, known=", ".join(plan.level_ids)))
        return [], [], problems
    if codes:
        chosen = []
        for code in codes:
            if code not in by_code:
                problems.append(problem("unit-unknown", file=file, code=code))
                continue
            unit = by_code[code]
            if unit.level not in reporting:
                problems.append(problem("unit-no-indicators", file=file, row=unit.row, code=code, name=unit.name,
                                        level=unit.level))
                continue
            chosen.append(unit)
        return [u for u in chosen if level is None or u.level == level], [], problems
    selected = [u for u in all_units if level is None or u.level == level]
    skipped = [u for u in selected if u.level not in reporting]
    chosen = [u for u in selected if u.level in reporting]
    if not chosen:
        what = f"cấp '{level}'" if level else "danh sách đơn vị"
        problems.append(problem("nothing-to-generate", detail=f"{what} không có đơn vị nào phải báo cáo chỉ tiêu "
                                f"của kế hoạch {plan.id}", detail_en=f"no unit of the {'level' if level else 'roster'} "
                                f"reports an indicator of plan {plan.id}"))
    return chosen, skipped, problems


# -- running ---------------------------------------------------------------------------------------------


@dataclass
class _Job:
    """What a worker writes with, handed to it explicitly when it starts (nothing inherited)."""

    factory: WorkbookFactory
    outbox: Path
    force: bool


_JOB: _Job | None = None


def _init_worker(job: _Job | None) -> None:
    global _JOB
    _JOB = job


def _write_one(item: tuple[Unit, str]) -> tuple[str, str, str, int] | list[Problem]:
    assert _JOB is not None, "worker not initialised"
    unit, name = item
    try:
        data, count = _JOB.factory.workbook(unit)
        path = _JOB.outbox / name
        write_atomically(path, data, force=_JOB.force)
    except XlkpiError as exc:
        return exc.problems
    return unit.code, name, hashlib.sha256(data).hexdigest(), count


def generate(
    campaign: Campaign,
    *,
    units: Sequence[str] = (),
    level: str | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Write the workbooks of the chosen units (default: every unit that reports) and the manifest."""
    plan, roster = campaign.plan, campaign.roster
    chosen, skipped, problems = select_units(plan, roster.units, units, level, roster.source)
    if problems:
        raise XlkpiError(problems)
    names = file_names(roster.units)
    outbox = campaign.outbox
    if not force:
        in_the_way = [names[u.code] for u in chosen if (outbox / names[u.code]).exists()]
        if in_the_way:
            shown = ", ".join(in_the_way[:3]) + (f", … (+{len(in_the_way) - 3})" if len(in_the_way) > 3 else "")
            raise XlkpiError(problem("outputs-exist", file=str(outbox), count=len(in_the_way), names=shown))
    try:
        outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise XlkpiError(problem("output-unwritable", file=str(outbox), detail=exc.strerror or str(exc))) from exc

    factory = WorkbookFactory(plan, form_context(campaign), campaign.secret, campaign.target_year)
    for unit in chosen:  # one prototype per level (and per unit with its own targets), made once, handed to workers
        factory._prototype(unit)
    job = _Job(factory, outbox, force)

    work = [(u, names[u.code]) for u in chosen]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(work) // 50 or 1))
    chunks = chunked(work, jobs)
    written: dict[str, tuple[str, str, int]] = {}
    failures: list[Problem] = []

    def record(results: Iterable[Any]) -> None:
        for result in results:
            if isinstance(result, Failure):
                unit, name = result.item
                failures.append(problem("output-unwritable", file=str(outbox / name), detail=result.detail))
            elif isinstance(result, list):
                failures.extend(result)
            else:
                code, name, sha, count = result
                written[code] = (name, sha, count)

    if jobs > 1:
        with WorkerPool(jobs, _write_one, initializer=_init_worker, initargs=(job,)) as pool:
            for chunk, results in pool.run(chunks):
                record(results)
                if progress:
                    progress(len(chunk))
    else:
        _init_worker(job)
        try:
            for chunk in chunks:
                record(_write_one(item) for item in chunk)
                if progress:
                    progress(len(chunk))
        finally:
            _init_worker(None)
    if failures:
        raise XlkpiError(failures[:20])

    by_code = {u.code: u for u in roster.units}
    order = {code: i for i, code in enumerate(by_code)}
    result = GenerateResult(
        files=[GeneratedFile(by_code[c], outbox / n, s, k) for c, (n, s, k) in written.items()],
        skipped=skipped,
    )
    result.files.sort(key=lambda f: order[f.unit.code])
    result.manifest = _write_manifest(outbox, roster.units, written)
    return result


def _write_manifest(outbox: Path, units: Sequence[Unit], written: dict[str, tuple[str, str, int]]) -> Path:
    """outbox/manifest.csv: one row per workbook; rows of units not regenerated now are kept."""
    path = outbox / MANIFEST_NAME
    rows: dict[str, dict[str, str]] = {}
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = {csv_unsafe(row["unit"]): {key: csv_unsafe(value or "") for key, value in row.items() if key}
                    for row in csv.DictReader(handle) if row.get("unit")}
    for unit in units:
        if unit.code in written:
            name, sha, count = written[unit.code]
            rows[unit.code] = {"unit": unit.code, "name": unit.name, "level": unit.level, "file": name,
                               "sha256": sha, "indicators": str(count)}
    order = {u.code: i for i, u in enumerate(units)}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for code in sorted(rows, key=lambda c: order.get(c, len(order))):
        writer.writerow({key: csv_safe(value) for key, value in rows[code].items()})
    with atomic_output(path, force=True) as temp:
        temp.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    return path
