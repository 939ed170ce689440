"""``xlkpi plan import``: a plan from the official appendix as it exists, a table in Word or Excel.

The document is read as a sequence of lines — paragraphs, and table rows with their merged cells — so a
Word table and an Excel sheet go through the same steps:

1. the header: a row with "STT"/"Số TT", and under a merged cell ("Các chỉ tiêu cụ thể") a second row of
   headers ("Chỉ tiêu năm 2025", "Chỉ tiêu đến năm 2030"); each column recognised by its text;
2. the rows: a header repeated where the table breaks across pages is skipped, as is a "(1) (2) …" row;
   a row numbered I, II … with a title is a section; a title above a table of its own ("1. Chỉ tiêu giao
   tại Nghị quyết số 01/NQ-CP") is a section printed as a heading; a row without a number continues the
   one above; cells of several paragraphs keep their lines;
3. each indicator: its target texts (judged by the same rules as a plan file), its levels from the
   implementing-agency text, its measure from the indicator catalogue — and where that is a guess, a
   warning naming the table cell;
4. the document around the table: the "Phụ lục" heading, the title lines, "(Ban hành kèm theo …)", the
   issuer.

``.doc``, ``.odt``, ``.xls`` and ``.ods`` are converted with LibreOffice in a temporary folder first.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpi.common.text import column_letter, fold, slug
from xlkpi.plan.catalogue import match as catalogue_match
from xlkpi.plan.model import PLACEHOLDER
from xlkpi.plan.targets import rule_from_text, stated_floor
from xlkpi.problems import Problem, XlkpiError, exception_detail, problem

WORD, EXCEL = {".docx"}, {".xlsx", ".xlsm"}
CONVERTED = {".doc": "docx", ".odt": "docx", ".rtf": "docx", ".xls": "xlsx", ".ods": "xlsx"}
RESULT_COLUMNS = (
    {"key": "kq", "group": "Kết quả kỳ báo cáo", "header": "Kết quả", "shows": "result", "width": 10},
    {"key": "so-dv-dat", "group": "Kết quả kỳ báo cáo", "header": "Số đơn vị đạt", "shows": "units-met", "width": 12},
    {"key": "danh-gia", "group": "Kết quả kỳ báo cáo", "header": "Đánh giá", "shows": "judgement", "width": 12},
)
#: the levels an implementing-agency text names, and the phrases that name them (folded; the longest phrase
#: found first, so "văn phòng hđnd và ubnd xã" is the office, not the commune)
KNOWN_LEVELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tinh", "UBND tỉnh", ("ubnd tinh", "uy ban nhan dan tinh")),
    ("so", "Sở, ban, ngành", ("so, ban, nganh", "so, ban", "so ban nganh", "cac so", "so nganh", "so, nganh",
                             "co quan chuyen mon thuoc ubnd tinh", "co quan chuyen mon thuoc uy ban nhan dan tinh",
                             "co quan chuyen mon cap tinh", "co quan, don vi cap tinh")),
    ("co-quan", "Cơ quan, ban, ngành cấp huyện", ("co quan, ban, nganh", "co quan chuyen mon thuoc ubnd huyen",
                                                  "co quan chuyen mon thuoc uy ban nhan dan huyen",
                                                  "phong, ban cap huyen", "co quan chuyen mon cap huyen")),
    ("huyen", "UBND cấp huyện", ("ubnd cap huyen", "ubnd cac huyen", "ubnd huyen", "uy ban nhan dan cac huyen",
                                 "uy ban nhan dan cap huyen")),
    ("trung-tam", "Trung tâm Phục vụ hành chính công", ("trung tam phuc vu hanh chinh cong",)),
    ("mot-cua", "Bộ phận Một cửa", ("bo phan mot cua", "bo phan tiep nhan va tra ket qua")),
    ("van-phong", "Văn phòng HĐND và UBND", ("van phong hdnd va ubnd", "van phong hdnd - ubnd",
                                             "van phong hoi dong nhan dan va uy ban nhan dan", "van phong ubnd",
                                             "van phong uy ban nhan dan")),
    ("phong", "Phòng, ban, đơn vị trực thuộc", ("phong chuyen mon", "phong, ban", "cac phong thuoc trung tam",
                                                "bo phan thuoc trung tam", "cac phong", "phong ban",
                                                "don vi truc thuoc", "don vi thuoc so", "co quan chuyen mon thuoc ubnd xa",
                                                "co quan chuyen mon thuoc uy ban nhan dan xa")),
    ("xa", "UBND cấp xã", ("ubnd cap xa", "ubnd cac xa", "ubnd xa", "xa, phuong", "uy ban nhan dan cac xa",
                           "uy ban nhan dan cap xa", "uy ban nhan dan xa")),
)
#: words of an agency text that name no one (what is left once the levels' phrases are taken out)
_AGENCY_FILLER = {"cac", "va", "cua", "tinh", "thanh", "pho", "thi", "tran", "xa", "phuong", "huyen", "quan",
                  "thuoc", "truc", "chu", "tri", "phoi", "hop", "ubnd", "uy", "ban", "nhan", "dan", "nganh", "so",
                  "don", "vi", "co", "lien", "the", "chuyen", "mon", "cap", "phong", "toan", "tat", "ca", "cung",
                  "voi", "theo", "chuc", "nang", "nhiem", "vu", "giao", "dia", "tren", "tai", "khu", "dac", "biet",
                  "trung", "uong", "tw"}
#: what a recognised column holds, as the import summary says it
SHOWN = {"number": "số thứ tự", "name": "tên chỉ tiêu", "target": "mục tiêu", "unit": "đơn vị tính",
         "implementing": "cơ quan thực hiện", "coordinating": "cơ quan phối hợp", "monitoring": "cơ quan theo dõi",
         "timeframe": "thời gian thực hiện", "evidence": "kết quả thực hiện", "basis": "căn cứ", "note": "ghi chú",
         "text": "giữ nguyên chữ in"}
_ROMAN = re.compile(r"^(?=[IVXLC])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})\.?$")
_NUMBER = re.compile(r"^(\d+(\.\d+)*\.?|[a-zđ]\)|[a-zđ]\.)$", re.I)
_YEAR = re.compile(r"\b(20\d\d)\b")
_DOCUMENT_CITED = re.compile(r"(nghi quyet|quyet dinh|ke hoach|cong van|thong tu|nghi dinh|chi thi|luat)\s+so", re.I)


@dataclass
class Cell:
    text: str
    origin: Any  # the same for every grid position of one merged cell
    #: passages printed in italics inside the cell (an italic formula note)
    italic: tuple[str, ...] = ()


@dataclass
class Line:
    """A paragraph (``cells`` None) or a table row, with where it is for messages."""

    text: str = ""
    cells: list[Cell] | None = None
    sheet: str = ""       # "Bảng 2" for a Word table, the sheet's name for Excel
    row: int = 0          # 1-based row in its table or sheet
    table: int = 0        # which Word table (0 for Excel)
    excel: bool = False

    def where(self, col: int) -> tuple[str, str]:
        if self.excel:
            return self.sheet, f"{column_letter(col)}{self.row}"
        return self.sheet, f"hàng {self.row}, cột {col + 1}"


@dataclass
class Imported:
    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    #: the year planned for when no column says (the title's, --year, the document's date, this year)
    year: int = 0


# -- reading documents -----------------------------------------------------------------------------------


def read_lines(path: Path) -> list[Line]:
    """The lines of the appendix document at ``path``: its paragraphs and its tables' rows.

    Untrusted input: what the file is comes from its content, not its name (an .xlsx named .docx is read
    as Excel, a legacy .doc named .docx is converted as .doc); anything else — empty, encrypted, a PDF, a zip
    bomb, XML with entity declarations, a damaged file — is refused naming the file and what to do."""
    suffix = path.suffix.lower()
    file = str(path)
    if suffix not in CONVERTED and suffix not in WORD and suffix not in EXCEL:
        raise XlkpiError(problem("import-format", file=file, suffix=suffix or "(không có)"))
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise XlkpiError(problem("file-not-found", file=file)) from exc
    except OSError as exc:
        raise XlkpiError(problem("import-unreadable", file=file, detail=exception_detail(exc))) from exc
    kind = _document_kind(data, file)
    if kind in CONVERTED:
        from xlkpi.common.office import convert

        with tempfile.TemporaryDirectory(prefix="xlkpi-import-") as folder:
            source = path
            if suffix != kind:  # named otherwise than it is: converted as what it is
                source = Path(folder) / f"phu-luc{kind}"
                source.write_bytes(data)
            converted = convert(source, CONVERTED[kind], Path(folder) / "out")
            return read_lines(converted)
    try:
        return _word_lines(data) if kind in WORD else _excel_lines(data)
    except XlkpiError:
        raise
    except Exception as exc:  # noqa: BLE001 — untrusted input: what the libraries choke on is this file's problem
        raise XlkpiError(problem("import-unreadable", file=file, detail=exception_detail(exc))) from exc


#: limits on an appendix document's zip (a plan's appendix is tens of kilobytes)
MAX_DOCUMENT_BYTES, MAX_UNZIPPED_BYTES, MAX_PARTS = 50 * 1024 * 1024, 200 * 1024 * 1024, 5000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _document_kind(data: bytes, file: str) -> str:
    """What the bytes are, as a suffix: ".docx", ".xlsx", or one LibreOffice converts (".doc", ".xls", ".odt",
    ".ods"); anything else raises a located problem."""
    if not data:
        raise XlkpiError(problem("import-empty", file=file))
    if len(data) > MAX_DOCUMENT_BYTES:
        raise XlkpiError(problem("import-too-complex", file=file, detail=f"{len(data) // 1_048_576} MB"))
    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise XlkpiError(problem("import-encrypted", file=file))
        if "WordDocument".encode("utf-16-le") in data:
            return ".doc"
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return ".xls"
        raise XlkpiError(problem("import-not-a-document", file=file, kind="tài liệu Office khác"))
    if data.startswith(b"%PDF"):
        raise XlkpiError(problem("import-not-a-document", file=file, kind="PDF"))
    if not data.startswith(b"PK"):
        raise XlkpiError(problem("import-not-a-document", file=file, kind="văn bản thuần hoặc không rõ định dạng"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES or any(
                    i.file_size > 1_048_576 and i.file_size > 200 * max(1, i.compress_size) for i in infos):
                raise XlkpiError(problem("import-too-complex", file=file, detail="giải nén ra quá lớn"))
            if any(i.flag_bits & 1 for i in infos):
                raise XlkpiError(problem("import-encrypted", file=file))
            names = {i.filename for i in infos}
            kind = (".docx" if "word/document.xml" in names else ".xlsx" if "xl/workbook.xml" in names else None)
            if kind is None and "mimetype" in names:
                mimetype = archive.read("mimetype")
                kind = ".odt" if b"opendocument.text" in mimetype else ".ods" if b"opendocument.spreadsheet" in \
                    mimetype else None
            if kind is None:
                raise XlkpiError(problem("import-not-a-document", file=file, kind="tệp nén ZIP không chứa văn bản"))
            for info in infos:  # entity declarations: how XML bombs and external entities get in
                if info.filename.endswith((".xml", ".rels")):
                    head = archive.read(info.filename)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise XlkpiError(problem("import-too-complex", file=file,
                                                 detail=f"phần {info.filename[:80]} khai báo DOCTYPE/ENTITY"))
            return kind
    except XlkpiError:
        raise
    except Exception as exc:  # noqa: BLE001 — untrusted input: a damaged zip (zlib.error, BadZipFile …)
        raise XlkpiError(problem("import-unreadable", file=file, detail=exception_detail(exc))) from exc


def _word_lines(data: bytes) -> list[Line]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    lines: list[Line] = []
    tables = 0
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(element, document).text
            if text.strip():
                lines.append(Line(text=_clean(text)))
        elif tag == "tbl":
            tables += 1
            grid = Table(element, document)
            for r, row in enumerate(grid.rows, start=1):
                cells = [Cell(_clean(_word_cell_text(cell)), _origin(cell._tc), _word_italics(cell)) for cell in row.cells]
                lines.append(Line(cells=cells, sheet=f"Bảng {tables}", row=r, table=tables))
    return lines


def _word_cell_text(cell: Any, depth: int = 0) -> str:
    """A Word cell's text, a table nested in it included (its rows on lines of their own, its cells joined
    by " | "): python-docx's cell.text holds the cell's own paragraphs only."""
    text = cell.text
    if not cell.tables or depth > 5:
        return text
    nested = ["\n".join(" | ".join(_word_cell_text(inner, depth + 1).strip() for inner in row.cells)
                        for row in table.rows) for table in cell.tables]
    return "\n".join(part for part in (text, *nested) if part.strip())


def _word_italics(cell: Any) -> tuple[str, ...]:
    """The passages of a Word cell printed in italics (runs in a row joined) — when the cell is not all
    italic, which is a style of the whole cell rather than emphasis."""
    passages: list[str] = []
    plain = False
    for paragraph in cell.paragraphs:
        current = ""
        for run in paragraph.runs:
            if run.italic:
                current += run.text
            else:
                if run.text.strip():
                    plain = True
                if current.strip():
                    passages.append(current.strip())
                current = ""
        if current.strip():
            passages.append(current.strip())
    return tuple(passages) if plain else ()


def _origin(tc: Any) -> tuple[int, int]:
    """Where a Word cell starts (row, cell in row): the same for every grid position a merged cell covers
    (python-docx gives the origin cell for horizontal and vertical merges alike)."""
    row = tc.getparent()
    return row.getparent().index(row), row.index(tc)


def _excel_lines(data: bytes) -> list[Line]:
    import openpyxl

    from openpyxl.cell.rich_text import CellRichText, TextBlock

    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, rich_text=True)
    # the cells that hold something, read from the sheet's own store (a sheet padded to XFD1048576 by one
    # stray cell is not walked cell by cell)
    filled_by_sheet = {sheet.title: {key: cell.value for key, cell in sheet._cells.items()
                                     if cell.value is not None and str(cell.value).strip()}
                       for sheet in book.worksheets}
    chosen = next((sheet for sheet in book.worksheets  # the sheet whose first rows hold a header with "STT"
                   if any(r <= 60 and _is_number_header(fold(str(v))) for (r, _), v in filled_by_sheet[sheet.title].items())),
                  book.worksheets[0])
    sheet = chosen
    filled = filled_by_sheet[sheet.title]
    width, last_row = _used_extent(filled)
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in sheet.merged_cells.ranges:
        if merged.min_row > last_row or merged.min_col > width:
            continue
        for r in range(merged.min_row, min(merged.max_row, last_row) + 1):
            for c in range(merged.min_col, min(merged.max_col, width) + 1):
                origin[(r, c)] = (merged.min_row, merged.min_col)
    rows = sorted({r for (r, c) in filled if c <= width and r <= last_row} | {r for (r, _) in origin})
    lines: list[Line] = []
    for r in rows:
        cells = []
        for c in range(1, width + 1):
            top = origin.get((r, c), (r, c))
            value = filled.get(top)
            italic: tuple[str, ...] = ()
            if isinstance(value, CellRichText):
                italic = tuple(block.text.strip() for block in value if isinstance(block, TextBlock)
                               and block.font is not None and block.font.i and block.text.strip())
            cells.append(Cell(_clean("" if value is None else _excel_text(value)), top, italic))
        if not any(cell.text for cell in cells):
            continue
        lines.append(Line(cells=cells, sheet=sheet.title, row=r, excel=True))
    return lines


def _used_extent(filled: dict[tuple[int, int], Any]) -> tuple[int, int]:
    """The columns and rows an appendix's content spans: a value alone in its row and in its column (a stray
    mark far from the table, at XFD1048576) does not widen it."""
    if not filled:
        return 0, 0
    rows: dict[int, int] = {}
    cols: dict[int, int] = {}
    for r, c in filled:
        rows[r] = rows.get(r, 0) + 1
        cols[c] = cols.get(c, 0) + 1
    kept = [(r, c) for r, c in filled if rows[r] > 1 or cols[c] > 1] or list(filled)
    return max(c for _, c in kept), max(r for r, _ in kept)


def _excel_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean(text: str) -> str:
    """A cell's text as printed: its paragraphs as lines, each without blanks at its ends (blanks inside are
    kept: "số:   /KH-UBND" leaves room for the number), no empty lines at the ends."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


