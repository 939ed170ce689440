"""What people see, checked by printing: LibreOffice recalculates and prints each workbook xlkpi writes,
under an English and a Vietnamese locale, and the PDF's text is read as a signer or a clerk would."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pypdf
import pytest

from tests.test_collect_libreoffice import fill_in_libreoffice
from tests.test_consolidate import round_  # noqa: F401 — the fixture
from xlkpi.report.appendix import APPENDIX, DETAIL, PROGRESS
from xlkpi.report.consolidate import consolidate

LOCALES = {"en-US": "en_US.UTF-8", "vi-VN": "vi_VN.UTF-8"}


def short_rows(python: str, source: Path, sheets: list[str], out: Path, lang: str | None = None) -> list[list]:
    """[sheet, row, height, needed] for each row of ``sheets`` that LibreOffice finds too short for its wrapped
    text (what is cut off or printed over the next row; a text check cannot see it, the words are in the PDF)."""
    import json
    import os
    import subprocess

    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LC_ALL", "LANGUAGE")}
    if lang:
        env.update({"LANG": lang, "LC_ALL": lang})
    found = out / f"{source.stem}-rows.json"
    subprocess.run([python, str(Path(__file__).with_name("libreoffice_rows.py")), str(source), str(found), *sheets],
                   check=True, timeout=240, env=env)
    return json.loads(found.read_text(encoding="utf-8"))


def type_sizes(page) -> list[float]:
    """The size of each piece of text on a printed page, in points as printed (the font's size times the
    scale the page is printed at)."""
    sizes = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes.append(abs(size * (tm[3] or 1) * (cm[3] or 1)))

    page.extract_text(visitor_text=visit)
    return sizes


def print_with_libreoffice(python: str, source: Path, out: Path, lang: str) -> pypdf.PdfReader:
    """Open ``source`` in LibreOffice under ``lang``, recalculate every formula, print it to PDF."""
    fill_in_libreoffice(python, source, {}, out, "pdf", lang=lang)
    return pypdf.PdfReader(out / f"{source.stem}.pdf")


def appendix_pages(reader: pypdf.PdfReader) -> list[str]:
    """The pages of the "Phụ lục" sheet: they come first and end with the signature."""
    pages = []
    for page in reader.pages:
        text = page.extract_text()
        pages.append(text)
        if "CHỦ TỊCH" in text:
            break
    return pages


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_the_signed_appendix_prints_right_in_any_locale(round_, uno_python, tmp_path, locale):
    campaign, _, _ = round_
    result = consolidate(campaign)
    reader = print_with_libreoffice(uno_python, result.path, tmp_path / locale, LOCALES[locale])
    pages = appendix_pages(reader)
    text = "\n".join(pages)
    # legible for the signer: body text at least 10 points tall as printed, on every page (the 14 columns are
    # fitted to A4 at that size, not shrunk to half), and no page spent on fewer than two indicators
    for number, page in enumerate(reader.pages[:len(pages)], start=1):
        assert statistics.median(type_sizes(page)) >= 10.0, (number, statistics.median(type_sizes(page)))
    assert len(pages) <= 6, f"the 12-indicator appendix takes {len(pages)} pages"
    # results with a decimal comma, never a point, whatever the locale
    for rolled in result.consolidation.totals.values():
        if rolled.value is not None and rolled.indicator.measure.kind == "rate":
            shown = f"{rolled.value:.2f}"
            assert shown.replace(".", ",") in text, shown
            assert shown not in text, shown
    assert "(Kèm theo Báo cáo số" in text and "Ban hành kèm theo" not in text
    assert "0/0 đơn vị đạt" not in text and "Tiến độ nộp" not in text
    # a leader sees how many units each figure stands on, and no "Đạt" claims more than the data hold
    flat = " ".join(text.split())
    for rolled in result.consolidation.totals.values():
        if rolled.expected and rolled.judged:
            assert rolled.coverage in flat
            if not rolled.complete:
                assert rolled.verdict.endswith("(chưa đủ số liệu)") and rolled.verdict in flat
    # page numbers from page 2 on, at the top; none on page 1
    for number, page in enumerate(pages[1:], start=2):
        assert page.split("\n", 1)[0].strip() == str(number)
    assert not pages[0].split("\n", 1)[0].strip().isdigit()
    # no page holds only the repeated header, or only the signature: each has an indicator row
    for page in pages:
        body = page.split("(14)", 1)[-1]
        assert re.search(r"^\s*\d{1,2}\s+\S", body, re.M), page[:200]
    # the footnote stays with its items, on the signature's page
    assert "Ghi chú:" in pages[-1] and "Chưa nộp (" in pages[-1]


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_sheet_prints_legibly_with_its_title_and_page_numbers(round_, uno_python, tmp_path, locale):
    campaign, _, _ = round_
    result = consolidate(campaign)
    reader = print_with_libreoffice(uno_python, result.path, tmp_path / locale, LOCALES[locale])
    behind = reader.pages[len(appendix_pages(reader)):]
    assert behind, "the detail, progress and charts sheets print after the appendix"
    for page in behind:
        text = page.extract_text()
        assert campaign.plan.title in text, "the plan named at the top of every page"
        assert re.search(r"Trang \d+/\d+", text), "page numbers on every page"
    detail = [p.extract_text() for p in behind if "Chi tiết đơn vị" in p.extract_text()]
    # figures as a Vietnamese document prints them, whatever the locale: 93,05 and 1.496, never 93.05 or 1,496
    figures = " ".join(detail)
    assert re.search(r"\b\d{1,3},\d\d\b", figures)
    assert not re.search(r"\b\d{1,3}\.\d\d\b", figures), re.search(r"\b\d{1,3}\.\d\d\b", figures)
    assert not re.search(r"\b\d{1,3},\d{3}\b", figures), re.search(r"\b\d{1,3},\d{3}\b", figures)
    # the unit columns repeat on every page of the detail sheet, which is not squeezed onto one page
    assert len(detail) >= 2 and all("Tên đơn vị" in text for text in detail)
    # an indicator's columns are never split between two bands of pages: each page holds whole groups
    for text in detail:
        parts = [text.count(name) for name in ("Tử số", "Mẫu số", "Tỷ lệ (%)")]
        assert len(set(parts)) == 1 and text.count("Đánh giá") >= parts[0], parts
    assert any("Biểu đồ" in p.extract_text() for p in behind)
    # every bar of every chart is named (LibreOffice named one bar in forty when 160 were crowded in)
    from collections import Counter

    from xlkpi.report.appendix import chart_bars, detail_layout

    charts = " ".join(p.extract_text() for p in behind if p.extract_text().split("\n", 1)[0].endswith("Biểu đồ"))
    layout = detail_layout(result.consolidation)
    expected: Counter = Counter()
    for columns in layout.columns:
        if columns.indicator.measure.kind == "rate":
            expected.update(b.label for b in chart_bars(result.consolidation, layout, columns)[0])
    assert expected
    for label, times in expected.items():
        assert len(re.findall(rf"(?<!\w){re.escape(label)}(?!\w)", charts)) >= times, label


def test_no_chart_is_cut_by_a_page_break(round_):
    """Every chart lies between two page breaks of the charts sheet (the text of a PDF cannot tell:
    LibreOffice writes a chart's text on the page before it too, clipped; the pages were looked at)."""
    import zipfile

    campaign, _, _ = round_
    result = consolidate(campaign)
    with zipfile.ZipFile(result.path) as archive:
        sheet = archive.read("xl/worksheets/sheet4.xml").decode()
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', sheet)]
    anchors = re.findall(r"<xdr:from><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>.*?"
                         r"<xdr:to><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>",
                         drawing, re.S)
    assert len(anchors) >= 2 and breaks
    for first, last in anchors:
        assert not any(int(first) < b <= int(last) for b in breaks), (first, last, breaks)
    # two charts a page at most: a page of the printed sheet is about 40 rows at 80 %
    edges = [0, *breaks, 10**6]
    for top, bottom in zip(edges, edges[1:]):
        assert sum(1 for first, _ in anchors if top <= int(first) < bottom) <= 2


@pytest.mark.parametrize("plan_id, level", [("cam-hiep-2025", "trung-tam"), ("phu-tho-2025", "so"),
                                            ("lai-chau-2025", "xa")])
def test_no_indicator_block_is_split_across_pages(soffice, tmp_path, plan_id, level):
    """The data-entry form printed by LibreOffice: each indicator's row — its name and what to enter — on one
    page, never cut by a page break."""
    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.common.office import convert
    from xlkpi.forms import layout as F
    from xlkpi.forms.entry_workbook import input_label
    from xlkpi.forms.generate import generate

    roster = tmp_path / "r.csv"
    roster.write_text(f"code,name,level\nu1,Đơn vị thử,{level}\n", encoding="utf-8")
    init_campaign(tmp_path / "c", plan=plan_id, period="2025-Q3", roster=roster)
    campaign = open_campaign(tmp_path / "c")
    path = generate(campaign, jobs=1).files[0].path
    pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(convert(path, "pdf", tmp_path)).pages]
    for block in F.layout(campaign.plan, level, 2025).blocks:
        labels = [" ".join(label.split()) for label in input_label(block)]
        assert any(all(label in text for label in labels) for text in pages), (block.indicator.id, labels)


