"""Writing outputs safely: to a temporary name in the same folder, then renamed into place."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from xlkpi.problems import XlkpiError, problem


def _temporary_beside(path: Path, force: bool) -> tuple[int, Path]:
    """A new, empty temporary file in ``path``'s folder, open for writing: (descriptor, its path)."""
    if path.exists() and not force:
        raise XlkpiError(problem("output-exists", file=str(path)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise XlkpiError(problem("output-unwritable", file=str(path), detail=exc.strerror or str(exc))) from exc
    return handle, Path(temp_name)


@contextmanager
def atomic_output(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    Refuses to replace an existing file unless ``force``.  On any error the temporary file is removed,
    so nothing half-written is ever left under the final name.  For content already in memory,
    :func:`write_atomically` is cheaper; to write it piece by piece, :func:`atomic_file`.
    """
    path = Path(path)
    handle, temp = _temporary_beside(path, force)
    os.close(handle)
    try:
        yield temp
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        raise XlkpiError(problem("output-unwritable", file=str(path), detail=exc.strerror or str(exc))) from exc
    finally:
        if temp.exists():
            temp.unlink()


def write_atomically(path: str | Path, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` as :func:`atomic_output` does, through the temporary file's own descriptor."""
    with _replacing(path, force) as handle:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]


@contextmanager
def atomic_file(path: str | Path, *, force: bool = False) -> Iterator[BinaryIO]:
    """Yield a temporary file beside ``path``, open for writing (and seeking); on success it is closed and
    replaces ``path`` in one rename, as with :func:`atomic_output`.  What is written goes to disk as it
    comes, so an output need never be held whole in memory."""
    with _replacing(path, force) as handle, open(handle, "w+b", closefd=False) as out:
        yield out


@contextmanager
def _replacing(path: str | Path, force: bool) -> Iterator[int]:
    """Yield the descriptor of a new temporary file beside ``path``; on success it is closed, made readable
    and renamed to ``path``; on any error it is removed.

    The file is written through the descriptor that created it: opening the temporary file a second time
    to write it truncates it, and ext4 (the usual Linux file system) then forces the file's blocks to disk
    when it is closed: writing the 3,321 forms of the nation so took three times as long, and as long
    again on a busy disk."""
    path = Path(path)
    handle, temp = _temporary_beside(path, force)
    try:
        try:
            yield handle
            if hasattr(os, "fchmod"):  # not on Windows, where the mode means only read-only or not
                os.fchmod(handle, 0o644)
        finally:
            os.close(handle)
        os.replace(temp, path)
    except OSError as exc:
        raise XlkpiError(problem("output-unwritable", file=str(path), detail=exc.strerror or str(exc))) from exc
    finally:
        if temp.exists():
            temp.unlink()


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
