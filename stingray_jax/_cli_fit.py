"""``stingray-jax fit``: averaged power spectrum of an observation, fitted with a model.

The model expression (``--model``) is parsed with :mod:`ast`, never evaluated: it may contain
the names of astropy model classes that have a registered JAX twin, combined with ``+ - * /``,
and calls with numeric keyword arguments to set starting values, e.g.
``"PowerLaw1D(alpha=2) + Lorentz1D(x_0=0.5, fwhm=0.1) + Const1D"``.
"""

import ast
import math
import operator
import os
import sys

import numpy as np

__all__ = ["add_fit_parser", "parse_model", "run_fit"]

DEFAULT_MODEL = "PowerLaw1D + Const1D"
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _registered_classes():
    from .models import registered_models

    return {cls.__name__: cls for cls in registered_models()}


def _number(node, expr):
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ValueError(f"model expression {expr!r}: parameter values must be numbers")
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            text = ast.get_source_segment(expr.strip(), node) or repr(node.value)
            if len(text) > 20:
                text = f"{text[:8]}...{text[-4:]} ({len(text)} characters)"
            raise ValueError(
                f"model expression: parameter value {text} is not a finite floating-point number"
            )
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _number(node.operand, expr)
        return -value if isinstance(node.op, ast.USub) else value
    raise ValueError(f"model expression {expr!r}: parameter values must be plain numbers")


def parse_model(expr):
    """Build an astropy model from a safe expression such as ``"PowerLaw1D + Const1D"``.

    Parameters
    ----------
    expr : str
        Names of registered astropy model classes (``PowerLaw1D``, ``Lorentz1D``, ``Const1D``,
        ...), optionally called with numeric keyword arguments, combined with ``+ - * /``.

    Returns
    -------
    model : astropy.modeling.Model
    explicit : list of set
        For each component (in order), the names of the parameters given in the expression.

    Raises
    ------
    ValueError
        A syntax error, an unknown model name, or anything but the allowed constructs.

    Examples
    --------
    >>> from stingray_jax._cli_fit import parse_model
    >>> model, explicit = parse_model("Lorentz1D(x_0=2.0) + Const1D")
    >>> model.param_names
    ('amplitude_0', 'x_0_0', 'fwhm_0', 'amplitude_1')
    >>> explicit
    [{'x_0'}, set()]
    """
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("the model expression is empty")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"model expression {expr!r} is not valid: {exc.msg}") from None
    classes = _registered_classes()
    explicit = []

    def unknown(name):
        return ValueError(
            f"unknown model {name!r} in {expr!r}; available: {', '.join(sorted(classes))}"
        )

    def build(node):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](build(node.left), build(node.right))
        if isinstance(node, ast.Name):
            if node.id not in classes:
                raise unknown(node.id)
            explicit.append(set())
            return classes[node.id]()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id not in classes:
                raise unknown(node.func.id)
            if node.args:
                raise ValueError(
                    f"model expression {expr!r}: give parameters by name, e.g. "
                    f"{node.func.id}(amplitude=1.0)"
                )
            cls = classes[node.func.id]
            kwargs = {}
            for kw in node.keywords:
                if kw.arg is None or kw.arg not in cls.param_names:
                    raise ValueError(
                        f"model expression {expr!r}: {node.func.id} has no parameter "
                        f"{kw.arg!r} (its parameters: {', '.join(cls.param_names)})"
                    )
                kwargs[kw.arg] = _number(kw.value, expr)
            explicit.append(set(kwargs))
            return cls(**kwargs)
        raise ValueError(
            f"model expression {expr!r}: only model names, calls with numeric keyword "
            f"arguments and + - * / are allowed"
        )

    return build(tree.body), explicit


def _components(model):
    from astropy.modeling import CompoundModel

    if isinstance(model, CompoundModel):
        return _components(model.left) + _components(model.right)
    return [model]


