"""Every example in examples/ runs as its README says, in a temporary copy, and gives what it shows."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.examples import EXAMPLES, ROOT, Session, console_blocks, copy_example


def test_every_example_folder_has_a_readme_vietnamese_first_and_is_linked_from_the_readmes():
    folders = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    assert folders == ["analysis", "import-appendix", "province-round", "signing", "web-page", "windows"]
    index = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    top = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in folders:
        text = (EXAMPLES / name / "README.md").read_text(encoding="utf-8")
        assert text.index("**Tiếng Việt.**") < text.index("**English.**"), name
        assert f"({name}/)" in index or f"({name})" in index, name
        assert f"examples/{name}" in top, name


def test_import_appendix(tmp_path):
    folder = copy_example("import-appendix", tmp_path)
    session = Session(folder)
    for block in console_blocks(folder / "README.md"):
        session.run_block(block)
    # what the README promises beyond the console: one form per division, each with the seven indicators
    forms = sorted((folder / "dot-quy-1" / "outbox").glob("*.xlsx"))
    assert [f.name for f in forms][:1] == ["sxd-htkt_phong-ha-tang-ky-thuat.xlsx"] and len(forms) == 6
    assert (folder / "dot-quy-1" / "outbox" / "sxd-vp_van-phong-so.xlsx").exists()
    sheet = openpyxl.load_workbook(forms[0])["Nhập liệu"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert sum(1 for t in texts if t.startswith("Tỷ lệ hồ sơ giải quyết quá hạn")) == 1
    assert any(t == "Không quá 2%" for t in texts) and any(t == "Ít nhất 03" for t in texts)


def test_the_example_appendix_documents_are_what_the_maker_writes():
    """The committed .docx and .xlsx are made by tools/make_examples.py (fixed dates): made again, the same
    table, so a change to one is a change to both."""
    from tools.make_examples import as_docx, as_xlsx

    for name, made in (("phu-luc-so-xay-dung.docx", as_docx()), ("phu-luc-so-xay-dung.xlsx", as_xlsx())):
        kept = (EXAMPLES / "import-appendix" / name).read_bytes()
        part = "word/document.xml" if name.endswith(".docx") else "xl/worksheets/sheet1.xml"
        assert zipfile.ZipFile(io.BytesIO(kept)).read(part) == zipfile.ZipFile(io.BytesIO(made)).read(part), name


def test_analysis(tmp_path):
    pytest.importorskip("matplotlib", reason="the analysis example needs matplotlib (pip install 'xlkpi[analysis]')")
    folder = copy_example("analysis", tmp_path)
    session = Session(folder)
    outputs = [session.run_block(block) for block in console_blocks(folder / "README.md")]
    chart = folder / "bieu-do-chi-tieu.png"
    assert chart.stat().st_size > 20_000
    # the figures it prints are the rolled-up ones
    import xlkpi

    total = xlkpi.rollup(folder / "xlkpi-demo" / "lai-chau", by="total")
    missed = total[total["judgement"] == "Chưa đạt"]
    printed = "\n".join(o for block in outputs for o in block)
    for row in missed.itertuples():
        value = f"{row.value:.2f}".replace(".", ",")
        assert re.search(rf"Chưa đạt: chỉ tiêu {row.number} — {value}%", printed), (row.number, printed)
    with open(chart, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


# -- a whole round by e-mail ------------------------------------------------------------------------------------

MAIL_PASSWORD_PLACEHOLDER = "mật khẩu hộp thư"
REPLIED = 44  # units that answer; one of them with a mistake; the rest do not answer before the appendix


def _with_test_servers(settings: Path, user: str, smtp_port: int, imap_port: int) -> None:
    """The example's settings, pointed at the servers the test started (its 2525 and 1143 may be taken) and at
    the mailbox Dovecot made; everything else as the office copies it."""
    text = settings.read_text(encoding="utf-8")
    text = text.replace("port: 2525", f"port: {smtp_port}").replace("port: 1143", f"port: {imap_port}")
    text = text.replace("user: vanphong@laichau.gov.vn", f"user: {user}")
    settings.write_text(text, encoding="utf-8")


def _units_reply(folder: Path, imap_port: int, user: str, password: str, delivered) -> None:
    """The units answer the messages send delivered, each with its filled workbook, before the deadline; the
    first unit's numerator is above its denominator."""
    import email
    import imaplib
    from datetime import datetime, timedelta, timezone
    from email import policy

    from tests.test_collect import good_values
    from tests.test_mail_fetch import append, reply
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.forms.fill import fill_workbook

    campaign = open_campaign(folder)
    arrived = datetime(2025, 10, 15, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    client = imaplib.IMAP4("127.0.0.1", imap_port)
    client.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())
    try:
        for number, captured in enumerate(delivered[:REPLIED]):
            message = email.message_from_bytes(captured.data, policy=policy.default)
            name = next(part.get_filename() for part in message.iter_attachments())
            code = name.split("_", 1)[0].upper()
            values = good_values(campaign, campaign.roster.get(code).code)
            if number == 0:  # a numerator above its denominator
                numerator = next(ref for ref in sorted(values) if ref.startswith("F") and isinstance(values[ref], int))
                values[numerator] = 10 ** 6
            data = fill_workbook((folder / "outbox" / name).read_bytes(), values,
                                 arrived.replace(tzinfo=None) - timedelta(hours=1))
            answer = reply(captured.recipients[0], "Re: " + str(message["Subject"]), [(name, data)],
                           f"<tra-loi-{number}@laichau.gov.vn>", sent=arrived)
            answer["In-Reply-To"] = message["Message-ID"]
            append(client, answer, arrived + timedelta(minutes=number))
    finally:
        client.logout()


