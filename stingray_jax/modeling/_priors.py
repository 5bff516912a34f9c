"""Translate Stingray-style priors into pure JAX log-densities.

A prior for one parameter may be

- a callable returning a *probability density* (Stingray's convention; its log is taken). It is
  first traced with a proxy of a JAX value that supports arithmetic, comparisons, ``&``/``|``,
  indexing and NumPy ufuncs (``np.log(x)`` becomes ``jnp.log(x)``), so Stingray's usual boxes
  and ``np.*`` lambdas run as compiled JAX code. Anything that needs the *value* (a Python
  ``if``/``and``/``or`` on it, ``math.*``, ``float(x)``, scipy inside a lambda, ``np.asarray``)
  cannot be traced: the proxy raises (it never guesses a truth value), and the prior is then
  evaluated on the host through `jax.pure_callback`, with derivatives by central differences
  on the host (`host_logdensity`), under ``jit``, ``grad`` and ``vmap``; one
  `HostPriorWarning` names the parameter;
- a frozen ``scipy.stats`` distribution, or its bound ``.pdf`` / ``.logpdf`` method (translated
  to ``jax.scipy`` where we have the distribution, else evaluated on the host);
- a NumPyro distribution (its ``log_prob``).
"""

import math
import operator
import warnings

import numpy as np

__all__ = ["HostPriorWarning", "host_logdensity", "logprior_function"]


class HostPriorWarning(UserWarning):
    """A prior could not be traced with JAX and is evaluated on the host (slower)."""


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
    return None


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


class _NeedsValue(TypeError):
    """The prior asked for the concrete value of its argument: it cannot be traced."""


class _Value:
    """A JAX value that also accepts NumPy ufuncs (``np.log(p)`` -> ``jnp.log(p)``).

    Anything that needs the concrete value (``bool``: Python ``if``/``and``/``or``/``not``;
    ``float``/``int``: ``math.*``; ``np.asarray``: scipy) raises `_NeedsValue`, so a prior
    written that way is evaluated on the host instead of being silently misread (a proxy
    without ``__bool__`` is always true, which dropped every ``if`` test of a prior).
    """

    __array_priority__ = 1000

    def __init__(self, value):
        self.value = value

    __add__, __radd__ = _op(operator.add), _op(operator.add, True)
    __sub__, __rsub__ = _op(operator.sub), _op(operator.sub, True)
    __mul__, __rmul__ = _op(operator.mul), _op(operator.mul, True)
    __truediv__, __rtruediv__ = _op(operator.truediv), _op(operator.truediv, True)
    __floordiv__, __rfloordiv__ = _op(operator.floordiv), _op(operator.floordiv, True)
    __mod__, __rmod__ = _op(operator.mod), _op(operator.mod, True)
    __pow__, __rpow__ = _op(operator.pow), _op(operator.pow, True)
    __and__, __rand__ = _op(operator.and_), _op(operator.and_, True)
    __or__, __ror__ = _op(operator.or_), _op(operator.or_, True)
    __xor__, __rxor__ = _op(operator.xor), _op(operator.xor, True)
    __lt__, __le__ = _op(operator.lt), _op(operator.le)
    __gt__, __ge__ = _op(operator.gt), _op(operator.ge)
    __eq__, __ne__ = _op(operator.eq), _op(operator.ne)
    __hash__ = None  # type: ignore[assignment]  # unhashable, like a NumPy array

    def _needs_value(self, what):
        raise _NeedsValue(f"the prior needs the concrete value ({what})")

    def __bool__(self):
        self._needs_value("a truth value: Python if/and/or/not on the parameter")

    def __float__(self):
        self._needs_value("float(): math.* functions or float() of the parameter")

    def __int__(self):
        self._needs_value("int() of the parameter")

    def __index__(self):
        self._needs_value("the parameter used as an index")

    def __complex__(self):
        self._needs_value("complex() of the parameter")

    def __array__(self, dtype=None, copy=None):
        self._needs_value("conversion to a NumPy array, e.g. inside scipy")

    def __neg__(self):
        return _Value(-self.value)

    def __pos__(self):
        return self

    def __abs__(self):
        return _Value(abs(self.value))

    def __invert__(self):
        return _Value(~self.value)

    def __getitem__(self, idx):
        return _Value(self.value[_unwrap(idx)])

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (_Value(v) for v in self.value)

    def __getattr__(self, name):  # .shape, .dtype, ...
        if name.startswith("__"):
            raise AttributeError(name)
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


