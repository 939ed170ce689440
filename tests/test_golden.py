"""Each built-in plan's data-entry workbook against its golden file, compared structurally (parts,
cells with their look, merges, validations, conditional formats, print setup, identity), not byte for
byte.  After an intended layout change: python -m tests.golden.workbooks"""

from __future__ import annotations

import pytest

from tests.golden.workbooks import UNITS, first_difference, golden_path, make, snapshot


@pytest.mark.parametrize("plan_id", sorted(UNITS))
def test_workbook_matches_golden(plan_id, tmp_path):
    generated = tmp_path / f"{plan_id}.xlsx"
    generated.write_bytes(make(plan_id))
    difference = first_difference(snapshot(generated), snapshot(golden_path(plan_id)))
    assert difference is None, f"{plan_id}: {difference}"


def test_golden_comparison_can_fail(tmp_path):
    """The comparison sees a one-cell change (so the tests above can fail)."""
    import openpyxl

    changed = tmp_path / "changed.xlsx"
    workbook = openpyxl.load_workbook(golden_path("lai-chau-2025"))
    workbook["Nhập liệu"]["D10"] = "70"
    workbook.save(changed)
    form = "Nhập liệu"
    difference = first_difference(snapshot(changed)["sheets"][form]["cells"],
                                  snapshot(golden_path("lai-chau-2025"))["sheets"][form]["cells"])
    assert difference and difference.startswith("/D10: generated ('70'")
