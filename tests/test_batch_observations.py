"""fit_observations: items (files, EventList, Lightcurve, arrays) -> spectra -> fits -> table.

References: Stingray's ``AveragedPowerspectrum`` / ``DynamicalPowerspectrum`` / ``rebin_log``
for the spectra (1e-10), Stingray's ``PSDParEst.fit`` for the parameters (1e-4 relative, its
optimizer's finite-difference tolerance), and the loop of single runs for chunks, devices and
resumed runs.
"""

import os
import warnings

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D
from astropy.table import Table

import stingray_jax.batch._observations as obsmod
from stingray_jax import modeling as sjm
from stingray_jax.batch import fit_batch, fit_observations
from stingray_jax.batch._items import item_spectra, load_observation

from ._utils import qpo_rate, seeded_global_rng

stingray = pytest.importorskip("stingray")
from stingray import AveragedPowerspectrum, DynamicalPowerspectrum, EventList, Lightcurve  # noqa: E402

DATA = os.path.join(os.path.dirname(stingray.__file__), "tests", "data")
DT = 1 / 64
SEG = 16.0


def _qpo_rate(rng, n_bins):
    return qpo_rate(rng, n_bins, DT, mean=200.0, rms=0.25)


def _events(rng, length, t0=1e8, gap=None):
    """Poisson events of a QPO light curve (piecewise-constant rate), times from ``t0``."""
    n_bins = round(length / DT)
    counts = rng.poisson(_qpo_rate(rng, n_bins) * DT)
    times = t0 + DT * (np.repeat(np.arange(n_bins), counts) + rng.uniform(size=counts.sum()))
    gti = [[t0, t0 + length]]
    if gap is not None:  # a hole in the middle: two GTIs
        a, b = t0 + gap[0], t0 + gap[1]
        times = times[(times < a) | (times >= b)]
        gti = [[t0, a], [b, t0 + length]]
    return EventList(np.sort(times), gti=np.array(gti), mjdref=55000)


def _model():
    model = Lorentz1D(amplitude=2.0, x_0=3.0, fwhm=0.8) + Const1D(amplitude=2.0)
    model.amplitude_0.bounds = (0, None)
    model.fwhm_0.bounds = (0, None)
    return model


@pytest.fixture(scope="module")
def observations():
    rng = np.random.default_rng(42)
    return [
        _events(rng, 256),
        _events(rng, 384, t0=1e8 + 1e4, gap=(100, 140)),
        _events(rng, 512, t0=1e8 + 3e4),
        _events(rng, 320, t0=1e8 + 5e4),
    ]


def test_rows_equal_stingray_spectra_and_fits(observations):
    from stingray.modeling import PSDLogLikelihood, PSDParEst

    model = _model()
    table = fit_observations(observations, model, SEG, DT, norm="leahy")
    assert len(table) == 4
    assert table["converged"].all()
    assert list(table["item"]) == [0, 1, 2, 3]
    assert (table["problem"] == "").all()
    for i, ev in enumerate(observations):
        ps = AveragedPowerspectrum.from_events(
            ev, dt=DT, segment_size=SEG, norm="leahy", silent=True
        )
        ours = item_spectra(load_observation(ev, DT), SEG, "leahy", False)
        np.testing.assert_allclose(ours.freq, ps.freq, rtol=1e-12)
        np.testing.assert_allclose(ours.powers[0], ps.power, rtol=1e-10)
        assert table["m"][i] == ps.m
        assert table["tstart"][i] == ev.gti[0, 0]
        assert table["tstop"][i] == ev.gti[-1, 1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lpost = PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m)
            with seeded_global_rng():
                res = PSDParEst(ps, fitmethod="L-BFGS-B", max_post=False).fit(
                    lpost, model.parameters
                )
        got = [table[n][i] for n in ("amplitude_0", "x_0_0", "fwhm_0", "amplitude_1")]
        np.testing.assert_allclose(got, res.p_opt, rtol=1e-4)
        ours_ll = sjm.PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m)
        best = np.array(got)
        np.testing.assert_allclose(table["neg_log_likelihood"][i], -ours_ll(best), rtol=1e-12)
        assert table["aic"][i] == pytest.approx(table["neg_log_likelihood"][i] + 8)
    assert table.meta["free_param_names"] == ["amplitude_0", "x_0_0", "fwhm_0", "amplitude_1"]


