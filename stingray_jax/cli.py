"""The ``stingray-jax`` command line.

Sub-commands:

``stingray-jax --version``
    Print the package version.
``stingray-jax info``
    Print the versions of stingray_jax and its main dependencies, the JAX devices, and whether
    float64 is enabled.
``stingray-jax fit [FILE ...] --model EXPR --segment-size S --dt DT --norm NORM``
    Fit a model to the averaged power spectrum of event files or light curves (Stingray's
    sample RXTE light curve without FILE); print the parameters, errors, -log L, AIC and BIC,
    and write a PNG of data, model and residuals.
``stingray-jax zsearch FILE --fmin F1 --fmax F2 [--fdot-range FD1 FD2] ...``
    Z^2_n (or epoch-folding) pulsation search of an event file; prints the best candidates
    with their false-alarm probabilities.
``stingray-jax batch FILE... --model EXPR --segment-size S --dt DT [--per-segment] ...``
    Fit a model to every observation (or segment) of many files
    (`stingray_jax.batch.fit_observations`); prints a summary, writes the table to ``--out``
    (ECSV or FITS, ``--resume`` continues an interrupted run) and ``--plot`` each parameter against
    time. Bad input: a one-line message and exit status 2.

``fit`` and ``zsearch`` keep JAX's compiled programs on disk (the persistent compilation
cache, in :func:`stingray_jax.enable_compilation_cache`'s default location,
``$STINGRAY_JAX_CACHE_DIR`` or ``~/.cache/stingray_jax/jax``), so that a second run does not
compile again; ``--no-cache`` turns that off.

Later capabilities add ``fit``, ``sample`` and ``batch`` sub-commands by extending
:func:`build_parser`.
"""

import argparse
import sys
from importlib import metadata

__all__ = ["build_parser", "info", "main"]

_INFO_PACKAGES = (
    "stingray",
    "jax",
    "jaxlib",
    "numpyro",
    "optimistix",
    "optax",
    "equinox",
    "jaxopt",
    "astropy",
    "numpy",
    "scipy",
)


def _package_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def info(stream=None):
    """Print versions, JAX devices and the float64 setting to ``stream`` (stdout by default).

    Returns
    -------
    report : dict
        The same information as a dictionary (used by tests and scripts).
    """
    import jax

    from . import __version__

    stream = sys.stdout if stream is None else stream
    report = {"stingray_jax": __version__}
    report.update({name: _package_version(name) for name in _INFO_PACKAGES})
    devices = jax.devices()
    report["jax_backend"] = jax.default_backend()
    report["jax_devices"] = [f"{d.platform}:{d.id} ({d.device_kind})" for d in devices]
    report["jax_enable_x64"] = bool(jax.config.jax_enable_x64)

    width = max(len(k) for k in report)
    for key, value in report.items():
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key:<{width}}  {value}", file=stream)
    if not report["jax_enable_x64"]:
        print(
            "\nfloat64 is off globally (JAX's default). stingray_jax's Stingray-compatible classes "
            "still compute in float64; call stingray_jax.enable_x64() to make it the default for "
            "your own JAX code.",
            file=stream,
        )
    return report


def build_parser():
    """Return the :class:`argparse.ArgumentParser` of ``stingray-jax``."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="stingray-jax",
        description="JAX-accelerated spectral timing on top of Stingray.",
    )
    parser.add_argument("--version", action="version", version=f"stingray-jax {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_info = sub.add_parser(
        "info", help="show package versions, JAX devices and the float64 setting"
    )
    p_info.set_defaults(func=lambda args: info())
    from ._cli_batch import add_batch_parser
    from ._cli_fit import add_fit_parser
    from ._cli_zsearch import add_zsearch_parser

    for compiling in (add_fit_parser(sub), add_zsearch_parser(sub), add_batch_parser(sub)):
        compiling.add_argument(
            "--no-cache",
            action="store_true",
            help="do not keep compiled programs on disk (default: keep them in "
            "$STINGRAY_JAX_CACHE_DIR or ~/.cache/stingray_jax/jax, so a second run starts "
            "faster)",
        )
    return parser


def main(argv=None):
    """Entry point of the ``stingray-jax`` console script. Returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    cache = getattr(args, "no_cache", True) is False
    try:
        if cache:  # for this command only: main() called from Python leaves JAX as it was
            from ._compilation_cache import enable_compilation_cache

            enable_compilation_cache()
        args.func(args)
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        # User errors (bad files, bad options) get one clear line, not a traceback.
        print(f"stingray-jax {args.command}: error: {exc}", file=sys.stderr)
        return getattr(args, "error_status", 1)
    finally:
        if cache:
            from ._compilation_cache import disable_compilation_cache

            disable_compilation_cache()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