def test_province_round(tmp_path, dovecot):
    from tests.mailservers import smtp_server

    user, password = dovecot.new_account()
    controller, smtp = smtp_server(user, password)
    try:
        folder = copy_example("province-round", tmp_path)
        _with_test_servers(folder / "thiet-lap.yaml", user, smtp.port, dovecot.port)
        session = Session(folder, replace={MAIL_PASSWORD_PLACEHOLDER: password})
        setup, returns = console_blocks(folder / "README.md")
        session.run_block(setup)
        assert len(smtp.messages) == 49 and smtp.logins == [user]
        _units_reply(folder / "dot-quy-3", dovecot.port, user, password, smtp.messages)
        session.run_block(returns)
    finally:
        controller.stop()
    round_folder = folder / "dot-quy-3"
    appendix = next((round_folder / "reports").glob("*phu-luc.xlsx"))
    texts = [str(c.value) for row in openpyxl.load_workbook(appendix).worksheets[0].iter_rows() for c in row
             if c.value is not None]
    # the settings file's signer, recipients and report number reach the appendix the leader signs
    assert "Nguyễn Văn An" in texts
    assert any("125/BC-UBND" in t for t in texts)
    assert any("Bộ Nội vụ (để báo cáo);" in t for t in texts)


def test_the_windows_scripts_are_written_as_cmd_and_powershell_read_them():
    bat = (EXAMPLES / "windows" / "chay-dot-bao-cao.bat").read_bytes()
    ps1 = (EXAMPLES / "windows" / "chay-dot-bao-cao.ps1").read_bytes()
    # cmd reads a .bat in the machine's code page: ASCII only; both with CRLF line ends (.gitattributes keeps them)
    assert bat.isascii() and b"\n" not in bat.replace(b"\r\n", b"")
    # Windows PowerShell 5.1 reads a file without a BOM as ANSI: the Vietnamese would be garbled
    assert ps1.startswith(b"\xef\xbb\xbf") and b"\n" not in ps1.replace(b"\r\n", b"")
    text = ps1.decode("utf-8-sig")
    assert "Có lỗi ở bước" in text
    # set up as README's Windows section says
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "py -m venv .venv" in readme and "py -m venv .venv" in bat.decode() and "py -m venv .venv" in text
    assert "pip install -e ." in bat.decode() and "pip install -e ." in text
    # the two scripts run the same commands
    from tests.examples import bat_sections, ps1_sections

    cmd, powershell = bat_sections(bat.decode()), ps1_sections(text)
    for first, second in (("mo_dot", "Mo-Dot"), ("tong_hop", "Tong-Hop")):
        assert [(s.command, s.exit) for s in cmd[first]] == [(s.command, s.exit) for s in powershell[second]]