# -- the table ---------------------------------------------------------------------------------------------


def _is_number_header(folded: str) -> bool:
    return folded.strip(" .:") in ("stt", "so tt", "tt", "so thu tu")


@dataclass
class Column:
    index: int
    header: str
    group: str | None
    shows: str | None = None
    year: int | None = None
    key: str = ""


def _header_at(lines: list[Line], i: int) -> tuple[list[Column], int] | None:
    """The columns of a header starting at ``lines[i]`` and how many rows it takes, or None."""
    line = lines[i]
    if line.cells is None or not any(_is_number_header(fold(c.text)) for c in line.cells):
        return None
    first = line.cells
    second = lines[i + 1].cells if i + 1 < len(lines) and lines[i + 1].cells is not None else None
    spans = {}
    for col, cell in enumerate(first):
        spans.setdefault(cell.origin, []).append(col)
    # two header rows: a group over several columns; or headers merged down both rows ("STT") beside a column
    # whose header sits under its own group ("Năm 2026" over "Chỉ tiêu giao")
    two_levels = False
    if second is not None and len(second) == len(first):
        grouped = any(len(cols) > 1 and first[cols[0]].text and any(
            second[c].origin != first[c].origin and second[c].text for c in cols) for cols in spans.values())
        merged_down = [c for c in range(len(first)) if first[c].text and second[c].origin == first[c].origin]
        under = [c for c in range(len(first)) if first[c].text and second[c].text and second[c].origin != first[c].origin]
        two_levels = grouped or bool(merged_down and under and 0 in merged_down)
    columns: list[Column] = []
    seen: set[Any] = set()
    for col, cell in enumerate(first):
        below = second[col] if two_levels and second is not None else None
        if below is not None and below.origin != cell.origin and below.text:
            if below.origin in seen:
                continue
            seen.add(below.origin)
            columns.append(Column(col, below.text, cell.text or None))
        else:
            if cell.origin in seen:
                continue
            seen.add(cell.origin)
            columns.append(Column(col, cell.text, None))
    return columns, 2 if two_levels else 1


