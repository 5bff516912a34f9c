"""Drop-ins for ``stingray.modeling.parameterestimation``: fits and their results.

``ParameterEstimation.fit`` / ``PSDParEst.fit`` minimise the negative log-posterior (or
log-likelihood) with `stingray_jax.optimize.minimize` (default: trust-region Newton with the
exact Hessian), inside one compiled call that is reused for every fit of the same model structure
and data shape. Bounds set on the astropy model are honoured; the covariance is the inverse of
the exact Hessian at the optimum; the user's model is never modified.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate
from .._config import x64_scope
from .._stored_programs import stored_fit_program
from .._validate import InputAssertionError
from ..fitting import compiled
from ..optimize import SOLVERS
from . import _calibration
from .optimization_results import OptimizationResults
from .posterior import LogLikelihood, Posterior, logmin, objective_parts

if TYPE_CHECKING:
    from .._typing import RealArrayLike as ArrayLike

__all__ = ["OptimizationResults", "PSDParEst", "ParameterEstimation"]

# Stingray's scipy method names: all map to our default solver (bounds are always honoured).
_SCIPY_METHODS = {
    "BFGS",
    "L-BFGS-B",
    "Nelder-Mead",
    "Powell",
    "CG",
    "Newton-CG",
    "TNC",
    "COBYLA",
    "SLSQP",
    "trust-constr",
    "dogleg",
    "trust-ncg",
    "trust-exact",
    "trust-krylov",
}


def _perturb(rng, p0, bounds, scale=100.0):
    """Stingray's restart perturbation (normal, variance |p0| / 100), kept inside the bounds."""
    out = np.array(p0, dtype=float)
    for i, (lo, hi) in enumerate(bounds):
        sd = math.sqrt(abs(p0[i]) / scale) if p0[i] != 0 else 1e-3
        for _ in range(100):
            v = p0[i] + sd * rng.standard_normal()
            if (lo is None or v > lo) and (hi is None or v < hi):
                out[i] = v
                break
    return out


# --------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------


