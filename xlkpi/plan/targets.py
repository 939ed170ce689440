"""Targets: the official text as printed, and the machine rule used to judge a result.

A plan keeps each target's text exactly as the appendix prints it ("80", "Tối thiểu 50", "≥30",
"Thực hiện theo hướng dẫn của TW", blank) and a rule: an operator (≥, ≤, =), a value and, optionally, a
floor.  This module reads what a text says, derives the rule when the plan does not spell one out, and
says when an explicit rule contradicts its text.

Texts understood (compared without diacritics or case; decimal comma or point; a trailing % allowed):

=================================================================  =====================
text                                                               rule
=================================================================  =====================
``80``, ``100%``, ``80,5``, ``100% (trừ …)``                        ≥ 80 (a bare number)
``100% TTHC đủ điều kiện``, ``Tối thiểu 50% hồ sơ``                 ≥ value (words after the
                                                                   figure name what it counts)
``Tối thiểu 50``, ``Ít nhất 50``, ``Không dưới 50``, ``≥30``,       ≥ value
``>= 30``, ``Đạt từ 30% trở lên``, ``30% trở lên``, ``Phấn đấu
đạt 80``, ``Đạt 80``
``Hơn 50%``, ``Trên 50``, ``Lớn hơn 50``, ``> 50``                  > value
``Tối đa 5``, ``Không quá 5``, ``≤5``, ``<= 5``, ``5 trở xuống``    ≤ value
``Dưới 3``, ``Nhỏ hơn 3``, ``< 3``                                  < value
``= 100``, ``Bằng 100``                                             = value
``Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)``                 ≥ 98, floor 95
blank, ``-``                                                        no target
any text without a number                                          no numeric target
``Tối thiểu 5% GRDP``, ``Tăng 20% so với năm trước``                no rule: another base, or
                                                                   relative to another figure
                                                                   (judged by hand; ``plan check``
                                                                   warns)
=================================================================  =====================

A bare number is consistent with any operator (a plan may say ``rule: {op: "<=", value: 5}`` for a
"lower is better" indicator); the words "tối thiểu", "tối đa", "hơn", "dưới" and the signs fix the operator.
The floor is the least value every single reporting unit must reach for a rolled-up result to be
judged "Đạt" (for ≤ and < rules, the most any unit may reach).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from xlkpi.common.text import fold, squash

Op = Literal[">=", ">", "<=", "<", "="]
OP_SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}

_NUMBER = r"(\d+(?:[.,]\d+)?)\s*%?"
#: words before the figure, longest first where one begins another ("khong duoi" before "duoi")
_PREFIXES: tuple[tuple[Op, tuple[str, ...]], ...] = (
    (">=", ("khong duoi", "khong thap hon", "khong it hon", "tren hoac bang", "lon hon hoac bang", "dat tu",
            "dat toi thieu", "dat it nhat", "toi thieu", "it nhat", "phan dau dat", "phan dau", "dat", "tu",
            ">=", "≥", "=>")),
    ("<=", ("khong qua", "khong vuot qua", "khong vuot", "khong cao hon", "khong lon hon", "khong nhieu hon",
            "duoi hoac bang", "nho hon hoac bang", "toi da", "<=", "≤", "=<")),
    (">", ("lon hon", "cao hon", "nhieu hon", "hon", "tren", ">")),
    ("<", ("nho hon", "thap hon", "it hon", "duoi", "<")),
    ("=", ("bang", "=")),
)
_ORDERED = sorted(((op, word) for op, words in _PREFIXES for word in words), key=lambda pair: -len(pair[1]))
#: words after the figure
_SUFFIXES: tuple[tuple[Op, str], ...] = ((">=", "tro len"), ("<=", "tro xuong"))
#: a figure measured against another base, or relative to another figure: not the indicator's own result
OTHER_BASE = ("grdp", "gdp", "tong san pham", "so voi", "so cung ky", "cung ky", "nam truoc", "ky truoc",
              "tang", "giam", "lan", "binh quan", "moi nam", "hang nam")
_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_FLOOR = re.compile(rf"(?:toi thieu|it nhat|khong duoi|>=|≥|toi da|khong qua|<=|≤)\s*{_NUMBER}")
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_BLANKS = {"", "-", "–", "—", "x"}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


@dataclass(frozen=True)
class TextReading:
    """What a target text says.

    ``kind`` is ``blank`` (no target printed), ``numeric`` (a form in the table above),
    ``words`` (no number at all, e.g. "Thực hiện theo hướng dẫn của TW") or ``other`` (numbers in
    wording this module does not read, e.g. "Giảm 10% so với năm 2024": the plan must give the rule).
    """

    kind: Literal["blank", "numeric", "words", "other"]
    op: Op | None = None
    value: float | None = None
    floor: float | None = None
    numbers: tuple[float, ...] = ()


def read_target_text(text: str) -> TextReading:
    folded = fold(text)
    if folded in _BLANKS:
        return TextReading("blank")
    numbers = tuple(_number(n) for n in _ANY_NUMBER.findall(folded))
    if not numbers:
        return TextReading("words")
    floor = None
    main = folded
    for inner in _PARENTHESIS.findall(folded):
        found = _FLOOR.search(inner)
        if found and floor is None:
            floor = _number(found.group(1))
    main = squash(_PARENTHESIS.sub(" ", folded)).rstrip(" .;")
    op, value = _read_rule(main)
    if value is None:
        return TextReading("other", numbers=numbers)
    return TextReading("numeric", op, value, floor, numbers)


def _read_rule(main: str) -> tuple[Op | None, float | None]:
    """The operator and figure a target's wording states (no operator: a bare figure), or (None, None)."""
    rest, op = main, None
    for wanted, suffix in _SUFFIXES:
        if rest.endswith(" " + suffix):
            rest, op = rest[: -len(suffix)].rstrip(), wanted
            break
    for prefix_op, word in _ORDERED:
        if rest.startswith(word) and (not word[-1].isalpha() or not rest[len(word):len(word) + 1].isalpha()):
            after = rest[len(word):].lstrip(" :")
            if re.match(r"\d", after):
                rest = after
                op = prefix_op if op is None or prefix_op == op or word in ("dat tu", "tu") else op
                break
    found = re.match(r"^(\d+(?:[.,]\d+)?)\s*(%?)(.*)$", rest)
    if not found:
        return None, None
    tail = found.group(3).strip()
    if _ANY_NUMBER.search(tail) or any(re.search(rf"\b{re.escape(word)}\b", tail) for word in OTHER_BASE):
        return None, None
    if tail and op is None and not found.group(2):
        return None, None  # "5 ngày làm việc": a figure and words, no comparison, no percentage — read by a person
    return op, _number(found.group(1))


