"""Golden data-entry workbooks, one per built-in plan, and their structural comparison.

Regenerate after an intended change of layout (then review the diff of the test's snapshot):

    python -m tests.golden.workbooks
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from xlkpi.forms.entry_workbook import FormContext
from xlkpi.forms.generate import WorkbookFactory
from xlkpi.campaign.periods import Period, target_year
from xlkpi.plan.model import load_plan
from xlkpi.units.roster import Unit

HERE = Path(__file__).parent
#: plan -> the unit whose workbook is kept (one level of each plan)
UNITS = {
    "lai-chau-2025": Unit("03388", "Phường Đoàn Kết", "xa"),
    "tam-duong-2025": Unit("T01", "Xã Bình Lư", "xa"),
    "cam-hiep-2025": Unit("TTPV", "Trung tâm Phục vụ hành chính công", "trung-tam"),
    "phu-tho-2025": Unit("STP", "Sở Tư pháp", "so"),
}


def golden_path(plan_id: str) -> Path:
    return HERE / f"{plan_id}.xlsx"


def make(plan_id: str) -> bytes:
    plan = load_plan(plan_id)
    period = Period.parse("2025-Q3")
    context = FormContext(
        campaign="golden-campaign",
        period=period,
        convention=plan.period_convention,
        deadline=date(2025, 10, 20),
        owner=plan.document.issuer,
        send_to="vanphong@example.gov.vn",
        password="golden-password",
        created=datetime(2025, 10, 1, 8, 0, 0),
    )
    factory = WorkbookFactory(plan, context, bytes(32), target_year(plan.years, period))
    return factory.workbook(UNITS[plan_id])[0]


def snapshot(path: Path) -> dict[str, Any]:
    """What the comparison looks at: the parts, and per sheet what a person sees and what protects it."""
    with zipfile.ZipFile(path) as archive:
        parts = sorted(archive.namelist())
    workbook = openpyxl.load_workbook(path)
    sheets = {}
    for sheet in workbook.worksheets:
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None and cell.protection.locked:
                    continue
                cells[cell.coordinate] = (
                    cell.value, cell.number_format, cell.protection.locked, cell.font.b, cell.font.i,
                    cell.font.sz, cell.fill.fgColor.rgb if cell.fill.fill_type else None, cell.alignment.horizontal,
                )
        sheets[sheet.title] = {
            "state": sheet.sheet_state,
            "protected": bool(sheet.protection.sheet),
            "cells": cells,
            "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
            "validations": sorted(
                (str(v.sqref), v.type, v.operator, v.formula1, v.formula2, v.promptTitle, v.prompt, v.errorTitle,
                 v.error) for v in sheet.data_validations.dataValidation
            ),
            "conditional": sorted(
                (str(cf.sqref), r.type, r.operator, tuple(r.formula or ())) for cf in sheet.conditional_formatting
                for r in cf.rules
            ),
            "columns": {get_column_letter(i): sheet.column_dimensions[get_column_letter(i)].width for i in range(1, 11)},
            "rows": {r: d.height for r, d in sorted(sheet.row_dimensions.items()) if d.height},
            "print": (sheet.page_setup.orientation, sheet.page_setup.paperSize, sheet.page_setup.fitToHeight,
                      sheet.print_title_rows, sheet.oddFooter.center.text),
        }
    return {
        "parts": parts,
        "sheets": sheets,
        "names": sorted((n, d.attr_text) for n, d in workbook.defined_names.items()),
        "properties": sorted((p.name, p.value) for p in workbook.custom_doc_props.props),
        "structure_locked": bool(workbook.security and workbook.security.lockStructure),
    }


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two snapshots first differ, as a readable path; None when equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}/{key}: only in {'generated' if key in a else 'golden'}"
            found = first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if a != b:
        return f"{path}: generated {a!r} != golden {b!r}"
    return None


if __name__ == "__main__":
    for plan_id in UNITS:
        golden_path(plan_id).write_bytes(make(plan_id))
        print("wrote", golden_path(plan_id))
