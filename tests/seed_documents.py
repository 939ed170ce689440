"""The seed appendices written out as the offices keep them: a Word table (python-docx) and an Excel sheet,
from a built-in plan — two-level headers in merged cells, the header repeated mid-table where a page
breaks, sections as rows or as headings above their own tables, cells of several paragraphs."""

from __future__ import annotations

import io
from typing import Any

from xlkpi.plan.model import RESULT_COLUMNS, Plan, header_groups

BREAK_AFTER = 4  # the header is repeated after this many rows, as the seeds show it at page breaks


def printed_columns(plan: Plan) -> list[Any]:
    return [c for c in plan.columns if c.shows not in RESULT_COLUMNS]


def tables(plan: Plan) -> list[tuple[str | None, list[tuple[str, Any]]]]:
    """(heading above the table or None, rows: ("section", section) or ("indicator", indicator))."""
    if plan.sections and all(s.layout == "heading" for s in plan.sections):
        return [(f"{s.number} {s.title}", [("indicator", i) for i in s.indicators]) for s in plan.sections]
    rows: list[tuple[str, Any]] = []
    current = None
    for section, item in plan.iter_indicators():
        if section is not None and section is not current:
            current = section
            rows.append(("section", section))
        rows.append(("indicator", item))
    return [(None, rows)]


def header_rows(plan: Plan) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """The header's texts (one or two rows) and its merges (row0, col0, row1, col1)."""
    columns = printed_columns(plan)
    two = any(c.group for c in columns)
    if not two:
        return [[c.header for c in columns]], []
    top, bottom, merges = [], [], []
    for first, last, group in header_groups(columns):
        if group is None:
            top.append(columns[first].header)
            bottom.append(columns[first].header)
            merges.append((0, first, 1, first))
            continue
        top += [group] * (last - first + 1)
        bottom += [c.header for c in columns[first:last + 1]]
        if last > first:
            merges.append((0, first, 0, last))
    return [top, bottom], merges


def body_rows(plan: Plan, rows: list[tuple[str, Any]]) -> list[tuple[list[str], bool]]:
    """Each row's texts, and whether it is a section row (its title merged across the table)."""
    columns = printed_columns(plan)
    out = []
    for kind, thing in rows:
        if kind == "section":
            out.append(([thing.number] + [thing.title] * (len(columns) - 1), True))
        else:
            out.append(([thing.printed(c) or "" for c in columns], False))
    return out


def front(plan: Plan) -> list[str]:
    document = plan.document
    heading = f"{document.appendix.heading} {document.appendix.number}".strip()
    return [document.issuer, heading, *document.appendix.title, document.appendix.attached]


# -- Word ------------------------------------------------------------------------------------------------------


def as_docx(plan: Plan) -> bytes:
    import docx

    document = docx.Document()
    for text in front(plan):
        if text:
            document.add_paragraph(text)
    header, merges = header_rows(plan)
    width = len(printed_columns(plan))
    for heading, rows in tables(plan):
        if heading:
            document.add_paragraph(heading)
        body = body_rows(plan, rows)
        layout: list[tuple[str, Any]] = [("header", None)]
        for n, row in enumerate(body):
            if n and n % BREAK_AFTER == 0:
                layout.append(("header", None))
            layout.append(("row", row))
        count = sum(len(header) if kind == "header" else 1 for kind, _ in layout)
        table = document.add_table(rows=count, cols=width)
        table.style = "Table Grid"
        r = 0
        for kind, row in layout:
            if kind == "header":
                for k, texts in enumerate(header):
                    for c, text in enumerate(texts):
                        _write(table.cell(r + k, c), text)
                for r0, c0, r1, c1 in merges:
                    merged = table.cell(r + r0, c0).merge(table.cell(r + r1, c1))
                    _write(merged, header[r0][c0])
                r += len(header)
            else:
                texts, is_section = row
                if is_section:
                    _write(table.cell(r, 0), texts[0])
                    merged = table.cell(r, 1).merge(table.cell(r, width - 1))
                    _write(merged, texts[1])
                else:
                    for c, text in enumerate(texts):
                        _write(table.cell(r, c), text)
                r += 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _write(cell: Any, text: str) -> None:
    """A cell's text, one paragraph per line (as Word keeps a cell of several paragraphs)."""
    lines = text.split("\n")
    for paragraph in cell.paragraphs[1:]:
        paragraph._element.getparent().remove(paragraph._element)
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


# -- Excel -----------------------------------------------------------------------------------------------------


def as_xlsx(plan: Plan) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    width = len(printed_columns(plan))
    r = 1
    for text in front(plan):
        if text:
            sheet.cell(r, 1, text)
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            r += 1
    r += 1
    header, merges = header_rows(plan)
    for heading, rows in tables(plan):
        if heading:
            sheet.cell(r, 1, heading)
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            r += 1
        for n, (texts, is_section) in enumerate([(None, False)] + body_rows(plan, rows)):
            if texts is None or (n > 1 and (n - 1) % BREAK_AFTER == 0):
                for k, values in enumerate(header):
                    for c, text in enumerate(values):
                        sheet.cell(r + k, c + 1, text)
                for r0, c0, r1, c1 in merges:
                    sheet.merge_cells(start_row=r + r0, start_column=c0 + 1, end_row=r + r1, end_column=c1 + 1)
                r += len(header)
                if texts is None:
                    continue
            if is_section:
                sheet.cell(r, 1, texts[0])
                sheet.cell(r, 2, texts[1])
                sheet.merge_cells(start_row=r, start_column=2, end_row=r, end_column=width)
            else:
                for c, text in enumerate(texts):
                    cell = sheet.cell(r, c + 1, text)
                    cell.alignment = Alignment(wrap_text=True)
            r += 1
        r += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def printed(plan: Plan) -> dict[str, Any]:
    """What the appendix prints: columns (header, group, what they show, year), sections, and each row's
    printed cells — what an import must give back."""
    columns = plan.columns
    return {
        "columns": [(c.header, c.group, c.shows, c.year) for c in columns],
        "sections": [(s.number, s.title, s.layout) for s in plan.sections],
        "rows": [(section.number if section else None, [item.printed(c) for c in columns])
                 for section, item in plan.iter_indicators()],
    }