#: headers of a target column (folded), with or without a year of their own
TARGET_HEADERS = ("giao chi tieu", "chi tieu giao", "chi tieu cu the", "cac chi tieu cu the", "muc tieu",
                  "ke hoach nam", "chi tieu nam", "chi tieu den nam", "muc tieu nam", "muc tieu den nam", "chi tieu")
#: words of a header group over target columns of several years ("Mục tiêu" over "Năm 2021 | Đến năm 2025")
TARGET_GROUPS = ("chi tieu", "muc tieu", "ke hoach", "giai doan", "thuc hien trong")
_RANGE = re.compile(r"\b(20\d\d)\s*[-–—]\s*(20\d\d)\b")


def _year_in(text: str) -> int | None:
    """The year a header names: "Chỉ tiêu năm 2025" → 2025; a period "Giai đoạn 2026–2030" → its last year
    (what is to be reached by its end)."""
    period = _RANGE.search(text)
    if period:
        return int(period.group(2))
    found = _YEAR.search(text)
    return int(found.group(1)) if found else None


def _recognise(column: Column) -> None:
    header, group = fold(column.header).strip(" .:"), fold(column.group or "")
    text = " ".join(header.split())
    year = _year_in(column.header)
    group_year = _year_in(column.group or "")
    is_year = re.fullmatch(r"(nam|den nam|giai doan)\s+20\d\d(\s*[-–—]\s*20\d\d)?", text) is not None
    if _is_number_header(text):
        column.shows = "number"
    elif "thoi gian" in group and year:
        column.shows, column.year = "timeframe", year
    elif year and ("chi tieu" in text or "muc tieu" in text or "ke hoach" in text or "chi tieu" in group
                   or "muc tieu" in group):
        column.shows, column.year = "target", year
    elif is_year and (any(word in group for word in TARGET_GROUPS) or not group):
        column.shows, column.year = "target", year  # "Năm 2026", "Đến năm 2025" under "Mục tiêu", or alone
    elif "ten chi tieu" in text or text in ("noi dung", "ten nhiem vu", "nhiem vu", "noi dung chi tieu", "ten chi so",
                                            "chi so", "noi dung chi so"):
        column.shows = "name"
    elif text == "chi tieu" and not group:
        column.shows = "name"  # "Chỉ tiêu" alone names the indicator (a target column says more)
    elif any(text == t or text.startswith(t + " ") for t in TARGET_HEADERS) or (
            group_year and text in ("giao", "chi tieu", "ke hoach")):
        column.shows, column.year = "target", year or group_year  # "Giao chỉ tiêu" under "Thực hiện trong năm 2025"
    elif text in ("don vi", "don vi tinh", "dvt") or text.startswith("don vi tinh"):
        column.shows = "unit"
    elif "phoi hop" in text:
        column.shows = "coordinating"
    elif "theo doi" in text or "danh gia" in text:
        column.shows = "monitoring"
    elif "thuc hien" in text and any(w in text for w in ("co quan", "don vi", "bo phan", "phong", "ban")) \
            or "chu tri" in text:
        column.shows = "implementing"
    elif text.startswith("thoi gian"):
        column.shows = "timeframe"
    elif text.startswith("ket qua thuc hien") or "san pham" in text or "minh chung" in text:
        column.shows = "evidence"
    elif text.startswith("can cu"):
        column.shows = "basis"
    elif text.startswith("ghi chu"):
        column.shows = "note"
    elif text in ("giai thich chi tieu", "cach tinh", "giai thich", "phuong phap tinh", "cong thuc tinh"):
        column.shows = "note"  # how the figure is computed: read for the numerator and denominator


