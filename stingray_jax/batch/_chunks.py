"""Running a batch chunk by chunk: here, on a Dask cluster, or as one of several JAX processes.

`run_chunks` is the loop that `fit_observations` and `fit_lightcurves` share: it splits the
items that are still to do into chunks, has each chunk fitted by a chunk function (a picklable
function of picklable arguments, ``chunk_fn(indexed_items, model, options) -> Table``),
appends each chunk's rows to the output file as soon as they arrive, and returns the sorted
table. The chunks run one after the other in this process, or, given a ``dask.distributed``
``Client``, on its workers (``client.submit`` per chunk, rows written as chunks complete).
``share`` keeps only this process's part of the items (every ``count``-th item from
``index``), for runs with one process per host (``jax.distributed``); `read_results` joins the
files those processes write.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._output import append_chunk, open_output, read_output

__all__ = ["as_jax_model", "common_settings", "read_results", "resolve_share", "run_chunks"]


def as_jax_model(model: Any) -> Any:
    """The `stingray_jax.models.JaxModel` of an astropy model (a JaxModel as it is)."""
    from astropy.modeling import Model

    from ..models import JaxModel, from_astropy

    if isinstance(model, Model):
        return from_astropy(model)
    if isinstance(model, JaxModel):
        return model
    raise TypeError(f"model must be an astropy model or a JaxModel, got {type(model).__name__}")


def _describe(obj: Any) -> str:
    """A description of a prior or function that is the same in every run (no addresses)."""
    dist = getattr(obj, "dist", None)
    if dist is not None and hasattr(obj, "args"):  # a frozen scipy.stats distribution
        return f"scipy.stats.{dist.name}{tuple(obj.args)}{dict(getattr(obj, 'kwds', {}))}"
    if callable(obj) and hasattr(obj, "__qualname__"):
        name = f"callable {getattr(obj, '__module__', '')}.{obj.__qualname__}"
        code = getattr(obj, "__code__", None)
        if code is not None:  # two lambdas of the same name but other bodies differ
            import hashlib

            text = code.co_code + repr(code.co_consts).encode() + repr(code.co_names).encode()
            name += f" (code {hashlib.sha1(text).hexdigest()[:12]})"
        return name
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def common_settings(
    jm: Any, labels: Sequence[str], p0: Any, priors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The settings every batch stores with its output (checked on resume): the model's free
    parameters, starting values and bounds, the ``p0`` and ``priors`` arguments, and which
    items."""
    import hashlib

    if callable(p0):
        p0 = _describe(p0)
    elif p0 is not None:
        p0 = [float(v) for v in np.ravel(p0)]
    return dict(
        priors=None if priors is None else {k: _describe(v) for k, v in sorted(priors.items())},
        free_param_names=list(jm.free_param_names),
        model_p0=[float(v) for v in jm.p0],
        bounds=[[None if b is None else float(b) for b in pair] for pair in jm.bounds],
        p0=p0,
        n_items=len(labels),
        items_sha1=hashlib.sha1("\n".join(labels).encode()).hexdigest(),
    )


def resolve_share(share: Any) -> tuple[int, int] | None:
    """``None`` (all items), ``"jax"`` (this JAX process's share: ``(jax.process_index(),
    jax.process_count())``) or an explicit ``(index, count)`` with ``0 <= index < count``."""
    if share is None:
        return None
    if isinstance(share, str):
        if share != "jax":
            raise ValueError(f"share must be None, 'jax' or (index, count), got {share!r}")
        import jax

        return int(jax.process_index()), int(jax.process_count())
    try:
        index, count = (int(v) for v in share)
    except (TypeError, ValueError):
        raise ValueError(f"share must be None, 'jax' or (index, count), got {share!r}") from None
    if not 0 <= index < count:
        raise ValueError(f"share=(index, count) needs 0 <= index < count, got {share!r}")
    return index, count


def _sorted(table: Any, keys: Sequence[str]) -> Any:
    return table[np.lexsort(tuple(np.asarray(table[k]) for k in reversed(keys)))]


