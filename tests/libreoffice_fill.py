"""Fill a workbook as a person would in LibreOffice Calc, and save it in other formats.

Runs under the system Python (``/usr/bin/python3``), where Debian's python3-uno is importable:

    /usr/bin/python3 tests/libreoffice_fill.py IN.xlsx VALUES.json OUT_DIR FORMAT[,FORMAT…] [PASSWORD]

VALUES.json maps cell names of the "Nhập liệu" sheet to numbers or texts ({} to only recalculate every
formula); FORMAT is xlsx, ods, xls or pdf (printed after recalculating, in the locale of LANG). Writes OUT_DIR/<stem>.<format> for each format, through
LibreOffice's own filters, after recalculating the whole document.
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

FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8", "xls": "MS Excel 97", "pdf": "calc_pdf_Export"}


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def main(source, values_file, out_dir, formats, password=None):
    profile = tempfile.mkdtemp(prefix="xlkpi-uno-")
    pipe = f"xlkpi_{os.getpid()}"
    office = subprocess.Popen([
        shutil.which("soffice"), f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
        "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(source)), "_blank", 0,
                                                (prop("Hidden", True),))
        with open(values_file, encoding="utf-8") as handle:
            values = json.load(handle)
        sheet = document.Sheets.getByName("Nhập liệu") if values else None  # no values: recalculate only
        for name, value in values.items():
            cell = sheet.getCellRangeByName(name)
            if isinstance(value, (int, float)):
                cell.setValue(value)
            else:
                cell.setString(value)
        document.calculateAll()
        stem = os.path.splitext(os.path.basename(source))[0]
        for fmt in formats:
            target = os.path.abspath(os.path.join(out_dir, f"{stem}.{fmt}"))
            options = [prop("FilterName", FILTERS[fmt]), prop("Overwrite", True)]
            if password:
                options.append(prop("Password", password))
            document.storeToURL(uno.systemPathToFileUrl(target), tuple(options))
        document.close(True)
    finally:
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), sys.argv[5] if len(sys.argv) > 5 else None)
