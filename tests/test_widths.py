"""Measuring text with Times New Roman's widths, and sharing an appendix's width among its columns.

What LibreOffice itself lays out is checked by the rendering tests (no appendix row is shorter than
LibreOffice needs; body text at least 10 points tall as printed); these pin the arithmetic."""

from __future__ import annotations

import pytest

from xlkpi.common.measure import lines_in, narrowest, text_points
from xlkpi.plan.model import load_plan
from xlkpi.report.widths import MIN_SCALE, fit_widths, page_budget, print_scale


def test_widths_are_the_fonts():
    assert text_points("0") == pytest.approx(6.0)  # a digit is half an em: the unit of column width
    assert text_points("m") > text_points("n") > text_points("i")
    assert text_points("M", bold=True) > text_points("M")
    # a Vietnamese letter is as wide as its base letter, whatever its marks
    assert text_points("Nghị quyết số") == pytest.approx(text_points("Nghi quyet so"))
    assert text_points("đ") >= text_points("d")  # its own glyph, in the table


def test_lines_wrap_at_spaces_and_hyphens_never_inside_a_date():
    assert lines_in("", 10) == 1
    assert lines_in("Đạt", 10) == 1
    assert lines_in("một\nhai", 40) == 2  # each paragraph a line at least
    text = "Từ ngày 15/12/2024 đến hết ngày 15/12/2030"
    assert [lines_in(text, w) for w in (8, 12, 20, 40)] == sorted([lines_in(text, w) for w in (8, 12, 20, 40)],
                                                                  reverse=True)
    assert lines_in(text, 60) == 1
    # a date is not broken: a column as narrow as the date holds it on one line
    assert lines_in("15/12/2024", narrowest("15/12/2024")) == 1
    assert narrowest("01/NQ-CP") < narrowest("01/NQCP")  # may break after the hyphen
    # a word longer than the line is broken where it reaches the edge
    assert lines_in("x" * 60, 10) > 1


def _texts(plan_id):
    plan = load_plan(plan_id)
    rows = [[c.header for c in plan.columns]]
    for _, indicator in plan.iter_indicators():
        rows.append([indicator.printed(c) or "" for c in plan.columns])
    return plan, rows


@pytest.mark.parametrize("plan_id", ["lai-chau-2025", "cam-hiep-2025", "phu-tho-2025", "tam-duong-2025"])
def test_the_appendix_fits_a4_at_legible_size_in_few_lines(plan_id):
    plan, texts = _texts(plan_id)
    declared = [c.width or 12 for c in plan.columns]
    widths = fit_widths(declared, texts)
    assert sum(widths) <= page_budget(len(widths)) and sum(widths) <= sum(declared)
    assert print_scale(widths) >= MIN_SCALE * 100
    for c, width in enumerate(widths):  # no word is broken (a line may end after a hyphen)
        assert all(narrowest(row[c]) <= width for row in texts)

    def lines(ws):
        return sum(max(lines_in(text, w) if text else 1 for text, w in zip(row, ws)) for row in texts)

    # fewer lines than every column shrunk in proportion to the same total
    shrunk = [max(4, int(d * sum(widths) / sum(declared))) for d in declared]
    assert lines(widths) <= lines(shrunk)


def test_least_widths_and_indents_are_kept():
    texts = [["Tên", "Kết quả"], ["Tỷ lệ hồ sơ trực tuyến toàn trình trên tổng số hồ sơ", "12/12 đơn vị đạt"]]
    widths = fit_widths([40, 12], texts, budget=30, least=[20, 0])
    assert widths[0] >= 20 and sum(widths) <= 30
    indented = fit_widths([40, 12], texts, budget=30, indents=[3, 0])
    assert indented[0] >= narrowest("trực tuyến") + 3
    # a table narrower than the page keeps its width
    assert sum(fit_widths([30, 12], texts)) <= 42
