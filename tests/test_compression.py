"""The zip xlkpi writes by hand (stamped forms, the streamed appendix) is an ordinary zip."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from xlkpi.common.compression import ZipBuilder


def _build(stream: bool) -> bytes:
    buffer = io.BytesIO()
    archive = ZipBuilder(buffer, datetime(2025, 10, 20, 8, 30, 15))
    archive.add("[Content_Types].xml", b"<Types/>")
    if stream:
        archive.add_stream("xl/worksheets/sheet1.xml", (b"<row>%d</row>" % i for i in range(20_000)))
    else:
        archive.add("xl/worksheets/sheet1.xml", b"".join(b"<row>%d</row>" % i for i in range(20_000)))
    archive.add("tài liệu/ghi chú.txt", "Không phát sinh".encode())
    archive.add("empty.xml", b"")
    archive.finish()
    return buffer.getvalue()


def test_what_zip_builder_writes_zipfile_reads_back_exactly():
    data = _build(stream=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every member's CRC-32 checks
        assert archive.namelist() == ["[Content_Types].xml", "xl/worksheets/sheet1.xml", "tài liệu/ghi chú.txt",
                                      "empty.xml"]
        assert archive.read("xl/worksheets/sheet1.xml") == b"".join(b"<row>%d</row>" % i for i in range(20_000))
        assert archive.read("tài liệu/ghi chú.txt").decode() == "Không phát sinh"
        assert archive.getinfo("empty.xml").file_size == 0
        assert {info.date_time for info in archive.infolist()} == {(2025, 10, 20, 8, 30, 14)}  # 2-second steps
    assert data == _build(stream=True)  # the same members, the same bytes
    whole = zipfile.ZipFile(io.BytesIO(_build(stream=False)))
    assert whole.read("xl/worksheets/sheet1.xml") == zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


def test_zip_builder_refuses_what_needs_zip64():
    archive = ZipBuilder(io.BytesIO(), datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="4 GB"):
        archive.add_deflated("big.xml", 0, 0xFFFFFFFF, b"")


def test_zip_builder_streams_into_a_file_as_into_memory(tmp_path):
    path = tmp_path / "phu-luc.xlsx"
    with path.open("w+b") as out:
        archive = ZipBuilder(out, datetime(2025, 10, 20, 8, 30, 15))
        archive.add("[Content_Types].xml", b"<Types/>")
        archive.add_stream("xl/worksheets/sheet1.xml", (b"<row>%d</row>" % i for i in range(20_000)))
        archive.add("tài liệu/ghi chú.txt", "Không phát sinh".encode())
        archive.add("empty.xml", b"")
        archive.finish()
    assert path.read_bytes() == _build(stream=True)
