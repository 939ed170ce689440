"""Returns inside what offices actually receive: an Outlook message saved from the mailbox (.msg), the
winmail.dat Outlook sends instead of attachments, a zip with a password, RAR and 7z archives, a flat ODS, an
ODS from another program (Gnumeric indents its XML), a return made large by a pasted screenshot. Each is read,
or refused with what the office should do; none is passed over as "not a spreadsheet" with exit 0."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

from click.testing import CliRunner

from tests.cfb import outlook_message, tnef
from tests.test_collect import campaign, drop, filled, run  # noqa: F401 — campaign is a fixture
from xlkpi.cli import cli


def outcomes(campaign):
    return {o.path: o for o in run(campaign).outcomes}


def test_an_outlook_message_saved_from_the_mailbox_is_opened_like_an_eml(campaign):
    data = outlook_message("ubnd.xa@laichau.gov.vn", "Báo cáo quý III",
                           [("Báo cáo 03388.xlsx", filled(campaign, "03388")), ("ghi chú.txt", b"Kinh gui")])
    drop(campaign, "thu/bao cao 03388.msg", data)
    found = outcomes(campaign)
    message = found["inbox/thu/bao cao 03388.msg"]
    assert message.verdict == "ignored" and "ubnd.xa@laichau.gov.vn" in message.note and "2 tệp" in message.note
    attached = found["inbox/thu/bao cao 03388.msg › Báo cáo 03388.xlsx"]
    assert attached.verdict == "accepted" and attached.unit == "03388"


def test_a_winmail_dat_is_opened(campaign):
    drop(campaign, "thu/winmail.dat", tnef([("03390.xlsx", filled(campaign, "03390"))]))
    found = outcomes(campaign)
    assert found["inbox/thu/winmail.dat › 03390.xlsx"].verdict == "accepted"
    assert "TNEF" in found["inbox/thu/winmail.dat"].note


def test_archives_xlkpi_does_not_open_are_refused_with_what_to_do(campaign):
    drop(campaign, "a.rar", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64)
    drop(campaign, "b.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 64)
    drop(campaign, "c.fods", b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document xmlns:office="urn:oasis:'
                             b'names:tc:opendocument:xmlns:office:1.0" office:mimetype="application/vnd.oasis.'
                             b'opendocument.spreadsheet"></office:document>')
    found = outcomes(campaign)
    for path, kind in (("inbox/a.rar", "RAR"), ("inbox/b.7z", "7z"), ("inbox/c.fods", ".fods")):
        [refused] = found[path].problems
        assert found[path].verdict == "rejected" and refused.code == "container-unsupported"
        assert kind in refused.message_vi and "Hãy" in refused.message_vi
    result = CliRunner().invoke(cli, ["collect", "--campaign", str(campaign.directory), "--jobs", "1"])
    assert result.exit_code == 1


def test_a_zip_with_a_password_is_refused_with_advice(campaign):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("03388.xlsx", filled(campaign, "03388"))
    data = bytearray(out.getvalue())
    for signature, offset in ((rb"PK\x03\x04", 6), (rb"PK\x01\x02", 8)):  # the encrypted flag, as 7-Zip sets it
        for match in re.finditer(signature, data):
            data[match.start() + offset] |= 1
    drop(campaign, "bao cao.zip", bytes(data))
    found = outcomes(campaign)["inbox/bao cao.zip"]
    assert found.verdict == "rejected"
    [refused] = found.problems
    assert refused.code == "bundle-member-encrypted" and refused.severity == "error" and "mật khẩu" in refused.message_vi


def with_picture(data: bytes, size: int) -> bytes:
    """The workbook with a picture of ``size`` bytes (incompressible, as a photo is) among its parts."""
    import random

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("xl/media/image1.png", random.Random(1).randbytes(size))
    return out.getvalue()


def test_a_return_made_large_by_a_pasted_screenshot_is_read(campaign):
    drop(campaign, "03388.xlsx", with_picture(filled(campaign, "03388"), 25 * 1024 * 1024))
    found = outcomes(campaign)["inbox/03388.xlsx"]
    assert found.verdict == "accepted", found.problems


def test_a_return_too_large_for_its_pictures_says_so(campaign):
    drop(campaign, "03388.xlsx", with_picture(filled(campaign, "03388"), 110 * 1024 * 1024))
    [refused] = outcomes(campaign)["inbox/03388.xlsx"].problems
    assert refused.code == "file-too-large-media" and "ảnh" in refused.message_vi


def test_an_ods_whose_xml_is_indented_reads_as_libreoffices(campaign, soffice, tmp_path):
    """Gnumeric (and XML tools) write content.xml indented; calamine refuses it, the XML path reads it."""
    source = tmp_path / "03388.xlsx"
    source.write_bytes(filled(campaign, "03388"))
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "ods",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    ods = zipfile.ZipFile(tmp_path / "03388.ods")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in ods.infolist():
            content = ods.read(info.filename)
            if info.filename == "content.xml":
                content = re.sub(rb">(<(?!/text:p|/text:span))", b">\n    \\1", content)
            target.writestr(info, content)
    drop(campaign, "03388 gnumeric.ods", out.getvalue())
    drop(campaign, "03388.ods", (tmp_path / "03388.ods").read_bytes())
    found = outcomes(campaign)
    plain, indented = found["inbox/03388.ods"], found["inbox/03388 gnumeric.ods"]
    assert indented.verdict == "accepted", indented.problems
    assert indented.values == plain.values
