"""``stingray-jax batch``: fit one model to every observation (or segment) of many files.

A thin front-end of `stingray_jax.batch.fit_observations`: the model expression of
``stingray-jax fit`` (with its data-driven starting values for each spectrum), a summary on
stdout, the table in an ECSV or FITS file (appended chunk by chunk, ``--resume`` to continue), a
plot of each free parameter against time, and optionally a calibrated significance per row
(``--significance outlier`` or ``lrt`` with ``--null-model``). With ``--spectrum cross`` the
files are taken in pairs (``A1 B1 A2 B2 ...``), and each pair's averaged cross spectrum is
fitted as Stingray's ``fit_crossspectrum`` does.
"""

import math
import sys

import numpy as np

__all__ = ["add_batch_parser", "run_batch"]


def _guess_function(model, explicit):
    """``p0(freq, power)``: the starting values of ``stingray-jax fit`` for each spectrum."""
    from ._cli_fit import _initial_guess
    from .models import from_astropy

    names = from_astropy(model).free_param_names

    def p0(freq, power):
        start = _initial_guess(model, explicit, freq, power)
        return [getattr(start, n).value for n in names]

    return p0


def run_batch(args, stream=None):
    """Run ``stingray-jax batch`` for parsed ``args``; returns the result table."""
    from ._cli_fit import _initial_guess, parse_model
    from .batch import fit_observations

    out = sys.stdout if stream is None else stream
    if not args.files:
        raise ValueError("give at least one event or light-curve FILE")
    cross = args.spectrum == "cross"
    if cross and len(args.files) % 2:
        raise ValueError(
            f"--spectrum cross takes the files in pairs (A1 B1 A2 B2 ...): got {len(args.files)}"
        )
    if cross and args.per_segment:
        raise ValueError("--per-segment is for power spectra, not --spectrum cross")
    if cross and args.significance:
        raise ValueError("--significance is for power spectra, not --spectrum cross")
    items = list(zip(args.files[::2], args.files[1::2])) if cross else args.files
    if not (args.segment_size > 0 and math.isfinite(args.segment_size)):
        raise ValueError(f"segment size must be positive, got {args.segment_size}")
    if args.dt is not None and not (args.dt > 0 and math.isfinite(args.dt)):
        raise ValueError(f"dt must be positive, got {args.dt}")
    model, explicit = parse_model(args.model)
    # Bounds and fixed parameters of the guess (positivity, x_0 of power laws); the values
    # are guessed again for each spectrum.
    n_freq = max(int(args.segment_size / (args.dt or 1 / 128)) // 2, 8)
    freq = np.arange(1, n_freq + 1) / args.segment_size
    model = _initial_guess(model, explicit, freq, 2.0 + 1.0 / freq)
    null = None
    if args.significance == "lrt":
        if not args.null_model:
            raise ValueError("--significance lrt needs --null-model EXPR (the null hypothesis)")
        null_model, null_explicit = parse_model(args.null_model)
        null = _initial_guess(null_model, null_explicit, freq, 2.0 + 1.0 / freq)
    elif args.null_model:
        raise ValueError("--null-model is the null hypothesis of --significance lrt")
    table = fit_observations(
        items,
        model,
        args.segment_size,
        1 / 128 if args.dt is None else args.dt,
        spectrum=args.spectrum,
        norm=args.norm,
        per_segment=args.per_segment,
        rebin_log=args.rebin_log,
        p0=_guess_function(model, explicit),
        out=args.out or None,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
        devices=args.devices,
        chunk_size=args.chunk_size,
        significance=args.significance,
        null_model=null,
        nsim=args.nsim,
    )
    names = table.meta["free_param_names"]
    good = np.asarray(table["problem"]) == ""
    what = "segments" if args.per_segment else ("pairs" if cross else "observations")
    print(f"stingray-jax batch: {len(args.files)} file(s), {len(table)} {what}", file=out)
    if cross:
        print(
            "  spectrum: cross (Gaussian likelihood on |cross power|, Stingray's errors)", file=out
        )
    print(f"  model: {args.model}", file=out)
    print(f"  fitted: {int(good.sum())}, flagged: {int((~good).sum())}", file=out)
    if good.any():
        width = max(len(n) for n in names)
        print(f"\n  {'parameter':<{width}}  {'median':>12}  {'min':>12}  {'max':>12}", file=out)
        for n in names:
            v = np.asarray(table[n])[good]
            print(
                f"  {n:<{width}}  {np.median(v):>12.5g}  {v.min():>12.5g}  {v.max():>12.5g}",
                file=out,
            )
    if args.significance and good.any():
        p = np.asarray(table[f"{args.significance}_pvalue"])[good]
        print(
            f"\n  {args.significance} significance ({args.nsim} simulations per row): "
            f"{int(np.sum(p < 0.01))} of {p.size} with p < 0.01 (smallest p {np.nanmin(p):.3g})",
            file=out,
        )
    for row in table[~good][:10]:
        print(f"  flagged: {row['obs_id']} (segment {row['segment']}): {row['problem']}", file=out)
    if args.out:
        print(f"\n  table written to {args.out}", file=out)
    if args.plot and good.any():
        _plot(table[good], names, args.plot)
        print(f"  plot written to {args.plot}", file=out)
    return table


def _plot(table, names, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 1.8 + 1.6 * len(names)))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    t = np.asarray(table["time"]) - float(np.min(table["time"]))
    for ax, n in zip(axes, names):
        ax.errorbar(t, table[n], yerr=table[f"{n}_err"], fmt="o", ms=3, lw=0.8)
        ax.set_ylabel(n)
    axes[-1].set_xlabel(f"time - {float(np.min(table['time'])):.6g} (s)")
    fig.savefig(path, dpi=110)


