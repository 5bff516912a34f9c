"""from_astropy / JaxModel: equality with astropy on random compound trees, ties, bounds."""

import copy

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from astropy import units as u
from astropy.modeling import Fittable1DModel, Parameter
from astropy.modeling import models as am
from astropy.modeling.fitting import fitter_to_model_params
from jax.test_util import check_grads

from stingray_jax.models import JaxModel, from_astropy

# Leaves that are positive for x > 0 (so / ** and | stay real).
POSITIVE_LEAVES = [
    lambda r: am.Lorentz1D(r.uniform(0.5, 3), r.uniform(0.1, 3), r.uniform(0.1, 2)),
    lambda r: am.PowerLaw1D(r.uniform(0.5, 3), r.uniform(0.5, 2), r.uniform(-1.5, 1.5)),
    lambda r: am.Const1D(r.uniform(0.5, 3)),
    lambda r: am.Gaussian1D(r.uniform(0.5, 3), r.uniform(0, 3), r.uniform(0.5, 2)),
    lambda r: am.SmoothlyBrokenPowerLaw1D(
        r.uniform(0.5, 3), r.uniform(0.5, 3), r.uniform(-1, 1), r.uniform(-1, 1), 0.5
    ),
    lambda r: am.ExponentialCutoffPowerLaw1D(
        r.uniform(0.5, 3), r.uniform(0.5, 2), r.uniform(-1, 1), r.uniform(2, 10)
    ),
]


def random_tree(rng, depth):
    if depth == 0 or rng.uniform() < 0.3:
        return POSITIVE_LEAVES[rng.integers(len(POSITIVE_LEAVES))](rng)
    op = rng.choice(["+", "-", "*", "/", "**", "|"])
    left = random_tree(rng, depth - 1)
    if op == "**":
        right = am.Const1D(rng.uniform(0.3, 1.5))  # a tame exponent
    else:
        right = random_tree(rng, depth - 1)
    if op == "-":
        # keep values positive so that enclosing / ** | stay real
        return (
            left + right - am.Const1D(rng.uniform(0.0, 0.1))
            if rng.uniform() < 0.5
            else (left + right)
        )
    return {
        "+": left + right,
        "*": left * right,
        "/": left / right,
        "**": left**right,
        "|": left | right,
    }[op]


