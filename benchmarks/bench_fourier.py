"""Periodogram, batched periodogram and Lomb-Scargle benchmarks against Stingray/astropy/nifty-ls.

Run with ``python benchmarks/bench_fourier.py [a] [b] [c]`` (all three by default).

(a) averaged power spectrum of 4 million events (16 s segments, dt = 1/4096 s):
    ``stingray_jax.AveragedPowerspectrum.from_events`` vs Stingray's.
(b) 256 light curves of 2**16 bins: ``avg_pds_batch`` vs a Python loop of Stingray's
    ``avg_pds_from_iterable``.
(c) Lomb-Scargle, N = 3000, 10**5 frequencies: ``lomb_scargle`` (NUFFT path) vs astropy's fast
    method and nifty-ls; a batch of 100 series with different times vs a nifty-ls loop.
"""

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))

import jax
import numpy as np
from _timing import block, cold_and_warm, report

warnings.simplefilter("ignore")


def _time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        block(fn())
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_a(repeat=3):
    import stingray
    from stingray import EventList

    import stingray_jax

    rng = np.random.default_rng(0)
    tseg, nseg = 16.0, 64
    times = np.sort(rng.uniform(0, tseg * nseg, 4_000_000)) + 3e8
    ev = EventList(times, gti=[[3e8, 3e8 + tseg * nseg]])
    dt = 1 / 4096

    def ours():
        return stingray_jax.AveragedPowerspectrum.from_events(ev, dt=dt, segment_size=tseg).power

    def theirs():
        return stingray.AveragedPowerspectrum.from_events(
            ev, dt=dt, segment_size=tseg, silent=True
        ).power

    cold, warm = cold_and_warm(ours, repeat=repeat)
    ref = _time(theirs, repeat)
    np.testing.assert_allclose(ours(), theirs(), rtol=1e-10)
    print(f"(a) 4e6 events, {nseg} segments of {int(tseg / dt)} bins")
    return report("(a) AveragedPowerspectrum.from_events", cold, warm, ref)


def bench_b(repeat=5):
    from stingray import fourier as sf

    from stingray_jax.fourier import avg_pds_batch

    rng = np.random.default_rng(1)
    fluxes = rng.poisson(50.0, size=(256, 2**16)).astype(float)
    dt = 1 / 1024

    def loop():
        return [sf.avg_pds_from_iterable([row], dt, silent=True)["power"] for row in fluxes]

    ref = _time(loop, repeat)
    with jax.enable_x64(True):
        x64 = jax.numpy.asarray(fluxes)
        cold, warm = cold_and_warm(lambda: avg_pds_batch(x64, dt)[1], repeat=repeat)
        np.testing.assert_allclose(avg_pds_batch(x64, dt)[1][:3], np.array(loop()[:3]), 1e-10)
    print("(b) 256 light curves x 2**16 bins")
    r64 = report("(b) avg_pds_batch float64", cold, warm, ref, "Stingray loop")
    x32 = jax.numpy.asarray(fluxes, dtype=np.float32)
    cold, warm = cold_and_warm(lambda: avg_pds_batch(x32, dt)[1], repeat=repeat)
    r32 = report("(b) avg_pds_batch float32", cold, warm, ref, "Stingray loop")
    return r64, r32


def bench_c(repeat=15):
    import nifty_ls
    from astropy.timeseries import LombScargle

    from stingray_jax.fourier import lomb_scargle

    rng = np.random.default_rng(2)
    n, nf = 3000, 100_000
    t = np.sort(rng.uniform(0, 1000, n))
    y = np.sin(2 * np.pi * 0.37 * t) + rng.normal(size=n)
    fmin, df = 1e-3, 1e-4
    freq = fmin + df * np.arange(nf)
    kw = {"fit_mean": True, "center_data": True}

    with jax.enable_x64(True):
        tj, yj = jax.numpy.asarray(t), jax.numpy.asarray(y)

        def ours():
            return lomb_scargle(tj, yj, freq, method="nufft", **kw)

        cold, warm = cold_and_warm(ours, repeat=repeat)
        p_ours = np.asarray(ours())
    astro = _time(lambda: LombScargle(t, y, **kw).power(freq, method="fast"), repeat)

    def nifty():
        return nifty_ls.lombscargle(t, y, fmin=fmin, fmax=freq[-1], Nf=nf, **kw).power

    nif = _time(nifty, repeat)
    np.testing.assert_allclose(p_ours, nifty(), rtol=1e-6, atol=1e-9)
    print(f"(c) Lomb-Scargle N={n}, {nf} frequencies")
    r1 = report("(c) lomb_scargle nufft", cold, warm, astro, "astropy fast")
    r2 = report("(c) lomb_scargle nufft", cold, warm, nif, "nifty-ls")

    nb = 100
    tb = np.sort(rng.uniform(0, 1000, (nb, n)), axis=1)
    yb = np.sin(2 * np.pi * 0.37 * tb) + rng.normal(size=(nb, n))
    with jax.enable_x64(True):
        tbj, ybj = jax.numpy.asarray(tb), jax.numpy.asarray(yb)
        cold_b, warm_b = cold_and_warm(
            lambda: lomb_scargle(tbj, ybj, freq, method="nufft", **kw), repeat=3
        )

    def nifty_loop():
        return [
            nifty_ls.lombscargle(tb[i], yb[i], fmin=fmin, fmax=freq[-1], Nf=nf, **kw).power
            for i in range(nb)
        ]

    nif_b = _time(nifty_loop, 3)
    print(f"(c) batch of {nb} series with different times")
    r3 = report("(c) lomb_scargle batch", cold_b, warm_b, nif_b, "nifty-ls loop")
    return r1, r2, r3


if __name__ == "__main__":
    which = sys.argv[1:] or ["a", "b", "c"]
    for name in which:
        {"a": bench_a, "b": bench_b, "c": bench_c}[name]()
