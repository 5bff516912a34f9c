"""fit_observations(spectrum="cross"): pairs of observations -> cross spectra -> fits -> table.

References: Stingray's ``AveragedCrossspectrum.from_events`` / ``from_lightcurve`` for the
spectra and their errors (1e-10), Stingray's ``fit_crossspectrum`` (L-BFGS-B, its
finite-difference tolerance: 1e-4 relative) for the parameters, our ``GaussianLogLikelihood``
for ``-log L``, and the unchunked run for chunks. Stingray's ``power_err`` is complex and its
``fit_crossspectrum`` then minimises the real part of a complex objective (see
``stingray_jax/batch/_cross.py``); the batch uses ``power_err.real``, so Stingray's fit is run
on a copy of the spectrum whose ``power_err`` is its real part: Stingray's Gaussian likelihood
with the batch's errors.
"""

import copy
import io
import os
import warnings
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D
from astropy.table import Table

from stingray_jax import modeling as sjm
from stingray_jax.batch import fit_batch, fit_observations
from stingray_jax.batch._cross import cross_spectra
from stingray_jax.cli import main

from ._utils import assert_allclose, qpo_rate, seeded_global_rng

stingray = pytest.importorskip("stingray")
from stingray import AveragedCrossspectrum, EventList  # noqa: E402
from stingray.modeling.scripts import fit_crossspectrum as stingray_fit_crossspectrum  # noqa: E402

DATA = os.path.join(os.path.dirname(stingray.__file__), "tests", "data")
DT = 1 / 32
SEG = 8.0
T0 = 1e8  # mission seconds: the epoch must be subtracted before JAX sees the times


def _qpo_rate(rng, n_bins):
    return qpo_rate(rng, n_bins, DT, mean=300.0, rms=0.3)


def _pair(seed, length, gap=None):
    """Two event lists, independent Poisson draws of one QPO light curve (correlated bands);
    with ``gap``, the second one has a hole in its GTIs (the pair uses the intersection)."""
    rng = np.random.default_rng(seed)
    n_bins = round(length / DT)
    rate = _qpo_rate(rng, n_bins) * DT
    out = []
    for k in range(2):
        counts = rng.poisson(rate)
        times = T0 + DT * (np.repeat(np.arange(n_bins), counts) + rng.uniform(size=counts.sum()))
        gti = [[T0, T0 + length]]
        if gap is not None and k == 1:
            a, b = T0 + gap[0], T0 + gap[1]
            times = times[(times < a) | (times >= b)]
            gti = [[T0, a], [b, T0 + length]]
        out.append(EventList(np.sort(times), gti=np.array(gti), mjdref=55000))
    return tuple(out)


@pytest.fixture(scope="module")
def pairs():
    return [_pair(1, 256.0), _pair(2, 384.0, gap=(100.0, 140.0)), _pair(3, 512.0)]


def _model():
    return Lorentz1D(amplitude=10.0, x_0=3.0, fwhm=0.8) + Const1D(amplitude=0.3)


