"""xlkpi fetch from a real IMAP server (Dovecot on 127.0.0.1, started by the test with a throwaway
configuration), then collect: lateness follows the server's receipt time, nothing is fetched twice, and
the inbox files' bytes are the attachments'."""

from __future__ import annotations

import imaplib
import io
import os
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import openpyxl
import pytest
from click.testing import CliRunner

from tests.test_collect import filled
from tests.test_mail_send import PASSWORD_ENV, address_of, make_campaign
from xlkpi.cli import cli
from xlkpi.collect.run import collect
from xlkpi.mail.fetch import fetch, imap_utf7
from xlkpi.mail.send import send

VN = timezone(timedelta(hours=7))
BEFORE_DEADLINE = datetime(2025, 10, 17, 16, 45, tzinfo=VN)
AFTER_DEADLINE = datetime(2025, 10, 22, 8, 15, tzinfo=VN)
STRANGER = "thu.ky.ca.nhan@gmail.com"


@pytest.fixture
def mailbox(dovecot, tmp_path, monkeypatch):
    user, password = dovecot.new_account()
    monkeypatch.setenv(PASSWORD_ENV, password)
    campaign = make_campaign(tmp_path, smtp_port=25, imap_port=dovecot.port, user=user)
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())
    yield campaign, client, user
    client.logout()


def local(moment: datetime) -> str:
    return moment.astimezone().replace(tzinfo=None).isoformat(sep=" ")


def reply(sender: str, subject: str, files: list[tuple[str, bytes]], message_id: str,
          sent: datetime = BEFORE_DEADLINE) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "vanphong@laichau.gov.vn"
    message["Subject"] = subject
    message["Date"] = sent.strftime("%a, %d %b %Y %H:%M:%S %z")
    message["Message-ID"] = message_id
    message.set_content("Kính gửi Văn phòng, đơn vị gửi lại báo cáo.")
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message