def _column_number_row(cells: list[str]) -> bool:
    """ "(1) (2) (3) …" or "1 2 3 …" under the header."""
    values = [c for c in cells if c]
    if len(values) < 3:
        return False
    numbers = [re.fullmatch(r"\(?(\d+)\)?", v) for v in values]
    return all(numbers) and [int(m.group(1)) for m in numbers if m] == list(range(1, len(values) + 1))


def import_plan(path: str | Path, *, table: int | None = None, plan_id: str | None = None,
                year: int | None = None) -> Imported:
    """The plan data of the appendix in ``path``, with what was guessed (warnings) and what is missing.
    ``year``: the target year of a target column whose header, headers above and the title name none."""
    path = Path(path)
    file = str(path)
    lines = read_lines(path)
    found = Imported({})
    starts = [i for i in range(len(lines)) if _header_at(lines, i)]
    if not starts:
        raise XlkpiError(problem("import-no-table", file=file))
    # tables: a header and the rows under it; a later header with the same texts continues the same
    # appendix (a page break, or a table of its own under a heading); --table picks another appendix
    first_header = _header_at(lines, starts[0])
    assert first_header is not None
    appendices: list[list[int]] = [[starts[0]]]
    for start in starts[1:]:
        header = _header_at(lines, start)
        assert header is not None
        if [c.header for c in header[0]] == [c.header for c in _header_at(lines, appendices[-1][0])[0]]:  # type: ignore[index]
            appendices[-1].append(start)
        else:
            appendices.append([start])
    chosen = (table or 1) - 1
    if not 0 <= chosen < len(appendices):
        raise XlkpiError(problem("import-table-missing", file=file, table=table, count=len(appendices)))
    block = appendices[chosen]
    columns, depth = _header_at(lines, block[0])  # type: ignore[misc]
    for column in columns:
        _recognise(column)
    header_line = lines[block[0]]
    before_lines = [_paragraph(line) for line in lines[:block[0]] if _paragraph(line)]
    _settle_targets(columns, header_line, before_lines, year, file, found)
    _check_columns(columns, header_line, file, found)

    rows, sections = _rows(lines, block, columns, depth)
    _settle_note_or_basis(columns, rows)
    merged = _merged_down(columns, rows)
    found.summary.append("cột nhận ra: " + "; ".join(
        f"{c.header} → {SHOWN[c.shows]}{f' {c.year}' if c.year else ''}" for c in columns if c.shows))
    before = [_paragraph(line) for line in lines[:block[0]] if _paragraph(line)]
    # every line of text above the table, a letterhead's two cells included, and the paragraphs after it
    top = [part.strip() for line in lines[:block[0]]
           for text in ([line.text] if line.cells is None else list(_own_texts(line.cells).values()))
           for part in text.split("\n") if part.strip()]
    before_all = top + [line.text for line in lines[block[0]:] if line.cells is None]
    found.data = _plan_data(columns, rows, sections, before, before_all, plan_id, found, file)
    for column in found.data["columns"]:
        if column["key"] in merged:
            column["merged"] = True
    if not any(c.shows == "implementing" for c in columns):
        sheet, cell = header_line.where(columns[0].index)
        found.problems.append(problem("import-levels-no-column", file=file, sheet=sheet, cell=cell,
                                      level=", ".join(level["name"] for level in found.data["levels"])))
    return found


def _title_years(before: list[str]) -> list[int]:
    """The years the lines above the table name in capitals (the appendix's title, "… NĂM 2025"), in order."""
    found: list[int] = []
    for text in before:
        if text.strip().upper() == text.strip():
            for match in re.finditer(r"NĂM\s+(20\d\d)|GIAI ĐOẠN\s+(20\d\d)\s*[-–—]\s*(20\d\d)", text):
                value = int(match.group(1) or match.group(3))
                if value not in found:
                    found.append(value)
    return found


def _dated_year(before: list[str]) -> int | None:
    """The year of the document's date ("Lai Châu, ngày 03 tháng 3 năm 2025", "(Ban hành kèm theo … ngày
    …/…/2025)")."""
    for text in before:
        found = re.search(r"ngày\s+[\d\s]*(?:tháng\s+[\d\s]+)?năm\s+(20\d\d)|ngày\s+\d+\s*/\s*\d+\s*/\s*(20\d\d)",
                          text, re.I)
        if found:
            return int(found.group(1) or found.group(2))
    return None


def _settle_targets(columns: list[Column], header: Line, before: list[str], year: int | None, file: str,
                    found: Imported) -> None:
    """Every target column with a year: its own header's or a header's above it (recognised already), else
    the title's, else ``--year``, else the document's date, else this year; each guess a warning at its cell.
    Two columns read as the name: "Chỉ tiêu" is the target when the other names the indicator. A table
    without any target column is imported with blank targets for the best year, said so."""
    names = [c for c in columns if c.shows == "name"]
    if len(names) > 1:
        for column in names:
            if fold(column.header).strip(" .:") == "chi tieu":
                column.shows = "target"
                break
    titled = _title_years(before)
    dated = _dated_year(before)
    best = year or (titled[0] if titled else None) or dated
    found.year = best or _this_year()
    for column in columns:
        if column.shows not in ("target", "timeframe") or column.year is not None:
            continue
        if column.shows == "timeframe" and not any(c.shows == "timeframe" and c.year for c in columns):
            continue  # one timeframe column: not by year
        sheet, cell = header.where(column.index)
        if year is not None:
            column.year = year
            continue
        if titled:
            column.year = titled[0]
            found.summary.append(f"năm của cột \"{column.header}\" lấy từ tên phụ lục: {column.year}")
            continue
        column.year = best or _this_year()
        source = "ngày ban hành văn bản" if best else "năm hiện tại"
        found.problems.append(problem("import-year-guessed", file=file, sheet=sheet, cell=cell, header=column.header,
                                      year=column.year, source=source))
    if not any(c.shows == "target" for c in columns):
        sheet, cell = header.where(columns[0].index)
        found.problems.append(problem("import-no-target-column", file=file, sheet=sheet, cell=cell, year=found.year))


def _this_year() -> int:
    from datetime import date

    return date.today().year


def _check_columns(columns: list[Column], header: Line, file: str, found: Imported) -> None:
    kinds = [c.shows for c in columns]
    if "name" not in kinds:
        raise XlkpiError(problem("import-no-name-column", file=file, sheet=header.sheet,
                                 cell=header.where(columns[0].index)[1]))
    used: set[str] = set()
    for column in columns:
        if column.shows is None:  # kept as the plan's own printed column
            column.shows = "text"
            sheet, cell = header.where(column.index)
            found.problems.append(problem("import-column-unknown", file=file, sheet=sheet, cell=cell,
                                          header=column.header))
        base = {"number": "stt", "name": "ten", "unit": "dvt"}.get(column.shows) or slug(column.header, 20) or column.shows
        if column.year:
            base = f"{'ct' if column.shows == 'target' else 'tg'}{column.year}"
        key, n = base, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        column.key = key