class ParameterEstimation:
    """Maximum-likelihood / maximum-a-posteriori fits (Stingray's ``ParameterEstimation``).

    Parameters
    ----------
    fitmethod : str, optional
        Stingray's scipy method name (accepted for compatibility; every scipy name uses the
        default solver) or one of `stingray_jax.optimize.SOLVERS`.
    max_post : bool, optional
        Maximise the posterior (``True``, default) or the likelihood.
    solver : str, optional
        The `stingray_jax.optimize` solver (default ``"scoring"``: trust-region Fisher
        scoring, with the exact Hessian at the optimum; ``"newton"`` uses the exact Hessian in
        every iteration; overrides ``fitmethod``).
    n_restarts : int, optional
        If a fit does not converge, retry up to this many times from perturbed starting values
        (normal with variance ``|t0| / 100``, as Stingray, kept inside the bounds). Default 5.
    seed : int or numpy.random.Generator, optional
        Seed of the restart perturbations (default 0). The global NumPy RNG is never used.
    """

    def __init__(self, fitmethod="BFGS", max_post=True, solver=None, n_restarts=5, seed=0):
        self.fitmethod = fitmethod
        self.max_post = max_post
        if solver is None:
            solver = fitmethod if fitmethod in SOLVERS else "scoring"
            if fitmethod not in SOLVERS and fitmethod not in _SCIPY_METHODS:
                raise ValueError(
                    f"unknown fitmethod {fitmethod!r}: use a scipy method name (for "
                    f"compatibility) or one of {SOLVERS}"
                )
        elif solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
        self.solver = solver
        if isinstance(n_restarts, bool) or int(n_restarts) != n_restarts or n_restarts < 0:
            raise ValueError(f"n_restarts must be a non-negative integer, got {n_restarts!r}")
        self.n_restarts = int(n_restarts)
        self.seed = seed

    # Stingray's sampling and calibration methods (functions of stingray_jax.modeling._calibration)
    sample = _calibration.sample
    calibrate_lrt = _calibration.calibrate_lrt

    def _rng(self):
        if isinstance(self.seed, np.random.Generator):
            return self.seed
        return np.random.default_rng(self.seed)

    def fit(
        self,
        lpost: LogLikelihood | Posterior,
        t0: ArrayLike,
        neg: bool = True,
        scipy_optimize_options: dict | None = None,
    ) -> OptimizationResults:
        """Fit ``lpost`` starting from ``t0``.

        Parameters
        ----------
        lpost : Posterior or LogLikelihood
            What to maximise.
        t0 : iterable
            Starting values of the free parameters (not fixed, not tied), strictly inside the
            model's bounds.
        neg : bool, optional
            Stingray's flag; the negative log-density is always minimised.
        scipy_optimize_options : dict, optional
            Only ``maxiter`` is used (as the solver's step limit); other keys are ignored
            with a warning.

        Returns
        -------
        res : OptimizationResults

        Raises
        ------
        TypeError
            ``lpost`` is not a stingray_jax Posterior or LogLikelihood.
        ValueError
            Wrong ``t0`` length, ``t0`` outside the bounds or the prior support, no free
            parameters.
        RuntimeError
            No attempt converged.
        """
        if not isinstance(lpost, Posterior | LogLikelihood):
            raise TypeError(
                "lpost must be a subclass of Posterior or LogLikelihood (from "
                "stingray_jax.modeling)."
            )
        ll, prior = objective_parts(lpost, self.max_post)
        if ll.npar == 0:
            raise ValueError("all parameters of the model are fixed or tied: nothing to fit")
        n_data = int(np.size(ll._data["y"]))
        if ll.npar > n_data:
            raise ValueError(
                f"the model has {ll.npar} free parameters but there are only {n_data} data "
                f"points: the fit is not determined (fix parameters or use more data)"
            )
        t0 = np.atleast_1d(np.asarray(t0, dtype=np.float64))
        if t0.ndim != 1 or t0.size != lpost.npar:  # Stingray's words (its tests match them)
            raise ValueError(
                f"Parameter set t0 must be of right length for model in lpost: expected "
                f"{lpost.npar} values for {list(ll.free_param_names)}, got {t0.size}"
            )
        t0 = _validate.start(t0, ll.free_param_names)
        bounds = ll._jm.bounds
        _validate.inside_bounds(ll.free_param_names, bounds, t0)
        max_steps = None
        if scipy_optimize_options:
            opts = dict(scipy_optimize_options)
            max_steps = opts.pop("maxiter", None)
            if opts:
                warnings.warn(
                    f"scipy_optimize_options {sorted(opts)} are ignored by stingray_jax",
                    UserWarning,
                    stacklevel=2,
                )
        fit = compiled("fit_summary")
        with x64_scope():  # the program kept on disk, when the compilation cache is on
            stored = stored_fit_program(
                ll._jm, ll._data, ll._spec, prior, self.solver, max_steps, t0
            )
        rng = None
        attempt = t0
        best = None
        for _ in range(self.n_restarts + 1):
            with x64_scope():
                if stored is not None:
                    out = stored(attempt, ll._jm, ll._data)
                else:
                    out = fit(
                        attempt,
                        ll._jm,
                        ll._data,
                        spec=ll._spec,
                        prior=prior,
                        solver=self.solver,
                        max_steps=max_steps,
                    )
                out = _NumpyResult(*out)
            usable = np.isfinite(out.fun) and not np.isclose(out.fun, -logmin)
            if usable and (best is None or out.fun < best.fun):
                best = out
            if out.converged and usable:
                best = out
                break
            if rng is None:
                rng = self._rng()
            attempt = _perturb(rng, t0, bounds)
        else:
            if best is None:
                # Stingray returns scipy's answer on a flat -1e16 objective (t0, unmoved);
                # so do we, with converged=False and a warning that says why.
                warnings.warn(
                    f"the objective is not finite at t0 = {t0} nor at {self.n_restarts} "
                    f"perturbed starts (outside the prior support, a model that is not "
                    f"positive there, NaN data or zero errors): returning t0 with "
                    f"converged=False",
                    RuntimeWarning,
                    stacklevel=2,
                )
                return OptimizationResults(
                    lpost, _FailedResult(t0, -logmin, out), neg=neg, max_post=prior is not None
                )
            # Like Stingray, return the best attempt; unlike Stingray, say so.
            warnings.warn(
                f"the fit did not converge after {self.n_restarts + 1} attempt(s) from t0 = "
                f"{t0} (best: -log density {best.fun}, gradient max-norm {best.grad_norm}, "
                f"{best.n_steps} steps); returning the best attempt with converged=False. "
                f"Raise the step limit with scipy_optimize_options={{'maxiter': ...}} or "
                f"start closer to the optimum.",
                RuntimeWarning,
                stacklevel=2,
            )
        return OptimizationResults(
            lpost, best, neg=neg, max_post=prior is not None, _parts=(ll, prior)
        )

    def simulate_lrts(self, s_all, lpost1, t1, lpost2, t2, seed=None):
        """Only `PSDParEst` can simulate spectra (as in Stingray)."""
        raise NotImplementedError(
            "The behaviour of `simulate_lrts` should be defined in a subclass"
        )

    @staticmethod
    def _check_finite_start(ll, prior, t0):
        value = ll._value(t0, prior)
        if not np.isfinite(float(value)):
            raise ValueError(
                f"the objective is not finite at t0 = {t0} (outside the prior support, or the "
                f"model is not positive there)"
            )

    def compute_lrt(
        self,
        lpost1: LogLikelihood | Posterior,
        t1: ArrayLike,
        lpost2: LogLikelihood | Posterior,
        t2: ArrayLike,
        neg: bool = True,
        max_post: bool = False,
    ) -> tuple[float, OptimizationResults, OptimizationResults]:
        """Likelihood ratio test: fit both, return ``(deviance1 - deviance2, res1, res2)``."""
        self.max_post = max_post
        res1 = self.fit(lpost1, t1, neg=neg)
        res2 = self.fit(lpost2, t2, neg=neg)
        return res1.deviance - res2.deviance, res1, res2


