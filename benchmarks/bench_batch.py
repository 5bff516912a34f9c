"""Batch fitting of observations: stingray_jax.batch.fit_observations against a Stingray loop.

Run with ``python benchmarks/bench_batch.py [N_OBS] [EVENTS_PER_OBS]`` (default 40 observations
of 1e5 events; issue 15's full case is 1000 x 4e5), or ``python benchmarks/bench_batch.py
scaling [N_SPECTRA ...]`` for part 3 alone (default 1e2 1e3 1e4; 1e5 takes minutes), or
``python benchmarks/bench_batch.py items [N_OBS] [EVENTS_PER_OBS]`` for the per-item cost
breakdown alone, ``... devices`` for one device with threads against two (simulated) CPU
devices with ``shard_map``, ``... float32`` for the float32 chain against float64. The
default run prints parts 1-3, interleaved in one process:

1. end to end, events to table: ``fit_observations`` (64 s segments, Lorentzian QPO +
   constant, Leahy) against the Stingray loop ``AveragedPowerspectrum.from_events`` +
   ``PSDParEst.fit`` (L-BFGS-B) over the same observations; cold (first call, compile
   included, against Stingray's first round) and warm (min and median of the ratios over
   the rounds), the per-item cost of each step of both (spectra, fits), the peak resident
   memory of the process, the memory of the simulated inputs, and the extra memory our call
   needed beyond them (sampled every 5 ms);
2. per-segment QPO tracking of a 10 ks light curve in 8 s segments (1250 fits of
   Lorentzian + power law + constant, Whittle): cold and warm time of ``fit_observations``
   with ``per_segment=True``, the number of fits that converged and the distribution of their
   iteration counts.

The observations are simulated with a stated seed (a QPO at 3 Hz, Poisson events; the light
curve of part 2 also has red noise, which its power law describes).

Part 2 does what a user tracking a QPO would do: fit the averaged periodogram first (one
Gamma fit, from starting values read off the data by `_qpo_guess`), then start every segment's
fit from that solution. Both steps are timed. Two choices matter (issue 15 measurements, 2-core
CPU): with the model's default values as starting point and a light curve *without* red noise,
only 608 of 1250 fits converged and 83 % of the solver iterations (and of the ~10 s) went to
the others, which ran to ``max_steps``. Those fits are genuinely not converged: with no red
noise in an 8 s periodogram the power law has no finite maximum-likelihood estimate (it runs
off along ``alpha -> 0`` with ``amplitude -> inf`` and the constant going negative, the power
law becoming a second constant, or along ``alpha -> inf``, a spike on the lowest bin), and
better starting values cannot change that. With red noise in the data and the averaged fit as
starting point, about 1200 of 1250 converge in ~8 iterations (median); the rest are flagged
``converged=False`` (a line of zero width on one bin, or a power law on the lowest bin: again
no finite maximum) and reported as such.

Part 3 is the scaling of `fit_batch` alone: the time per spectrum of one call on 1e2 ... 1e5
simulated Gamma-distributed (m = 8) averaged spectra of 128 bins (0.125-16 Hz) with a Lorentzian
QPO (amplitude 5 at 3.2 Hz, 0.6 Hz wide) + constant 2, fitted from the model's default values,
cold (the first call of that shape, compilation included) and warm.
"""

import os
import resource
import statistics
import sys
import threading
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see docs/benchmarks.rst: BLAS threads

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

from stingray_jax._config import preserve_global_state
from stingray_jax.batch import fit_observations

with preserve_global_state():
    from stingray import AveragedPowerspectrum, EventList, Lightcurve
    from stingray.modeling import PSDLogLikelihood, PSDParEst

DT = 1 / 128


def _rate(rng, n_bins, mean, dt=DT, f0=3.0, q=4.0, rms=0.2, red=0.0):
    """A log-normal rate: a Lorentzian QPO at ``f0`` plus ``red * (f / f0)**-1`` red noise."""
    freq = np.fft.rfftfreq(n_bins, dt)
    shape = 1 / (1 + ((freq - f0) / (f0 / q / 2)) ** 2)
    if red:
        shape[1:] += red * (freq[1:] / f0) ** -1.0
    spec = (rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size)) * np.sqrt(shape)
    spec[0] = 0
    x = np.fft.irfft(spec, n_bins)
    return mean * np.exp(rms * x / x.std() - 0.5 * rms**2)


def _observations(n_obs, n_events, seed=15):
    rng = np.random.default_rng(seed)
    length = 64 * 8
    out = []
    for k in range(n_obs):
        n_bins = int(length / DT)
        counts = rng.poisson(_rate(rng, n_bins, n_events / length) * DT)
        t0 = 1e8 + 1e4 * k
        t = t0 + DT * (np.repeat(np.arange(n_bins), counts) + rng.uniform(size=counts.sum()))
        out.append(EventList(np.sort(t), gti=np.array([[t0, t0 + length]])))
    return out


