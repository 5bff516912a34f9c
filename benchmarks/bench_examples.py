"""Speed comparisons of the extension examples (stingray_jax.examples).

- N-body forces, N = 100 and 1000: jit + nested vmap against a vectorised NumPy version and a
  pure-Python double loop (timed at N = 100, extrapolated as N^2 to N = 1000), and -grad U
  against central finite differences (timed at N = 100, extrapolated as N^3).
- HMC on the power-spectrum posterior of Stingray's sample data: time and gradient evaluations
  per effective sample with autodiff gradients, finite-difference gradients and NumPyro NUTS.
- MAP deconvolution (Tikhonov prior, 64 x 64 image): optax L-BFGS with autodiff gradients
  against scipy's L-BFGS-B with a hand-written NumPy/FFT gradient, same number of iterations.

Run with ``python benchmarks/bench_examples.py``.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax
import jax.numpy as jnp
import numpy as np
from _timing import cold_and_warm, report

import stingray_jax
from stingray_jax.examples import deconvolution as dc
from stingray_jax.examples import hmc, nbody

stingray_jax.enable_x64()


def bench_nbody():
    print("--- N-body forces (float64, softening 0.05)")
    loop100 = fd100 = None
    for n in (100, 1000):
        x, _, m = nbody.uniform_sphere(jax.random.key(1), n, softening=0.05)
        x_np, m_np = np.asarray(x), np.asarray(m)
        cold, warm = cold_and_warm(nbody.forces, x, m, 1.0, 0.05, repeat=20)
        gcold, gwarm = cold_and_warm(nbody.grad_forces, x, m, 1.0, 0.05, repeat=20)
        _, vec = cold_and_warm(nbody.numpy_forces_vectorized, x_np, m_np, 1.0, 0.05, repeat=5)
        report(f"N={n:4d} forces, jit+vmap vs NumPy vectorised", cold, warm, vec, "NumPy")
        if n == 100:
            _, loop100 = cold_and_warm(nbody.numpy_forces_loop, x_np, m_np, 1.0, 0.05, repeat=2)
            report(f"N={n:4d} forces, jit+vmap vs NumPy double loop", cold, warm, loop100, "loop")
            _, fd100 = cold_and_warm(
                nbody.finite_difference_forces, x, m, 1.0, 0.05, 1e-4, repeat=3
            )
            report(f"N={n:4d} -grad U vs finite differences", gcold, gwarm, fd100, "FD")
        else:
            report(
                f"N={n:4d} forces, jit+vmap vs NumPy double loop (extrapolated N^2)",
                cold,
                warm,
                loop100 * 100,
                "loop",
            )
            report(
                f"N={n:4d} -grad U vs finite differences (extrapolated N^3)",
                gcold,
                gwarm,
                fd100 * 1000,
                "FD",
            )
        report(f"N={n:4d} -grad U vs analytic forces", gcold, gwarm, warm, "analytic")


def bench_hmc():
    from numpyro.diagnostics import effective_sample_size
    from numpyro.infer.hmc import hmc as numpyro_hmc

    print("--- HMC on the sample-data power-spectrum posterior (3 parameters, 127 frequencies)")
    freq, power, m = hmc.sample_data_powerspectrum(32.0)
    f, p = jnp.asarray(freq), jnp.asarray(power)

    def logpost(q):
        return hmc.psd_log_posterior(q, f, p, m)

    init = jnp.array([3.0, 1.5, 2.0])
    n_samples, n_leapfrog = 4000, 8
    results = {}
    for name, grad_fn in [
        ("autodiff", None),
        ("finite differences", hmc.finite_difference_grad(logpost)),
    ]:

        def run(key, grad_fn=grad_fn):
            return hmc.sample(
                logpost, key, init, n_samples=n_samples, n_leapfrog=n_leapfrog, grad_fn=grad_fn
            )

        t0 = time.perf_counter()
        jax.block_until_ready(run(jax.random.key(0)))
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = jax.block_until_ready(run(jax.random.key(1)))
        warm = time.perf_counter() - t0
        ess = effective_sample_size(np.asarray(res.samples)[None]).min()
        results[name] = (cold, warm, ess, n_samples * n_leapfrog)
        print(
            f"HMC ({name}): cold {cold:.2f} s, warm {warm:.3f} s, min ESS {ess:.0f}, "
            f"{warm / ess * 1e6:.1f} us and {n_samples * n_leapfrog / ess:.1f} gradients "
            "per effective sample"
        )

    # NumPyro's MCMC.run recompiles its loop on every call, so we drive its NUTS kernel
    # directly: one jitted lax.scan over warm-up + sampling, compiled once and run twice.
    init_kernel, sample_kernel = numpyro_hmc(potential_fn=lambda q: -logpost(q), algo="NUTS")
    n_warmup = 500

    @jax.jit
    def nuts_chain(state):
        def body(state, _):
            state = sample_kernel(state)
            return state, (state.z, state.num_steps)

        _, (z, steps) = jax.lax.scan(body, state, None, length=n_warmup + n_samples)
        return z[n_warmup:], steps[n_warmup:]

    times = []
    for seed in (2, 3):
        state = init_kernel(init, num_warmup=n_warmup, rng_key=jax.random.key(seed))
        t0 = time.perf_counter()
        draws, steps = jax.block_until_ready(nuts_chain(state))
        times.append(time.perf_counter() - t0)
    ess = effective_sample_size(np.asarray(draws)[None]).min()
    steps = int(np.sum(steps))
    print(
        f"NumPyro NUTS kernel: cold {times[0]:.2f} s, warm {times[1]:.3f} s, min ESS {ess:.0f}, "
        f"{times[1] / ess * 1e6:.1f} us and {steps / ess:.1f} gradients per effective sample"
    )
    per_ess_nuts = times[1] / ess
    auto = results["autodiff"]
    fd = results["finite differences"]
    print(
        "time per effective sample: finite differences / autodiff = "
        f"x{(fd[1] / fd[2]) / (auto[1] / auto[2]):.1f}, NUTS / autodiff HMC = "
        f"x{per_ess_nuts / (auto[1] / auto[2]):.1f}"
    )


def bench_deconvolution():
    from scipy.optimize import minimize

    print("--- MAP deconvolution, Tikhonov prior, 64 x 64 image, 300 L-BFGS iterations")
    truth = dc.star_field((64, 64), 12, seed=0)
    psf = dc.gaussian_psf((64, 64), 2.0)
    sigma, weight = 0.02, 1.0
    data = np.asarray(dc.fft_convolve(truth, psf)) + sigma * np.random.default_rng(1).normal(
        size=truth.shape
    )
    data_j, psf_j = jnp.asarray(data), jnp.asarray(psf)
    cold, warm = cold_and_warm(
        lambda: dc.map_deconvolve(
            data_j, psf_j, sigma, prior="tikhonov", weight=weight, n_iter=300
        ),
        repeat=5,
    )
    h = np.fft.rfftn(np.fft.ifftshift(psf))

    def value_and_grad(flat):
        x = flat.reshape(data.shape)
        model = np.fft.irfftn(np.fft.rfftn(x) * h, s=x.shape, axes=(0, 1))
        r = (model - data) / sigma**2
        grad = np.fft.irfftn(np.fft.rfftn(r) * np.conj(h), s=x.shape, axes=(0, 1)) + weight * x
        value = 0.5 * np.sum((model - data) ** 2) / sigma**2 + 0.5 * weight * np.sum(x**2)
        return value, grad.ravel()

    def scipy_run():
        return minimize(
            value_and_grad,
            data.ravel(),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 300, "gtol": 0, "ftol": 0},
        ).x

    _, scipy_warm = cold_and_warm(scipy_run, repeat=3)
    report(
        "Tikhonov MAP, optax L-BFGS (autodiff) vs scipy L-BFGS-B (hand gradient)",
        cold,
        warm,
        scipy_warm,
        "scipy",
    )
    exact = np.asarray(dc.tikhonov_solution(data, psf, sigma, weight))
    ours = np.asarray(
        dc.map_deconvolve(data_j, psf_j, sigma, prior="tikhonov", weight=weight, n_iter=300)
    )
    print(
        f"max deviation from the closed form: optax {np.abs(ours - exact).max():.1e}, "
        f"scipy {np.abs(scipy_run().reshape(data.shape) - exact).max():.1e}"
    )
    cold, warm = cold_and_warm(
        lambda: dc.map_deconvolve(
            data_j, psf_j, sigma, prior="positive_smooth", weight=0.03, n_iter=500
        ),
        repeat=3,
    )
    print(f"positivity + TV MAP (500 iterations): cold {cold:.2f} s, warm {warm:.3f} s")


if __name__ == "__main__":
    print(f"jax {jax.__version__}, {jax.device_count()} x {jax.default_backend()}, float64")
    bench_nbody()
    bench_hmc()
    bench_deconvolution()
