"""Mail as it comes (a real Dovecot on 127.0.0.1) and as send writes it: two messages sharing a Message-ID,
an attachment named with 200 Vietnamese letters, more attachments than are kept, a return forwarded five
times, a contact written with Vietnamese letters, templated attachment names in previews, a line break in a
header value. Nothing is lost, nothing goes to the wrong mailbox, nothing raises."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.test_collect import filled
from tests.test_mail_fetch import BEFORE_DEADLINE, append, mailbox, reply  # noqa: F401 — fixtures
from tests.test_mail_send import PASSWORD, PASSWORD_ENV, make_campaign
from xlkpi.campaign.folder import open_campaign
from xlkpi.collect.run import collect
from xlkpi.common.messages import MAX_ATTACHMENTS, addresses, safe_file_name
from xlkpi.mail.fetch import fetch
from xlkpi.mail.send import send
from xlkpi.problems import XlkpiError


def test_two_different_messages_with_one_message_id_are_both_fetched(mailbox):
    campaign, client, _ = mailbox
    same = "<bao-cao@laichau.gov.vn>"
    append(client, reply("a@x.vn", "Báo cáo", [("03388.xlsx", filled(campaign, "03388"))], same), BEFORE_DEADLINE)
    append(client, reply("b@x.vn", "Báo cáo", [("03390.xlsx", filled(campaign, "03390"))], same), BEFORE_DEADLINE)
    # and the first one stored again (another folder, a copy): fetched once
    append(client, reply("a@x.vn", "Báo cáo", [("03388.xlsx", filled(campaign, "03388"))], same), BEFORE_DEADLINE)
    result = fetch(campaign)
    assert sorted(f.name for f in result.saved) == ["03388.xlsx", "03390.xlsx"] and result.duplicates == 1
    accepted = {o.unit for o in collect(campaign, jobs=1).outcomes if o.verdict == "accepted"}
    assert accepted == {"03388", "03390"}


def test_a_long_vietnamese_attachment_name_is_saved_and_later_mail_still_comes(mailbox):
    campaign, client, _ = mailbox
    long_name = "Báo cáo kết quả thực hiện chỉ tiêu cải cách thủ tục hành chính " * 4 + "03388.xlsx"
    assert len(long_name) > 200 and len(long_name.encode("utf-8")) > 255
    append(client, reply("a@x.vn", "Báo cáo", [(long_name, filled(campaign, "03388"))], "<m1@x.vn>"),
           BEFORE_DEADLINE)
    append(client, reply("b@x.vn", "Báo cáo", [("03390.xlsx", filled(campaign, "03390"))], "<m2@x.vn>"),
           BEFORE_DEADLINE)
    result = fetch(campaign)
    assert not result.problems and len(result.saved) == 2
    assert all(len(f.path.name.encode("utf-8")) <= 255 for f in result.saved)
    assert {o.unit for o in collect(campaign, jobs=1).outcomes if o.verdict == "accepted"} == {"03388", "03390"}


def test_more_attachments_than_are_kept_is_said(mailbox):
    campaign, client, _ = mailbox
    files = [(f"ghi-chu-{n}.txt", b"x") for n in range(MAX_ATTACHMENTS + 20)]
    append(client, reply("a@x.vn", "Nhiều tệp", files, "<many@x.vn>"), BEFORE_DEADLINE)
    result = fetch(campaign)
    assert len(result.saved) == MAX_ATTACHMENTS
    [said] = result.problems
    assert said.code == "mail-attachments-left-out" and "20" in said.message_vi


def test_a_return_forwarded_five_times_keeps_its_attachment(mailbox):
    campaign, client, _ = mailbox
    message = reply("xa@x.vn", "Báo cáo", [("03388.xlsx", filled(campaign, "03388"))], "<m0@x.vn>")
    for level in range(5):
        outer = EmailMessage()
        outer["From"], outer["To"], outer["Subject"] = f"fw{level}@x.vn", "vanphong@laichau.gov.vn", "Fwd: Báo cáo"
        outer["Message-ID"] = f"<fw{level}@x.vn>"
        outer.set_content("Chuyển tiếp.")
        outer.add_attachment(message)
        message = outer
    append(client, message, BEFORE_DEADLINE)
    result = fetch(campaign)
    assert [f.name for f in result.saved] == ["03388.xlsx"]


@pytest.mark.parametrize("contact, expected", [
    ("nguyễn.văn.a@laichau.gov.vn", []),  # not "n.a@laichau.gov.vn": another person's mailbox
    ("Anh Văn <van.a@laichau.gov.vn>; 0912 345 678", ["van.a@laichau.gov.vn"]),
    ("vanthu@laichau.gov.vn, ketoan@laichau.gov.vn.", ["vanthu@laichau.gov.vn", "ketoan@laichau.gov.vn"]),
    ("ubnd-xã@laichau.gov.vn", []),
])
def test_an_address_is_taken_whole_or_not_at_all(contact, expected):
    assert addresses(contact) == expected


def test_a_name_of_200_vietnamese_letters_fits_every_file_system():
    name = safe_file_name("Báo cáo " * 40 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode("utf-8")) <= 180


def test_previews_with_one_templated_attachment_name_are_each_written(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    extra = "  templates:\n    send:\n      attachment: 'Biểu nhập liệu.xlsx'\n"
    campaign = make_campaign(tmp_path, 9, extra=extra)
    codes = [u.code for u in campaign.roster.units if addresses(u.contact)][:5]
    result = send(campaign, units=codes, dry_run=True)
    assert len(result.written) == 5 and len({p.name for p in result.written}) == 5
    assert all(p.exists() for p in result.written)


@pytest.mark.parametrize("field", ["name", "reply_to"])
def test_a_line_break_in_a_header_value_is_refused_at_its_line(tmp_path, monkeypatch, field):
    import re

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    campaign = make_campaign(tmp_path, 9)
    config = campaign.directory / "campaign.yaml"
    text = config.read_text(encoding="utf-8")
    hostile = '"Văn phòng\\r\\nBcc: ke-gian@x.vn"'
    if re.search(rf"^  {field}:", text, re.M):
        text = re.sub(rf"^  {field}:.*$", lambda _: f"  {field}: {hostile}", text, count=1, flags=re.M)
    else:
        text = re.sub(r"^mail:\n", lambda _: f"mail:\n  {field}: {hostile}\n", text, count=1, flags=re.M)
    config.write_text(text, encoding="utf-8")
    with pytest.raises(XlkpiError) as caught:
        open_campaign(campaign.directory)
    [found] = caught.value.problems
    assert found.file.endswith("campaign.yaml") and found.line and "một dòng" in found.message_vi


@pytest.mark.parametrize("sender", [
    "../../etc/passwdUBND =?utf-8?q?x=C3=A3?= 03390 <xa03390@laichau.gov.vn>",  # the standard parser fails
    '"', "\x1b]0;x\x07 <a@x.vn>",
])
def test_a_sender_header_the_standard_parser_fails_on_is_read_as_text(sender):
    """Python's own header parser raises AttributeError or IndexError on some From headers (found by
    tests/fuzz_mail.py): read as its raw text, never a stop of fetch or collect."""
    from xlkpi.common.messages import header_text, parse_message, sender_address

    raw = f"From: {sender}\r\nSubject: x\r\nMessage-ID: <a@b>\r\n\r\nbody".encode()
    message = parse_message(raw)
    assert isinstance(header_text(message, "From"), str) and isinstance(sender_address(message), str)
