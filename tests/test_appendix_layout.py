"""The consolidated appendix of every built-in plan: its table as the plan declares it, compared with a
golden workbook structurally, and checked for what the signer sees."""

from __future__ import annotations

import openpyxl
import pytest

from tests.golden.appendix import PLANS, golden_path, make
from tests.golden.workbooks import first_difference, snapshot
from xlkpi.campaign.folder import DEFAULT_RECIPIENTS
from xlkpi.report.appendix import APPENDIX, printed_header
from xlkpi.plan.model import RESULT_COLUMNS, load_plan


@pytest.fixture(params=PLANS, name="built")
def _built(request, tmp_path):
    path = tmp_path / f"{request.param}.xlsx"
    path.write_bytes(make(request.param))
    return request.param, path


def test_matches_golden(built):
    plan_id, path = built
    generated, golden = snapshot(path), snapshot(golden_path(plan_id))
    assert first_difference(generated, golden) is None, first_difference(generated, golden)


def test_the_plans_table_as_declared(built):
    plan_id, path = built
    plan = load_plan(plan_id)
    sheet = openpyxl.load_workbook(path)[APPENDIX]
    appendix = plan.document.appendix
    assert sheet["A1"].value == f"{appendix.heading} {appendix.number}".strip()
    for offset, line in enumerate(appendix.title, start=2):
        assert sheet.cell(offset, 1).value == line
    header_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "STT")
    grouped = any(c.group for c in plan.columns)
    merged = {str(r) for r in sheet.merged_cells.ranges}
    for col, column in enumerate(plan.columns, start=1):
        letter = openpyxl.utils.get_column_letter(col)
        if column.group:
            assert sheet.cell(header_row + 1, col).value == printed_header(column)
            # the group's label sits over its first column, merged across the group
            first = next(i for i, c in enumerate(plan.columns, start=1) if c.group == column.group)
            assert sheet.cell(header_row, first).value == column.group
        else:
            assert sheet.cell(header_row, col).value == printed_header(column)
            if grouped:
                assert f"{letter}{header_row}:{letter}{header_row + 1}" in merged
    numbers_row = header_row + (2 if grouped else 1)
    assert [sheet.cell(numbers_row, c).value for c in range(1, len(plan.columns) + 1)] == \
        [f"({n})" for n in range(1, len(plan.columns) + 1)]
    # sections and indicators in order, printed texts as in the plan
    row = numbers_row + 1
    current = None
    printed = [c for c in plan.columns if c.shows not in RESULT_COLUMNS]
    for section, indicator in plan.iter_indicators():
        if section is not None and section is not current:
            current = section
            first_cell = sheet.cell(row, 1).value
            assert first_cell in (section.number, f"{section.number} {section.title}")
            row += 1
        for col, column in enumerate(plan.columns, start=1):
            if column in printed:
                assert (sheet.cell(row, col).value or "") == (indicator.printed(column) or ""), (indicator.id, column.key)
        row += 1


def test_signature_and_recipients(built):
    plan_id, path = built
    plan = load_plan(plan_id)
    sheet = openpyxl.load_workbook(path)[APPENDIX]
    texts = [c.value for r in sheet.iter_rows() for c in r if c.value]
    assert plan.document.signer.on_behalf in texts and plan.document.signer.title in texts
    if plan.document.signer.name:
        assert plan.document.signer.name in texts
    # the report's own recipients, never the plan's ("UBND các huyện, thành, thị": districts no longer exist)
    assert "Nơi nhận:" in texts
    assert [t for t in texts if str(t).startswith("- ")][-2:] == ["- Như trên;", "- Lưu: VT."]
    assert not any(r in str(t) for t in texts for r in plan.document.recipients if r not in DEFAULT_RECIPIENTS)
    # the issuer inside the italic line reads as in a sentence, not in letterhead capitals
    attached = next(str(t) for t in texts if str(t).startswith("(Kèm theo"))
    assert "ỦY BAN" not in attached and "của Ủy ban nhân dân " in attached
    # rows between the signer's title and name leave room to sign and stamp (at least 60 points)
    title_row = next(c.row for r in sheet.iter_rows() for c in r if c.value == plan.document.signer.title)
    name_row = next((c.row for r in sheet.iter_rows() for c in r if plan.document.signer.name
                     and c.value == plan.document.signer.name), title_row + 7)
    gap = sum(sheet.row_dimensions[r].height or 15 for r in range(title_row + 1, name_row))
    assert gap >= 60, gap
    assert any(str(t).startswith("Ghi chú: Số liệu tổng hợp từ") for t in texts)
    assert any("Chưa nộp (1)" in str(t) for t in texts)