def _model():
    model = Lorentz1D(amplitude=1.0, x_0=3.0, fwhm=0.8) + Const1D(amplitude=2.0)
    model.amplitude_0.bounds = (0, None)
    model.fwhm_0.bounds = (0, None)
    return model


def _stingray_loop(observations, model):
    """Stingray's spectrum and fit of each observation, every fit from the same start.

    ``PSDParEst.fit`` sets the parameters of the model it fits to its solution: on a copy,
    with the starting values read once, neither the next fit nor our call (which starts from
    ``model``'s values) starts from a previous solution.
    """
    rows = []
    model = model.copy()
    p0 = model.parameters.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ev in observations:
            ps = AveragedPowerspectrum.from_events(
                ev, dt=DT, segment_size=64, norm="leahy", silent=True
            )
            lpost = PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m)
            rows.append(PSDParEst(ps, max_post=False).fit(lpost, p0).p_opt)
    return np.array(rows)


def _ours(observations, model):
    return fit_observations(observations, model, 64, DT, norm="leahy", chunk_size=256)


def _rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakRSS:
    """Highest resident memory (MiB) sampled every 5 ms while the block runs."""

    def __enter__(self):
        self.peak = self.start = _rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mib())


def _spectra_items(observations):
    from stingray_jax.batch._items import item_spectra, load_observation

    return [item_spectra(load_observation(ev, DT), 64, "leahy", False) for ev in observations]


def _stingray_spectra(observations):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            AveragedPowerspectrum.from_events(ev, dt=DT, segment_size=64, norm="leahy", silent=True)
            for ev in observations
        ]


def _stingray_fits(spectra, model):
    rows = []
    model = model.copy()  # as in _stingray_loop
    p0 = model.parameters.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ps in spectra:
            lpost = PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m)
            rows.append(PSDParEst(ps, max_post=False).fit(lpost, p0).p_opt)
    return rows


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def _range(values, n):
    """'min-max (median)' of per-item milliseconds."""
    ms = [1e3 * v / n for v in values]
    return f"{min(ms):.2f}-{max(ms):.2f} (median {statistics.median(ms):.2f})"


def item_costs(observations, model, rounds=3):
    """Per-item milliseconds of each step, ours and Stingray's, over ``rounds`` (after one
    warm-up call of each)."""
    from stingray_jax.batch import fit_batch

    n = len(observations)
    spectra = _spectra_items(observations)
    freq = spectra[0].freq
    powers = np.concatenate([sp.powers for sp in spectra])
    m = np.concatenate([sp.m for sp in spectra])[:, None] * np.ones((1, freq.size))
    fit_batch(model, freq, powers, m=m)
    st_spectra = _stingray_spectra(observations[:2])
    _stingray_fits(st_spectra, model)
    t = {k: [] for k in ("ours spectra", "ours fits", "Stingray spectra", "Stingray fits")}
    for _ in range(rounds):
        t["ours spectra"].append(_timed(_spectra_items, observations)[1])
        t["ours fits"].append(_timed(lambda: fit_batch(model, freq, powers, m=m))[1])
        st_spectra, dt_spec = _timed(_stingray_spectra, observations)
        t["Stingray spectra"].append(dt_spec)
        t["Stingray fits"].append(_timed(_stingray_fits, st_spectra, model)[1])
    print(
        f"per item, {n} observations x {observations[0].time.size:.0e} events "
        f"({int(m[0, 0])} segments of {freq.size * 2 + 2} bins), ms min-max over {rounds} rounds:"
    )
    for name, values in t.items():
        print(f"  {name:17s} {_range(values, n)}")


def end_to_end(n_obs, n_events, rounds=3):
    rss0 = _rss_mib()
    observations = _observations(n_obs, n_events)
    inputs = _rss_mib() - rss0
    model = _model()
    with _PeakRSS() as mem:
        t0 = time.perf_counter()
        table = _ours(observations, model)
        cold = time.perf_counter() - t0
    ours, theirs = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        ref = _stingray_loop(observations, model)
        theirs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        table = _ours(observations, model)
        ours.append(time.perf_counter() - t0)
    got = np.column_stack([table[n] for n in ("amplitude_0", "x_0_0", "fwhm_0", "amplitude_1")])
    agree = np.max(np.abs(got - ref) / np.abs(ref))
    ratios = [t / o for t, o in zip(theirs, ours)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"end to end, {n_obs} observations x {n_events:.0e} events, 64 s segments: "
        f"stingray_jax cold {cold:.2f} s, warm min {min(ours):.2f} median "
        f"{statistics.median(ours):.2f} s ({1e3 * statistics.median(ours) / n_obs:.1f} ms per "
        f"item) | Stingray loop min {min(theirs):.2f} median {statistics.median(theirs):.2f} s "
        f"({1e3 * statistics.median(theirs) / n_obs:.1f} ms per item) | speed-up cold "
        f"x{theirs[0] / cold:.1f}, warm min x{min(ratios):.1f} median "
        f"x{statistics.median(ratios):.1f} | max relative parameter difference {agree:.1e}"
    )
    print(
        f"  memory: peak RSS {peak:.0f} MiB (process), simulated inputs {inputs:.0f} MiB, "
        f"our cold call {mem.peak - mem.start:.0f} MiB above its start ({mem.start:.0f} MiB)"
    )
    item_costs(observations[: min(n_obs, 40)], model)