def decorate(model, rng):
    """Randomly fix, tie and bound parameters (in place, on the test's own model)."""
    names = list(model.param_names)
    rng.shuffle(names)
    for name in names[: len(names) // 4]:
        getattr(model, name).fixed = True
    free = [n for n in model.param_names if not model.fixed[n]]
    if len(free) >= 3 and rng.uniform() < 0.7:
        src, dst = free[0], free[-1]
        factor = rng.uniform(0.5, 1.5)
        getattr(model, dst).tied = lambda m, src=src, factor=factor: getattr(m, src) * factor
    for name in model.param_names:
        if rng.uniform() < 0.3:
            value = getattr(model, name).value
            getattr(model, name).bounds = (value - 0.05 * abs(value), value + 0.05 * abs(value))
    return model


def reference(model, free_params, x, clip):
    ref = model.copy()
    fitter_to_model_params(ref, np.asarray(free_params), use_min_max_bounds=clip)
    return ref(x)


@pytest.mark.parametrize("seed", range(8))
def test_random_compound_trees_equal_astropy(seed, x64):
    rng = np.random.default_rng(seed)
    model = decorate(random_tree(rng, depth=3), rng)
    before = copy.deepcopy(model.parameters)
    x = np.sort(rng.uniform(0.05, 5.0, 64))
    for clip in (False, True):
        jm = from_astropy(model, clip_to_bounds=clip)
        free = [n for n in model.param_names if not model.fixed[n] and not model.tied[n]]
        assert jm.free_param_names == tuple(free)
        evaluate = jax.jit(jm.__call__)
        for _ in range(3):
            p = jm.p0 * rng.uniform(0.9, 1.1, jm.n_free)
            with np.errstate(all="ignore"):
                expected = reference(model, p, x, clip)
            got = evaluate(jnp.asarray(p), jnp.asarray(x))
            np.testing.assert_allclose(got, expected, rtol=1e-11, equal_nan=True)
            new = jm.to_astropy(p)
            with np.errstate(all="ignore"):
                np.testing.assert_allclose(new(x), expected, rtol=1e-13, equal_nan=True)
    np.testing.assert_array_equal(model.parameters, before)


def test_operators_and_names(x64):
    a = am.Lorentz1D(2.0, 1.0, 0.5)
    b = am.PowerLaw1D(1.5, 1.0, 1.2)
    c = am.Const1D(0.7)
    x = np.linspace(0.1, 3, 50)
    for model in (a + b, a - b, a * b, a / b, a**c, b | a, (a + b) * c - c, a | b | c):
        jm = from_astropy(model)
        assert jm.param_names == model.param_names
        np.testing.assert_allclose(jm(jm.p0, x), model(x), rtol=1e-13)


def test_single_model_names_have_no_suffix(x64):
    jm = from_astropy(am.Lorentz1D(1.0, 2.0, 3.0))
    assert jm.free_param_names == ("amplitude", "x_0", "fwhm")
    np.testing.assert_array_equal(jm.p0, [1.0, 2.0, 3.0])
    assert isinstance(jm.p0, np.ndarray)
    assert jm.n_free == 3


def test_bounds_metadata():
    model = am.Lorentz1D(1.0, 2.0, 3.0) + am.Gaussian1D(1.0, 0.0, 1.0)
    model.amplitude_0.bounds = (0.0, None)
    model.x_0_0.fixed = True
    jm = from_astropy(model)
    assert jm.bounds[0] == (0.0, None)
    assert jm.bounds[1] == (None, None)  # fwhm_0
    assert jm.bounds[-1][0] == pytest.approx(np.finfo(np.float32).eps) or jm.bounds[-1][0] > 0
    assert len(jm.bounds) == jm.n_free
    assert jm.fixed_param_names == ("x_0_0",)


def test_fixed_parameters_are_constants_and_change_without_recompiling(x64):
    model = am.Lorentz1D(1.0, 2.0, 3.0) + am.Const1D(1.0)
    model.fwhm_0.fixed = True
    jm1 = from_astropy(model)
    model2 = model.copy()
    model2.fwhm_0 = 5.0
    jm2 = from_astropy(model2)
    traces = []

    @jax.jit
    def f(m, p, x):
        traces.append(1)
        return m(p, x)

    x = jnp.linspace(0.0, 4.0, 11)
    y1 = f(jm1, jnp.asarray(jm1.p0), x)
    y2 = f(jm2, jnp.asarray(jm2.p0) + 0.1, x + 1)
    assert len(traces) == 1
    np.testing.assert_allclose(y1, model(np.asarray(x)), rtol=1e-13)
    ref = model2.copy()
    fitter_to_model_params(ref, jm2.p0 + 0.1)
    np.testing.assert_allclose(y2, ref(np.asarray(x + 1)), rtol=1e-13)
    # the gradient w.r.t. a fixed parameter's place does not exist: only free ones
    g = jax.grad(lambda p: jm1(p, x).sum())(jnp.asarray(jm1.p0))
    assert g.shape == (3,)


def test_tied_gradients_flow_through_ties(x64):
    model = am.Lorentz1D(1.0, 2.0, 0.3) + am.Lorentz1D(0.5, 4.0, 0.3)
    model.x_0_1.tied = lambda m: 2 * m.x_0_0
    model.fwhm_1.tied = lambda m: np.sqrt(m.fwhm_0 * m.fwhm_0.value) + m[0].amplitude * 0
    jm = from_astropy(model)
    assert jm.free_param_names == ("amplitude_0", "x_0_0", "fwhm_0", "amplitude_1")
    assert jm.tied_param_names == ("x_0_1", "fwhm_1")
    x = jnp.linspace(0.5, 8.0, 40)
    p = jnp.asarray([1.2, 2.1, 0.4, 0.6])
    full = jm.full_parameters(p)
    np.testing.assert_allclose(full, [1.2, 2.1, 0.4, 0.6, 4.2, 0.4], rtol=1e-15)
    np.testing.assert_allclose(jm(p, x), reference(model, p, np.asarray(x), False), rtol=1e-13)
    # analytic check: d/dx_0_0 includes the second Lorentzian through x_0_1 = 2 x_0_0
    g = jax.grad(lambda q: jm(q, x).sum())(p)
    eps = 1e-6
    for k in range(4):
        dp = np.zeros(4)
        dp[k] = eps
        fd = (
            reference(model, p + dp, np.asarray(x), False).sum()
            - reference(model, p - dp, np.asarray(x), False).sum()
        ) / (2 * eps)
        np.testing.assert_allclose(g[k], fd, rtol=1e-6)
    check_grads(lambda q: jm(q, 4.1), (p,), order=2, modes=("fwd", "rev"))


def test_tie_chain_and_stale_values(x64):
    """As astropy 8, every tie sees the parameter values from before the ties are applied."""
    model = am.Const1D(1.0) + am.Const1D(9.0) + am.Const1D(7.0)
    model.amplitude_1.tied = lambda m: m.amplitude_0 + 1
    model.amplitude_2.tied = lambda m: m.amplitude_1 * 10
    jm = from_astropy(model)
    assert jm.n_free == 1
    np.testing.assert_allclose(jm(np.array([2.0]), 0.0), 2 + 3 + 90)
    np.testing.assert_allclose(jm(np.array([2.0]), 0.0), reference(model, [2.0], 0.0, False))


def test_vmap_over_parameters_equals_loop(x64, rng):
    model = am.PowerLaw1D(1.0, 1.0, 1.5) + am.Lorentz1D(2.0, 1.0, 0.2) + am.Const1D(0.5)
    jm = from_astropy(model)
    batch = jnp.asarray(jm.p0 * rng.uniform(0.8, 1.2, (7, jm.n_free)))
    x = jnp.linspace(0.1, 3.0, 33)
    batched = jax.vmap(jm, in_axes=(0, None))(batch, x)
    looped = jnp.stack([jm(p, x) for p in batch])
    np.testing.assert_allclose(batched, looped, rtol=1e-14)
    # and over x
    xs = jnp.stack([x, x * 2])
    np.testing.assert_allclose(
        jax.vmap(jm, in_axes=(None, 0))(batch[0], xs), jnp.stack([jm(batch[0], xx) for xx in xs])
    )


def test_no_recompilation_for_new_parameters_and_data(x64):
    model = am.PowerLaw1D(1.0, 1.0, 1.5) + am.Lorentz1D(2.0, 1.0, 0.2) + am.Const1D(0.5)
    jm = from_astropy(model)
    traces = []

    def value_and_grad(m, p, x):
        traces.append(1)
        return jax.value_and_grad(lambda q: m(q, x).sum())(p)

    f = jax.jit(value_and_grad)
    x = jnp.linspace(0.1, 3.0, 33)
    f(jm, jnp.asarray(jm.p0), x)
    f(jm, jnp.asarray(jm.p0) * 1.1, x * 2)
    f(from_astropy(model), jnp.asarray(jm.p0) * 0.9, x + 1)
    assert len(traces) == 1
    f(jm, jnp.asarray(jm.p0), jnp.linspace(0.1, 3.0, 34))  # a new shape does retrace
    assert len(traces) == 2


def test_jaxmodel_is_a_pytree_with_array_leaves():
    jm = from_astropy(am.Lorentz1D(1.0, 2.0, 3.0) + am.Const1D(1.0))
    leaves, treedef = jax.tree_util.tree_flatten(jm)
    assert all(isinstance(leaf, np.ndarray) for leaf in leaves)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert isinstance(rebuilt, JaxModel)
    assert rebuilt.free_param_names == jm.free_param_names
    with pytest.raises(AttributeError):
        jm.p0 = None


def test_to_astropy_returns_a_new_model_and_never_mutates():
    model = am.Lorentz1D(1.0, 2.0, 3.0) + am.Const1D(1.0)
    model.amplitude_1.tied = lambda m: m.amplitude_0 / 2
    before = model.parameters.copy()
    jm = from_astropy(model)
    new = jm.to_astropy([5.0, 6.0, 7.0])
    assert new is not model
    np.testing.assert_array_equal(model.parameters, before)
    np.testing.assert_array_equal(new.parameters, [5.0, 6.0, 7.0, 2.5])
    # later changes to the user's model do not leak into the JaxModel either
    model.amplitude_0 = 100.0
    np.testing.assert_array_equal(jm.p0, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(jm.to_astropy(jm.p0).parameters, [1.0, 2.0, 3.0, 0.5])


def test_clip_to_bounds_matches_astropy(x64):
    model = am.Lorentz1D(1.0, 2.0, 3.0)
    model.amplitude.bounds = (0.5, 2.0)
    x = np.linspace(0, 4, 9)
    p = np.array([5.0, 2.0, 3.0])
    clipped = from_astropy(model, clip_to_bounds=True)
    np.testing.assert_allclose(clipped(p, x), reference(model, p, x, True), rtol=1e-14)
    np.testing.assert_allclose(clipped(p, x), am.Lorentz1D(2.0, 2.0, 3.0)(x), rtol=1e-14)
    free = from_astropy(model)
    np.testing.assert_allclose(free(p, x), am.Lorentz1D(5.0, 2.0, 3.0)(x), rtol=1e-14)


def test_float32_parameters_stay_float32():
    model = am.Lorentz1D(1.0, 2.0, 3.0) + am.Const1D(1.0)
    model.fwhm_0.fixed = True
    jm = from_astropy(model)
    with jax.enable_x64(True):
        y = jm(jnp.asarray(jm.p0, jnp.float32), jnp.linspace(0, 1, 4, dtype=jnp.float32))
    assert y.dtype == jnp.float32
    np.testing.assert_allclose(y, model(np.linspace(0, 1, 4)), rtol=1e-6)


class Unregistered1D(Fittable1DModel):
    amplitude = Parameter(default=1.0)
    width = Parameter(default=1.0)

    @staticmethod
    def evaluate(x, amplitude, width):
        return amplitude * np.exp(-x / width)


def test_unregistered_class_raises_type_error_with_example():
    with pytest.raises(TypeError, match="Unregistered1D") as info:
        from_astropy(am.Const1D(1.0) + Unregistered1D())
    message = str(info.value)
    assert "@register(Unregistered1D)" in message
    assert "def my_twin(x, amplitude, width)" in message


def test_subclass_that_overrides_evaluate_is_not_silently_twinned():
    class MyLorentz(am.Lorentz1D):
        @staticmethod
        def evaluate(x, amplitude, x_0, fwhm):
            return 2 * am.Lorentz1D.evaluate(x, amplitude, x_0, fwhm)

    class SameLorentz(am.Lorentz1D):
        pass

    with pytest.raises(TypeError, match="MyLorentz"):
        from_astropy(MyLorentz())
    jm = from_astropy(SameLorentz(1.0, 0.0, 1.0))
    np.testing.assert_allclose(jm(jm.p0, 0.5), SameLorentz(1.0, 0.0, 1.0)(0.5), rtol=1e-6)


def test_bad_inputs():
    jm = from_astropy(am.Lorentz1D(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="3 free parameters"):
        jm(jnp.ones(2), 1.0)
    with pytest.raises(ValueError, match="3 free parameters"):
        jm(jnp.ones((1, 3)), 1.0)
    with pytest.raises(ValueError, match="3 free parameters"):
        jm.to_astropy([1.0])
    with pytest.raises(TypeError, match="astropy model instance"):
        from_astropy(lambda x: x)
    with pytest.raises(TypeError, match="compound operators"):
        from_astropy(am.Lorentz1D() & am.Const1D())
    with pytest.raises(ValueError, match="model sets"):
        from_astropy(am.Lorentz1D([1.0, 2.0], [0.0, 0.0], [1.0, 1.0], n_models=2))
    with pytest.raises(ValueError, match="units"):
        from_astropy(am.Lorentz1D(1.0 * u.Jy, 1.0 * u.Hz, 1.0 * u.Hz))
    with pytest.raises(TypeError, match="one input"):
        from_astropy(am.Gaussian2D())


def test_untraceable_tie_gives_a_clear_error(x64):
    model = am.Const1D(1.0) + am.Const1D(2.0)
    model.amplitude_1.tied = lambda m: float(m.amplitude_0.value) * 2
    jm = from_astropy(model)
    with pytest.raises(TypeError, match="tied constraint of 'amplitude_1'"):
        jax.jit(jm)(jnp.ones(1), 0.0)


def test_polynomial_and_timing_classes_in_compound_models(x64, rng):
    from stingray_jax.models import QPOHarmonics1D, QPOLorentz1D

    poly = am.Polynomial1D(2, c0=1.0, c1=0.2, c2=0.05, domain=(0, 10), window=(-1, 1))
    model = poly + QPOLorentz1D(0.1, 2.0, 5.0) + QPOHarmonics1D(0.1, 1.0, 4.0, 0.05)
    model.c1_0.fixed = True
    jm = from_astropy(model)
    x = np.linspace(0.1, 9.0, 50)
    for _ in range(3):
        p = jm.p0 * rng.uniform(0.9, 1.1, jm.n_free)
        np.testing.assert_allclose(jm(p, x), reference(model, p, x, False), rtol=1e-12)
