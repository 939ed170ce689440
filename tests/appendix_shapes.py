"""Appendix tables as other offices publish them — a commune's, a ward's, a district's, a province's, a
department's, a board's and a service centre's — written by the tests as Word and as Excel documents, each
with the plan ``xlkpi plan import`` must read from it.

Each shape keeps the published document's header (its words, groups and where the year is printed), its
agency and target phrasings and its letterhead; the rows are abridged to a few indicators. ``source`` says
where the shape was seen: the public page (the pages of the search corpus), or the trial reported in issue 21
when the document itself is not among them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Row:
    number: str
    name: str
    cells: dict[str, str]  # header -> text of the other columns
    #: expected: targets by year as printed, the rule each implies ("> 50", None: judged by a person), levels
    targets: dict[int, str]
    rules: dict[int, str | None]
    levels: tuple[str, ...]
    unit: str | None = None
    #: expected numerator and denominator when the appendix explains the rate (None: not checked)
    measure: tuple[str, str] | None = None


@dataclass(frozen=True)
class Shape:
    key: str
    source: str
    letterhead: tuple[str, ...]  # the lines at the top, the issuer's first
    front: tuple[str, ...]       # the "Phụ lục" heading, title lines, "(Kèm theo …)"
    header: tuple[tuple[str, ...], ...]  # one or two rows; a group's text repeated over its columns
    rows: tuple[Row, ...]
    issuer: str
    place: str
    plan_id: str
    years: tuple[int, ...]
    #: warnings the import must give (codes), and the levels of the plan
    warnings: frozenset[str] = frozenset()
    signer_title: str = "CHỦ TỊCH"
    year_option: int | None = None
    #: the header's merges (row0, col0, row1, col1), 0-based in the header
    merges: tuple[tuple[int, int, int, int], ...] = ()
    #: a letterhead printed as a two-cell table (Word) beside the national motto
    letterhead_table: bool = False
    sections: tuple[tuple[int, str], ...] = field(default=())  # (before row index, "I. Title")
    #: a body cell merged down rows (first row, last row, column), 0-based among the rows: one agency for
    #: several indicators
    body_merges: tuple[tuple[int, int, int], ...] = ()

    @property
    def width(self) -> int:
        return len(self.header[-1])

    def cells(self, row: Row) -> list[str]:
        texts = []
        for col, title in enumerate(self.header[-1]):
            if col == 0:
                texts.append(row.number)
            elif _is_name(title):
                texts.append(row.name)
            else:
                texts.append(row.cells.get(title, ""))
        return texts


def _is_name(title: str) -> bool:
    return title in ("Tên chỉ tiêu", "Chỉ tiêu", "Nội dung", "Nội dung chỉ tiêu", "Tên chỉ số")


MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

SHAPES: tuple[Shape, ...] = (
    Shape(
        key="xa-thuc-hien-trong-nam",
        source="UBND xã Long Phụng (Quảng Ngãi), Kế hoạch cải cách hành chính năm 2025, "
               "https://longphung.quangngai.gov.vn/tin-tuc/ke-hoach-cai-cach-hanh-chinh-nam-2025.html — the year "
               "in a group \"Thực hiện trong năm 2025\" over \"Đơn vị tính | Giao chỉ tiêu\"",
        letterhead=("ỦY BAN NHÂN DÂN", "XÃ LONG PHỤNG", *MOTTO, "Long Phụng, ngày 18 tháng 7 năm 2025"),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH HÀNH CHÍNH NĂM 2025 TRÊN ĐỊA BÀN XÃ",
               "(Kèm theo Quyết định số 119/QĐ-UBND ngày 18/7/2025 của UBND xã Long Phụng)"),
        header=(("STT", "Nội dung chỉ tiêu", "Thực hiện trong năm 2025", "Thực hiện trong năm 2025",
                 "Cơ quan, đơn vị chủ trì", "Ghi chú"),
                ("STT", "Nội dung chỉ tiêu", "Đơn vị tính", "Giao chỉ tiêu", "Cơ quan, đơn vị chủ trì", "Ghi chú")),
        merges=((0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 1, 4), (0, 5, 1, 5)),
        rows=(
            Row("1", "Tỷ lệ hồ sơ giải quyết đúng hạn", {"Đơn vị tính": "%", "Giao chỉ tiêu": "Trên 98%",
                "Cơ quan, đơn vị chủ trì": "Văn phòng HĐND và UBND xã"},
                {2025: "Trên 98%"}, {2025: "> 98"}, ("van-phong",), unit="%"),
            Row("2", "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC", {"Đơn vị tính": "%", "Giao chỉ tiêu": "Đạt từ 80% trở lên",
                "Cơ quan, đơn vị chủ trì": "Bộ phận Một cửa; Công chức Tư pháp - Hộ tịch"},
                {2025: "Đạt từ 80% trở lên"}, {2025: ">= 80"}, ("mot-cua",), unit="%"),
            Row("3", "Mức độ hài lòng", {"Đơn vị tính": "%", "Giao chỉ tiêu": "Không dưới 90%",
                "Cơ quan, đơn vị chủ trì": "Văn phòng HĐND và UBND xã"},
                {2025: "Không dưới 90%"}, {2025: ">= 90"}, ("van-phong",), unit="%"),
        ),
        issuer="ỦY BAN NHÂN DÂN XÃ LONG PHỤNG", place="Long Phụng", plan_id="long-phung-2025", years=(2025,),
        warnings=frozenset({"import-agency-part-unknown"}),
    ),
    Shape(
        key="tinh-nam-tren-chi-tieu-giao",
        source="a province's 2026 plan, header \"Năm 2026\" over \"Chỉ tiêu giao\" (issue 21's trial; shape as "
               "the Phú Thọ plan 617/KH-UBND prints its letterhead: https://thuvienphapluat.vn/bulletin/document.aspx"
               "?bid=4e1faab5-9260-4c3f-9ce0-10eecc734fd7)",
        letterhead=("ỦY BAN NHÂN DÂN", "TỈNH PHÚ THỌ", *MOTTO, "Phú Thọ, ngày 13 tháng 01 năm 2026"),
        front=("Phụ lục", "CÁC CHỈ TIÊU CẢI CÁCH THỦ TỤC HÀNH CHÍNH TRỌNG TÂM",
               "(Kèm theo Kế hoạch số 61/KH-UBND ngày 13/01/2026 của UBND tỉnh Phú Thọ)"),
        header=(("TT", "Chỉ tiêu", "Năm 2026", "Cơ quan thực hiện"),
                ("TT", "Chỉ tiêu", "Chỉ tiêu giao", "Cơ quan thực hiện")),
        merges=((0, 0, 1, 0), (0, 1, 1, 1), (0, 3, 1, 3)),
        rows=(
            Row("1", "Tỷ lệ TTHC có phát sinh hồ sơ trực tuyến", {"Chỉ tiêu giao": "Tối thiểu 80%",
                "Cơ quan thực hiện": "13 sở, ban của tỉnh và UBND các xã, phường"},
                {2026: "Tối thiểu 80%"}, {2026: ">= 80"}, ("so", "xa")),
            Row("2", "Tỷ lệ TTHC có phát sinh giao dịch thanh toán trực tuyến", {"Chỉ tiêu giao": "Hơn 50%",
                "Cơ quan thực hiện": "13 sở, ban của tỉnh và UBND các xã, phường"},
                {2026: "Hơn 50%"}, {2026: "> 50"}, ("so", "xa")),
            Row("3", "Tỷ lệ cấp kết quả điện tử", {"Chỉ tiêu giao": "100%",
                "Cơ quan thực hiện": "Các sở, ban, ngành"},
                {2026: "100%"}, {2026: ">= 100"}, ("so",)),
        ),
        issuer="ỦY BAN NHÂN DÂN TỈNH PHÚ THỌ", place="Phú Thọ", plan_id="phu-tho-2026", years=(2026,),
        body_merges=((0, 1, 3),),
    ),
    Shape(
        key="huyen-muc-tieu-tren-cac-nam",
        source="a district's plan 2021–2025, \"Mục tiêu\" over \"Năm 2021 | Đến năm 2025\" (issue 21's trial); "
               "letterhead and agency texts as in Kế hoạch 4851/KH-UBND of Bình Dương, "
               "https://ls1.hethongphapluat.com/ke-hoach-4851-kh-ubnd-nam-2018-ve-trien-khai-xac-dinh-chi-so-cai-"
               "cach-hanh-chinh-cua-cac-so-ban-nganh-uy-ban-nhan-dan-cac-huyen-thi-xa-thanh-pho-va-uy-ban-nhan-dan-"
               "cac-xa-phuong-thi-tran-tren-dia-ban-tinh-binh-duong.html",
        letterhead=("ỦY BAN NHÂN DÂN", "HUYỆN BÀU BÀNG", *MOTTO, "Bàu Bàng, ngày 20 tháng 01 năm 2021"),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH HÀNH CHÍNH GIAI ĐOẠN 2021 - 2025",
               "(Kèm theo Kế hoạch số 12/KH-UBND ngày 20/01/2021 của UBND huyện Bàu Bàng)"),
        header=(("STT", "Tên chỉ tiêu", "Mục tiêu", "Mục tiêu", "Cơ quan chủ trì"),
                ("STT", "Tên chỉ tiêu", "Năm 2021", "Đến năm 2025", "Cơ quan chủ trì")),
        merges=((0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 1, 4)),
        rows=(
            Row("1", "Tỷ lệ dịch vụ công trực tuyến toàn trình", {"Năm 2021": "30%", "Đến năm 2025": "80%",
                "Cơ quan chủ trì": "Các cơ quan chuyên môn và UBND các xã, thị trấn"},
                {2021: "30%", 2025: "80%"}, {2021: ">= 30", 2025: ">= 80"}, ("co-quan", "xa")),
            Row("2", "Tỷ lệ hồ sơ trực tuyến, mỗi năm tăng tối thiểu 20%", {"Năm 2021": "Tối thiểu 20%",
                "Đến năm 2025": "Tối thiểu 50%", "Cơ quan chủ trì": "Các cơ quan chuyên môn và UBND các xã, thị trấn"},
                {2021: "Tối thiểu 20%", 2025: "Tối thiểu 50%"}, {2021: ">= 20", 2025: ">= 50"}, ("co-quan", "xa")),
        ),
        issuer="ỦY BAN NHÂN DÂN HUYỆN BÀU BÀNG", place="Bàu Bàng", plan_id="bau-bang-2021", years=(2021, 2025),
    ),
    Shape(
        key="chi-tieu-cu-the-nam-o-ten",
        source="a plan whose one target column \"Chỉ tiêu cụ thể\" names no year, the title does "
               "(\"… NĂM 2025\") (issue 21's trial); letterhead as UBND tỉnh Phú Thọ's",
        letterhead=("ỦY BAN NHÂN DÂN", "TỈNH PHÚ THỌ", *MOTTO, "Phú Thọ, ngày 13 tháng 02 năm 2025"),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH THỦ TỤC HÀNH CHÍNH, HIỆN ĐẠI HÓA PHƯƠNG THỨC CHỈ ĐẠO NĂM 2025",
               "(Kèm theo Kế hoạch số 617/KH-UBND ngày 13/02/2025 của UBND tỉnh Phú Thọ)"),
        header=(("STT", "Nội dung", "Chỉ tiêu cụ thể", "Đơn vị thực hiện"),),
        rows=(
            Row("1", "Tỷ lệ thanh toán trực tuyến", {"Chỉ tiêu cụ thể": "Tối thiểu 45%",
                "Đơn vị thực hiện": "Các Sở, ban, ngành; UBND cấp huyện; UBND cấp xã"},
                {2025: "Tối thiểu 45%"}, {2025: ">= 45"}, ("so", "huyen", "xa")),
            Row("2", "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC", {"Chỉ tiêu cụ thể": "100% (trừ hồ sơ mật)",
                "Đơn vị thực hiện": "UBND cấp xã/huyện"},
                {2025: "100% (trừ hồ sơ mật)"}, {2025: ">= 100"}, ("huyen", "xa")),
        ),
        issuer="ỦY BAN NHÂN DÂN TỈNH PHÚ THỌ", place="Phú Thọ", plan_id="phu-tho-2025", years=(2025,),
    ),
    Shape(
        key="so-phong-ban-truc-thuoc",
        source="a department's plan (Sở Nông nghiệp và Phát triển nông thôn, issue 21's trial); a department "
               "plan's shape as Sở Công Thương Điện Biên publishes its CCHC plan, http://socongthuong.dienbien.gov.vn"
               "/vi/news/savefile/Tin-Cai-cach-hanh-chinh/Ke-hoach-Cai-cach-hanh-chinh-nam-2022-325/",
        letterhead=("UBND TỈNH LẠNG SƠN", "SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", *MOTTO,
                    "Lạng Sơn, ngày 15 tháng 01 năm 2021"),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH HÀNH CHÍNH NĂM 2021",
               "(Kèm theo Kế hoạch số 09/KH-SNN ngày 15/01/2021 của Sở Nông nghiệp và Phát triển nông thôn)"),
        header=(("STT", "Chỉ tiêu", "Chỉ tiêu năm 2021", "Đơn vị thực hiện"),),
        letterhead_table=True,
        rows=(
            Row("1", "Tỷ lệ hồ sơ trực tuyến", {"Chỉ tiêu năm 2021": "Hơn 50%",
                "Đơn vị thực hiện": "Các phòng, ban, đơn vị trực thuộc Sở"},
                {2021: "Hơn 50%"}, {2021: "> 50"}, ("phong",)),
            Row("2", "Tỷ lệ thanh toán trực tuyến", {"Chỉ tiêu năm 2021": "Đạt từ 30% trở lên",
                "Đơn vị thực hiện": "Các phòng, ban, đơn vị trực thuộc Sở"},
                {2021: "Đạt từ 30% trở lên"}, {2021: ">= 30"}, ("phong",)),
            Row("3", "Giá trị sản xuất nông nghiệp ứng dụng công nghệ cao", {"Chỉ tiêu năm 2021": "Tối thiểu 5% GRDP",
                "Đơn vị thực hiện": "Các phòng, ban, đơn vị trực thuộc Sở"},
                {2021: "Tối thiểu 5% GRDP"}, {2021: None}, ("phong",)),
        ),
        issuer="SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", place="Lạng Sơn",
        plan_id="so-nnptnt-lang-son-2021", years=(2021,), signer_title="GIÁM ĐỐC",
        warnings=frozenset({"import-measure-guessed"}),
    ),
    Shape(
        key="trung-tam-ke-hoach-nam",
        source="a provincial public-service centre (Trung tâm Phục vụ hành chính công tỉnh Thanh Hóa, its working "
               "rules: https://hethongphapluat.vn/quyet-dinh-128-2025-qd-ubnd-ve-quy-che-hoat-dong-cua-trung-tam-"
               "phuc-vu-hanh-chinh-cong-tinh-thanh-hoa.html); header \"Kế hoạch năm 2026\"",
        letterhead=("VĂN PHÒNG UBND TỈNH THANH HÓA", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", *MOTTO,
                    "Thanh Hóa, ngày 05 tháng 01 năm 2026"),
        front=("PHỤ LỤC", "CHỈ TIÊU NHIỆM VỤ NĂM 2026",
               "(Kèm theo Kế hoạch số 02/KH-TTPVHCC ngày 05/01/2026 của Trung tâm Phục vụ hành chính công)"),
        header=(("STT", "Tên chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2026", "Bộ phận thực hiện"),),
        rows=(
            Row("1", "Tỷ lệ hồ sơ giải quyết đúng hạn", {"Đơn vị tính": "%", "Kế hoạch năm 2026": "≥ 98%",
                "Bộ phận thực hiện": "Các phòng thuộc Trung tâm"},
                {2026: "≥ 98%"}, {2026: ">= 98"}, ("phong",), unit="%"),
            Row("2", "Tỷ lệ hồ sơ quá hạn", {"Đơn vị tính": "%", "Kế hoạch năm 2026": "Dưới 2%",
                "Bộ phận thực hiện": "Các phòng thuộc Trung tâm"},
                {2026: "Dưới 2%"}, {2026: "< 2"}, ("phong",), unit="%",
                measure=("Số hồ sơ giải quyết quá hạn", "Tổng số hồ sơ đã giải quyết")),
        ),
        issuer="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", place="Thanh Hóa",
        plan_id="trung-tam-pvhcc-thanh-hoa-2026", years=(2026,), signer_title="GIÁM ĐỐC",
    ),
    Shape(
        key="giai-doan-tren-cac-nam",
        source="a province's 2026–2030 plan: \"Giai đoạn 2026–2030\" over \"Năm 2026 | Đến năm 2030\" (issue 21)",
        letterhead=("ỦY BAN NHÂN DÂN", "TỈNH LAI CHÂU", *MOTTO, "Lai Châu, ngày 10 tháng 12 năm 2025"),
        front=("Phụ lục", "CHỈ TIÊU CHUYỂN ĐỔI SỐ TRONG GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
               "(Kèm theo Kế hoạch số 5120/KH-UBND ngày 10/12/2025 của UBND tỉnh Lai Châu)"),
        header=(("STT", "Tên chỉ tiêu", "Giai đoạn 2026–2030", "Giai đoạn 2026–2030", "Cơ quan thực hiện"),
                ("STT", "Tên chỉ tiêu", "Năm 2026", "Đến năm 2030", "Cơ quan thực hiện")),
        merges=((0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 3), (0, 4, 1, 4)),
        rows=(
            Row("1", "Tỷ lệ cấp kết quả điện tử", {"Năm 2026": "100%", "Đến năm 2030": "100%",
                "Cơ quan thực hiện": "Các sở, ban, ngành; UBND các xã, phường"},
                {2026: "100%", 2030: "100%"}, {2026: ">= 100", 2030: ">= 100"}, ("so", "xa")),
            Row("2", "Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa", {"Năm 2026": "Tối thiểu 60%",
                "Đến năm 2030": "Tối thiểu 90%", "Cơ quan thực hiện": "Các sở, ban, ngành; UBND các xã, phường"},
                {2026: "Tối thiểu 60%", 2030: "Tối thiểu 90%"}, {2026: ">= 60", 2030: ">= 90"}, ("so", "xa")),
        ),
        issuer="ỦY BAN NHÂN DÂN TỈNH LAI CHÂU", place="Lai Châu", plan_id="lai-chau-2026", years=(2026, 2030),
    ),
    Shape(
        key="bo-chi-so-766-giai-thich",
        source="the 766/QĐ-TTg indicators as a province adopts them with a column explaining each "
               "(Quảng Nam, Quyết định 892/QĐ-UBND năm 2023: https://thuviennhadat.vn/vbpl/quyet-dinh-892-qd-ubnd-"
               "2023-bo-chi-so-chat-luong-phuc-vu-tren-moi-truong-dien-tu-quang-nam-565552.html)",
        letterhead=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NAM", *MOTTO, "Quảng Nam, ngày 28 tháng 4 năm 2023"),
        front=("PHỤ LỤC", "BỘ CHỈ SỐ CHỈ ĐẠO, ĐIỀU HÀNH VÀ ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NĂM 2023",
               "(Kèm theo Quyết định số 892/QĐ-UBND ngày 28/4/2023 của UBND tỉnh Quảng Nam)"),
        header=(("STT", "Tên chỉ số", "Giải thích chỉ tiêu", "Mục tiêu năm 2023", "Cơ quan thực hiện"),),
        rows=(
            Row("1", "Tỷ lệ TTHC có phát sinh hồ sơ trực tuyến", {"Giải thích chỉ tiêu":
                "Số TTHC có phát sinh hồ sơ trực tuyến/Tổng số TTHC có phát sinh hồ sơ",
                "Mục tiêu năm 2023": "Trên 50%", "Cơ quan thực hiện": "Các sở, ban, ngành; UBND cấp huyện"},
                {2023: "Trên 50%"}, {2023: "> 50"}, ("so", "huyen"),
                measure=("Số thủ tục hành chính có phát sinh hồ sơ trực tuyến",
                         "Tổng số thủ tục hành chính có phát sinh hồ sơ (được cung cấp dịch vụ công trực tuyến)")),
            Row("2", "Tỷ lệ hồ sơ được trả kết quả qua dịch vụ bưu chính công ích", {"Giải thích chỉ tiêu":
                "(b/a) trong đó a là tổng số hồ sơ đã giải quyết, b là số hồ sơ trả kết quả qua bưu chính công ích",
                "Mục tiêu năm 2023": "Tối thiểu 20%", "Cơ quan thực hiện": "Trung tâm Phục vụ hành chính công"},
                {2023: "Tối thiểu 20%"}, {2023: ">= 20"}, ("trung-tam",),
                measure=("Số hồ sơ trả kết quả qua bưu chính công ích", "Tổng số hồ sơ đã giải quyết")),
        ),
        issuer="ỦY BAN NHÂN DÂN TỈNH QUẢNG NAM", place="Quảng Nam", plan_id="quang-nam-2023", years=(2023,),
    ),
    Shape(
        key="xa-khong-cot-co-quan",
        source="a commune's plan with no agency column (the commune itself reports; issue 21)",
        letterhead=("ỦY BAN NHÂN DÂN", "XÃ BÌNH LƯ", *MOTTO, "Bình Lư, ngày 02 tháng 01 năm 2026"),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH THỦ TỤC HÀNH CHÍNH NĂM 2026",
               "(Kèm theo Kế hoạch số 01/KH-UBND ngày 02/01/2026 của UBND xã Bình Lư)"),
        header=(("STT", "Chỉ tiêu", "ĐVT", "Chỉ tiêu năm 2026"),),
        rows=(
            Row("1", "Tỷ lệ hồ sơ trực tuyến", {"ĐVT": "%", "Chỉ tiêu năm 2026": "≥ 60%"},
                {2026: "≥ 60%"}, {2026: ">= 60"}, ("xa",), unit="%"),
            Row("2", "Tỷ lệ xử lý phản ánh, kiến nghị đúng hạn", {"ĐVT": "%", "Chỉ tiêu năm 2026": "100%"},
                {2026: "100%"}, {2026: ">= 100"}, ("xa",), unit="%"),
        ),
        issuer="ỦY BAN NHÂN DÂN XÃ BÌNH LƯ", place="Bình Lư", plan_id="binh-lu-2026", years=(2026,),
        warnings=frozenset({"import-levels-no-column"}),
    ),
    Shape(
        key="phuong-den-nam",
        source="a ward's plan with one column \"Đến năm 2025\" and caps written as \"Không quá\" (issue 21)",
        letterhead=("ỦY BAN NHÂN DÂN", "PHƯỜNG ĐOÀN KẾT", *MOTTO, "Đoàn Kết, ngày 06 tháng 3 năm 2024"),
        front=("Phụ lục", "MỘT SỐ CHỈ TIÊU CẢI CÁCH HÀNH CHÍNH",
               "(Kèm theo Kế hoạch số 31/KH-UBND ngày 06/3/2024 của UBND phường Đoàn Kết)"),
        header=(("STT", "Tên chỉ tiêu", "Đến năm 2025", "Cơ quan thực hiện"),),
        rows=(
            Row("1", "Tỷ lệ hồ sơ giải quyết trễ hạn", {"Đến năm 2025": "Không quá 2%",
                "Cơ quan thực hiện": "Bộ phận tiếp nhận và trả kết quả"},
                {2025: "Không quá 2%"}, {2025: "<= 2"}, ("mot-cua",),
                measure=("Số hồ sơ giải quyết quá hạn", "Tổng số hồ sơ đã giải quyết")),
            Row("2", "Tỷ lệ thanh toán trực tuyến", {"Đến năm 2025": "Ít nhất 40%",
                "Cơ quan thực hiện": "Văn phòng HĐND và UBND phường"},
                {2025: "Ít nhất 40%"}, {2025: ">= 40"}, ("van-phong",)),
        ),
        issuer="ỦY BAN NHÂN DÂN PHƯỜNG ĐOÀN KẾT", place="Đoàn Kết", plan_id="doan-ket-2025", years=(2025,),
    ),
    Shape(
        key="ban-quan-ly-muc-tieu",
        source="a provincial board's plan (Ban Quản lý các khu công nghiệp), one \"Mục tiêu\" column, the year in "
               "the title (issue 21)",
        letterhead=("UBND TỈNH BẮC NINH", "BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP", *MOTTO,
                    "Bắc Ninh, ngày 08 tháng 01 năm 2025"),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH THỦ TỤC HÀNH CHÍNH NĂM 2025",
               "(Kèm theo Kế hoạch số 05/KH-BQL ngày 08/01/2025 của Ban Quản lý các khu công nghiệp)"),
        header=(("STT", "Nội dung", "Mục tiêu", "Đơn vị chủ trì"),),
        rows=(
            Row("1", "Tỷ lệ dịch vụ công trực tuyến toàn trình", {"Mục tiêu": "100% TTHC đủ điều kiện",
                "Đơn vị chủ trì": "Văn phòng Ban; Phòng Quản lý doanh nghiệp"},
                {2025: "100% TTHC đủ điều kiện"}, {2025: ">= 100"}, ("phong",)),
            Row("2", "Tỷ lệ hồ sơ trực tuyến", {"Mục tiêu": "Tăng 20% so với năm trước",
                "Đơn vị chủ trì": "Các phòng chuyên môn"},
                {2025: "Tăng 20% so với năm trước"}, {2025: None}, ("phong",)),
        ),
        issuer="BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP", place="Bắc Ninh", plan_id="ban-qlkcn-bac-ninh-2025",
        years=(2025,), signer_title="TRƯỞNG BAN", warnings=frozenset({"import-agency-part-unknown"}),
    ),
    Shape(
        key="khong-nam-dung-tuy-chon",
        source="an appendix kept alone in a workbook, no year anywhere (issue 21: import with a guess and a "
               "warning, or --year)",
        letterhead=(),
        front=("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH HÀNH CHÍNH",
               "(Kèm theo Kế hoạch của UBND tỉnh Lai Châu)"),
        header=(("STT", "Tên chỉ tiêu", "Giao chỉ tiêu", "Cơ quan thực hiện"),),
        rows=(
            Row("1", "Tỷ lệ hồ sơ trực tuyến", {"Giao chỉ tiêu": "Tối thiểu 50%",
                "Cơ quan thực hiện": "Trung tâm Phục vụ hành chính công"},
                {2027: "Tối thiểu 50%"}, {2027: ">= 50"}, ("trung-tam",)),
        ),
        issuer="ỦY BAN NHÂN DÂN TỈNH LAI CHÂU", place="Lai Châu", plan_id="lai-chau-2027", years=(2027,),
        year_option=2027,
    ),
)


# -- writing them --------------------------------------------------------------------------------------------


def as_docx(shape: Shape) -> bytes:
    import docx

    document = docx.Document()
    if shape.letterhead_table and shape.letterhead:
        head = document.add_table(rows=1, cols=2)
        head.cell(0, 0).text = "\n".join(shape.letterhead[:2])
        head.cell(0, 1).text = "\n".join(shape.letterhead[2:])
    else:
        for text in shape.letterhead:
            document.add_paragraph(text)
    for text in shape.front:
        document.add_paragraph(text)
    rows = len(shape.header) + len(shape.rows)
    table = document.add_table(rows=rows, cols=shape.width)
    table.style = "Table Grid"
    for r, texts in enumerate(shape.header):
        for c, text in enumerate(texts):
            table.cell(r, c).text = text
    for r0, c0, r1, c1 in shape.merges:
        text = shape.header[r0][c0]
        merged = table.cell(r0, c0).merge(table.cell(r1, c1))
        merged.text = text
    for r, row in enumerate(shape.rows, start=len(shape.header)):
        for c, text in enumerate(shape.cells(row)):
            table.cell(r, c).text = text
    for first, last, col in shape.body_merges:
        top = len(shape.header)
        text = shape.cells(shape.rows[first])[col]
        merged = table.cell(top + first, col).merge(table.cell(top + last, col))
        merged.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_xlsx(shape: Shape) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    r = 1
    for text in (*shape.letterhead, *shape.front):
        sheet.cell(r, 1, text)
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=shape.width)
        r += 1
    r += 1
    first = r
    for texts in shape.header:
        for c, text in enumerate(texts, start=1):
            sheet.cell(r, c, text)
        r += 1
    for r0, c0, r1, c1 in shape.merges:
        sheet.merge_cells(start_row=first + r0, start_column=c0 + 1, end_row=first + r1, end_column=c1 + 1)
    body = r
    for row in shape.rows:
        for c, text in enumerate(shape.cells(row), start=1):
            sheet.cell(r, c, text)
        r += 1
    for first, last, col in shape.body_merges:
        sheet.merge_cells(start_row=body + first, start_column=col + 1, end_row=body + last, end_column=col + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def written(shape: Shape, suffix: str) -> bytes:
    return as_docx(shape) if suffix == ".docx" else as_xlsx(shape)


def expected_rule(rule: Any) -> str | None:
    """A rule as the shapes write it: "> 50", ">= 80"."""
    if rule is None:
        return None
    value = int(rule.value) if float(rule.value).is_integer() else rule.value
    return f"{rule.op} {value}"