def _scaling_spectra(n_spec, n_freq=128, m=8, seed=3):
    rng = np.random.default_rng(seed)
    freq = np.arange(1, n_freq + 1) * (16.0 / n_freq)
    model = _model()  # starts from amplitude 1, x_0 3 Hz, fwhm 0.8 Hz, constant 2
    truth = Lorentz1D(amplitude=5.0, x_0=3.2, fwhm=0.6)(freq) + 2.0
    return freq, truth * rng.gamma(m, 1.0 / m, size=(n_spec, n_freq)), model


def scaling(sizes, m=8):
    """fit_batch time per spectrum against the number of spectra (cold and warm)."""
    from stingray_jax.batch import fit_batch

    print("fit_batch scaling (Lorentz1D + Const1D, 128 bins, m = 8, Gamma likelihood):")
    for n_spec in sizes:
        freq, powers, model = _scaling_spectra(n_spec)
        t0 = time.perf_counter()
        table = fit_batch(model, freq, powers, m=m)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(3 if n_spec <= 10_000 else 1):
            t0 = time.perf_counter()
            table = fit_batch(model, freq, powers, m=m)
            warm.append(time.perf_counter() - t0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {n_spec:>7d} spectra: cold {1e3 * cold / n_spec:.3f} ms per spectrum "
            f"({cold:.2f} s), warm {_range(warm, n_spec)} ms per spectrum "
            f"({len(warm)} call{'s' if len(warm) > 1 else ''}), converged "
            f"{int(np.sum(table['converged']))}, median iterations "
            f"{np.median(table['n_steps']):.0f} | peak RSS {peak:.0f} MiB"
        )


def _qpo_guess(freq, power, band=(0.5, 20.0)):
    """Starting values of PowerLaw1D (x_0 = 1 fixed) + Lorentz1D + Const1D read off a spectrum.

    The constant is the mean power in the upper half of the band; the QPO is the peak of the
    ~1 Hz running mean inside ``band`` (its excess over the constant, a width of a quarter of
    its frequency); the power law has index 1 and the mean excess below ``band`` as amplitude.
    """
    df = freq[1] - freq[0]
    noise = float(np.mean(power[freq > 0.5 * freq[-1]]))
    k = max(5, round(1.0 / float(df)))
    smooth = np.convolve(power, np.ones(k) / k, mode="same")
    in_band = np.flatnonzero((freq >= band[0]) & (freq <= band[1]))
    i = in_band[np.argmax(smooth[in_band])]
    low = freq < band[0]
    pl = max(float(np.mean(power[low])) - noise, 0.05 * noise) * float(np.mean(freq[low]))
    x0 = float(freq[i])
    return [pl, 1.0, max(float(smooth[i]) - noise, 0.1 * noise), x0, max(x0 / 4, 3 * df), noise]


def _averaged_fit(lc, model, segment_size):
    """Free parameters of ``model`` fitted to the averaged periodogram of ``lc``."""
    from stingray_jax.batch import fit_batch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = AveragedPowerspectrum.from_lightcurve(lc, segment_size, norm="leahy", silent=True)
    fit = fit_batch(model, ps.freq, ps.power[None], m=ps.m, p0=_qpo_guess(ps.freq, ps.power))
    if not fit["converged"][0]:
        raise RuntimeError("the fit of the averaged periodogram did not converge")
    return [float(fit[name][0]) for name in fit.meta["free_param_names"]]


