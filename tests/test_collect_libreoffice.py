"""Round trip through real LibreOffice: workbooks filled in Calc and saved as xlsx, ods and xls are
collected with exactly the values typed and consolidated, the appendix printed to PDF through
LibreOffice; LibreOffice's password protection is recognised."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from xlkpi.campaign.folder import init_campaign, open_campaign
import pypdf

from xlkpi.collect.run import collect
from xlkpi.report.consolidate import consolidate
from xlkpi.forms.generate import generate

HELPER = Path(__file__).parent / "libreoffice_fill.py"
ON_TIME = datetime(2025, 10, 10, 9).timestamp()

# what each unit types: numerator/denominator pairs for the eight commune indicators (rows 10–25),
# explanations where the target is missed, one evidence; every figure different, so a misread shows
TYPED = {
    "03388": {"F11": 81, "G11": 100, "F12": 55, "G12": 55, "F13": 17, "G13": 30, "F14": 61, "G14": 100,
              "F15": 4, "G15": 4, "F16": 93, "G16": 100, "F17": 0, "G17": 0, "F18": 210, "G18": 210,
              "K11": "Báo cáo số 12/BC-UBND ngày 14/9/2025"},
    "03390": {"F11": 400, "G11": 410, "F12": 71, "G12": 80, "J12": "Một số hồ sơ trả kết quả giấy theo yêu cầu.",
              "F13": 9, "G13": 10, "F14": 33, "G14": 50, "F15": 0, "G15": 0, "F16": 12, "G16": 12,
              "F17": 120, "G17": 130, "F18": 99, "G18": 100, "J18": "Lỗi đồng bộ ngày 3/9, đã khắc phục."},
    "03394": {"F11": 1200, "G11": 1250, "F12": 300, "G12": 300, "F13": 150, "G13": 250, "F14": 70, "G14": 70,
              "F15": 6, "G15": 6, "F16": 45, "G16": 46, "F17": 800, "G17": 1000, "F18": 1000, "G18": 1000},
}
FORMATS = {"03388": "xlsx", "03390": "ods", "03394": "xls"}


def fill_in_libreoffice(python: str, source: Path, values: dict, out: Path, formats: str, password: str | None = None,
                        lang: str | None = None):
    """Type ``values`` into ``source`` in LibreOffice (under the locale ``lang`` when given), recalculate, and
    save it in each of ``formats`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    values_file = out / f"{source.stem}.json"
    values_file.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    command = [python, str(HELPER), str(source), str(values_file), str(out), formats] + ([password] if password else [])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LC_ALL", "LANGUAGE")}
    if lang:
        env.update({"LANG": lang, "LC_ALL": lang})
    subprocess.run(command, check=True, timeout=240, env=env)
    values_file.unlink()


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lo") / "c"
    init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025")
    campaign = open_campaign(folder)
    generate(campaign, units=list(TYPED) + ["03405"], jobs=1)
    return campaign


def workbook_of(campaign, code):
    return next(campaign.outbox.glob(f"{code}_*.xlsx"))


def test_values_typed_in_libreoffice_come_back_exactly_in_every_format(campaign, uno_python):
    for code, values in TYPED.items():
        fill_in_libreoffice(uno_python, workbook_of(campaign, code), values, campaign.inbox / code, FORMATS[code])
    # a unit that types numerator > denominator: LibreOffice's API, like paste, skips data validation
    fill_in_libreoffice(uno_python, workbook_of(campaign, "03405"), {**TYPED["03388"], "F11": 150}, campaign.inbox / "03405", "xlsx")
    for path in campaign.inbox.rglob("*.*"):
        os.utime(path, (ON_TIME, ON_TIME))
    result = collect(campaign, jobs=1)
    by_unit = {o.unit: o for o in result.outcomes}
    for code, values in TYPED.items():
        got = by_unit[code]
        assert got.verdict == "accepted", (code, FORMATS[code], got.problems)
        assert got.format == FORMATS[code]
        typed = {cell: value for cell, value in values.items() if cell[0] in "FG"}
        read = {}
        rows = {v[0]: v for v in got.values}
        for index, indicator in enumerate(["so-hoa", "ket-qua-dien-tu", "tai-su-dung-du-lieu", "thanh-toan-truc-tuyen",
                                           "pakn-dung-han", "hai-long", "ho-so-truc-tuyen", "dong-bo-dvcqg"]):
            read[f"F{11 + index}"] = rows[indicator][1]
            read[f"G{11 + index}"] = rows[indicator][2]
        assert read == typed
        for cell, text in values.items():
            if cell.startswith("J"):
                row = int(cell[1:])
                indicator = ["so-hoa", "ket-qua-dien-tu", "tai-su-dung-du-lieu", "thanh-toan-truc-tuyen",
                             "pakn-dung-han", "hai-long", "ho-so-truc-tuyen", "dong-bo-dvcqg"][row - 11]
                assert rows[indicator][5] == text
    assert {v[0]: v[7] for v in by_unit["03388"].values}["ho-so-truc-tuyen"] == "not-arisen"
    bad = by_unit["03405"]
    assert bad.verdict == "rejected"
    assert [(p.code, p.cell) for p in bad.problems] == [("numerator-exceeds-denominator", "F11")]

    # and on to the appendix, printed through LibreOffice: the three units' sums, landscape pages
    result = consolidate(campaign, pdf=True)
    so_hoa = result.consolidation.totals["so-hoa"]
    assert (so_hoa.numerator, so_hoa.denominator) == (81 + 400 + 1200, 100 + 410 + 1250)
    pdf = pypdf.PdfReader(result.pdf)
    assert 2 <= len(pdf.pages) <= 6 and all(float(p.mediabox.width) > float(p.mediabox.height) for p in pdf.pages)
    assert "Phụ lục" in pdf.pages[0].extract_text()


def test_password_protected_files_from_libreoffice(campaign, uno_python, tmp_path):
    out = tmp_path / "pw"
    fill_in_libreoffice(uno_python, workbook_of(campaign, "03388"), TYPED["03388"], out, "ods,xls", "mat-khau")
    for fmt in ("ods", "xls"):
        target = campaign.inbox / "matkhau" / f"03388.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((out / f"{workbook_of(campaign, '03388').stem}.{fmt}").read_bytes())
    result = collect(campaign, jobs=1)
    for fmt in ("ods", "xls"):
        got = next(o for o in result.outcomes if o.path.endswith(f"matkhau/03388.{fmt}"))
        assert [p.code for p in got.problems] == ["file-encrypted"]


def test_the_form_never_judges_figures_that_cannot_be_right(campaign, uno_python, tmp_path):
    """Typed in LibreOffice and recalculated by it: (a) above (b) shows "Số liệu sai", not 112,64% and a green
    "Đạt"; a negative count likewise; right figures give the rate and its judgement."""
    values = {"F11": 150, "G11": 100, "F12": -5, "G12": 10, "F13": 45, "G13": 50}
    fill_in_libreoffice(uno_python, workbook_of(campaign, "03388"), values, tmp_path, "xlsx")
    sheet = openpyxl.load_workbook(next(tmp_path.glob("*.xlsx")), data_only=True)["Nhập liệu"]
    assert sheet["H11"].value == "Số liệu sai: (a) lớn hơn (b)" and sheet["I11"].value in (None, "")
    assert sheet["H12"].value == "Số liệu sai: nhập số nguyên ≥ 0" and sheet["I12"].value in (None, "")
    assert sheet["H13"].value == pytest.approx(0.9) and sheet["I13"].value == "Đạt"
