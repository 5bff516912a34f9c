# ruff: noqa: F821  (make_model, make_data and T0 are defined by exec(SETUP) below)
"""Fitting benchmarks: stingray_jax.modeling / fit_batch against Stingray's PSDParEst.

Run with ``python benchmarks/bench_fit.py``. Prints cold (first call, compile included) and warm
times and the speed-ups:

1. one fit of PowerLaw1D + Lorentz1D + Const1D (6 free parameters) to 8192 frequencies,
   float64, against Stingray's ``PSDParEst.fit`` with L-BFGS-B (same process). Timed: building
   the likelihood object and the fit (``PSDLogLikelihood(...)`` + ``PSDParEst(...).fit``); the
   astropy model is built once, outside the timed region, for both (building a compound model
   takes astropy ~1.5 ms, which is not fitting);
2. the first fit in a fresh Python process (subprocess), compile included;
3. ``fit_batch`` of 1000 spectra x 1024 frequencies against a Stingray loop (20 fits, scaled);
4. ``fit_lorentzians`` of three Lorentzians + constant (10 free parameters) to a 10^5-bin
   Whittle spectrum (issue 11 point 5), against Stingray's ``fit_lorentzians`` in the same
   process, interleaved: cold (our first call, compile included) and warm, min and median
   ratios, and both -log L (ours must be no worse).
"""

import os
import subprocess
import sys
import textwrap
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see docs/benchmarks.rst: BLAS threads

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
from _timing import cold_and_warm, report

from stingray_jax._config import preserve_global_state

with preserve_global_state():
    from stingray import modeling as srm

SETUP = textwrap.dedent(
    """
    import numpy as np
    from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

    def make_model():
        model = PowerLaw1D(3.0, 1.0, 1.2) + Lorentz1D(30.0, 3.0, 0.8) + Const1D(2.0)
        model.x_0_0.fixed = True
        return model

    def make_data(n_freq, n_spec=1, seed=0):
        rng = np.random.default_rng(seed)
        freq = np.linspace(0.05, 20.0, n_freq)
        power = make_model()(freq) * rng.exponential(size=(n_spec, n_freq))
        return freq, power

    T0 = np.array([2.5, 1.1, 25.0, 3.05, 0.9, 1.8])
    """
)
exec(SETUP)  # defines make_model, make_data and T0 here too


def stingray_fit(freq, power, model=None):
    model = make_model() if model is None else model
    state = np.random.get_state()  # noqa: NPY002 (Stingray perturbs t0 with the global RNG)
    np.random.seed(1)  # noqa: NPY002
    try:
        with preserve_global_state():
            lpost = srm.PSDLogLikelihood(freq, power, model, m=1)
            return srm.PSDParEst(None, fitmethod="L-BFGS-B", max_post=False).fit(lpost, T0)
    finally:
        np.random.set_state(state)  # noqa: NPY002


def ours_fit(freq, power, model=None):
    from stingray_jax import modeling as sjm

    model = make_model() if model is None else model
    lpost = sjm.PSDLogLikelihood(freq, power, model, m=1)
    return sjm.PSDParEst(None, max_post=False).fit(lpost, T0).p_opt


def bench_single():
    freq, power = make_data(8192)
    power = power[0]
    model_ours, model_sr = make_model(), make_model()  # Stingray sets its model's parameters
    cold, warm = cold_and_warm(ours_fit, freq, power, model_ours, repeat=20)
    t_sr = []
    for _ in range(7):
        t = time.perf_counter()
        res_sr = stingray_fit(freq, power, model_sr)
        t_sr.append(time.perf_counter() - t)
    p_ours = ours_fit(freq, power, model_ours)
    print(f"  Stingray p_opt {np.array2string(res_sr.p_opt, precision=5)}")
    print(f"  ours     p_opt {np.array2string(p_ours, precision=5)}")
    return report("fit 6 params, 8192 freqs (warm)", cold, warm, float(np.median(t_sr)))


def bench_fresh_process(repeat=3):
    """First fit in fresh processes: without the cache, then with a warm persistent cache."""
    import tempfile

    code = SETUP + textwrap.dedent(
        """
        import os
        import time
        t_import = time.perf_counter()
        import stingray_jax
        from stingray_jax import modeling as sjm
        if os.environ.get("BENCH_CACHE_DIR"):
            stingray_jax.enable_compilation_cache(os.environ["BENCH_CACHE_DIR"])
        freq, power = make_data(8192)
        lpost = sjm.PSDLogLikelihood(freq, power[0], make_model(), m=1)
        t0 = time.perf_counter()
        res = sjm.PSDParEst(None, max_post=False).fit(lpost, T0)
        t1 = time.perf_counter()
        print(f"{t1 - t0:.4f} {t0 - t_import:.4f} {res.converged}")
        """
    )
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def run(cache_dir):
        env = dict(os.environ, PYTHONPATH=repo, BENCH_CACHE_DIR=cache_dir)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        fit_s, setup_s, conv = out.stdout.split()
        return float(fit_s), float(setup_s), conv

    with tempfile.TemporaryDirectory() as cache_dir:
        run(cache_dir)  # fills the cache
        # interleaved: no cache, warm cache, no cache, ...
        plain, cached = [], []
        for _ in range(repeat):
            plain.append(run(""))
            cached.append(run(cache_dir))
    for label, runs in (("without the cache", plain), ("with a warm cache", cached)):
        fits = [r[0] for r in runs]
        print(
            f"first fit in a fresh process {label} (compile included): min {min(fits):.2f} s, "
            f"median {float(np.median(fits)):.2f} s of {repeat} runs (imports + setup "
            f"{float(np.median([r[1] for r in runs])):.2f} s), converged={runs[-1][2]}"
        )
    return float(np.median([r[0] for r in plain]))