def add_batch_parser(sub):
    """Add the ``batch`` sub-command to the sub-parsers ``sub``."""
    from ._cli_fit import DEFAULT_MODEL

    p = sub.add_parser(
        "batch",
        help="fit a model to the power spectrum of every observation (or segment) of many files",
        description=(
            "Averaged power spectrum of each event or light-curve file (or, with "
            "--per-segment, of each segment), fitted with the Whittle/Gamma likelihood; or, "
            "with --spectrum cross, the averaged cross spectrum of each pair of files (A1 B1 "
            "A2 B2 ...), fitted as Stingray's fit_crossspectrum does (Gaussian likelihood on "
            "|cross power|); writes the table (ECSV or FITS, appended as chunks finish) and a "
            "plot of the parameters against time. A file that cannot be used is a flagged row."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="event file(s) or light curve(s)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="model expression (as for 'fit')")
    p.add_argument("--segment-size", type=float, default=64.0, help="segment length in s")
    p.add_argument("--dt", type=float, default=None, help="time resolution in s (default 1/128)")
    p.add_argument("--norm", default="leahy", choices=["leahy", "frac", "abs", "none"])
    p.add_argument(
        "--spectrum",
        default="power",
        choices=["power", "cross"],
        help="power spectra (default), or cross spectra of the files taken in pairs",
    )
    p.add_argument("--per-segment", action="store_true", help="one fit per segment")
    p.add_argument("--rebin-log", type=float, default=None, help="log-rebinning factor f")
    p.add_argument("--out", default="", help="ECSV or FITS file for the table (default: none)")
    p.add_argument("--resume", action="store_true", help="continue the run that wrote --out")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--chunk-size", type=int, default=64, help="files per chunk (default 64)")
    p.add_argument("--devices", type=int, default=None, help="local JAX devices (default all)")
    p.add_argument(
        "--significance",
        choices=["outlier", "lrt"],
        default=None,
        help="calibrated p-value of each row: highest outlier, or likelihood ratio",
    )
    p.add_argument("--null-model", default="", help="null model expression for --significance lrt")
    p.add_argument("--nsim", type=int, default=100, help="simulations per row (default 100)")
    p.add_argument("--plot", default="", help="PNG file: each parameter against time")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_batch, error_status=2)
    return p