@pytest.mark.parametrize("script", ["chay-dot-bao-cao.bat", "chay-dot-bao-cao.ps1"])
def test_windows(tmp_path, dovecot, soffice, script):
    """Every xlkpi line of the script, with its variables, against real mail servers; the PDF needs
    LibreOffice (the ``soffice`` fixture: skipped without it, a failure in CI)."""
    from tests.examples import bat_sections, ps1_sections
    from tests.mailservers import smtp_server

    text = (EXAMPLES / "windows" / script).read_bytes().decode("utf-8-sig")
    sections = bat_sections(text) if script.endswith(".bat") else ps1_sections(text)
    open_round, close_round = (sections["mo_dot"], sections["tong_hop"]) if script.endswith(".bat") else \
        (sections["Mo-Dot"], sections["Tong-Hop"])
    user, password = dovecot.new_account()
    controller, smtp = smtp_server(user, password)
    try:
        root = tmp_path / "xlkpi"
        copy_example("province-round", root / "examples")
        _with_test_servers(root / "examples" / "province-round" / "thiet-lap.yaml", user, smtp.port, dovecot.port)
        session = Session(root, env={"XLKPI_MAIL_PASSWORD": password})
        session.run_block(open_round)
        assert len(smtp.messages) == 49
        _units_reply(root / "dot-quy-3", dovecot.port, user, password, smtp.messages)
        session.run_block(close_round)
    finally:
        controller.stop()
    reports = root / "dot-quy-3" / "reports"
    assert (reports / "lai-chau-2025-2025-q3-phu-luc.xlsx").exists()
    assert (reports / "lai-chau-2025-2025-q3-phu-luc.pdf").read_bytes().startswith(b"%PDF")


def test_the_readme_runner_fails_when_a_command_or_its_output_drifts(tmp_path):
    from tests.examples import Step

    session = Session(tmp_path)
    session.run(Step("xlkpi plans", shown=["lai-chau-2025…", "…"]))
    with pytest.raises(AssertionError, match="the README shows"):
        session.run(Step("xlkpi plans", shown=["lai-chau-2024…"]))
    with pytest.raises(AssertionError, match="exit 2, expected 0"):
        session.run(Step("xlkpi plans --no-such-option"))
    with pytest.raises(AssertionError, match="cannot run"):
        session.run(Step("rm -rf /"))


def test_signing(tmp_path, soffice):
    """A test certificate made with openssl, the demo's appendix printed and signed in one run, verified."""
    from tests.pki import need

    need("openssl", "openssl")
    folder = copy_example("signing", tmp_path)
    session = Session(folder)
    for block in console_blocks(folder / "README.md"):
        session.run_block(block)
    signed = next((folder / "xlkpi-demo" / "lai-chau" / "reports").glob("*-phu-luc-da-ky.pdf"))
    assert b"/ByteRange" in signed.read_bytes()


def test_web_page(tmp_path):
    folder = copy_example("web-page", tmp_path)
    session = Session(folder)
    for block in console_blocks(folder / "README.md"):
        session.run_block(block)
    # the accounts work on the page the README then starts
    from starlette.testclient import TestClient

    from xlkpi.web.app import create_app

    browser = TestClient(create_app(folder / "xlkpi-demo" / "lai-chau"), follow_redirects=False)
    assert browser.post("/login", data={"username": "tranthib", "password": "mat-khau-van-phong-2025"}).status_code == 303
    assert "Chốt số liệu" in browser.get("/").text
