"""Driving LibreOffice (``soffice --headless --convert-to``) when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from xlkpi.problems import XlkpiError, problem


SOFFICE_VARIABLE = "XLKPI_SOFFICE"


def install_candidates(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Where LibreOffice installs itself when it is not on the PATH (as on Windows and macOS)."""
    if platform == "win32":
        roots = [environ.get(name) for name in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")]
        if environ.get("LOCALAPPDATA"):
            roots.append(str(Path(environ["LOCALAPPDATA"]) / "Programs"))
        roots += [r"C:\Program Files", r"C:\Program Files (x86)"]
        return [Path(root) / "LibreOffice" / "program" / "soffice.exe" for root in dict.fromkeys(r for r in roots if r)]
    if platform == "darwin":
        return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
                Path.home() / "Applications/LibreOffice.app/Contents/MacOS/soffice"]
    return [Path("/usr/lib/libreoffice/program/soffice"), Path("/opt/libreoffice/program/soffice"),
            Path("/snap/bin/libreoffice")]


def find_soffice(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> str | None:
    """The LibreOffice program, or None when it is not installed: ``XLKPI_SOFFICE``, then the PATH, then the
    folders LibreOffice's installers use on Windows, macOS and Linux."""
    chosen = environ.get(SOFFICE_VARIABLE)
    if chosen and Path(chosen).is_file():
        return chosen
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    for candidate in install_candidates(platform, environ):
        if candidate.is_file():
            return str(candidate)
    return None


def convert(source: str | Path, to: str, out_dir: str | Path, timeout: float = 120) -> Path:
    """Convert ``source`` with LibreOffice (``to``: "pdf", "xlsx", "ods", "xls" or a full filter spec).

    A private user profile is used for each call, so conversions may run side by side and never touch
    the user's own LibreOffice settings.
    """
    program = find_soffice()
    if program is None:
        raise XlkpiError(problem("libreoffice-missing", file=str(source)))
    source, out_dir = Path(source), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlkpi-lo-") as profile:
        command = [
            program,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(out_dir),
            str(source),
        ]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                       env={**os.environ, "HOME": profile})
        except subprocess.TimeoutExpired as exc:
            raise XlkpiError(problem("libreoffice-failed", file=str(source), detail="hết thời gian chờ")) from exc
    extension = to.split(":", 1)[0]
    target = out_dir / f"{source.stem}.{extension}"
    if completed.returncode != 0 or not target.exists():
        detail = (completed.stderr or completed.stdout or f"mã thoát {completed.returncode}").strip()[:300]
        raise XlkpiError(problem("libreoffice-failed", file=str(source), detail=detail))
    return target
