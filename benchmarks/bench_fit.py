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
3. ``fit_batch`` of 1000 spectra x 1024 frequencies against a Stingray loop (20 fits, scaled).
"""

import os
import subprocess
import sys
import textwrap
import time

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


def bench_fresh_process():
    code = SETUP + textwrap.dedent(
        """
        import time
        t_import = time.perf_counter()
        from stingray_jax import modeling as sjm
        freq, power = make_data(8192)
        lpost = sjm.PSDLogLikelihood(freq, power[0], make_model(), m=1)
        t0 = time.perf_counter()
        res = sjm.PSDParEst(None, max_post=False).fit(lpost, T0)
        t1 = time.perf_counter()
        print(f"{t1 - t0:.4f} {t0 - t_import:.4f} {res.converged}")
        """
    )
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=repo)
    times = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        fit_s, setup_s, conv = out.stdout.split()
        times.append(float(fit_s))
    first = float(np.median(times))
    print(
        f"first fit in a fresh process (compile included): median {first:.2f} s of 3 runs "
        f"(min {min(times):.2f} s; imports + setup {float(setup_s):.2f} s), converged={conv}"
    )
    return first


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


if __name__ == "__main__":
    import jax

    print(f"jax {jax.__version__}, {jax.devices()}, cores: {os.cpu_count()}")
    bench_single()
    bench_fresh_process()
    bench_batch()
