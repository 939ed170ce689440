"""Typing values into a workbook made by ``xlkpi generate``, without a spreadsheet program.

:func:`fill_workbook` writes values into the form sheet's XML as a unit typing into the yellow cells
would; everything else (identity, protection, locked cells) stays byte for byte.  Cached formula
results are left as they were; the collector never trusts them.  Used to hand a consolidation up as
this office's own submission (``consolidate --submission``), and by the simulated returns.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

FORM_PART = "xl/worksheets/sheet1.xml"  # the form sheet of a blank form: its first sheet
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_part(archive: zipfile.ZipFile, name: str) -> str:
    """The part holding the worksheet called ``name`` (a feedback copy puts "Phản hồi" before the form)."""
    from xml.etree import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    spreadsheet = book.tag.split("}")[0] + "}" if book.tag.startswith("{") else ""
    target_id = next((sheet.get(f"{{{_RELATIONSHIPS}}}id") for sheet in book.iter(f"{spreadsheet}sheet")
                      if sheet.get("name") == name), None)
    if target_id is None:
        raise ValueError(f"no sheet {name!r} in the workbook")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == target_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise ValueError(f"no part for sheet {name!r}")


@dataclass(frozen=True)
class Formula:
    """A formula typed into a cell, with or without a cached result."""

    text: str
    cached: float | str | None = None


def _cell_xml(ref: str, style: str, value: object) -> str:
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<v>{escape(str(value.cached))}</v>"
        kind = ' t="str"' if isinstance(value.cached, str) else ""
        return f'<c r="{ref}"{style}{kind}><f>{escape(value.text.lstrip("="))}</f>{cached}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def replace_parts(data: bytes, changes: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """The workbook with each named part passed through its function; every other part as it was."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename in changes:
                content = changes[info.filename](content)
            target.writestr(info, content)
    return out.getvalue()


def fill_workbook(data: bytes, values: dict[str, object], saved_at: datetime | None = None) -> bytes:
    """The workbook with ``values`` (cell name -> number, text or :class:`Formula`) in its form sheet."""

    def type_in(xml: bytes) -> bytes:
        sheet = xml.decode("utf-8")
        for ref, value in values.items():
            pattern = re.compile(rf'<c r="{ref}"( s="\d+")?(?: t="\w+")?(?:/>|>.*?</c>)', re.S)
            match = pattern.search(sheet)
            if match is None:
                raise ValueError(f"cell {ref} is not in the form")
            sheet = sheet[: match.start()] + _cell_xml(ref, match.group(1) or "", value) + sheet[match.end():]
        return sheet.encode("utf-8")

    from xlkpi.forms.layout import SHEET

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        form = sheet_part(archive, SHEET)
    changes: dict[str, Callable[[bytes], bytes]] = {form: type_in}
    if saved_at is not None:
        stamp = saved_at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        changes["docProps/core.xml"] = lambda xml: re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, xml)
    return replace_parts(data, changes)
