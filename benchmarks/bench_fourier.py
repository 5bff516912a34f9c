"""Periodogram, batched periodogram and Lomb-Scargle benchmarks against Stingray/astropy/nifty-ls.

Run with ``python benchmarks/bench_fourier.py [a] [b] [c] [fft_sizes]`` (a, b, c by default).

(a) averaged power spectrum of 4 million events (16 s segments, dt = 1/4096 s):
    ``stingray_jax.AveragedPowerspectrum.from_events`` vs Stingray's.
(b) 256 light curves of 2**16 bins: ``avg_pds_batch`` with ``fft="xla"`` and ``fft="host"``
    (cold and warm, float64 and float32) vs a Python loop of Stingray's
    ``avg_pds_from_iterable``, interleaved; min and median ratios over the repeats.
(fft_sizes) warm ``fft="xla"`` / ``fft="host"`` time ratio against the batch size (the
    measurement behind the threshold of ``fft="auto"``).
(c) Lomb-Scargle, N = 3000, 10**5 frequencies: ``lomb_scargle`` (NUFFT path) vs astropy's fast
    method and nifty-ls (both NUFFTs at a tolerance of 1e-12, our float64 default; nifty-ls's
    own default is 1e-9); a batch of 100 series with different times vs a nifty-ls loop.
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


def _ratios(name, values):
    """Print the min and median of a list of ratios (or seconds) and return them."""
    lo, med = min(values), float(np.median(values))
    print(f"    {name}: min {lo:.3g}, median {med:.3g} (of {len(values)})")
    return lo, med


def bench_b(repeat=7, warm_calls=3):
    """(b) ``fft="xla"`` and ``fft="host"``, each cold and warm, interleaved with Stingray.

    Each repeat times the Stingray loop once, then for each FFT clears JAX's caches and times a
    first (cold, compilation included) call and the median of ``warm_calls`` further calls.
    Ratios are formed within a repeat, so that the machine's load drifts out of them.
    """
    from stingray import fourier as sf

    from stingray_jax.fourier import avg_pds_batch

    rng = np.random.default_rng(1)
    fluxes = rng.poisson(50.0, size=(256, 2**16)).astype(float)
    dt = 1 / 1024

    def loop():
        return [sf.avg_pds_from_iterable([row], dt, silent=True)["power"] for row in fluxes]

    ref3 = np.array(loop()[:3])
    with jax.enable_x64(True):
        x64 = jax.numpy.asarray(fluxes)
    inputs = {"float64": x64, "float32": jax.numpy.asarray(fluxes, dtype=np.float32)}
    for fft in ("xla", "host"):
        with jax.enable_x64(True):
            np.testing.assert_allclose(avg_pds_batch(x64, dt, fft=fft)[1][:3], ref3, 1e-10)
    times = {}  # (dtype, fft, "cold" | "warm") -> seconds per repeat
    ref = []
    for _ in range(repeat):
        ref.append(_time(loop, 1))
        for dtype, x in inputs.items():
            for fft in ("xla", "host"):
                jax.clear_caches()
                with jax.enable_x64(dtype == "float64"):
                    cold, warm = cold_and_warm(
                        lambda x=x, fft=fft: avg_pds_batch(x, dt, fft=fft)[1], repeat=warm_calls
                    )
                times.setdefault((dtype, fft, "cold"), []).append(cold)
                times.setdefault((dtype, fft, "warm"), []).append(warm)
    print(f"(b) 256 light curves x 2**16 bins, {repeat} interleaved repeats")
    _ratios("Stingray loop [ms]", [1e3 * t for t in ref])
    out = {}
    for dtype in inputs:
        for fft in ("xla", "host"):
            for kind in ("cold", "warm"):
                ts = times[dtype, fft, kind]
                print(f"  avg_pds_batch {dtype} fft={fft!r} {kind}")
                _ratios("time [ms]", [1e3 * t for t in ts])
                out[dtype, fft, kind] = _ratios(
                    "speed-up vs Stingray", [r / t for r, t in zip(ref, ts, strict=True)]
                )
        for kind in ("cold", "warm"):
            xla, host = times[dtype, "xla", kind], times[dtype, "host", kind]
            print(f"  {dtype} {kind}: xla time / host time")
            out[dtype, "xla/host", kind] = _ratios(
                "ratio", [a / b for a, b in zip(xla, host, strict=True)]
            )
    return out


def bench_fft_sizes(repeat=5):
    """Warm time of ``fft="xla"`` over ``fft="host"`` against the batch size (float64).

    The measurement behind ``stingray_jax.fourier._host_fft.HOST_FFT_MIN_SIZE``.
    """
    from stingray_jax.fourier import avg_pds_batch

    rng = np.random.default_rng(3)
    shapes = [(64, 2**12), (16, 2**14), (256, 2**12), (16, 2**16), (64, 2**14)]
    shapes += [(1024, 2**12), (64, 2**16), (256, 2**14), (128, 2**16), (512, 2**14)]
    shapes += [(256, 2**16), (1024, 2**14)]
    print("fft sizes: warm xla time / host time (> 1: host faster), float64 JAX input")
    for n_lc, n_bins in shapes:
        with jax.enable_x64(True):
            x = jax.numpy.asarray(rng.poisson(50.0, size=(n_lc, n_bins)).astype(float))
            calls = max(3, 2**22 // x.size)
            ratios = []
            for _ in range(repeat):
                t_xla = cold_and_warm(avg_pds_batch, x, 1e-3, fft="xla", repeat=calls)[1]
                t_host = cold_and_warm(avg_pds_batch, x, 1e-3, fft="host", repeat=calls)[1]
                ratios.append(t_xla / t_host)
        _ratios(f"{n_lc} x 2**{n_bins.bit_length() - 1} (2**{x.size.bit_length() - 1})", ratios)


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

    # the same NUFFT tolerance on both sides: ours defaults to 1e-12 in float64, nifty-ls to
    # 1e-9 (the powers then differ by ~2e-11 relative; at 1e-9 both are ~10% faster)
    kw_nifty = dict(kw, finufft_kwargs={"eps": 1e-12})

    def nifty():
        return nifty_ls.lombscargle(t, y, fmin=fmin, fmax=freq[-1], Nf=nf, **kw_nifty).power

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
            nifty_ls.lombscargle(tb[i], yb[i], fmin=fmin, fmax=freq[-1], Nf=nf, **kw_nifty).power
            for i in range(nb)
        ]

    nif_b = _time(nifty_loop, 3)
    print(f"(c) batch of {nb} series with different times")
    r3 = report("(c) lomb_scargle batch", cold_b, warm_b, nif_b, "nifty-ls loop")
    return r1, r2, r3


if __name__ == "__main__":
    which = sys.argv[1:] or ["a", "b", "c"]
    for name in which:
        {"a": bench_a, "b": bench_b, "c": bench_c, "fft_sizes": bench_fft_sizes}[name]()