# -- nothing clipped: every word of every visible cell is on the printed pages ----------------------------------
#
# LibreOffice leaves out of the PDF the lines of a cell's text that fall outside the cell (checked by hand:
# a 40-word cell one line tall prints its first line only), so a word missing from the pages is a word the
# reader cannot see.

_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


def visible_words(path: Path, sheets: list[str] | None = None) -> dict[str, set[str]]:
    """sheet -> the words of its cells as written (values, not formulas), visible sheets and columns only."""
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    found: dict[str, set[str]] = {}
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible" or (sheets is not None and sheet.title not in sheets):
            continue
        words = found.setdefault(sheet.title, set())
        hidden = {letter for letter, dimension in sheet.column_dimensions.items() if dimension.hidden}
        for dimension in sheet.column_dimensions.values():  # a hidden range names its first column only
            if dimension.hidden and dimension.min and dimension.max:
                hidden.update(openpyxl.utils.get_column_letter(c) for c in range(dimension.min, dimension.max + 1))
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.column_letter not in hidden:
                    words.update(_WORD.findall(cell.value))
    return found


def printed_words(reader: pypdf.PdfReader) -> set[str]:
    return set(_WORD.findall(" ".join(page.extract_text() for page in reader.pages)))


def assert_nothing_clipped(path: Path, reader: pypdf.PdfReader, sheets: list[str] | None = None) -> None:
    printed = printed_words(reader)
    for sheet, words in visible_words(path, sheets).items():
        missing = sorted(words - printed)
        assert not missing, f"{path.name} › {sheet}: {len(missing)} words not printed, e.g. {missing[:10]}"


