"""``stingray-jax zsearch``: Z^2_n (or epoch-folding) search of an event file.

Reads an OGIP event file with Stingray's ``EventList.read``, searches the frequency (and
optionally fdot) grid with :func:`stingray_jax.pulse.z_n_search` (or
:func:`~stingray_jax.pulse.epoch_folding_search`) and prints the best candidates with their
single-trial and multi-trial false-alarm probabilities and the equivalent Gaussian sigma.
"""

import argparse
import os
import sys

import numpy as np

__all__ = ["add_zsearch_parser", "best_candidates", "run_zsearch"]


def best_candidates(stats, n_best, exclude_f=2, exclude_fd=1):
    """Indices (fdot row, frequency column) of the ``n_best`` highest, well-separated trials.

    A trial within ``exclude_f`` frequency steps and ``exclude_fd`` fdot steps of a better one
    is not a new candidate.
    """
    stats = np.atleast_2d(stats)
    order = np.argsort(stats, axis=None)[::-1]
    picked = []
    for flat in order:
        i, j = np.unravel_index(flat, stats.shape)
        if any(abs(i - a) <= exclude_fd and abs(j - b) <= exclude_f for a, b in picked):
            continue
        picked.append((int(i), int(j)))
        if len(picked) == n_best:
            break
    return picked


def _fdot_range(text):
    parts = text.replace(" ", "").split(",")
    try:
        lo, hi = (float(x) for x in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MIN,MAX (two numbers separated by a comma), got {text!r}"
        ) from None
    return lo, hi


def _read_times(path):
    from ._config import preserve_global_state

    if not os.path.exists(path):
        raise OSError(f"no such file: {path!r}")
    with preserve_global_state():
        from stingray import EventList

        try:
            events = EventList.read(path, fmt="ogip")
        except Exception as exc:
            raise OSError(f"cannot read {path!r} as an event file ({exc})") from exc
    if events.time.size < 2:
        raise ValueError(f"{path!r} contains fewer than 2 events")
    return events


def run_zsearch(args, stream=None):
    """Run the search described by the parsed ``args``; return a dict of the candidates."""
    from scipy import stats as sstats

    from ._config import preserve_global_state
    from .pulse import epoch_folding_search, z_n_search

    stream = sys.stdout if stream is None else stream
    if not 0 < args.fmin < args.fmax:
        raise ValueError(f"need 0 < --fmin < --fmax, got {args.fmin} and {args.fmax}")
    events = _read_times(args.file)
    times = events.time
    tseg = float(times[-1] - times[0]) if args.segment_size is None else args.segment_size
    df = 1.0 / (args.oversample * tseg)
    freqs = np.arange(args.fmin, args.fmax + df / 2, df)
    if args.fdot_range is None:
        fdots = np.zeros(1)
    else:
        lo, hi = args.fdot_range
        if hi < lo:
            raise ValueError(f"--fdot-range: {lo} > {hi}")
        fdots = np.linspace(lo, hi, args.nfdot if hi > lo else 1)
    segment_size = np.inf if args.segment_size is None else args.segment_size
    if args.stat == "ef":
        res = epoch_folding_search(
            times, freqs, nbin=args.nbin, segment_size=segment_size, fdots=fdots
        )
    else:
        res = z_n_search(
            times,
            freqs,
            nharm=args.nharm,
            nbin=args.nbin,
            method=args.method,
            segment_size=segment_size,
            fdots=fdots,
        )
    fgrid, fdgrid, stat = (
        (res[0][None], np.zeros((1, freqs.size)), res[1][None]) if len(res) == 2 else res
    )
    n_trials = stat.size
    n_seg = 1 if args.segment_size is None else max(1, int(np.round((times[-1] - times[0]) / tseg)))
    with preserve_global_state():
        from stingray.stats import fold_profile_probability, z2_n_probability

    name = "EF" if args.stat == "ef" else f"Z^2_{args.nharm}"
    print(
        f"{args.file}: {times.size} events, {freqs.size} frequencies x {fdots.size} fdots "
        f"({n_trials} trials), {name} ({args.method if args.stat == 'z2' else 'fold'})",
        file=stream,
    )
    print(
        f"{'freq (Hz)':>16} {'fdot (Hz/s)':>12} {name:>10} {'P(1 trial)':>11} "
        f"{'P(all)':>10} {'sigma':>6}",
        file=stream,
    )
    rows = []
    for i, j in best_candidates(stat, args.ncand):
        value = float(stat[i, j])
        if args.stat == "ef":
            p1 = float(fold_profile_probability(value, args.nbin))
            pn = float(fold_profile_probability(value, args.nbin, ntrial=n_trials))
        else:
            p1 = float(z2_n_probability(value, args.nharm, n_summed_spectra=n_seg))
            pn = float(z2_n_probability(value, args.nharm, ntrial=n_trials, n_summed_spectra=n_seg))
        sigma = float(sstats.norm.isf(pn / 2)) if pn > 0 else np.inf
        rows.append(
            {
                "frequency": float(fgrid[i, j]),
                "fdot": float(fdgrid[i, j]),
                "stat": value,
                "p_single": p1,
                "p_multi": pn,
                "sigma": sigma,
            }
        )
        print(
            f"{fgrid[i, j]:16.10f} {fdgrid[i, j]:12.4e} {value:10.2f} {p1:11.3e} "
            f"{pn:10.3e} {sigma:6.2f}",
            file=stream,
        )
    return {"n_trials": n_trials, "candidates": rows}


def add_zsearch_parser(sub):
    """Add the ``zsearch`` sub-command to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "zsearch",
        help="Z^2_n / epoch-folding pulsation search of an event file",
        description=(
            "Search an OGIP event file for pulsations over a frequency (and fdot) grid with "
            "Stingray's Z^2_n (or epoch-folding) statistic computed in JAX, and print the best "
            "candidates with their false-alarm probabilities."
        ),
    )
    p.add_argument("file", metavar="FILE", help="event file (OGIP FITS)")
    p.add_argument("--fmin", type=float, required=True, help="lowest frequency (Hz)")
    p.add_argument("--fmax", type=float, required=True, help="highest frequency (Hz)")
    p.add_argument(
        "--oversample",
        type=float,
        default=5.0,
        help="frequency step = 1 / (oversample x segment length) (default 5)",
    )
    p.add_argument(
        "--fdot-range",
        type=_fdot_range,
        metavar="MIN,MAX",
        default=None,
        help="search fdots from MIN to MAX in Hz/s, e.g. --fdot-range=-1e-9,1e-9 "
        "(default: fdot = 0 only)",
    )
    p.add_argument("--nfdot", type=int, default=11, help="number of fdots (default 11)")
    p.add_argument("--nharm", type=int, default=2, help="harmonics of Z^2_n (default 2)")
    p.add_argument("--nbin", type=int, default=128, help="profile bins (default 128)")
    p.add_argument("--stat", choices=["z2", "ef"], default="z2", help="statistic (default z2)")
    p.add_argument(
        "--method",
        choices=["fold", "events"],
        default="fold",
        help="fold: Stingray's binned Z^2_n (default); events: unbinned Z^2_n (fast, NUFFT)",
    )
    p.add_argument("--segment-size", type=float, default=None, help="segment length (s)")
    p.add_argument("--ncand", type=int, default=5, help="candidates printed (default 5)")
    p.set_defaults(func=run_zsearch)
    return p
