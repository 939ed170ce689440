"""The readers' fast paths give exactly what the general libraries give, and hand over what they do
not handle: the direct xlsx cell reader against python-calamine, the minimal zip reader against
zipfile, on files written by XlsxWriter, openpyxl and LibreOffice, and on unusual XML."""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl
import pytest
import python_calamine

from xlkpi.collect import readers as R
from xlkpi.collect.readers import archive as zip_reader, xlsx as xlsx_reader
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.forms.generate import generate
from xlkpi.common.office import convert
from xlkpi.forms.simulate import fill_workbook


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("r") / "c"
    init_campaign(folder, plan="phu-tho-2025", period="2025-Q3", roster=_roster(folder.parent))
    campaign = open_campaign(folder)
    path = generate(campaign, jobs=1).files[0].path
    return fill_workbook(path.read_bytes(), {"F12": 12, "G12": 20, "J12": 'A & B <c> "d"\nxuống dòng', "F25": "Có"})


def _roster(folder):
    path = folder / "dv.csv"
    path.write_text("code,name,level\nS1,Sở Tư pháp,so\n", encoding="utf-8")
    return path


def calamine_rows(data: bytes, sheet: str):
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def direct_rows(data: bytes, sheet: str):
    book = R.read_workbook(data, "x.xlsx")
    assert sheet in book._sheet_readers
    rows = book.rows(sheet)
    assert book._book is None, "the direct reader should not have needed calamine"
    return rows


def same_cells(a, b):
    def cells(rows):
        return {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v not in ("", None)}

    return cells(a) == cells(b)


def resaved_by_openpyxl(data: bytes) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("sheet", ["Nhập liệu", "Hướng dẫn", "xlkpi"])
def test_direct_reader_matches_calamine(workbook, sheet):
    for data in (workbook, resaved_by_openpyxl(workbook)):
        assert same_cells(direct_rows(data, sheet), calamine_rows(data, sheet))


