"""Handing a consolidation up: this office's totals as its own submission to the next level.

A district's office runs its own campaign over its communes; the province's campaign sent the district
a data-entry workbook.  ``xlkpi consolidate --submission FILE`` fills that very workbook with the
district's totals — numerators and denominators, never percentages, so the province's roll-up stays
Σ numerators / Σ denominators — and leaves its identity untouched, so the province's collector accepts
it like any unit's.  Yes/no and text answers are the office's own: they are left for it to fill in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xlkpi.forms import layout as F
from xlkpi.plan.builtin import resolve_plan
from xlkpi.forms.fill import fill_workbook
from xlkpi.common.files import atomic_output
from xlkpi.campaign.periods import Period, target_year
from xlkpi.plan.model import Plan, read_plan_file
from xlkpi.problems import XlkpiError, exception_detail, problem
from xlkpi.collect.readers import MAX_FILE_BYTES, read_workbook
from xlkpi.report.rollup import Consolidation
from xlkpi.common.text import cell_text
from xlkpi.collect.checks import read_identity


@dataclass
class SubmissionResult:
    path: Path
    unit: str
    filled: list[str] = field(default_factory=list)  # indicator numbers filled from the totals
    left: list[str] = field(default_factory=list)  # indicator numbers left for the office to fill


def _upper_plan(identity: dict[str, str], given: str | Path | None, file: str) -> Plan:
    try:
        path = resolve_plan(given or identity["plan"])
    except XlkpiError as exc:
        raise XlkpiError(problem("upper-plan-missing", file=file, plan=identity["plan"])) from exc
    plan, report = read_plan_file(path)
    if plan is None:
        raise XlkpiError(report.errors)
    if plan.id != identity["plan"] or plan.version != identity["plan_version"]:
        raise XlkpiError(problem("upper-plan-missing", file=file, plan=f"{identity['plan']} {identity['plan_version']}"))
    return plan


def fill_upper_workbook(upper_file: str | Path, consolidation: Consolidation, reporter: str, out_dir: Path,
                        upper_plan: str | Path | None = None) -> SubmissionResult:
    """Fill the upper level's workbook (untrusted: it came by e-mail) with this office's totals.

    Whatever is wrong with that file ends as an XlkpiError naming it; the workbook is never changed in place."""
    try:
        return _fill_upper_workbook(Path(upper_file), consolidation, reporter, out_dir, upper_plan)
    except XlkpiError:
        raise
    except OSError as exc:
        raise XlkpiError(problem("file-unreadable", file=str(upper_file), detail=exc.strerror or str(exc))) from exc
    except Exception as exc:  # noqa: BLE001 — a crafted file must not end in a traceback
        raise XlkpiError(problem("upper-workbook-unusable", file=str(upper_file),
                                 detail=exception_detail(exc))) from exc


def _fill_upper_workbook(upper_file: Path, consolidation: Consolidation, reporter: str, out_dir: Path,
                         upper_plan: str | Path | None) -> SubmissionResult:
    file = str(upper_file)
    if upper_file.stat().st_size > MAX_FILE_BYTES:
        raise XlkpiError(problem("file-too-large", file=file, size=upper_file.stat().st_size // 1024,
                                 limit=MAX_FILE_BYTES // 1024))
    data = upper_file.read_bytes()
    book = read_workbook(data, file)
    try:
        identity, problems = read_identity(book, file)
        if identity is None:
            raise XlkpiError(problems)
        plan = _upper_plan(identity, upper_plan, file)
        year = target_year(plan.years, Period.parse(identity["period"]))
        if F.SHEET not in book.sheets:
            raise XlkpiError(problem("sheet-missing", file=file, sheet=F.SHEET, found=", ".join(book.sheets) or "-"))
        rows = book.rows(F.SHEET, F.READ_COLUMNS)
    finally:
        book.close()
    if identity["format"] not in F.FORM_VERSIONS:
        raise XlkpiError(problem("form-version-unknown", file=file, found=identity["format"],
                                 known=", ".join(F.FORM_VERSIONS)))
    layout = _matching_layout(plan, year, identity["unit"], rows, file, identity["format"])
    result = SubmissionResult(out_dir / f"{upper_file.stem}-tong-hop.xlsx", identity["unit"])
    values: dict[str, object] = {}
    for block in layout.blocks:
        rolled = consolidation.totals.get(block.indicator.id)
        kind = block.indicator.measure.kind
        if rolled is None or not rolled.reported or kind in ("yesno", "text"):
            result.left.append(plan.full_number(block.indicator.id))
            continue
        if kind == "rate":
            values[F.cell_name(*block.inputs[F.NUMERATOR])] = int(rolled.numerator or 0)
            values[F.cell_name(*block.inputs[F.DENOMINATOR])] = int(rolled.denominator or 0)
            value = 100 * rolled.numerator / rolled.denominator if rolled.denominator else None
        elif rolled.value is None:
            result.left.append(plan.full_number(block.indicator.id))
            continue
        else:
            value = rolled.value
            values[F.cell_name(*block.inputs[F.VALUE])] = int(value) if kind == "count" and value.is_integer() else value
        if block.rule is not None and value is not None and not block.rule.met(round(value, 6)):
            missed = rolled.judged - rolled.met
            values[F.cell_name(*block.inputs[F.EXPLANATION])] = (
                f"Tổng hợp từ {rolled.reported}/{rolled.expected} đơn vị; {missed} đơn vị chưa đạt chỉ tiêu được giao.")
        values[F.cell_name(*block.inputs[F.EVIDENCE])] = (
            f"Phụ lục tổng hợp {consolidation.plan.id} của {reporter} ({rolled.reported}/{rolled.expected} đơn vị)")
        result.filled.append(plan.full_number(block.indicator.id))
    try:
        filled = fill_workbook(data, values)
    except (ValueError, KeyError) as exc:
        raise XlkpiError(problem("upper-workbook-unusable", file=file, detail=str(exc))) from exc
    with atomic_output(result.path, force=True) as temp:
        temp.write_bytes(filled)
    return result


def _matching_layout(plan: Plan, year: int, unit: str, rows: list[list[object]], file: str, version: str
                     ) -> F.FormLayout:
    """The layout (level) of form ``version`` whose indicator names are the ones printed in the workbook."""
    for level in plan.reporting_levels:
        layout = F.layout(plan, level, year, F.own_targets(plan, year, unit), version)
        names = [cell_text(rows[b.first_row][F.COL_NAME]) if b.first_row < len(rows) else "" for b in layout.blocks]
        if layout.blocks and names == [b.indicator.name for b in layout.blocks]:
            return layout
    raise XlkpiError(problem("upper-workbook-unusable", file=file,
                             detail="bảng nhập liệu không khớp với kế hoạch của cấp trên"))
