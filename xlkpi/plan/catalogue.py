"""The indicator catalogue: the national indicators local plans draw on, shipped as data (catalogue.yaml).

Each entry has the name variants plans print, a unit, a measure kind, and the numerator and denominator a
unit counts (or the yes/no question it answers), with the resolutions it comes from.  ``plan import``
matches each imported row to it by name — diacritics-insensitive, abbreviations spelled out ("TTHC",
"DVC"), punctuation ignored — and fills the measure; ``xlkpi catalogue`` lists it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import yaml

from xlkpi.common.text import fold

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
#: a match at least this close is taken; below SURE it is reported as a guess to review
SURE, POSSIBLE = 0.86, 0.72
SOURCES = {
    "01/NQ-CP": "Nghị quyết số 01/NQ-CP ngày 08/01/2025 của Chính phủ",
    "02/NQ-CP": "Nghị quyết số 02/NQ-CP ngày 08/01/2025 của Chính phủ",
    "03/NQ-CP": "Nghị quyết số 03/NQ-CP ngày 09/01/2025 của Chính phủ",
    "dia-phuong": "Kế hoạch cải cách hành chính của địa phương (chỉ tiêu các xã, phường, sở đặt thêm bên cạnh "
                  "chỉ tiêu quốc gia)",
    "766": "Quyết định số 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ (Bộ chỉ số phục vụ người dân, "
           "doanh nghiệp)",
}
_ABBREVIATIONS = {
    "tthc": "thu tuc hanh chinh", "dvc": "dich vu cong", "dvctt": "dich vu cong truc tuyen",
    "dvcqg": "dich vu cong quoc gia", "csdl": "co so du lieu", "pakn": "phan anh kien nghi",
    "nd": "nguoi dan", "dn": "doanh nghiep", "ubnd": "uy ban nhan dan",
}


@dataclass(frozen=True)
class Entry:
    id: str
    names: tuple[str, ...]
    unit: str
    kind: str
    numerator: str | None
    denominator: str | None
    question: str | None
    sources: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float

    @property
    def sure(self) -> bool:
        return self.score >= SURE


def normalise(text: str) -> str:
    """A name as compared: folded (no diacritics, lower case), abbreviations spelled out, no punctuation."""
    words = re.findall(r"[a-z0-9]+", fold(text).replace("đ", "d"))
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


@lru_cache(maxsize=1)
def catalogue() -> tuple[Entry, ...]:
    data = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return tuple(Entry(item["id"], tuple(item["names"]), item.get("unit", "%"), item["kind"], item.get("numerator"),
                       item.get("denominator"), item.get("question"), tuple(str(s) for s in item.get("sources", [])))
                 for item in data["indicators"])


@lru_cache(maxsize=1)
def _normalised() -> tuple[tuple[Entry, str], ...]:
    return tuple((entry, normalise(name)) for entry in catalogue() for name in entry.names)


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 25 and longer.startswith(shorter):  # a name printed with more after it
        ratio = max(ratio, 0.9)
    return ratio


@lru_cache(maxsize=1)
def _exact() -> dict[str, Entry]:
    return {known: entry for entry, known in reversed(_normalised())}


@lru_cache(maxsize=4096)
def match(name: str) -> Match | None:
    """The catalogue entry a printed indicator name means, or None when nothing is close enough.

    Indexed, not compared pairwise: a name printed as catalogued is found by its normalised text; otherwise
    the printed name is indexed once (difflib keeps its second sequence's index) and each catalogue name is
    measured only when difflib's cheap upper bounds say it could beat the best so far (5,000 rows import in
    seconds). The result is the same as comparing every pair."""
    wanted = normalise(name)[:MAX_COMPARED]
    if not wanted:
        return None
    exact = _exact().get(wanted)
    if exact is not None:
        return Match(exact, 1.0)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)
    best: Match | None = None
    for entry, known in _normalised():
        floor = max(POSSIBLE, best.score) if best is not None else POSSIBLE
        shorter, longer = sorted((wanted, known), key=len)
        score = 0.9 if len(shorter) >= 25 and longer.startswith(shorter) else 0.0
        matcher.set_seq1(known)
        if max(score, matcher.real_quick_ratio()) >= floor and max(score, matcher.quick_ratio()) >= floor:
            score = max(score, matcher.ratio())
        if score > 0 and (best is None or score > best.score) and not _words_replaced(wanted, known) and (
                score >= SURE or _same_subject(wanted, entry, known)):
            best = Match(entry, score)
    return best if best is not None and best.score >= POSSIBLE else None


#: words every indicator name shares; what is left says what is counted ("số hóa", "quá hạn", "đúng hạn")
_COMMON_WORDS = frozenset(
    "ty le so ho thu tuc hanh chinh duoc cua tren tong cac va trong the nhung dat muc do nam tai theo voi la cho "
    "co phat sinh don vi co quan dia phuong".split())


#: words that only join a name's parts: a name printed with one of them instead of another says the same
_JOINING_WORDS = frozenset("cua tren tong cac va trong the nhung dat tai theo voi la cho duoc co phat sinh".split())


def _words_replaced(wanted: str, known: str) -> bool:
    """Whether the printed name says something else where the catalogue name says what is counted: the two
    aligned word by word, a stretch of one replaced by a stretch of the other, both with words that are not
    mere joining words ("quá hạn" for "đúng hạn", "hồ sơ" for "dịch vụ công"). A word only added or left out
    is not a replacement: plans shorten names and add to them."""
    a, b = wanted.split(), known.split()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace" and set(a[i1:i2]) - _JOINING_WORDS and set(b[j1:j2]) - _JOINING_WORDS:
            return True
    return False


def _same_subject(wanted: str, entry: Entry, known: str) -> bool:
    """A guess below SURE must be about the same thing: names alike letter by letter ("Tỷ lệ hồ sơ TTHC được số
    hóa", "Tỷ lệ hồ sơ giải quyết đúng hạn") differ in the words that say what is counted. Most of the printed
    name's own words are in the catalogue name, and a count ("Số thủ tục …") is never guessed to be a rate."""
    if entry.kind == "rate" and wanted.startswith("so ") and not wanted.startswith("so hoa"):
        return False
    own = [word for word in wanted.split() if word not in _COMMON_WORDS]
    if not own:
        return True
    theirs = set(known.split())
    return sum(word in theirs for word in own) / len(own) >= 0.6


#: the characters of a printed name compared (a name is a line or two; a pasted paragraph is cut)
MAX_COMPARED = 300
