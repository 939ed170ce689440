"""campaign.yaml as offices edit it: saved by Notepad in another encoding, a template or a period written
wrong — read, or refused naming the file, the key and the line; never a traceback, never a hang."""

from __future__ import annotations

import unicodedata

import pytest

from tests.test_mail_send import PASSWORD, PASSWORD_ENV, make_campaign
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.mail.send import send
from xlkpi.problems import XlkpiError

SIGNER = "Nguyễn Thị Hồng Nhung"


def windows_1258(text: str) -> bytes:
    """As Windows writes Vietnamese in its "ANSI" code page: a letter it has (ơ, ê, đ) and the tone mark
    after it as a combining character ("ợ" -> "ơ" + U+0323)."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        letter = parts[0] + "".join(mark for mark in parts[1:] if mark in "\u0302\u0306\u031b")  # â ă ơ …
        tones = "".join(mark for mark in parts[1:] if mark not in "\u0302\u0306\u031b")
        out += unicodedata.normalize("NFC", letter).encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


@pytest.fixture
def folder(tmp_path):
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau", signer_name=SIGNER)
    return tmp_path / "c"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1258", "utf-32"])
def test_a_campaign_file_saved_by_notepad_in_any_encoding_reads_the_same(folder, encoding):
    config = folder / "campaign.yaml"
    text = config.read_text(encoding="utf-8")
    if encoding == "cp1258":
        data = windows_1258(text)
    else:
        data = text.encode(encoding)
    config.write_bytes(data)
    campaign = open_campaign(folder)
    assert campaign.config.signer_name == SIGNER


def test_a_period_written_wrong_is_named_at_its_line(folder):
    config = folder / "campaign.yaml"
    lines = config.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("period:"))
    lines[at] = "period: quý năm 2025"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(XlkpiError) as caught:
        open_campaign(folder)
    [found] = caught.value.problems
    assert found.code == "period-invalid" and found.file == str(config) and found.line == at + 1


@pytest.mark.parametrize("template", ["{ma_dot:x>2000000000}", "{ma_dot!r}", "{ma_dot.__class__}", "{0}", "{"])
def test_a_template_that_formats_its_fields_is_refused_before_anything_is_sent(tmp_path, monkeypatch, template):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    campaign = make_campaign(tmp_path, 9, extra=f"  templates:\n    send:\n      subject: '{template}'\n")
    with pytest.raises(XlkpiError) as caught:
        send(campaign, units=["03388"])  # port 9: had it tried to send, the error would be another
    [found] = caught.value.problems
    assert found.code == "mail-template-invalid" and found.path == "mail.templates.send.subject"
    assert found.file.endswith("campaign.yaml")


@pytest.mark.parametrize("encoding, delimiter", [("utf-16", "\t"), ("cp1258", ","), ("utf-8-sig", ";")])
def test_a_roster_saved_as_unicode_text_or_ansi_reads_the_same(tmp_path, encoding, delimiter):
    """Excel's "Unicode Text" is UTF-16 with tabs; its "CSV" on a Vietnamese Windows is Windows-1258."""
    from xlkpi.units.roster import read_roster

    rows = [["code", "name", "level"], ["X1", "Xã Mường Tè", "xa"], ["X2", "Phường Đông Phong", "xa"]]
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    path = tmp_path / "dv.csv"
    path.write_bytes(windows_1258(text) if encoding == "cp1258" else text.encode(encoding))
    roster, report = read_roster(path)
    assert report.valid, [p.message_vi for p in report.problems]
    assert [(u.code, u.name) for u in roster.units] == [("X1", "Xã Mường Tè"), ("X2", "Phường Đông Phong")]


def test_a_name_that_looks_like_a_formula_is_written_inert_and_read_back_as_typed(tmp_path):
    """CSV injection: "=cmd|' /C calc'!A0" as a department's name opens in Excel as text, not a formula, and
    the roster read back holds the name as typed (a phone "+84 …" too)."""
    from click.testing import CliRunner

    from xlkpi.cli import cli
    from xlkpi.units.roster import read_roster

    hostile = "=cmd|' /C calc'!A0"
    out = tmp_path / "dv.csv"
    result = CliRunner().invoke(cli, ["roster", "from-divisions", "--province", "lai chau", "--departments",
                                      "--department", hostile, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert f",'{hostile}," in text.replace('"', "") or f"'{hostile}" in text
    assert not any(cell.startswith("=") for line in text.splitlines() for cell in line.split(","))
    roster, report = read_roster(out)
    assert hostile in [u.name for u in roster.units]
