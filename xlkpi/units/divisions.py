"""Rosters from the official list of administrative divisions (since 1 July 2025: 34 provinces and
cities, 3,321 communes, wards and special zones), as shipped by the ``vietnam-provinces`` package.

Codes are the official ones, zero-padded as published: provinces two digits ("12"), communes five
("03127").  Provinces get level ``tinh``; communes, wards and special zones level ``xa``.
"""

from __future__ import annotations

from vietnam_provinces import Province, Ward

from xlkpi.problems import XlkpiError, problem
from xlkpi.units.roster import Roster, Unit
from xlkpi.common.text import fold

PROVINCE_LEVEL = "tinh"
COMMUNE_LEVEL = "xa"
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


def province_roster(query: str) -> Roster:
    """The communes, wards and special zones of one province (the province itself owns the campaign)."""
    province = find_province(query)
    units = [Unit(ward_code(w), w.name, COMMUNE_LEVEL) for w in _communes(province)]
    return Roster(units, source=f"vietnam-provinces: {province.name}")


def national_roster() -> Roster:
    """All 34 provinces and cities, each followed by its communes (the province as their parent)."""
    units: list[Unit] = []
    for province in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        code = province_code(province)
        units.append(Unit(code, province.name, PROVINCE_LEVEL))
        units.extend(Unit(ward_code(w), w.name, COMMUNE_LEVEL, code) for w in _communes(province))
    return Roster(units, source="vietnam-provinces: toàn quốc")