def run_chunks(
    chunk_fn: Callable[..., Any],
    items: Sequence[Any],
    model: Any,
    options: dict[str, Any],
    settings: dict[str, Any],
    *,
    sort_keys: Sequence[str],
    chunk_size: int,
    out: str | os.PathLike | None,
    resume: bool,
    overwrite: bool,
    progress: bool,
    client: Any = None,
    share: tuple[int, int] | None = None,
    what: str = "rows",
) -> Any:
    """Fit ``items`` chunk by chunk with ``chunk_fn`` and return all rows sorted by ``sort_keys``.

    The table's meta gets ``free_param_names`` and ``settings``; flagged rows (a non-empty
    ``problem``) are summarised in one ``RuntimeWarning`` that counts them as ``what``.

    ``settings`` (JSON-friendly) are stored with the output file and checked on resume; the
    rows of items already in the file are not fitted again. The result does not depend on
    ``chunk_size``, on ``client`` or on the order in which chunks complete.
    """
    from astropy.table import vstack

    todo = list(range(len(items)))
    if share is not None:
        todo = todo[share[0] :: share[1]]
    path = None if out is None else os.fspath(out)
    if path is not None:
        previous = open_output(path, settings, resume, overwrite)
        if previous is not None:
            done = {int(i) for i in previous["item"]}
            todo = [i for i in todo if i not in done]
    chunks = [
        [(i, items[i]) for i in todo[start : start + chunk_size]]
        for start in range(0, len(todo), chunk_size)
    ]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = len(todo) if share is None else len(range(len(items))[share[0] :: share[1]])
        bar = tqdm(total=total, initial=total - len(todo), unit="item")
    new_tables = []

    def finish(table, n_items):
        if path is not None:
            append_chunk(path, table, settings)
        new_tables.append(table)
        if bar is not None:
            bar.update(n_items)

    try:
        if client is None:
            for chunk in chunks:
                finish(chunk_fn(chunk, model, options), len(chunk))
        else:
            from distributed import as_completed

            sizes = {}
            futures = []
            for chunk in chunks:
                future = client.submit(chunk_fn, chunk, model, options, pure=False)
                sizes[future.key] = len(chunk)
                futures.append(future)
            for future in as_completed(futures):
                finish(future.result(), sizes[future.key])
                future.release()
    finally:
        if bar is not None:
            bar.close()

    if path is not None:
        result = read_output(path)
        result.meta.pop("stingray_jax_batch", None)
    elif new_tables:
        result = vstack(new_tables, metadata_conflicts="silent")
    else:
        raise ValueError("this process's share of the items is empty: nothing to fit")
    result = _sorted(result, sort_keys)
    result.meta["free_param_names"] = list(model.free_param_names)
    result.meta["settings"] = settings
    flagged = np.asarray(result["problem"]) != ""
    if np.any(flagged):
        import warnings

        first = int(np.flatnonzero(flagged)[0])
        warnings.warn(
            f"{int(flagged.sum())} of {len(result)} {what} could not be fitted (first: "
            f"{result['obs_id'][first]}: {result['problem'][first]}): they have "
            f"converged=False and the reason in the 'problem' column (NaN where no fit ran)",
            RuntimeWarning,
            stacklevel=3,
        )
    return result


def read_results(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> Any:
    """The table of a batch written to one or several output files, sorted by item.

    Use it to join the files that the processes of a multi-host run (``share="jax"``) write,
    or to read a finished (or interrupted) run's file. The files must come from the same
    batch (same settings); each item's rows must be in one file only.

    Examples
    --------
    >>> from stingray_jax.batch import read_results
    >>> table = read_results(["results_0.ecsv", "results_1.ecsv"])  # doctest: +SKIP
    """
    from astropy.table import vstack

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("read_results needs at least one file")
    tables, settings = [], None
    for path in paths:
        if not os.path.exists(path):
            raise OSError(f"no such file: {path!r}")
        table = read_output(os.fspath(path))
        these = dict(table.meta.pop("stingray_jax_batch", None) or {})
        these.pop("share", None)
        if settings is None:
            settings = these
        elif these != settings:
            diff = sorted(k for k in set(these) | set(settings) if these.get(k) != settings.get(k))
            raise ValueError(
                f"{path!r} was written by a batch with other settings than {paths[0]!r} "
                f"(they differ in {', '.join(diff)})"
            )
        tables.append(table)
    result = vstack(tables, metadata_conflicts="silent")
    owners: dict[int, str] = {}
    for path, table in zip(paths, tables):
        for i in {int(v) for v in table["item"]}:
            if i in owners:
                raise ValueError(f"item {i} is in both {owners[i]!r} and {path!r}")
            owners[i] = os.fspath(path)
    keys = ["item", "segment"] if "segment" in result.colnames else ["item"]
    result = _sorted(result, keys)
    result.meta["settings"] = settings
    return result
