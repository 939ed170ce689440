"""Column widths of the signed appendix that print legibly on A4.

An official appendix is printed on A4 landscape at a size a leader reads: 12-point body text printed at no
less than 85 % (10 points tall). A plan with many columns (Lai Châu's has fourteen, 218 characters wide as
published) would otherwise be shrunk to half size to fit the width. The columns are given the width the
page holds at that scale, shared so that the table takes as few lines as it can: each column at least as
wide as its longest word, then rows lowered a line at a time where the width it takes saves the most
lines. Text is measured with the font's own widths (:mod:`xlkpi.common.measure`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xlkpi.common.measure import ROOM_POINTS, lines_in, narrowest, text_points

#: the narrowest scale the appendix is printed at: 12-point type prints at least 10 points tall
MIN_SCALE = 0.85
#: printable width of A4 landscape between the appendix's margins (297 mm - 30 mm - 15 mm), in millimetres
PRINTABLE_MM = 252.0
#: millimetres per unit of column width (a digit of 12-point Times New Roman, the workbook's default font) and
#: what each column adds beyond its width, as LibreOffice lays out an xlsx column
UNIT_MM, COLUMN_PAD_MM = 2.117, 1.51


def page_budget(columns: int, scale: float = MIN_SCALE) -> float:
    """The sum of the column widths that fits the printable width at ``scale``."""
    return (PRINTABLE_MM / scale - columns * COLUMN_PAD_MM) / UNIT_MM


def column_mm(width: float) -> float:
    """How wide a column ``width`` units wide is laid out, in millimetres (unscaled)."""
    return UNIT_MM * width + COLUMN_PAD_MM


def print_scale(widths: Sequence[float]) -> int:
    """The percentage at which columns ``widths`` wide fill the printable width (at most 100)."""
    table = sum(column_mm(w) for w in widths)
    return max(10, min(100, math.floor(100 * PRINTABLE_MM / max(table, 1.0))))


def _lines(text: str, width: float) -> int:
    return lines_in(text, width) if text else 1


def fit_widths(widths: Sequence[float], texts: Sequence[Sequence[str]], budget: float | None = None,
               least: Sequence[float] = (), indents: Sequence[float] = ()) -> list[int]:
    """Widths for columns declared ``widths`` wide holding ``texts`` (one sequence per row, a text per column;
    the header is a row like the others), whose sum is at most ``budget`` (default: what A4 landscape holds at
    :data:`MIN_SCALE`), no column narrower than its ``least`` width (when given) or its longest word; a
    column's ``indents`` (units of width its cells' indent takes; the header is centred) hold no text. The
    table is never made wider than declared; its width is shared to take the fewest lines."""
    count = len(widths)
    budget = page_budget(count) if budget is None else budget
    columns = [[row[c] if c < len(row) else "" for row in texts] for c in range(count)]
    indent = [indents[c] if c < len(indents) else 0 for c in range(count)]
    floor = [max(4, math.ceil(max(narrowest(text) for text in column) + indent[c]),
                 math.ceil(least[c]) if c < len(least) else 0) for c, column in enumerate(columns)]
    ceiling = [max(floor[c], math.ceil(max(text_points(text) for text in columns[c]) / ROOM_POINTS + indent[c]) + 1,
                   round(widths[c])) for c in range(count)]
    available = int(min(budget, sum(widths)))
    if sum(floor) >= available:  # nothing to share: the longest words decide (the page scales down)
        return floor
    return _lowest(widths, floor, ceiling, columns, indent, available)


def _lowest(declared: Sequence[float], floor: list[int], ceiling: list[int], columns: list[list[str]],
            indent: list[float], available: int) -> list[int]:
    """From the narrowest widths, rows are lowered a line at a time, first where the width it takes saves the
    most lines (a row is as tall as its tallest cell: lowering it widens every cell that reaches its height,
    which may lower other rows too), while the widths fit ``available``; the width left over is shared in
    proportion to ``declared``."""
    cache: dict[tuple[int, int], list[int]] = {}

    def lines(c: int, w: int) -> list[int]:
        key = (c, w)
        if key not in cache:
            cache[key] = [_lines(columns[c][0], w)] + [_lines(text, w - indent[c]) for text in columns[c][1:]]
        return cache[key]

    def widest_for(c: int, r: int, most: int, low: int) -> int | None:
        """The narrowest width from ``low`` on at which cell (r, c) takes at most ``most`` lines."""
        if lines(c, ceiling[c])[r] > most:
            return None
        high = ceiling[c]
        while low < high:
            middle = (low + high) // 2
            if lines(c, middle)[r] <= most:
                high = middle
            else:
                low = middle + 1
        return low

    def total(ws: list[int]) -> int:
        return sum(map(max, zip(*(lines(c, w) for c, w in enumerate(ws)))))

    count, rows = len(columns), len(columns[0])
    widths = list(floor)
    spare = available - sum(widths)
    blocked: set[int] = set()
    while spare > 0 and len(blocked) < rows:
        heights = [max(row) for row in zip(*(lines(c, widths[c]) for c in range(count)))]
        current = sum(heights)
        best: tuple[float, int, dict[int, int]] | None = None  # (lines saved per unit, height, {column: width})
        for r in range(rows):
            if r in blocked or heights[r] <= 1:
                continue
            wider: dict[int, int] = {}
            for c in range(count):
                if lines(c, widths[c])[r] >= heights[r]:
                    found = widest_for(c, r, heights[r] - 1, widths[c])
                    if found is None:
                        break
                    wider[c] = found
            else:
                cost = sum(w - widths[c] for c, w in wider.items())
                if cost <= spare:
                    trial = list(widths)
                    for c, w in wider.items():
                        trial[c] = w
                    saved = current - total(trial)  # lowering one row may lower others with it
                    value = saved / cost if cost else math.inf
                    if best is None or (value, heights[r]) > best[:2]:
                        best = (value, heights[r], wider)
                continue
            blocked.add(r)  # a cell that no width brings lower
        if best is None:
            break
        for c, w in best[2].items():
            widths[c] = w
        spare = available - sum(widths)
    if spare > 0:
        weights = [max(0.0, float(d)) for d in declared]
        total = sum(weights) or 1.0
        widths = [w + int(spare * d / total) for w, d in zip(widths, weights)]
    return widths
