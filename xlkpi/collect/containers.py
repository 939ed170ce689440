"""Containers of returns beyond .zip and .eml: Outlook's saved messages (.msg) and the winmail.dat (TNEF)
Outlook sends in place of attachments, opened in memory like a message; and the containers xlkpi does not
open (RAR, 7z, flat ODS), named so the office knows what to do — never passed over as "not a spreadsheet".

Untrusted input: sizes are bounded before anything is read, nothing is extracted to disk, and whatever a
library raises on a damaged container is that file's problem."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
MAX_ATTACHMENTS = 500
MAX_ATTACHED_BYTES = 200 * 1024 * 1024

#: containers xlkpi does not open: (what it is, what the office should do), by the content's first bytes
_UNSUPPORTED = (
    (b"Rar!\x1a\x07", "tệp nén RAR"),
    (b"7z\xbc\xaf\x27\x1c", "tệp nén 7z"),
)
ADVICE = ("giải nén bằng WinRAR hoặc 7-Zip rồi lưu các tệp .xlsx vào thư mục inbox/ (hoặc đề nghị đơn vị gửi "
          "tệp .xlsx hay tệp nén .zip)")


@dataclass
class Container:
    """What a container holds: its files (name, bytes) and, for a message, who sent it."""

    kind: str
    files: list[tuple[str, bytes]] = field(default_factory=list)
    sender: str = ""
    subject: str = ""
    #: files left out (beyond the limits), as a note for the office
    left_out: int = 0


def unsupported(data: bytes, name: str) -> tuple[str, str] | None:
    """(what it is, what to do) for a container or format xlkpi does not open, else None."""
    for magic, kind in _UNSUPPORTED:
        if data.startswith(magic):
            return kind, ADVICE
    head = data[:2048].lstrip()
    if head.startswith(b"<?xml") and b"office:document" in head and b"opendocument.spreadsheet" in head:
        return ("bảng tính OpenDocument phẳng (.fods)",
                "mở tệp bằng LibreOffice, lưu lại dưới dạng .ods hoặc .xlsx rồi lưu vào thư mục inbox/")
    return None


def is_container(data: bytes) -> bool:
    return data.startswith(TNEF_SIGNATURE) or (data.startswith(OLE_MAGIC) and
                                               "__substg1.0_".encode("utf-16-le") in data)


def open_container(data: bytes) -> Container:
    """The files of an Outlook message or a TNEF stream. Raises ValueError (or the library's own error) on
    a damaged one: the caller makes it the file's problem."""
    if data.startswith(TNEF_SIGNATURE):
        return _tnef(data)
    return _outlook_message(data)


def _tnef(data: bytes) -> Container:
    from tnefparse import TNEF

    found = Container("winmail.dat (TNEF)")
    parsed = TNEF(data, do_checksum=False)
    _add(found, [(attachment.long_filename() or "tep-dinh-kem", bytes(attachment.data))
                 for attachment in parsed.attachments])
    return found


def _outlook_message(data: bytes) -> Container:
    """An Outlook .msg (an OLE compound file): each attachment storage's data and long name, the sender and
    the subject (MS-OXMSG: properties as streams named __substg1.0_<tag><type>)."""
    import olefile

    found = Container("thư Outlook (.msg)")
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        def text(*parts: str) -> str:
            for tag in ("001F", "001E"):
                path = [*parts[:-1], parts[-1] + tag]
                if ole.exists("/".join(path)):
                    raw = ole.openstream(path).read(4096)
                    return raw.decode("utf-16-le" if tag == "001F" else "cp1252", "replace").rstrip("\x00")
            return ""

        found.sender = text("__substg1.0_0C1F") or text("__substg1.0_0065")
        found.subject = text("__substg1.0_0037")
        storages = sorted({entry[0] for entry in ole.listdir(streams=True, storages=True)
                           if entry and entry[0].startswith("__attach_version1.0_")})
        files: list[tuple[str, bytes]] = []
        total = 0
        for storage in storages:
            stream = [storage, "__substg1.0_37010102"]
            if not ole.exists("/".join(stream)):
                continue  # an embedded message or an OLE object: no file of its own
            size = ole.get_size("/".join(stream))
            total += size
            if total > MAX_ATTACHED_BYTES or len(files) >= MAX_ATTACHMENTS:
                found.left_out += 1
                continue
            name = text(storage, "__substg1.0_3707") or text(storage, "__substg1.0_3704") or "tep-dinh-kem"
            files.append((name, ole.openstream(stream).read(size + 1)[:size]))
        _add(found, files)
    return found


def _add(found: Container, files: list[tuple[str, bytes]]) -> None:
    total = 0
    for name, content in files:
        total += len(content)
        if len(found.files) >= MAX_ATTACHMENTS or total > MAX_ATTACHED_BYTES:
            found.left_out += 1
            continue
        found.files.append((name, content))
