"""A gravitational N-body simulator in pure JAX.

Pairwise forces are written for one pair of bodies and batched with two nested ``jax.vmap``
(the self-interaction is masked, and Plummer softening keeps close encounters finite). The same
forces are also obtained as ``-jax.grad`` of the total potential energy, and the equations of
motion are integrated with the symplectic kick-drift-kick leapfrog inside ``jax.lax.scan`` under
``jax.jit``. Every function works in the dtype it is given: pass float64 arrays (with JAX's
64-bit mode enabled, e.g. ``with jax.enable_x64(True):``) for the conservation checks.

NumPy versions of the force computation (a pure-Python double loop and a vectorised one) are
included as references for the tests and the benchmarks.

Units are arbitrary but consistent: ``G`` (default 1) sets them.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .._config import numpy_float64

__all__ = [
    "accelerations",
    "angular_momentum",
    "circular_binary",
    "finite_difference_forces",
    "forces",
    "grad_forces",
    "kinetic_energy",
    "leapfrog",
    "numpy_forces_loop",
    "numpy_forces_vectorized",
    "potential_energy",
    "total_energy",
    "total_momentum",
    "uniform_sphere",
]


def _check_state(positions, masses):
    if positions.ndim != 2:
        raise ValueError(f"positions must have shape (n_bodies, n_dim), got {positions.shape}")
    if masses.shape != positions.shape[:1]:
        raise ValueError(
            f"masses must have shape (n_bodies,) = {positions.shape[:1]}, got {masses.shape}"
        )


def _pair_geometry(i, j, xi, xj, softening):
    """Separation vector, softened squared distance and a self-pair mask for one pair."""
    d = xj - xi
    r2 = jnp.sum(d * d) + softening**2
    is_self = i == j
    # Double-where: the masked branch must not produce inf/nan in the forward *or* backward pass.
    safe_r2 = jnp.where(is_self, jnp.ones_like(r2), r2)
    return d, safe_r2, is_self


def _pair_force(i, j, xi, xj, mi, mj, G, softening):
    """Force exerted on body i (at ``xi``, mass ``mi``) by body j."""
    d, r2, is_self = _pair_geometry(i, j, xi, xj, softening)
    f = G * mi * mj * d / (r2 * jnp.sqrt(r2))
    return jnp.where(is_self, jnp.zeros_like(f), f)


def _pair_potential(i, j, xi, xj, mi, mj, G, softening):
    """Potential energy of one pair (counted once per ordered pair)."""
    _, r2, is_self = _pair_geometry(i, j, xi, xj, softening)
    phi = -G * mi * mj / jnp.sqrt(r2)
    return jnp.where(is_self, jnp.zeros_like(phi), phi)


def _all_pairs(pair_fn, positions, masses, G, softening):
    """Evaluate ``pair_fn`` on every ordered pair (i, j) with two nested ``vmap``."""
    index = jnp.arange(positions.shape[0])
    per_j = jax.vmap(pair_fn, in_axes=(None, 0, None, 0, None, 0, None, None))
    per_ij = jax.vmap(per_j, in_axes=(0, None, 0, None, 0, None, None, None))
    return per_ij(index, index, positions, positions, masses, masses, G, softening)


@numpy_float64
@jax.jit
def forces(positions, masses, G=1.0, softening=0.0):
    """Analytic gravitational forces from pairwise sums (two nested ``vmap``).

    Parameters
    ----------
    positions : array of shape (n_bodies, n_dim)
        Body positions.
    masses : array of shape (n_bodies,)
        Body masses.
    G : float, optional
        Gravitational constant.
    softening : float, optional
        Plummer softening length ``eps``: the pair potential is ``-G m_i m_j / sqrt(r^2 + eps^2)``.

    Returns
    -------
    forces : array of shape (n_bodies, n_dim)
        ``F_i = sum_{j != i} G m_i m_j (x_j - x_i) / (r_ij^2 + eps^2)^{3/2}``.

    Notes
    -----
    The self-interaction ``i == j`` is masked with a "double where", so that neither the values
    nor the gradients see the singular ``0 / 0`` term.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x = jnp.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    >>> m = jnp.array([1.0, 3.0])
    >>> nbody.forces(x, m).tolist()  # doctest: +FLOAT_CMP
    [[0.75, 0.0, 0.0], [-0.75, 0.0, 0.0]]
    """
    positions = jnp.asarray(positions)
    masses = jnp.asarray(masses, dtype=positions.dtype)
    _check_state(positions, masses)
    return _all_pairs(_pair_force, positions, masses, G, softening).sum(axis=1)


@numpy_float64
@jax.jit
def accelerations(positions, masses, G=1.0, softening=0.0):
    """Gravitational accelerations ``F_i / m_i`` (see `forces`).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x = jnp.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    >>> nbody.accelerations(x, jnp.array([1.0, 3.0])).tolist()  # doctest: +FLOAT_CMP
    [[0.75, 0.0, 0.0], [-0.25, 0.0, 0.0]]
    """
    positions = jnp.asarray(positions)
    masses = jnp.asarray(masses, dtype=positions.dtype)
    return forces(positions, masses, G, softening) / masses[:, None]


@numpy_float64
@jax.jit
def potential_energy(positions, masses, G=1.0, softening=0.0):
    """Total gravitational potential energy ``-sum_{i<j} G m_i m_j / sqrt(r_ij^2 + eps^2)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x = jnp.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    >>> float(nbody.potential_energy(x, jnp.array([1.0, 3.0])))  # doctest: +FLOAT_CMP
    -1.5
    """
    positions = jnp.asarray(positions)
    masses = jnp.asarray(masses, dtype=positions.dtype)
    _check_state(positions, masses)
    # Every unordered pair appears twice in the full (i, j) table.
    return 0.5 * _all_pairs(_pair_potential, positions, masses, G, softening).sum()


@numpy_float64
@jax.jit
def grad_forces(positions, masses, G=1.0, softening=0.0):
    """Forces obtained by automatic differentiation: ``F = -grad_x U(x)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x = jnp.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    >>> nbody.grad_forces(x, jnp.array([1.0, 3.0])).tolist()  # doctest: +FLOAT_CMP
    [[0.75, 0.0, 0.0], [-0.75, 0.0, 0.0]]
    """
    positions = jnp.asarray(positions)
    return -jax.grad(potential_energy)(positions, masses, G, softening)


@numpy_float64
@jax.jit
def finite_difference_forces(positions, masses, G=1.0, softening=0.0, step=1e-5):
    """Forces from central finite differences of the potential (a reference, not for use).

    Each of the ``n_bodies * n_dim`` coordinates is displaced by ``+-step`` and the potential
    re-evaluated, so the cost is ``2 n_dim N`` potential evaluations of ``O(N^2)`` each, i.e.
    ``O(N^3)``, against ``O(N^2)`` for `grad_forces`. The truncation error is ``O(step^2)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x = jnp.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    >>> f = nbody.finite_difference_forces(x, jnp.array([1.0, 3.0]), step=1e-2)
    >>> bool(jnp.allclose(f, nbody.forces(x, jnp.array([1.0, 3.0])), rtol=1e-3))
    True
    """
    positions = jnp.asarray(positions)
    shape = positions.shape
    basis = jnp.eye(positions.size, dtype=positions.dtype).reshape((-1, *shape)) * step

    def derivative(e):
        up = potential_energy(positions + e, masses, G, softening)
        down = potential_energy(positions - e, masses, G, softening)
        return (up - down) / (2 * step)

    return -jax.lax.map(derivative, basis).reshape(shape)


@numpy_float64
def kinetic_energy(velocities, masses):
    """Total kinetic energy ``sum_i m_i |v_i|^2 / 2``."""
    velocities = jnp.asarray(velocities)
    return 0.5 * jnp.sum(jnp.asarray(masses, velocities.dtype) * jnp.sum(velocities**2, axis=-1))


@numpy_float64
def total_energy(positions, velocities, masses, G=1.0, softening=0.0):
    """Kinetic plus potential energy.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x, v, m, period = nbody.circular_binary(1.0, 1.0, separation=1.0)
    >>> float(nbody.total_energy(jnp.asarray(x), jnp.asarray(v), jnp.asarray(m)))  # circular: U/2
    ... # doctest: +FLOAT_CMP
    -0.5
    """
    return kinetic_energy(velocities, masses) + potential_energy(positions, masses, G, softening)


@numpy_float64
def total_momentum(velocities, masses):
    """Total linear momentum ``sum_i m_i v_i``."""
    velocities = jnp.asarray(velocities)
    return jnp.sum(jnp.asarray(masses, velocities.dtype)[:, None] * velocities, axis=0)


@numpy_float64
def angular_momentum(positions, velocities, masses):
    """Total angular momentum ``sum_i m_i x_i x v_i`` about the origin (3-D positions)."""
    positions = jnp.asarray(positions)
    if positions.shape[-1] != 3:
        raise ValueError(f"angular_momentum needs 3-D positions, got n_dim={positions.shape[-1]}")
    m = jnp.asarray(masses, positions.dtype)[:, None]
    return jnp.sum(m * jnp.cross(positions, velocities), axis=0)


@numpy_float64
@functools.partial(jax.jit, static_argnames=("n_steps", "save_every", "use_grad"))
def leapfrog(
    positions,
    velocities,
    masses,
    dt,
    n_steps,
    G=1.0,
    softening=0.0,
    save_every=1,
    use_grad=False,
):
    """Integrate the N-body equations of motion with kick-drift-kick leapfrog.

    One step is ``v += a dt/2; x += v dt; a = a(x); v += a dt/2``. The scheme is symplectic and
    time-reversible, so the energy error stays bounded (no secular drift) and linear and angular
    momentum are conserved to round-off (the pairwise forces are central and antisymmetric).

    Parameters
    ----------
    positions, velocities : arrays of shape (n_bodies, n_dim)
        Initial state.
    masses : array of shape (n_bodies,)
        Body masses.
    dt : float
        Time step.
    n_steps : int
        Number of steps (static: a new value recompiles).
    G, softening : float, optional
        See `forces`.
    save_every : int, optional
        Record the state every ``save_every`` steps; ``n_steps`` must be a multiple of it.
    use_grad : bool, optional
        Compute the accelerations as ``-grad U / m`` instead of the analytic pairwise sum.

    Returns
    -------
    final : tuple of arrays
        ``(positions, velocities)`` after ``n_steps`` steps.
    trajectory : tuple of arrays
        ``(positions, velocities)`` of shape ``(n_steps // save_every, n_bodies, n_dim)``: the
        state after steps ``save_every, 2 save_every, ..., n_steps``.

    Examples
    --------
    A circular binary of period 2 pi (``G = m1 + m2 = separation = 1``) after one orbit:

    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import nbody
    >>> x, v, m, period = nbody.circular_binary(0.5, 0.5, separation=1.0)
    >>> (xf, vf), _ = nbody.leapfrog(x, v, m, dt=period / 1000, n_steps=1000, save_every=1000)
    >>> bool(jnp.allclose(xf, x, atol=1e-3))
    True
    """
    positions = jnp.asarray(positions)
    velocities = jnp.asarray(velocities, positions.dtype)
    masses = jnp.asarray(masses, positions.dtype)
    _check_state(positions, masses)
    if velocities.shape != positions.shape:
        raise ValueError(
            f"velocities must have the shape of positions {positions.shape}, got {velocities.shape}"
        )
    if n_steps < 1 or save_every < 1 or n_steps % save_every:
        raise ValueError(
            f"n_steps ({n_steps}) must be a positive multiple of save_every ({save_every})"
        )
    dt = jnp.asarray(dt, positions.dtype)

    def acc(x):
        if use_grad:
            return grad_forces(x, masses, G, softening) / masses[:, None]
        return forces(x, masses, G, softening) / masses[:, None]

    def step(carry, _):
        x, v, a = carry
        v = v + 0.5 * dt * a
        x = x + dt * v
        a = acc(x)
        v = v + 0.5 * dt * a
        return (x, v, a), None

    def block(carry, _):
        carry, _ = jax.lax.scan(step, carry, None, length=save_every)
        return carry, (carry[0], carry[1])

    init = (positions, velocities, acc(positions))
    (x, v, _), trajectory = jax.lax.scan(block, init, None, length=n_steps // save_every)
    return (x, v), trajectory


def circular_binary(m1, m2, separation=1.0, G=1.0):
    """Initial conditions of a circular two-body orbit in the x-y plane, centre of mass at rest.

    Returns
    -------
    positions, velocities : numpy arrays of shape (2, 3)
    masses : numpy array of shape (2,)
    period : float
        The orbital period ``2 pi sqrt(a^3 / (G (m1 + m2)))``.

    Examples
    --------
    >>> from stingray_jax.examples import nbody
    >>> x, v, m, period = nbody.circular_binary(1.0, 3.0, separation=2.0)
    >>> x[:, 0], v[:, 1]  # doctest: +FLOAT_CMP
    (array([-1.5,  0.5]), array([-1.06066017,  0.35355339]))
    """
    if m1 <= 0 or m2 <= 0 or separation <= 0:
        raise ValueError("masses and separation must be positive")
    mtot = m1 + m2
    omega = np.sqrt(G * mtot / separation**3)
    r1, r2 = m2 / mtot * separation, m1 / mtot * separation
    positions = np.array([[-r1, 0.0, 0.0], [r2, 0.0, 0.0]])
    velocities = np.array([[0.0, -omega * r1, 0.0], [0.0, omega * r2, 0.0]])
    return positions, velocities, np.array([m1, m2], dtype=float), float(2 * np.pi / omega)


@functools.partial(jax.jit, static_argnames=("n_bodies",))
def uniform_sphere(key, n_bodies, radius=1.0, total_mass=1.0, G=1.0, softening=0.0):
    """Equal-mass bodies uniform in a ball with isotropic Gaussian velocities in virial equilibrium.

    The velocities are scaled so that ``2 K = -U`` and both the centre of mass and its velocity
    are moved to the origin. The dtype follows JAX's default (float64 in 64-bit mode).

    Examples
    --------
    >>> import jax
    >>> from stingray_jax.examples import nbody
    >>> x, v, m = nbody.uniform_sphere(jax.random.key(0), 50, softening=0.05)
    >>> ratio = 2 * nbody.kinetic_energy(v, m) / -nbody.potential_energy(x, m, softening=0.05)
    >>> float(ratio)  # doctest: +FLOAT_CMP
    1.0
    """
    kpos, kdir, kvel = jax.random.split(key, 3)
    direction = jax.random.normal(kdir, (n_bodies, 3))
    direction = direction / jnp.linalg.norm(direction, axis=1, keepdims=True)
    r = radius * jax.random.uniform(kpos, (n_bodies, 1)) ** (1.0 / 3.0)
    x = r * direction
    x = x - x.mean(axis=0)
    m = jnp.full(n_bodies, total_mass / n_bodies, dtype=x.dtype)
    v = jax.random.normal(kvel, (n_bodies, 3), dtype=x.dtype)
    v = v - v.mean(axis=0)
    scale = jnp.sqrt(-potential_energy(x, m, G, softening) / (2 * kinetic_energy(v, m)))
    return x, v * scale, m


def numpy_forces_loop(positions, masses, G=1.0, softening=0.0):
    """Reference forces with a pure-Python double loop over NumPy rows (slow by design)."""
    positions = np.asarray(positions, dtype=float)
    masses = np.asarray(masses, dtype=float)
    n = len(masses)
    out = np.zeros_like(positions)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = positions[j] - positions[i]
            r2 = d @ d + softening**2
            out[i] += G * masses[i] * masses[j] * d / (r2 * np.sqrt(r2))
    return out


def numpy_forces_vectorized(positions, masses, G=1.0, softening=0.0):
    """Reference forces with NumPy broadcasting over all pairs (``O(N^2)`` memory)."""
    positions = np.asarray(positions, dtype=float)
    masses = np.asarray(masses, dtype=float)
    d = positions[None, :, :] - positions[:, None, :]
    r2 = np.einsum("ijk,ijk->ij", d, d) + softening**2
    np.fill_diagonal(r2, 1.0)
    inv = r2**-1.5
    np.fill_diagonal(inv, 0.0)
    return G * masses[:, None] * np.einsum("ij,ijk->ik", masses[None, :] * inv, d)