@dataclass
class Row:
    values: dict[int, str]
    line: Line
    section: int | None
    italic: dict[int, list[str]] = field(default_factory=dict)


def _rows(lines: list[Line], block: list[int], columns: list[Column], depth: int
          ) -> tuple[list[Row], list[dict[str, Any]]]:
    indexes = [c.index for c in columns if c.shows]
    number_col = next(c.index for c in columns if c.shows == "number") if any(
        c.shows == "number" for c in columns) else None
    name_col = next(c.index for c in columns if c.shows == "name")
    header_texts = [[cell.text for cell in lines[block[0] + k].cells or []] for k in range(depth)]
    rows: list[Row] = []
    sections: list[dict[str, Any]] = []
    end = _table_end(lines, block)
    i = block[0]
    pending_heading: str | None = _heading_before(lines, block[0])
    if pending_heading is not None:
        sections.append(_section_from_text(pending_heading, "heading"))
    while i < end:
        line = lines[i]
        if line.cells is None:  # a paragraph between the tables of one appendix: a heading when a table follows
            i += 1
            continue
        texts = [cell.text for cell in line.cells]
        if texts == header_texts[0]:
            heading = _heading_before(lines, i) if i != block[0] else None
            if heading is not None and i in block:
                sections.append(_section_from_text(heading, "heading"))
            i += depth
            continue
        if _column_number_row(texts):
            i += 1
            continue
        following = lines[i + 1] if i + 1 < end else None
        if (following is not None and following.cells is not None and [c.text for c in following.cells] == header_texts[0]
                and _single_text(line.cells) is not None):
            i += 1  # the title above a table of its own: taken when its header is reached
            continue
        cells = _own_texts(line.cells)
        values = {col: cells.get(col, "") for col in indexes}
        number = values.get(number_col, "") if number_col is not None else ""
        others = [v for col, v in values.items() if col not in (number_col, name_col) and v]
        spanning = _single_text(line.cells) if _spans(line.cells) else None
        if _ROMAN.match(number) and not others:
            sections.append({"number": number, "title": values.get(name_col, "") or _after_first(line.cells),
                             "layout": "row", "indicators": []})
        elif not number and spanning is not None and not others:  # a title across the table
            sections.append(_section_from_text(spanning, "row"))
        elif not number and rows and any(values.values()):  # continues the row above
            for col, text in values.items():
                if text:
                    rows[-1].values[col] = f"{rows[-1].values[col]}\n{text}" if rows[-1].values.get(col) else text
            for col, passages in _own_italics(line.cells).items():
                rows[-1].italic.setdefault(col, []).extend(passages)
        elif any(values.values()):
            rows.append(Row(values, line, len(sections) - 1 if sections else None, _own_italics(line.cells)))
        i += 1
    return rows, sections


def _table_end(lines: list[Line], block: list[int]) -> int:
    """Where the appendix's rows end: after the last row of its last Word table, or at the sheet's end."""
    i = block[-1]
    while i < len(lines) and lines[i].cells is not None and lines[i].table == lines[block[-1]].table:
        i += 1
    return i


def _heading_before(lines: list[Line], i: int) -> str | None:
    """The title just above a header: a paragraph (Word) or a row of one text (Excel) that is numbered."""
    if i == 0:
        return None
    above = lines[i - 1]
    text = above.text if above.cells is None else _single_text(above.cells)
    if text and re.match(r"^(\d+(\.\d+)*\.|[IVXLC]+\.|[a-zđ]\))\s+\S", text):
        return text
    return None


def _section_from_text(text: str, layout: str) -> dict[str, Any]:
    found = re.match(r"^(\d+(?:\.\d+)*\.|[IVXLC]+\.?|[a-zđ]\))\s+(.*)$", " ".join(text.split()), re.S)
    number, title = (found.group(1), found.group(2)) if found else ("", " ".join(text.split()))
    return {"number": number, "title": title, "layout": layout, "indicators": []}


def _paragraph(line: Line) -> str:
    """A line's text when it is a paragraph: a Word paragraph, or an Excel row of one text."""
    if line.cells is None:
        return line.text
    return _single_text(line.cells) or ""


def _single_text(cells: list[Cell]) -> str | None:
    """The one text of a row whose only content is one (merged) cell."""
    origins = {cell.origin for cell in cells if cell.text}
    if len(origins) == 1:
        return next(cell.text for cell in cells if cell.text)
    return None


def _spans(cells: list[Cell]) -> bool:
    """Whether a row's one text is a title across the table (a merged cell, or written from the first
    column) rather than the rest of a text continued from the row above."""
    filled = [col for col, cell in enumerate(cells) if cell.text]
    if not filled:
        return False
    origin = cells[filled[0]].origin
    return filled[0] == 0 or sum(1 for cell in cells if cell.origin == origin) > 1


def _own_texts(cells: list[Cell]) -> dict[int, str]:
    """Each grid position's text, given once per merged cell (at its first position)."""
    seen: set[Any] = set()
    texts: dict[int, str] = {}
    for col, cell in enumerate(cells):
        if cell.origin in seen:
            continue
        seen.add(cell.origin)
        texts[col] = cell.text
    return texts


def _own_italics(cells: list[Cell]) -> dict[int, list[str]]:
    seen: set[Any] = set()
    found: dict[int, list[str]] = {}
    for col, cell in enumerate(cells):
        if cell.origin in seen:
            continue
        seen.add(cell.origin)
        if cell.italic:
            found[col] = list(cell.italic)
    return found


def _after_first(cells: list[Cell]) -> str:
    texts = [t for t in _own_texts(cells).values() if t]
    return texts[1] if len(texts) > 1 else ""


def _merged_down(columns: list[Column], rows: list[Row]) -> set[str]:
    """The columns (keys) where the document merges a cell down several indicators' rows (one agency for
    several indicators): the appendix merges them the same way."""
    found = set()
    for column in columns:
        if column.shows in (None, "number", "name", "target") or column.shows in ("result", "units-met", "judgement"):
            continue
        for above, below in zip(rows, rows[1:]):
            cells_above, cells_below = above.line.cells or [], below.line.cells or []
            if (column.index < len(cells_above) and column.index < len(cells_below)
                    and cells_above[column.index].text
                    and cells_above[column.index].origin == cells_below[column.index].origin):
                found.add(column.key)
                break
    return found


def _settle_note_or_basis(columns: list[Column], rows: list[Row]) -> None:
    """A "Ghi chú" column that cites documents in most rows holds the legal basis (as in the seeds)."""
    if any(c.shows == "basis" for c in columns):
        return
    for column in columns:
        if column.shows != "note":
            continue
        texts = [row.values.get(column.index, "") for row in rows]
        filled = [t for t in texts if t]
        if filled and sum(bool(_DOCUMENT_CITED.search(fold(t))) for t in filled) >= 0.6 * len(filled):
            column.shows = "basis"


# -- the plan ------------------------------------------------------------------------------------------------


