"""Accuracy of the float32 batched GP fits, in units of the fit errors (float64 reference).

1. MAP (maximum-likelihood) fits of RN + constant (``fit_map_batch``) of ``--batch`` light
   curves of ``--npts`` points, in float64 and in float32 (``pad_lightcurves(...,
   dtype="float32")``): ``|x32 - x64| / sigma64`` per parameter, ``sigma64`` the float64
   Hessian error;
2. ``detect_qpo_batch(..., dtype="float32")`` against float64 on the light curves of the QPO
   detection test (200 points, with and without a 1 Hz QPO): the difference of the ln Bayes
   factors and of the decisions at ln BF > 3.

Usage: python benchmarks/bench_gp_float32.py [--batch 200] [--npts 1000] [--nqpo 40]
"""

import argparse
import time

import jax
import numpy as np
from stingray import Lightcurve

from stingray_jax import gp
from stingray_jax.gp.inference import fit_map_batch, pad_lightcurves
from stingray_jax.modeling.gpmodeling import detect_qpo_batch


def simulate(n, dt, kernel, white, rng):
    t = np.arange(n) * dt
    with jax.enable_x64(True):
        K = np.asarray(kernel(t, t)) + white * np.eye(n)
    return t, np.linalg.cholesky(K) @ rng.normal(size=n)


def bench_map(batch, npts, rng):
    kernel = gp.rn_kernel(2.0, 0.1)
    lcs = []
    for _ in range(batch):
        t, y = simulate(npts, 1.0, kernel, 0.3, rng)
        lcs.append((t, 5.0 + y, np.full(npts, 0.3**0.5)))
    names = ("log_arn", "log_crn", "log_A")
    x0 = np.log([1.0, 0.3, 4.0])
    out = {}
    for dtype, x64 in (("float64", True), ("float32", False)):
        T, Y, D, M, _ = pad_lightcurves(*zip(*lcs), dtype=dtype)
        with jax.enable_x64(x64):
            t0 = time.perf_counter()
            res = fit_map_batch(names, "RN", "constant", x0, T, Y, D, M)
            x = np.asarray(res.x, np.float64)
            out[dtype] = (res, x, time.perf_counter() - t0)
    res64, x64_, _ = out["float64"]
    res32, x32, _ = out["float32"]
    sigma = np.sqrt(np.diagonal(np.asarray(res64.cov), axis1=1, axis2=2))
    z = np.abs(x32 - x64_) / sigma
    ok = np.asarray(res32.converged) & np.asarray(res64.converged)
    print(
        f"MAP RN+constant, {batch} x {npts} points: converged float64 "
        f"{int(np.sum(res64.converged))}, float32 {int(np.sum(res32.converged))}"
    )
    for j, n in enumerate(names):
        zj = z[ok, j]
        print(
            f"  {n:8s} |x32 - x64| / sigma: median {np.median(zj):.2e}, 99% "
            f"{np.quantile(zj, 0.99):.2e}, max {np.max(zj):.2e}"
        )
    print(f"  times (cold, incl. compile): float64 {out['float64'][2]:.1f} s, "
          f"float32 {out['float32'][2]:.1f} s")  # fmt: skip


def bench_detect(nqpo, rng):
    lcs = []
    for aqpo in (0.0, 0.4):
        kernel = gp.rn_kernel(1.0, 0.5)
        if aqpo:
            kernel = kernel + gp.qpo_kernel(aqpo, 0.2, 1.0)
        for _ in range(nqpo):
            t, y = simulate(200, 0.1, kernel, 0.5, rng)
            lcs.append(Lightcurve(t, 10 + y, err=np.full(200, 0.5**0.5), dt=0.1, skip_checks=True))
    b64 = np.asarray(detect_qpo_batch(lcs)["ln_bayes_factor"])
    tab32 = detect_qpo_batch(lcs, dtype="float32")
    b32 = np.asarray(tab32["ln_bayes_factor"], np.float64)
    ok = np.isfinite(b32)
    d = np.abs(b32 - b64)[ok]
    agree = np.mean((b32[ok] > 3) == (b64[ok] > 3))
    print(
        f"detect_qpo_batch, {2 * nqpo} light curves x 200 points: float32 fits converged "
        f"{int(np.sum(ok))}; |lnBF32 - lnBF64|: median {np.median(d):.2e}, max {np.max(d):.2e}; "
        f"decisions at lnBF > 3 agree for {agree:.1%}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--npts", type=int, default=1000)
    ap.add_argument("--nqpo", type=int, default=40)
    args = ap.parse_args()
    rng = np.random.default_rng(12)
    bench_map(args.batch, args.npts, rng)
    bench_detect(args.nqpo, rng)


if __name__ == "__main__":
    main()
