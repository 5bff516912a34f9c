"""The output file of a batch: an ECSV table that grows by one chunk of rows at a time.

The first chunk is written with astropy (header with the column types and the batch settings
in the metadata); each later chunk appends its data lines in one ``write`` followed by
``fsync``, so an interrupted run leaves whole chunks (a torn last line, if the process died
inside a write, is cut off on resume). `open_output` reads what a previous run wrote and checks
that it was made with the same settings.
"""

from __future__ import annotations

import io
import os
from typing import Any

__all__ = ["append_chunk", "open_output", "read_output"]

_META_KEY = "stingray_jax_batch"


def _ecsv_text(table: Any) -> str:
    buf = io.StringIO()
    table.write(buf, format="ascii.ecsv")
    return buf.getvalue()


def _data_lines(text: str) -> str:
    """The data lines of an ECSV text (after the ``#`` header and the column-name line)."""
    lines = text.splitlines(keepends=True)
    k = 0
    while k < len(lines) and lines[k].startswith("#"):
        k += 1
    return "".join(lines[k + 1 :])


def _check_path(path: str) -> None:
    if not path.lower().endswith(".ecsv"):
        raise ValueError(
            f"the batch output file must be an ECSV table ending in '.ecsv' (rows are appended "
            f"as chunks finish), got {path!r}; convert the result with Table.write afterwards"
        )


def open_output(path: str, settings: dict, resume: bool, overwrite: bool) -> Any:
    """The rows a previous run wrote to ``path`` (an astropy Table), or None to start afresh.

    Raises
    ------
    FileExistsError
        ``path`` exists and neither ``resume`` nor ``overwrite`` is set.
    ValueError
        Resuming a file written with other settings (the differing settings are named), or
        a file that is not a batch table.
    """
    _check_path(path)
    if not os.path.exists(path):
        return None
    if overwrite and not resume:
        os.remove(path)
        return None
    if not resume:
        raise FileExistsError(
            f"{path!r} exists: pass resume=True (--resume) to continue the batch that wrote it, "
            f"or overwrite=True to start again"
        )
    with open(path, "rb+") as f:  # cut a line torn by an interruption inside a write
        data = f.read()
        if data and not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)
    try:
        table = read_output(path)
    except Exception as exc:
        raise ValueError(f"cannot resume from {path!r}: not a readable ECSV table ({exc})") from exc
    previous = table.meta.get(_META_KEY)
    if previous is None:
        raise ValueError(f"cannot resume from {path!r}: it was not written by a batch fit")
    differ = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
    if differ:
        details = ", ".join(f"{k}: {previous.get(k)!r} -> {settings.get(k)!r}" for k in differ)
        raise ValueError(
            f"cannot resume from {path!r}: it was written with other settings ({details}); "
            f"use another output file or overwrite=True"
        )
    return table


def read_output(path: str) -> Any:
    """The table in ``path``, with empty strings as written (ECSV reads them as masked)."""
    from astropy.table import Table

    table = Table.read(path, format="ascii.ecsv")
    for name in table.colnames:
        col = table[name]
        if col.dtype.kind in "US" and hasattr(col, "filled"):
            table[name] = col.filled("")
    return table


def append_chunk(path: str, chunk: Any, settings: dict) -> None:
    """Write the first chunk of ``path`` (with its header), or append a chunk's rows."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        chunk = chunk.copy(copy_data=False)
        chunk.meta[_META_KEY] = settings
        text = _ecsv_text(chunk)
    else:
        text = _data_lines(_ecsv_text(chunk))
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
