"""What counts as a number in a returned workbook.

Data validation is skipped by paste, and programs differ, so numbers arrive as numbers (int or float)
or as text.  The rule, applied to every input cell on collection:

- A number is taken as it is (80 and 80.0 are the same whole number). A number its cell shows as a
  percentage ("95%" typed: stored as 0.95 with a percent format) is 95 in a percentage input and refused
  (``percent-sign``) in a count.
- Text is accepted when, after trimming spaces (including non-breaking ones), it is:
  a whole number (``45``, ``-3``); a decimal with a comma or a point (``80,5``, ``80.5``);
  digits grouped by spaces (``1 234``); digits grouped by ``.`` or ``,`` when the grouping is
  unmistakable — two or more groups (``1.234.567``) or groups and a decimal part (``1.234,5``,
  ``1,234.5``); and, in a percentage input only, a trailing ``%`` (``80%``, ``80,5 %``).
- Refused, each with its own problem: ``1.234`` and ``1,234`` (one separator before exactly three
  digits: 1234 or 1.234? — the unit must type it unambiguously), dates, booleans, words, anything else.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple
from datetime import date, datetime, time

from xlkpi.collect.readers.source import PercentValue

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^([+-]?\d+)[.,](\d+)$")
_GROUPED_DOT = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$")
_GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(?:,\d{3}){2,}$")
_VI = re.compile(r"^([+-]?\d{1,3}(?:\.\d{3})+),(\d+)$")
_EN = re.compile(r"^([+-]?\d{1,3}(?:,\d{3})+)\.(\d+)$")


class Reading(NamedTuple):
    """A cell read as a number: ``value`` (None when blank or refused) and, when refused, why."""

    value: float | None
    problem: str | None = None  # "not-a-number" | "ambiguous-number" | "percent-sign"
    from_text: bool = False


BLANK = Reading(None)


def read_number(cell: object, *, percent: bool = False) -> Reading:
    if type(cell) is float:  # the usual case: a number, as the program saved it
        return Reading(cell) if math.isfinite(cell) else Reading(None, "not-a-number")
    if isinstance(cell, PercentValue):  # "95%" typed: stored as 0.95, shown as a percentage
        if not percent:
            return Reading(None, "percent-sign")
        return Reading(round(cell * 100, 9)) if math.isfinite(cell) else Reading(None, "not-a-number")
    if cell is None or cell == "":
        return BLANK
    if isinstance(cell, bool) or isinstance(cell, (datetime, date, time)):
        return Reading(None, "not-a-number")
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and not math.isfinite(cell):
            return Reading(None, "not-a-number")
        return Reading(float(cell))
    text = _SPACES.sub(" ", str(cell)).strip()
    if not text:
        return BLANK
    if text.endswith("%"):
        if not percent:
            return Reading(None, "percent-sign", True)
        text = text[:-1].strip()
    compact = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)  # "1 234 567" -> "1234567"
    if _INTEGER.match(compact):
        return Reading(float(int(compact)), from_text=True)
    if _GROUPED_DOT.match(compact) or _GROUPED_COMMA.match(compact):
        return Reading(float(int(re.sub(r"[.,]", "", compact))), from_text=True)
    for pattern, group_sep in ((_VI, "."), (_EN, ",")):
        match = pattern.match(compact)
        if match:
            return Reading(float(f"{match.group(1).replace(group_sep, '')}.{match.group(2)}"), from_text=True)
    match = _DECIMAL.match(compact)
    if match:
        if len(match.group(2)) == 3 and match.group(1).lstrip("+-") not in ("0", ""):
            return Reading(None, "ambiguous-number", True)
        return Reading(float(f"{match.group(1)}.{match.group(2)}"), from_text=True)
    return Reading(None, "not-a-number", True)