def test_the_column_number_row_and_the_results_line_are_the_plans_choice(tmp_path):
    from xlkpi.plan.model import Plan

    data = load_plan("phu-tho-2025").model_dump(mode="python", exclude_unset=True)
    data["document"]["appendix"].update(column_numbers=False, results_line=False)
    path = tmp_path / "p.xlsx"
    path.write_bytes(make("phu-tho-2025", Plan.model_validate(data)))
    sheet = openpyxl.load_workbook(path)[APPENDIX]
    texts = [str(c.value) for row in sheet.iter_rows(max_row=12) for c in row if c.value is not None]
    assert "(1)" not in texts and not any(t.startswith("Kết quả quý") for t in texts)
    header_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "STT")
    # the header takes two rows (the result columns' group); the first section comes right under it
    assert sheet.cell(header_row + 2, 1).value.startswith("1.")
    assert sheet.print_title_rows == f"${header_row}:${header_row + 1}"
    # and by default both are printed
    default = tmp_path / "d.xlsx"
    default.write_bytes(make("phu-tho-2025"))
    sheet = openpyxl.load_workbook(default)[APPENDIX]
    texts = [str(c.value) for row in sheet.iter_rows(max_row=12) for c in row if c.value is not None]
    assert "(1)" in texts and any(t.startswith("Kết quả quý") for t in texts)


def test_a_plan_column_that_reads_like_a_result_is_named_the_plans():
    """Lai Châu's column (10) "Kết quả thực hiện" is the output the plan expects, not the period's result."""
    plan = load_plan("lai-chau-2025")
    headers = {c.key: printed_header(c) for c in plan.columns}
    assert headers["ket-qua-th"] == "Kết quả thực hiện (theo kế hoạch)"
    assert headers["kq"] == "Kết quả" and headers["ten"] == "Tên chỉ tiêu"


def test_an_issuer_in_capitals_reads_as_in_a_sentence():
    from xlkpi.report.appendix import sentence_case

    assert sentence_case("ỦY BAN NHÂN DÂN TỈNH LAI CHÂU") == "Ủy ban nhân dân tỉnh Lai Châu"
    assert sentence_case("VĂN PHÒNG UBND TỈNH PHÚ THỌ") == "Văn phòng UBND tỉnh Phú Thọ"
    assert sentence_case("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI") == "Ủy ban nhân dân thành phố Hà Nội"
    assert sentence_case("Trung tâm Phục vụ hành chính công") == "Trung tâm Phục vụ hành chính công"


def test_pages_break_between_whole_indicators_with_the_signature_on_the_last():
    """The appendix's page breaks: pages filled in order under the repeated header, a section's title never
    last on its page, the footnote and signature with the last indicator, which does not stand alone on the
    signature's page when the page before can give it company."""
    from xlkpi.report.appendix import PAGE_FILL, PAGE_HEIGHT, page_breaks

    room = PAGE_HEIGHT * PAGE_FILL  # at 100 %
    # rows: 0-1 title, 2-3 header (repeated), 4.. body, then footnote and signature
    title, header = [40, 20], [60, 20]
    body = [100] * 7
    tail = [20, 16, 16, 18, 18, 16, 16, 16]
    heights = title + header + body + tail
    first, last = 4, 4 + len(body) - 1
    breaks = page_breaks(heights, (2, 3), (first, last), set(), 100)
    pages = [first, *breaks, last + 1]
    for top, bottom in zip(pages, pages[1:]):
        size = sum(heights[top:bottom]) + (sum(title + header) if top == first else sum(header))
        if bottom == last + 1:
            size += sum(tail)
        assert size <= room + 1e-6, (top, bottom, size, room)
        assert bottom - top >= 2, "the signature's page holds two indicators"
    # a section's title goes to the next page with its first indicator
    sections = {first + 3}
    with_section = page_breaks(heights, (2, 3), (first, last), sections, 100)
    assert all(b - 1 not in sections for b in with_section)
    # printed at 40 % all of it fits on one page
    assert page_breaks(heights, (2, 3), (first, last), set(), 40) == []


def test_an_agency_merged_in_the_plan_is_one_cell_down_its_rows(tmp_path):
    """Lai Châu's indicators 2 to 5 share one implementing agency: with the column marked merged, the appendix
    prints it once, in a cell merged down their rows; never across a section row or a page break."""
    from xlkpi.report.appendix import merged_runs

    plan = load_plan("lai-chau-2025")
    columns = [c.model_copy(update={"merged": c.shows == "implementing"}) for c in plan.columns]
    plan = plan.model_copy(update={"columns": columns})
    path = tmp_path / "merged.xlsx"
    path.write_bytes(make("lai-chau-2025", plan))
    sheet = openpyxl.load_workbook(path)[APPENDIX]
    col = next(i for i, c in enumerate(plan.columns, start=1) if c.shows == "implementing")
    letter = openpyxl.utils.get_column_letter(col)
    header = next(c.header for c in plan.columns if c.shows == "implementing")
    runs = [r for r in sheet.merged_cells.ranges if r.min_col == r.max_col == col and r.max_row > r.min_row
            and sheet.cell(r.min_row, col).value != header]
    assert runs, "consecutive indicators with the same agency share one cell"
    for run in runs:
        text = sheet[f"{letter}{run.min_row}"].value
        assert text and all(sheet.cell(r, 1).value for r in range(run.min_row, run.max_row + 1))
    # runs stop at a break and at a text that changes
    cells = [(10, "A", "text"), (11, "A", "text"), (12, "A", "text"), (13, "B", "text"), (14, "B", "text"),
             (16, "B", "text"), (17, "", "text"), (18, "", "text")]
    assert merged_runs(cells, {12}) == [(10, 11, "A", "text"), (13, 14, "B", "text")]
