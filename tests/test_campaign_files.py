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


STANDING = """\
# Thiết lập chung của Văn phòng (dùng cho mọi đợt)
owner: ỦY BAN NHÂN DÂN TỈNH LAI CHÂU
send_to: vanphong@laichau.gov.vn
signer_name: Nguyễn Văn An
deadline: 20/10/2025
recipients:
  - Như trên;
  - Bộ Nội vụ (để b/c);
  - "Lưu: VT, CCHC."
mail:
  address: vanphong@laichau.gov.vn
  smtp: {host: 127.0.0.1, port: 2525, security: none, user: vanphong@laichau.gov.vn}
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1258"])
def test_an_office_keeps_its_standing_settings_in_one_file_for_every_round(tmp_path, encoding):
    settings = tmp_path / "thiet-lap.yaml"
    settings.write_bytes(windows_1258(STANDING) if encoding == "cp1258" else STANDING.encode(encoding))
    init_campaign(tmp_path / "q3", plan="lai-chau-2025", period="2025-Q3", province="lai chau", settings=settings)
    # what the command line gives wins over the file
    init_campaign(tmp_path / "q4", plan="lai-chau-2025", period="2025-Q4", province="lai chau", settings=settings,
                  deadline="20/12/2025", signer_name=SIGNER)
    q3, q4 = open_campaign(tmp_path / "q3").config, open_campaign(tmp_path / "q4").config
    assert (q3.signer_name, str(q3.deadline), q3.send_to) == ("Nguyễn Văn An", "2025-10-20", "vanphong@laichau.gov.vn")
    assert q3.recipients == ("Như trên;", "Bộ Nội vụ (để b/c);", "Lưu: VT, CCHC.")
    assert q3.mail is not None and q3.mail.smtp.port == 2525 and q3.mail.address == "vanphong@laichau.gov.vn"
    assert (q4.signer_name, str(q4.deadline), q4.recipients) == (SIGNER, "2025-12-20", q3.recipients)


@pytest.mark.parametrize("line, key, words", [
    ("signer: Nguyễn Văn An", "signer", "signer_name"),  # a key misspelt: the right ones are listed
    ("deadline: 31/02/2025", "deadline", "ngày có thật"),
    ("send_to: \"a@b.vn\\r\\nBcc: x@y.vn\"", "send_to", "một dòng"),
    ("mail: {address: a@b.vn, smtp: {host: h, port: 99999}}", "mail.smtp.port", "65535"),
])
def test_a_settings_file_written_wrong_is_named_at_its_line_and_nothing_is_made(tmp_path, line, key, words):
    settings = tmp_path / "thiet-lap.yaml"
    settings.write_text("owner: Văn phòng\n" + line + "\n", encoding="utf-8")
    with pytest.raises(XlkpiError) as caught:
        init_campaign(tmp_path / "q3", plan="lai-chau-2025", period="2025-Q3", province="lai chau", settings=settings)
    [found] = caught.value.problems
    assert found.file == str(settings) and found.line == 2 and found.path == key, found
    assert words in found.message_vi
    assert not (tmp_path / "q3").exists()