def _stingray_cs(ev1, ev2, norm="leahy"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AveragedCrossspectrum.from_events(
            ev1, ev2, dt=DT, segment_size=SEG, norm=norm, silent=True
        )


def _real_errors(cs, rebin_log=None):
    """A copy of ``cs`` whose ``power_err`` is its real part (Stingray's Gaussian likelihood
    with the batch's errors), log-rebinned as Stingray does if asked."""
    cs = copy.copy(cs)
    cs.power_err = np.real(cs.power_err)
    if rebin_log is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cs = cs.rebin_log(rebin_log)
    return cs


def _stingray_fit(cs):
    with seeded_global_rng(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, res = stingray_fit_crossspectrum(cs, _model())
    return res


@pytest.fixture(scope="module")
def table(pairs):
    return fit_observations(pairs, _model(), SEG, DT, norm="leahy", spectrum="cross")


@pytest.mark.parametrize("norm", ["leahy", "frac"])
def test_cross_spectra_equal_stingray_from_events(pairs, norm):
    for ev1, ev2 in pairs:
        ours = cross_spectra((ev1, ev2), DT, SEG, norm)
        theirs = _stingray_cs(ev1, ev2, norm)
        assert ours.m[0] == theirs.m
        assert_allclose(ours.freq, theirs.freq)
        scale = np.max(np.abs(theirs.power))
        assert_allclose(ours.powers[0], theirs.power, rtol=1e-10, atol=1e-10 * scale)
        assert_allclose(ours.errors[0], theirs.power_err.real, rtol=1e-10, atol=1e-10 * scale)
        assert ours.tstart[0] == theirs.gti[0, 0]
        assert ours.tstop[0] == theirs.gti[-1, 1]


def test_cross_spectra_of_light_curves_equal_stingray_from_lightcurve(pairs):
    ev1, ev2 = pairs[1]
    lc1, lc2 = ev1.to_lc(DT), ev2.to_lc(DT)
    ours = cross_spectra((lc1, lc2), None, SEG, "frac")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = AveragedCrossspectrum.from_lightcurve(lc1, lc2, SEG, norm="frac", silent=True)
    assert ours.m[0] == theirs.m
    scale = np.max(np.abs(theirs.power))
    assert_allclose(ours.powers[0], theirs.power, rtol=1e-10, atol=1e-10 * scale)
    assert_allclose(ours.errors[0], theirs.power_err.real, rtol=1e-10, atol=1e-10 * scale)


def test_rows_equal_stingray_fit_crossspectrum(pairs, table):
    names = table.meta["free_param_names"]
    assert bool(np.all(table["converged"]))
    assert list(table["problem"]) == [""] * 3
    assert table["obs_id"][0] == "EventList[0] x EventList[0]"
    for (ev1, ev2), row in zip(pairs, table):
        cs = _real_errors(_stingray_cs(ev1, ev2))
        res = _stingray_fit(cs)
        ours = np.array([row[n] for n in names])
        assert_allclose(ours, res.p_opt, rtol=1e-4)
        assert row["m"] == cs.m
        # -log L: our GaussianLogLikelihood (Stingray's formula) at the batch's optimum
        loglike = sjm.GaussianLogLikelihood(cs.freq, np.abs(cs.power), cs.power_err, _model())
        assert_allclose(row["neg_log_likelihood"], loglike(ours, neg=True), rtol=1e-9)
        assert_allclose(row["neg_log_likelihood"], res.result, rtol=1e-6)
        assert_allclose(row["aic"], row["neg_log_likelihood"] + 2 * len(names))
        # and the drop-in fit_crossspectrum on Stingray's own (complex-error) spectrum
        with seeded_global_rng(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, mine = sjm.fit_crossspectrum(_stingray_cs(ev1, ev2), _model())
        assert_allclose(ours, mine.p_opt, rtol=1e-4)


def test_rebin_log_rows_equal_stingray(pairs):
    rows = fit_observations(
        pairs[:2], _model(), SEG, DT, norm="leahy", spectrum="cross", rebin_log=0.05
    )
    names = rows.meta["free_param_names"]
    for (ev1, ev2), row in zip(pairs, rows):
        cs = _real_errors(_stingray_cs(ev1, ev2), rebin_log=0.05)
        res = _stingray_fit(cs)
        ours = np.array([row[n] for n in names])
        assert_allclose(ours, res.p_opt, rtol=1e-4)
        loglike = sjm.GaussianLogLikelihood(cs.freq, np.abs(cs.power), cs.power_err, _model())
        assert_allclose(row["neg_log_likelihood"], loglike(ours, neg=True), rtol=1e-9)


def test_a_bad_pair_is_a_flagged_row_and_chunks_change_nothing(pairs, table, tmp_path):
    short = _pair(9, 4.0)  # shorter than one segment
    items = [pairs[0], (pairs[1][0], str(tmp_path / "missing.evt")), short, pairs[2]]
    with pytest.warns(RuntimeWarning, match="2 of 4 rows"):
        rows = fit_observations(
            items, _model(), SEG, DT, norm="leahy", spectrum="cross", chunk_size=1
        )
    assert list(rows["item"]) == [0, 1, 2, 3]
    assert "second half" in rows["problem"][1]
    assert "no such file" in rows["problem"][1]
    assert "segment size" in rows["problem"][2]
    assert not rows["converged"][1]
    assert np.isnan(rows["amplitude_0"][2])
    assert rows["obs_id"][1].endswith("missing.evt")
    # the good rows are those of the batch without the bad pairs, one chunk or one per item
    for name in table.meta["free_param_names"] + ["neg_log_likelihood", "m", "tstart"]:
        assert_allclose(np.asarray(rows[name])[[0, 3]], np.asarray(table[name])[[0, 2]])


def test_bad_arguments(pairs):
    ev1, ev2 = pairs[0]
    model = _model()
    with pytest.raises(ValueError, match="item 1 is a EventList"):
        fit_observations([(ev1, ev2), ev1], model, SEG, DT, spectrum="cross")
    with pytest.raises(ValueError, match="a tuple of 3"):
        fit_observations([(ev1, ev2, ev1)], model, SEG, DT, spectrum="cross")
    with pytest.raises(ValueError, match="per_segment"):
        fit_observations([(ev1, ev2)], model, SEG, DT, spectrum="cross", per_segment=True)
    with pytest.raises(ValueError, match="significance"):
        fit_observations([(ev1, ev2)], model, SEG, DT, spectrum="cross", significance="outlier")
    with pytest.raises(ValueError, match="'power' or 'cross'"):
        fit_observations([(ev1, ev2)], model, SEG, DT, spectrum="coherence")
    with pytest.raises(ValueError, match="event data and the other binned"):
        cross_spectra((ev1, ev2.to_lc(DT)), DT, SEG, "leahy")


def test_fit_batch_with_errors_equals_the_loop_and_flags_bad_rows():
    rng = np.random.default_rng(4)
    freq = np.linspace(0.5, 8.0, 120)
    model = _model()
    truth = Lorentz1D(12.0, 3.0, 0.7) + Const1D(0.4)
    errors = 0.5 + 0.1 * rng.uniform(size=(3, freq.size))
    y = truth(freq) + errors * rng.normal(size=(3, freq.size))
    batch = fit_batch(model, freq, y, yerr=errors)
    assert batch.meta["likelihood"] == "gaussian"
    assert bool(np.all(batch["converged"]))
    for i in range(3):
        one = fit_batch(model, freq, y[i : i + 1], yerr=errors[i])
        for name in ["neg_log_likelihood", *batch.meta["free_param_names"]]:
            assert_allclose(batch[name][i], one[name][0], rtol=1e-8)
        loglike = sjm.GaussianLogLikelihood(freq, y[i], errors[i], model)
        best = [batch[n][i] for n in batch.meta["free_param_names"]]
        assert_allclose(batch["neg_log_likelihood"][i], loglike(best, neg=True), rtol=1e-10)
    bad = errors.copy()
    bad[1, 5] = 0.0
    with pytest.warns(RuntimeWarning, match="1 of 3 spectra"):
        flagged = fit_batch(model, freq, y, yerr=bad)
    assert "error(s) not positive" in flagged["problem"][1]
    assert_allclose(flagged["amplitude_0"][[0, 2]], batch["amplitude_0"][[0, 2]], rtol=1e-8)
    with pytest.raises(TypeError, match="real"):
        fit_batch(model, freq, y, yerr=errors * (1 + 1j))
    with pytest.raises(ValueError, match="exclude"):
        fit_batch(model, freq, y, m=4, yerr=errors)


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_cli_cross_pairs(tmp_path):
    corrupt = tmp_path / "corrupt.evt"
    corrupt.write_bytes(b"SIMPLE  =  T" + b" " * 100)
    a, b = os.path.join(DATA, "monol_testA.evt"), os.path.join(DATA, "monol_testA_calib.evt")
    xte = os.path.join(DATA, "xte_test.evt.gz")
    out = tmp_path / "cross.ecsv"
    argv = ["batch", a, b, str(corrupt), xte, xte, xte, "--spectrum", "cross"]
    argv += ["--model", "Const1D", "--segment-size", "8", "--out", str(out), "--quiet"]
    with pytest.warns(RuntimeWarning, match="1 of 3 rows"):
        status, text, _ = _run([*argv, "--no-cache"])
    assert status == 0, text
    assert "3 pairs" in text
    assert "fitted: 2, flagged: 1" in text
    table = Table.read(out)
    assert table["obs_id"][0] == f"{a} x {b}"
    assert "first half" in table["problem"][1]
    with pytest.warns(RuntimeWarning):  # resuming a finished run reads nothing again
        status, _, _ = _run([*argv, "--resume", "--no-cache"])
    assert status == 0
    assert len(Table.read(out)) == 3


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["x.evt", "y.evt", "z.evt"], "in pairs"),
        (["x.evt", "y.evt", "--per-segment"], "--per-segment"),
        (["x.evt", "y.evt", "--significance", "outlier"], "--significance"),
    ],
)
def test_cli_cross_bad_input_exit_status_2(extra, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = _run(["batch", "--spectrum", "cross", *extra, "--quiet", "--no-cache"])
    assert status == 2
    assert match in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_documented_small_m_bias_of_the_gaussian_cross_likelihood():
    """docs/modeling.rst: with errors estimated from the data, the Gaussian fit of |cross
    power| narrows the QPO (loses power) at small m; the Gamma fit of a band's power spectrum
    does not, and the cross fit approaches it at large m."""
    n = 16
    width = {}
    for length in (64.0, 1024.0):  # m = 8 and 128
        pairs = [_pair(100 + k, length) for k in range(n)]
        rows = fit_observations(pairs, _model(), SEG, DT, norm="leahy", spectrum="cross")
        assert bool(np.all(rows["converged"]))
        width[length] = float(np.mean(rows["fwhm_0"]))
        if length == 64.0:
            power = fit_observations(
                [p[0] for p in pairs],
                Lorentz1D(10.0, 3.0, 0.8) + Const1D(2.0),
                SEG,
                DT,
                norm="leahy",
            )
            width["power"] = float(np.mean(power["fwhm_0"]))
    assert width[64.0] < 0.88 * width["power"]
    assert width[1024.0] > 0.92 * width["power"]
