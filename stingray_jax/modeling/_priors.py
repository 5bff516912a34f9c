"""Translate Stingray-style priors into pure JAX log-densities.

A prior for one parameter may be

- a callable returning a *probability density* (Stingray's convention; its log is taken). It is
  called with a proxy of a JAX value that supports arithmetic, comparisons, ``&``/``|`` and
  NumPy ufuncs (``np.log(x)`` becomes ``jnp.log(x)``), so Stingray's usual lambdas work
  unchanged;
- a frozen ``scipy.stats`` distribution, or its bound ``.pdf`` / ``.logpdf`` method;
- a NumPyro distribution (its ``log_prob``).
"""

import math
import operator

__all__ = ["logprior_function"]


# --------------------------------------------------------------------------------------------
# scipy.stats frozen distributions -> jnp log-pdf
# --------------------------------------------------------------------------------------------


def _lognorm(x, s, loc=0.0, scale=1.0):
    import jax.numpy as jnp

    y = (x - loc) / scale
    ys = jnp.where(y > 0, y, 1.0)
    lp = -0.5 * (jnp.log(ys) / s) ** 2 - jnp.log(s * ys * math.sqrt(2 * math.pi)) - jnp.log(scale)
    return jnp.where(y > 0, lp, -jnp.inf)


def _loguniform(x, a, b, loc=0.0, scale=1.0):
    import jax.numpy as jnp

    y = (x - loc) / scale
    inside = (y >= a) & (y <= b)
    ys = jnp.where(inside, y, 1.0)
    lp = -jnp.log(ys * math.log(b / a)) - jnp.log(scale)
    return jnp.where(inside, lp, -jnp.inf)


def _halfnorm(x, loc=0.0, scale=1.0):
    import jax.numpy as jnp

    y = (x - loc) / scale
    lp = 0.5 * math.log(2.0 / math.pi) - 0.5 * y * y - jnp.log(scale)
    return jnp.where(y >= 0, lp, -jnp.inf)


def _halfcauchy(x, loc=0.0, scale=1.0):
    import jax.numpy as jnp

    y = (x - loc) / scale
    lp = math.log(2.0 / math.pi) - jnp.log1p(y * y) - jnp.log(scale)
    return jnp.where(y >= 0, lp, -jnp.inf)


def _invgamma(x, a, loc=0.0, scale=1.0):
    import jax.numpy as jnp
    from jax.scipy.special import gammaln

    y = (x - loc) / scale
    ys = jnp.where(y > 0, y, 1.0)
    lp = -gammaln(a) - (a + 1.0) * jnp.log(ys) - 1.0 / ys - jnp.log(scale)
    return jnp.where(y > 0, lp, -jnp.inf)


_CUSTOM = {
    "lognorm": _lognorm,
    "loguniform": _loguniform,
    "reciprocal": _loguniform,
    "halfnorm": _halfnorm,
    "halfcauchy": _halfcauchy,
    "invgamma": _invgamma,
}
# Distributions whose jax.scipy.stats.<name>.logpdf has scipy's signature.
_JAX_SCIPY = (
    "norm",
    "uniform",
    "expon",
    "gamma",
    "beta",
    "truncnorm",
    "cauchy",
    "laplace",
    "t",
    "chi2",
    "logistic",
    "pareto",
)


def _is_scipy_frozen(obj):
    try:
        from scipy.stats._distn_infrastructure import rv_continuous_frozen
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, rv_continuous_frozen)


def _scipy_logpdf(frozen, name):
    dist = frozen.dist.name
    args = tuple(float(a) for a in frozen.args)
    kwds = {k: float(v) for k, v in frozen.kwds.items()}
    if dist in _CUSTOM:
        fn = _CUSTOM[dist]
        return lambda x: fn(x, *args, **kwds)
    if dist in _JAX_SCIPY:

        def logpdf(x):
            import jax.scipy.stats as jss

            return getattr(jss, dist).logpdf(x, *args, **kwds)

        return logpdf
    supported = sorted(set(_CUSTOM) | set(_JAX_SCIPY))
    raise TypeError(
        f"the prior of {name!r} is a scipy.stats.{dist} distribution, which stingray_jax cannot "
        f"translate to JAX yet; supported: {', '.join(supported)}. Pass a NumPyro distribution "
        f"or a density written with jax.numpy instead."
    )


