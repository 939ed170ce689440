"""Driving LibreOffice (``soffice --headless --convert-to``) when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from xlkpi.problems import XlkpiError, problem


def find_soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
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
