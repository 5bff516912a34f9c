"""Z^2_2 pulsar search benchmark: stingray_jax.pulse.z_n_search vs Stingray's, same process.

The target problem is 10^6 events over 10^5 frequencies x 11 fdots (1.1e6 trials). Stingray's
``z_n_search`` needs hours for it, so Stingray (and our folding kernel, which also costs
``n_events x n_trials``) are timed on a subset of the trials and scaled linearly to the full
grid (their cost is exactly linear in the number of trials: one fold per trial); the unbinned
``method="events"`` search runs on the full grid. Runs are interleaved and repeated; min and
median are printed, cold (first call, compilation included) and warm separately.

Usage::

    python benchmarks/bench_pulse.py                  # CPU, default sizes
    python benchmarks/bench_pulse.py --device gpu     # same on a GPU (JAX_PLATFORMS=cuda)
    python benchmarks/bench_pulse.py --events 1e7 --freqs 1e6 --fdots 1 --device gpu

Which Stingray path is timed (numba fast path or its pure-numpy fallback) is printed: without
numba, Stingray folds every trial with ``numpy.histogram`` and is ~30x slower.
"""

import argparse
import os
import statistics
import sys
import time
import warnings

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"], help="JAX platform")
parser.add_argument("--events", type=float, default=1e6)
parser.add_argument("--freqs", type=float, default=1e5)
parser.add_argument("--fdots", type=int, default=11)
parser.add_argument("--stingray-trials", type=int, default=16, help="trials timed for Stingray")
parser.add_argument("--fold-trials", type=int, default=512, help="trials timed for our fold")
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--skip-stingray", action="store_true")
args = parser.parse_args()
os.environ["JAX_PLATFORMS"] = "cuda" if args.device == "gpu" else "cpu"

sys.path.insert(0, os.path.dirname(__file__))
warnings.simplefilter("ignore")

import jax
import numpy as np

from stingray_jax.pulse import z_n_search


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main():
    n_ev, n_f, n_fd = int(args.events), int(args.freqs), int(args.fdots)
    n_trials = n_f * n_fd
    rng = np.random.default_rng(0)
    tobs = 1e4
    t = np.sort(rng.uniform(0, tobs, 2 * n_ev))  # thinned to ~n_ev by the pulse
    keep = rng.uniform(size=t.size) < 0.5 * (1 + 0.05 * np.sin(2 * np.pi * 1.2345 * t))
    t = t[keep] + 3e8
    df = 1 / tobs / 5
    freqs = 1.2345 - n_f // 2 * df + df * np.arange(n_f)
    fdots = np.linspace(-1e-9, 1e-9, n_fd)
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind} ({jax.default_backend()})")
    print(
        f"{t.size} events over {tobs:.0f} s; {n_f} frequencies x {n_fd} fdots = {n_trials} trials"
    )

    from stingray.pulse.search import z_n_search as stingray_z_n_search
    from stingray.utils import HAS_NUMBA

    sub_f = freqs[n_f // 2 - args.fold_trials // 2 :][: args.fold_trials]
    sub_s = sub_f[: args.stingray_trials]
    ours_fold, theirs, ours_events = [], [], []
    cold_fold, _ = _timed(lambda: z_n_search(t, sub_f, nharm=2))
    cold_ev, full = _timed(lambda: z_n_search(t, freqs, nharm=2, fdots=fdots, method="events"))
    if not args.skip_stingray:
        stingray_z_n_search(t[:1000], sub_s[:2], nharm=2)  # numba compilation, not timed
    for _ in range(args.repeat):
        d, fold = _timed(lambda: z_n_search(t, sub_f, nharm=2))
        ours_fold.append(d / sub_f.size)
        d, _ = _timed(lambda: z_n_search(t, freqs, nharm=2, fdots=fdots, method="events"))
        ours_events.append(d)
        if not args.skip_stingray:
            d, ref = _timed(lambda: stingray_z_n_search(t, sub_s, nharm=2))
            theirs.append(d / sub_s.size)
            np.testing.assert_allclose(fold[1][: sub_s.size], ref[1], rtol=1e-8)

    def line(name, per_trial):
        lo, med = min(per_trial), statistics.median(per_trial)
        print(
            f"{name:<46s} {lo * 1e3:9.3f} / {med * 1e3:9.3f} ms per trial (min/median) -> "
            f"full grid {lo * n_trials:9.0f} / {med * n_trials:9.0f} s"
        )
        return lo, med

    print(f"\nfold (binned, = Stingray) cold: {cold_fold:.2f} s for {sub_f.size} trials")
    print(f"events (unbinned, NUFFT) cold: {cold_ev:.2f} s for the full grid")
    fo = line("stingray_jax z_n_search (fold, scaled)", ours_fold)
    ev_lo, ev_med = min(ours_events), statistics.median(ours_events)
    print(f"{'stingray_jax z_n_search(method=events), full':<46s} {ev_lo:9.2f} / {ev_med:9.2f} s")
    if not args.skip_stingray:
        path = "numba fast path" if HAS_NUMBA else "no numba: numpy.histogram path"
        th = line(f"Stingray z_n_search ({path}, scaled)", theirs)
        print(
            f"\nspeed-up, fold   (same statistic): x{th[0] / fo[0]:.1f} (min) "
            f"x{th[1] / fo[1]:.1f} (median)"
        )
        print(
            f"speed-up, events (unbinned Z^2_2): x{th[0] * n_trials / ev_lo:.0f} (min) "
            f"x{th[1] * n_trials / ev_med:.0f} (median)"
        )
    i = np.unravel_index(np.argmax(full[-1]), full[-1].shape)
    print(
        f"best trial: f = {full[0][i]:.7f} Hz, fdot = {full[1][i]:.2e}, Z^2_2 = {full[-1][i]:.1f}"
    )


if __name__ == "__main__":
    main()
