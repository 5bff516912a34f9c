"""Shared timing helpers for the benchmark scripts (not part of the package)."""

import statistics
import time


def block(x):
    """Wait for JAX arrays (any pytree) to be computed."""
    import jax

    return jax.block_until_ready(x)


def cold_and_warm(fn, *args, repeat=20, **kwargs):
    """Return (cold seconds, median warm seconds) of ``fn(*args, **kwargs)``.

    The cold time is the first call (it includes JAX tracing and compilation); the warm time is
    the median of ``repeat`` further calls.
    """
    t0 = time.perf_counter()
    block(fn(*args, **kwargs))
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        block(fn(*args, **kwargs))
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm)


def report(name, ours_cold, ours_warm, theirs_warm, theirs_name="Stingray"):
    """Print one comparison line and return the warm speed-up."""
    ratio = theirs_warm / ours_warm
    print(
        f"{name}: stingray_jax cold {ours_cold * 1e3:9.2f} ms, warm {ours_warm * 1e3:9.3f} ms | "
        f"{theirs_name} {theirs_warm * 1e3:9.3f} ms | speed-up (warm) x{ratio:.1f}"
    )
    return ratio