class _FailedResult:
    """A fit that found no finite objective: ``x = t0``, NaN covariance."""

    def __init__(self, t0, fun, last):
        n = len(t0)
        self.x = np.asarray(t0, dtype=np.float64)
        self.fun = fun
        self.cov = np.full((n, n), np.nan)
        self.converged = False
        self.value_converged = False
        self.n_steps = last.n_steps
        self.grad_norm = np.nan
        self.mfit = None
        self.loglike = None


class _NumpyResult:
    """Host copy of a fit: the `MinimizeResult` fields plus ``mfit`` and ``loglike``."""

    def __init__(self, r, mfit, loglike):
        import jax

        r, mfit, loglike = jax.device_get((r, mfit, loglike))  # one transfer for all fields
        self.x = np.asarray(r.x, dtype=np.float64)
        self.fun = float(r.fun)
        self.cov = np.asarray(r.cov, dtype=np.float64)
        self.converged = bool(r.converged)
        self.value_converged = bool(r.value_converged)
        self.n_steps = int(r.n_steps)
        self.grad_norm = float(r.grad_norm)
        self.mfit = np.asarray(mfit, dtype=np.float64)
        self.loglike = float(loglike)


class PSDParEst(ParameterEstimation):
    """Fits of power spectra (Stingray's ``PSDParEst``).

    Parameters
    ----------
    ps : Powerspectrum or AveragedPowerspectrum
        The spectrum (used by `plotfits`).
    fitmethod, max_post, solver, n_restarts, seed
        As `ParameterEstimation`.

    Notes
    -----
    Besides its own methods, it has those of `ParameterEstimation`: ``sample`` (NUTS),
    ``calibrate_lrt`` and ``compute_lrt``.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Const1D, PowerLaw1D
    >>> from stingray_jax.modeling import PSDLogLikelihood, PSDParEst
    >>> rng = np.random.default_rng(1)
    >>> freq = np.linspace(0.01, 1.0, 200)
    >>> model = PowerLaw1D(1.0, 1.0, 1.5) + Const1D(2.0)
    >>> model.x_0_0.fixed = True
    >>> power = model(freq) * rng.exponential(size=freq.size)
    >>> lpost = PSDLogLikelihood(freq, power, model, m=1)
    >>> res = PSDParEst(None, fitmethod="L-BFGS-B", max_post=False).fit(lpost, [1.0, 1.5, 2.0])
    >>> res.converged, res.p_opt.shape, res.err.shape
    (True, (3,), (3,))
    """

    #: Spectra simulated and fitted per compiled call in the calibrations.
    chunk_size = _calibration.DEFAULT_CHUNK_SIZE
    #: Threads running chunks in parallel (None: one per CPU core on the CPU backend, else 1).
    n_workers = None

    # Stingray's simulation methods (functions of stingray_jax.modeling._calibration)
    simulate_lrts = _calibration.simulate_lrts
    simulate_highest_outlier = _calibration.simulate_highest_outlier
    calibrate_highest_outlier = _calibration.calibrate_highest_outlier

    def __init__(self, ps, fitmethod="BFGS", max_post=True, solver=None, n_restarts=5, seed=0):
        self.ps = ps
        ParameterEstimation.__init__(
            self,
            fitmethod=fitmethod,
            max_post=max_post,
            solver=solver,
            n_restarts=n_restarts,
            seed=seed,
        )

    def fit(self, lpost, t0, neg=True, scipy_optimize_options=None):
        """As `ParameterEstimation.fit`, plus ``maxpow``, ``maxfreq`` and ``maxind``."""
        self.lpost = lpost
        res = ParameterEstimation.fit(
            self, lpost, t0, neg=neg, scipy_optimize_options=scipy_optimize_options
        )
        res.maxpow, res.maxfreq, res.maxind = self._compute_highest_outlier(lpost, res)
        return res

    # Stingray's private helpers (its tests and some user code call them) -------------------
    def _generate_model(self, lpost, pars):
        """The model of ``lpost`` at the free parameters ``pars`` (the model is not modified)."""
        if not isinstance(lpost, LogLikelihood | Posterior):
            raise InputAssertionError(
                "lpost must be of type LogLikelihood or Posterior or one of its subclasses!"
            )
        if len(pars) != lpost.npar:
            raise InputAssertionError(f"pars must be a list of {lpost.npar} parameters")
        ll = lpost.loglikelihood if isinstance(lpost, Posterior) else lpost
        return ll.evaluate_model(pars)

    def _generate_data(self, lpost, pars, rng=None):
        """A copy of ``self.ps`` with powers ``model * chi2(2m) / (2m)`` drawn from ``rng``.

        ``rng`` is a NumPy ``RandomState`` or ``Generator`` (default: a fresh, unseeded
        ``Generator``; the global NumPy RNG is never used).
        """
        import copy

        if rng is None:
            rng = np.random.default_rng()
        model_spectrum = self._generate_model(lpost, pars)
        m = self.ps.m
        sim_ps = copy.copy(self.ps)
        sim_ps.power = (
            model_spectrum * rng.chisquare(2 * m, size=model_spectrum.shape[0]) / (2.0 * m)
        )
        return sim_ps

    @staticmethod
    def _compute_pvalue(obs_val, sim):
        """Fraction of ``sim`` strictly above ``obs_val`` (Stingray's definition)."""
        sim = np.asarray(sim)
        return float(sim[sim > obs_val].shape[0]) / float(sim.shape[0])

    @staticmethod
    def _find_outlier(xdata, ratio, max_y):
        """``(x, index)`` of the first element of ``ratio`` equal to ``max_y``."""
        max_ind = np.where(np.asarray(ratio) == max_y)[0][0]
        return np.asarray(xdata)[max_ind], max_ind

    def _compute_highest_outlier(self, lpost, res, nmax=1):
        """The ``nmax`` largest values of ``2 * y / mfit``, their frequencies and indices."""
        residuals = 2.0 * np.asarray(lpost.y, dtype=np.float64) / np.asarray(res.mfit)
        if nmax == 1:
            order = np.array([np.argmax(residuals)])
        else:
            order = np.argsort(residuals, kind="stable")[-nmax:]
        max_y = residuals[order]
        max_x = np.asarray(lpost.x, dtype=np.float64)[order].astype(float)
        return max_y, max_x, order.astype(float)

    def plotfits(self, res1, res2=None, save_plot=False, namestr="test", log=False):
        """Plot the spectrum with one or two fitted models and the data/model residuals.

        Same layout and arguments as Stingray's ``PSDParEst.plotfits``; returns the figure.
        With ``save_plot`` the figure is written to ``namestr + "_ps_fit.png"``.
        """
        import matplotlib.pyplot as plt

        freq = np.asarray(self.ps.freq, dtype=float)
        power = np.asarray(self.ps.power, dtype=float)
        tr = np.log10 if log else (lambda v: v)
        fig = plt.figure(figsize=(12, 10))
        plt.subplots_adjust(hspace=0.0, wspace=0.4)
        s1 = plt.subplot2grid((4, 1), (0, 0), rowspan=2)
        (p1,) = s1.plot(tr(freq), tr(power), color="black", drawstyle="steps-mid")
        (p2,) = s1.plot(tr(freq), tr(res1.mfit), color="blue", lw=2)
        handles, labels = [p1, p2], ["data", "model 1 fit" if res2 is not None else "model fit"]
        if res2 is not None:
            (p3,) = s1.plot(tr(freq), tr(res2.mfit), color="red", lw=2)
            handles.append(p3)
            labels.append("model 2 fit")
        if not log:
            s1.set_xscale("log")
            s1.set_yscale("log")
        norm = getattr(self.ps, "norm", None)
        label = {"leahy": "Leahy-Normalized Power", "rms": "RMS-Normalized Power"}.get(
            norm, "Power"
        )
        s1.set_ylabel(f"log({label})" if log else label, fontsize=14)
        s1.legend(handles, labels)
        s1.set_title("Periodogram and fits for data set " + namestr, fontsize=14)
        rows = [(res1, "blue", "first model")]
        if res2 is not None:
            rows.append((res2, "red", "second model"))
        ax = s1
        for k, (res, color, which) in enumerate(rows):
            ax = plt.subplot2grid((4, 1), (2 + k, 0), rowspan=1, sharex=s1)
            ratio = power / res.mfit
            ax.plot(tr(freq), ratio, color="black", drawstyle="steps-mid")
            ax.plot(tr(freq), np.ones_like(freq), color=color, lw=2)
            if not log:
                ax.set_yscale("log")
            ax.set_ylabel(f"Residuals,\n{which}", fontsize=12)
        ax.set_xlabel("log(Frequency) [Hz]" if log else "Frequency [Hz]", fontsize=14)
        plt.setp(s1.get_xticklabels(), visible=False)
        if save_plot:
            fig.savefig(namestr + "_ps_fit.png", format="png")
        return fig