def _initial_guess(model, explicit, freq, power):
    """Data-driven starting values and positivity bounds for the common PSD components."""
    from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

    model = model.copy()
    comps = _components(model)
    names = model.param_names
    n = freq.size
    hi = np.median(power[int(0.8 * n) :]) if n >= 5 else np.median(power)
    k = max(n // 20, 1)
    lo = float(np.mean(power[:k]))
    n_const = sum(isinstance(c, Const1D) for c in comps) or 1
    offset = 0
    for comp, given in zip(comps, explicit):
        pnames = names[offset : offset + len(comp.param_names)] if len(comps) > 1 else names
        par = dict(zip(comp.param_names, pnames))
        offset += len(comp.param_names)

        def setp(local, value, given=given, par=par):
            if local not in given:
                getattr(model, par[local]).value = value

        if isinstance(comp, Const1D):
            setp("amplitude", max(hi / n_const, 1e-30))
            getattr(model, par["amplitude"]).bounds = (0.0, None)
        elif isinstance(comp, PowerLaw1D):
            if "x_0" not in given:
                getattr(model, par["x_0"]).value = 1.0
            getattr(model, par["x_0"]).fixed = True
            setp("alpha", 1.5)
            alpha = getattr(model, par["alpha"]).value
            x0 = getattr(model, par["x_0"]).value
            f_lo = float(np.mean(freq[:k]))
            setp("amplitude", max(lo - hi, 0.1 * lo, 1e-30) * (f_lo / x0) ** alpha)
            getattr(model, par["amplitude"]).bounds = (0.0, None)
        elif isinstance(comp, Lorentz1D):
            width = max(n // 50, 1)
            smooth = np.convolve(power, np.ones(width) / width, mode="same")
            i = int(np.argmax(smooth / max(hi, 1e-30) * freq**0.5))
            setp("x_0", float(freq[i]))
            setp("fwhm", float(max(freq[i] / 4, 3 * (freq[1] - freq[0]))))
            setp("amplitude", float(max(smooth[i] - hi, 0.1 * hi, 1e-30)))
            getattr(model, par["amplitude"]).bounds = (0.0, None)
            getattr(model, par["fwhm"]).bounds = (0.0, None)
    return model


def _read_spectrum(path, dt, segment_size, norm):
    """AveragedPowerspectrum of an event file or a light curve file."""
    from ._config import preserve_global_state
    from .batch._items import read_observation

    with preserve_global_state():
        from stingray import AveragedPowerspectrum, EventList

    data = read_observation(path)
    if not isinstance(data, EventList):
        return _lc_spectrum(data, dt, segment_size, norm, path)
    events = data
    with preserve_global_state():
        dt = 1.0 / 128 if dt is None else dt
        _check_bins(segment_size, dt)
        if events.time is None or np.size(events.time) == 0:
            raise ValueError(f"{path!r} contains no events")
        _check_segment(segment_size, events.gti, path)
        _check_events_in_gtis(events.time, events.gti, path)
        ps = AveragedPowerspectrum.from_events(
            events, dt=dt, segment_size=segment_size, norm=norm, silent=True
        )
        _check_frequencies(ps, segment_size, dt, path)
        return ps


def _check_bins(segment_size, dt):
    if segment_size / dt < 2:
        raise ValueError(
            f"dt = {dt:g} s is too large for segments of {segment_size:g} s: a segment must hold "
            f"at least 2 bins (use a smaller --dt or a longer --segment-size)"
        )


def _check_events_in_gtis(times, gti, label):
    times = np.asarray(times)
    if gti is None or len(gti) == 0:
        return
    inside = np.zeros(times.shape, bool)
    for start, stop in np.asarray(gti, dtype=float):
        inside |= (times >= start) & (times <= stop)
    if not np.any(inside):
        raise ValueError(f"no event of {label} falls inside its good time intervals")


def _check_frequencies(ps, segment_size, dt, label):
    if ps is None or getattr(ps, "freq", None) is None or np.size(ps.freq) == 0:
        raise ValueError(
            f"the averaged power spectrum of {label} has no frequency: segments of "
            f"{segment_size:g} s hold too few bins of dt = {dt:g} s (or no segment has data)"
        )


def _check_segment(segment_size, gti, label):
    longest = float(np.max(gti[:, 1] - gti[:, 0])) if gti is not None and len(gti) else 0.0
    if segment_size > longest:
        raise ValueError(
            f"segment size {segment_size} s is longer than the longest good time interval of "
            f"{label} ({longest:.6g} s)"
        )


def _lc_spectrum(lc, dt, segment_size, norm, label):
    from ._config import preserve_global_state

    with preserve_global_state():
        from stingray import AveragedPowerspectrum

        if lc.time is None or np.size(lc.time) == 0:
            raise ValueError(f"{label} contains no light-curve bins")
        if dt is not None and not math.isclose(dt, lc.dt):
            if dt < lc.dt:
                raise ValueError(f"dt = {dt} s is shorter than the light curve's bin ({lc.dt} s)")
            _check_bins(segment_size, dt)
            lc = lc.rebin(dt)
        _check_bins(segment_size, lc.dt)
        _check_segment(segment_size, lc.gti, label)
        ps = AveragedPowerspectrum.from_lightcurve(
            lc, segment_size=segment_size, norm=norm, silent=True
        )
        _check_frequencies(ps, segment_size, lc.dt, label)
        return ps


def _combine(spectra):
    if len(spectra) == 1:
        return spectra[0]
    first = spectra[0]
    for s in spectra[1:]:
        if s.freq.shape != first.freq.shape or not np.allclose(s.freq, first.freq):
            raise ValueError("the files give different frequency grids: use the same --dt")
    ms = np.array([s.m for s in spectra], dtype=float)
    power = sum(s.power * m for s, m in zip(spectra, ms)) / ms.sum()
    out = first
    out.power = power
    out.m = int(ms.sum())
    return out


def run_fit(args, stream=None):
    """Run ``stingray-jax fit`` for parsed ``args``; returns ``(spectrum, result)``."""
    from .modeling import PSDLogLikelihood, PSDParEst

    out = sys.stdout if stream is None else stream
    if args.dt is not None and not args.dt > 0:
        raise ValueError(f"dt must be positive, got {args.dt}")
    if not args.segment_size > 0 or not math.isfinite(args.segment_size):
        raise ValueError(f"segment size must be positive, got {args.segment_size}")
    if args.dt is not None and not math.isfinite(args.dt):
        raise ValueError(f"dt must be finite, got {args.dt}")
    model, explicit = parse_model(args.model)
    if args.files:
        spectra = [_read_spectrum(p, args.dt, args.segment_size, args.norm) for p in args.files]
        label = ", ".join(os.path.basename(p) for p in args.files)
    else:
        from ._config import preserve_global_state

        with preserve_global_state():
            from stingray.sampledata import sample_data

            lc = sample_data()
        spectra = [_lc_spectrum(lc, args.dt, args.segment_size, args.norm, "the sample data")]
        label = "Stingray sample data (RXTE light curve)"
    ps = _combine(spectra)
    freq = np.asarray(ps.freq, dtype=float)
    power = np.asarray(ps.power, dtype=float)
    hint = "use a longer --segment-size or a smaller --dt"
    if freq.size < 2:
        raise ValueError(f"the averaged power spectrum has {freq.size} frequencies: {hint}")
    start = _initial_guess(model, explicit, freq, power)
    lpost = PSDLogLikelihood(freq, power, start, m=ps.m)
    if freq.size <= len(lpost.free_param_names):
        raise ValueError(
            f"the averaged power spectrum has {freq.size} frequencies, too few to fit the "
            f"{len(lpost.free_param_names)} free parameters of {args.model!r}: {hint}"
        )
    t0 = np.array([getattr(start, n).value for n in lpost.free_param_names])
    res = PSDParEst(ps, max_post=False).fit(lpost, t0)

    n = freq.size
    print(f"stingray-jax fit: {label}", file=out)
    print(
        f"  averaged power spectrum: {n} frequencies, m = {ps.m} segments of "
        f"{args.segment_size:g} s, dt = {ps.dt:g} s, norm = {args.norm}",
        file=out,
    )
    print(f"  model: {args.model}", file=out)
    width = max(len(p) for p in start.param_names)
    print(f"\n  {'parameter':<{width}}  {'value':>14}  {'error':>12}", file=out)
    free = list(lpost.free_param_names)
    for name in start.param_names:
        if name in free:
            i = free.index(name)
            flag = "  (unconstrained)" if name in res.unconstrained else ""
            print(f"  {name:<{width}}  {res.p_opt[i]:>14.6g}  {res.err[i]:>12.4g}{flag}", file=out)
        else:
            value = getattr(res.model, name).value
            print(f"  {name:<{width}}  {value:>14.6g}  {'(fixed)':>12}", file=out)
    print(f"\n  -log L      {res.result:.6f}", file=out)
    # one definition of the criteria (stingray_jax.fitting.information_criteria, Stingray's)
    print(f"  AIC         {res.aic:.4f}   (-log L + 2k, Stingray's definition)", file=out)
    print(f"  BIC         {res.bic:.4f}   (-log L + k ln n, Stingray's definition)", file=out)
    print(f"  converged   {res.converged} ({res.n_steps} solver iterations)", file=out)
    if res.unconstrained:
        print(
            f"  WARNING     the data do not constrain {', '.join(res.unconstrained)}: the "
            f"Hessian at the optimum is singular or not positive definite there (errors not "
            f"finite); fix or bound them, or simplify the model",
            file=out,
        )

    if args.plot:
        _plot(freq, power, res.mfit, args.plot, label, args.model)
        print(f"\n  plot written to {args.plot}", file=out)
    return ps, res


def _plot(freq, power, mfit, path, label, expr):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1], "hspace": 0})
    ax1.loglog(freq, power, drawstyle="steps-mid", color="k", lw=0.8, label="data")
    ax1.loglog(freq, mfit, color="C0", lw=2, label=f"model: {expr}")
    ax1.set_ylabel("Power")
    ax1.set_title(label, fontsize=10)
    ax1.legend()
    ax2.semilogx(freq, power / mfit, drawstyle="steps-mid", color="k", lw=0.8)
    ax2.axhline(1.0, color="C0", lw=2)
    ax2.set_xlabel("Frequency (Hz)")
    ax2.set_ylabel("data / model")
    fig.savefig(path, dpi=110)