def append(client: imaplib.IMAP4, message: EmailMessage | bytes, arrived: datetime) -> None:
    data = message if isinstance(message, bytes) else message.as_bytes()
    typ, said = client.append("INBOX", None, imaplib.Time2Internaldate(arrived), data)
    assert typ == "OK", said


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_fetch_saves_every_attachment_and_collect_dates_them_by_the_server(mailbox):
    campaign, client, _ = mailbox
    on_time = filled(campaign, "03388")
    late = filled(campaign, "03390")
    bundle = {"03394.xlsx": filled(campaign, "03394"), "03408.xlsx": filled(campaign, "03408")}
    forwarded_file = filled(campaign, "03424")
    big = os.urandom(20 * 1024 * 1024)

    first = reply(address_of("03388"), f"Re: [{campaign.id}] Đề nghị báo cáo Quý III năm 2025 — Phường Đoàn Kết",
                  [("Báo cáo quý III – phường Đoàn Kết.xlsx", on_time)], "<a1@doanket.laichau.gov.vn>")
    append(client, first, BEFORE_DEADLINE)
    append(client, first, BEFORE_DEADLINE + timedelta(minutes=5))  # the same message stored twice
    # written before the deadline (Date:), but the server received it after: late
    append(client, reply(address_of("03390"), "Báo cáo xã Bình Lư", [("Bình Lư.xlsx", late)],
                         "<b1@binhlu.laichau.gov.vn>", sent=BEFORE_DEADLINE), AFTER_DEADLINE)
    append(client, reply(address_of("03394"), "Gửi 2 báo cáo", [("hai-bao-cao.zip", zipped(bundle))],
                         "<c1@laichau.gov.vn>"), BEFORE_DEADLINE)
    inner = reply(address_of("03424"), "Báo cáo xã Bản Bo", [("ban-bo.xlsx", forwarded_file)], "<d1@banbo>")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = STRANGER, "vanphong@laichau.gov.vn", "Fwd: Báo cáo xã Bản Bo"
    outer["Message-ID"] = "<e1@gmail.com>"
    outer.set_content("Chuyển tiếp giúp xã Bản Bo.")
    outer.add_attachment(inner)  # message/rfc822
    append(client, outer, BEFORE_DEADLINE)
    append(client, reply(address_of("03430"), "Đã gửi báo cáo hôm qua", [], "<f1@khunha>"), BEFORE_DEADLINE)
    append(client, reply(address_of("03433"), "Tệp lớn", [("lon.xlsx", big)], "<g1@bumto>"), BEFORE_DEADLINE)

    result = fetch(campaign)
    assert result.messages == 7 and result.duplicates == 1
    assert [(s, t) for s, t, _ in result.without_attachment] == [(address_of("03430"), "Đã gửi báo cáo hôm qua")]
    assert result.unknown_senders == [STRANGER]
    saved = {f.name: f for f in result.saved}
    assert set(saved) == {"Báo cáo quý III – phường Đoàn Kết.xlsx", "Bình Lư.xlsx", "hai-bao-cao.zip",
                          "ban-bo.xlsx", "lon.xlsx"}
    # the inbox holds the attachments' bytes exactly, under the server's receipt time
    assert saved["Báo cáo quý III – phường Đoàn Kết.xlsx"].path.read_bytes() == on_time
    assert saved["Bình Lư.xlsx"].path.read_bytes() == late
    assert zipfile.ZipFile(saved["hai-bao-cao.zip"].path).read("03408.xlsx") == bundle["03408.xlsx"]
    assert saved["ban-bo.xlsx"].path.read_bytes() == forwarded_file
    assert saved["lon.xlsx"].path.read_bytes() == big
    assert all(f.path.parent == campaign.inbox / "mail" for f in result.saved)
    assert saved["Bình Lư.xlsx"].path.name.startswith(AFTER_DEADLINE.astimezone().strftime("%Y%m%d-%H%M%S"))
    assert saved["ban-bo.xlsx"].sender == STRANGER and not saved["ban-bo.xlsx"].known_sender

    # a second fetch takes nothing
    again = fetch(campaign)
    assert again.messages == 0 and again.saved == [] and again.duplicates == 0

    # collect: lateness follows the server's receipt time, not the files' times in the inbox (today)
    collected = collect(campaign, jobs=1)
    states = {u.unit.code: u for u in collected.status.units}
    assert states["03388"].state == "submitted" and states["03388"].received_at == local(BEFORE_DEADLINE)
    assert states["03390"].state == "late" and states["03390"].received_at == local(AFTER_DEADLINE)
    assert states["03394"].state == states["03408"].state == states["03424"].state == "submitted"
    assert states["03433"].state == "missing"  # its 20 MB attachment is no workbook
    rejected = [o for o in collected.outcomes if o.verdict == "rejected"]
    assert [(o.path.rsplit("_", 1)[-1], o.problems[0].code) for o in rejected] == [("lon.xlsx", "not-a-spreadsheet")]
    # the collection report says where each fetched file came from, and flags the stranger
    book = openpyxl.load_workbook(collected.report_path)
    notes = {row[0]: row[4] for row in book["Tệp"].iter_rows(min_row=2, values_only=True)}
    forwarded = next(v for k, v in notes.items() if k.endswith("ban-bo.xlsx"))
    assert STRANGER in forwarded and "KHÔNG CÓ TRONG DANH SÁCH" in forwarded
    bundled = next(v for k, v in notes.items() if k.endswith("03408.xlsx"))
    assert address_of("03394") in bundled and "KHÔNG CÓ" not in bundled


