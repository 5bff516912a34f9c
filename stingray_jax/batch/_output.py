"""The output file of a batch: an ECSV or FITS table that grows by one chunk of rows at a time.

ECSV (``.ecsv``): the first chunk is written with astropy (header with the column types and the
batch settings in the metadata); each later chunk appends its data lines in one ``write``
followed by ``fsync``, so an interrupted run leaves whole chunks (a torn last line, if the
process died inside a write, is cut off on resume).

FITS (``.fits`` or ``.fit``; compressed ``.fits.gz`` is not supported): an empty primary HDU and
one binary-table extension named ``BATCH`` with the rows. The table's metadata (the batch
settings under ``"stingray_jax_batch"`` and ``"free_param_names"``) is stored as JSON in the
``BATCHMET`` keyword of that extension, a long string continued over ``CONTINUE`` cards (the
FITS 4.0 long-string convention, which astropy reads back whole). Strings are stored as UTF-8
bytes. A FITS file cannot grow in place, so each chunk rewrites it: the rows already there
plus the chunk's go to a temporary file in the same directory, which is fsynced and moved over
the old one with ``os.replace``; an interrupted run leaves the previous file (whole chunks,
never a torn file) and possibly a stale ``.<name>.*.tmp`` file beside it. The rewrite costs
time proportional to the rows written so far, which is small next to the fits.

`read_output` returns the same column names, dtypes and values for both formats (strings as
``str``, empty strings as ``""``; as in ECSV, trailing spaces of strings are not kept), and
`open_output` reads what a previous run wrote and checks that it was made with the same
settings.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from typing import Any

import numpy as np

__all__ = ["append_chunk", "open_output", "read_output"]

_META_KEY = "stingray_jax_batch"
_FITS_EXTNAME = "BATCH"
_FITS_META_CARD = "BATCHMET"
_SUFFIXES = {".ecsv": "ecsv", ".fits": "fits", ".fit": "fits"}


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


def _format(path: str) -> str:
    """``"ecsv"`` or ``"fits"`` from the file name; a ValueError naming the accepted ones."""
    fmt = _SUFFIXES.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise ValueError(
            f"the batch output file must be an ECSV table ('.ecsv') or a FITS table ('.fits' "
            f"or '.fit'; compressed '.fits.gz' is not supported), as rows are appended as "
            f"chunks finish; got {path!r}: convert the result with Table.write afterwards"
        )
    return fmt


def _json_roundtrip(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def open_output(path: str, settings: dict, resume: bool, overwrite: bool) -> Any:
    """The rows a previous run wrote to ``path`` (an astropy Table), or None to start afresh.

    Parameters
    ----------
    path : str
        The output file, ``.ecsv``, ``.fits`` or ``.fit``.
    settings : dict
        What determines the rows (JSON-serialisable values), compared with the file's.
    resume, overwrite : bool
        Continue an existing file, or delete it and start again.

    Returns
    -------
    table : astropy.table.Table or None
        The rows already written, with the settings in ``meta["stingray_jax_batch"]``.

    Raises
    ------
    FileExistsError
        ``path`` exists and neither ``resume`` nor ``overwrite`` is set.
    ValueError
        An unsupported file name (the accepted endings are named), resuming a file written
        with other settings (the differing settings are named), or a file that is not a batch
        table.
    """
    fmt = _format(path)
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
    if fmt == "ecsv":
        with open(path, "rb+") as f:  # cut a line torn by an interruption inside a write
            data = f.read()
            if data and not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)
    try:
        table = read_output(path)
    except Exception as exc:
        raise ValueError(
            f"cannot resume from {path!r}: not a readable {fmt.upper()} batch table ({exc})"
        ) from exc
    previous = table.meta.get(_META_KEY)
    if previous is None:
        raise ValueError(f"cannot resume from {path!r}: it was not written by a batch fit")
    if fmt == "fits":  # the file's settings went through JSON: compare like with like
        settings = _json_roundtrip(settings)
    differ = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
    if differ:
        details = ", ".join(f"{k}: {previous.get(k)!r} -> {settings.get(k)!r}" for k in differ)
        raise ValueError(
            f"cannot resume from {path!r}: it was written with other settings ({details}); "
            f"use another output file or overwrite=True"
        )
    return table


def read_output(path: str) -> Any:
    """The table in ``path`` (ECSV or FITS), with empty strings as written.

    Returns the same column names, dtypes (native byte order, strings as ``str``) and ``meta``
    for both formats. Raises ValueError for a FITS file without a batch table.
    """
    from astropy.table import Table

    if _format(path) == "fits":
        return _read_fits(path)
    table = Table.read(path, format="ascii.ecsv")
    for name in table.colnames:  # ECSV reads empty strings as masked
        col = table[name]
        if col.dtype.kind in "US" and hasattr(col, "filled"):
            table[name] = col.filled("")
    return table


def _read_fits(path: str) -> Any:
    from astropy.io import fits
    from astropy.table import Table

    with fits.open(path, memmap=False) as hdus:
        if _FITS_EXTNAME not in hdus:
            raise ValueError(
                f"{path!r} has no {_FITS_EXTNAME!r} table extension: it was not written by a "
                f"batch fit"
            )
        hdu = hdus[_FITS_EXTNAME]
        text = hdu.header.get(_FITS_META_CARD)
        data = Table(hdu.data, copy=True)
    table = Table()
    for name in data.colnames:
        col = np.asarray(data[name])
        if col.dtype.kind == "S":
            table[name] = np.array(np.char.decode(col, "utf-8"), dtype=str)
        else:
            table[name] = col.astype(col.dtype.newbyteorder("="))
    table.meta.update({} if text is None else json.loads(text))
    return table


def _write_fits(path: str, table: Any, meta: dict) -> None:
    """Write ``table`` to ``path`` atomically (temporary file, fsync, ``os.replace``)."""
    from astropy.io import fits
    from astropy.table import Table

    out = Table()
    for name in table.colnames:
        col = np.asarray(table[name])
        if col.dtype.kind in "UO":
            col = np.char.encode(col.astype(str), "utf-8")
        out[name] = col
    try:
        text = json.dumps(meta, ensure_ascii=True, allow_nan=True)
    except TypeError as exc:
        raise TypeError(f"the batch settings must be JSON-serialisable for FITS: {exc}") from exc
    hdu = fits.table_to_hdu(out)
    hdu.name = _FITS_EXTNAME
    hdu.header[_FITS_META_CARD] = (text, "table metadata (stingray_jax batch), JSON")
    folder = os.path.dirname(os.path.abspath(path))
    name = f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    tmp = os.path.join(folder, name)
    try:  # a new file (O_EXCL), with the permissions of any file the user creates (umask)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as f:
            fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable (POSIX; directories cannot be opened on Windows)
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def append_chunk(path: str, chunk: Any, settings: dict) -> None:
    """Write the first chunk of ``path`` (with the settings), or add a chunk's rows to it."""
    from astropy.table import vstack

    first = not os.path.exists(path) or os.path.getsize(path) == 0
    if _format(path) == "fits":
        if first:
            table, meta = chunk, {**chunk.meta, _META_KEY: settings}
        else:
            previous = read_output(path)
            table = vstack([previous, chunk], metadata_conflicts="silent")
            meta = dict(previous.meta)
        _write_fits(path, table, meta)
        return
    if first:
        chunk = chunk.copy(copy_data=False)
        chunk.meta[_META_KEY] = settings
        text = _ecsv_text(chunk)
    else:
        text = _data_lines(_ecsv_text(chunk))
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
