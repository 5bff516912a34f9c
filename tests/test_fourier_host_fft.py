"""The host (SciPy) FFT path of ``avg_pds_batch`` / ``avg_cs_batch`` (``fft=`` switch, issue 17)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from stingray_jax import fourier as jf
from stingray_jax.fourier import _batched, _host_fft

from ._utils import assert_allclose, assert_dtype

NORMS = ["frac", "abs", "leahy", "none"]


@pytest.fixture
def batch(rng):
    """Light curves with padding, a gap and an all-zero segment (as in test_fourier_batch)."""
    n_lc, n_bins = 5, 1000
    fluxes = rng.poisson(40.0, size=(n_lc, n_bins)).astype(float)
    fluxes2 = rng.poisson(30.0, size=(n_lc, n_bins)).astype(float)
    mask = np.ones((n_lc, n_bins), bool)
    mask[1, 700:] = False  # shorter light curve
    mask[2, 230:260] = False  # a gap
    fluxes[4, 100:200] = 0.0  # an all-zero segment is skipped
    fluxes[~mask] = np.nan  # masked bins may hold anything: NaN must not leak into the host FFT
    fluxes2[~mask] = 1e9
    return fluxes, fluxes2, mask


@pytest.fixture
def host_spy(monkeypatch):
    """Record the calls of the host FFT made by the public functions."""
    calls = []

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return _host_fft.host_segment_fft(*args, **kwargs)

    monkeypatch.setattr(_batched, "host_segment_fft", spy)
    return calls


def _close_to_scale(actual, desired, rtol):
    """Equal to ``rtol`` of each spectrum's largest value (FFT round-off is absolute: a bin
    of nearly zero power differs relatively more between two FFT libraries)."""
    desired = np.asarray(desired)
    scale = np.nanmax(np.abs(desired), axis=-1, keepdims=True)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(desired))
    good = ~np.isnan(desired)
    err = np.abs(np.asarray(actual) - desired)
    assert np.all(err[good] <= (rtol * np.broadcast_to(scale, desired.shape))[good])


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_avg_pds_batch_host_equals_xla(batch, host_spy, norm, use_common_mean):
    fluxes, _, mask = batch
    kw = {"segment_size": 1.0, "norm": norm, "use_common_mean": use_common_mean, "mask": mask}
    freq_x, p_xla = jf.avg_pds_batch(fluxes, 0.01, fft="xla", **kw)
    assert host_spy == []
    freq_h, p_host = jf.avg_pds_batch(fluxes, 0.01, fft="host", **kw)
    assert host_spy == [fluxes.shape]
    assert_dtype(p_host, np.float64)  # NumPy input, x64 off: float64
    np.testing.assert_array_equal(freq_h, freq_x)
    assert_allclose(p_host, p_xla, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
@pytest.mark.parametrize("power_type", ["all", "real", "abs"])
def test_avg_cs_batch_host_equals_xla(batch, host_spy, norm, use_common_mean, power_type):
    fluxes1, fluxes2, mask = batch
    kw = {
        "segment_size": 1.0,
        "norm": norm,
        "use_common_mean": use_common_mean,
        "mask": mask,
        "power_type": power_type,
    }
    freq_x, cs_xla = jf.avg_cs_batch(fluxes1, fluxes2, 0.01, fft="xla", **kw)
    freq_h, cs_host = jf.avg_cs_batch(fluxes1, fluxes2, 0.01, fft="host", **kw)
    assert len(host_spy) == 2  # one host FFT per channel
    assert_dtype(cs_host, np.complex128 if power_type == "all" else np.float64)
    np.testing.assert_array_equal(freq_h, freq_x)
    if power_type == "abs":
        assert_allclose(cs_host, cs_xla, rtol=1e-12, atol=0.0)
    else:  # real and imaginary parts cross zero: compare to the spectrum's scale
        _close_to_scale(cs_host, cs_xla, 1e-12)


def test_host_without_segments_or_mask(rng):
    """Whole rows as one segment, and a remainder dropped by ``segment_size``."""
    fluxes = rng.poisson(20.0, size=(3, 1030)).astype(float)
    for seg in (None, 2.5):
        _, p_xla = jf.avg_pds_batch(fluxes, 0.01, segment_size=seg, fft="xla")
        _, p_host = jf.avg_pds_batch(fluxes, 0.01, segment_size=seg, fft="host")
        assert_allclose(p_host, p_xla, rtol=1e-12, atol=0.0)


def test_host_float32_keeps_dtype(batch):
    fluxes, fluxes2, mask = batch
    kw = {"segment_size": 1.0, "mask": mask}
    x32 = jnp.asarray(np.nan_to_num(fluxes), dtype=jnp.float32)  # JAX float32 in: float32 out
    _, p_xla = jf.avg_pds_batch(x32, 0.01, fft="xla", **kw)
    _, p_host = jf.avg_pds_batch(x32, 0.01, fft="host", **kw)
    assert_dtype(p_host, np.float32)
    assert_allclose(p_host, p_xla, rtol=1e-5, atol=0.0)
    _, cs_xla = jf.avg_cs_batch(fluxes, fluxes2, 0.01, fft="xla", dtype="float32", **kw)
    _, cs_host = jf.avg_cs_batch(fluxes, fluxes2, 0.01, fft="host", dtype="float32", **kw)
    assert_dtype(cs_host, np.complex64)
    _close_to_scale(cs_host, cs_xla, 1e-5)


def test_auto_is_xla_by_default_whatever_the_size():
    # the measured policy (see HOST_FFT_MIN_SIZE): the host FFT did not pay on 2 cores
    assert _host_fft.HOST_FFT_MIN_SIZE is None
    big = jnp.zeros((256, 2**16), jnp.float32)
    assert _host_fft.choose_fft("auto", big, None, 0.01) == "xla"


def test_auto_picks_host_for_large_concrete_cpu_input(batch, host_spy, monkeypatch):
    fluxes, fluxes2, mask = batch
    x = jnp.asarray(fluxes)
    monkeypatch.setattr(_host_fft, "HOST_FFT_MIN_SIZE", fluxes.size + 1)
    assert _host_fft.choose_fft("auto", x, None, 0.01) == "xla"  # below the threshold
    monkeypatch.setattr(_host_fft, "HOST_FFT_MIN_SIZE", fluxes.size)
    assert _host_fft.choose_fft("auto", x, None, 0.01) == "host"
    _, p_auto = jf.avg_pds_batch(fluxes, 0.01, segment_size=1.0, mask=mask)
    assert host_spy == [fluxes.shape]
    _, p_xla = jf.avg_pds_batch(fluxes, 0.01, segment_size=1.0, mask=mask, fft="xla")
    assert_allclose(p_auto, p_xla, rtol=1e-12, atol=0.0)
    jf.avg_cs_batch(fluxes, fluxes2, 0.01, segment_size=1.0, mask=mask)
    assert len(host_spy) == 3
    monkeypatch.setattr(_host_fft, "HOST_FFT_MIN_SIZE", fluxes.size + 1)
    jf.avg_pds_batch(fluxes, 0.01, segment_size=1.0, mask=mask)
    assert len(host_spy) == 3  # below the threshold: XLA


def test_auto_is_xla_when_traced(batch, host_spy, monkeypatch):
    fluxes, _, mask = batch
    monkeypatch.setattr(_host_fft, "HOST_FFT_MIN_SIZE", 1)
    chosen = []

    @jax.jit
    def f(x):
        chosen.append(_host_fft.choose_fft("auto", x, None, 0.01))
        return jf.avg_pds_batch(x, 0.01, segment_size=1.0, mask=mask)[1]

    _, ref = jf.avg_pds_batch(fluxes, 0.01, segment_size=1.0, mask=mask, fft="xla")
    with jax.enable_x64(True):
        out = f(jnp.asarray(fluxes))
        x = jnp.asarray(np.nan_to_num(fluxes))
        vmapped = jax.vmap(lambda row: jf.avg_pds_batch(row[None], 0.01)[1][0])(x)
    assert chosen == ["xla"]
    assert host_spy == []
    assert_allclose(out, ref, rtol=1e-12, atol=0.0)
    assert vmapped.shape == (5, 499)


def test_gradient_through_auto_uses_xla(x64, rng, host_spy, monkeypatch):
    monkeypatch.setattr(_host_fft, "HOST_FFT_MIN_SIZE", 1)  # auto would pick host if concrete
    fluxes = jnp.asarray(rng.poisson(30.0, size=(2, 256)).astype(float))

    def f(x):
        return jnp.sum(jf.avg_pds_batch(x, 0.1, segment_size=6.4, norm="leahy")[1] ** 0.5)

    grad = jax.grad(f)(fluxes)  # traced: XLA, although auto would pick host for these values
    assert host_spy == []
    assert np.all(np.isfinite(grad))
    # reverse mode (traced, XLA) against finite differences (concrete calls: the host FFT)
    check_grads(f, (fluxes,), order=1, modes=("rev",), rtol=1e-5)
    assert host_spy


def test_explicit_host_when_traced_raises(batch):
    fluxes, fluxes2, _ = batch
    x = jnp.asarray(np.nan_to_num(fluxes))
    with pytest.raises(ValueError, match="fft='host' needs concrete input"):
        jax.jit(lambda v: jf.avg_pds_batch(v, 0.01, fft="host")[1])(x)
    with pytest.raises(ValueError, match="fft='host' needs concrete input"):
        jax.grad(lambda v: jf.avg_pds_batch(v, 0.01, fft="host")[1].sum())(x)
    with pytest.raises(ValueError, match="traced"):
        jax.jit(lambda v: jf.avg_cs_batch(v, fluxes2, 0.01, fft="host")[1])(x)
    with pytest.raises(ValueError, match="traced"):  # a traced dt counts too
        jax.jit(lambda dt: jf.avg_pds_batch(x, dt, fft="host")[1])(0.01)


@pytest.mark.parametrize("bad", ["numpy", "HOST", None, 1])
def test_bad_fft_value_raises(batch, bad):
    fluxes, fluxes2, _ = batch
    fluxes = np.nan_to_num(fluxes)
    with pytest.raises(ValueError, match=r"fft must be one of \('auto', 'xla', 'host'\)"):
        jf.avg_pds_batch(fluxes, 0.01, fft=bad)
    with pytest.raises(ValueError, match="fft must be one of"):
        jf.avg_cs_batch(fluxes, fluxes2, 0.01, fft=bad)


def test_host_no_recompilation(rng):
    fluxes = rng.poisson(20.0, size=(3, 512)).astype(float)
    jf.avg_pds_batch(fluxes, 0.01, fft="host")
    before = _batched._avg_pds_batch_jit._cache_size()
    jf.avg_pds_batch(fluxes + 1.0, 0.01, fft="host")
    assert _batched._avg_pds_batch_jit._cache_size() == before
