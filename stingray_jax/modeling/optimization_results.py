"""``OptimizationResults``: what a fit returns (Stingray's attributes), and its diagnostics.

Split from `stingray_jax.modeling.parameterestimation` (which re-exports it, Stingray's
location): the covariance from the exact Hessian, the information criteria, the fit statistics,
the unconstrained-parameter check and the printed summary.
"""

import warnings

import numpy as np

from .._config import x64_scope
from ..fitting import compiled, information_criteria
from .posterior import Posterior, free_parameter_names, objective_parts

__all__ = ["OptimizationResults"]


class OptimizationResults:
    """Results of a fit, with every attribute Stingray's ``OptimizationResults`` sets.

    Parameters
    ----------
    lpost : Posterior or LogLikelihood
        The fitted object.
    res : object
        The optimiser output: needs ``x`` (best-fit free parameters) and ``fun`` (the
        minimum); ``cov`` and ``converged`` are used when present. Without ``cov`` the
        covariance is computed from the exact Hessian.
    neg : bool, optional
        Stingray's flag (the negative log-density was minimised).
    max_post : bool, optional
        Whether ``res`` minimised the log-posterior (``True``) or the log-likelihood.

    Attributes
    ----------
    neg : bool
    result : float
        The minimum of the objective (negative log-posterior or negative log-likelihood).
    p_opt : numpy.ndarray
        Best-fit free parameters (not fixed, not tied).
    model : astropy.modeling.Model
        A *new* model at the best-fit parameters (Stingray sets the parameters of the user's
        model instead; ours is left untouched).
    cov, err : numpy.ndarray
        Covariance, the inverse of the exact Hessian of the objective at ``p_opt``, and
        ``sqrt(diag(cov))``.
    mfit : numpy.ndarray
        The best-fit model at ``lpost.x``.
    deviance : float
        ``-2 log L(p_opt)``.
    aic, bic : float
        ``result + 2 k`` and ``result + k ln n`` (Stingray's definitions).
    merit, dof, sexp, ssd, sobs : float
        ``sum(((y - mfit) / mfit)**2)``, ``n - k``, ``2 n k``, ``sqrt(2 sexp)``,
        ``sum(y - mfit)``.
    converged : bool
        Whether the optimiser met its stopping criterion.
    unconstrained : tuple of str
        Free parameters that the data do not constrain at ``p_opt``: the Hessian of the
        objective there is singular or not positive definite along them, so their errors are
        not finite (a warning names them). Empty for a well-determined fit.
    n_steps : int
        Number of optimiser iterations (of the successful attempt).
    value_converged : bool
        The minimum *value* of the objective was found (`converged`, or a fit along a valley
        towards infinity whose objective has settled: see
        `stingray_jax.optimize.MinimizeResult.value_converged`); ``p_opt`` may then be
        undetermined while ``result`` and likelihood ratios are valid.
    """

    def __init__(self, lpost, res, neg=True, log=None, max_post=None, *, _parts=None):
        self.log = _summary_logger() if log is None else log
        self.neg = neg
        self.result = np.float64(res.fun)
        self.p_opt = np.atleast_1d(np.asarray(res.x, dtype=np.float64))
        if _parts is None:  # (a fit passes the (likelihood, prior) it has just refreshed)
            _parts = objective_parts(
                lpost, isinstance(lpost, Posterior) if max_post is None else max_post
            )
        ll, prior = _parts
        self._jm = ll._jm
        self.converged = bool(getattr(res, "converged", True))
        self.value_converged = bool(getattr(res, "value_converged", self.converged))
        self.n_steps = int(getattr(res, "n_steps", -1))
        self._compute_covariance(lpost, res, ll, prior)
        # (a fit that did not converge has already said so)
        self.unconstrained = (
            _unconstrained(self.cov, self.p_opt, ll, prior) if self.converged else ()
        )
        if getattr(res, "mfit", None) is not None:
            self.mfit = np.asarray(res.mfit, dtype=np.float64)
        else:
            self._compute_model(lpost)
        self._compute_criteria(lpost, loglike=getattr(res, "loglike", None))
        self._compute_statistics(lpost)

    @property
    def model(self):
        """A new astropy model at ``p_opt`` (built on first access; the user's is untouched)."""
        model = self.__dict__.get("_model")
        if model is None:
            model = self._jm.to_astropy(self.p_opt)
            self.__dict__["_model"] = model
        return model

    @model.setter
    def model(self, value):
        self.__dict__["_model"] = value

    def _compute_covariance(self, lpost, res, ll=None, prior=None):
        if res is None:  # Stingray: no optimiser output and no finite-difference Hessian
            self.cov = self.err = None
            return
        cov = getattr(res, "cov", None)
        if cov is None and getattr(res, "hess_inv", None) is not None:  # a scipy result
            hess_inv = res.hess_inv
            cov = hess_inv.todense() if hasattr(hess_inv, "todense") else hess_inv
        if cov is None:
            if ll is None:
                ll, prior = objective_parts(lpost, isinstance(lpost, Posterior))
            with x64_scope():
                hess = compiled("neg_hessian")(
                    self.p_opt, ll._jm, ll._data, spec=ll._spec, prior=prior
                )
            cov = np.linalg.inv(np.asarray(hess))
        self.cov = np.asarray(cov, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            self.err = np.sqrt(np.diag(self.cov))

    def _compute_model(self, lpost):
        ll = lpost.loglikelihood if isinstance(lpost, Posterior) else lpost
        self.mfit = ll.evaluate_model(self.p_opt)

    def _compute_criteria(self, lpost, loglike=None):
        if isinstance(lpost, Posterior):
            if loglike is None:
                loglike = lpost.loglikelihood(self.p_opt, neg=False)
            self.deviance = -2.0 * loglike
        else:
            self.deviance = 2.0 * self.result
        self.aic, self.bic = information_criteria(
            self.result, self.p_opt.shape[0], np.asarray(lpost.x).shape[0]
        )

    def _compute_statistics(self, lpost):
        if not hasattr(self, "mfit"):
            self._compute_model(lpost)
        y = np.asarray(lpost.y, dtype=np.float64)
        n = y.shape[0]
        k = float(self.p_opt.shape[0])
        self.merit = np.sum(((y - self.mfit) / self.mfit) ** 2.0)
        self.dof = n - k
        self.sexp = 2.0 * n * k
        self.ssd = np.sqrt(2.0 * self.sexp)
        self.sobs = np.sum(y - self.mfit)

    def print_summary(self, lpost, stream=None):
        """Write the best-fit parameters with errors and the fit statistics.

        Like Stingray's, the summary goes to ``self.log`` (the logger "Fitting summary", at
        INFO level) unless ``stream`` is given.

        Parameters
        ----------
        lpost : Posterior or LogLikelihood
            The fitted object (for the parameter names, fixed/tied flags and bounds).
        stream : file-like, optional
            Write there (with ``print``) instead of the logger.
        """
        if stream is None:
            log = getattr(self, "log", None) or _summary_logger()
            emit = log.info
        else:

            def emit(line):
                print(line, file=stream)

        model = lpost.model
        free = list(free_parameter_names(model))
        err = self.err if getattr(self, "err", None) is not None else None
        emit("The best-fit model parameters plus errors are:")
        for i, par in enumerate(model.param_names):
            lo, hi = model.bounds[par]
            if par in free:
                idx = free.index(par)
                e = err[idx] if err is not None else float("nan")
                flag = ""
                unconstrained = getattr(self, "unconstrained", None)
                if unconstrained is not None and par in unconstrained:
                    flag = " (unconstrained)"
                emit(
                    f"{i:3}) Parameter {par:<20}: {self.p_opt[idx]:<20.5g} +/- {e:<14.5g} "
                    f"[{lo!s:>10} {hi!s:>10}]{flag}"
                )
            elif model.fixed[par]:
                emit(f"{i:3}) Parameter {par:<20}: {getattr(model, par).value:<20.5g} (Fixed)")
            else:
                value = getattr(self.model, par).value
                emit(f"{i:3}) Parameter {par:<20}: {value:<20.5g} (Tied)")
        n = len(np.asarray(lpost.x))
        emit("\nFitting statistics:")
        emit(f" -- number of data points: {n}")
        emit(f" -- converged: {getattr(self, 'converged', True)}")
        emit(f" -- Deviance [-2 log L] D = {self.deviance:.6f}")
        emit(f" -- The Akaike Information Criterion of the model is: {self.aic}.")
        emit(f" -- The Bayesian Information Criterion of the model is: {self.bic}.")
        emit(
            f" -- The figure-of-merit function for this model is: {self.merit:.5f} and the fit "
            f"for {self.dof:.0f} dof is {self.merit / self.dof:.3f}"
        )
        emit(f" -- Summed Residuals S = {self.sobs:.5f}")
        emit(f" -- Expected S ~ {self.sexp:.5f} +/- {self.ssd:.5f}")


def _unconstrained(cov, p_opt, ll, prior):
    """Names of the free parameters along which the Hessian at the optimum is singular or not
    positive definite (empty when the covariance is finite and positive definite)."""
    if cov is None:
        return ()
    names = list(ll.free_param_names)
    variances = np.diag(cov)
    ok = np.all(np.isfinite(cov)) and np.all(variances > 0)
    if ok:
        try:
            ok = bool(np.all(np.linalg.eigvalsh(0.5 * (cov + cov.T)) > 0))
        except np.linalg.LinAlgError:
            ok = False
    if ok:
        return ()
    bad = set(np.flatnonzero(~(np.isfinite(variances) & (variances > 0))))
    try:
        with x64_scope():
            hess = np.asarray(
                compiled("neg_hessian")(p_opt, ll._jm, ll._data, spec=ll._spec, prior=prior)
            )
        hess = 0.5 * (hess + hess.T)
        if np.all(np.isfinite(hess)):
            lam, vec = np.linalg.eigh(hess)
            weak = lam <= 1e-10 * max(np.max(np.abs(lam)), np.finfo(float).tiny)
            for k in np.flatnonzero(weak):  # the parameters that make up each flat direction
                v = np.abs(vec[:, k])
                bad.update(np.flatnonzero(v >= 0.3 * v.max()))
        else:
            bad.update(range(len(names)))
    except Exception:  # a diagnosis only: it must never break a result
        bad.update(range(len(names)))
    if not bad:
        bad = set(range(len(names)))
    out = tuple(names[i] for i in sorted(bad))
    warnings.warn(
        f"the Hessian of the objective at the optimum is singular or not positive definite: "
        f"the data do not constrain {list(out)} (their errors are not finite; see "
        f"result.unconstrained). Fix or bound them, give them priors, or simplify the model.",
        RuntimeWarning,
        stacklevel=4,
    )
    return out


def _summary_logger():
    """Stingray's "Fitting summary" logger (INFO and above to stderr unless configured)."""
    import logging

    log = logging.getLogger("Fitting summary")
    log.setLevel(logging.DEBUG)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setLevel(logging.DEBUG)
        log.addHandler(handler)
    return log
