"""Outputs are written whole or not at all: a temporary file beside the target, renamed into place."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from xlkpi.common import files
from xlkpi.common.files import atomic_file, atomic_output, write_atomically
from xlkpi.problems import XlkpiError


def _left_over(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_atomically_writes_refuses_and_replaces(tmp_path):
    target = tmp_path / "sub" / "phiếu.xlsx"
    write_atomically(target, b"first")
    assert target.read_bytes() == b"first"
    if sys.platform != "win32":
        assert stat.S_IMODE(target.stat().st_mode) == 0o644  # readable by the office, like any saved file
    with pytest.raises(XlkpiError) as raised:
        write_atomically(target, b"second")
    assert raised.value.problems[0].code == "output-exists" and target.read_bytes() == b"first"
    write_atomically(target, b"second" * 100_000, force=True)
    assert target.read_bytes() == b"second" * 100_000
    assert _left_over(target.parent) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "phu-luc.xlsx"
    target.write_bytes(b"signed")

    def full_disk(handle, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "write", full_disk)
    with pytest.raises(XlkpiError) as raised:
        write_atomically(target, b"new", force=True)
    assert raised.value.problems[0].code == "output-unwritable" and str(target) in str(raised.value)
    assert target.read_bytes() == b"signed" and _left_over(tmp_path) == []


def test_short_writes_are_continued(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(files.os, "write", lambda handle, data: real_write(handle, bytes(data[:7])))
    write_atomically(tmp_path / "a.bin", bytes(range(256)) * 3)
    assert (tmp_path / "a.bin").read_bytes() == bytes(range(256)) * 3


def test_atomic_output_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "bao-cao.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(target, force=True) as temp:
            temp.write_bytes(b"half")
            raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"old" and _left_over(tmp_path) == []
    with atomic_output(target, force=True) as temp:
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and _left_over(tmp_path) == []


def test_atomic_file_is_written_in_pieces_and_replaces_only_when_whole(tmp_path):
    target = tmp_path / "phu-luc.xlsx"
    target.write_bytes(b"signed")
    with pytest.raises(RuntimeError):
        with atomic_file(target, force=True) as out:
            out.write(b"half of the rows")
            raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"signed" and _left_over(tmp_path) == []
    with pytest.raises(XlkpiError) as raised:
        with atomic_file(target) as out:
            out.write(b"new")
    assert raised.value.problems[0].code == "output-exists" and target.read_bytes() == b"signed"
    with atomic_file(target, force=True) as out:
        out.write(b"x" * 10)
        out.seek(2)
        out.write(b"head")  # a zip's header is completed after its member
        out.seek(0, os.SEEK_END)
        out.write(b"tail")
    assert target.read_bytes() == b"xxheadxxxxtail" and _left_over(tmp_path) == []
    if sys.platform != "win32":
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
