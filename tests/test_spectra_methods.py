"""Every public method of Stingray's spectra classes, called on ours and on Stingray's.

For each class the table below says how to call each public method; the results (arrays,
numbers, spectra, tables, text, or the exception raised) must be the same for our object and for
Stingray's, built from the same data. A method that Stingray adds and the table does not know
fails ``test_every_public_method_is_covered``.
"""

import contextlib
import inspect
import io
import re
import warnings

import numpy as np
import pytest

import stingray_jax as sj
from stingray_jax._config import preserve_global_state

with preserve_global_state():
    import stingray
    from stingray import EventList, Lightcurve
    from stingray import lombscargle as sr_ls

RTOL = 1e-8


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    dt = 1 / 64
    t = np.arange(4096) * dt + dt / 2
    base = 200 + 60 * np.sin(2 * np.pi * 3.0 * t)
    lc1 = Lightcurve(t, rng.poisson(base), dt=dt, gti=[[0, 64]], skip_checks=True)
    lc2 = Lightcurve(t, rng.poisson(base), dt=dt, gti=[[0, 64]], skip_checks=True)
    tu = np.sort(rng.uniform(0, 64, 600))
    kw = {"dt": 0.05, "skip_checks": True, "err_dist": "gauss", "gti": [[0, 64]]}
    lu1 = Lightcurve(tu, 20 + np.sin(2 * np.pi * 0.5 * tu) + rng.normal(0, 0.3, 600), **kw)
    lu2 = Lightcurve(tu, 20 + np.sin(2 * np.pi * 0.5 * tu) + rng.normal(0, 0.3, 600), **kw)
    return lc1, lc2, lu1, lu2


def _build(kind, mod, data):
    lc1, lc2, lu1, lu2 = data
    ls = sj.lombscargle if mod is sj else sr_ls
    builders = {
        "Powerspectrum": lambda: mod.Powerspectrum(lc1, norm="leahy"),
        "AveragedPowerspectrum": lambda: mod.AveragedPowerspectrum(
            lc1, segment_size=8, norm="leahy", silent=True
        ),
        "Crossspectrum": lambda: mod.Crossspectrum(lc1, lc2, norm="leahy"),
        "AveragedCrossspectrum": lambda: mod.AveragedCrossspectrum(
            lc1, lc2, segment_size=8, norm="leahy", silent=True
        ),
        "DynamicalPowerspectrum": lambda: mod.DynamicalPowerspectrum(
            lc1, segment_size=4, norm="leahy"
        ),
        "DynamicalCrossspectrum": lambda: mod.DynamicalCrossspectrum(
            lc1, lc2, segment_size=4, norm="leahy"
        ),
        "LombScarglePowerspectrum": lambda: ls.LombScarglePowerspectrum(
            lu1, method="slow", max_freq=4
        ),
        "LombScargleCrossspectrum": lambda: ls.LombScargleCrossspectrum(
            lu1, lu2, method="slow", max_freq=4
        ),
    }
    return _quiet(builders[kind])


KINDS = [
    "Powerspectrum",
    "AveragedPowerspectrum",
    "Crossspectrum",
    "AveragedCrossspectrum",
    "DynamicalPowerspectrum",
    "DynamicalCrossspectrum",
    "LombScarglePowerspectrum",
    "LombScargleCrossspectrum",
]


def _mask(obj):
    return np.arange(np.size(obj.freq)) % 3 != 0


def _pretty_print_names(obj):
    # Stingray's pretty_print calls np.set_printoptions(threshold=3, edgeitems=1) and never
    # restores it: keep the rest of the test session's numpy print options intact
    with np.printoptions():
        return [line.split(":")[0] for line in obj.pretty_print().splitlines()]