def traces(fn, shape=()):
    """Whether ``fn(proxy)`` traces with JAX for an argument of ``shape`` (no value is read)."""
    import jax

    from .._config import x64_scope

    def probe(x):
        return jax.numpy.asarray(_unwrap(fn(_Value(x))))

    with x64_scope():
        try:
            out = jax.eval_shape(probe, jax.ShapeDtypeStruct(shape, np.float64))
        except Exception:  # any failure: the host path handles it
            return False
    return int(np.prod(out.shape)) == 1


# --------------------------------------------------------------------------------------------
# Host-side priors: jax.pure_callback with finite-difference derivatives
# --------------------------------------------------------------------------------------------

# Central-difference steps relative to max(1, |x|): eps^(1/3) for first derivatives (the error
# is ~ eps^(2/3) ~ 4e-11 relative), eps^(1/4) for second derivatives taken from differences of
# the first ones (~ 1e-7 relative).
_STEP1 = float(np.finfo(np.float64).eps ** (1.0 / 3.0))
_STEP2 = float(np.finfo(np.float64).eps ** 0.25)


def _safe_call(fn, p):
    """``float(fn(p))``; NaN where the user's function raises an arithmetic/domain error."""
    try:
        with np.errstate(all="ignore"):
            return float(np.asarray(fn(p), dtype=np.float64).reshape(()))
    except (ArithmeticError, ValueError):
        return math.nan


def _fd_grad(fn, p, f0, step=_STEP1):
    """Central differences of ``fn`` at ``p`` (one-sided next to the edge of the support)."""
    g = np.zeros(p.size)
    if not math.isfinite(f0):
        return g
    for i in range(p.size):
        h = step * max(1.0, abs(p[i]))
        pp, pm = p.copy(), p.copy()
        pp[i] += h
        pm[i] -= h
        fp, fm = _safe_call(fn, pp), _safe_call(fn, pm)
        if math.isfinite(fp) and math.isfinite(fm):
            g[i] = (fp - fm) / (2.0 * h)
        elif math.isfinite(fp):
            g[i] = (fp - f0) / h
        elif math.isfinite(fm):
            g[i] = (f0 - fm) / h
    return g


def _fd_hess(fn, p, f0):
    n = p.size
    hess = np.zeros((n, n))
    if not math.isfinite(f0):
        return hess
    for i in range(n):
        h = _STEP2 * max(1.0, abs(p[i]))
        pp, pm = p.copy(), p.copy()
        pp[i] += h
        pm[i] -= h
        fp, fm = _safe_call(fn, pp), _safe_call(fn, pm)
        if math.isfinite(fp) and math.isfinite(fm):
            hess[:, i] = (_fd_grad(fn, pp, fp) - _fd_grad(fn, pm, fm)) / (2.0 * h)
        elif math.isfinite(fp):
            hess[:, i] = (_fd_grad(fn, pp, fp) - _fd_grad(fn, p, f0)) / h
        elif math.isfinite(fm):
            hess[:, i] = (_fd_grad(fn, p, f0) - _fd_grad(fn, pm, fm)) / h
    return 0.5 * (hess + hess.T)


