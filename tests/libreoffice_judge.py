"""Type entries into data-entry forms in LibreOffice Calc and read what the form then shows.

Runs under the system Python (``/usr/bin/python3``), where Debian's python3-uno is importable:

    /usr/bin/python3 tests/libreoffice_judge.py CASES.json OUT.json

CASES.json is ``{"password": …, "cases": [{"file": …, "values": {cell: value}, "read": [cell, …],
"probes": {cell: formula}}, …]}``. For each case one LibreOffice (started once for all) opens the file, types
the values into the "Nhập liệu" sheet (numbers as numbers, texts as texts), writes each probe formula
(spreadsheet syntax with commas, as a workbook stores it) into its cell after lifting the sheet's protection,
recalculates every formula, and records the text each read cell and probe shows. Nothing is saved. OUT.json
gets one ``{cell: shown text}`` per case.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


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
    profile = tempfile.mkdtemp(prefix="xlkpi-uno-")
    pipe = f"xlkpi_judge_{os.getpid()}"
    office = subprocess.Popen([
        shutil.which("soffice"), f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
        "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(200):
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        for case in spec["cases"]:
            url = uno.systemPathToFileUrl(os.path.abspath(case["file"]))
            document = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
            sheet = document.Sheets.getByName("Nhập liệu")
            for name, value in case["values"].items():
                cell = sheet.getCellRangeByName(name)
                if isinstance(value, (int, float)):
                    cell.setValue(value)
                else:
                    cell.setString(value)
            if case.get("probes"):
                sheet.unprotect(spec["password"])
                for name, formula in case["probes"].items():
                    sheet.getCellRangeByName(name).setFormula(api_formula(formula))
            document.calculateAll()
            shown = {name: sheet.getCellRangeByName(name).getString()
                     for name in list(case["read"]) + list(case.get("probes", {}))}
            results.append(shown)
            document.close(True)
    finally:
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)
    with open(out_file, "w", encoding="utf-8") as handle:
        json.dump(results, handle, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
