"""Generated workbooks in real LibreOffice: they open, print as expected, and keep their identity."""

from __future__ import annotations

import openpyxl
import pypdf
import pytest

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.forms.generate import generate
from xlkpi.forms.identity import FIELDS
from xlkpi.common.office import convert
from tests.test_rendering import print_with_libreoffice, type_sizes

# plan, a roster (code, name, level), and the pages LibreOffice prints of the form (one row per indicator),
# then of the guide (one page): Lai Châu's commune form, 8 indicators, on 2 pages; Phú Thọ's department form,
# 15 indicators, on 4.
CASES = {
    "lai-chau-2025": ([("03388", "Phường Đoàn Kết", "xa")], 2 + 1),
    "tam-duong-2025": ([("T1", "Xã Bình Lư", "xa")], 2 + 1),
    "cam-hiep-2025": ([("TT", "Trung tâm Phục vụ hành chính công", "trung-tam")], 3 + 1),
    "phu-tho-2025": ([("S1", "Sở Tư pháp", "so")], 4 + 1),
}


@pytest.mark.parametrize("locale", ["en_US.UTF-8", "vi_VN.UTF-8"])
@pytest.mark.parametrize("plan_id", sorted(CASES))
def test_prints_landscape_a4_on_the_expected_pages(plan_id, locale, uno_python, tmp_path):
    units, pages = CASES[plan_id]
    roster = tmp_path / "dv.csv"
    roster.write_text("code,name,level\n" + "".join(f"{c},{n},{lv}\n" for c, n, lv in units), encoding="utf-8")
    init_campaign(tmp_path / "c", plan=plan_id, period="2025-Q3", roster=roster, deadline="20/10/2025")
    result = generate(open_campaign(tmp_path / "c"), jobs=1)
    pdf = print_with_libreoffice(uno_python, result.files[0].path, tmp_path / "pdf", locale)
    assert len(pdf.pages) == pages
    for page in pdf.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    text = pdf.pages[0].extract_text()
    assert "PHIẾU BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text
    assert units[0][1] in text
    assert "HƯỚNG DẪN NHẬP LIỆU" in pdf.pages[-1].extract_text()
    assert all("HƯỚNG DẪN NHẬP LIỆU" not in page.extract_text() for page in pdf.pages[:-1])
    # body text of 9-point type as printed (about 10 points tall), on every page of the form
    import statistics

    for page in pdf.pages[:-1]:
        assert statistics.median(type_sizes(page)) >= 8.9


def test_identity_survives_a_libreoffice_save(soffice, tmp_path):
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau")
    campaign = open_campaign(tmp_path / "c")
    original = generate(campaign, units=["03388"], jobs=1).files[0].path
    saved = convert(original, "xlsx:Calc MS Excel 2007 XML", tmp_path / "saved")
    workbook = openpyxl.load_workbook(saved)
    properties = {p.name: p.value for p in workbook.custom_doc_props.props}
    hidden = workbook["xlkpi"]
    for row, name in enumerate(FIELDS, start=1):
        assert hidden.cell(row, 1).value == name
        value = hidden.cell(row, 2).value
        assert properties[f"xlkpi.{name}"] == value
        assert workbook.defined_names[f"xlkpi_{name}"].attr_text.strip('="') == value
    assert hidden.cell(5, 2).value == "03388"
    assert hidden.sheet_state in ("hidden", "veryHidden")  # LibreOffice turns very hidden into hidden
    assert workbook["Nhập liệu"].protection.sheet