# How to call each public method: name -> f(obj, tmp_path). Static constructors (from_*, read)
# are tested on their own (tests/test_spectra.py and the Stingray suites).
CALLS = {
    "add": lambda o, p: o.add(o),
    "sub": lambda o, p: o.sub(o),
    "apply_mask": lambda o, p: o.apply_mask(_mask(o)),
    "array_attrs": lambda o, p: sorted(o.array_attrs()),
    "internal_array_attrs": lambda o, p: sorted(o.internal_array_attrs()),
    "meta_attrs": lambda o, p: sorted(o.meta_attrs()),
    "data_attributes": lambda o, p: sorted(o.data_attributes()),
    "dict": lambda o, p: o.dict(),
    "get_meta_dict": lambda o, p: o.get_meta_dict(),
    # the attribute names it lists (its printed numbers are compared as arrays elsewhere)
    "pretty_print": lambda o, p: _pretty_print_names(o),
    "to_astropy_table": lambda o, p: o.to_astropy_table(),
    "to_pandas": lambda o, p: {c: v.to_numpy() for c, v in o.to_pandas().items()},
    "to_xarray": lambda o, p: {k: v.values for k, v in o.to_xarray().data_vars.items()},
    "write": lambda o, p: _write_and_read(o, p),
    "initial_checks": lambda o, p: o.initial_checks(),
    "plot": lambda o, p: _plot(o),
    "save_as_xspec": lambda o, p: o.save_as_xspec(str(p / "spec")),
    "rebin": lambda o, p: o.rebin(f=2),
    "rebin_log": lambda o, p: o.rebin_log(0.1),
    "to_norm": lambda o, p: o.to_norm("frac"),
    "coherence": lambda o, p: o.coherence(),
    "raw_coherence": lambda o, p: o.raw_coherence(),
    "intrinsic_coherence": lambda o, p: o.intrinsic_coherence(),
    "phase_lag": lambda o, p: o.phase_lag(),
    "time_lag": lambda o, p: o.time_lag(),
    "classical_significances": lambda o, p: o.classical_significances(threshold=1),
    "compute_rms": lambda o, p: o.compute_rms(0.5, 8.0, poisson_noise_level=2),
    "modulation_upper_limit": lambda o, p: o.modulation_upper_limit(fmin=1, fmax=10),
    # not run on dynamical spectra: Stingray's series over a 2-D power takes minutes there
    "deadtime_correct": lambda o, p: (
        None
        if hasattr(o, "dyn_ps")
        else o.deadtime_correct(dead_time=2.5e-3, rate=200, limit_k=5, n_approx=20)
    ),
    "rebin_frequency": lambda o, p: _inplace(o, "rebin_frequency", 1.0),
    "rebin_time": lambda o, p: _inplace(o, "rebin_time", 8),
    "rebin_by_n_intervals": lambda o, p: _inplace(o, "rebin_by_n_intervals", 2),
    "trace_maximum": lambda o, p: o.trace_maximum(min_freq=1, max_freq=5),
    "shift_and_add": lambda o, p: o.shift_and_add(np.full(o.dyn_ps.shape[1], 3.0), nbins=9),
    "power_colors": lambda o, p: o.power_colors(freq_edges=[0.25, 1, 2, 4, 8]),
    # LombScargle*: Stingray's stubs that raise AttributeError ("not applicable")
    "from_events": lambda o, p: o.from_events(),
    "from_lc_iterable": lambda o, p: o.from_lc_iterable(),
    "from_lightcurve": lambda o, p: o.from_lightcurve(),
    "from_time_array": lambda o, p: o.from_time_array(),
}


def _inplace(obj, name, *args):
    import copy

    obj = copy.deepcopy(obj)
    out = getattr(obj, name)(*args)
    return obj if out is None else out


def _write_and_read(obj, path):
    fname = str(path / f"{type(obj).__name__}.ecsv")
    obj.write(fname)
    return type(obj).read(fname)


def _plot(obj):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = obj.plot()
    lines = [np.asarray(line.get_ydata()) for line in ax.get_lines()]
    plt.close("all")
    return lines


def _public_methods(cls):
    names = []
    for name in dir(cls):
        if name.startswith("_") or not callable(getattr(cls, name)):
            continue
        if isinstance(inspect.getattr_static(cls, name), staticmethod | classmethod):
            continue
        names.append(name)
    return sorted(names)


def _call(fn, obj, path):
    out = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            warnings.simplefilter("ignore")
            return ("ok", fn(obj, path), out.getvalue())
    except Exception as exc:  # compared below: the same exception type for ours and theirs
        return ("raised", type(exc), str(exc))