def _plan_data(columns: list[Column], rows: list[Row], sections: list[dict[str, Any]], before: list[str],
               before_all: list[str], plan_id: str | None, found: Imported, file: str) -> dict[str, Any]:
    years = sorted({c.year for c in columns if c.shows == "target" and c.year}) or [found.year]
    by_index = {c.index: c for c in columns if c.shows}
    document = _document(before, before_all, found, file)
    indicators: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    levels_used: list[str] = []
    kind = issuer_kind(document["issuer"])
    for row in rows:
        item = _indicator(row, by_index, years, used_ids, found, file, kind)
        for level in item["levels"]:
            if level not in levels_used:
                levels_used.append(level)
        indicators.append(item)
        if row.section is not None:
            sections[row.section]["indicators"].append(item)
    sections = [s for s in sections if s["indicators"]]
    place = document.pop("_place")
    year = years[0] if years else ""
    data: dict[str, Any] = {
        "format": 1,
        "id": plan_id or _plan_id(document["issuer"], place, year),
        "version": "1",
        "title": " ".join(" ".join(document["appendix"]["title"]).split()).rstrip(",;")[:160] or "Kế hoạch",
        "source": f"Nhập từ {Path(file).name} bằng 'xlkpi plan import'",
        "years": years,
        "levels": [_level(level) for level in _ordered_levels(levels_used)],
        "document": document,
        "columns": [_column_data(c, rows) for c in columns if c.shows] + [dict(c) for c in RESULT_COLUMNS
                                                                        if not any(x.shows == c["shows"] for x in columns)],
    }
    if sections and all(row.section is not None for row in rows):
        data["sections"] = sections
    else:
        data["indicators"] = indicators
    found.summary.insert(0, f"{len(data['columns'])} cột, {len(indicators)} chỉ tiêu"
                         + (f" trong {len(sections)} mục" if "sections" in data else "")
                         + f", năm mục tiêu {', '.join(map(str, years))}")
    return data


def _plan_id(issuer: str, place: str, year: Any) -> str:
    """"lai-chau-2025" for a People's Committee's plan; another office's kind and initials first, as offices
    abbreviate their names: "so-nnptnt-lang-son-2021", "trung-tam-pvhcc-thanh-hoa-2026"."""
    if issuer_kind(issuer) in ("tinh", "huyen", "xa"):
        return slug(f"{place} {year}") or "ke-hoach"
    words = [w for w in fold(issuer).split() if w not in ("va", "cac", "cua")]
    kind = 2 if words[:2] in (["trung", "tam"], ["van", "phong"], ["chi", "cuc"], ["thanh", "tra"]) else 1
    initials = "".join(w[0] for w in words[kind:])
    return slug(f"{' '.join(words[:kind])} {initials} {place} {year}") or "ke-hoach"