# --------------------------------------------------------------------------------------------
# Proxy for Stingray-style density callables
# --------------------------------------------------------------------------------------------


def _unwrap(v):
    return v.value if isinstance(v, _Value) else v


def _op(fn, reflected=False):
    def method(self, other):
        a, b = self.value, _unwrap(other)
        return _Value(fn(b, a) if reflected else fn(a, b))

    return method


class _Value:
    """A JAX value that also accepts NumPy ufuncs (``np.log(p)`` -> ``jnp.log(p)``)."""

    __array_priority__ = 1000

    def __init__(self, value):
        self.value = value

    __add__, __radd__ = _op(operator.add), _op(operator.add, True)
    __sub__, __rsub__ = _op(operator.sub), _op(operator.sub, True)
    __mul__, __rmul__ = _op(operator.mul), _op(operator.mul, True)
    __truediv__, __rtruediv__ = _op(operator.truediv), _op(operator.truediv, True)
    __pow__, __rpow__ = _op(operator.pow), _op(operator.pow, True)
    __and__, __rand__ = _op(operator.and_), _op(operator.and_, True)
    __or__, __ror__ = _op(operator.or_), _op(operator.or_, True)
    __lt__, __le__ = _op(operator.lt), _op(operator.le)
    __gt__, __ge__ = _op(operator.gt), _op(operator.ge)
    __eq__, __ne__ = _op(operator.eq), _op(operator.ne)
    __hash__ = None

    def __neg__(self):
        return _Value(-self.value)

    def __pos__(self):
        return self

    def __abs__(self):
        return _Value(abs(self.value))

    def __invert__(self):
        return _Value(~self.value)

    def __getattr__(self, name):  # .shape, .dtype, ...
        return getattr(self.value, name)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        import jax.numpy as jnp

        if method != "__call__" or kwargs:
            return NotImplemented
        fn = getattr(jnp, ufunc.__name__, None)
        if fn is None:
            return NotImplemented
        return _Value(fn(*(_unwrap(i) for i in inputs)))

    def __array_function__(self, func, types, args, kwargs):
        import jax.numpy as jnp

        fn = getattr(jnp, func.__name__, None)
        if fn is None:
            return NotImplemented

        def conv(a):
            if isinstance(a, list | tuple):
                return type(a)(conv(b) for b in a)
            return _unwrap(a)

        return _Value(fn(*conv(args), **{k: conv(v) for k, v in kwargs.items()}))


def _density_callable(fn, name):
    def logpdf(x):
        import jax.numpy as jnp

        try:
            out = _unwrap(fn(_Value(x)))
            out = jnp.asarray(out)
        except Exception as exc:
            raise TypeError(
                f"the prior of {name!r} ({fn!r}) could not be evaluated with JAX "
                f"({type(exc).__name__}: {exc}). stingray_jax traces priors: write the density "
                f"with jax.numpy or NumPy ufuncs (no Python if/else on the value, no "
                f"math.* functions), or pass a frozen scipy.stats distribution (e.g. "
                f"scipy.stats.uniform(0, 10)) or a NumPyro distribution instead."
            ) from exc
        if out.size != 1:
            raise ValueError(f"the prior of {name!r} returned shape {out.shape}, not a scalar")
        out = out.reshape(())
        if out.dtype == jnp.bool_:
            out = out.astype(x.dtype)
        return jnp.log(out)

    return logpdf


def logprior_function(prior, name):
    """Return ``logpdf(x)`` (JAX, scalar) for one parameter's prior specification."""
    if _is_scipy_frozen(prior):
        return _scipy_logpdf(prior, name)
    owner = getattr(prior, "__self__", None)
    method = getattr(prior, "__name__", None)
    if owner is not None and _is_scipy_frozen(owner) and method in ("pdf", "logpdf"):
        # Stingray's documentation suggests ``scipy.stats.<dist>(...).pdf`` as a prior.
        return _scipy_logpdf(owner, name)
    if hasattr(prior, "log_prob") and hasattr(prior, "sample"):  # NumPyro distribution
        return prior.log_prob
    if callable(prior):
        return _density_callable(prior, name)
    raise TypeError(
        f"the prior of {name!r} must be a callable returning a density, a frozen scipy.stats "
        f"distribution or a NumPyro distribution, got {prior!r}"
    )
