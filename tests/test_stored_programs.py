"""Fit programs kept on disk beside the compilation cache (``stingray_jax._stored_programs``).

With the cache enabled, a fit's program is exported and stored; a new process loads it instead
of tracing the fit (checked by making the traced path impossible there), the results are the
same bits, and what cannot be described safely (priors, tied parameters) is never stored.
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

import stingray_jax
from stingray_jax import _stored_programs
from stingray_jax.modeling import PSDLogLikelihood, PSDParEst, PSDPosterior

pytest.importorskip("flatbuffers")

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = [2.5, 1.1, 25.0, 3.05, 0.9, 1.8]


def _model():
    model = PowerLaw1D(3.0, 1.0, 1.2) + Lorentz1D(30.0, 3.0, 0.8) + Const1D(2.0)
    model.x_0_0.fixed = True
    return model


def _data(n=2048, seed=0):
    freq = np.linspace(0.05, 20.0, n)
    return freq, _model()(freq) * np.random.default_rng(seed).exponential(size=n)


def _fit(freq, power, model=None):
    res = PSDParEst(None, max_post=False).fit(PSDLogLikelihood(freq, power, model or _model()), T0)
    return res.p_opt, res.result, res.cov


def _programs(cache):
    directory = cache / "stingray_jax_programs"
    return sorted(os.listdir(directory)) if directory.exists() else []


@pytest.fixture
def cache(tmp_path):
    _stored_programs._MEMO.clear()
    target = tmp_path / "cache"
    stingray_jax.enable_compilation_cache(target)
    try:
        yield target
    finally:
        stingray_jax.disable_compilation_cache()
        _stored_programs._MEMO.clear()


def test_stored_program_gives_the_same_bits(cache):
    freq, power = _data()
    stingray_jax.disable_compilation_cache()
    plain = _fit(freq, power)
    assert _programs(cache) == []  # the cache is off: nothing stored
    stingray_jax.enable_compilation_cache(cache)
    stored = _fit(freq, power)
    assert len(_programs(cache)) == 1
    for a, b in zip(plain, stored, strict=True):
        np.testing.assert_array_equal(a, b)
    _fit(*_data(seed=1))  # same shapes: the same program
    assert len(_programs(cache)) == 1
    _fit(*_data(n=1000))  # another length: another program
    assert len(_programs(cache)) == 2


def test_a_new_process_loads_the_program_without_tracing(cache):
    freq, power = _data()
    expected = _fit(freq, power)
    code = textwrap.dedent(
        f"""
        import json
        import numpy as np, stingray_jax, stingray_jax.fitting as fitting
        from stingray_jax import optimize
        from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D
        from stingray_jax.modeling import PSDLogLikelihood, PSDParEst

        def refuse(*args, **kwargs):
            raise AssertionError("the fit was traced")

        fitting.fit_summary = refuse  # neither path may trace the fit here
        optimize.minimize = refuse
        stingray_jax.enable_compilation_cache({str(cache)!r})
        model = PowerLaw1D(3.0, 1.0, 1.2) + Lorentz1D(30.0, 3.0, 0.8) + Const1D(2.0)
        model.x_0_0.fixed = True
        freq = np.linspace(0.05, 20.0, 2048)
        power = model(freq) * np.random.default_rng(0).exponential(size=2048)
        res = PSDParEst(None, max_post=False).fit(PSDLogLikelihood(freq, power, model), {T0!r})
        print(json.dumps([res.p_opt.tolist(), float(res.result)]))
        """
    )
    env = dict(os.environ, PYTHONPATH=_REPO)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    p_opt, result = json.loads(out.stdout.strip().splitlines()[-1])
    np.testing.assert_array_equal(p_opt, expected[0])
    assert result == expected[1]


def test_what_is_not_stored(cache):
    freq, power = _data()
    priors = {
        "amplitude_0": lambda a: float(0 < a < 100),
        "alpha_0": lambda a: float(0 < a < 5),
        "amplitude_1": lambda a: float(0 < a < 200),
        "x_0_1": lambda a: float(0 < a < 50),
        "fwhm_1": lambda a: float(0 < a < 20),
        "amplitude_2": lambda a: float(0 < a < 20),
    }
    lpost = PSDPosterior(freq, power, _model(), priors=priors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (priors evaluated on the host say so)
        PSDParEst(None, max_post=True).fit(lpost, T0)
    assert _programs(cache) == []  # a prior: user code
    tied = _model()
    tied.amplitude_2.tied = lambda m: m.amplitude_0 * 0.6
    PSDParEst(None, max_post=False).fit(PSDLogLikelihood(freq, power, tied), T0[:5])
    assert _programs(cache) == []  # a tie: user code


def test_a_damaged_program_is_replaced(cache):
    freq, power = _data()
    expected = _fit(freq, power)
    (name,) = _programs(cache)
    path = cache / "stingray_jax_programs" / name
    path.write_bytes(b"not a program")
    _stored_programs._MEMO.clear()
    again = _fit(freq, power)
    for a, b in zip(expected, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert path.stat().st_size > 100
