"""Fill a workbook as a person would in LibreOffice Calc, and save it in other formats.

Runs under the system Python (``/usr/bin/python3``), where Debian's python3-uno is importable:

    /usr/bin/python3 tests/libreoffice_fill.py IN.xlsx VALUES.json OUT_DIR FORMAT[,FORMAT…] [PASSWORD]

VALUES.json maps cell names of the "Nhập liệu" sheet to numbers or texts ({} to only recalculate every
formula); FORMAT is xlsx, ods, xls or pdf (printed after recalculating, in the locale of LANG). Writes OUT_DIR/<stem>.<format> for each format, through
LibreOffice's own filters, after recalculating the whole document.
"""

import json
import os
import sys

import uno

from uno_office import load, office_desktop, prop, type_values

FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8", "xls": "MS Excel 97", "pdf": "calc_pdf_Export"}


def main(source, values_file, out_dir, formats, password=None):
    with open(values_file, encoding="utf-8") as handle:
        values = json.load(handle)
    with office_desktop() as desktop:
        document = load(desktop, source)
        if values:  # no values: recalculate only
            type_values(document.Sheets.getByName("Nhập liệu"), values)
        document.calculateAll()
        stem = os.path.splitext(os.path.basename(source))[0]
        for fmt in formats:
            target = os.path.abspath(os.path.join(out_dir, f"{stem}.{fmt}"))
            options = [prop("FilterName", FILTERS[fmt]), prop("Overwrite", True)]
            if password:
                options.append(prop("Password", password))
            document.storeToURL(uno.systemPathToFileUrl(target), tuple(options))
        document.close(True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), sys.argv[5] if len(sys.argv) > 5 else None)