def test_direct_reader_matches_calamine_on_a_libreoffice_save(workbook, soffice, tmp_path):
    source = tmp_path / "in.xlsx"
    source.write_bytes(workbook)
    saved = convert(source, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out").read_bytes()
    for sheet in ("Nhập liệu", "xlkpi"):
        assert same_cells(direct_rows(saved, sheet), calamine_rows(saved, sheet))


def every_cell(rows) -> R.CellSet:
    """Every cell of a sheet's range, and one row and column beyond it."""
    return R.CellSet((r, c) for r in range(len(rows) + 1) for c in range(max(map(len, rows), default=0) + 1))


def chosen_cells(data: bytes, sheet: str, wanted: R.CellSet):
    book = R.read_workbook(data, "x.xlsx")
    found = book.cells(sheet, wanted)
    assert book._book is None and sheet not in book._rows, "the targeted reader should have read these cells"
    return found


@pytest.mark.parametrize("sheet", ["Nhập liệu", "Hướng dẫn", "xlkpi"])
def test_targeted_reader_matches_calamine(workbook, sheet, soffice, tmp_path):
    source = tmp_path / "in.xlsx"
    source.write_bytes(workbook)
    saved = convert(source, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out").read_bytes()
    for data in (workbook, resaved_by_openpyxl(workbook), saved):
        expected = calamine_rows(data, sheet)
        wanted = every_cell(expected)
        values, _ = chosen_cells(data, sheet, wanted)
        assert values == {(r, c): v for r, row in enumerate(expected) for c, v in enumerate(row) if v not in ("", None)}
        # a few cells, far apart: the same values as from the whole sheet
        some = R.CellSet(list(wanted.cells)[::7])
        assert chosen_cells(data, sheet, some)[0] == {cell: values[cell] for cell in some.cells if cell in values}


def test_targeted_reader_finds_formulas_and_hands_over_unusual_sheets():
    strings = xlsx_reader._SharedStrings(_zip({"xl/sharedStrings.xml": b"<sst><si><t>x</t></si></sst>"}),
                               {"xl/sharedStrings.xml"})
    wanted = R.CellSet([(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (2, 5)])
    usual = (b'<sheetData><row r="1"><c r="A1" s="0" t="s"><v>0</v></c><c r="B1" t="str"><f>A1</f><v>x</v></c>'
             b'<c r="C1" t="inlineStr"><is><t>in &amp; line</t></is></c><c r="D1" s="0"/></row>'
             b'<row r="3"><c r="F3" t="b"><v>1</v></c></row></sheetData>')
    values, formulas = xlsx_reader._xlsx_cells(usual, strings, wanted)
    assert values == {(0, 0): "x", (0, 1): "x", (0, 2): "in & line", (2, 5): True}
    assert formulas == {(0, 1)}
    for unusual in (
        b'<sheetData><row r="1"><c s="0" r="A1"><v>5</v></c></row></sheetData>',  # address not first
        b'<sheetData><row r="1"><c><v>5</v></c></row></sheetData>',  # no address
        b'<sheetData><row r="1"><c\tr="A1"><v>5</v></c></row></sheetData>',  # other white space
        b'<sheetData><row r="1"><c  r="A1"><v>5</v></c></row></sheetData>',
        b'<x:sheetData><x:row r="1"><x:c r="A1"><x:v>5</x:v></x:c></x:row></x:sheetData>',  # prefixed
        b'<sheetData><row r="1"><c r="A1"><v>5</v></c></row><row r="9000"><c r="A9000"><v>1</v></c></row>'
        b'</sheetData>',  # beyond the form: the whole-sheet reader locates it
        b'<sheetData><row r="1"><c r="A1" t="d"><v>2025-10-01</v></c></row></sheetData>',  # left to calamine
    ):
        assert xlsx_reader._xlsx_cells(unusual, strings, wanted) is None, unusual
    # cells out of order (no program writes them so) are still read by their addresses
    out_of_order = b'<sheetData><row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>5</v></c></row></sheetData>'
    assert xlsx_reader._xlsx_cells(out_of_order, strings, wanted) == ({(0, 0): 5.0, (0, 1): 1.0}, set())


def test_fast_zip_reads_what_zipfile_reads(workbook):
    fast = zip_reader._FastZip(workbook)
    slow = zipfile.ZipFile(io.BytesIO(workbook))
    assert fast.namelist() == slow.namelist()
    for name in slow.namelist():
        assert fast.read(name) == slow.read(name)


def test_fast_zip_names_without_the_utf8_flag_read_as_zipfile_reads_them():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/bảng.xml", b"<x/>")
        archive.writestr("plain.xml", b"<y/>")
    data = bytearray(out.getvalue())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # as old zip programs write: cp437
        at = data.find(signature)
        while at >= 0:
            struct.pack_into("<H", data, at + flag_at, struct.unpack_from("<H", data, at + flag_at)[0] & ~0x800)
            at = data.find(signature, at + 4)
    slow = zipfile.ZipFile(io.BytesIO(bytes(data)))
    assert zip_reader._FastZip(bytes(data)).namelist() == slow.namelist() == ["xl/bảng.xml".encode().decode("cp437"), "plain.xml"]


def test_fast_zip_refuses_what_it_does_not_handle(workbook):
    with pytest.raises(ValueError):
        zip_reader._FastZip(workbook[: len(workbook) // 2])  # truncated: no end of central directory
    damaged = bytearray(workbook)
    offset = damaged.index(b"PK\x03\x04")  # the first local header's checksum
    struct.pack_into("<I", damaged, offset + 14, 0xDEADBEEF)
    first = zipfile.ZipFile(io.BytesIO(workbook)).namelist()[0]
    with pytest.raises(zipfile.BadZipFile):
        zip_reader._FastZip(bytes(damaged)).read(first)


def test_shared_strings_rich_text_phonetic_and_escapes():
    sst = (b'<sst xmlns="x"><si><t>plain</t></si>'
           b'<si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space="preserve">text</t></r></si>'
           b'<si><t>kanji</t><rPh sb="0" eb="1"><t>phonetic</t></rPh></si>'
           b'<si><t>a &amp; b_x000D_c</t></si></sst>')
    archive = _zip({"xl/sharedStrings.xml": sst})
    strings = xlsx_reader._SharedStrings(archive, {"xl/sharedStrings.xml"})
    assert [strings[i] for i in range(strings.count)] == ["plain", "rich text", "kanji", "a & b\rc"]


def test_shared_strings_with_a_namespace_prefix_or_empty_items():
    # the Open XML SDK writes every element with a prefix; empty items may be <si/> or hold <t/>
    prefixed = (b'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:si><x:t>a</x:t></x:si>'
                b'<x:si><x:r><x:t>b</x:t></x:r><x:r><x:t>c</x:t></x:r></x:si></x:sst>')
    empty = b'<sst><si><t/></si><si/><si><t>z</t></si><si><t></t></si></sst>'
    for sst, expected in ((prefixed, ["a", "bc"]), (empty, ["", "", "z", ""])):
        strings = xlsx_reader._SharedStrings(_zip({"xl/sharedStrings.xml": sst}), {"xl/sharedStrings.xml"})
        assert [strings[i] for i in range(strings.count)] == expected


def test_a_workbook_whose_shared_strings_are_prefixed_reads_as_the_original(workbook):
    import re

    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/sharedStrings.xml":
                content = re.sub(rb"<(/?)(sst|si|t|r|rPr|b)\b", rb"<\1x:\2", content).replace(b"<x:sst xmlns=",
                                                                                              b"<x:sst xmlns:x=")
                assert b"<x:si>" in content
            archive.writestr(name, content)
    assert direct_rows(out.getvalue(), "Nhập liệu") == direct_rows(workbook, "Nhập liệu")


def test_inline_strings_plain_rich_and_escaped():
    strings = xlsx_reader._SharedStrings(_zip({}), set())
    wanted = R.CellSet([(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)])
    xml = ('<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a &lt;b&gt; &amp; c_x000D_</t></is></c>'
           '<c r="B1" t="inlineStr"><is><t xml:space="preserve"> lề </t></is></c>'
           '<c r="C1" t="inlineStr"><is><r><t>đậm </t></r><r><rPr><i/></rPr><t>nghiêng</t></r></is></c>'
           '<c r="D1" t="inlineStr"><is><t/></is></c>'
           '<c r="E1" t="inlineStr"><x:is><x:t>tiền tố</x:t></x:is></c></row></sheetData>').encode()
    values, _ = xlsx_reader._xlsx_cells(xml, strings, wanted)
    assert values == {(0, 0): "a <b> & c\r", (0, 1): " lề ", (0, 2): "đậm nghiêng", (0, 4): "tiền tố"}
    assert xlsx_reader._xlsx_sheet(xml, strings)[0] == [["a <b> & c\r", " lề ", "đậm nghiêng", "", "tiền tố"]]


def test_wanted_addresses_become_a_tree_that_matches_exactly_them():
    import re

    for words in ([b"A1", b"A10", b"B2"], [b"F1", b"F12", b"F123"], [b"AB3", b"A3", b"A33"], [b"C7"]):
        pattern = re.compile(rb'<c r="(' + xlsx_reader._alternatives(words) + rb')"')
        for word in words + [b"A", b"F13", b"A100", b"B20", b"AB", b"C77", b"A333"]:
            assert (pattern.fullmatch(b'<c r="' + word + b'"') is not None) == (word in words), (words, word)


def test_unusual_sheet_xml_falls_back_or_is_read_generally():
    strings = xlsx_reader._SharedStrings(_zip({}), set())
    prefixed = b'<x:sheetData><x:row r="1"><x:c r="A1" t="n"><x:v>5</x:v></x:c></x:row></x:sheetData>'
    assert xlsx_reader._xlsx_sheet(prefixed, strings)[0] == [[5.0]]
    no_address = b'<sheetData><row r="1"><c t="n"><v>5</v></c></row></sheetData>'
    assert xlsx_reader._xlsx_sheet(no_address, strings) is None  # calamine decides
    date_text = b'<sheetData><row r="1"><c r="A1" t="d"><v>2025-10-01</v></c></row></sheetData>'
    assert xlsx_reader._xlsx_sheet(date_text, strings) is None
    booleans_and_errors = (b'<sheetData><row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="e"><v>#DIV/0!</v></c>'
                           b'<c r="C1"><f>1/0</f><v></v></c></row></sheetData>')
    rows, formulas = xlsx_reader._xlsx_sheet(booleans_and_errors, strings)
    assert rows == [[True, "#DIV/0!"]] and formulas == {(0, 2)}


def _zip(parts: dict[str, bytes]):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_without_zlib_ng_the_standard_zlib_reads_and_writes_the_same(workbook, tmp_path):
    """zlib-ng has no wheel for some systems (32-bit or ARM Windows): there the standard module does the work."""
    import subprocess
    import sys

    (tmp_path / "form.xlsx").write_bytes(workbook)
    script = (
        "import sys; sys.modules['zlib_ng'] = None\n"  # as if it were not installed
        "from xlkpi.common import compression; import zlib; assert compression._zlib is zlib\n"
        "from xlkpi.collect import readers as R; from xlkpi.forms.stamp import deflate\n"
        "assert zlib.decompress(deflate(b'abc' * 100), -15) == b'abc' * 100\n"
        "book = R.read_workbook(open(sys.argv[1], 'rb').read(), 'form.xlsx')\n"
        "print(repr(book.rows('Nhập liệu')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "form.xlsx")], capture_output=True, text=True,
                          encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(direct_rows(workbook, "Nhập liệu"))


def test_a_damaged_deflate_stream_is_the_files_problem_whichever_module_inflates(workbook):
    from xlkpi.common.compression import ERRORS, inflater

    with pytest.raises(ERRORS):
        inflater().decompress(b"\xff\xff\xff not deflate")
    damaged = bytearray(workbook)
    sheet = zipfile.ZipFile(io.BytesIO(workbook)).getinfo("xl/worksheets/sheet1.xml")
    name_length, extra_length = struct.unpack_from("<HH", damaged, sheet.header_offset + 26)
    start = sheet.header_offset + 30 + name_length + extra_length
    damaged[start: start + 8] = b"\xff" * 8  # an invalid block type at the start of the stream
    book = R.read_workbook(bytes(damaged), "x.xlsx")
    with pytest.raises(R.XlkpiError) as raised:
        book.rows("Nhập liệu")
    assert raised.value.problems[0].code == "file-corrupt"
