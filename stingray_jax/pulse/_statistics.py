"""Pure JAX core of the pulsar searches: folded profiles, Z^2_n and epoch folding.

Everything here takes arrays of *reference-subtracted* event times (float64 offsets from the
first event, never absolute mission times) and returns arrays; nothing here knows about
Stingray objects, GTI tables or segments (the adapter in :mod:`stingray_jax.pulse.search` does
that bookkeeping).

The phase of an event at trial ``(f, fdot)`` is computed exactly as Stingray's
``_pulse_phase_fast`` does, ``t * f + (0.5 * t**2) * fdot`` followed by ``x - floor(x)``, in
float64, with the same operation order, so that every event falls into the same profile bin as
in Stingray and the statistics agree to rounding (the binning is a discontinuous function of
the phase: one event moved to the neighbouring bin changes Z^2_n at the 1e-5 level).

Two kernels:

- :func:`folded_search` folds (histograms) the events for every trial and computes the binned
  Z^2_n (Bachetti et al. 2021) or the epoch-folding statistic (Leahy et al. 1983) of each
  profile: what ``stingray.pulse.search.z_n_search`` and ``epoch_folding_search`` return.
- :func:`z_n_events_search` computes the *unbinned* Z^2_n of Buccheri et al. (1983),
  ``2/N sum_k |sum_i w_i exp(2 pi i k phi_i)|^2``, with one ``sincos`` per event and trial and
  the higher harmonics by complex recurrence; on a uniform frequency grid it factorises the
  phase factors into two small tables and reduces with matrix products (exact to rounding,
  no binning, no interpolation).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jax import Array
    from jaxtyping import Bool, Float, Int

__all__ = [
    "exposure_profile",
    "folded_search",
    "phase_bins",
    "profile_statistic",
    "z_n_events_search",
]


def _is_power_of_two(n):
    return n > 0 and (n & (n - 1)) == 0


def phase_bins(
    times: Float[Array, " n_events"],
    times2h: Float[Array, " n_events"],
    frequency: Float[Array, ""] | float,
    fdot: Float[Array, ""] | float,
    nbin: int,
    rule: str = "floor",
) -> tuple[Int[Array, " n_events"], Bool[Array, " n_events"]]:
    """Profile bin of each event for one trial, as Stingray assigns it.

    Parameters
    ----------
    times, times2h : arrays
        Event times relative to the reference epoch, and ``0.5 * times**2``.
    frequency, fdot : scalars
        The trial.
    nbin : int
        Number of profile bins.
    rule : {"floor", "histogram"}
        ``"floor"``: ``floor(phase * nbin)`` (Stingray's numba fast path); ``"histogram"``:
        the bin of ``numpy.histogram(phase, bins=linspace(0, 1, nbin + 1))`` (Stingray's
        ``fold_events``). They agree when ``nbin`` is a power of two.

    Returns
    -------
    bins : int32 array
        Bin index of each event, in ``[0, nbin)``; ``inside`` (bool array) is returned too for
        the histogram rule, false for phases outside [0, 1] (which numpy drops).
    """
    x = times * frequency + times2h * fdot
    phase = x - jnp.floor(x)
    if rule == "floor":
        b = jnp.floor(phase * nbin).astype(jnp.int32)
        return jnp.clip(b, 0, nbin - 1), jnp.ones(phase.shape, bool)
    inside = (phase >= 0) & (phase <= 1)
    b = jnp.clip((phase * nbin).astype(jnp.int32), 0, nbin - 1)
    if not _is_power_of_two(nbin):
        edges = jnp.asarray(np.linspace(0, 1, nbin + 1), phase.dtype)
        b = b - (phase < edges[b]).astype(jnp.int32)
        b = b + ((phase >= edges[b + 1]) & (b != nbin - 1)).astype(jnp.int32)
    return b, inside


def exposure_profile(
    start_phase: Float[Array, ""] | float,
    stop_phase: Float[Array, ""] | float,
    gti_phases: Float[Array, "n_gti 2"],
    nbin: int,
) -> Float[Array, " nbin"]:
    """Relative exposure of each phase bin (Stingray's ``phase_exposure`` with period 1).

    Parameters
    ----------
    start_phase, stop_phase : scalars
        Phases (not reduced to [0, 1)) of the start and stop of the folded interval.
    gti_phases : array, shape (n_gti, 2)
        Phases of the GTI boundaries.
    nbin : int
        Number of bins.

    Returns
    -------
    expo : array, shape (nbin,)
        Exposure of each bin divided by the largest one.
    """
    g0 = gti_phases[:, 0]
    g1 = gti_phases[:, 1]
    good = (g0 < stop_phase) & (g1 > start_phase)
    g0 = jnp.maximum(g0, start_phase)
    g1 = jnp.minimum(g1, stop_phase)
    length = jnp.where(good, g1 - g0, 0.0)
    nper = jnp.trunc(length)
    s = jnp.fmod(g0, 1.0)
    e = length - nper + s
    edges = jnp.linspace(0.0, 1.0, nbin + 1).astype(length.dtype)
    lo, hi = edges[:-1], edges[1:]

    def overlap(l0, l1):
        w = jnp.minimum(hi[None, :], l1[:, None]) - jnp.maximum(lo[None, :], l0[:, None])
        return jnp.maximum(w, 0.0)

    wrap = e > 1
    one = overlap(s, e)
    two = overlap(jnp.zeros_like(s), e - 1) + overlap(s, jnp.ones_like(s))
    frac = jnp.where(wrap[:, None], two, one)
    expo = jnp.sum(jnp.where(good[:, None], nper[:, None] / nbin + frac, 0.0), axis=0)
    return expo / jnp.max(expo)


def profile_statistic(
    profile: Float[Array, "*batch nbin"], statistic: str, nharm: int = 2
) -> Float[Array, "*batch"]:
    """Z^2_n (binned, Bachetti et al. 2021) or epoch-folding statistic of one profile.

    ``profile`` has shape ``(..., nbin)``. For ``"z2"``:
    ``2 / sum(profile) * sum_k |sum_j profile_j exp(2 pi i k j / nbin)|^2`` (0 for an empty
    profile); for ``"ef"``: ``sum((profile - mean)**2 / mean)``.
    """
    nbin = profile.shape[-1]
    if statistic == "z2":
        k = np.arange(1, nharm + 1)[:, None]
        ang = 2 * np.pi * ((k * np.arange(nbin)[None, :]) % nbin) / nbin
        cos = jnp.asarray(np.cos(ang), profile.dtype)
        sin = jnp.asarray(np.sin(ang), profile.dtype)
        c = profile @ cos.T
        s = profile @ sin.T
        total = jnp.sum(profile, axis=-1)
        power = jnp.sum(c**2 + s**2, axis=-1)
        safe = jnp.where(total == 0, 1.0, total)
        return jnp.where(total == 0, 0.0, power * 2 / safe)
    if statistic == "ef":
        mean = jnp.mean(profile, axis=-1, keepdims=True)
        err2 = jnp.sqrt(mean) ** 2
        return jnp.sum((profile - mean) ** 2 / err2, axis=-1)
    raise ValueError(f"unknown statistic {statistic!r}; use 'z2' or 'ef'")


def _profile_one(times, times2h, weights, f, fd, nbin, rule, event_chunk):
    """Folded profile of one trial; the events are processed in chunks of ``event_chunk``."""
    dtype = times.dtype
    if event_chunk is None or event_chunk >= times.shape[0]:
        b, inside = phase_bins(times, times2h, f, fd, nbin, rule)
        return jnp.zeros(nbin, dtype).at[b].add(jnp.where(inside, weights, 0.0))
    n_chunks = times.shape[0] // event_chunk
    shape = (n_chunks, event_chunk)

    def body(prof, chunk):
        t, t2, w = chunk
        b, inside = phase_bins(t, t2, f, fd, nbin, rule)
        return prof.at[b].add(jnp.where(inside, w, 0.0)), None

    prof, _ = jax.lax.scan(
        body,
        jnp.zeros(nbin, dtype),
        (times.reshape(shape), times2h.reshape(shape), weights.reshape(shape)),
    )
    return prof


@functools.partial(
    jax.jit,
    static_argnames=("nbin", "nharm", "statistic", "rule", "event_chunk", "trial_batch", "expo"),
)
def folded_search(
    times: Float[Array, " n_events"],
    times2h: Float[Array, " n_events"],
    weights: Float[Array, " n_events"],
    frequencies: Float[Array, " n_trials"],
    fdots: Float[Array, " n_trials"],
    expo_args: tuple | None = None,
    *,
    nbin: int = 128,
    nharm: int = 2,
    statistic: str = "z2",
    rule: str = "floor",
    event_chunk: int | None = None,
    trial_batch: int = 1,
    expo: bool = False,
) -> Float[Array, " n_trials"]:
    """Statistic of the folded profile at every trial ``(frequencies[i], fdots[i])``.

    Parameters
    ----------
    times, times2h, weights : arrays, shape (n_events,)
        Reference-subtracted event times, ``0.5 * times**2`` and the weight of each event
        (0 for padding). When ``event_chunk`` is given, ``n_events`` must be a multiple of it.
    frequencies, fdots : arrays, shape (n_trials,)
        The trials (flattened grid).
    expo_args : tuple, optional
        ``(start_time, stop_time, gti)`` (reference-subtracted) for exposure correction, used
        when ``expo=True``: each profile is divided by :func:`exposure_profile` of the trial.
    nbin, nharm : int
        Number of profile bins and of harmonics (Z^2_n only).
    statistic : {"z2", "ef"}
        Binned Z^2_n or epoch folding.
    rule : {"floor", "histogram"}
        See :func:`phase_bins`.
    event_chunk : int, optional
        Process the events in chunks of this size (bounded memory for vmapped trials).
    trial_batch : int
        Number of trials vmapped together (``lax.map`` batch size): 1 is fastest on CPU, tens
        to hundreds on a GPU.

    Returns
    -------
    stats : array, shape (n_trials,)
    """

    def one(trial):
        f, fd = trial
        prof = _profile_one(times, times2h, weights, f, fd, nbin, rule, event_chunk)
        if expo:
            start, stop, gti = expo_args
            ph = lambda t: t * f + 0.5 * t**2 * fd  # noqa: E731  (pulse_phase, to_1=False)
            prof = prof / exposure_profile(ph(start), ph(stop), ph(gti), nbin)
        return profile_statistic(prof, statistic, nharm)

    return jax.lax.map(one, (frequencies, fdots), batch_size=trial_batch)


@functools.partial(jax.jit, static_argnames=("nharm", "trial_batch"))
def z_n_events_search(
    times: Float[Array, " n_events"],
    times2h: Float[Array, " n_events"],
    weights: Float[Array, " n_events"],
    frequencies: Float[Array, " n_trials"],
    fdots: Float[Array, " n_trials"],
    *,
    nharm: int = 2,
    trial_batch: int = 1,
) -> Float[Array, " n_trials"]:
    """Unbinned Z^2_n (Buccheri et al. 1983) at every trial, one ``sincos`` per event and trial.

    ``2 / sum(w) * sum_k |sum_i w_i exp(2 pi i k phi_i)|^2`` with
    ``phi_i = frac(t_i f + 0.5 t_i^2 fdot)``; the k-th harmonic is the k-th power of the
    fundamental's phase factor (complex recurrence). Padding events have ``w_i = 0``.
    """
    total = jnp.sum(weights)

    def one(trial):
        f, fd = trial
        x = times * f + times2h * fd
        ang = (2 * jnp.pi) * (x - jnp.floor(x))
        z1 = jax.lax.complex(jnp.cos(ang), jnp.sin(ang))
        zk = z1
        power = 0.0
        for k in range(1, nharm + 1):
            if k > 1:
                zk = zk * z1
            s = jnp.sum(weights * zk)
            power = power + (s.real**2 + s.imag**2)
        return power

    power = jax.lax.map(one, (frequencies, fdots), batch_size=trial_batch)
    return 2 * power / total


@functools.partial(jax.jit, static_argnames=("nharm", "n_outer", "n_inner", "event_chunk"))
def z_n_events_uniform_grid(
    times, times2h, weights, f0, df, fdot, *, nharm, n_outer, n_inner, event_chunk
):
    """Unbinned Z^2_n on the uniform grid ``f0 + m df`` (m < n_outer * n_inner) at one fdot.

    The phase factor of event i at ``m = a * n_inner + b`` factorises as
    ``u_i * A[i, a] * B[i, b]`` with ``u_i = exp(2 pi i (t_i f0 + 0.5 t_i^2 fdot))``,
    ``A[i, a] = exp(2 pi i t_i a n_inner df)`` and ``B[i, b] = exp(2 pi i t_i b df)``, so the
    sums over events for all trials are one complex matrix product ``(u A)^T B`` per harmonic:
    ``n_events * (n_outer + n_inner)`` ``sincos`` instead of ``n_events * n_outer * n_inner``.
    Each phase is reduced to [0, 1) before the ``sincos``. The events are processed in chunks
    of ``event_chunk`` (``n_events`` must be a multiple of it).

    Returns
    -------
    stats : array, shape (n_outer * n_inner,)
    """
    total = jnp.sum(weights)
    a = jnp.arange(n_outer, dtype=times.dtype) * (n_inner * df)
    b = jnp.arange(n_inner, dtype=times.dtype) * df
    cdtype = jax.lax.complex(times[:1], times[:1]).dtype

    def cis(x):
        ang = (2 * jnp.pi) * (x - jnp.floor(x))
        return jax.lax.complex(jnp.cos(ang), jnp.sin(ang))

    shape = (times.shape[0] // event_chunk, event_chunk)

    def body(sums, chunk):
        t, t2, w = chunk
        new = []
        for k in range(1, nharm + 1):
            u = w * cis(k * (t * f0 + t2 * fdot))
            amat = cis((k * t)[:, None] * a[None, :]) * u[:, None]
            bmat = cis((k * t)[:, None] * b[None, :])
            new.append(sums[k - 1] + amat.T @ bmat)
        return tuple(new), None

    init = tuple(jnp.zeros((n_outer, n_inner), cdtype) for _ in range(nharm))
    sums, _ = jax.lax.scan(
        body,
        init,
        (times.reshape(shape), times2h.reshape(shape), weights.reshape(shape)),
    )
    power = sum(s.real**2 + s.imag**2 for s in sums)
    return (2 * power / total).reshape(-1)


@functools.partial(jax.jit, static_argnames=("nharm", "n_modes", "eps"))
def z_n_events_nufft(times, times2h, weights, f0, df, fdot, *, nharm, n_modes, eps=1e-13):
    """Unbinned Z^2_n on the uniform grid ``f0 + m df`` (m < n_modes) with type-1 NUFFTs.

    For harmonic k, ``sum_i w_i exp(2 pi i k (t_i (f0 + m df) + 0.5 t_i^2 fdot))`` for all m
    is one type-1 non-uniform FFT (jax-finufft) of the sources
    ``w_i exp(2 pi i k (t_i f0 + 0.5 t_i^2 fdot))`` at the points ``2 pi k t_i df`` (mod
    2 pi): ``O(n_events + n_modes log n_modes)`` per harmonic and fdot instead of
    ``O(n_events n_modes)``. The error is about ``eps`` times ``sum_i |w_i|`` on each sum.

    Returns
    -------
    stats : array, shape (n_modes,)
    """
    from jax_finufft import nufft1

    total = jnp.sum(weights)
    power = jnp.zeros(n_modes, times.dtype)
    half = n_modes // 2
    for k in range(1, nharm + 1):
        u = (k * df) * times
        u = u - jnp.round(u)
        x = (2 * jnp.pi) * u
        ph = k * (times * f0 + times2h * fdot)
        ph = ph - jnp.floor(ph)
        sh = half * u
        ang = (2 * jnp.pi) * (ph + (sh - jnp.floor(sh)))
        src = weights * jax.lax.complex(jnp.cos(ang), jnp.sin(ang))
        s = nufft1(n_modes, src, x, eps=eps, iflag=1)
        power = power + (s.real**2 + s.imag**2)
    return 2 * power / total
