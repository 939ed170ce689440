"""Vietnamese text helpers: matching without diacritics, ASCII slugs, whitespace."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace (line breaks from a printed table included) into single spaces."""
    return _SPACES.sub(" ", text).strip()


def strip_diacritics(text: str) -> str:
    """"Lai Châu" -> "Lai Chau"; "Đắk Lắk" -> "Dak Lak" (đ is a letter of its own, not a d with a mark)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """The form two names are compared in: no diacritics, lower case, single spaces."""
    return squash(strip_diacritics(text).lower())


def slug(text: str, max_length: int = 60) -> str:
    """An ASCII file-name part: "Xã Bản Bo" -> "xa-ban-bo"."""
    ascii_text = strip_diacritics(text).lower()
    ascii_text = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return ascii_text[:max_length].rstrip("-") or "x"


def cell_text(value: Any) -> str:
    """A spreadsheet cell's value as text: None -> "", 80.0 -> "80", surrounding spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def column_letter(index: int) -> str:
    """Zero-based column number -> its letters: 0 -> "A", 27 -> "AB"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
