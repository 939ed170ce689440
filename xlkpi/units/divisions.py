"""Rosters from the official list of administrative divisions (since 1 July 2025: 34 provinces and
cities, 3,321 communes, wards and special zones), as shipped by the ``vietnam-provinces`` package.

Codes are the official ones, zero-padded as published: provinces two digits ("12"), communes five
("03127").  Provinces get level ``tinh``; communes, wards and special zones level ``xa``.

Since 1 July 2025 the province's specialised agencies (sở, ban, ngành) report directly too.  Decree
45/2025/NĐ-CP fixes twelve that every province has (:data:`DEPARTMENTS`); with ``departments`` they are
added at level ``so`` (the level the plans name "Sở, ban, ngành"), coded ``<province>S<nn>`` ("12S01"),
since the divisions list gives them no code.  Agencies only some provinces organise (Sở Dân tộc và Tôn
giáo, Sở Ngoại vụ, Sở Du lịch …) are added by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from vietnam_provinces import Province, Ward

from xlkpi.problems import XlkpiError, problem
from xlkpi.units.roster import Roster, Unit
from xlkpi.common.text import fold

PROVINCE_LEVEL = "tinh"
COMMUNE_LEVEL = "xa"
DEPARTMENT_LEVEL = "so"
#: The twelve specialised agencies of every province (Decree 45/2025/NĐ-CP); "{kind}" is "tỉnh" or
#: "thành phố".  Their order is the one provincial documents list them in.
DEPARTMENTS = (
    "Văn phòng Ủy ban nhân dân {kind}",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường",
    "Sở Xây dựng",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Thanh tra {kind}",
)
_PREFIXES = ("thanh pho ", "tinh ")


def province_code(province: Province) -> str:
    return f"{int(province.code):02d}"


def ward_code(ward: Ward) -> str:
    return f"{int(ward.code):05d}"


def _short(name: str) -> str:
    folded = fold(name)
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def find_province(query: str) -> Province:
    """A province by name (with or without diacritics, "Tỉnh"/"Thành phố" optional) or by code."""
    text = query.strip()
    provinces = list(Province.iter_all())
    if text.isdigit():
        for province in provinces:
            if int(province.code) == int(text):
                return province
    else:
        wanted = _short(text.replace("_", " ").replace("-", " "))
        for province in provinces:
            if wanted in (_short(province.name), province.codename.replace("_", " ")):
                return province
    raise XlkpiError(problem("province-not-found", query=query))


def _communes(province: Province) -> list[Ward]:
    return sorted((w for w in Ward.iter_all() if w.province_code == province.code), key=lambda w: int(w.code))


def department_units(province: Province, extra: Sequence[str] = (), parent: str | None = None) -> list[Unit]:
    """The province's specialised agencies: the twelve of Decree 45/2025/NĐ-CP, then ``extra`` by name."""
    kind = "thành phố" if province.name.startswith("Thành phố") else "tỉnh"
    names = [name.format(kind=kind) for name in DEPARTMENTS]
    for name in extra:
        cleaned = " ".join(name.split())
        if cleaned and fold(cleaned) not in {fold(n) for n in names}:
            names.append(cleaned)
    code = province_code(province)
    return [Unit(f"{code}S{n:02d}", name, DEPARTMENT_LEVEL, parent) for n, name in enumerate(names, start=1)]


def province_roster(query: str, *, departments: bool = False, extra_departments: Sequence[str] = ()) -> Roster:
    """The communes, wards and special zones of one province (the province itself owns the campaign),
    after its specialised agencies when ``departments``."""
    province = find_province(query)
    units = department_units(province, extra_departments) if departments or extra_departments else []
    units += [Unit(ward_code(w), w.name, COMMUNE_LEVEL) for w in _communes(province)]
    return Roster(units, source=f"vietnam-provinces: {province.name}")


def national_roster(*, departments: bool = False) -> Roster:
    """All 34 provinces and cities, each followed by its communes (the province as their parent), and by
    its specialised agencies when ``departments``."""
    units: list[Unit] = []
    for province in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        code = province_code(province)
        units.append(Unit(code, province.name, PROVINCE_LEVEL))
        if departments:
            units.extend(department_units(province, parent=code))
        units.extend(Unit(ward_code(w), w.name, COMMUNE_LEVEL, code) for w in _communes(province))
    return Roster(units, source="vietnam-provinces: toàn quốc")
