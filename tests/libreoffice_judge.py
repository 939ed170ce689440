"""Type entries into data-entry forms in LibreOffice Calc and read what the form then shows.

Runs under the system Python (``/usr/bin/python3``), where Debian's python3-uno is importable:

    /usr/bin/python3 tests/libreoffice_judge.py CASES.json OUT.json

CASES.json is ``{"password": …, "cases": [{"file": …, "values": {cell: value}, "read": [cell, …],
"probes": {cell: formula}}, …]}``. For each case one LibreOffice (started once for all) opens the file, types
the values into the "Nhập liệu" sheet (numbers as numbers, texts as texts), writes each probe formula
(spreadsheet syntax with commas, as a workbook stores it) into its cell after lifting the sheet's protection,
recalculates every formula, and records the text each read cell and probe shows. A case with "save" is then
saved there as .xlsx (or .ods) (the values typed, as LibreOffice writes them); nothing else is saved. OUT.json gets one
``{cell: shown text}`` per case.
"""

import json
import os
import sys

import uno

from uno_office import load, office_desktop, prop, type_values


def api_formula(formula):
    """A formula as a workbook stores it (arguments separated by commas) in the UNO API's grammar (by ';')."""
    out, quoted = [], False
    for char in formula:
        if char == '"':
            quoted = not quoted
        out.append(";" if char == "," and not quoted else char)
    return "".join(out)


def main(cases_file, out_file):
    with open(cases_file, encoding="utf-8") as handle:
        spec = json.load(handle)
    results = []
    with office_desktop() as desktop:
        for case in spec["cases"]:
            document = load(desktop, case["file"])
            sheet = document.Sheets.getByName("Nhập liệu")
            type_values(sheet, case["values"], document)
            if case.get("probes"):
                sheet.unprotect(spec["password"])
                for name, formula in case["probes"].items():
                    sheet.getCellRangeByName(name).setFormula(api_formula(formula))
            document.calculateAll()
            results.append({name: sheet.getCellRangeByName(name).getString()
                            for name in list(case["read"]) + list(case.get("probes", {}))})
            if case.get("save"):  # the workbook as LibreOffice saves it, for collect to read
                kind = "calc8" if case["save"].endswith(".ods") else "Calc MS Excel 2007 XML"
                document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(case["save"])), (prop("FilterName", kind),))
            document.close(True)
    with open(out_file, "w", encoding="utf-8") as handle:
        json.dump(results, handle, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
