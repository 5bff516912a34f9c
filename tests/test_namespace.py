"""``import stingray_jax as stingray``: Stingray's namespace, ours where we have it."""

import contextlib
import importlib
import io
import sys
import types
import warnings

import numpy as np
import pytest

import stingray_jax
from stingray_jax._config import preserve_global_state

from .stingray_suite._load import rewrite_imports

with preserve_global_state():
    import stingray
    import stingray.crossspectrum
    import stingray.simulator.simulator

OURS = {
    "Powerspectrum": "stingray_jax.powerspectrum",
    "AveragedPowerspectrum": "stingray_jax.powerspectrum",
    "DynamicalPowerspectrum": "stingray_jax.powerspectrum",
    "Crossspectrum": "stingray_jax.crossspectrum",
    "AveragedCrossspectrum": "stingray_jax.crossspectrum",
    "DynamicalCrossspectrum": "stingray_jax.crossspectrum",
    "LombScarglePowerspectrum": "stingray_jax.lombscargle",
    "LombScargleCrossspectrum": "stingray_jax.lombscargle",
}

# Modules of Stingray's with a stingray_jax package or module of their own (the rest are
# Stingray's module objects themselves).
OUR_MODULES = ("fourier", "modeling", "powerspectrum", "crossspectrum", "lombscargle", "pulse")


def test_every_public_stingray_name_resolves():
    for name in (n for n in dir(stingray) if not n.startswith("_")):
        theirs = getattr(stingray, name)
        ours = getattr(stingray_jax, name)
        if name in OURS:
            assert ours.__module__ == OURS[name], name
            assert issubclass(ours, theirs), name
        elif isinstance(theirs, types.ModuleType) and theirs.__name__.startswith("stingray."):
            sub = theirs.__name__.split(".", 1)[1]
            assert ours is importlib.import_module(f"stingray_jax.{sub}"), name
            if sub not in OUR_MODULES:
                assert ours is theirs, name  # Stingray's module itself, not a second copy
        else:
            assert ours is theirs, name
    with pytest.raises(AttributeError, match="no attribute"):
        stingray_jax.NoSuchThing  # noqa: B018


def test_mirrored_modules_are_stingrays_own():
    from stingray_jax.events import EventList
    from stingray_jax.gti import cross_two_gtis
    from stingray_jax.simulator.simulator import Simulator

    assert EventList is stingray.EventList
    assert cross_two_gtis is stingray.gti.cross_two_gtis
    assert Simulator is stingray.simulator.simulator.Simulator
    assert stingray_jax.simulator is stingray.simulator
    assert sys.modules["stingray_jax.simulator.simulator"] is stingray.simulator.simulator
    # names a module of ours does not define are Stingray's
    from stingray_jax.crossspectrum import coherence, time_lag
    from stingray_jax.powerspectrum import GtiCorrPowerspectrum

    assert coherence is stingray.crossspectrum.coherence
    assert time_lag is stingray.crossspectrum.time_lag
    assert issubclass(GtiCorrPowerspectrum, stingray.powerspectrum.GtiCorrPowerspectrum)
    assert GtiCorrPowerspectrum.__module__ == "stingray_jax.powerspectrum"
    assert "cospectra_pvalue" in dir(stingray_jax.crossspectrum)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("stingray_jax.no_such_module")
    with pytest.raises(ImportError):
        from stingray_jax.crossspectrum import no_such_name  # noqa: F401


def test_fourier_names_we_lack_are_stingrays():
    import stingray.fourier

    from stingray_jax.fourier import avg_pds_from_timeseries, lsft_slow

    assert lsft_slow is stingray.fourier.lsft_slow
    # ours where we have it
    assert avg_pds_from_timeseries.__module__.startswith("stingray_jax.fourier")
    assert "lsft_slow" in dir(stingray_jax.fourier)
    with pytest.raises(ImportError):
        from stingray_jax.fourier import no_such_function  # noqa: F401


def test_finder_only_answers_for_stingray_jax_names():
    from stingray_jax._mirror import StingrayMirrorFinder

    finder = StingrayMirrorFinder()
    assert finder.find_spec("stingray.events") is None
    assert finder.find_spec("numpy") is None
    # a module of ours is left to the normal machinery
    assert finder.find_spec("stingray_jax.powerspectrum") is None
    assert sum(isinstance(f, StingrayMirrorFinder) for f in sys.meta_path) == 1
    importlib.reload(stingray_jax)
    assert sum(isinstance(f, StingrayMirrorFinder) for f in sys.meta_path) == 1


def test_backwards_compatible_spectra_module():
    from stingray_jax import spectra

    for name in OURS:
        assert getattr(spectra, name) is getattr(stingray_jax, name)