def _batched(one, n, out_shape, bits=False):
    """Host function over arrays of shape ``(..., n)`` (pure_callback's ``expand_dims``).

    With ``bits`` the float64 argument arrives, and the float64 result is returned, as pairs
    of uint32 (the bit pattern, shape ``(..., n, 2)``): JAX canonicalises a callback's
    arguments and outputs with the *callback thread's* x64 setting, which is off there even
    inside ``jax.enable_x64(True)`` (a thread-local scope), and would round float64 values to
    float32 (a prior would see 5.00000024 as 5.0, inside a support that ends at 5).
    """

    def host(p):
        p = np.asarray(p)
        if bits:
            p = np.ascontiguousarray(p).view(np.float64)[..., 0]
        dtype = p.dtype
        flat = p.reshape(-1, n).astype(np.float64)
        out = np.stack([np.asarray(one(row), dtype=np.float64) for row in flat])
        out = out.reshape(p.shape[:-1] + out_shape)
        if bits:
            return np.ascontiguousarray(out).view(np.uint32).reshape((*out.shape, 2))
        return out.astype(dtype)

    return host


def host_logdensity(fn, n, separable=False):
    """A JAX function of ``p`` (shape ``(n,)``) that evaluates ``fn(p)`` on the host.

    ``fn`` takes a NumPy float64 array of shape ``(n,)`` and returns a log-density (a float;
    ``-inf`` outside the support); with ``separable``, ``fn`` is a sequence of ``n`` functions
    of one float whose sum is the log-density (the per-parameter priors of `set_logprior`:
    their derivatives then take one coordinate each). The result works under ``jit``,
    ``vmap`` (the host loops over the batch) and ``jax.grad``/``jax.hessian`` to any order:
    the gradient and Hessian are central differences computed on the host (one-sided next to
    the edge of the support, zero outside it), attached with `jax.custom_jvp`. One host call
    per evaluation of the value, of the value and gradient together, or of the Hessian.
    """
    import jax
    import jax.numpy as jnp

    if separable:
        fns = tuple(fn)
        if len(fns) != n:
            raise ValueError(f"separable needs {n} functions, got {len(fns)}")
        parts = [lambda q, f=f: f(float(q[0])) for f in fns]

        def value_one(p):
            return sum(_safe_call(f, p[i : i + 1]) for i, f in enumerate(parts))

        def value_grad_one(p):
            out = np.zeros(n + 1)
            for i, f in enumerate(parts):
                q = p[i : i + 1]
                fi = _safe_call(f, q)
                out[0] += fi
                out[1 + i] = _fd_grad(f, q, fi)[0]
            return out

        def hess_one(p):
            diag = [
                _fd_hess(f, p[i : i + 1], _safe_call(f, p[i : i + 1]))[0, 0]
                for i, f in enumerate(parts)
            ]
            return np.diag(diag)

    else:

        def value_one(p):
            return _safe_call(fn, p)

        def value_grad_one(p):
            f0 = _safe_call(fn, p)
            return np.concatenate([[f0], _fd_grad(fn, p, f0)])

        def hess_one(p):
            return _fd_hess(fn, p, _safe_call(fn, p))

    hosts = {
        "value": (value_one, ()),
        "value_grad": (value_grad_one, (n + 1,)),
        "hess": (hess_one, (n, n)),
    }

    def callback(which, p):
        one, shape = hosts[which]
        if p.dtype == jnp.float64:
            out = jax.pure_callback(
                _batched(one, n, shape, bits=True),
                jax.ShapeDtypeStruct((*shape, 2), jnp.uint32),
                jax.lax.bitcast_convert_type(p, jnp.uint32),
                vmap_method="expand_dims",
            )
            return jax.lax.bitcast_convert_type(out, jnp.float64)
        return jax.pure_callback(
            _batched(one, n, shape),
            jax.ShapeDtypeStruct(shape, p.dtype),
            p,
            vmap_method="expand_dims",
        )

    @jax.custom_jvp
    def value(p):
        return callback("value", p)

    @jax.custom_jvp
    def hessian(p):
        return callback("hess", jax.lax.stop_gradient(p))

    @hessian.defjvp
    def _hessian_jvp(primals, tangents):
        (p,), _ = primals, tangents
        return hessian(p), jnp.zeros((n, n), p.dtype)

    @jax.custom_jvp
    def gradient_of(g, p):
        # ``g`` is the host gradient at ``p``; its derivative in ``p`` is the host Hessian
        return g

    @gradient_of.defjvp
    def _gradient_of_jvp(primals, tangents):
        (g, p), (_, t) = primals, tangents
        return g, jnp.dot(hessian(p), t)

    @jax.custom_jvp
    def value_of(v, g, p):
        # ``v`` and ``g`` are the host value and gradient at ``p`` (differentiable in ``p``)
        return v

    @value_of.defjvp
    def _value_of_jvp(primals, tangents):
        (v, g, p), (_, _, t) = primals, tangents
        return v, jnp.dot(gradient_of(g, p), t)

    @value.defjvp
    def _value_jvp(primals, tangents):
        (p,), (t,) = primals, tangents
        # the host values carry no derivative themselves: value_of / gradient_of attach them
        vg = callback("value_grad", jax.lax.stop_gradient(p))
        g = gradient_of(vg[1:], p)
        return value_of(vg[0], vg[1:], p), jnp.dot(g, t)

    return value


