"""A number its cell shows as a percentage ("95%" typed: 0.95 stored, a percent format) is read as what the
clerk typed — in a percentage input 95, in a count refused — whichever way the sheet was read."""

from __future__ import annotations

import io

import pytest
import xlsxwriter

from xlkpi.collect.numbers import read_number
from xlkpi.collect.readers import PercentValue, read_workbook
from xlkpi.collect.readers.xlsx import is_percent_format
from xlkpi.common.text import cell_text


def workbook(quoted: str = '"') -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("S")
    sheet.write_number("A1", 0.95, book.add_format({"num_format": "0%"}))
    sheet.write_number("A2", 0.955, book.add_format({"num_format": "0.00%"}))
    sheet.write_number("A3", 0.95, book.add_format({"num_format": '0.0" %"'}))  # a quoted % is only text
    sheet.write_number("A4", 95, book.add_format({"num_format": "0.0"}))
    sheet.write_number("A5", 0.5, book.add_format({"num_format": "[Red]0%;-0%"}))
    book.close()
    return out.getvalue()


@pytest.mark.parametrize("code, percent", [("0%", True), ("0.00%", True), ('0" %"', False), ("0\\%", False),
                                           ("#,##0.0", False), ("[Red]0.0%", True), ("General", False)])
def test_percent_formats(code, percent):
    assert is_percent_format(code) == percent


def test_cells_shown_as_percentages_are_marked():
    book = read_workbook(workbook(), "a.xlsx")
    rows = book.rows("S")
    assert [type(row[0]) is PercentValue for row in rows] == [True, True, False, False, True]
    assert [cell_text(row[0]) for row in rows] == ["95%", "95.5%", "0.95", "95", "50%"]


def test_a_percentage_reads_as_typed_and_a_count_refuses_it():
    assert read_number(PercentValue(0.95), percent=True).value == 95
    assert read_number(PercentValue(0.955), percent=True).value == 95.5
    assert read_number(PercentValue(1.0)).problem == "percent-sign"
    assert read_number(0.95, percent=True).value == 0.95  # 0.95 typed is 0.95 %
