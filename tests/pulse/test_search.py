"""stingray_jax.pulse.search against stingray.pulse.search (Stingray 2.3.2).

The test process runs with JAX's x64 flag off: the adapters must compute in float64 anyway.
"""

import os
import warnings

import numpy as np
import pytest

from stingray_jax.pulse import epoch_folding_search, z_n_search

spulse = pytest.importorskip("stingray.pulse.search")

RTOL = 1e-8


def _stingray(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _assert_same(ours, theirs, rtol=RTOL):
    assert len(ours) == len(theirs)
    for a, b in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ours[-1], theirs[-1], rtol=rtol, atol=0)


@pytest.fixture(scope="module")
def pulsar():
    """A weak pulsar with a frequency derivative, at a large mission-time offset."""
    rng = np.random.default_rng(42)
    t = np.sort(rng.uniform(0, 2000.0, 30_000))
    phase = 2.345 * t + 0.5 * 3e-6 * t**2
    keep = rng.uniform(size=t.size) < 0.5 * (1 + 0.15 * np.cos(2 * np.pi * phase))
    return t[keep] + 3.5e8


PAIRS = (
    (z_n_search, spulse.z_n_search),
    (epoch_folding_search, spulse.epoch_folding_search),
)
FREQS = np.linspace(2.34, 2.35, 61)
FDOTS = np.linspace(-2e-6, 8e-6, 6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"fdots": FDOTS},
        {"segment_size": 600.0},
        {"nharm": 1, "nbin": 32},
        {"nbin": 100},
    ],
)
def test_z_n_search_equals_stingray(pulsar, kwargs):
    ours = z_n_search(pulsar, FREQS, **kwargs)
    theirs = _stingray(spulse.z_n_search, pulsar, FREQS, **kwargs)
    _assert_same(ours, theirs)
    assert ours[-1].dtype == np.float64


@pytest.mark.parametrize("kwargs", [{}, {"fdots": FDOTS}, {"segment_size": 600.0}, {"nbin": 60}])
def test_epoch_folding_search_equals_stingray(pulsar, kwargs):
    ours = epoch_folding_search(pulsar, FREQS, **kwargs)
    theirs = _stingray(spulse.epoch_folding_search, pulsar, FREQS, **kwargs)
    _assert_same(ours, theirs)


def test_detects_the_same_frequency_and_fdot(pulsar):
    f, fd, z = z_n_search(pulsar, FREQS, nharm=2, fdots=FDOTS)
    _, _, sz = _stingray(spulse.z_n_search, pulsar, FREQS, nharm=2, fdots=FDOTS)
    i = np.unravel_index(np.argmax(z), z.shape)
    assert i == np.unravel_index(np.argmax(sz), sz.shape)
    # f and fdot are correlated: compare the frequency at mid-observation (t = 1000 s).
    assert abs(f[i] + fd[i] * 1000 - (2.345 + 3e-6 * 1000)) < 3e-4


@pytest.mark.parametrize("nbin", [64, 50])
def test_weights_binned_light_curve(nbin):
    """A binned light curve: ``times`` are bin times, ``weights`` the counts (histogram path)."""
    rng = np.random.default_rng(3)
    dt = 0.01
    time = np.arange(0, 150, dt) + 1e8
    rate = 40 * (1 + 0.2 * np.sin(2 * np.pi * 3.3 * (time - time[0])))
    counts = rng.poisson(rate * dt).astype(float)
    freqs = np.linspace(3.26, 3.34, 41)
    for fn, sfn, kw in (
        (z_n_search, spulse.z_n_search, {"nharm": 3}),
        (epoch_folding_search, spulse.epoch_folding_search, {}),
    ):
        ours = fn(time, freqs, nbin=nbin, weights=counts, **kw)
        theirs = _stingray(sfn, time, freqs, nbin=nbin, weights=counts, **kw)
        _assert_same(ours, theirs)


