"""Writing outputs safely: to a temporary name in the same folder, then renamed into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xlkpi.problems import XlkpiError, problem


@contextmanager
def atomic_output(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    Refuses to replace an existing file unless ``force``.  On any error the temporary file is removed,
    so nothing half-written is ever left under the final name.
    """
    path = Path(path)
    if path.exists() and not force:
        raise XlkpiError(problem("output-exists", file=str(path)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise XlkpiError(problem("output-unwritable", file=str(path), detail=exc.strerror or str(exc))) from exc
    temp = Path(temp_name)
    try:
        yield temp
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        raise XlkpiError(problem("output-unwritable", file=str(path), detail=exc.strerror or str(exc))) from exc
    finally:
        if temp.exists():
            temp.unlink()
