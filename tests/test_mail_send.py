"""xlkpi send and remind, delivered through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import email
import re
import sqlite3
import ssl
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage

import pytest
from click.testing import CliRunner

from tests.mailservers import certificate, smtp_server
from tests.test_collect import drop, filled
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.collect import ledger as L
from xlkpi.collect.run import collect
from xlkpi.common.messages import safe_file_name
from xlkpi.forms.generate import file_names, generate
from xlkpi.mail.send import remind, send
from xlkpi.problems import XlkpiError
from xlkpi.units.divisions import province_roster
from xlkpi.units.roster import Roster

USER, PASSWORD = "vanphong@laichau.gov.vn", "Mật-khẩu bí mật 2025!"
PASSWORD_ENV = "XLKPI_TEST_MAIL_PASSWORD"
NO_ADDRESS, TWO_ADDRESSES = "03405", "03394"


def address_of(code: str) -> str:
    return f"ubnd.{code}@laichau.gov.vn"


@pytest.fixture
def smtp():
    controller, server = smtp_server(USER, PASSWORD)
    try:
        yield server
    finally:
        controller.stop()


def mail_block(smtp_port: int, imap_port: int = 143, extra: str = "", smtp: str = "host: 127.0.0.1, security: none") -> str:
    return (f"mail:\n  address: {USER}\n  name: Văn phòng UBND tỉnh Lai Châu\n"
            f"  smtp: {{{smtp}, port: {smtp_port}, user: {USER}, password_env: {PASSWORD_ENV}}}\n"
            f"  imap: {{host: 127.0.0.1, port: {imap_port}, security: none, user: {USER}, password_env: {PASSWORD_ENV}}}\n"
            + extra)


def make_campaign(tmp_path, smtp_port: int, imap_port: int = 143, extra: str = "", user: str = USER,
                  smtp: str = "host: 127.0.0.1, security: none"):
    """Lai Châu's communes with e-mail addresses in the contact column (one unit has none, one has two
    among a name and a phone number), a deadline of 20/10/2025, workbooks generated."""
    units = []
    for unit in province_roster("lai chau").units:
        if unit.code == NO_ADDRESS:
            contact = "Chị Lan, 0912 345 678"
        elif unit.code == TWO_ADDRESSES:
            contact = f"Chị Lan, 0912 345 678; {address_of(unit.code)}, Van.Thu@LaiChau.gov.vn"
        else:
            contact = address_of(unit.code)
        units.append(dataclasses.replace(unit, contact=contact))
    Roster(units).write(tmp_path / "roster.csv")
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", roster=tmp_path / "roster.csv",
                  deadline="20/10/2025", send_to=user)
    with open(tmp_path / "c" / "campaign.yaml", "a", encoding="utf-8") as handle:
        handle.write(mail_block(smtp_port, imap_port, extra, smtp).replace(USER, user))
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1)
    return campaign


@pytest.fixture
def campaign(tmp_path, smtp, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return make_campaign(tmp_path, smtp.port)


def parsed(captured) -> EmailMessage:
    return email.message_from_bytes(captured.data, policy=policy.default)


def attachment(message: EmailMessage) -> tuple[str, bytes]:
    [part] = list(message.iter_attachments())
    return part.get_filename(), part.get_content()


def sent_rows(campaign):
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    try:
        return connection.execute("SELECT kind, unit, about, message_id, recipients, attachment_sha256 FROM mail_sent "
                                  "ORDER BY unit").fetchall()
    finally:
        connection.close()


def test_each_unit_gets_its_own_workbook_once(campaign, smtp):
    result = send(campaign)
    names = file_names(campaign.roster.units)
    reporting = [u for u in campaign.roster.units if u.code != NO_ADDRESS]
    assert len(result.sent) == len(smtp.messages) == len(reporting) == 37
    assert smtp.logins == [USER]
    by_unit = {}
    for captured in smtp.messages:
        message = parsed(captured)
        by_unit[message["X-Xlkpi-Unit"]] = (captured, message)
    for unit in reporting:
        captured, message = by_unit[unit.code]
        expected = [address_of(unit.code)] + (["van.thu@laichau.gov.vn"] if unit.code == TWO_ADDRESSES else [])
        assert captured.recipients == expected and captured.sender == USER
        name, data = attachment(message)
        assert name == names[unit.code]
        assert data == (campaign.outbox / names[unit.code]).read_bytes()
        # the subject is Vietnamese, encoded for transport (RFC 2047), and names the campaign and the unit
        assert message["Subject"] == f"[{campaign.id}] Đề nghị báo cáo Quý III năm 2025 — {unit.name}"
        raw_subject = re.search(rb"(?m)^Subject: (.*(?:\r\n[ \t].*)*)", captured.data).group(1)
        assert raw_subject.isascii() and b"=?utf-8?" in raw_subject.lower()
        body = message.get_body(("plain",)).get_content()
        assert f"Kính gửi: {unit.name}" in body and "20/10/2025" in body and "15/06/2025 đến 14/09/2025" in body
        assert str(message["From"]) == f"Văn phòng UBND tỉnh Lai Châu <{USER}>"
    # the unit without an address is named with its roster row, and nothing was sent to it
    [missing] = result.no_address
    assert missing.context["code"] == NO_ADDRESS and missing.row is not None and "Liên hệ" in missing.message_vi
    # every message is in the ledger with its Message-ID, recipients and the attachment's digest
    rows = sent_rows(campaign)
    assert len(rows) == 37 and {r[3] for r in rows} == {m.message_id for m in result.sent}
    # the same workbook is not sent twice …
    again = send(campaign)
    assert again.sent == [] and len(again.already) == 37 and len(smtp.messages) == 37
    # … unless asked, and only to the units asked for
    forced = send(campaign, units=["03388"], again=True)
    assert [m.unit.code for m in forced.sent] == ["03388"] and len(smtp.messages) == 38


def test_a_new_workbook_is_sent_and_a_refused_address_does_not_stop_the_others(tmp_path, smtp, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    campaign = make_campaign(tmp_path, smtp.port)
    roster = (campaign.directory / "roster.csv").read_text(encoding="utf-8-sig")
    (campaign.directory / "roster.csv").write_text(
        roster.replace(address_of("03388"), "khong.ton.tai@invalid.example"), encoding="utf-8-sig")
    campaign = open_campaign(campaign.directory)
    result = send(campaign, units=["03388", "03390", "03394"])
    assert [m.unit.code for m in result.sent] == ["03390", "03394"]
    [refused] = result.failed
    assert refused.code == "mail-refused" and "03388" in refused.message_vi and "550" in refused.message_vi
    # the refused unit is not recorded as sent, so the next run (address corrected) sends it
    assert [r[1] for r in sent_rows(campaign)] == ["03390", "03394"]


def test_dry_run_writes_the_messages_and_sends_nothing(campaign, smtp):
    runner = CliRunner()
    result = runner.invoke(cli, ["send", "--campaign", str(campaign.directory), "--dry-run", "--level", "xa"])
    assert result.exit_code == 1, result.output  # one unit has no address
    assert "Chạy thử" in result.output and NO_ADDRESS in result.output
    emls = sorted((campaign.outbox / "mail").glob("*.eml"))
    assert len(emls) == 37 and smtp.messages == [] and sent_rows(campaign) == []
    message = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    name, data = attachment(message)
    assert data == (campaign.outbox / name).read_bytes()
    assert message["Subject"].startswith(f"[{campaign.id}]")


def test_the_password_is_never_written_or_printed(campaign, smtp):
    runner = CliRunner()
    result = runner.invoke(cli, ["send", "--campaign", str(campaign.directory)])
    assert "37 thư" in result.output and PASSWORD not in result.output
    for path in campaign.directory.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_over_tls_with_the_offices_own_certificate_authority(tmp_path, monkeypatch, security):
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls = {"tls_context": context, "require_starttls": True} if security == "starttls" else {"ssl_context": context}
    controller, server = smtp_server(USER, PASSWORD, **tls)
    try:
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        campaign = make_campaign(tmp_path, server.port, smtp=f"host: localhost, security: {security}, ca_file: '{cert}'")
        result = send(campaign, units=["03388"])
        assert len(result.sent) == len(server.messages) == 1 and server.logins == [USER]
        # a certificate the system does not trust is refused, unless the campaign names its authority
        text = (campaign.directory / "campaign.yaml").read_text(encoding="utf-8").replace(f", ca_file: '{cert}'", "")
        (campaign.directory / "campaign.yaml").write_text(text, encoding="utf-8")
        with pytest.raises(XlkpiError) as caught:
            send(open_campaign(campaign.directory), again=True)
        assert caught.value.problems[0].code == "mail-connect-failed"
        assert "CERTIFICATE_VERIFY_FAILED" in caught.value.problems[0].message_vi
        assert len(server.messages) == 1
    finally:
        controller.stop()


def test_missing_or_wrong_password_is_explained(tmp_path, smtp, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    campaign = make_campaign(tmp_path, smtp.port)
    with pytest.raises(XlkpiError) as caught:
        send(campaign)
    assert caught.value.problems[0].code == "mail-password-missing"
    assert PASSWORD_ENV in caught.value.problems[0].message_vi
    monkeypatch.setenv(PASSWORD_ENV, "sai mật khẩu")
    with pytest.raises(XlkpiError) as caught:
        send(campaign)
    assert caught.value.problems[0].code == "mail-login-failed" and "sai mật khẩu" not in str(caught.value)
    assert smtp.messages == [] and sent_rows(campaign) == []


def test_a_campaign_without_a_mailbox_is_told_how_to_add_one(tmp_path):
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau")
    campaign = open_campaign(tmp_path / "c")
    assert "# mail:" in (tmp_path / "c" / "campaign.yaml").read_text(encoding="utf-8")
    with pytest.raises(XlkpiError) as caught:
        send(campaign)
    assert caught.value.problems[0].code == "mail-not-configured"
    assert caught.value.problems[0].file.endswith("campaign.yaml")


def test_templates_the_campaign_writes_with_a_vietnamese_attachment_name(tmp_path, smtp, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    extra = ("  templates:\n    send:\n      subject: 'Báo cáo {ky_bao_cao} của {ten_don_vi} (mã đợt {ma_dot})'\n"
             "      attachment: 'Biểu nhập liệu – {ten_don_vi}.xlsx'\n")
    campaign = make_campaign(tmp_path, smtp.port, extra=extra)
    send(campaign, units=["03388"])
    [captured] = smtp.messages
    message = parsed(captured)
    unit = campaign.roster.get("03388")
    assert message["Subject"] == f"Báo cáo Quý III năm 2025 của {unit.name} (mã đợt {campaign.id})"
    name, data = attachment(message)
    assert name == f"Biểu nhập liệu – {unit.name}.xlsx"
    assert re.search(rb"filename\*(0\*)?=utf-8''Bi%E1%BB%83u", captured.data)  # RFC 2231
    assert data == next(campaign.outbox.glob("03388_*.xlsx")).read_bytes()
    # a field the template does not know is refused before anything is sent, naming the key
    text = (campaign.directory / "campaign.yaml").read_text(encoding="utf-8").replace("của {ten_don_vi}", "của {don_vi}")
    (campaign.directory / "campaign.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(XlkpiError) as caught:
        send(open_campaign(campaign.directory), again=True)
    assert caught.value.problems[0].code == "mail-template-invalid"
    assert "mail.templates.send.subject" in caught.value.problems[0].message_vi
    assert "{don_vi}" in caught.value.problems[0].message_vi
    assert len(smtp.messages) == 1


def test_remind_the_missing_and_send_feedback_to_the_rejected(campaign, smtp):
    drop(campaign, "ok.xlsx", filled(campaign, "03388"))
    drop(campaign, "bad.xlsx", filled(campaign, "03390", changes={"F11": 900, "G11": 100}))
    collect(campaign, jobs=1)
    after_deadline = datetime(2025, 10, 23, 8, 0)
    result = remind(campaign, now=after_deadline)
    kinds = {m.unit.code: m.kind for m in result.sent}
    assert "03388" not in kinds and kinds["03390"] == "remind_rejected"
    assert sum(k == "remind_missing" for k in kinds.values()) == 35 and len(result.no_address) == 1
    messages = {parsed(c)["X-Xlkpi-Unit"]: parsed(c) for c in smtp.messages}
    # the rejected unit: its feedback copy attached, every problem in the body with its cell
    rejected = messages["03390"]
    name, data = attachment(rejected)
    assert data == (campaign.reports / "phan-hoi" / name).read_bytes()
    body = rejected.get_body(("plain",)).get_content()
    assert "ô F11" in body and "lớn hơn mẫu số" in body and "1 lỗi" in body
    # the whole subject survives encoding (Python's own folding loses the space at "III năm" here)
    assert rejected["Subject"] == f"[{campaign.id}] Báo cáo Quý III năm 2025 cần sửa và gửi lại — Xã Bình Lư"
    # a missing unit: reminded, told how late it is, its blank workbook attached again
    missing = messages["03408"]
    body = missing.get_body(("plain",)).get_content()
    assert "đã quá hạn 3 ngày" in body and "Nhắc báo cáo" in missing["Subject"]
    name, data = attachment(missing)
    assert data == (campaign.outbox / name).read_bytes()
    # once a day, and once per rejected file
    assert remind(campaign, now=after_deadline + timedelta(hours=2)).sent == []
    next_day = remind(campaign, now=after_deadline + timedelta(days=1))
    assert {m.kind for m in next_day.sent} == {"remind_missing"} and len(next_day.sent) == 35
    kinds_recorded = {r[0] for r in sent_rows(campaign)}
    assert kinds_recorded == {"remind_missing", "remind_rejected"}


def test_an_eml_saved_by_hand_is_read_with_the_time_it_arrived(tmp_path, monkeypatch):
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025")
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1)
    message = EmailMessage()
    message["From"] = "UBND phường Đoàn Kết <ubnd@doanket.laichau.gov.vn>"
    message["To"] = USER
    message["Subject"] = "Re: Báo cáo quý III"
    message["Date"] = "Tue, 14 Oct 2025 17:00:00 +0700"
    message["Message-ID"] = "<tra-loi-1@doanket.laichau.gov.vn>"
    message["Received"] = "from mx.laichau.gov.vn by mail.laichau.gov.vn; Wed, 15 Oct 2025 09:30:00 +0700"
    message.set_content("Gửi lại báo cáo.")
    message.add_attachment(filled(campaign, "03388"), maintype="application", subtype="octet-stream",
                           filename="Báo cáo quý III - phường Đoàn Kết.xlsx")
    drop(campaign, "thu tra loi.eml", message.as_bytes())
    result = collect(campaign, jobs=1)
    entry = next(u for u in result.status.units if u.unit.code == "03388")
    arrived = datetime(2025, 10, 15, 9, 30, tzinfo=timezone(timedelta(hours=7))).astimezone().replace(tzinfo=None)
    assert entry.state == "submitted" and entry.received_at == arrived.isoformat(sep=" ")
    assert entry.file == "inbox/thu tra loi.eml › Báo cáo quý III - phường Đoàn Kết.xlsx"
    states = {row.path: row.state for row in result.status.files}
    assert states["inbox/thu tra loi.eml"] == "ignored"


@pytest.mark.parametrize("name, expected", [
    ("Báo cáo quý III.xlsx", "Báo cáo quý III.xlsx"),
    ("..\\..\\windows\\system32\\evil.xlsx", "evil.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("CON.xlsx", "_CON.xlsx"),
    ("nul", "_nul"),
    ("COM1.tar.gz", "_COM1.tar.gz"),
    ("bao cao. . .", "bao cao"),
    ('a<b>c:"d|e?*.xlsx', "a_b_c__d_e__.xlsx"),
    ("tab\there\x00.xlsx", "tab_here_.xlsx"),
    ("", "tep-dinh-kem"),
    ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
])
def test_attachment_names_are_ones_every_system_accepts(name, expected):
    assert safe_file_name(name) == expected


class FakeKeyring:
    """The keyring package's two calls, over a dict (the system keyrings are not on a test machine)."""

    def __init__(self):
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service, name):
        return self.stored.get((service, name))

    def set_password(self, service, name, password):
        self.stored[(service, name)] = password


def test_the_password_from_the_system_keyring(tmp_path, smtp, monkeypatch):
    import sys

    keyring = FakeKeyring()
    monkeypatch.setitem(sys.modules, "keyring", keyring)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    campaign = make_campaign(tmp_path, smtp.port)
    # stored with `xlkpi mail password`: asked twice, never shown, never written to a file
    result = CliRunner().invoke(cli, ["mail", "password", "--campaign", str(campaign.directory), "--server", "smtp"],
                                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert keyring.stored == {("xlkpi", f"{USER}@127.0.0.1"): PASSWORD}
    assert PASSWORD not in result.output
    assert not any(PASSWORD.encode() in p.read_bytes() for p in campaign.directory.rglob("*") if p.is_file())
    assert len(send(campaign, units=["03388"]).sent) == 1 and smtp.logins == [USER]
