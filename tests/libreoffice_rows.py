"""Ask LibreOffice Calc which rows are too short for what they hold.

Runs under the system Python (``/usr/bin/python3``), where Debian's python3-uno is importable:

    /usr/bin/python3 tests/libreoffice_rows.py WORKBOOK OUT.json SHEET [SHEET…]

For each used row of each sheet named, LibreOffice computes the row's optimal height (the height that shows
every line of every cell's wrapped text; merged cells do not count) and compares it with the row's height as
the workbook sets it. OUT.json gets ``[[sheet, row (1-based), height, needed], …]`` for the rows whose text
needs more room than they have (heights in points).
"""

import json
import sys

from uno_office import load, office_desktop

HUNDREDTHS_MM_PER_POINT = 2540 / 72


def main(source, out_file, sheets):
    short = []
    with office_desktop() as desktop:
        document = load(desktop, source)
        for name in sheets:
            sheet = document.Sheets.getByName(name)
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            last = cursor.getRangeAddress().EndRow
            rows = sheet.getRows()
            for index in range(last + 1):
                row = rows.getByIndex(index)
                height = row.Height
                row.OptimalHeight = True
                needed = row.Height
                if needed > height + 30:  # more than 0.3 mm (about a point) short
                    short.append([name, index + 1, round(height / HUNDREDTHS_MM_PER_POINT, 1),
                                  round(needed / HUNDREDTHS_MM_PER_POINT, 1)])
        document.close(True)
    with open(out_file, "w", encoding="utf-8") as handle:
        json.dump(short, handle, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
