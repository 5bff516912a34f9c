"""Tests of the N-body example: forces, conservation laws and the leapfrog integrator."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from stingray_jax.examples import nbody


def _random_cluster(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    v = 0.3 * rng.normal(size=(n, 3))
    # Unequal masses exercise the mass weighting.
    m = rng.uniform(0.5, 1.5, n) / n
    return jnp.asarray(x), jnp.asarray(v), jnp.asarray(m)


@pytest.fixture
def cluster(x64):
    return _random_cluster(3, 40)


def _eccentric_binary(e, m1=0.7, m2=0.3, a=1.0):
    """Two bodies at apocentre of a Kepler orbit with G (m1 + m2) = 1 (period 2 pi a^1.5)."""
    mtot = m1 + m2
    rap = a * (1 + e)
    vap = np.sqrt(mtot * (1 - e) / ((1 + e) * a))
    x = np.array([[-m2 / mtot * rap, 0, 0], [m1 / mtot * rap, 0, 0]], dtype=float)
    v = np.array([[0, -m2 / mtot * vap, 0], [0, m1 / mtot * vap, 0]], dtype=float)
    return x, v, np.array([m1, m2]), 2 * np.pi * a**1.5


@pytest.mark.parametrize("softening", [0.0, 0.05])
def test_grad_forces_equal_analytic_forces(cluster, softening):
    x, _, m = cluster
    analytic = nbody.forces(x, m, 1.0, softening)
    by_grad = nbody.grad_forces(x, m, 1.0, softening)
    assert analytic.dtype == jnp.float64
    scale = jnp.max(jnp.abs(analytic))
    np.testing.assert_allclose(by_grad, analytic, rtol=1e-12, atol=1e-12 * scale)


def test_forces_match_numpy_references(cluster):
    x, _, m = cluster
    x_np, m_np = np.asarray(x[:15]), np.asarray(m[:15])
    loop = nbody.numpy_forces_loop(x_np, m_np, G=2.0, softening=0.01)
    vec = nbody.numpy_forces_vectorized(x_np, m_np, G=2.0, softening=0.01)
    ours = nbody.forces(x_np, m_np, 2.0, 0.01)
    np.testing.assert_allclose(vec, loop, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours, loop, rtol=1e-12, atol=1e-13)


def test_two_body_force_is_newtons_law(x64):
    x = jnp.array([[0.0, 0.0, 0.0], [0.0, 3.0, 4.0]])
    m = jnp.array([2.0, 5.0])
    f = nbody.forces(x, m, G=1.5)
    expected = 1.5 * 2.0 * 5.0 / 25.0 * jnp.array([0.0, 0.6, 0.8])
    np.testing.assert_allclose(f[0], expected, rtol=1e-14)
    np.testing.assert_allclose(f[1], -expected, rtol=1e-14)
    np.testing.assert_allclose(nbody.potential_energy(x, m, G=1.5), -1.5 * 10 / 5, rtol=1e-14)


def test_finite_difference_forces_converge_at_second_order(cluster):
    """Central differences agree with grad forces to their O(h^2) truncation error."""
    x, _, m = cluster
    exact = nbody.grad_forces(x, m, 1.0, 0.05)
    scale = jnp.max(jnp.abs(exact))
    errors = []
    for h in (2e-3, 1e-3):
        fd = nbody.finite_difference_forces(x, m, 1.0, 0.05, h)
        errors.append(float(jnp.max(jnp.abs(fd - exact)) / scale))
    # Truncation-dominated regime: the error is small and quarters when h halves.
    assert errors[0] < 1e-3
    assert 3.5 < errors[0] / errors[1] < 4.5


def test_total_momentum_of_forces_vanishes(cluster):
    x, _, m = cluster
    f = nbody.forces(x, m, 1.0, 0.05)
    np.testing.assert_allclose(f.sum(axis=0), 0.0, atol=1e-14 * float(jnp.abs(f).max()))


def test_circular_orbit_stays_circular_over_100_orbits(x64):
    x, v, m, period = nbody.circular_binary(1.0, 0.5, separation=1.0)
    steps_per_orbit = 8000
    _, (traj_x, _) = nbody.leapfrog(
        x, v, m, period / steps_per_orbit, n_steps=100 * steps_per_orbit, save_every=40
    )
    radius = jnp.linalg.norm(traj_x[:, 1] - traj_x[:, 0], axis=1)
    assert radius.shape == (20000,)
    assert float(jnp.max(jnp.abs(radius - 1.0))) < 1e-6
    # ... and it really went round: the relative position angle covers 100 turns.
    angle = jnp.unwrap(
        jnp.arctan2(traj_x[:, 1, 1] - traj_x[:, 0, 1], traj_x[:, 1, 0] - traj_x[:, 0, 0])
    )
    np.testing.assert_allclose(angle[-1] / (2 * np.pi), 100.0, atol=1e-3)


def test_energy_bounded_without_secular_drift(x64):
    """Eccentric (e = 0.5) Kepler orbit, 10^4 steps = 10 orbits of 1000 steps."""
    x, v, m, period = _eccentric_binary(0.5)
    n_per_orbit = 1000
    e0 = nbody.total_energy(x, v, m)
    energy = jax.jit(jax.vmap(lambda a, b: nbody.total_energy(a, b, m)))

    errors = {}
    for n in (n_per_orbit // 2, n_per_orbit):
        _, (tx, tv) = nbody.leapfrog(x, v, m, period / n, n_steps=10_000, save_every=1)
        errors[n] = np.asarray((energy(tx, tv) - e0) / abs(e0))
    rel = errors[n_per_orbit]
    # Bounded: the error oscillates with the orbit and does not grow ...
    first, last = rel[:n_per_orbit], rel[-n_per_orbit:]
    assert np.abs(rel).max() < 2e-4
    np.testing.assert_allclose(np.abs(last).max(), np.abs(first).max(), rtol=0.02)
    # ... with no secular drift: the orbit-averaged error of the first and last orbits agree.
    assert abs(last.mean() - first.mean()) < 1e-8
    # The bound shrinks as dt^2 (a second-order scheme).
    ratio = np.abs(errors[n_per_orbit // 2]).max() / np.abs(rel).max()
    assert 3.5 < ratio < 4.5


def test_momenta_conserved(cluster):
    x, v, m = cluster
    l0, p0 = nbody.angular_momentum(x, v, m), nbody.total_momentum(v, m)
    _, (tx, tv) = nbody.leapfrog(x, v, m, 1e-3, n_steps=2000, softening=0.05, save_every=100)
    ell = jax.vmap(lambda a, b: nbody.angular_momentum(a, b, m))(tx, tv)
    p = jax.vmap(lambda b: nbody.total_momentum(b, m))(tv)
    # Non-trivial motion happened ...
    assert float(jnp.max(jnp.abs(tx[-1] - x))) > 1e-2
    # ... and both momenta are conserved to round-off.
    np.testing.assert_allclose(
        ell, jnp.broadcast_to(l0, ell.shape), rtol=0, atol=1e-12 * float(jnp.linalg.norm(l0))
    )
    p_scale = float(jnp.sum(m[:, None] * jnp.abs(v)))
    np.testing.assert_allclose(p, jnp.broadcast_to(p0, p.shape), rtol=0, atol=1e-13 * p_scale)


def test_leapfrog_with_grad_forces_matches_analytic(cluster):
    x, v, m = cluster
    (xa, va), _ = nbody.leapfrog(x, v, m, 1e-3, n_steps=2000, softening=0.05, save_every=100)
    (xg, vg), _ = nbody.leapfrog(
        x, v, m, 1e-3, n_steps=2000, softening=0.05, save_every=100, use_grad=True
    )
    np.testing.assert_allclose(xg, xa, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(vg, va, rtol=1e-11, atol=1e-12)


def test_leapfrog_is_time_reversible(cluster):
    x, v, m = cluster
    (x1, v1), _ = nbody.leapfrog(x, v, m, 1e-3, n_steps=2000, softening=0.05, save_every=100)
    (x2, v2), _ = nbody.leapfrog(x1, -v1, m, 1e-3, n_steps=2000, softening=0.05, save_every=100)
    np.testing.assert_allclose(x2, x, atol=1e-10)
    np.testing.assert_allclose(-v2, v, atol=1e-10)


def test_batched_forces_equal_loop(x64):
    states = [_random_cluster(seed, 10) for seed in range(3)]
    xs = jnp.stack([s[0] for s in states])
    ms = jnp.stack([s[2] for s in states])
    batched = jax.vmap(nbody.forces, in_axes=(0, 0, None, None))(xs, ms, 1.0, 0.1)
    for i in range(3):
        np.testing.assert_allclose(batched[i], nbody.forces(xs[i], ms[i], 1.0, 0.1), rtol=1e-14)


def test_float32_in_float32_out():
    x, v, m, period = nbody.circular_binary(1.0, 1.0)
    x32, v32, m32 = (jnp.asarray(a, jnp.float32) for a in (x, v, m))
    (xf, _), _ = nbody.leapfrog(x32, v32, m32, period / 100, n_steps=100, save_every=100)
    assert xf.dtype == jnp.float32
    assert nbody.grad_forces(x32, m32).dtype == jnp.float32


def test_no_recompilation(x64):
    x, v, m, _ = nbody.circular_binary(1.0, 1.0)
    nbody.leapfrog(x, v, m, 0.01, n_steps=10, G=1.0, softening=0.0, save_every=5)
    before = nbody.leapfrog._cache_size()
    # New values of every traced argument, same shapes and static arguments.
    nbody.leapfrog(x * 1.1, v * 0.9, m * 2, 0.02, n_steps=10, G=2.0, softening=0.1, save_every=5)
    assert nbody.leapfrog._cache_size() == before
    nbody.forces(x, m, 1.0, 0.0)
    n_forces = nbody.forces._cache_size()
    nbody.forces(x + 1, m * 3, 2.0, 0.5)
    assert nbody.forces._cache_size() == n_forces


@pytest.mark.parametrize(
    ("positions", "masses", "match"),
    [
        (np.zeros(3), np.ones(1), "positions must have shape"),
        (np.zeros((3, 3)), np.ones(2), "masses must have shape"),
    ],
)
def test_bad_shapes_raise(positions, masses, match):
    with pytest.raises(ValueError, match=match):
        nbody.forces(positions, masses)


def test_bad_step_counts_raise():
    x, v, m, _ = nbody.circular_binary(1.0, 1.0)
    with pytest.raises(ValueError, match="multiple of save_every"):
        nbody.leapfrog(x, v, m, 0.01, n_steps=10, save_every=3)
    with pytest.raises(ValueError, match="velocities must have the shape"):
        nbody.leapfrog(x, v[:1], m, 0.01, n_steps=10)
    with pytest.raises(ValueError, match="positive"):
        nbody.circular_binary(-1.0, 1.0)
