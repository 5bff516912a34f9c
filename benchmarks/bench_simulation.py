"""Emmanoulopoulos simulation: accuracy of ``simulate_emmanoulopoulos``, and DELightcurveSimulation.

Seed-free statistics over many realisations (the two codes draw different random numbers, so
only statistics can be compared):

- the averaged periodogram over the input PSD in four equal-width frequency bands (one free
  scale, the Nyquist bin left out), for the default ``output="flux"`` and, for ours, the
  ``output="psd"`` series;
- the KS distance of each realisation's fluxes to the target distribution (median, and the
  fraction of realisations with p < 0.05: about 0.05 for exact draws);
- iterations to convergence (ours) and the time per realisation.

The reference is the published code of Connolly (2015), ``DELCgen.py`` of
https://github.com/samconnolly/DELightcurveSimulation. Give the path of a checkout (a bare git
clone, or the file itself) with ``--delcgen``; without it that part is skipped with a message.
The file is Python 2: it is read from the checkout and two mechanical changes are made in
memory before it runs (``print x`` statements become ``print(x)`` calls, and ``a/2`` becomes
``a//2`` where an integer is meant: array sizes and ``range`` bounds); the checkout is not
modified and none of its code is part of this package. Its ``EmmanLC`` is called as
``Simulate_DE_Lightcurve`` calls it, with its default ``RedNoiseL=100`` (change it with
``--red-noise``; ``RedNoiseL=1`` fails in that code: its Timmer & Koenig series then has
``n + 1`` bins) and ``maxIterations=1000``.

Usage::

    python benchmarks/bench_simulation.py
    python benchmarks/bench_simulation.py --delcgen /path/to/DELightcurveSimulation
    python benchmarks/bench_simulation.py --n-bins 64 128 256 512 1024 2048 --cases all
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time
import types
import warnings

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--delcgen", default=None, help="DELightcurveSimulation checkout or DELCgen.py")
parser.add_argument("--n-real", type=int, default=1000, help="realisations per case")
parser.add_argument("--n-bins", type=int, nargs="+", default=[128, 1024])
parser.add_argument("--cases", default="default", help="'default', 'all' or a comma list")
parser.add_argument("--red-noise", type=int, default=100, help="the reference's RedNoiseL")
parser.add_argument("--n-iter", type=int, default=1000, help="maximum iterations (both codes)")
args = parser.parse_args()

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")  # DELCgen imports pylab
sys.path.insert(0, os.path.dirname(__file__))
warnings.simplefilter("ignore")

import jax
import numpy as np
from scipy import stats

from stingray_jax.fourier import (
    gamma_distribution,
    lognormal_distribution,
    simulate_emmanoulopoulos,
)

PSDS = {
    "lorentzian": lambda f: 1.0 / (1.0 + (f / 0.1) ** 2),  # break at 0.1 / dt, flat below
    "f^-1": lambda f: f**-1.0,
    "f^-2": lambda f: f**-2.0,
}
#: (our sampler, scipy distribution with DELCgen's (shape, loc, scale) parameters)
DISTS = {
    "lognormal(0.5)": (lognormal_distribution(0.5, scale=5.0), stats.lognorm, (0.5, 0.0, 5.0)),
    "lognormal(1.0)": (lognormal_distribution(1.0, scale=5.0), stats.lognorm, (1.0, 0.0, 5.0)),
    "gamma(2)": (gamma_distribution(2.0, scale=3.0), stats.gamma, (2.0, 0.0, 3.0)),
}
DEFAULT = [("lorentzian", "lognormal(0.5)"), ("lorentzian", "gamma(2)"), ("f^-1", "lognormal(1.0)")]


def band_ratios(x, psd, n_bands=4):
    """Averaged periodogram / PSD (one free scale) in ``n_bands`` equal-width bands."""
    f = np.fft.rfftfreq(x.shape[1], 1.0)[1:-1]
    p = np.abs(np.fft.rfft(x - x.mean(axis=1, keepdims=True), axis=1)[:, 1:-1]) ** 2
    r = p.mean(0) / psd(f)
    r /= r.mean()
    return np.array([r[b].mean() for b in np.array_split(np.arange(f.size), n_bands)])


def ks_summary(x, cdf):
    res = [stats.kstest(xi, cdf) for xi in x]
    d = np.array([r.statistic for r in res])
    p = np.array([r.pvalue for r in res])
    return float(np.median(d)), float(np.mean(p < 0.05))


def load_delcgen(path):
    """DELCgen.py of a checkout, made importable on Python 3 in memory (see the docstring)."""
    path = pathlib.Path(path)
    if path.is_dir() and not (path / "DELCgen.py").exists():  # a bare git repository
        cmd = ["git", f"--git-dir={path}", "show", "HEAD:DELCgen.py"]
        src = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    else:
        path = path / "DELCgen.py" if path.is_dir() else path
        src = path.read_text()
    src = re.sub(r"^(\s*)print (.*?)\s*$", r"\1print(\2)", src, flags=re.M)
    src = re.sub(r"(?<=[\w)])/2(?![\d.])", "//2", src)
    module = types.ModuleType("DELCgen")
    module.__file__ = str(path)
    exec(compile(src, str(path), "exec"), module.__dict__)
    return module


def run_ours(psd, sampler, n_bins, output):
    keys = jax.random.split(jax.random.key(2013), args.n_real)
    with jax.enable_x64(True):
        t0 = time.perf_counter()
        x, n = simulate_emmanoulopoulos(
            keys, psd, n_bins, 1.0, sampler, n_iter=args.n_iter, output=output,
            return_iterations=True,
        )  # fmt: skip
        x = np.asarray(x)
        seconds = time.perf_counter() - t0
    return x, np.asarray(n), seconds


def run_reference(delcgen, psd, dist, params, n_bins):
    """DELCgen's flux series, and its Timmer & Koenig window (whose amplitudes it targets)."""
    t = np.arange(n_bins, dtype=float)
    out, windows = [], []
    t0 = time.perf_counter()
    for seed in range(args.n_real):
        surrogate, _, short_lc, *_ = delcgen.EmmanLC(
            t, args.red_noise, 1, seed, 1.0, psd, (), dist, params, maxIterations=args.n_iter
        )
        out.append(np.asarray(surrogate[1], dtype=float))
        windows.append(np.asarray(short_lc[1], dtype=float))
    return np.array(out), np.array(windows), time.perf_counter() - t0