def bench_batch(n_spec=1000, n_freq=1024, n_loop=20):
    from stingray_jax.batch import fit_batch

    freq, powers = make_data(n_freq, n_spec, seed=2)
    model = make_model()
    cold, warm = cold_and_warm(
        lambda: fit_batch(model, freq, powers, p0=T0)["neg_log_likelihood"], repeat=3
    )
    t = time.perf_counter()
    for i in range(n_loop):
        stingray_fit(freq, powers[i])
    per_sr = (time.perf_counter() - t) / n_loop
    per_ours = warm / n_spec
    print(
        f"fit_batch {n_spec} x {n_freq}: cold {cold:.2f} s, warm {warm:.2f} s "
        f"({per_ours * 1e3:.3f} ms/spectrum) | Stingray loop {per_sr * 1e3:.1f} ms/spectrum "
        f"| speed-up per spectrum x{per_sr / per_ours:.0f}"
    )
    table = fit_batch(model, freq, powers, p0=T0)
    print(f"  converged: {int(table['converged'].sum())} / {len(table)}")
    return per_sr / per_ours


def make_lorentzian_case(n=100_000, seed=11):
    """Three Lorentzians + constant, 10^5 frequencies, m = 1, starts near (not at) the truth."""
    from astropy.modeling.models import Const1D, Lorentz1D
    from stingray import Powerspectrum

    rng = np.random.default_rng(seed)
    df = 0.01
    freq = df * np.arange(1, n + 1)
    true = (
        Lorentz1D(200.0, 0.0, 2.0)
        + Lorentz1D(50.0, 4.0, 0.5)
        + Lorentz1D(8.0, 30.0, 6.0)
        + Const1D(2.0)
    )
    ps = Powerspectrum()
    ps.freq, ps.power, ps.m, ps.norm, ps.df = (
        freq,
        true(freq) * rng.exponential(size=n),
        1,
        "leahy",
        df,
    )
    start = np.array([150.0, 0.1, 2.5, 40.0, 4.1, 0.6, 10.0, 29.0, 5.0, 1.9])
    return ps, start


def bench_lorentzians(repeat=3):
    from stingray_jax.modeling import fit_lorentzians

    ps, start = make_lorentzian_case()

    def theirs():
        state = np.random.get_state()  # noqa: NPY002
        np.random.seed(1)  # noqa: NPY002
        try:
            with preserve_global_state():
                return srm.fit_lorentzians(ps, 3, start)[1]
        finally:
            np.random.set_state(state)  # noqa: NPY002

    t = time.perf_counter()
    res = fit_lorentzians(ps, 3, start)[1]
    cold = time.perf_counter() - t
    t_ours, t_sr = [], []
    for _ in range(repeat):  # interleaved
        t = time.perf_counter()
        res_sr = theirs()
        t_sr.append(time.perf_counter() - t)
        t = time.perf_counter()
        res = fit_lorentzians(ps, 3, start)[1]
        t_ours.append(time.perf_counter() - t)
    med_sr, med = float(np.median(t_sr)), float(np.median(t_ours))
    print(
        f"fit_lorentzians 3 x Lorentz1D + Const1D, 1e5 freqs: stingray_jax cold {cold:.2f} s, "
        f"warm median {med:.3f} s (min {min(t_ours):.3f}) | Stingray median {med_sr:.2f} s "
        f"(min {min(t_sr):.2f}) | speed-up cold x{med_sr / cold:.1f}, warm median "
        f"x{med_sr / med:.1f}, min x{min(t_sr) / min(t_ours):.1f}"
    )
    print(
        f"  -log L: ours {res.result:.6f} (converged {res.converged}), Stingray {res_sr.result:.6f}"
    )
    return med_sr / cold


if __name__ == "__main__":
    import jax

    print(f"jax {jax.__version__}, {jax.devices()}, cores: {os.cpu_count()}")
    parts = {
        "single": bench_single,
        "fresh": bench_fresh_process,
        "batch": bench_batch,
        "lorentzians": bench_lorentzians,
    }
    # ``python benchmarks/bench_fit.py fresh batch`` runs only those parts.
    for name in sys.argv[1:] or parts:
        parts[name]()