@pytest.mark.parametrize("plan_id, level", [("cam-hiep-2025", "trung-tam"), ("phu-tho-2025", "so"),
                                            ("lai-chau-2025", "xa"), ("tam-duong-2025", "xa")])
def test_the_form_prints_every_word(soffice, tmp_path, plan_id, level):
    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.common.office import convert
    from xlkpi.forms.generate import generate

    roster = tmp_path / "r.csv"
    roster.write_text(f"code,name,level\nu1,Đơn vị thử nghiệm có tên khá dài,{level}\n", encoding="utf-8")
    init_campaign(tmp_path / "c", plan=plan_id, period="2025-Q3", roster=roster)
    path = generate(open_campaign(tmp_path / "c"), jobs=1).files[0].path
    assert_nothing_clipped(path, pypdf.PdfReader(convert(path, "pdf", tmp_path)))


@pytest.mark.parametrize("plan_id, level", [("phu-tho-2025", "so")])  # rates and yes/no answers
def test_the_longest_explanation_and_evidence_allowed_print_in_full(uno_python, tmp_path, plan_id, level):
    """A clerk's explanation of 1,000 characters (the limit) and evidence of 500, typed into a blank form in
    LibreOffice, show in full on the printed page: the row grows as the clerk types (its height is not fixed),
    for a rate and for a yes/no answer."""
    import random

    from tests.test_collect_libreoffice import fill_in_libreoffice
    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.forms import layout as F
    from xlkpi.forms.generate import generate

    roster = tmp_path / "r.csv"
    roster.write_text(f"code,name,level\nu1,Đơn vị thử,{level}\n", encoding="utf-8")
    init_campaign(tmp_path / "c", plan=plan_id, period="2025-Q3", roster=roster)
    campaign = open_campaign(tmp_path / "c")
    path = generate(campaign, jobs=1).files[0].path
    blocks = F.layout(campaign.plan, level, 2025).blocks
    chosen = [next(b for b in blocks if b.indicator.measure.kind == kind) for kind in ("rate", "yesno")]
    rng = random.Random(7)
    vocabulary = ("hồ sơ", "trực tuyến", "thanh toán", "số hóa", "cán bộ", "đường truyền", "chậm", "khắc phục",
                  "phần mềm", "người dân", "tập huấn", "kết nối", "cổng dịch vụ", "bộ phận một cửa")

    def text(limit: int, tag: str) -> str:
        words = [f"{tag}{n:03d}" for n in range(limit // 20)]
        out = []
        for word in words:
            out.append(word)
            out.extend(rng.sample(vocabulary, 3))
        return " ".join(out)[:limit].rsplit(" ", 1)[0]

    values: dict[str, object] = {}
    for n, block in enumerate(chosen):
        values[F.cell_name(*block.inputs[F.EXPLANATION])] = text(F.EXPLANATION_LIMIT, f"gt{n}x")
        values[F.cell_name(*block.inputs[F.EVIDENCE])] = text(F.EVIDENCE_LIMIT, f"vb{n}x")
    assert all(len(v) > limit - 30 for v, limit in zip(values.values(), (1000, 500, 1000, 500)))
    fill_in_libreoffice(uno_python, path, values, tmp_path / "pdf", "pdf")
    printed = printed_words(pypdf.PdfReader(tmp_path / "pdf" / f"{path.stem}.pdf"))
    for cell, value in values.items():
        tags = {w for w in _WORD.findall(str(value)) if w[:2] in ("gt", "vb")}
        assert tags <= printed, f"{cell}: {len(tags - printed)} of {len(tags)} numbered words not printed"


def test_the_appendix_the_report_and_the_feedback_copy_print_every_word(round_, uno_python, tmp_path):
    from xlkpi.common.office import convert

    campaign, _, _ = round_
    result = consolidate(campaign, pdf=True)
    assert_nothing_clipped(result.path, pypdf.PdfReader(result.pdf), ["Phụ lục"])
    report = campaign.reports / f"thu-nhan-{campaign.config.period.lower()}.xlsx"
    assert_nothing_clipped(report, pypdf.PdfReader(convert(report, "pdf", tmp_path / "report")))
    copies = sorted((campaign.reports / "phan-hoi").glob("*.xlsx"))
    assert copies
    for copy in copies:
        printed = pypdf.PdfReader(convert(copy, "pdf", tmp_path / copy.stem))
        assert_nothing_clipped(copy, printed)
        # what to fix comes first on paper, then the form with its banner and at least two indicators
        texts = [page.extract_text() for page in printed.pages]
        assert "PHẢN HỒI KẾT QUẢ KIỂM TRA TỆP BÁO CÁO" in texts[0] and "PHIẾU BÁO CÁO" not in texts[0]
        form = next(n for n, text in enumerate(texts) if "PHIẾU BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text)
        assert all("PHẢN HỒI KẾT QUẢ KIỂM TRA" not in text for text in texts[form:])
        assert "TỆP PHẢN HỒI" in texts[form] and texts[form].count("Tử số (a):") >= 2


# -- every built-in plan, every workbook, both locales ----------------------------------------------------------


@pytest.fixture(scope="module", params=["lai-chau-2025", "tam-duong-2025", "cam-hiep-2025", "phu-tho-2025"])
def plan_round(request, tmp_path_factory):
    """A small round of a built-in plan: two units of each reporting level return, one of them with a numerator
    above its denominator (rejected: a feedback copy), collected and consolidated."""
    import random

    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.collect.checks import CampaignView
    from xlkpi.collect.run import collect
    from xlkpi.forms import layout as F
    from xlkpi.forms.generate import generate
    from xlkpi.forms.simulate import fill_workbook, plausible_values
    from xlkpi.plan.builtin import resolve_plan
    from xlkpi.plan.model import load_plan

    plan = load_plan(resolve_plan(request.param))
    folder = tmp_path_factory.mktemp(request.param)
    roster = folder / "r.csv"
    rows = [f"{level[:2]}{n},\"Đơn vị {plan.level(level).name} số {n}\",{level}"
            for level in plan.reporting_levels for n in (1, 2)]
    roster.write_text("code,name,level\n" + "\n".join(rows) + "\n", encoding="utf-8")
    init_campaign(folder / "c", plan=request.param, period=f"{plan.years[0]}-Q3", roster=roster,
                  deadline=f"20/10/{plan.years[0]}")
    campaign = open_campaign(folder / "c")
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    rejected = False
    for generated in generate(campaign, jobs=1).files:
        layout, _ = view.layout(generated.unit)
        values = plausible_values(layout, random.Random(generated.unit.code))
        rate = next((b for b in layout.blocks if b.indicator.measure.kind == "rate"), None)
        if rate is not None and not rejected:
            values[F.cell_name(*rate.inputs[F.NUMERATOR])] = 500
            values[F.cell_name(*rate.inputs[F.DENOMINATOR])] = 100
            rejected = True
        (campaign.inbox / generated.path.name).write_bytes(fill_workbook(generated.path.read_bytes(), values))
    collect(campaign, jobs=1)
    return campaign, consolidate(campaign)


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_workbook_of_every_plan_prints_every_word(plan_round, uno_python, tmp_path, locale):
    campaign, result = plan_round
    lang = LOCALES[locale]
    appendix = print_with_libreoffice(uno_python, result.path, tmp_path / "appendix", lang)
    assert_nothing_clipped(result.path, appendix)
    pages = appendix_pages(appendix)
    assert all(p.split("\n", 1)[0].strip() == str(n) for n, p in enumerate(pages[1:], start=2))
    # body text at least 10 points tall as printed, whatever the number of the plan's columns (Lai Châu's 14
    # printed at 55 %: 6.6 points)
    for page in appendix.pages[:len(pages)]:
        assert statistics.median(type_sizes(page)) >= 10.0
    for rolled in result.consolidation.totals.values():
        if rolled.value is not None and rolled.indicator.measure.kind in ("rate", "percent"):
            assert f"{rolled.value:.2f}".replace(".", ",") in "\n".join(pages)
    report = campaign.reports / f"thu-nhan-{campaign.config.period.lower()}.xlsx"
    written = [report, *sorted((campaign.reports / "phan-hoi").glob("*.xlsx")), *sorted(campaign.outbox.glob("*.xlsx"))[:2]]
    assert len(written) >= 3, "a collection report, a feedback copy and forms"
    for path in written:
        assert_nothing_clipped(path, print_with_libreoffice(uno_python, path, tmp_path / path.stem, lang))


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_a_long_result_text_prints_whole_in_the_appendix(uno_python, tmp_path, locale):
    """Phú Thọ's result column is narrow: "1/1 đơn vị đạt (2 không phát sinh)" wraps to several lines, and the
    row is as tall as that (it was one line tall: only "(2 không phát" showed); in the detail sheet a rate that
    did not arise ("Không phát sinh") and in the progress sheet a level ("Sở, ban, ngành") fit their rows."""
    import random

    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.collect.run import collect
    from xlkpi.forms import layout as F
    from xlkpi.forms.generate import generate
    from xlkpi.forms.simulate import fill_workbook, plausible_values

    roster = tmp_path / "r.csv"
    roster.write_text("code,name,level\nS1,Sở Tư pháp,so\nS2,Sở Y tế,so\nS3,Sở Xây dựng,so\n", encoding="utf-8")
    init_campaign(tmp_path / "c", plan="phu-tho-2025", period="2025-Q3", roster=roster)
    campaign = open_campaign(tmp_path / "c")
    layout = F.layout(campaign.plan, "so", 2025)
    # the rate with the shortest name (2.3 "Tỷ lệ xử lý phản ánh, kiến nghị đúng hạn."): its name sets no height
    rate = min((b for b in layout.blocks if b.indicator.measure.kind == "rate"), key=lambda b: len(b.indicator.name))
    for n, generated in enumerate(generate(campaign, jobs=1).files):
        values = plausible_values(layout, random.Random(n))
        if n < 2:  # nothing arose at two departments
            values[F.cell_name(*rate.inputs[F.NUMERATOR])] = values[F.cell_name(*rate.inputs[F.DENOMINATOR])] = 0
        (campaign.inbox / generated.path.name).write_bytes(fill_workbook(generated.path.read_bytes(), values))
    collect(campaign, jobs=1)
    result = consolidate(campaign)
    rolled = result.consolidation.totals[rate.indicator.id]
    assert "(2 không phát sinh)" in rolled.units_met
    assert short_rows(uno_python, result.path, [APPENDIX, DETAIL, PROGRESS], tmp_path, LOCALES[locale]) == []


def test_no_row_of_any_report_is_shorter_than_its_text(plan_round, uno_python, tmp_path):
    """Every built-in plan's appendix, detail and progress sheets: LibreOffice needs no row taller than it is."""
    campaign, result = plan_round
    assert short_rows(uno_python, result.path, [APPENDIX, DETAIL, PROGRESS], tmp_path) == []


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_the_collection_report_prints_for_the_officer_who_follows_up(round_, uno_python, tmp_path, locale):
    """When the figures stand, every page titled and numbered, the units who must act first, no codes in
    English where a clerk reads."""
    from xlkpi.problems import CATALOGUE

    campaign, _, _ = round_
    report = campaign.reports / f"thu-nhan-{campaign.config.period.lower()}.xlsx"
    reader = print_with_libreoffice(uno_python, report, tmp_path, LOCALES[locale])
    pages = [page.extract_text() for page in reader.pages]
    assert "Số liệu tính đến " in pages[0]
    for number, text in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in text, number
        assert "Tiếp nhận báo cáo — " in text and campaign.plan.title[:30] in " ".join(text.split())
        codes = [code for code in CATALOGUE if re.search(rf"(?<![\w/-]){re.escape(code)}(?![\w-])", text)]
        assert not codes, codes
    assert "Bị từ chối" in " ".join(pages)  # a rejected file, in the words the web page uses too
    import openpyxl

    units = openpyxl.load_workbook(report)["Đơn vị"]
    states = [units.cell(row, 5).value for row in range(2, units.max_row + 1)]
    order = ["Phải nộp lại", "Chưa nộp", "Nộp muộn", "Đã nộp"]
    assert states == sorted(states, key=order.index) and states[0] == "Phải nộp lại"