def qpo_tracking(repeat=3):
    rng = np.random.default_rng(8)
    dt = 1 / 256
    n_bins = int(10_000 / dt)
    counts = rng.poisson(_rate(rng, n_bins, 1000.0, dt=dt, rms=0.3, red=0.05) * dt)
    lc = Lightcurve(
        dt * (np.arange(n_bins) + 0.5), counts, dt=dt, skip_checks=True, gti=[[0, 10_000]]
    )
    model = PowerLaw1D(1.0, 1.0, 1.0) + _model()
    model.x_0_0.fixed = True
    model.amplitude_0.bounds = (0, None)

    def run():
        p0 = _averaged_fit(lc, model, 8.0)
        with warnings.catch_warnings():  # the fits that do not converge are counted below
            warnings.simplefilter("ignore", RuntimeWarning)
            return fit_observations([lc], model, 8.0, norm="leahy", per_segment=True, p0=p0)

    t0 = time.perf_counter()
    table = run()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        table = run()
        warm.append(time.perf_counter() - t0)
    conv = np.asarray(table["converged"])
    steps = np.asarray(table["n_steps"])[conv]
    not_conv = np.asarray(table["n_steps"])[~conv] >= 200
    print(
        f"per-segment QPO tracking, 10 ks in 8 s segments ({len(table)} fits of "
        f"PowerLaw1D + Lorentz1D + Const1D): cold {cold:.2f} s, warm min {min(warm):.2f} s "
        f"median {statistics.median(warm):.2f} s, converged {int(table['converged'].sum())} | "
        f"iterations median {np.median(steps):.0f}, 90 % {np.percentile(steps, 90):.0f}, "
        f"max {steps.max()} (converged fits), {not_conv.sum()} at max_steps"
    )


def devices_vs_threads(n_spec=4000, rounds=5):
    """One device with two threads against two (simulated) CPU devices with shard_map.

    Run in a process started with ``XLA_FLAGS=--xla_force_host_platform_device_count=2``
    (``bench_batch.py devices`` re-runs itself that way): the same fits, interleaved."""
    import jax

    from stingray_jax.batch import fit_batch

    if len(jax.local_devices()) < 2:
        import subprocess

        env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
        subprocess.run([sys.executable, __file__, "devices"], env=env, check=True)
        return
    freq, powers, model = _scaling_spectra(n_spec)
    results, times = {}, {"threads": [], "shard_map": []}
    for kind, kwargs in (("threads", {"devices": 1, "n_workers": 2}), ("shard_map", {})):
        results[kind] = fit_batch(model, freq, powers, m=8, **kwargs)  # compile
    for _ in range(rounds):
        for kind, kwargs in (("threads", {"devices": 1, "n_workers": 2}), ("shard_map", {})):
            t0 = time.perf_counter()
            fit_batch(model, freq, powers, m=8, **kwargs)
            times[kind].append(time.perf_counter() - t0)
    same = all(
        np.allclose(results["threads"][n], results["shard_map"][n], rtol=1e-12, atol=0)
        for n in results["threads"].meta["free_param_names"]
    )
    print(f"fit_batch of {n_spec} spectra on 2 CPU cores ({rounds} interleaved rounds):")
    for kind, values in times.items():
        print(f"  {kind:>9}: {_range(values, n_spec)} ms per spectrum")
    ratio = [t / s for t, s in zip(times["threads"], times["shard_map"])]
    print(
        f"  threads time / shard_map time: min {min(ratio):.2f}, median "
        f"{statistics.median(ratio):.2f}; same results to 1e-12: {same}"
    )


def float32_chain(n_obs=40, n_events=100_000):
    """The float32 chain (spectra and fits) against float64, in units of the fit errors."""
    obs = _observations(n_obs, n_events)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t64 = fit_observations(obs, _model(), 64, DT, norm="leahy")
        t32 = fit_observations(obs, _model(), 64, DT, norm="leahy", dtype="float32")
    ok = np.asarray(t64["converged"]) & np.asarray(t32["converged"])
    print(f"float32 chain, {n_obs} x {n_events:g} events: {ok.sum()} of {ok.size} converged")
    for name in t64.meta["free_param_names"]:
        d = (np.abs(t32[name] - t64[name]) / t64[f"{name}_err"])[ok]
        print(f"  {name}: |f32 - f64| / error: median {np.median(d):.2e}, max {d.max():.2e}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "devices":
        devices_vs_threads()
        sys.exit()
    if args and args[0] == "float32":
        float32_chain()
        sys.exit()
    if args and args[0] == "scaling":
        scaling([int(float(a)) for a in args[1:]] or [100, 1000, 10_000])
        sys.exit()
    if args and args[0] == "items":
        n_obs = int(args[1]) if len(args) > 1 else 20
        n_events = int(float(args[2])) if len(args) > 2 else 400_000
        item_costs(_observations(n_obs, n_events), _model())
        sys.exit()
    n_obs = int(args[0]) if args else 40
    n_events = int(float(args[1])) if len(args) > 1 else 100_000
    end_to_end(n_obs, n_events)
    qpo_tracking()
    scaling([100, 1000, 10_000])