_WARNED: set[tuple[str, int]] = set()


def _warn_host(name, fn, reason):
    key = (name, id(fn))
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(
        f"the prior of {name!r} ({reason}) cannot be traced with JAX: it is evaluated on the "
        f"host through jax.pure_callback, with finite-difference derivatives (slower: one "
        f"Python call per evaluation). To keep it compiled, write it with NumPy ufuncs or "
        f"jax.numpy and boolean masks instead of Python if/and/or, math.* or scipy, e.g. "
        f"lambda x: ((0 < x) & (x < 10)) / 10, or pass a frozen scipy.stats distribution "
        f"such as scipy.stats.norm(1, 0.5).",
        HostPriorWarning,
        stacklevel=4,
    )


class _HostPrior:
    """The log-density of one parameter's prior, evaluated on the host.

    Calling it with a JAX scalar evaluates it through `host_logdensity`; `_LogPrior` groups
    all host-side priors of a posterior into one host call per evaluation (``.logpdf`` is the
    host function of a float).
    """

    def __init__(self, logpdf):
        self.logpdf = logpdf
        self._jfn = None

    def __call__(self, x):
        if self._jfn is None:
            self._jfn = host_logdensity((self.logpdf,), 1, separable=True)
        return self._jfn(x.reshape(1))


def _host_density(fn):
    def logpdf(v):
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(fn(v), dtype=np.float64))

    return _HostPrior(logpdf)


def _density_callable(fn, name):
    def logpdf(x):
        import jax.numpy as jnp

        out = jnp.asarray(_unwrap(fn(_Value(x))))
        out = out.reshape(())
        if out.dtype == jnp.bool_:
            out = out.astype(x.dtype)
        return jnp.log(out)

    return logpdf


def logprior_function(prior, name):
    """Return ``logpdf(x)`` (JAX, scalar) for one parameter's prior specification."""
    frozen = None
    if _is_scipy_frozen(prior):
        frozen = prior
    owner = getattr(prior, "__self__", None)
    method = getattr(prior, "__name__", None)
    if owner is not None and _is_scipy_frozen(owner) and method in ("pdf", "logpdf"):
        # Stingray's documentation suggests ``scipy.stats.<dist>(...).pdf`` as a prior.
        frozen = owner
    if frozen is not None:
        fn = _scipy_logpdf(frozen, name)
        if fn is not None:
            return fn
        _warn_host(name, frozen, f"scipy.stats.{frozen.dist.name}, not translated to JAX")
        return _HostPrior(frozen.logpdf)
    if hasattr(prior, "log_prob") and hasattr(prior, "sample"):  # NumPyro distribution
        return prior.log_prob
    if callable(prior):
        if traces(prior):
            return _density_callable(prior, name)
        _warn_host(name, prior, "Python control flow, math.* or scipy on the value")
        return _host_density(prior)
    raise TypeError(
        f"the prior of {name!r} must be a callable returning a density, a frozen scipy.stats "
        f"distribution or a NumPyro distribution, got {prior!r}"
    )
