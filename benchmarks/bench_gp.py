"""GP light-curve benchmarks: stingray_jax.gp against celerite2 (CPU reference), same process.

1. log-likelihood (+ gradient) of QPO_plus_RN at N = 1e5 vs celerite2's log-likelihood alone;
2. MAP fits of a batch of light curves (one vmapped call) vs a loop of celerite2 + scipy fits
   (the loop is timed on ``--loop`` light curves and scaled to the batch size);
3. nested-sampling evidence of QPO_plus_RN on N = 1000 (blackjax nested slice sampling).

Usage: python benchmarks/bench_gp.py [--n 100000] [--batch 1000] [--npts 1000] [--loop 20]
"""

import argparse
import statistics
import time

import celerite2
import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize
from _timing import block, cold_and_warm
from celerite2 import terms

from stingray_jax import gp
from stingray_jax.gp.inference import fit_map_batch, pad_lightcurves

P = np.array([1.3, 0.5, 0.7, 0.3, 0.9])


def celerite_kernel(p):
    return terms.RealTerm(a=p[0], c=p[1]) + terms.ComplexTerm(
        a=p[2], b=0.0, c=p[3], d=2 * np.pi * p[4]
    )


def bench_loglike(n, rng):
    t = np.sort(rng.uniform(0, n * 0.1, n))
    y = rng.normal(size=n)
    tj, yj = jnp.asarray(t), jnp.asarray(y)

    def ll(p):
        k = gp.rn_kernel(p[0], p[1]) + gp.qpo_kernel(p[2], p[3], p[4])
        return gp.log_likelihood(k, tj, yj, 1e-3)

    f = jax.jit(ll)
    g = jax.jit(jax.value_and_grad(ll))
    p = jnp.asarray(P)
    gpc = celerite2.GaussianProcess(celerite_kernel(P), t=t, diag=1e-3)

    def ref():
        gpc.compute(t, diag=1e-3)
        return gpc.log_likelihood(y)

    cold_f, warm_f = cold_and_warm(f, p, repeat=5)
    cold_g, warm_g = cold_and_warm(g, p, repeat=5)
    _, warm_c = cold_and_warm(ref, repeat=5)
    print(f"N={n}: rel diff {abs(float(f(p)) / ref() - 1):.1e}")
    for name, cold, warm in [("loglike", cold_f, warm_f), ("loglike+grad", cold_g, warm_g)]:
        print(
            f"  ours {name:12s} cold {cold:7.2f} s warm {warm * 1e3:8.1f} ms "
            f"({warm / warm_c:.1f}x celerite2's loglike)"
        )
    print(f"  celerite2 loglike              warm {warm_c * 1e3:8.1f} ms")


def simulate(n, rng):
    t = np.arange(n) * 1.0
    k = terms.RealTerm(a=2.0, c=0.1)
    g = celerite2.GaussianProcess(k, t=t, diag=0.3, mean=5.0)
    return t, g.sample(), np.full(n, 0.3**0.5)


def bench_batch(batch, npts, nloop, rng):
    lcs = [simulate(npts, rng) for _ in range(batch)]
    names = ("log_arn", "log_crn", "log_A")
    x0 = np.log([1.0, 0.3, 4.0])
    with jax.enable_x64(True):
        T, Y, D, M, _ = pad_lightcurves(*zip(*lcs))
        t0 = time.perf_counter()
        res = block(fit_map_batch(names, "RN", "constant", x0, T, Y, D, M))
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = block(fit_map_batch(names, "RN", "constant", x0, T, Y, D, M))
        warm = time.perf_counter() - t0
    conv = int(np.sum(np.asarray(res.converged)))
    loop = []
    for t, y, e in lcs[:nloop]:

        def nll(x, t=t, y=y, e=e):
            k = terms.RealTerm(a=np.exp(x[0]), c=np.exp(x[1]))
            g = celerite2.GaussianProcess(k, t=t, diag=e**2, mean=np.exp(x[2]))
            return -g.log_likelihood(y)

        t0 = time.perf_counter()
        scipy.optimize.minimize(nll, x0, method="L-BFGS-B")
        loop.append(time.perf_counter() - t0)
    per_fit = statistics.median(loop)
    print(
        f"batch MAP {batch} x {npts}: ours cold {cold:.1f} s, warm {warm:.2f} s "
        f"({conv} converged); "
        f"celerite2+scipy {per_fit * 1e3:.1f} ms/fit -> {per_fit * batch:.1f} s; "
        f"speed-up warm x{per_fit * batch / warm:.1f}, cold x{per_fit * batch / cold:.1f}"
    )


def bench_nested(rng, num_live):
    import numpyro.distributions as dist
    from stingray import Lightcurve

    from stingray_jax.modeling import gpmodeling

    n = 1000
    t = np.arange(n) * 0.05
    k = celerite_kernel([1.0, 0.5, 1.0, 0.5, 2.0])
    y = celerite2.GaussianProcess(k, t=t, diag=0.5, mean=3.0).sample()
    names = gpmodeling.get_gp_params("QPO_plus_RN", "constant")
    priors = {
        "log_arn": dist.Uniform(-3.0, 3.0),
        "log_crn": dist.Uniform(-4.0, 2.0),
        "log_aqpo": dist.Uniform(-3.0, 3.0),
        "log_cqpo": dist.Uniform(-3.0, 1.0),
        "log_freq": dist.Uniform(np.log(0.5), np.log(8.0)),
        "log_A": dist.Uniform(0.0, 2.0),
    }
    ll = gpmodeling.get_log_likelihood(names, "QPO_plus_RN", "constant", t, y, diag=0.5)
    res = gpmodeling.GPResult(Lightcurve(t, y, dt=0.05, skip_checks=True))
    t0 = time.perf_counter()
    res.sample(gpmodeling.get_prior(names, priors), ll, num_live_points=num_live, max_samples=2e4)
    dt = time.perf_counter() - t0
    r = res.results
    print(
        f"nested sampling QPO_plus_RN N={n}, {num_live} live points: {dt:.1f} s (compile "
        f"included), log Z = {r.log_Z_mean:.2f} +- {r.log_Z_uncert:.2f}, "
        f"{r.total_num_samples} samples"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--npts", type=int, default=1000)
    ap.add_argument("--loop", type=int, default=20)
    ap.add_argument("--live", type=int, default=200)
    ap.add_argument("--skip", default="", help="comma-separated: loglike,batch,nested")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    skip = set(args.skip.split(","))
    with jax.enable_x64(True):
        if "loglike" not in skip:
            bench_loglike(args.n, rng)
    if "batch" not in skip:
        bench_batch(args.batch, args.npts, args.loop, rng)
    if "nested" not in skip:
        bench_nested(rng, args.live)
