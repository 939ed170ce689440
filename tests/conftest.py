"""Shared fixtures."""

from __future__ import annotations

import os

import pytest

from xlkpi.common.office import find_soffice


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice, for the tests that need a real spreadsheet program.  Skipped with a reason when it is
    not installed locally; in CI (CI=true) its absence is a failure, never a skip."""
    program = find_soffice()
    if program is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    return program


@pytest.fixture(scope="session")
def uno_python(soffice) -> str:
    """The system Python with LibreOffice's UNO bridge (Debian python3-uno), to drive real LibreOffice."""
    import subprocess

    python = "/usr/bin/python3"
    found = os.path.exists(python) and subprocess.run([python, "-c", "import uno"], capture_output=True).returncode == 0
    if not found:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("python3-uno is required in CI: .ci/run installs it")
        pytest.skip("LibreOffice's Python bridge is not installed (apt-get install python3-uno)")
    return python


@pytest.fixture(scope="module")
def dovecot():
    """A real IMAP server (Dovecot on 127.0.0.1, a throwaway configuration) for the module's tests."""
    from tests.mailservers import start_dovecot, stop_dovecot

    server = start_dovecot()
    try:
        yield server
    finally:
        stop_dovecot(server)


@pytest.fixture(params=["spawn", "default"])
def start_method(request, monkeypatch):
    """Run a test with workers started by "spawn" (as on Windows) and by the system's default."""
    from xlkpi.common.workers import START_METHOD_VARIABLE

    if request.param == "default":
        monkeypatch.delenv(START_METHOD_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(START_METHOD_VARIABLE, request.param)
    return request.param
