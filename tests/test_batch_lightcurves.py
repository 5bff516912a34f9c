"""fit_lightcurves: many light curves of different lengths, padded and masked, one compiled fit.

References: Stingray's ``PoissonLogLikelihood`` / ``GaussianLogLikelihood`` +
``ParameterEstimation.fit`` (scipy, 1e-4 relative: its optimizer's tolerance; -log L to 1e-6),
the loop of unpadded single fits (`fit_pure`, 1e-8), and the same light curves with the bins
outside the GTIs removed (GTI masking).
"""

import warnings

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Gaussian1D

from stingray_jax.batch import fit_lightcurves
from stingray_jax.fitting import LikelihoodSpec, fit_pure
from stingray_jax.models import FRED1D, from_astropy

from ._utils import seeded_global_rng

stingray = pytest.importorskip("stingray")
from stingray import EventList, Lightcurve  # noqa: E402
from stingray.modeling import (  # noqa: E402
    GaussianLogLikelihood,
    ParameterEstimation,
    PoissonLogLikelihood,
)


def _model():
    model = Gaussian1D(amplitude=40.0, mean=30.0, stddev=6.0) + Const1D(amplitude=5.0)
    model.stddev_0.bounds = (0.1, None)
    return model


def _curves(seed=4, lengths=(60, 80, 120)):
    rng = np.random.default_rng(seed)
    truth = _model()
    out = []
    for k, n in enumerate(lengths):
        t = np.arange(n) + 0.5
        truth.mean_0 = 25.0 + 5 * k
        out.append(rng.poisson(truth(t)).astype(float))
    return out


@pytest.fixture(scope="module")
def curves():
    return _curves()


@pytest.fixture(scope="module")
def table(curves):
    return fit_lightcurves(curves, _model(), dt=1.0)


def test_rows_equal_stingray_fits(curves, table):
    assert table["converged"].all()
    assert np.all(table["problem"] == "")
    assert table["n_bins"].tolist() == [c.size for c in curves]
    names = table.meta["free_param_names"]
    for i, counts in enumerate(curves):
        t = np.arange(counts.size) + 0.5
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loglike = PoissonLogLikelihood(t, counts, _model())
            with seeded_global_rng():
                res = ParameterEstimation(max_post=False).fit(loglike, list(_model().parameters))
        ours = np.array([table[name][i] for name in names])
        np.testing.assert_allclose(ours, res.p_opt, rtol=1e-4)
        # the minimum: ours is at least as low, and within scipy's tolerance
        assert table["neg_log_likelihood"][i] <= res.result + 1e-6
        np.testing.assert_allclose(table["neg_log_likelihood"][i], res.result, rtol=1e-6)


def test_rows_equal_the_loop_of_unpadded_fits(curves, table):
    jm = from_astropy(_model())
    for i, counts in enumerate(curves):
        t = np.arange(counts.size) + 0.5
        res = fit_pure(jm.p0, jm, {"x": t, "y": counts}, LikelihoodSpec("poisson"))
        np.testing.assert_allclose(
            [table[n][i] for n in jm.free_param_names], np.asarray(res.x), rtol=1e-8
        )
        errs = np.sqrt(np.diag(np.asarray(res.cov)))
        np.testing.assert_allclose(
            [table[f"{n}_err"][i] for n in jm.free_param_names], errs, rtol=1e-6
        )
    k = jm.n_free
    np.testing.assert_allclose(table["aic"], table["neg_log_likelihood"] + 2 * k)
    np.testing.assert_allclose(
        table["bic"], table["neg_log_likelihood"] + k * np.log(table["n_bins"])
    )