def add_fit_parser(sub):
    """Add the ``fit`` sub-command to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "fit",
        help="fit a model to the averaged power spectrum of event or light-curve files",
        description=(
            "Build the averaged power spectrum of event files or light curves (Stingray's "
            "sample RXTE light curve when no FILE is given), fit a model with the Whittle/Gamma "
            "likelihood, print the parameters with errors, -log L, AIC and BIC, and plot data, "
            "model and residuals."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="event file(s) or light curve(s)")
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=(
            f"model expression (default {DEFAULT_MODEL!r}): registered astropy models, e.g. "
            f"'PowerLaw1D(alpha=2) + Lorentz1D(x_0=0.5) + Const1D', combined with + - * /"
        ),
    )
    p.add_argument(
        "--segment-size", type=float, default=64.0, help="segment length in s (default 64)"
    )
    p.add_argument(
        "--dt",
        type=float,
        default=None,
        help="time resolution in s (events: default 1/128; light curves: their own bin)",
    )
    p.add_argument(
        "--norm",
        default="leahy",
        choices=["leahy", "frac", "abs", "none"],
        help="power normalisation (default leahy)",
    )
    p.add_argument(
        "--plot",
        default="stingray_jax_fit.png",
        help="PNG file for the data/model/residuals plot (default stingray_jax_fit.png; "
        "'' to skip)",
    )
    p.set_defaults(func=run_fit)
    return p
