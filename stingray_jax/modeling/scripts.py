"""Drop-ins for ``stingray.modeling.scripts``: one-call fits of power and cross spectra."""

import numpy as np

from .parameterestimation import PSDParEst
from .posterior import GaussianLogLikelihood, GaussianPosterior, PSDLogLikelihood, PSDPosterior

__all__ = ["fit_crossspectrum", "fit_lorentzians", "fit_powerspectrum"]


def _starting_pars(model, starting_pars):
    if isinstance(starting_pars, np.ndarray | list | tuple):
        return np.asarray(starting_pars, dtype=float)
    # Stingray passes model.parameters (all of them), which breaks with fixed parameters; we
    # pass the free ones.
    return np.array(
        [
            getattr(model, n).value
            for n in model.param_names
            if not (model.fixed[n] or model.tied[n])
        ],
        dtype=float,
    )


def fit_powerspectrum(
    ps,
    model,
    starting_pars=None,
    max_post=False,
    priors=None,
    fitmethod="L-BFGS-B",
    stingray_compat=False,
    *,
    scipy_optimize_options=None,
):
    """Fit a model to a power spectrum (Stingray's ``fit_powerspectrum``).

    Parameters
    ----------
    ps : Powerspectrum or AveragedPowerspectrum
        The spectrum (``freq``, ``power``, ``m`` are used).
    model : astropy.modeling.Model
        The model (never modified).
    starting_pars : iterable, optional
        Starting values of the free parameters (default: the model's current values).
    max_post : bool, optional
        Maximum a posteriori (needs ``priors``) instead of maximum likelihood.
    priors : dict, optional
        ``{name: prior}`` (see `set_logprior`).
    fitmethod : str, optional
        Accepted for compatibility (see `ParameterEstimation`).
    stingray_compat : bool, optional
        Use Stingray's doubled likelihood for averaged spectra (``m > 1``).
    scipy_optimize_options : dict, optional
        Passed to `PSDParEst.fit`: ``{"maxiter": n}`` sets the solver's step limit (keyword
        only; an addition to Stingray's signature, which offers no such control).

    Returns
    -------
    parest : PSDParEst
    res : OptimizationResults

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Const1D, Lorentz1D
    >>> from stingray import Powerspectrum
    >>> from stingray_jax.modeling import fit_powerspectrum
    >>> rng = np.random.default_rng(3)
    >>> ps = Powerspectrum()
    >>> ps.freq = np.linspace(0.01, 10, 1000)
    >>> true = Lorentz1D(50.0, 2.0, 0.5) + Const1D(2.0)
    >>> ps.power = true(ps.freq) * rng.exponential(size=ps.freq.size)
    >>> ps.m, ps.norm = 1, "leahy"
    >>> parest, res = fit_powerspectrum(ps, Lorentz1D(40.0, 2.1, 0.6) + Const1D(1.5))
    >>> bool(np.all(np.abs(res.p_opt - true.parameters) < 4 * res.err))
    True
    """
    starting_pars = _starting_pars(model, starting_pars)
    if priors:
        lpost = PSDPosterior(
            ps.freq, ps.power, model, priors=priors, m=ps.m, stingray_compat=stingray_compat
        )
    else:
        lpost = PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m, stingray_compat=stingray_compat)
    parest = PSDParEst(ps, fitmethod=fitmethod, max_post=max_post)
    res = parest.fit(lpost, starting_pars, neg=True, scipy_optimize_options=scipy_optimize_options)
    return parest, res


def fit_crossspectrum(
    cs,
    model,
    starting_pars=None,
    max_post=False,
    priors=None,
    fitmethod="L-BFGS-B",
    *,
    scipy_optimize_options=None,
):
    """Fit a model to ``|cross power|`` with a Gaussian likelihood (``cs.power_err`` errors).

    Stingray's ``fit_crossspectrum``; returns ``(parest, res)``. ``scipy_optimize_options``
    (keyword only) is passed to `PSDParEst.fit` (``{"maxiter": n}``: the step limit).

    The errors are the real part of ``cs.power_err`` (the error of the real part, which an
    averaged cross spectrum stores as ``err_re + 1j * err_im``). Stingray passes the complex
    array on, and minimises the real part of a complex objective (see the Differences page).
    """
    starting_pars = _starting_pars(model, starting_pars)
    yerr = np.real(cs.power_err)
    if priors:
        lgauss = GaussianPosterior(cs.freq, np.abs(cs.power), yerr, model, priors)
    else:
        lgauss = GaussianLogLikelihood(cs.freq, np.abs(cs.power), model=model, yerr=yerr)
    parest = PSDParEst(cs, fitmethod=fitmethod, max_post=max_post)
    res = parest.fit(lgauss, starting_pars, neg=True, scipy_optimize_options=scipy_optimize_options)
    return parest, res


def fit_lorentzians(
    ps,
    nlor,
    starting_pars,
    fit_whitenoise=True,
    max_post=False,
    priors=None,
    fitmethod="L-BFGS-B",
    stingray_compat=False,
    *,
    scipy_optimize_options=None,
):
    """Fit ``nlor`` Lorentzians (plus a constant if ``fit_whitenoise``) to a power spectrum.

    Stingray's ``fit_lorentzians``: ``starting_pars`` holds ``(amplitude, x_0, fwhm)`` for each
    Lorentzian, then the constant. Returns ``(parest, res)``. ``scipy_optimize_options``
    (keyword only) is passed to `PSDParEst.fit` (``{"maxiter": n}``: the step limit, e.g. for
    large spectra).
    """
    from astropy.modeling import models

    if int(nlor) < 1:
        raise ValueError(f"nlor must be at least 1, got {nlor}")
    model = models.Lorentz1D()
    for _ in range(int(nlor) - 1):
        model += models.Lorentz1D()
    if fit_whitenoise:
        model += models.Const1D()
    return fit_powerspectrum(
        ps,
        model,
        starting_pars,
        max_post=max_post,
        priors=priors,
        fitmethod=fitmethod,
        stingray_compat=stingray_compat,
        scipy_optimize_options=scipy_optimize_options,
    )
