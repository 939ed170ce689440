"""What Windows offices meet: legacy console code pages, the "spawn" start method through ``python -m
xlkpi``, drive letters and backslashes, file names Windows refuses, LibreOffice in Program Files."""

from __future__ import annotations

import ntpath
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlkpi.collect.run import ledger_path
from xlkpi.common.office import find_soffice, install_candidates
from xlkpi.forms.generate import file_names
from xlkpi.units.roster import Unit

ROOT = Path(__file__).resolve().parents[1]
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def run_cli(*args: str, encoding: str | None = None, env: dict | None = None, cwd: Path = ROOT):
    environment = {**os.environ, **(env or {})}
    if encoding:
        environment["PYTHONIOENCODING"] = encoding
    environment.pop("PYTHONUTF8", None)
    return subprocess.run([sys.executable, "-m", "xlkpi", *args], capture_output=True, cwd=cwd, env=environment,
                          timeout=300)


@pytest.mark.parametrize("encoding", ["cp1252", "cp437", "cp1258"])
def test_vietnamese_output_on_a_legacy_code_page(encoding):
    plans = run_cli("plans", encoding=encoding)
    assert plans.returncode == 0, plans.stderr.decode(encoding, "replace")
    text = plans.stdout.decode(encoding)
    assert "tam-duong-2025" in text and ("Tam Du" in text or "Tam Đ" in text)
    if encoding == "cp1258":  # the Vietnamese code page shows every letter, tones as combining marks
        import unicodedata

        assert "Tam Đường" in unicodedata.normalize("NFC", text)
    check = run_cli("plan", "check", "tests/data/broken-plan.yaml", encoding=encoding)
    assert check.returncode == 1 and b"Traceback" not in check.stderr
    assert "unknown-year" in check.stdout.decode(encoding)


def test_python_m_xlkpi_runs_its_workers_under_spawn(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("code,name,level\n" + "".join(f"X{i:03d},Xã {i},xa\n" for i in range(120)), encoding="utf-8")
    made = run_cli("init", str(tmp_path / "c"), "--plan", "lai-chau-2025", "--roster", str(roster), "--period",
                   "2025-Q3", "--deadline", "20/10/2025")
    assert made.returncode == 0, made.stderr
    generated = run_cli("generate", "--jobs", "2", "--campaign", str(tmp_path / "c"),
                        env={"XLKPI_START_METHOD": "spawn"})
    assert generated.returncode == 0, generated.stderr.decode()
    assert len(list((tmp_path / "c" / "outbox").glob("*.xlsx"))) == 120


def test_ledger_paths_from_windows_paths_use_forward_slashes():
    base = r"C:\Users\vanphong\Bao cao\lai-chau-q3"
    assert ledger_path(base + r"\inbox\email\03388.xlsx", base, ntpath) == "inbox/email/03388.xlsx"
    assert ledger_path(r"D:\Tai ve\03390.xlsx", base, ntpath) == "D:/Tai ve/03390.xlsx"
    assert ledger_path(r"C:\Users\vanphong\Tai ve\x.xlsx", base, ntpath) == "C:/Users/vanphong/Tai ve/x.xlsx"


def test_file_names_are_ones_windows_accepts():
    units = [Unit(code, name, "xa") for code, name in [
        ("CON", "CON"), ("NUL", "."), ("COM1", "Xã COM1 . "), ("AUX", "   "), ("03388", "Phường Đoàn Kết..."),
        ("X", "Tên rất dài " * 40), ("LPT1", "lpt1"), ("a.b", "Xã A/B\\C:D*E?F\"G<H>I|J"),
    ]]
    names = file_names(units)
    assert len(set(names.values())) == len(units)
    for name in names.values():
        stem = name[: -len(".xlsx")]
        assert name.isascii() and name.endswith(".xlsx") and len(name) <= 100
        assert stem.split(".")[0].lower() not in RESERVED
        assert not stem.endswith((".", " ")) and not any(c in name for c in '<>:"/\\|?*')


def test_libreoffice_is_found_where_its_installers_put_it(tmp_path):
    program = tmp_path / "LibreOffice" / "program" / "soffice.exe"
    program.parent.mkdir(parents=True)
    program.write_bytes(b"")
    found = find_soffice(platform="win32", environ={"ProgramFiles": str(tmp_path), "PATH": ""})
    assert found == str(program)
    assert find_soffice(platform="win32", environ={"PATH": "", "XLKPI_SOFFICE": str(program)}) == str(program)
    mac = install_candidates("darwin", {})
    assert Path("/Applications/LibreOffice.app/Contents/MacOS/soffice") in mac
