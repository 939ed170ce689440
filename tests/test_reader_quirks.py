"""A return written in any valid XML spelling is read as the same return.

Excel, LibreOffice, WPS and XlsxWriter write double-quoted attributes, the usual namespace prefixes and no
whitespace; other programs (and hand-repaired files) write valid XML otherwise. The rule: a file openpyxl
reads identically is never rejected, and collect reads the same identity and values from it. The reader
takes the usual spelling by patterns ("direct") and reads any other as XML ("xml"); these tests assert which
path each file took.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import openpyxl
import pytest

from tests.test_collect import campaign, drop, filled, run  # noqa: F401 — campaign is a fixture
from tests.xml_quirks import QUIRKS
from xlkpi.collect.readers import read_workbook

IDENTITY_PARTS = ("xl/workbook.xml", "docProps/custom.xml", "docProps/core.xml", "xl/_rels/workbook.xml.rels")


def rewritten(data: bytes, parts: tuple[str, ...], rewrite: Callable[[bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, rewrite(content) if info.filename in parts else content)
    return out.getvalue()


def seen_by_openpyxl(data: bytes) -> tuple[dict, dict, list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    names = {name: book.defined_names[name].value for name in book.defined_names}
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    cells = [[c.value for c in row] for row in book["Nhập liệu"].iter_rows()]
    return names, properties, cells


@pytest.mark.parametrize("quirk", list(QUIRKS))
def test_an_identity_written_in_another_xml_spelling_reads_the_same(campaign, quirk):
    rewrite, path = QUIRKS[quirk]
    original = filled(campaign, "03388")
    quirky = rewritten(original, IDENTITY_PARTS, rewrite)
    assert quirky != original
    # the rule's premise: openpyxl reads both identically
    assert seen_by_openpyxl(quirky) == seen_by_openpyxl(original)
    plain, odd = read_workbook(original, "a.xlsx"), read_workbook(quirky, "b.xlsx")
    assert (odd.sheets, odd.defined_names, odd.properties, odd.saved_at) == \
        (plain.sheets, plain.defined_names, plain.properties, plain.saved_at)
    assert plain.read_by["identity"] == "direct" and odd.read_by["identity"] == path
    drop(campaign, "quirky.xlsx", quirky)
    [outcome] = run(campaign).outcomes
    assert outcome.verdict == "accepted" and outcome.unit == "03388", outcome.problems


@pytest.mark.parametrize("quirk", ["single-quotes", "namespace-prefix", "whitespace", "namespace-prefix+whitespace"])
def test_a_sheet_written_in_another_xml_spelling_gives_the_same_values(campaign, quirk):
    def rewrite(xml: bytes) -> bytes:
        for key in quirk.split("+"):  # prefixed cells on lines of their own: found by the fuzzer
            xml = QUIRKS[key][0](xml)
        return xml

    original = filled(campaign, "03388")
    quirky = rewritten(original, ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml"),
                       rewrite)
    assert seen_by_openpyxl(quirky)[2] == seen_by_openpyxl(original)[2]
    plain, odd = read_workbook(original, "a.xlsx"), read_workbook(quirky, "b.xlsx")
    sheet = "Nhập liệu"
    assert odd.rows(sheet) == plain.rows(sheet)
    assert odd.formulas_in(sheet) == plain.formulas_in(sheet)
    assert plain.read_by[sheet] == "direct"
    assert odd.read_by[sheet] == ("xml" if "single-quotes" in quirk else "direct")
    drop(campaign, "quirky.xlsx", quirky)
    [outcome] = run(campaign).outcomes
    assert outcome.verdict == "accepted" and outcome.unit == "03388", outcome.problems


def test_the_usual_return_is_read_by_its_cells_only(campaign):
    from xlkpi.collect.readers import CellSet

    book = read_workbook(filled(campaign, "03388"), "a.xlsx")
    book.cells("Nhập liệu", CellSet([(10, 5), (10, 6)]))
    assert book.read_by == {"identity": "direct", "Nhập liệu": "cells"}


def _row_given_twice(xml: bytes, change: bool) -> tuple[bytes, str]:
    """The sheet with the row of its first typed figure written twice; in the second copy that figure is
    changed when ``change``. Returns the sheet and the cell's address."""
    import re

    cell = re.search(rb'<c r="(F(\d+))"(?: s="\d+")?><v>([^<]+)</v></c>', xml)  # a number: an input cell
    row = re.search(rb'<row r="' + cell.group(2) + rb'"[^>]*>.*?</row>', xml, re.S)
    copy = row.group(0)
    if change:
        copy = copy.replace(b"<v>" + cell.group(3) + b"</v>", b"<v>" + cell.group(3) + b"9</v>", 1)
    return xml[:row.end()] + copy + xml[row.end():], cell.group(1).decode()


@pytest.mark.parametrize("spelling", ["usual", "single-quotes"])
@pytest.mark.parametrize("change", [False, True], ids=["same-copy", "changed-copy"])
def test_a_cell_written_twice_is_read_only_when_both_copies_agree(campaign, spelling, change):
    """Found by the fuzzer: a row given twice with a figure changed in one copy was read with the first copy,
    openpyxl takes the last (Excel repairs the file). No program writes it, and nobody can tell which figure the
    unit meant: the return is refused at that cell. Identical copies read the same either way."""
    original = filled(campaign, "03388")
    sheet_part = "xl/worksheets/sheet1.xml"
    address = []

    def rewrite(xml: bytes) -> bytes:
        twice, cell = _row_given_twice(xml, change)
        address.append(cell)
        return twice if spelling == "usual" else QUIRKS[spelling][0](twice)

    damaged = rewritten(original, (sheet_part,), rewrite)
    drop(campaign, "twice.xlsx", damaged)
    [outcome] = run(campaign).outcomes
    if change:
        assert outcome.verdict == "rejected"
        [message] = [p.message_vi for p in outcome.problems if p.code == "cell-corrupt"]
        assert f"Ô {address[0]} bị hỏng" in message and "hai lần" in message
    else:
        assert outcome.verdict == "accepted", outcome.problems
        plain = read_workbook(original, "a.xlsx")
        assert read_workbook(damaged, "b.xlsx").rows("Nhập liệu") == plain.rows("Nhập liệu")