def _column_data(column: Column, rows: list[Row]) -> dict[str, Any]:
    data: dict[str, Any] = {"key": column.key, "header": column.header, "shows": column.shows}
    if column.group:
        data = {"key": column.key, "group": column.group, "header": column.header, "shows": column.shows}
    if column.year:
        data["year"] = column.year
    longest = max([len(line) for row in rows for line in row.values.get(column.index, "").split("\n")] + [0])
    data["width"] = {"number": 5, "name": 42, "unit": 7}.get(column.shows or "", min(30, max(9, longest // 3 + 4)))
    return data


def _indicator(row: Row, columns: dict[int, Column], years: list[int], used_ids: set[str], found: Imported, file: str,
               kind: str) -> dict[str, Any]:
    values = {columns[col].shows: (text, col) for col, text in row.values.items() if col in columns and
              columns[col].shows not in ("target", "timeframe", "text")}
    name, name_col = values.get("name", ("", 0))
    number = values.get("number", ("", 0))[0]
    item: dict[str, Any] = {"id": "", "number": number, "name": name}
    unit = values.get("unit", (None, 0))[0]
    if unit is not None:
        item["unit"] = unit
    entry = catalogue_match(name)
    sheet, cell = row.line.where(name_col)
    if entry is not None:
        measure: dict[str, Any] = {"kind": entry.entry.kind}
        if entry.entry.kind == "rate":
            measure.update(numerator=entry.entry.numerator, denominator=entry.entry.denominator)
        elif entry.entry.question:
            measure["question"] = entry.entry.question
        base = entry.entry.id
        if not entry.sure:
            found.problems.append(problem("import-catalogue-guess", file=file, sheet=sheet, cell=cell, name=name[:80],
                                          entry=entry.entry.name[:80], score=f"{entry.score:.0%}"))
    else:
        measure, guessed = _guess_measure(name, unit)
        base = slug(name, 40) or "chi-tieu"
        found.problems.append(problem("import-measure-guessed", file=file, sheet=sheet, cell=cell, name=name[:80],
                                      kind=guessed))
    if measure.get("kind") == "rate":
        explained = _formula_parts(values.get("note", ("", 0))[0]) or _formula_parts(name)
        if explained and PLACEHOLDER in str(measure.get("numerator", "")):
            # the appendix says how the rate is computed ("Cách tính", "Giải thích chỉ tiêu"): its own words
            measure["numerator"], measure["denominator"] = explained
            found.problems = [p for p in found.problems if not (p.code == "import-measure-guessed" and p.cell == cell
                                                               and p.sheet == sheet)]
        measure.update(_letters(" ".join(v for v in (name, values.get("note", ("", 0))[0]) if v)))
    item["measure"] = measure
    key, n = base, 2
    while key in used_ids:
        key, n = f"{base}-{n}", n + 1
    used_ids.add(key)
    item["id"] = key
    targets: dict[str, Any] = {}
    timeframes: dict[int, str] = {}
    single_timeframe = ""
    for col, column in columns.items():
        text = row.values.get(col, "")
        if column.shows == "target" and column.year:
            targets[column.year] = {"text": text}
        elif column.shows == "timeframe":
            if column.year:
                timeframes[column.year] = text
            else:
                single_timeframe = text
    item["targets"] = {year: targets.get(year, {"text": ""}) for year in years}
    for place in ("name", "note"):  # a floor printed in the name or the note, not in the target cell
        stated = stated_floor(item.get(place, "") if place != "name" else name)
        if stated is None:
            continue
        for target in item["targets"].values():
            rule = rule_from_text(target["text"])
            if rule is not None and rule.floor is None and rule.op != "=":
                target["rule"] = {"op": rule.op, "value": rule.value, "floor": stated, "floor_in": place}
        break
    implementing = values.get("implementing", ("", 0))
    levels, unknown = _levels_of(implementing[0], kind)
    has_agency = any(c.shows == "implementing" for c in columns.values())
    where = row.line.where(implementing[1] if "implementing" in values else name_col)
    if not levels:
        levels = _default_levels(kind)
        if has_agency:
            found.problems.append(problem("import-levels-guessed", file=file, sheet=where[0], cell=where[1],
                                          text=implementing[0][:80] or "(trống)", level=_level_names(levels)))
    elif unknown:
        found.problems.append(problem("import-agency-part-unknown", file=file, sheet=where[0], cell=where[1],
                                      text=implementing[0][:80], part=unknown[:60], level=_level_names(levels)))
    item["levels"] = levels
    for shows in ("implementing", "coordinating", "monitoring", "evidence", "basis", "note"):
        if shows in values and values[shows][0]:
            item[shows] = values[shows][0]
    printed = {columns[col].key: text for col, text in row.values.items()
               if col in columns and columns[col].shows == "text" and text}
    if printed:
        item["texts"] = printed
    emphasis = [p for col, passages in row.italic.items() if col in columns and columns[col].shows in ("name", "note")
                for p in passages]
    if emphasis:
        item["emphasis"] = list(dict.fromkeys(emphasis))
    if timeframes:
        item["timeframe"] = timeframes
    elif single_timeframe:
        item["timeframe"] = single_timeframe
    return item


def _formula_parts(text: str) -> tuple[str, str] | None:
    """The numerator and denominator an explanation of a rate states: "(b/a) trong đó a là tổng số hồ sơ
    tiếp nhận, b là số hồ sơ được số hóa", "a: …; b: …", or "Số hồ sơ được số hóa/Tổng số hồ sơ tiếp nhận"."""
    if not text:
        return None
    flat = " ".join(text.split())
    ratio = re.search(r"\b([a-zđ])\s*/\s*([a-zđ])\b", flat)
    if ratio:
        meaning = {}
        for letter in (ratio.group(1), ratio.group(2)):
            stated = re.search(rf"(?:^|[\s,;(])\(?{letter}\)?\s*(?::|là|=|-)\s*([^;,.()]+?)(?=\s*(?:[;,.()]|\b[a-zđ]\s*(?::|là|=)|$))",
                               flat)
            if stated:
                meaning[letter] = stated.group(1).strip().rstrip(";,.")
        if len(meaning) == 2:
            return _capital(meaning[ratio.group(1)]), _capital(meaning[ratio.group(2)])
    parts = re.split(r"\s*/\s*(?=[^\W\d])", re.sub(r"\([^)]*\)", "", flat).strip().rstrip(".x×*100% "), maxsplit=1)
    if len(parts) == 2 and all(len(p.split()) >= 2 and not re.search(r"\d/\d", p) for p in parts):
        numerator = re.sub(r"^(tỷ lệ\s*=\s*|=\s*)", "", parts[0], flags=re.I).strip()
        denominator = re.sub(r"\s*[x×*]\s*100\s*%?$", "", parts[1]).strip()
        if numerator.lower().startswith(("số", "tổng")) and denominator.lower().startswith(("số", "tổng")):
            return _capital(numerator), _capital(denominator)
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _letters(text: str) -> dict[str, Any]:
    """The letters a plan gives a rate's inputs, from "tỷ lệ b/a" in its name or note (numerator b,
    denominator a, asked in the letters' order); nothing when it uses the usual a/b."""
    found = re.search(r"tỷ\s*lệ\s+([a-zđ])\s*/\s*([a-zđ])\b", text, re.I)
    if not found or found.group(1).lower() == found.group(2).lower():
        return {}
    numerator, denominator = found.group(1).lower(), found.group(2).lower()
    if (numerator, denominator) == ("a", "b"):
        return {}
    return {"numerator_letter": numerator, "denominator_letter": denominator,
            "denominator_first": denominator < numerator}


def _guess_measure(name: str, unit: str | None) -> tuple[dict[str, Any], str]:
    folded = fold(name)
    if fold(unit or "") in ("co/khong", "co, khong"):
        return {"kind": "yesno", "question": f"{name.rstrip('.')}?"}, "có/không"
    counted = folded.startswith("so ") and not folded.startswith("so hoa")  # "Số thủ tục được đơn giản hóa"
    if (unit or ("" if counted else "%")).strip() == "%" or folded.startswith("ty le"):
        subject = re.sub(r"^(tỷ lệ|ty le)\s+", "", name.strip().rstrip("."), flags=re.I)
        return ({"kind": "rate", "numerator": f"Số {subject} (tử số — {PLACEHOLDER})",
                 "denominator": f"Tổng số (mẫu số — {PLACEHOLDER}) của: {subject}"}, "tỷ lệ")
    return {"kind": "count"}, "số lượng"


def _levels_of(text: str, issuer_kind: str = "tinh") -> tuple[list[str], str]:
    """The levels an agency text names, and what of it names none (words left once every level's phrase is
    taken out, for a warning). "Các cơ quan chuyên môn" without a level is the issuer's own departments."""
    folded = re.sub(r"\(([^)]*)\)", r" \1 ", fold(text).replace("\n", " "))
    # "UBND cấp xã/huyện": both levels
    folded = re.sub(r"\b(ubnd|uy ban nhan dan) cap (xa|huyen|tinh)\s*/\s*(xa|huyen|tinh)\b", r"\1 cap \2; \1 cap \3",
                    " ".join(folded.split()))
    phrases = sorted(((phrase, level) for level, _, words in KNOWN_LEVELS for phrase in words), key=lambda p: -len(p[0]))
    found: list[str] = []
    rest = f" {folded} "
    for phrase, level in phrases:
        while phrase in rest:
            at = rest.index(phrase)
            rest = rest[:at] + " ; " + rest[at + len(phrase):]
            if level not in found:
                found.append(level)
    # one of the issuer's own units by its name: "Văn phòng Sở", "Phòng Đăng ký kinh doanh", "Phòng Kinh tế"
    own_unit = r"\bvan phong (?:so|trung tam|ban)\b|(?<!cac )\bphong (?!ban\b|chuyen\b)[a-z]+(?: [a-z]+)*"
    if re.search(own_unit, rest):
        if "phong" not in found:
            found.append("phong")
        rest = re.sub(own_unit, " ; ", rest)
    if re.search(r"\bso (?!ban\b|nganh\b)[a-z]", rest) and "so" not in found:  # a department by its name
        found.append("so")
        rest = re.sub(r"\bso (?!ban\b|nganh\b)[a-z]+(?: [a-z]+)*", " ; ", rest)
    if re.search(r"\bco quan chuyen mon\b|\bcac co quan\b|\bcac phong\b", rest):
        own = {"tinh": "so", "huyen": "co-quan", "xa": "phong", "so": "phong"}.get(issuer_kind, "so")
        rest = re.sub(r"\bco quan chuyen mon\b|\bcac co quan\b|\bcac phong\b", " ; ", rest)
        if own not in found:
            found.append(own)
    if "co-quan" in found and "so" in found:  # "Các Sở, ban, ngành" also reads as "…, ban, ngành"
        found.remove("co-quan")
    words = {w for w in re.findall(r"[a-z]+", rest) if w not in _AGENCY_FILLER}
    if not words:
        return found, ""
    # the parts of the text as printed that hold those words
    parts = [p.strip(" .") for p in re.split(r"[;\n]|\s+và\s+|,\s+(?=[A-ZĐ])", text) if p.strip(" .")]
    unknown = [p for p in parts if words & set(re.findall(r"[a-z]+", fold(p)))]
    return found, "; ".join(unknown) or " ".join(sorted(words))


def _level_names(levels: list[str]) -> str:
    return ", ".join(_level(level)["name"] for level in levels)


def _ordered_levels(used: list[str]) -> list[str]:
    order = [level for level, _, _ in KNOWN_LEVELS]
    return sorted(used, key=order.index) or ["xa"]


def _level(level: str) -> dict[str, Any]:
    for code, name, _ in KNOWN_LEVELS:
        if code == level:
            return {"id": code, "name": name}
    return {"id": level, "name": level}


def issuer_kind(issuer: str) -> str:
    """What kind of office issued the plan: "tinh", "huyen", "xa" (UBND of a province, district, commune or
    ward), "so" (a department, board or agency of a province), "trung-tam" (a service centre)."""
    folded = fold(issuer)
    if folded.startswith(("uy ban nhan dan", "ubnd")):
        rest = folded.split(" ", 3)[-1] if folded.startswith("uy ban") else folded
        if re.search(r"\b(xa|phuong|thi tran|dac khu)\b", rest):
            return "xa"
        if re.search(r"\b(huyen|quan|thi xa)\b", rest):
            return "huyen"
        return "tinh"
    if folded.startswith("trung tam"):
        return "trung-tam"
    return "so"


def _default_levels(kind: str) -> list[str]:
    """Who reports when the table does not say: the issuer's own level (a commune's plan: the commune; a
    province's: its departments and communes)."""
    return {"tinh": ["so", "xa"], "huyen": ["co-quan", "xa"], "xa": ["xa"], "so": ["so"],
            "trung-tam": ["trung-tam"]}[kind]


def _document(before: list[str], everything: list[str], found: Imported, file: str) -> dict[str, Any]:
    heading, number, title, attached = "Phụ lục", "", [], ""
    start = None
    for i, text in enumerate(before):
        head = re.match(r"^(phụ\s+lục)(?:\s+([IVXLC]+|\d+))?\s*$", text.strip(), re.I)
        if head:
            start, heading, number = i, head.group(1), head.group(2) or ""
    if start is not None:
        for text in before[start + 1:]:
            stripped = text.strip()
            if stripped.startswith("(") and "kèm" in stripped.lower():
                attached = stripped
                break
            if stripped.upper() == stripped and len(stripped) > 3 and not re.match(r"^\d+\.", stripped):
                title.extend(line for line in stripped.split("\n") if line)
            else:
                break
    else:
        found.problems.append(problem("import-no-appendix-heading", severity="warning", file=file))
        upper = [t for t in before if t.strip().upper() == t.strip() and len(t.strip()) > 10]
        title = upper[-2:] or ["PHỤ LỤC"]
    superior, issuer = _letterhead(everything)
    owner = re.search(r"của\s+(UBND|Ủy ban nhân dân|Uỷ ban nhân dân|ỦY BAN NHÂN DÂN)\s+(tỉnh|huyện|xã|thành phố|phường|"
                      r"thị xã|thị trấn|quận|đặc khu)\s+([^)]+)", attached, re.I)
    if not issuer and owner:
        issuer = f"ỦY BAN NHÂN DÂN {owner.group(2).upper()} {owner.group(3).strip().upper()}"
    if not issuer:
        other = re.search(r"của\s+((?:Sở|Ban|Trung tâm|Văn phòng)\s+[^)]+)", attached)
        issuer = other.group(1).strip().upper() if other else ""
    if not issuer:
        issuer = "ỦY BAN NHÂN DÂN"
        found.problems.append(problem("import-issuer-missing", severity="warning", file=file))
    place = _place(everything, issuer, superior, owner.group(3).strip() if owner else "")
    kind = "Quyết định" if "quyết định" in attached.lower() else "Kế hoạch"
    doc_number = re.search(r"số:?\s*([^\s,]*\s*/\s*[A-ZĐ]+[-A-ZĐ]*)", attached)
    date = re.search(r"(ngày\s+[\d\s/]*(?:tháng\s+[\d\s]+)?năm\s+\d{4}|ngày\s+[\d\s]*/[\d\s]*/\d{4})", attached)
    document: dict[str, Any] = {
        "issuer": issuer, "kind": kind, "number": doc_number.group(1) if doc_number else "",
        "place": place, "date": date.group(1) if date else "",
        "appendix": {"heading": heading, "number": number, "title": title or ["PHỤ LỤC"], "attached": attached},
        "_place": place}
    if superior:
        document["superior"] = superior
    signer = _signer(issuer)
    if signer:
        document["signer"] = signer
    return document


#: how an issuing office's name begins on a letterhead (folded)
_OFFICES = ("uy ban nhan dan", "ubnd", "so ", "ban ", "trung tam", "van phong", "cong an", "thanh tra", "chi cuc",
            "cuc ", "bo chi huy", "kho bac", "hoi dong nhan dan")
_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc", "doc lap – tu do – hanh phuc")


def _letterhead(lines: list[str]) -> tuple[str, str]:
    """The office above the issuer (a department's "UBND TỈNH LẠNG SƠN") and the issuer, from the capital
    lines at the top of the document; a name printed on two lines ("ỦY BAN NHÂN DÂN" / "TỈNH PHÚ THỌ") joined."""
    found: list[str] = []
    for text in lines[:14]:
        line = " ".join(text.split())
        folded = fold(line)
        if not line or line != line.upper() or any(folded.startswith(m) for m in _MOTTO) or set(line) <= set("-–_ "):
            continue
        if re.match(r"^(KẾ HOẠCH|QUYẾT ĐỊNH|PHỤ LỤC|SỐ:|BIỂU|DANH MỤC)", line):
            break
        if any(folded.startswith(o) for o in _OFFICES):
            found.append(line)
        elif found and re.match(r"^(TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG|THỊ XÃ|THỊ TRẤN|QUẬN|ĐẶC KHU)\b", line) and \
                fold(found[-1]) in ("uy ban nhan dan", "ubnd"):
            found[-1] = f"{found[-1]} {line}"
        if len(found) == 2:
            break
    if not found:
        return "", ""
    if len(found) == 2 and not fold(found[1]).startswith(("uy ban nhan dan", "ubnd")):
        return found[0], found[1]
    return "", found[0]


def _place(lines: list[str], issuer: str, superior: str, owner: str) -> str:
    """The place of the document: its "Phú Thọ, ngày … tháng … năm …" line, else the place in the issuer's
    or its superior's name, else the appendix's "của UBND tỉnh …"."""
    for text in lines[:30]:
        dated = re.match(r"^\s*([A-ZĐÀ-Ỹ][^\d,()]{1,40}?),\s*ngày\b", text)
        if dated and not fold(dated.group(1)).startswith(("so", "ky", "nam")):
            return dated.group(1).strip()
    for name in (issuer, superior):
        found = re.search(r"\b(?:TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG|THỊ XÃ|THỊ TRẤN|QUẬN|ĐẶC KHU)\s+(.+)$", name)
        if found:
            return found.group(1).strip().title()
    return owner


def _signer(issuer: str) -> dict[str, str] | None:
    """Who signs for an office other than a People's Committee (whose "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH" is
    the default)."""
    folded = fold(issuer)
    if folded.startswith(("uy ban nhan dan", "ubnd")):
        return None
    for start, title in (("so ", "GIÁM ĐỐC"), ("trung tam", "GIÁM ĐỐC"), ("ban ", "TRƯỞNG BAN"),
                         ("van phong", "CHÁNH VĂN PHÒNG"), ("chi cuc", "CHI CỤC TRƯỞNG"), ("cuc ", "CỤC TRƯỞNG"),
                         ("thanh tra", "CHÁNH THANH TRA")):
        if folded.startswith(start):
            return {"on_behalf": "", "title": title}
    return None
