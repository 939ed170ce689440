"""Reporting periods and the dates their data covers.

A period is written ``2025-10`` (month), ``2025-Q3`` (quarter), ``2025-H1`` / ``2025-H2`` (six months),
``2025-9M`` (nine months) or ``2025`` (year).  Its data range follows one of two conventions:

``reporting-rule``
    Decree 09/2019/NĐ-CP (art. 12) and the provincial rules built on it: data run from the 15th of the
    month before the period to the 14th of its last month.  A year runs 15/12 of the year before to 14/12;
    six months 15/12 to 14/6; nine months 15/12 to 14/9.
``calendar``
    Calendar months, quarters, halves and years (as Decision 766/QĐ-TTg's service index uses).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from xlkpi.problems import XlkpiError, problem

Convention = Literal["reporting-rule", "calendar"]
Kind = Literal["month", "quarter", "half", "nine-months", "year"]

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    ("month", re.compile(r"^(\d{4})-(\d{1,2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$", re.I)),
    ("half", re.compile(r"^(\d{4})-H([12])$", re.I)),
    ("nine-months", re.compile(r"^(\d{4})-9M$", re.I)),
    ("year", re.compile(r"^(\d{4})$")),
]


@dataclass(frozen=True)
class Period:
    kind: Kind
    year: int
    #: month 1–12, quarter 1–4, half 1–2; 0 for nine months and year
    number: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        value = text.strip()
        for kind, pattern in _PATTERNS:
            match = pattern.match(value)
            if match:
                year = int(match.group(1))
                number = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 0
                if kind == "month" and not 1 <= number <= 12:
                    break
                if not 2000 <= year <= 2100:
                    break
                return cls(kind, year, number)
        raise XlkpiError(problem("period-invalid", value=text))

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        if self.kind == "half":
            return f"{self.year}-H{self.number}"
        if self.kind == "nine-months":
            return f"{self.year}-9M"
        return str(self.year)

    @property
    def label(self) -> str:
        """As a Vietnamese document names it: "Quý III năm 2025", "6 tháng đầu năm 2025" …"""
        if self.kind == "month":
            return f"Tháng {self.number} năm {self.year}"
        if self.kind == "quarter":
            return f"Quý {_ROMAN[self.number]} năm {self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm {self.year}"
        if self.kind == "nine-months":
            return f"9 tháng năm {self.year}"
        return f"Năm {self.year}"

    @property
    def months(self) -> tuple[int, int]:
        """First and last calendar month the period covers."""
        if self.kind == "month":
            return self.number, self.number
        if self.kind == "quarter":
            return 3 * self.number - 2, 3 * self.number
        if self.kind == "half":
            return (1, 6) if self.number == 1 else (7, 12)
        if self.kind == "nine-months":
            return 1, 9
        return 1, 12

    def date_range(self, convention: Convention = "reporting-rule") -> tuple[date, date]:
        first, last = self.months
        if convention == "calendar":
            return date(self.year, first, 1), date(self.year, last, calendar.monthrange(self.year, last)[1])
        start_month = date(self.year, first, 1) - timedelta(days=1)  # the month before the period
        return date(start_month.year, start_month.month, 15), date(self.year, last, 14)

    def range_text(self, convention: Convention = "reporting-rule") -> str:
        start, end = self.date_range(convention)
        return f"từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def target_year(years: list[int], period: Period) -> int:
    """The plan year whose targets apply in ``period``: the period's own year, else the next target
    year after it ("Chỉ tiêu đến năm 2030" in 2026), else the last one."""
    later = sorted(y for y in years if y >= period.year)
    return later[0] if later else max(years)
