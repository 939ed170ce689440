"""xls (BIFF8 in an OLE2 container): names, formulas and properties from the records, cell values by calamine."""

from __future__ import annotations

import struct

from xlkpi.collect.readers.source import MAX_COLS, MAX_ROWS, SourceWorkbook, _open_calamine, _visibility
from xlkpi.common.text import column_letter
from xlkpi.problems import XlkpiError, problem

_USER_DEFINED_FMTID = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")


def _read_xls(data: bytes, file: str) -> SourceWorkbook:
    import olefile

    try:
        ole = olefile.OleFileIO(data)
    except (OSError, ValueError) as exc:  # olefile raises OSError for a damaged container
        raise XlkpiError(problem("file-corrupt", file=file, detail=str(exc)[:200])) from exc
    try:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
        if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
            raise XlkpiError(problem("file-encrypted", file=file))
        stream_name = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
        if stream_name is None:
            raise XlkpiError(problem("not-a-spreadsheet", file=file, kind="tài liệu Office khác (không phải Excel)"))
        workbook_stream = ole.openstream(stream_name).read()
        for index, (_, kind, _) in enumerate(_records(workbook_stream)):
            if kind == 0x002F:  # FILEPASS: the workbook is encrypted with a password
                raise XlkpiError(problem("file-encrypted", file=file))
            if kind == 0x0085 or index > 200:  # past the globals' header records
                break
        book = _open_calamine(data, file)
        source = SourceWorkbook(file, "xls", _visibility(book), _book=book)
        source.read_by["identity"] = "records"
        source.has_macros = any(s.startswith("_VBA_PROJECT_CUR") or s.startswith("Macros") for s in streams)
        source.defined_names, source.formula_cells, source._extents = _biff_names_and_formulas(workbook_stream)
        if "\x05DocumentSummaryInformation" in streams:
            source.properties = _user_defined_properties(ole.openstream("\x05DocumentSummaryInformation").read())
        try:
            source.saved_at = ole.get_metadata().last_saved_time
        except Exception:  # metadata is advisory; a damaged summary stream must not stop collection
            source.saved_at = None
        return source
    finally:
        ole.close()


def _records(stream: bytes):
    offset = 0
    size = len(stream)
    while offset + 4 <= size:
        kind, length = struct.unpack_from("<HH", stream, offset)
        yield offset, kind, stream[offset + 4: offset + 4 + length]
        offset += 4 + length


def _biff_string(body: bytes, offset: int, count: int) -> tuple[str, int]:
    """An XLUnicodeString without its count: a flag byte, then ``count`` characters."""
    flags = body[offset]
    offset += 1
    if flags & 1:
        return body[offset: offset + 2 * count].decode("utf-16-le", "replace"), offset + 2 * count
    return body[offset: offset + count].decode("latin-1"), offset + count


_BIFF_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6})  # one cell with content each


def _biff_names_and_formulas(stream: bytes) -> tuple[dict[str, str], dict[str, set[tuple[int, int]]],
                                                     dict[str, tuple[int, int, str]]]:
    """Defined names, formula cells and each sheet's extent of cells with content, from the records."""
    names: dict[str, str] = {}
    sheets_at: dict[int, str] = {}
    formulas: dict[str, set[tuple[int, int]]] = {}
    extents: dict[str, tuple[int, int, str]] = {}
    current: str | None = None
    for offset, kind, body in _records(stream):
        if current is not None and (kind in _BIFF_CELLS or kind == 0x00BD) and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body, 0)
            if kind == 0x00BD and len(body) >= 6:  # MULRK: several cells, the last column at the end
                col = struct.unpack_from("<H", body, len(body) - 2)[0]
            height, width, farthest = extents.get(current, (0, 0, ""))
            if row + 1 > height or col + 1 > width:
                if row + 1 > MAX_ROWS or col + 1 > MAX_COLS:
                    farthest = f"{column_letter(col)}{row + 1}"
                extents[current] = (max(height, row + 1), max(width, col + 1), farthest)
        if kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET: where each sheet's records start, and its name
            position = struct.unpack_from("<I", body, 0)[0]
            count = body[6]
            sheets_at[position] = _biff_string(body, 7, count)[0]
        elif kind == 0x0809:  # BOF: a sheet's records begin
            current = sheets_at.get(offset)
            if current is not None:
                formulas.setdefault(current, set())
        elif kind == 0x0018 and len(body) >= 15:  # NAME
            name_length, formula_size = body[3], struct.unpack_from("<H", body, 4)[0]
            try:
                name, end = _biff_string(body, 14, name_length)
                formula = body[end: end + formula_size]
                if formula[:1] == b"\x17":  # ptgStr: a string constant
                    value, _ = _biff_string(formula, 2, formula[1])
                    names[name] = value
            except IndexError:
                continue
        elif kind == 0x0006 and current is not None and len(body) >= 4:  # FORMULA
            row, col = struct.unpack_from("<HH", body, 0)
            formulas[current].add((row, col))
    return names, formulas, extents


def _user_defined_properties(stream: bytes) -> dict[str, str]:
    """The custom properties (the user-defined section of DocumentSummaryInformation), as strings."""
    found: dict[str, str] = {}
    try:
        count = struct.unpack_from("<I", stream, 24)[0]
        sections = [(stream[28 + 20 * i: 44 + 20 * i], struct.unpack_from("<I", stream, 44 + 20 * i)[0])
                    for i in range(count)]
        for fmtid, start in sections:
            if fmtid != _USER_DEFINED_FMTID:
                continue
            entries = struct.unpack_from("<I", stream, start + 4)[0]
            offsets = {}
            for i in range(entries):
                prop_id, prop_offset = struct.unpack_from("<II", stream, start + 8 + 8 * i)
                offsets[prop_id] = start + prop_offset
            codepage = 1252
            if 1 in offsets:
                codepage = struct.unpack_from("<h", stream, offsets[1] + 4)[0] & 0xFFFF
            labels: dict[int, str] = {}
            if 0 in offsets:  # the dictionary: property id -> name
                position = offsets[0]
                entries_in_dictionary = struct.unpack_from("<I", stream, position)[0]
                position += 4
                for _ in range(entries_in_dictionary):
                    prop_id, length = struct.unpack_from("<II", stream, position)
                    position += 8
                    if codepage == 1200:  # UTF-16 names, each padded to a multiple of 4 bytes
                        size = 2 * length
                        labels[prop_id] = stream[position: position + size].decode("utf-16-le").rstrip("\x00")
                        position += size + (-size) % 4
                    else:
                        labels[prop_id] = stream[position: position + length].decode(_codec(codepage), "replace").rstrip("\x00")
                        position += length
            for prop_id, position in offsets.items():
                if prop_id in (0, 1) or prop_id not in labels:
                    continue
                vt = struct.unpack_from("<H", stream, position)[0]
                if vt == 0x1E:  # VT_LPSTR
                    size = struct.unpack_from("<I", stream, position + 4)[0]
                    raw = stream[position + 8: position + 8 + size]
                    found[labels[prop_id]] = raw.decode(_codec(codepage), "replace").rstrip("\x00")
                elif vt == 0x1F:  # VT_LPWSTR
                    size = struct.unpack_from("<I", stream, position + 4)[0]
                    found[labels[prop_id]] = stream[position + 8: position + 8 + 2 * size].decode("utf-16-le").rstrip("\x00")
    except (struct.error, UnicodeDecodeError, LookupError):
        return found
    return found


def _codec(codepage: int) -> str:
    return {1200: "utf-16-le", 65001: "utf-8"}.get(codepage, f"cp{codepage}")
