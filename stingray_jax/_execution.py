"""How batched work is spread over JAX devices: shape buckets and ``jax.sharding``.

Every batched entry point that can use several devices goes through this module, so that one
code path serves one CPU, several (simulated) CPU devices and several GPUs:

- `bucket_size` rounds a batch up to a size from a short ladder, so batches of similar sizes
  share one compiled program (the padding rows repeat a real row and are discarded);
- `resolve_devices` turns the user's ``devices`` argument into a list of local devices;
- `run_rows` runs a batched computation over rows on those devices: one ``shard_map`` call
  when there are several, else equal parts in parallel threads on the one device;
- `sharded` wraps a function of batched arrays in ``jax.shard_map`` over a one-axis
  ``Mesh`` of those devices: each device runs the function on its own block of rows, and the
  results are what one device gives for the same rows (the per-row work is independent).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["bucket_size", "resolve_devices", "run_rows", "sharded"]

_AXIS = "batch"


def bucket_size(n: int, multiple: int = 1) -> int:
    """The padded size of a batch of ``n`` rows: a power of two up to 64, then a multiple of 64.

    The result is also a multiple of ``multiple`` (the number of devices), so the rows split
    evenly. Padding costs at most a factor of 2 for tiny batches and under 1/64 + 1/n beyond.
    """
    if n < 1:
        raise ValueError(f"a batch needs at least one row, got {n}")
    size = 1 << (n - 1).bit_length() if n <= 64 else -(-n // 64) * 64
    multiple = max(1, int(multiple))
    return -(-size // multiple) * multiple


def resolve_devices(devices: int | Sequence[Any] | None) -> list[Any]:
    """The local devices to use: ``None`` (all local devices of the default backend), a number
    (the first ``n`` of them) or a sequence of ``jax.Device`` objects."""
    import jax

    local = jax.local_devices()
    if devices is None:
        return list(local)
    if isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(local):
            raise ValueError(
                f"devices={devices}: this process has {len(local)} local JAX device(s) "
                f"({local[0].platform})"
            )
        return list(local[:devices])
    out = list(devices) if not isinstance(devices, (int, bool)) else []
    if not out or not all(isinstance(d, jax.Device) for d in out):
        raise TypeError("devices must be None, a positive int or a sequence of jax.Device objects")
    return out


@functools.cache
def _mesh(devices: tuple[Any, ...]) -> Any:
    import numpy as np
    from jax.sharding import Mesh

    return Mesh(np.array(devices, dtype=object), (_AXIS,))


def sharded(fn: Callable[..., Any], devices: Sequence[Any], batched: Sequence[bool]) -> Any:
    """``fn`` as a ``shard_map`` over ``devices``: the arguments flagged in ``batched`` are split
    along their leading axis (its length must be a multiple of ``len(devices)``), the others are
    replicated; every output is split along its leading axis. Not jitted (the caller jits)."""
    import jax
    from jax.sharding import PartitionSpec

    mesh = _mesh(tuple(devices))
    specs = tuple(PartitionSpec(_AXIS) if b else PartitionSpec() for b in batched)
    # check_vma=False: the solvers' while loops and conds mix per-device and replicated values,
    # which is what shard_map's type check refuses; every output is per-device anyway.
    return jax.shard_map(
        fn, mesh=mesh, in_specs=specs, out_specs=PartitionSpec(_AXIS), check_vma=False
    )


def run_rows(
    compute: Callable[[Any, int, bool], Any],
    n_rows: int,
    devices: Sequence[Any],
    n_workers: int | None = None,
) -> Any:
    """Run ``compute`` over ``n_rows`` independent rows and return its pytree of NumPy arrays.

    ``compute(idx, n_real, on_mesh)`` computes the rows ``idx`` (an index array padded to a
    `bucket_size` by repeating the last row, so that batches of similar sizes share one
    compiled program) and returns the first ``n_real`` rows of each output as NumPy arrays.
    With several ``devices`` it is called once with ``on_mesh=True`` (the caller's function is
    then a `sharded` one over ``devices``; the padded size splits evenly); with one device the
    rows are cut into ``n_workers`` equal parts (default: one per CPU core, see
    `stingray_jax.optimize.default_workers`) computed in parallel threads on that device with
    ``on_mesh=False``. The results do not depend on the split.
    """
    import jax
    import numpy as np

    from .optimize import default_workers, parallel_map

    devices = list(devices)
    if len(devices) > 1:
        idx = np.minimum(np.arange(bucket_size(n_rows, len(devices))), n_rows - 1)
        return compute(idx, n_rows, True)
    n_workers = default_workers() if n_workers is None else max(1, int(n_workers))
    size = bucket_size(-(-n_rows // max(1, min(n_workers, n_rows))))
    n_parts = -(-n_rows // size)

    def part(k):
        idx = np.minimum(np.arange(k * size, (k + 1) * size), n_rows - 1)
        with jax.default_device(devices[0]):
            return compute(idx, min(size, n_rows - k * size), False)

    parts = list(parallel_map(part, range(n_parts), n_workers))
    return jax.tree_util.tree_map(lambda *a: np.concatenate(a), *parts)
