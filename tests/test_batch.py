"""fit_batch: one vmapped call equals fitting each spectrum alone."""

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

from stingray_jax import modeling as sjm
from stingray_jax.batch import fit_batch
from stingray_jax.models import from_astropy


def _plc():
    model = PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + Const1D(amplitude=1.5)
    model.x_0_0.fixed = True
    model.amplitude_0.bounds = (0, None)
    return model


@pytest.mark.parametrize("m", [1, 4])
def test_batch_equals_loop_and_one_failure_does_not_spoil(rng, m):
    freq = np.linspace(0.02, 5.0, 256)
    model = _plc()
    powers = model(freq) * rng.gamma(m, 1.0 / m, size=(5, freq.size))
    p0 = np.tile([1.5, 1.2, 1.0], (5, 1))
    p0[3] = [1.5, 1.2, -50.0]  # model negative at the start: this fit fails
    table = fit_batch(model, freq, powers, m=m, p0=p0)
    assert list(table["converged"]) == [True, True, True, False, True]
    for i in (0, 1, 2, 4):
        lpost = sjm.PSDLogLikelihood(freq, powers[i], model, m=m)
        res = sjm.PSDParEst(None, max_post=False).fit(lpost, p0[i])
        got = [table[n][i] for n in ("amplitude_0", "alpha_0", "amplitude_1")]
        np.testing.assert_allclose(got, res.p_opt, rtol=1e-9)
        np.testing.assert_allclose(table["alpha_0_err"][i], res.err[1], rtol=1e-7)
        np.testing.assert_allclose(table["neg_log_likelihood"][i], res.result, rtol=1e-12)


def test_accepts_jaxmodel_and_float32(rng):
    # Same structure and shapes as above: the float64 program is reused from the cache.
    freq = np.linspace(0.02, 5.0, 256)
    model = _plc()
    powers = model(freq) * rng.exponential(size=(5, freq.size))
    t64 = fit_batch(from_astropy(model), freq, powers, p0=[1.5, 1.2, 1.0])
    t32 = fit_batch(model, freq, powers, p0=[1.5, 1.2, 1.0], dtype="float32")
    assert t64["alpha_0"].dtype == np.float64
    assert t32["alpha_0"].dtype == np.float32
    assert t64["converged"].all()
    assert t32["converged"].all()
    for name in ("amplitude_0", "alpha_0", "amplitude_1"):
        assert np.all(np.abs(t32[name] - t64[name]) < 0.05 * t64[f"{name}_err"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"powers": np.ones(10)}, "shape"),
        ({"powers": np.ones((2, 9))}, "shape"),
        ({"powers": np.full((2, 10), np.nan)}, "no spectrum can be fitted.*non-finite"),
        ({"powers": -np.ones((2, 10))}, "non-negative"),
        ({"p0": [1.0]}, "p0 must have shape"),
        ({"p0": [-1.0, 1.0, 1.0]}, "strictly inside"),
        ({"m": np.ones(3) * 2}, "m must be"),
        ({"dtype": "float16"}, "dtype"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"powers": np.ones((2, 10))} | kwargs
    powers = args.pop("powers")
    with pytest.raises(ValueError, match=match):
        fit_batch(_plc(), np.linspace(0.1, 1, 10), powers, **args)


def test_bad_rows_are_flagged_and_the_others_unaffected(rng):
    freq = np.linspace(0.02, 5.0, 128)
    model = _plc()
    powers = model(freq) * rng.exponential(size=(5, freq.size))
    clean = fit_batch(model, freq, powers, p0=[1.5, 1.2, 1.0], n_workers=1)
    broken = powers.copy()
    broken[1, 7] = np.nan
    broken[3, 0] = -1.0
    with pytest.warns(RuntimeWarning, match="2 of 5 spectra cannot be fitted") as caught:
        table = fit_batch(model, freq, broken, p0=[1.5, 1.2, 1.0], n_workers=1)
    assert len(caught) == 1  # one warning for the batch
    assert list(table["problem"]) == ["", "1 non-finite power(s)", "", "1 negative power(s)", ""]
    assert list(table["converged"]) == [True, False, True, False, True]
    for name in ("amplitude_0", "alpha_0", "amplitude_1", "neg_log_likelihood"):
        assert np.all(np.isnan(table[name][[1, 3]]))
        np.testing.assert_array_equal(table[name][[0, 2, 4]], clean[name][[0, 2, 4]])
    assert np.all(np.isnan(table["cov"][[1, 3]]))
    assert np.all(table["n_steps"][[1, 3]] == 0)
    # m > 1: a zero power cannot be fitted with the Gamma likelihood; nor can a bad m row
    m = np.full(powers.shape, 4.0)
    m[2, 5] = 0.0
    zeroed = powers.copy()
    zeroed[4, 3] = 0.0
    with pytest.warns(RuntimeWarning, match="2 of 5"):
        table = fit_batch(model, freq, zeroed, m=m, p0=[1.5, 1.2, 1.0])
    assert list(table["problem"]) == [
        "",
        "",
        "m not positive and finite",
        "",
        "1 non-positive power(s)",
    ]
    assert list(table["converged"][[0, 1, 3]]) == [True, True, True]


def test_no_recompilation(rng):
    from stingray_jax.batch._spectra import _batch_jit

    freq = np.linspace(0.02, 5.0, 256)
    model = _plc()
    fit_batch(model, freq, model(freq) * rng.exponential(size=(5, freq.size)))
    n = _batch_jit()._cache_size()
    fit_batch(_plc(), freq * 1.5, model(freq) * rng.exponential(size=(5, freq.size)), p0=[1, 1, 1])
    assert _batch_jit()._cache_size() == n


@pytest.mark.slow
def test_error_bars_match_scatter_of_200_simulations(rng):
    """Reported errors (inverse exact Hessian) match the scatter of p_opt within 15%."""
    freq = np.linspace(0.05, 10.0, 1024)
    # Signals strong enough for the asymptotic (Gaussian) regime the Hessian describes.
    model = PowerLaw1D(3.0, 1.0, 1.2) + Lorentz1D(30.0, 3.0, 0.8) + Const1D(2.0)
    model.x_0_0.fixed = True
    for m in (1, 10):
        powers = model(freq) * rng.gamma(m, 1.0 / m, size=(200, freq.size))
        table = fit_batch(model, freq, powers, m=m)
        assert table["converged"].all()
        for name in table.meta["free_param_names"]:
            scatter = np.std(table[name], ddof=1)
            reported = np.mean(table[f"{name}_err"])
            assert abs(scatter / reported - 1) < 0.15, (m, name, scatter, reported)


def test_result_does_not_depend_on_threads(rng):
    freq = np.linspace(0.02, 5.0, 256)
    model = _plc()
    powers = model(freq) * rng.exponential(size=(7, freq.size))
    one = fit_batch(model, freq, powers, p0=[1.5, 1.2, 1.0], n_workers=1)
    three = fit_batch(model, freq, powers, p0=[1.5, 1.2, 1.0], n_workers=3)  # parts 3, 3, 1
    for name in one.colnames:
        np.testing.assert_array_equal(one[name], three[name])