# A Stingray user's script: only its import lines are rewritten (``import stingray`` becomes
# ``import stingray_jax as stingray``, ``from stingray.x`` becomes ``from stingray_jax.x``).
SCRIPT = """
import numpy as np
import stingray
from stingray import Lightcurve, EventList
from stingray.gti import cross_two_gtis
from stingray.modeling import PSDLogLikelihood
from astropy.modeling import models

rng = np.random.default_rng(11)
dt = 1 / 64
t = np.arange(8192) * dt + dt / 2
rate = 300 + 100 * np.sin(2 * np.pi * 4.0 * t)
lc1 = Lightcurve(t, rng.poisson(rate), dt=dt, gti=[[0, 128]])
lc2 = stingray.Lightcurve(t, rng.poisson(rate), dt=dt, gti=[[0, 128]])
events = EventList.from_lc(lc1)
print("gti", cross_two_gtis(lc1.gti, lc2.gti).tolist())

ps = stingray.AveragedPowerspectrum(lc1, segment_size=16, norm="leahy")
print("ps", ps.m, ps.power[:4])
print("rebinned", ps.rebin_log(0.1).power[:4])
print("rms", ps.compute_rms(3, 5, poisson_noise_level=2))
print("significant", len(ps.classical_significances(threshold=1e-3)))
pse = stingray.AveragedPowerspectrum.from_events(events, dt=dt, segment_size=16, norm="frac")
print("events", pse.power[:4])
cs = stingray.AveragedCrossspectrum(lc1, lc2, segment_size=16, norm="leahy")
lag, lag_err = cs.time_lag()
print("lag", lag[:4], lag_err[:4])
print("coherence", cs.coherence()[0][:4])
single = stingray.Crossspectrum(lc1, lc2)
print("single lag", single.time_lag()[:4])
print("rebin", single.rebin(df=0.5).power[:3])
dps = stingray.DynamicalPowerspectrum(lc1, segment_size=8, norm="leahy")
print("dynamical", dps.dyn_ps.shape, dps.dyn_ps[:2, :2])
print("shift-and-add", dps.shift_and_add(np.full(dps.dyn_ps.shape[1], 4.0), nbins=5).power)
one = stingray.Powerspectrum(lc1, norm="leahy")
model = models.PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=0.0, fixed={"x_0": True})
loglike = PSDLogLikelihood(one.freq, one.power, model, m=one.m)
print("loglike", loglike([2.0, 0.0]))
"""


def _run(source):
    out = io.StringIO()
    namespace = {"__name__": "__script__"}
    with (
        np.printoptions(precision=10),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(out),
    ):
        warnings.simplefilter("ignore")
        exec(compile(source, "<script>", "exec"), namespace)
    return out.getvalue(), namespace


def test_stingray_script_runs_unchanged():
    rewritten = rewrite_imports(SCRIPT)
    assert "import stingray_jax as stingray" in rewritten
    assert "from stingray_jax.modeling import PSDLogLikelihood" in rewritten
    ours, ns_ours = _run(rewritten)
    theirs, ns_theirs = _run(SCRIPT)
    assert ns_ours["stingray"] is stingray_jax
    assert type(ns_ours["cs"]).__module__ == "stingray_jax.crossspectrum"
    assert type(ns_theirs["cs"]).__module__ == "stingray.crossspectrum"
    assert ours.count("\n") == theirs.count("\n")  # every print ran
    # the numbers: compare the objects themselves, to float64 precision
    for name in ("ps", "pse", "cs", "single"):
        np.testing.assert_allclose(ns_ours[name].power, ns_theirs[name].power, rtol=1e-10)
    np.testing.assert_allclose(ns_ours["lag"], ns_theirs["lag"], rtol=1e-8)
    np.testing.assert_allclose(ns_ours["lag_err"], ns_theirs["lag_err"], rtol=1e-8)
    np.testing.assert_allclose(ns_ours["dps"].dyn_ps, ns_theirs["dps"].dyn_ps, rtol=1e-10)
    np.testing.assert_allclose(
        ns_ours["loglike"]([2.0, 0.0]), ns_theirs["loglike"]([2.0, 0.0]), rtol=1e-10
    )


def test_warnings_show_as_often_as_stingrays(recwarn):
    """No internal catch_warnings() resetting the "once per place" registry between calls."""
    rng = np.random.default_rng(5)
    t = np.arange(2048) * 0.01
    lc1 = stingray.Lightcurve(t, rng.poisson(30, t.size), dt=0.01, skip_checks=True)
    lc2 = stingray.Lightcurve(t, rng.poisson(30, t.size), dt=0.01, skip_checks=True)

    def count(cls):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("default")
            for _ in range(3):
                cls.from_lightcurve(lc1, lc2, 5.12)
        return [str(w.message) for w in rec]

    theirs = count(stingray.AveragedCrossspectrum)
    ours = count(stingray_jax.AveragedCrossspectrum)
    assert len(theirs) >= 1  # Stingray warns (few segments): the test can fail
    assert len(ours) == len(theirs), (ours, theirs)