def assert_same(ours, theirs, where=""):
    if isinstance(theirs, stingray.base.StingrayObject):
        assert isinstance(ours, stingray.base.StingrayObject), where
        assert type(ours).__name__ == type(theirs).__name__, where
        for key, val in theirs.__dict__.items():
            if isinstance(val, Lightcurve | EventList):
                continue
            assert key in ours.__dict__, f"{where}.{key} missing"
            assert_same(ours.__dict__[key], val, f"{where}.{key}")
        return
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), where
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]")
        return
    if isinstance(theirs, list | tuple) and not (
        len(theirs) and isinstance(theirs[0], int | float | complex | np.number)
    ):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
        return
    if hasattr(theirs, "colnames"):  # astropy Table
        assert ours.colnames == theirs.colnames, where
        for c in theirs.colnames:
            assert_same(np.asarray(ours[c]), np.asarray(theirs[c]), f"{where}[{c}]")
        assert_same(dict(ours.meta), dict(theirs.meta), f"{where}.meta")
        return
    if isinstance(theirs, str):
        # printed summaries name the class (ours lives in stingray_jax) and object addresses
        def norm(text):
            return re.sub(r" at 0x[0-9a-f]+", "", text.replace("stingray_jax.", "stingray."))

        assert norm(ours) == norm(theirs), where
        return
    arr = np.asarray(theirs) if not isinstance(theirs, type) else None
    if arr is not None and arr.dtype.kind in "fc":
        np.testing.assert_allclose(
            np.asarray(ours), arr, rtol=RTOL, err_msg=where, equal_nan=True,
            atol=1e-12 * max(np.nanmax(np.abs(arr), initial=0), 1),
        )  # fmt: skip
    elif arr is not None and arr.dtype.kind in "biu":
        np.testing.assert_array_equal(np.asarray(ours), arr, err_msg=where)
    else:
        assert ours == theirs or (ours is None and theirs is None), where


@pytest.mark.parametrize("kind", KINDS)
def test_every_public_method_is_covered(kind):
    cls = getattr(sj, kind)
    theirs = getattr(stingray, kind)
    assert issubclass(cls, theirs)
    missing = set(_public_methods(theirs)) - set(CALLS)
    assert not missing, f"no call recipe for {kind}.{sorted(missing)}"
    assert set(_public_methods(theirs)) <= set(_public_methods(cls))


@pytest.mark.parametrize("kind", KINDS)
def test_every_public_method_matches_stingray(kind, data, tmp_path):
    ours = _build(kind, sj, data)
    theirs = _build(kind, stingray if not kind.startswith("Lomb") else sr_ls, data)
    assert type(ours) is getattr(sj, kind)
    assert type(theirs) is getattr(stingray, kind)
    assert_same(ours, theirs, kind)
    failures = []
    for name in _public_methods(getattr(stingray, kind)):
        (tmp_path / "ours").mkdir(exist_ok=True)
        (tmp_path / "theirs").mkdir(exist_ok=True)
        a = _call(CALLS[name], ours, tmp_path / "ours")
        b = _call(CALLS[name], theirs, tmp_path / "theirs")
        try:
            assert a[0] == b[0], f"ours {a[0]} {a[1:]}, Stingray's {b[0]} {b[1:]}"
            if a[0] == "raised":
                assert a[1] is b[1], (a, b)
            else:
                assert_same(a[1], b[1], f"{kind}.{name}()")
                assert_same(a[2], b[2], f"{kind}.{name}() output")
                if isinstance(b[1], stingray.base.StingrayObject):
                    # a derived spectrum of ours is still ours
                    assert type(a[1]).__module__.startswith("stingray_jax"), name
        except Exception as exc:  # collect every method's failure, not only the first
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_inherited_lag_methods_return_what_stingray_returns(data):
    """The trap of the issue: Stingray's time_lag checks ``self.__class__`` exactly."""
    lc1, lc2, _, _ = data
    lag = sj.Crossspectrum(lc1, lc2).time_lag()
    ref = stingray.Crossspectrum(lc1, lc2).time_lag()
    np.testing.assert_allclose(lag, ref, rtol=1e-8)
    alag, aerr = sj.AveragedCrossspectrum(lc1, lc2, 8, silent=True).time_lag()
    rlag, rerr = _quiet(stingray.AveragedCrossspectrum, lc1, lc2, 8, silent=True).time_lag()
    np.testing.assert_allclose(alag, rlag, rtol=1e-8)
    np.testing.assert_allclose(aerr, rerr, rtol=1e-8)
    with pytest.raises(AttributeError, match="time_lag"):
        sj.Powerspectrum(lc1).time_lag()


@pytest.mark.parametrize("kind", KINDS)
def test_printing_keeps_numpy_print_options(kind, data, capsys):
    """str() prints Stingray's abbreviated text but leaves numpy's print options as they were
    (Stingray's pretty_print sets threshold=3 and never restores it)."""
    ours = _build(kind, sj, data)
    theirs = _build(kind, stingray, data)
    with np.printoptions(threshold=1000, edgeitems=3):
        before = np.get_printoptions()
        text = str(ours)
        assert np.get_printoptions() == before
        with np.printoptions():
            expected = str(theirs)
        assert text.splitlines()[0].split(":")[0] == expected.splitlines()[0].split(":")[0]
        assert "..." in text  # still abbreviated inside pretty_print, as Stingray's
