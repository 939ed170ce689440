"""How much room a text takes, measured with the font's own widths (Times New Roman, the font of every
workbook xlkpi writes), so that columns are as narrow and rows as short as their text allows and no text is
cut off, in Excel and LibreOffice alike.

A column ``width`` units wide (the unit xlsx files store: the width of a digit of the default font, here
12-point Times New Roman, 6 points) holds ``ROOM_POINTS * width`` points of text on a line: a little less than
its 6 points, for the cell's margins and the program's rounding of glyph widths to screen pixels. Measured
with LibreOffice: the optimal heights of 84 cells (texts of the built-in appendices, widths 5 to 40, regular
and bold) are never more lines than counted here, and mostly exactly as many.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from xlkpi.common.fontwidths import BOLD, REGULAR

ROOM_POINTS = 5.7  # text on a line, per unit of width (a unit is a digit of 12-point Times New Roman: 6 points)
UNKNOWN = 556  # a character the table lacks, in thousandths of an em: wider than most letters
#: where a line may break: at a space, or after a hyphen inside a word ("01/NQ-CP" may break after "NQ-",
#: never inside "15/12/2024")
_PIECES = re.compile(r"[^\s]+?(?:-(?=\S)|(?=\s)|$)|\s+")


@lru_cache(maxsize=4096)
def _char(char: str, bold: bool) -> int:
    table = BOLD if bold else REGULAR
    found = table.get(char)
    if found is None:
        base = unicodedata.normalize("NFD", char)[:1]
        found = table.get(base)
        if found is None:
            found = 1000 if unicodedata.east_asian_width(char) in ("W", "F") else UNKNOWN
    return found


def text_points(text: str, size: float = 12.0, bold: bool = False) -> float:
    """The width of ``text`` on one line, in points."""
    return sum(_char(c, bold) for c in text) * size / 1000


def column_points(width: float) -> float:
    """The room a column ``width`` units wide leaves for text, in points."""
    return ROOM_POINTS * width


def lines_in(text: str, width: float, size: float = 12.0, bold: bool = False) -> int:
    """Lines ``text`` takes in a column ``width`` units wide (each paragraph at least one), wrapped as a
    spreadsheet program wraps: at spaces, after a hyphen or slash, and inside a word longer than the line."""
    room = column_points(width) * 1000 / size
    count = 0
    for paragraph in str(text).split("\n"):
        count += 1
        used = 0.0
        for piece in _PIECES.findall(paragraph):
            if piece.isspace():
                used += sum(_char(c, bold) for c in piece)
                continue
            wide = sum(_char(c, bold) for c in piece)
            if used + wide <= room:
                used += wide
                continue
            if used > 0:  # to the next line; spaces at the end of a line take no room
                count += 1
            used = 0.0
            for char in piece:  # a word longer than the line is broken where it reaches the edge
                step = _char(char, bold)
                if used + step > room and used > 0:
                    count += 1
                    used = 0.0
                used += step
    return max(1, count)


def narrowest(text: str, size: float = 12.0, bold: bool = False) -> float:
    """The width (in column units) that holds the longest unbreakable piece of ``text`` on one line."""
    longest = max((text_points(piece, size, bold) for piece in _PIECES.findall(text) if not piece.isspace()),
                  default=0.0)
    return longest / ROOM_POINTS