def test_gaussian_light_curves_equal_stingray(curves):
    rng = np.random.default_rng(9)
    lcs, errs = [], []
    for counts in curves:
        t = np.arange(counts.size) + 0.5
        err = 2.0 + rng.uniform(size=counts.size)
        lcs.append(Lightcurve(t, counts + rng.normal(0, err), err=err, dt=1.0, err_dist="gauss"))
        errs.append(err)
    table = fit_lightcurves(lcs, _model(), likelihood="gaussian")
    for i, lc in enumerate(lcs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loglike = GaussianLogLikelihood(lc.time, lc.counts, errs[i], _model())
            with seeded_global_rng():
                res = ParameterEstimation(max_post=False).fit(loglike, list(_model().parameters))
        ours = [table[n][i] for n in table.meta["free_param_names"]]
        np.testing.assert_allclose(ours, res.p_opt, rtol=1e-4)
        np.testing.assert_allclose(table["neg_log_likelihood"][i], res.result, rtol=1e-6)


def test_gti_gaps_are_masked_and_events_are_binned(curves):
    counts = curves[2]
    t0 = 1e8
    t = t0 + np.arange(counts.size) + 0.5
    gti = np.array([[t0, t0 + 40], [t0 + 70, t0 + counts.size]])
    lc = Lightcurve(t, counts, dt=1.0, gti=gti, skip_checks=True)
    rng = np.random.default_rng(2)
    events = EventList(
        np.sort(
            t0
            + np.repeat(np.arange(counts.size), counts.astype(int))
            + rng.uniform(size=int(counts.sum()))
        ),
        gti=gti,
    )
    model = _model()
    model.mean_0 = t0 + 35.0
    table = fit_lightcurves([lc, events], model, dt=1.0)
    keep = (t < t0 + 40) | (t > t0 + 70)
    jm = from_astropy(model)
    res = fit_pure(jm.p0, jm, {"x": t[keep], "y": counts[keep]}, LikelihoodSpec("poisson"))
    assert table["n_bins"].tolist() == [int(keep.sum())] * 2
    for row in table:  # the event list bins to the same counts: the same fit
        np.testing.assert_allclose([row[n] for n in jm.free_param_names], res.x, rtol=1e-8)
    assert table["tstart"][0] == t0
    assert table["tstop"][0] == t0 + counts.size


def test_flare_profile_and_float32(curves):
    rng = np.random.default_rng(5)
    truth = FRED1D(A=80.0, t0=20.0, delta=5.0, phi=2.0) + Const1D(4.0)
    t = np.arange(200) + 0.5
    items = [rng.poisson(truth(t)).astype(float) for _ in range(3)]
    model = FRED1D(A=60.0, t0=18.0, delta=4.0, phi=1.5) + Const1D(3.0)
    model.phi_0.bounds = (0.01, None)
    t64 = fit_lightcurves(items, model, dt=1.0)
    assert t64["converged"].all()
    assert np.all(np.abs(t64["A_0"] - 80) < 5 * t64["A_0_err"])
    t32 = fit_lightcurves(items, model, dt=1.0, dtype="float32")
    assert t32["converged"].all()
    for name in t64.meta["free_param_names"]:  # float32 within a small part of the error
        assert np.all(np.abs(t32[name] - t64[name]) < 0.05 * t64[f"{name}_err"])
    late = [Lightcurve(1e8 + t, c, dt=1.0, skip_checks=True) for c in items]
    with pytest.warns(RuntimeWarning, match="3 of 3"):
        bad = fit_lightcurves(late, model, dtype="float32")
    assert "time_zero='start'" in bad["problem"][0]
    shifted = fit_lightcurves(late, model, dtype="float32", time_zero="start")
    np.testing.assert_allclose(shifted["time_zero"], 1e8 + 0.5)
    assert shifted["converged"].all()
    np.testing.assert_allclose(shifted["A_0"], t32["A_0"], rtol=1e-3)


def test_bad_items_are_flagged_rows_and_do_not_change_the_others(curves, table, tmp_path):
    garbage = tmp_path / "garbage.evt"
    garbage.write_bytes(b"not a fits file")
    negative = curves[0].copy()
    negative[3] = -1
    items = [curves[0], str(garbage), curves[1], negative, curves[2], "missing.evt"]
    with pytest.warns(RuntimeWarning, match="3 of 6 light curves"):
        out = fit_lightcurves(items, _model(), dt=1.0, chunk_size=4)
    problems = list(out["problem"])
    assert "cannot read" in problems[1]
    assert "negative counts" in problems[3]
    assert "no such file" in problems[5]
    good = out[[0, 2, 4]]
    for name in table.meta["free_param_names"]:
        np.testing.assert_allclose(good[name], table[name], rtol=1e-10)
    assert not out["converged"][[1, 3, 5]].any()

    def p0(t, counts):
        if counts.size == 80:
            raise ZeroDivisionError("no")
        return [counts.max()] * (9 if counts.size == 60 else 4)

    with pytest.warns(RuntimeWarning, match="2 of 3"):
        out = fit_lightcurves(curves, _model(), dt=1.0, p0=p0)
    assert "are not 4 finite numbers" in out["problem"][0]
    assert "p0 function failed (ZeroDivisionError('no'))" in out["problem"][1]
    assert out["problem"][2] == ""
    assert out["converged"][2]
    with pytest.warns(RuntimeWarning, match="1 of 1"):
        out = fit_lightcurves([curves[0]], _model(), dt=1.0, p0=[40, 30, -1.0, 5])
    assert "not inside its bounds" in out["problem"][0]


def test_chunks_devices_and_p0_callable(curves, table):
    def p0(t, counts):
        return [counts.max() - np.median(counts), t[np.argmax(counts)], 5.0, np.median(counts)]

    for kwargs in ({"chunk_size": 1}, {"devices": 1}, {"devices": 4, "chunk_size": 2}):
        other = fit_lightcurves(curves, _model(), dt=1.0, **kwargs)
        for name in table.meta["free_param_names"]:
            np.testing.assert_allclose(other[name], table[name], rtol=1e-12, atol=0)
    guided = fit_lightcurves(curves, _model(), dt=1.0, p0=p0)
    for name in table.meta["free_param_names"]:
        np.testing.assert_allclose(guided[name], table[name], rtol=1e-6)


def test_output_file_and_resume(curves, table, tmp_path, monkeypatch):
    import stingray_jax.batch._lightcurves as lcmod

    path = tmp_path / "flares.ecsv"
    real = lcmod.binned_light_curve
    calls = []

    def interrupt(item, dt, likelihood):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(item, dt, likelihood)

    monkeypatch.setattr(lcmod, "binned_light_curve", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fit_lightcurves(curves, _model(), dt=1.0, chunk_size=1, out=path)
    monkeypatch.setattr(lcmod, "binned_light_curve", real)
    with pytest.raises(ValueError, match="likelihood"):
        fit_lightcurves(curves, _model(), dt=1.0, likelihood="gaussian", out=path, resume=True)
    resumed = fit_lightcurves(curves, _model(), dt=1.0, chunk_size=1, out=path, resume=True)
    for name in table.meta["free_param_names"]:
        np.testing.assert_allclose(resumed[name], table[name], rtol=1e-12)


def test_bad_arguments(curves):
    for kwargs, match in [
        ({"likelihood": "cash"}, "likelihood must be"),
        ({"dt": -1.0}, "dt must be"),
        ({"time_zero": "end"}, "time_zero"),
        ({"dtype": "float16"}, "dtype"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"share": (2, 2)}, "share"),
    ]:
        with pytest.raises(ValueError, match=match):
            fit_lightcurves(curves, _model(), **{"dt": 1.0, **kwargs})
    with pytest.raises(ValueError, match="no items"):
        fit_lightcurves([], _model(), dt=1.0)
    with pytest.raises(TypeError, match="astropy model"):
        fit_lightcurves(curves, lambda t: t, dt=1.0)
    with pytest.warns(RuntimeWarning, match="3 of 3"):
        out = fit_lightcurves(curves, _model())
    assert "dt is needed" in out["problem"][0]