def test_only_the_campaigns_mail_and_messages_since_a_date(mailbox):
    campaign, client, user = mailbox
    append(client, reply("ai.do@example.com", "Quảng cáo", [("bang-gia.xlsx", b"not ours")], "<z1@example.com>"),
           BEFORE_DEADLINE)
    append(client, reply(address_of("03388"), f"Re: [{campaign.id}] báo cáo", [("x.xlsx", filled(campaign, "03388"))],
                         "<a2@doanket>"), BEFORE_DEADLINE)
    append(client, reply(address_of("03390"), "Trả lời", [("y.xlsx", filled(campaign, "03390"))], "<b2@binhlu>"),
           BEFORE_DEADLINE - timedelta(days=30))
    result = fetch(campaign, only_campaign=True)
    assert result.other_mail == 2 and [f.name for f in result.saved] == ["x.xlsx"]
    result = fetch(campaign, since=(BEFORE_DEADLINE - timedelta(days=3)).date())
    assert [f.name for f in result.saved] == ["bang-gia.xlsx"]  # the old reply is before the date


def test_a_reply_to_what_send_sent_is_recognised_by_its_references(mailbox, monkeypatch):
    campaign, client, _ = mailbox
    sent = send(campaign, units=["03388"], dry_run=True)
    [eml] = sent.written
    # a real send records the Message-ID; the dry run's message stands for it here
    import sqlite3

    from email import message_from_bytes, policy

    message_id = str(message_from_bytes(eml.read_bytes(), policy=policy.default)["Message-ID"]).strip()
    connection = sqlite3.connect(campaign.directory / "ledger.sqlite")
    connection.execute("INSERT INTO mail_sent (kind, unit, about, message_id, sent_at, recipients, subject) "
                       "VALUES ('send', '03388', 'x', ?, '2025-10-01 08:00:00', 'a', 's')", (message_id,))
    connection.commit()
    connection.close()
    answer = reply(address_of("03388"), "Re: báo cáo", [("z.xlsx", filled(campaign, "03388"))], "<r1@doanket>")
    answer["In-Reply-To"] = message_id
    append(client, answer, BEFORE_DEADLINE)
    result = fetch(campaign, only_campaign=True)
    assert [f.name for f in result.saved] == ["z.xlsx"]


def test_the_cli_tells_what_it_fetched(mailbox):
    campaign, client, _ = mailbox
    append(client, reply(STRANGER, "Báo cáo", [("CON.xlsx", filled(campaign, "03388"))], "<s1@gmail.com>"),
           BEFORE_DEADLINE)
    result = CliRunner().invoke(cli, ["fetch", "--campaign", str(campaign.directory)])
    assert result.exit_code == 0, result.output
    assert "1 thư mới, 1 tệp đính kèm" in result.output and "_CON.xlsx" in result.output
    assert "người gửi không có trong danh sách đơn vị" in result.output
    assert "xlkpi collect" in result.output


def test_a_wrong_password_or_folder_is_explained(mailbox, monkeypatch):
    campaign, _, user = mailbox
    result = CliRunner().invoke(cli, ["fetch", "--campaign", str(campaign.directory), "--folder", "Hộp thư đến"])
    assert result.exit_code == 1 and "Hộp thư đến" in result.output
    # once the folder exists (its name in IMAP's modified UTF-7), it is read
    client = mailbox[1]
    assert client.create('"' + imap_utf7("Hộp thư đến") + '"')[0] == "OK"
    append_to = client.append('"' + imap_utf7("Hộp thư đến") + '"', None, imaplib.Time2Internaldate(BEFORE_DEADLINE),
                              reply(address_of("03388"), "x", [("f.xlsx", b"abc")], "<h1@x>").as_bytes())
    assert append_to[0] == "OK"
    result = CliRunner().invoke(cli, ["fetch", "--campaign", str(campaign.directory), "--folder", "Hộp thư đến"])
    assert result.exit_code == 0 and "1 thư mới, 1 tệp đính kèm" in result.output, result.output
    monkeypatch.setenv(PASSWORD_ENV, "sai")
    result = CliRunner().invoke(cli, ["fetch", "--campaign", str(campaign.directory)])
    assert result.exit_code == 1 and "không chấp nhận đăng nhập" in result.output and user in result.output


def test_folder_names_in_modified_utf7():
    assert imap_utf7("INBOX") == "INBOX"
    assert imap_utf7("A&B") == "A&-B"
    assert imap_utf7("Hộp thư đến") == "H&Htk-p th&AbA- &AREevw-n"