def test_per_segment_rows_equal_the_dynamical_spectrum(observations):
    ev = observations[1]  # two GTIs: segments start again after the gap
    table = fit_observations([ev], _model(), SEG, DT, norm="leahy", per_segment=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dps = DynamicalPowerspectrum(ev, segment_size=SEG, norm="leahy", sample_time=DT)
    n_seg = dps.dyn_ps.shape[1]
    assert len(table) == n_seg
    assert list(table["segment"]) == list(range(n_seg))
    np.testing.assert_allclose(table["time"], dps.time, rtol=0, atol=1e-6)
    assert (table["m"] == 1).all()
    ref = fit_batch(_model(), dps.freq, dps.dyn_ps.T)
    for name in ("x_0_0", "fwhm_0", "amplitude_1", "neg_log_likelihood"):
        np.testing.assert_allclose(table[name], ref[name], rtol=1e-10, equal_nan=True)


def test_rebin_log_equals_stingray(observations):
    ev = observations[0]
    table = fit_observations([ev], _model(), SEG, DT, norm="leahy", rebin_log=0.03)
    ps = AveragedPowerspectrum.from_events(ev, dt=DT, segment_size=SEG, norm="leahy", silent=True)
    rb = ps.rebin_log(0.03)
    ref = fit_batch(_model(), rb.freq, rb.power[None, :], m=np.asarray(rb.m)[None, :])
    for name in ("x_0_0", "fwhm_0", "neg_log_likelihood"):
        np.testing.assert_allclose(table[name], ref[name], rtol=1e-9)
    assert table["converged"].all()


def test_bad_items_become_flagged_rows(observations, tmp_path):
    garbage = tmp_path / "garbage.evt"
    garbage.write_text("not a FITS file")
    short = Lightcurve(np.arange(100) * DT, np.ones(100), dt=DT, skip_checks=True)
    items = [observations[0], str(garbage), short, "no/such/file.evt", 3.5, observations[2]]
    with pytest.warns(RuntimeWarning, match="4 of 6 rows could not be fitted"):
        table = fit_observations(items, _model(), SEG, DT, norm="leahy")
    problems = list(table["problem"])
    assert problems[0] == ""
    assert problems[5] == ""
    assert "cannot read" in problems[1]
    assert "garbage.evt" in table["obs_id"][1]
    assert "longer than the longest good time interval" in problems[2]
    assert "no such file" in problems[3]
    assert "cannot use a float" in problems[4]
    assert not table["converged"][1:5].any()
    assert np.isnan(table["x_0_0"][1:5]).all()
    good = fit_observations([observations[0], observations[2]], _model(), SEG, DT, norm="leahy")
    for name in ("x_0_0", "fwhm_0", "amplitude_1"):
        np.testing.assert_allclose(table[name][[0, 5]], good[name], rtol=1e-12)


def test_real_event_files_and_a_corrupt_one(tmp_path):
    corrupt = tmp_path / "corrupt.evt"
    with open(os.path.join(DATA, "monol_testA.evt"), "rb") as f:
        corrupt.write_bytes(f.read()[:5000])  # a truncated FITS file
    files = [
        os.path.join(DATA, "monol_testA.evt"),
        str(corrupt),
        os.path.join(DATA, "xte_test.evt.gz"),
    ]
    model = Const1D(2.0)
    with pytest.warns(RuntimeWarning, match="1 of 3 rows"):
        table = fit_observations(files, model, 8.0, 1 / 128, norm="leahy")
    assert list(table["problem"] != "") == [False, True, False]
    for row, path in ((0, files[0]), (2, files[2])):
        ps = AveragedPowerspectrum.from_events(
            EventList.read(path, fmt="ogip"), dt=1 / 128, segment_size=8.0, norm="leahy"
        )
        # the maximum-likelihood constant of a Whittle/Gamma fit is the mean power
        np.testing.assert_allclose(table["amplitude"][row], np.mean(ps.power), rtol=1e-7)
        assert table["m"][row] == ps.m


def test_chunks_and_devices_do_not_change_the_rows(observations):
    model = _model()
    one = fit_observations(observations, model, SEG, DT, norm="leahy", devices=1, n_workers=1)
    many = fit_observations(observations, model, SEG, DT, norm="leahy", chunk_size=3, devices=4)
    for name in ("x_0_0", "fwhm_0", "amplitude_1", "neg_log_likelihood"):
        np.testing.assert_allclose(many[name], one[name], rtol=1e-12)


def test_output_file_resume_after_interruption(observations, tmp_path, monkeypatch):
    model = _model()
    full_path = tmp_path / "full.ecsv"
    full = fit_observations(observations, model, SEG, DT, norm="leahy", out=full_path)
    assert Table.read(full_path).meta["stingray_jax_batch"]["n_items"] == 4

    path = tmp_path / "run.ecsv"
    real_load = obsmod.load_observation
    calls = []

    def interrupted(item, dt):
        calls.append(item)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_load(item, dt)

    monkeypatch.setattr(obsmod, "load_observation", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fit_observations(observations, model, SEG, DT, norm="leahy", out=path, chunk_size=2)
    assert len(Table.read(path)) == 2  # the first chunk was written
    monkeypatch.setattr(obsmod, "load_observation", real_load)
    with open(path, "a") as f:  # a line torn by a kill inside a write
        f.write("2 monol")
    with pytest.raises(FileExistsError, match="resume=True"):
        fit_observations(observations, model, SEG, DT, norm="leahy", out=path)
    with pytest.raises(ValueError, match=r"other settings.*norm"):
        fit_observations(observations, model, SEG, DT, norm="frac", out=path, resume=True)
    monkeypatch.setattr(obsmod, "load_observation", interrupted)
    calls.clear()
    calls.append(None)  # so that the interruption does not fire again (it is the 3rd call)
    calls.append(None)
    calls.append(None)
    resumed = fit_observations(
        observations, model, SEG, DT, norm="leahy", out=path, resume=True, chunk_size=2
    )
    assert len(calls) == 5  # only items 2 and 3 were read again
    assert len(resumed) == 4
    for name in full.colnames:
        if full[name].dtype.kind == "f":
            np.testing.assert_allclose(resumed[name], full[name], rtol=1e-12, equal_nan=True)
        else:
            assert list(resumed[name].ravel()) == list(full[name].ravel())
    again = Table.read(path)
    assert len(again) == 4
    assert sorted(again["item"]) == [0, 1, 2, 3]


def test_overwrite_and_bad_arguments(observations, tmp_path):
    path = tmp_path / "x.ecsv"
    with pytest.raises(ValueError, match="must be an ECSV"):
        fit_observations(observations[:1], _model(), SEG, DT, out=tmp_path / "x.csv")
    path.write_text("# %ECSV 1.0\n# ---\n# datatype:\n# - {name: a, datatype: int64}\na\n1\n")
    with pytest.raises(ValueError, match="not written by a batch fit"):
        fit_observations(observations[:1], _model(), SEG, DT, out=path, resume=True)
    table = fit_observations(observations[:1], _model(), SEG, DT, out=path, overwrite=True)
    assert len(table) == 1
    for kwargs, match in [
        ({"segment_size": -1}, "segment_size"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"rebin_log": -0.1}, "rebin_log"),
        ({"devices": 99}, "local JAX device"),
    ]:
        args = {"segment_size": SEG, **kwargs}
        with pytest.raises(ValueError, match=match):
            fit_observations(observations[:1], _model(), dt=DT, **args)
    with pytest.raises(ValueError, match="no items"):
        fit_observations([], _model(), SEG, DT)
    with pytest.warns(RuntimeWarning, match="1 of 1 rows"):
        table = fit_observations(observations[:1], _model(), SEG)
    assert "dt (the bin width of the light curves) is needed" in table["problem"][0]


def test_callable_p0_and_arrays(rng):
    counts = [rng.poisson(3.0, size=n) for n in (4096, 6000)]
    model = Const1D(1.0)
    seen = []

    def guess(freq, power):
        seen.append(freq.size)
        return [np.mean(power)]

    table = fit_observations(counts, model, SEG, DT, norm="leahy", p0=guess)
    assert len(seen) == 2
    assert table["converged"].all()
    np.testing.assert_allclose(table["n_steps"], 0, atol=2)  # started at the optimum
    assert list(table["obs_id"]) == ["ndarray[0]", "ndarray[1]"]


def test_float32_chain_within_a_fraction_of_the_errors(observations):
    model = _model()
    t64 = fit_observations(observations, model, SEG, DT, norm="leahy")
    t32 = fit_observations(observations, model, SEG, DT, norm="leahy", dtype="float32")
    assert t32["converged"].all()
    for name in ("amplitude_0", "x_0_0", "fwhm_0", "amplitude_1"):
        assert np.all(np.abs(t32[name] - t64[name]) < 0.05 * t64[f"{name}_err"])
    # the spectra themselves are float32 FFTs: within 1e-5 of float64 (powers of ~2)
    for per_segment in (False, True):
        obs = load_observation(observations[1], DT)
        s64 = item_spectra(obs, SEG, "leahy", per_segment)
        s32 = item_spectra(obs, SEG, "leahy", per_segment, dtype="float32")
        assert not np.array_equal(s32.powers, s64.powers)  # computed in float32
        np.testing.assert_allclose(s32.powers, s64.powers, rtol=0, atol=2e-5 * s64.powers.max())


@pytest.mark.parametrize("per_segment", [False, True])
def test_spectra_of_a_chunk_in_one_jax_call(observations, monkeypatch, per_segment):
    """All items of a chunk go through one JAX call of the periodogram kernel (no host round
    trip per item), with the spectra of each item alone (1e-12); an unreadable item in the
    chunk does not change that."""
    import stingray_jax.fourier._timeseries as ts
    from stingray_jax.batch._items import item_segments, spectra_from_segments

    goods = [item_segments(load_observation(ev, DT), SEG) for ev in observations]
    alone = [spectra_from_segments([g], "leahy", per_segment)[0] for g in goods]
    calls = []
    run = ts._run

    def counting_run(kernel, *arrays, **kwargs):
        calls.append(arrays[0].shape)
        return run(kernel, *arrays, **kwargs)

    monkeypatch.setattr(ts, "_run", counting_run)
    together = spectra_from_segments(goods, "leahy", per_segment)
    assert len(calls) == 1
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(b.powers, a.powers, rtol=1e-12)
        np.testing.assert_array_equal(b.m, a.m)
        np.testing.assert_array_equal(b.tstart, a.tstart)
    calls.clear()
    table = fit_observations(
        [*observations[:2], "/no/such/file.evt", *observations[2:]],
        _model(),
        SEG,
        DT,
        norm="leahy",
        per_segment=per_segment,
        chunk_size=5,
    )
    assert len(calls) == 1
    assert (table["problem"] != "").sum() >= 1
    for i, sp in zip([0, 1, 3, 4], alone, strict=True):
        assert (table["item"] == i).sum() == sp.powers.shape[0]