def format_number(value: float) -> str:
    """80.0 -> "80"; 80.5 -> "80,5" (Vietnamese decimal comma)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", ",")


@dataclass(frozen=True)
class Rule:
    """A machine rule: ``op`` (``>=``, ``<=``, ``=``), ``value`` and an optional ``floor``."""

    op: Op
    value: float
    floor: float | None = None

    def __str__(self) -> str:
        text = f"{OP_SYMBOL[self.op]} {format_number(self.value)}"
        if self.floor is not None:
            text += f", sàn {format_number(self.floor)}"
        return text

    def problems(self) -> list[tuple[str, str]]:
        """Inconsistencies within the rule itself as (Vietnamese, English) details; empty when sound."""
        if self.floor is None:
            return []
        floor, value = format_number(self.floor), format_number(self.value)
        if self.op == "=":
            return [("quy tắc '=' không có mức sàn", "an '=' rule has no floor")]
        if self.op in (">=", ">") and self.floor > self.value:
            return [(f"mức sàn {floor} cao hơn mục tiêu {value}", f"the floor {floor} is above the target {value}")]
        if self.op in ("<=", "<") and self.floor < self.value:
            return [(f"mức trần {floor} thấp hơn mục tiêu {value}", f"the cap {floor} is below the target {value}")]
        return []

    def met(self, value: float) -> bool:
        """Whether a result (in the indicator's unit, rounded to 6 decimals by the caller) meets the rule."""
        if self.op == ">=":
            return value >= self.value
        if self.op == ">":
            return value > self.value
        if self.op == "<=":
            return value <= self.value
        if self.op == "<":
            return value < self.value
        return abs(value - self.value) < 1e-9

    def excel(self, value: str) -> str:
        """The same test as :meth:`met`, as a spreadsheet condition on the expression ``value`` (which the
        caller rounds to 6 decimals as collect does): the form's judgement is derived from this rule."""
        return f"{value}{self.op}{self.value!r}"

    def within_floor(self, value: float) -> bool:
        if self.floor is None:
            return True
        return value >= self.floor if self.op in (">=", ">") else value <= self.floor


def rule_from_text(text: str) -> Rule | None:
    """The rule a text implies on its own, or None when it implies none (blank, words, unread wording)."""
    reading = read_target_text(text)
    if reading.kind != "numeric":
        return None
    assert reading.value is not None
    return Rule(reading.op or ">=", reading.value, reading.floor)


def floor_in_text(text: str) -> float | None:
    """The floor a text states anywhere in it — "(Lưu ý: tỷ lệ b/a phải đạt tối thiểu 95%)" in an
    indicator's name or note — preferring one in parentheses."""
    folded = fold(text)
    for inner in _PARENTHESIS.findall(folded):
        found = _FLOOR.search(inner)
        if found:
            return _number(found.group(1))
    found = _FLOOR.search(folded)
    return _number(found.group(1)) if found else None


#: words of a clause about growth or another figure: "mỗi năm tăng tối thiểu 20%" states no floor
_GROWTH = ("tang", "giam", "moi nam", "hang nam", "so voi", "binh quan", "cung ky")


def stated_floor(text: str) -> float | None:
    """The floor an indicator's name or note states for its own ratio — "(tỷ lệ b/a phải đạt tối thiểu 95%)",
    "mỗi đơn vị phải đạt tối thiểu 90%" — in a parenthesis or a clause of its own; a clause about growth
    ("mỗi năm tăng tối thiểu 20%") or another figure states none."""
    folded = fold(text)
    clauses = _PARENTHESIS.findall(folded) + re.split(r"[;.\n]", _PARENTHESIS.sub(" ", folded))
    for clause in clauses:
        if not ("ty le" in clause or "phai dat" in clause or "moi don vi" in clause):
            continue
        if any(re.search(rf"\b{word}\b", clause) for word in _GROWTH):
            continue
        found = _FLOOR.search(clause)
        if found:
            return _number(found.group(1))
    return None


def contradiction(rule: Rule, text: str, floor_elsewhere: bool = False) -> tuple[str, str] | None:
    """Why ``rule`` contradicts ``text`` as (Vietnamese, English) details, or None when they agree.
    ``floor_elsewhere``: the rule's floor is printed in another cell of the row (checked there)."""
    reading = read_target_text(text)
    if reading.kind == "blank":
        return ("bản in để trống (không có mục tiêu) nhưng lại có quy tắc",
                "the printed target is blank (no target) but a rule is given")
    if reading.kind == "words":
        return "văn bản không có con số nào để so sánh", "the text has no number to compare with"
    value = format_number(rule.value)
    if reading.kind == "other":
        if not any(abs(rule.value - n) < 1e-9 for n in reading.numbers):
            return f"giá trị {value} không có trong văn bản", f"the value {value} is not in the text"
        return None
    assert reading.value is not None
    printed = format_number(reading.value)
    if abs(reading.value - rule.value) > 1e-9:
        return f"văn bản ghi {printed}, quy tắc ghi {value}", f"the text says {printed}, the rule {value}"
    if reading.op is not None and reading.op != rule.op:
        said, given = OP_SYMBOL[reading.op], OP_SYMBOL[rule.op]
        return f"văn bản nghĩa là '{said}', quy tắc ghi '{given}'", f"the text means '{said}', the rule says '{given}'"
    text_floor = format_number(reading.floor) if reading.floor is not None else None
    rule_floor = format_number(rule.floor) if rule.floor is not None else None
    if floor_elsewhere and text_floor is None:
        return None
    if text_floor != rule_floor:
        if rule_floor is None:
            return (f"văn bản có mức sàn {text_floor} nhưng quy tắc không có",
                    f"the text has a floor of {text_floor} but the rule has none")
        if text_floor is None:
            return (f"quy tắc có mức sàn {rule_floor} nhưng văn bản không nói tới",
                    f"the rule has a floor of {rule_floor} the text does not mention")
        return (f"văn bản ghi mức sàn {text_floor}, quy tắc ghi {rule_floor}",
                f"the text's floor is {text_floor}, the rule's {rule_floor}")
    return None