def test_expocorr_equals_stingray():
    """Exposure correction with GTIs; times start at 0, where Stingray's GTIs are consistent."""
    rng = np.random.default_rng(5)
    gti = np.array([[0.0, 30.0], [41.3, 80.0], [95.0, 130.0]])
    t = np.sort(rng.uniform(0, 130, 6000))
    good = np.zeros(t.size, bool)
    for g0, g1 in gti:
        good |= (t >= g0) & (t < g1)
    t = np.concatenate([[0.0], t[good]])
    freqs = np.linspace(0.05, 0.5, 23)
    for fn, sfn in PAIRS:
        ours = fn(t, freqs, nbin=16, expocorr=True, gti=gti)
        theirs = _stingray(sfn, t, freqs, nbin=16, expocorr=True, gti=gti)
        _assert_same(ours, theirs, rtol=1e-7)


def test_expocorr_needs_gti():
    with pytest.raises(ValueError, match="GTI"):
        z_n_search(np.arange(10.0), [1.0], expocorr=True)


@pytest.mark.parametrize("name", ["monol_testA.evt", "chandra_test.fits"])
def test_stingray_event_files(name):
    from stingray import EventList
    from stingray.tests import __file__ as stests

    path = os.path.join(os.path.dirname(stests), "data", name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = EventList.read(path, fmt="ogip")
    times = ev.time
    span = times[-1] - times[0]
    freqs = np.linspace(0.5, 0.5 + 200 / span, 200)
    for fn, sfn in PAIRS:
        ours = fn(times, freqs, nbin=32)
        theirs = _stingray(sfn, times, freqs, nbin=32)
        _assert_same(ours, theirs)
        assert np.argmax(ours[-1]) == np.argmax(theirs[-1])


def test_stingray_simulated_pulsar():
    """A pulsar simulated with Stingray's own tools (a sinusoidal light curve -> events)."""
    from stingray import EventList, Lightcurve

    dt = 0.005
    time = np.arange(0, 500, dt) + dt / 2
    rate = 80 * (1 + 0.3 * np.sin(2 * np.pi * 1.7 * time))
    # integer counts (Poisson draws of the pulsed rate): EventList.from_lc makes one event per
    # count; fractional expected counts would all truncate to zero events
    counts = np.random.default_rng(17).poisson(rate * dt)
    lc = Lightcurve(time, counts, dt=dt, skip_checks=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = EventList.from_lc(lc)  # one event per count, at the bin times
    freqs = np.linspace(1.69, 1.71, 81)
    ours = z_n_search(ev.time, freqs, nharm=2)
    theirs = _stingray(spulse.z_n_search, ev.time, freqs, nharm=2)
    _assert_same(ours, theirs)
    assert ours[0][np.argmax(ours[1])] == theirs[0][np.argmax(theirs[1])]
    assert abs(ours[0][np.argmax(ours[1])] - 1.7) < 1e-3


def test_longdouble_times_subtracted_before_cast(pulsar):
    """np.longdouble input (as read from FITS): the reference is subtracted in longdouble."""
    t_ld = pulsar.astype(np.longdouble) + np.longdouble(1e-7)
    ours = z_n_search(t_ld, FREQS, nharm=2)
    theirs = _stingray(spulse.z_n_search, t_ld, FREQS, nharm=2)
    _assert_same(ours, theirs)


def test_events_method_equals_unbinned_z_n(pulsar):
    from stingray.pulse.pulsar import pulse_phase, z_n

    t = pulsar[:5000]
    freqs = np.linspace(2.3, 2.4, 41)
    # Stingray's single segment excludes the last event; so does the events method.
    ph = [pulse_phase(t[:-1] - t[0], f, 1e-6) for f in freqs]
    ref = np.array([z_n(p, 3) for p in ph])
    for grid in (freqs, freqs[[0, 2, 1, *range(3, freqs.size)]]):  # uniform, then not
        *_, z = z_n_search(t, grid, nharm=3, fdots=[1e-6, 1e-6], method="events")
        order = np.argsort(grid)
        np.testing.assert_allclose(z[0][order], ref, rtol=1e-9)
        np.testing.assert_allclose(z[1][order], ref, rtol=1e-9)


def test_events_method_matrix_product_path(pulsar, monkeypatch):
    """The NUFFT-free uniform-grid path (matrix products) gives the same unbinned Z^2_n."""
    from stingray_jax.pulse import search

    t = pulsar[:3000]
    freqs = np.linspace(2.3, 2.4, 37)
    direct = z_n_search(t, freqs[[1, 0, *range(2, 37)]], nharm=2, method="events")[1]
    monkeypatch.setattr(search, "_nufft_available", lambda: False)
    matmul = z_n_search(t, freqs, nharm=2, method="events")[1]
    np.testing.assert_allclose(matmul[[1, 0, *range(2, 37)]], direct, rtol=1e-9)


def test_batched_equals_looped(pulsar):
    """The vmapped/mapped grid equals one call per trial, whatever the batch and chunk sizes."""
    freqs = FREQS[::6]
    grid = z_n_search(pulsar, freqs, nharm=2, fdots=FDOTS[:2])[-1]
    loop = np.array(
        [[z_n_search(pulsar, [f], nharm=2, fdots=fd)[1][0] for f in freqs] for fd in FDOTS[:2]]
    )
    np.testing.assert_allclose(grid, loop, rtol=1e-13)
    chunked = z_n_search(pulsar, freqs, nharm=2, fdots=FDOTS[:2], event_chunk=4096, trial_batch=4)[
        -1
    ]
    np.testing.assert_allclose(chunked, grid, rtol=1e-12)


def test_automatic_event_chunks_for_batched_trials(pulsar, monkeypatch):
    """With trial_batch > 1 (the GPU default) large event sets are folded in chunks."""
    from stingray_jax.pulse import search

    monkeypatch.setattr(search, "_GPU_EVENT_CHUNK", 2048)
    freqs = FREQS[::10]
    ref = z_n_search(pulsar, freqs, nharm=2)[1]
    np.testing.assert_allclose(
        z_n_search(pulsar, freqs, nharm=2, trial_batch=3)[1], ref, rtol=1e-12
    )


def test_return_shapes():
    t = np.sort(np.random.default_rng(0).uniform(0, 10, 100))
    f, z = z_n_search(t, [1.0, 2.0, 3.0], fdots=[0.0])
    assert f.shape == z.shape == (3,)
    f, fd, z = epoch_folding_search(t, [1.0, 2.0, 3.0], fdots=[0.0, 1e-3])
    assert f.shape == fd.shape == z.shape == (2, 3)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1.0], [1.0]), {}, "at least 2"),
        (([0.0, np.nan, 2.0], [1.0]), {}, "non-finite"),
        (([0.0, 1.0, 2.0], []), {}, "empty"),
        (([0.0, 1.0, 2.0], [1.0]), {"weights": [1.0, 2.0]}, "weights"),
        (([0.0, 1.0, 2.0], [1.0]), {"nbin": 1}, "nbin"),
        (([0.0, 1.0, 2.0], [1.0]), {"method": "bogus"}, "method"),
        (([1.0, 1.0, 1.0], [1.0]), {}, "span"),
        (([0.0, 1.0, 2.0], [1.0]), {"event_chunk": 0}, "event_chunk"),
        (([0.0, 1.0, 2.0], [1.0]), {"trial_batch": 0}, "trial_batch"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        z_n_search(*args, **kwargs)


def test_significance_reexports():
    import stingray.stats

    import stingray_jax.pulse as pulse

    assert pulse.z2_n_probability is stingray.stats.z2_n_probability
    assert pulse.fold_detection_level is stingray.stats.fold_detection_level