def fmt(b):
    return " ".join(f"{v:6.3f}" for v in b)


def main():
    if args.cases == "all":
        cases = [(p, d) for p in PSDS for d in DISTS]
    elif args.cases == "default":
        cases = DEFAULT
    else:
        cases = [tuple(c.split(":")) for c in args.cases.split(",")]  # "f^-1:gamma(2),..."
    delcgen = None
    if args.delcgen:
        delcgen = load_delcgen(args.delcgen)
        print(f"reference: {args.delcgen} (RedNoiseL={args.red_noise}, Python 3 shim in memory)")
    else:
        print("reference: skipped (no --delcgen PATH to a DELightcurveSimulation checkout)")
    print(f"{args.n_real} realisations per case, maximum {args.n_iter} iterations, dt = 1")
    print("band ratios: averaged periodogram / PSD in 4 equal-width bands (1 = exact)")
    print("KS: median KS distance of one realisation to the target; fraction with p < 0.05")
    for n_bins in args.n_bins:
        for psd_name, dist_name in cases:
            psd = PSDS[psd_name]
            sampler, dist, params = DISTS[dist_name]
            cdf = dist(*params).cdf
            print(f"\nn_bins = {n_bins}, PSD {psd_name}, flux {dist_name}")
            x, n, sec = run_ours(psd, sampler, n_bins, "flux")
            b_ours = band_ratios(x, psd)
            d, frac = ks_summary(x, cdf)
            print(
                f"  ours flux   bands {fmt(b_ours)}  max|dev| {np.abs(b_ours - 1).max():.3f}  "
                f"KS {d:.4f} / {frac:.3f}  iterations median {statistics.median(n):.0f} "
                f"max {n.max()}  {sec / args.n_real * 1e3:.2f} ms per realisation (cold)"
            )
            xp, _, _ = run_ours(psd, sampler, n_bins, "psd")
            b_psd = band_ratios(xp, psd)
            d, frac = ks_summary(xp, cdf)
            print(
                f"  ours psd    bands {fmt(b_psd)}  max|dev| {np.abs(b_psd - 1).max():.3f}  "
                f"KS {d:.4f} / {frac:.3f}"
            )
            if delcgen is None:
                continue
            xr, windows, sec_ref = run_reference(delcgen, psd, dist, params, n_bins)
            b_ref = band_ratios(xr, psd)
            d, frac = ks_summary(xr, cdf)
            print(
                f"  DELCgen     bands {fmt(b_ref)}  max|dev| {np.abs(b_ref - 1).max():.3f}  "
                f"KS {d:.4f} / {frac:.3f}  {sec_ref / args.n_real * 1e3:.2f} ms per realisation"
            )
            b_win = band_ratios(windows, psd)
            print(f"  DELCgen T&K window (its target amplitudes) bands {fmt(b_win)}")
            print(f"  ours / DELCgen band ratios {fmt(b_ours / b_ref)}")
            print(
                f"  flux output / own target amplitudes: ours {fmt(b_ours / b_psd)}, "
                f"DELCgen {fmt(b_ref / b_win)}"
            )
            _, _, sec2 = run_ours(psd, sampler, n_bins, "flux")  # warm
            print(
                f"  time per realisation: ours warm {sec2 / args.n_real * 1e3:.3f} ms, DELCgen "
                f"{sec_ref / args.n_real * 1e3:.2f} ms: speed-up (warm) x{sec_ref / sec2:.1f}"
            )


if __name__ == "__main__":
    main()
