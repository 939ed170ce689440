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


def wrapped_lines(text: str, per_line: float) -> int:
    """Lines ``text`` takes when wrapped at word boundaries, ``per_line`` characters to a line (each
    paragraph at least one).  Spreadsheet programs do not all fit row heights to wrapped text
    (LibreOffice keeps an xlsx row's stored height), so writers set heights from this."""
    import textwrap

    width = max(4, int(per_line))
    return max(1, sum(len(textwrap.wrap(part, width)) or 1 for part in str(text).split("\n")))


def shown_time(iso: str | None) -> str:
    """"2025-10-15 09:00:00" -> "15/10/2025 09:00", as a Vietnamese reader writes times."""
    if not iso:
        return ""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%d/%m/%Y %H:%M")


def cell_text(value: Any) -> str:
    """A spreadsheet cell's value as text: None -> "", 80.0 -> "80", surrounding spaces trimmed."""
    if value is None:
        return ""
    shown = getattr(value, "shown", None)  # a number that says how its cell shows it ("95%")
    if isinstance(shown, str):
        return shown
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


# -- consoles that cannot show Vietnamese ---------------------------------------------------------------------

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # the five tone marks, as combining characters
_SYMBOLS = {"✓": "OK", "✗": "X", "—": "-", "–": "-", "…": "...", "›": ">", "→": "->", "Σ": "S", "≥": ">=",
            "≤": "<=", "×": "x", "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*", "·": "."}


def console_fallback(error: UnicodeError, encoding: str) -> tuple[str, int]:
    """What to write instead of characters a legacy console's code page (``encoding``) lacks: the letter with
    its accents as combining marks when the code page has them (Windows-1258), or with the accents it has
    ("ệ" -> "ê" in Windows-1252), else without ("Đ" -> "D"); symbols in ASCII ("✓" -> "OK")."""
    assert isinstance(error, UnicodeEncodeError)
    bad = error.object[error.start:error.end]
    out = []
    for char in bad:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(ch for ch in decomposed if ch in _TONES)
        vowel = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
        written = False
        for candidate in (vowel + tones, decomposed):  # Windows-1258: "ệ" is "ê" and a combining dot below
            try:
                candidate.encode(encoding)
                out.append(candidate)
                written = True
                break
            except (UnicodeEncodeError, LookupError):
                continue
        if written:
            continue
        if char in _SYMBOLS:
            out.append(_SYMBOLS[char])
            continue
        kept = _with_fewer_marks(decomposed, encoding)
        if kept:
            out.append(kept)
            continue
        folded = strip_diacritics(char)
        out.append(folded if folded.isascii() and folded else "?")
    return "".join(out), error.end


def _with_fewer_marks(decomposed: str, encoding: str) -> str | None:
    marks = [i for i, ch in enumerate(decomposed) if unicodedata.combining(ch)]
    marks.sort(key=lambda i: decomposed[i] not in _TONES)  # lose the tone before the letter's own mark (ê, ơ)
    for drop in marks:
        candidate = unicodedata.normalize("NFC", decomposed[:drop] + decomposed[drop + 1:])
        try:
            candidate.encode(encoding)
            return candidate
        except (UnicodeEncodeError, LookupError):
            continue
    return None


#: what must never reach a terminal from outside text (a mail subject, an attachment's name, a value typed in a
#: return, a plan document's text): C0 controls but tab, newline and CR LF (ESC starts a terminal's control sequences,
#: CR overwrites a line), DEL, the C1 controls (U+009B is a one-character CSI), and the bidirectional
#: controls that reorder what a person reads (U+202E, U+2066…)
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
                              "|\r(?!\n)")  # CR LF ends a line (a CSV printed); a CR alone overwrites it


def terminal_safe(text: str) -> str:
    """``text`` with every control character written out as ``\\uXXXX``: visible to a person, inert in a
    terminal, and inside a JSON string the same character again."""
    if _TERMINAL_UNSAFE.search(text) is None:
        return text
    return _TERMINAL_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


#: what makes a spreadsheet program read a CSV cell as a formula (CSV injection: "=cmd|' /C calc'!A0")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A value for a CSV cell a spreadsheet program opens: text that would start a formula gets a leading
    apostrophe ("'=cmd|…", "'+84 912…"), which Excel and LibreOffice show as text. None is empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def csv_unsafe(text: str) -> str:
    """A CSV cell xlkpi wrote with :func:`csv_safe`, as it was."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START else text


def decode_edited(raw: bytes) -> tuple[str, str]:
    """(text, encoding) of a text file a person edited (campaign.yaml, a plan, a roster CSV): UTF-8 (with or
    without a BOM), UTF-16 or UTF-32 with a BOM or, without one, recognised by its zero bytes (Notepad's
    "Unicode"), else Windows-1258 (Notepad's and Excel's "ANSI" on a Vietnamese Windows), its tone marks
    composed ("o" + "̀" -> "ò") so names compare equal. Never raises."""
    import codecs
    import unicodedata

    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding, "replace"), encoding
    sample = raw[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):  # UTF-16 without a BOM: every other byte 0
        even_zeros = sample[0::2].count(0)
        encoding = "utf-16-be" if even_zeros > sample[1::2].count(0) else "utf-16-le"
        return raw.decode(encoding, "replace"), encoding
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return unicodedata.normalize("NFC", raw.decode("cp1258", "replace")), "cp1258"


def make_console_safe(*streams: Any) -> None:
    """Let output streams whose encoding cannot write Vietnamese (a Windows console on a legacy code page,
    PYTHONIOENCODING=cp1252) write it readably instead of failing with UnicodeEncodeError."""
    import codecs

    for stream in streams:
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "Đã đọc ✓ ệ".encode(encoding)
            continue
        except (UnicodeEncodeError, LookupError):
            pass
        # a handler per encoding: the error a charmap codec raises names "charmap", not the code page
        handler = f"xlkpi-console-{codecs.lookup(encoding).name}"
        try:
            codecs.lookup_error(handler)
        except LookupError:
            codecs.register_error(handler, lambda error, encoding=encoding: console_fallback(error, encoding))
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=handler)
            except (ValueError, OSError):
                pass
