"""A hostile inbox: returned files built from real generated workbooks, then damaged or crafted the ways
collect meets in practice (and the ways an attacker would try).  Used by the tests and by ``tests/fuzz.py``.

Each :class:`Case` turns a correctly filled return (and its blank) into the bytes of one bad file, and
says what collect must make of it: the verdict, the problem code and, where one cell or part is at
fault, the sheet and cell.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from xlkpi.forms.fill import Formula, fill_workbook

FORM = "xl/worksheets/sheet1.xml"
IDENTITY = "xl/worksheets/sheet3.xml"
SHEET = "Nhập liệu"


def members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def build_zip(parts: list[tuple[str, bytes]]) -> bytes:
    """A zip of exactly these members, in this order (duplicates and odd names included)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts:
            info = zipfile.ZipInfo(name, date_time=(2025, 10, 10, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


def edit(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    return build_zip([(name, change(content) if name == part else content) for name, content in members(data)])


def set_cell(xml: bytes, ref: str, cell: str) -> bytes:
    """Replace the cell ``ref`` of a sheet's XML with the raw XML ``cell``."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    assert pattern.search(xml), ref
    return pattern.sub(lambda _: cell.encode(), xml, count=1)


def style_of(xml: bytes, ref: str) -> str:
    found = re.search(rb'<c r="' + ref.encode() + rb'"( s="\d+")?', xml)
    return found.group(1).decode() if found and found.group(1) else ""


def add_row(xml: bytes, row_xml: str) -> bytes:
    return xml.replace(b"</sheetData>", row_xml.encode() + b"</sheetData>", 1)


def _locate(data: bytes, name: str) -> tuple[int, int]:
    """(local header offset, central directory entry offset) of a member."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    central = struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)[0]
    while True:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46: central + 46 + name_length] == name.encode():
            return local, central
        extra, comment = struct.unpack_from("<HH", data, central + 30)
        central = data.index(b"PK\x01\x02", central + 46 + name_length + extra + comment)


def patch_member(data: bytes, name: str, *, crc: int | None = None, size: int | None = None,
                 flip_at: float | None = None) -> bytes:
    """Change a member's recorded CRC or uncompressed size (in both headers), or flip one byte inside its
    compressed stream (``flip_at`` is the fraction of the way into it)."""
    buffer = bytearray(data)
    local, central = _locate(data, name)
    if crc is not None:
        struct.pack_into("<I", buffer, local + 14, crc)
        struct.pack_into("<I", buffer, central + 16, crc)
    if size is not None:
        struct.pack_into("<I", buffer, local + 22, size)
        struct.pack_into("<I", buffer, central + 24, size)
    if flip_at is not None:
        name_length, extra = struct.unpack_from("<HH", data, local + 26)
        compressed = struct.unpack_from("<I", data, local + 18)[0]
        position = local + 30 + name_length + extra + int(compressed * flip_at)
        buffer[position] ^= 0x55
    return bytes(buffer)


def crc_of(data: bytes, name: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.getinfo(name).CRC


def with_date_style(data: bytes, ref: str) -> bytes:
    """The cell ``ref`` given a date format, as when a clerk types 15/09/2025 into it."""
    parts = dict(members(data))
    styles = parts["xl/styles.xml"]
    block = re.search(rb"<cellXfs count=\"(\d+)\">(.*?)</cellXfs>", styles, re.S)
    assert block
    count = int(block.group(1))
    new_xf = b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    styles = styles.replace(block.group(0), b'<cellXfs count="%d">' % (count + 1) + block.group(2) + new_xf
                            + b"</cellXfs>")
    form = set_cell(parts[FORM], ref, f'<c r="{ref}" s="{count}"><v>45915</v></c>')
    return build_zip([(n, styles if n == "xl/styles.xml" else form if n == FORM else c) for n, c in members(data)])


def _ods(meta: bytes) -> bytes:
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               b'<table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string">'
               b'<text:p>x</text:p></table:table-cell></table:table-row></table:table>'
               b'</office:spreadsheet></office:body></office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>', zipfile.ZIP_DEFLATED)
    return out.getvalue()


DOCTYPE = b'<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def _with_doctype(xml: bytes) -> bytes:
    end = xml.index(b"?>") + 2
    return xml[:end] + DOCTYPE + xml[end:]


@dataclass(frozen=True)
class Case:
    """One bad return: how to make it from a filled workbook, and what collect must make of it."""

    name: str
    make: Callable[[bytes, bytes, dict], bytes]  # (filled, blank, typed values) -> bytes
    verdict: str  # "rejected", "accepted" or "ignored"
    code: str | None = None
    sheet: str | None = None
    cell: str | None = None
    suffix: str = ".xlsx"


def _first_input(values: dict) -> str:
    return sorted(values, key=lambda ref: (int(ref[1:]), ref[0]))[0]


CASES: list[Case] = [
    Case("crc-mismatch", lambda f, b, v: patch_member(f, FORM, crc=crc_of(f, FORM) ^ 0xFFFF),
         "rejected", "file-corrupt", SHEET),
    Case("declared-size-too-small", lambda f, b, v: patch_member(f, FORM, size=1000),
         "rejected", "file-corrupt", SHEET),
    Case("deflate-byte-flipped", lambda f, b, v: patch_member(f, FORM, flip_at=0.5),
         "rejected", "file-corrupt", SHEET),
    Case("xfd1048576-on-identity-sheet",
         lambda f, b, v: edit(f, IDENTITY, lambda x: add_row(
             x, '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')),
         "accepted"),
    Case("identity-cell-far-down",
         lambda f, b, v: edit(f, IDENTITY, lambda x: add_row(
             x, '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>unit</t></is></c></row>')),
         "rejected", "cell-outside-form", "xlkpi", "A1048576"),
    Case("nan-in-input", lambda f, b, v: edit(f, FORM, lambda x: set_cell(
        x, _first_input(v), f'<c r="{_first_input(v)}"{style_of(x, _first_input(v))}><v>NaN</v></c>')),
         "rejected", "cell-corrupt", SHEET, "F11"),
    Case("inf-in-input", lambda f, b, v: edit(f, FORM, lambda x: set_cell(
        x, _first_input(v), f'<c r="{_first_input(v)}"{style_of(x, _first_input(v))}><v>-INF</v></c>')),
         "rejected", "cell-corrupt", SHEET, "F11"),
    Case("shared-string-not-a-number", lambda f, b, v: edit(f, FORM, lambda x: set_cell(
        x, _first_input(v), f'<c r="{_first_input(v)}" t="s"><v>abc</v></c>')),
         "rejected", "cell-corrupt", SHEET, "F11"),
    Case("shared-string-out-of-range", lambda f, b, v: edit(f, FORM, lambda x: set_cell(
        x, _first_input(v), f'<c r="{_first_input(v)}" t="s"><v>99999</v></c>')),
         "rejected", "cell-corrupt", SHEET, "F11"),
    Case("stray-cell-F1048576", lambda f, b, v: edit(f, FORM, lambda x: add_row(
        x, '<row r="1048576"><c r="F1048576"><v>5</v></c></row>')),
         "rejected", "cell-outside-form", SHEET, "F1048576"),
    Case("date-in-number-cell", lambda f, b, v: with_date_style(f, _first_input(v)),
         "rejected", "date-in-number", SHEET, "F11"),
    Case("formula-in-explanation", lambda f, b, v: fill_workbook(f, {"J11": Formula('="Đã làm"', "Đã làm")}),
         "rejected", "formula-in-input", SHEET, "J11"),
    Case("formula-in-evidence", lambda f, b, v: fill_workbook(f, {"K11": Formula("=A1", "1.")}),
         "rejected", "formula-in-input", SHEET, "K11"),
    Case("error-value-in-evidence", lambda f, b, v: edit(f, FORM, lambda x: set_cell(
        x, "K11", f'<c r="K11"{style_of(x, "K11")} t="e"><v>#DIV/0!</v></c>')),
         "rejected", "error-in-input", SHEET, "K11"),
    Case("duplicate-member", lambda f, b, v: build_zip(members(f) + [(FORM, dict(members(b))[FORM])]),
         "rejected", "zip-duplicate-member"),
    Case("doctype-in-shared-strings", lambda f, b, v: edit(f, "xl/sharedStrings.xml", _with_doctype),
         "rejected", "xml-declarations"),
    Case("doctype-in-workbook", lambda f, b, v: edit(f, "xl/workbook.xml", _with_doctype),
         "rejected", "xml-declarations"),
    Case("member-name-with-dotdot", lambda f, b, v: build_zip(members(f) + [("../../evil.txt", b"x")]),
         "rejected", "zip-unsafe-name"),
    Case("member-name-absolute", lambda f, b, v: build_zip(members(f) + [("/etc/evil.xml", b"<x/>")]),
         "rejected", "zip-unsafe-name"),
    Case("xlsb", lambda f, b, v: build_zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.bin", b"\x83\x01")]),
         "rejected", "unsupported-spreadsheet", suffix=".xlsb"),
    Case("numbers", lambda f, b, v: build_zip([("Index/Document.iwa", b"\x00" * 40), ("Metadata/Properties.plist",
                                                                                      b"<plist/>")]),
         "rejected", "unsupported-spreadsheet", suffix=".numbers"),
    Case("ods-malformed-meta", lambda f, b, v: _ods(b"<office:document-meta><unclosed>"),
         "rejected", "file-corrupt", suffix=".ods"),
    Case("ods-meta-with-entities", lambda f, b, v: _ods(b'<?xml version="1.0"?>' + DOCTYPE + b"<m>&b;</m>"),
         "rejected", "xml-declarations", suffix=".ods"),
    Case("deflate-stream-broken", lambda f, b, v: corrupt_deflate_sheet(f), "rejected", "file-corrupt", SHEET),
    Case("truncated", lambda f, b, v: f[: len(f) // 2], "rejected", "file-corrupt"),
    Case("zlib-bomb-member", lambda f, b, v: build_zip(members(f) + [("xl/media/big.xml", b"<" + b"a" * 5_000_000)]),
         "rejected", "file-too-complex"),
]


def corrupt_deflate_sheet(data: bytes) -> bytes:
    """A sheet whose compressed stream is damaged so that zlib itself fails (not only the CRC)."""
    local, _ = _locate(data, FORM)
    name_length, extra = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_length + extra
    buffer = bytearray(data)
    buffer[start: start + 4] = b"\xff\xff\xff\xff"
    return bytes(buffer)

