"""A private LibreOffice driven over UNO, for the helper scripts that run under the system Python
(``/usr/bin/python3``, where Debian's python3-uno is importable): ``libreoffice_fill.py`` and
``libreoffice_judge.py``."""

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


@contextmanager
def office_desktop():
    """A LibreOffice of its own (a throwaway profile, a pipe named for this process): its Desktop, to load
    documents with; the office is ended on leaving."""
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
        yield context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    finally:
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)


def load(desktop, path):
    return desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                        (prop("Hidden", True),))


def type_values(sheet, values, document=None):
    """Type each value into its cell as a person would: numbers as numbers, anything else as text, and
    ``{"percent": 95}`` as "95%" typed: LibreOffice (like Excel) stores 0.95 and gives the cell a percent
    format."""
    for name, value in values.items():
        cell = sheet.getCellRangeByName(name)
        if isinstance(value, dict):
            from com.sun.star.lang import Locale
            from com.sun.star.util.NumberFormat import PERCENT

            cell.setValue(value["percent"] / 100)
            cell.NumberFormat = document.NumberFormats.getStandardFormat(PERCENT, Locale())
        elif isinstance(value, (int, float)):
            cell.setValue(value)
        else:
            cell.setString(value)
