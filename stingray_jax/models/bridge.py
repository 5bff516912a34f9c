"""The bridge from astropy models to pure JAX functions.

`from_astropy` walks an astropy model (a single model or a ``CompoundModel`` tree built with
``+ - * / **`` and ``|``), looks up the JAX twin of every leaf class in the registry, and returns
a `JaxModel`: a small immutable pytree whose call ``jm(params, x)`` is a pure function of the
*free* parameters and of ``x``.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import TYPE_CHECKING, overload

import jax
import jax.numpy as jnp
import numpy as np

from .._config import precision
from .registry import get_twin

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from astropy.modeling import Model
    from jaxtyping import Array, Float

    from .._typing import ArrayOut, RealArrayLike

__all__ = ["JaxModel", "from_astropy"]

_BINARY_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
_SUPPORTED_OPERATORS = (*_BINARY_OPERATORS, "|")


# --------------------------------------------------------------------------------------------
# Proxies handed to astropy's tied callables, so that ties are evaluated on JAX values.
# --------------------------------------------------------------------------------------------
def _unwrap(value):
    return value.value if isinstance(value, _ParameterProxy) else value


def _binary(op, reflected=False, wrap=True):
    """A dunder method; arithmetic results stay proxies so that NumPy ufuncs chain."""
    post = (lambda v: _ParameterProxy(None, v)) if wrap else (lambda v: v)
    if reflected:
        return lambda self, other: post(op(_unwrap(other), self.value))
    return lambda self, other: post(op(self.value, _unwrap(other)))


class _ParameterProxy:
    """Stands in for an astropy ``Parameter`` inside a tied callable.

    Arithmetic, comparisons and NumPy ufuncs (``np.sqrt(m.x_0)``, dispatched to ``jax.numpy``)
    work and return JAX values; ``.value`` is the JAX value itself.
    """

    __slots__ = ("name", "value")

    def __init__(self, name, value):
        self.name = name
        self.value = value

    __add__ = _binary(operator.add)
    __radd__ = _binary(operator.add, True)
    __sub__ = _binary(operator.sub)
    __rsub__ = _binary(operator.sub, True)
    __mul__ = _binary(operator.mul)
    __rmul__ = _binary(operator.mul, True)
    __truediv__ = _binary(operator.truediv)
    __rtruediv__ = _binary(operator.truediv, True)
    __pow__ = _binary(operator.pow)
    __rpow__ = _binary(operator.pow, True)
    __lt__ = _binary(operator.lt, wrap=False)
    __le__ = _binary(operator.le, wrap=False)
    __gt__ = _binary(operator.gt, wrap=False)
    __ge__ = _binary(operator.ge, wrap=False)

    def __neg__(self):
        return _ParameterProxy(None, -self.value)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ParameterProxy(None, jnp.abs(self.value))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        func = getattr(jnp, ufunc.__name__, None)
        if method != "__call__" or func is None or kwargs:
            return NotImplemented
        return _ParameterProxy(None, func(*(_unwrap(v) for v in inputs)))

    def __repr__(self):
        return f"<stingray_jax tied-parameter proxy {self.name}={self.value!r}>"


class _ModelProxy:
    """Stands in for the astropy model passed to ``tied[name](model)``."""

    def __init__(self, name_to_index, values, leaves=(), label="model"):
        object.__setattr__(self, "_names", name_to_index)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_leaves", leaves)
        object.__setattr__(self, "_label", label)

    def __getattr__(self, name):
        names = object.__getattribute__(self, "_names")
        if name in names:
            values = object.__getattribute__(self, "_values")
            return _ParameterProxy(name, values[names[name]])
        if name == "param_names":
            return tuple(names)
        if name == "parameters":
            values = object.__getattribute__(self, "_values")
            return jnp.stack([jnp.asarray(values[i]) for i in names.values()])
        raise AttributeError(
            f"a tied callable asked for {name!r}, which stingray_jax cannot provide inside JAX: "
            f"tied callables may read parameters by name (m.amplitude_0 or m[0].amplitude), "
            f"their .value, and m.parameters"
        )

    def __getitem__(self, key):
        leaves = object.__getattribute__(self, "_leaves")
        if isinstance(key, str):
            matches = [leaf for leaf in leaves if leaf[0] == key]
            if len(matches) != 1:
                raise KeyError(f"no unique submodel named {key!r} in the tied-callable proxy")
            _, names = matches[0]
        else:
            _, names = leaves[key]
        values = object.__getattribute__(self, "_values")
        return _ModelProxy(names, values, label=str(key))

    def __setattr__(self, name, value):
        raise AttributeError("tied callables must not modify the model")


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Static:
    """Hashable, static part of a `JaxModel` (the structure; part of the jit cache key)."""

    spec: tuple
    param_names: tuple
    free_index: tuple
    const_index: tuple
    ties: tuple  # ((index, name, callable), ...) in param_names order
    bounds: tuple  # of the free parameters
    clip_to_bounds: bool
    proxy_names: tuple  # ((name, index), ...) for the tied-callable proxy
    proxy_leaves: tuple  # ((leaf name, ((local name, index), ...)), ...)
    # The astropy template is only used on the host (to_astropy); it does not define equality.
    template: Model = dataclasses.field(compare=False, hash=False, repr=False)


def _evaluate_spec(node, values, x):
    kind = node[0]
    if kind == "leaf":
        _, function, index, static_kwargs = node
        return function(x, *(values[i] for i in index), **dict(static_kwargs))
    _, op, left, right = node
    left_value = _evaluate_spec(left, values, x)
    if op == "|":
        return _evaluate_spec(right, values, left_value)
    return _BINARY_OPERATORS[op](left_value, _evaluate_spec(right, values, x))


@jax.tree_util.register_pytree_node_class
class JaxModel:
    """A pure JAX function of an astropy model's free parameters, built by `from_astropy`.

    ``jm(params, x)`` evaluates the model, where ``params`` is the 1-D array of free parameters
    in the order of `free_param_names` (astropy's ``model.param_names`` without the fixed and
    tied ones, which is Stingray's order). Fixed parameters are constants; tied parameters are
    computed from the free ones inside JAX, so gradients flow through the ties. As in astropy 8's
    ``fitter_to_model_params`` (which Stingray uses), every tied callable sees the parameter
    values from *before* the ties are applied, so a tie that reads another tied parameter gets
    that parameter's stored value, not its freshly tied one.

    Tied callables receive a proxy of the model: ``m.amplitude_0``, ``m[0].amplitude`` and their
    ``.value`` are JAX values; arithmetic and NumPy ufuncs (``np.sqrt(m.fwhm_0)``) on them are
    evaluated with ``jax.numpy``; other operations should use ``jax.numpy`` on ``.value``.

    A `JaxModel` is an immutable pytree. Its leaves are the values of the parameters that are
    not free (``const_values``) and the starting values `p0`; everything else (the model tree,
    the twin functions, the tie callables, names and bounds) is static. ``jax.jit`` of
    ``lambda m, p, x: m(p, x)`` therefore compiles once per model structure and input shapes.

    Attributes
    ----------
    param_names : tuple of str
        All parameter names, as astropy's ``model.param_names``.
    free_param_names : tuple of str
        The free parameters, in the order ``params`` uses.
    p0 : numpy.ndarray
        The model's free parameter values when `from_astropy` was called.
    bounds : tuple of (low, high)
        Bounds of the free parameters, ``None`` where open (as astropy).
    n_free : int
        Number of free parameters.
    clip_to_bounds : bool
        Whether free parameters are clipped to their bounds before evaluation, as astropy's
        ``fitter_to_model_params`` (and hence Stingray) does.
    """

    __slots__ = ("__weakref__", "_static", "const_values", "p0")
    _static: _Static
    const_values: Float[RealArrayLike, " n_const"]  # pytree leaves: traced under jit/vmap
    p0: Float[RealArrayLike, " k"]

    def __init__(self, static, const_values, p0):
        object.__setattr__(self, "_static", static)
        object.__setattr__(self, "const_values", const_values)
        object.__setattr__(self, "p0", p0)

    def __setattr__(self, name, value):
        raise dataclasses.FrozenInstanceError(f"JaxModel is immutable (cannot set {name!r})")

    def __reduce__(self):  # picklable (to send it to other processes, e.g. Dask workers)
        return (type(self), (self._static, self.const_values, self.p0))

    # pytree protocol ------------------------------------------------------------------------
    def tree_flatten(self):
        return (self.const_values, self.p0), self._static

    @classmethod
    def tree_unflatten(cls, static, children):
        return cls(static, *children)

    # metadata -------------------------------------------------------------------------------
    @property
    def param_names(self) -> tuple[str, ...]:
        return self._static.param_names

    @property
    def free_param_names(self) -> tuple[str, ...]:
        return tuple(self._static.param_names[i] for i in self._static.free_index)

    @property
    def fixed_param_names(self) -> tuple[str, ...]:
        """Names of the fixed parameters (not tied)."""
        tied = {t[0] for t in self._static.ties}
        return tuple(self._static.param_names[i] for i in self._static.const_index if i not in tied)

    @property
    def tied_param_names(self) -> tuple[str, ...]:
        """Names of the tied parameters."""
        return tuple(t[1] for t in self._static.ties)

    @property
    def bounds(self) -> tuple[tuple[float | None, float | None], ...]:
        return self._static.bounds

    @property
    def n_free(self) -> int:
        return len(self._static.free_index)

    @property
    def clip_to_bounds(self) -> bool:
        return self._static.clip_to_bounds

    def __repr__(self):
        names = ", ".join(self.free_param_names)
        return f"JaxModel(free=({names}), n_params={len(self.param_names)})"

    # evaluation -----------------------------------------------------------------------------
    def _check_params(self, params: Float[RealArrayLike, " k"]) -> Float[Array, " k"]:
        params = jnp.asarray(params)
        if params.ndim != 1 or params.shape[0] != self.n_free:
            raise ValueError(
                f"params must be a 1-D array of the {self.n_free} free parameters "
                f"{self.free_param_names}, got shape {params.shape}"
            )
        if not jnp.issubdtype(params.dtype, jnp.floating):
            params = params.astype(jnp.result_type(params.dtype, 1.0))
        return params

    def _values(self, params):
        """List of all parameter values (free, constant, then ties in order)."""
        static = self._static
        values = [None] * len(static.param_names)
        for k, i in enumerate(static.free_index):
            value = params[k]
            if static.clip_to_bounds:
                low, high = static.bounds[k]
                if low is not None:
                    value = jnp.fmax(value, low)
                if high is not None:
                    value = jnp.fmin(value, high)
            values[i] = value
        if static.const_index:
            consts = jnp.asarray(self.const_values, dtype=params.dtype)
            for k, i in enumerate(static.const_index):
                values[i] = consts[k]
        if static.ties:
            names = dict(static.proxy_names)
            leaves = tuple((name, dict(local)) for name, local in static.proxy_leaves)
            # As astropy 8's fitter_to_model_params: every tie sees the values *before* any tie
            # is applied (free values, and the stored values of the tied parameters).
            proxy = _ModelProxy(names, list(values), leaves)
            for index, name, tie in static.ties:
                try:
                    result = _unwrap(tie(proxy))
                    result = jnp.asarray(result, dtype=params.dtype)
                except Exception as exc:
                    raise TypeError(
                        f"the tied constraint of {name!r} could not be evaluated on JAX values "
                        f"({type(exc).__name__}: {exc}). stingray_jax calls tied callables with "
                        f"a proxy model whose parameters support arithmetic, NumPy ufuncs and "
                        f".value (a JAX array; use jax.numpy on it)."
                    ) from exc
                if result.size != 1:
                    raise ValueError(
                        f"the tied constraint of {name!r} returned shape {result.shape}, "
                        f"expected a scalar"
                    )
                values[index] = result.reshape(())
        return values

    def full_parameters(self, params: Float[RealArrayLike, " k"]) -> Float[Array, " p"]:
        """All parameter values (``param_names`` order) for the free ``params``, ties applied.

        Examples
        --------
        >>> from astropy.modeling.models import Const1D, Lorentz1D
        >>> from stingray_jax.models import from_astropy
        >>> model = Lorentz1D(2.0, 1.0, 0.5) + Const1D(1.0)
        >>> model.fwhm_0.fixed = True
        >>> jm = from_astropy(model)
        >>> print(jm.full_parameters([3.0, 2.0, 4.0]).tolist())
        [3.0, 2.0, 0.5, 4.0]
        """
        params = self._check_params(params)
        return jnp.stack([jnp.asarray(v, dtype=params.dtype) for v in self._values(params)])

    # the precision policy, for type checkers: JAX in, JAX out; only NumPy in, NumPy out
    @overload
    def __call__(
        self, params: Float[Array, " k"], x: Float[RealArrayLike, " *shape"]
    ) -> Float[Array, " *shape"]: ...
    @overload
    def __call__(
        self, params: Float[RealArrayLike, " k"], x: Float[Array, " *shape"]
    ) -> Float[Array, " *shape"]: ...
    @overload
    def __call__(
        self, params: Float[RealArrayLike, " k"], x: Float[RealArrayLike, " *shape"]
    ) -> Float[ArrayOut, " *shape"]: ...
    def __call__(
        self, params: Float[RealArrayLike, " k"], x: Float[RealArrayLike, " *shape"]
    ) -> Float[ArrayOut, " *shape"]:
        """Evaluate the model at ``x`` for the free parameters ``params``.

        Parameters
        ----------
        params : array_like, shape (n_free,)
            Free parameters in the order of `free_param_names`.
        x : array_like
            Where to evaluate (frequencies, times, ...).

        Returns
        -------
        y : jax.Array or numpy.ndarray
            The model values, with the shape of ``x``: computed in float64 and returned as a
            NumPy array when ``params`` and ``x`` are NumPy arrays or numbers (whatever JAX's
            global ``jax_enable_x64`` flag), in the dtype of the JAX arrays given otherwise.
        """
        with precision(params, x) as prec:
            params = self._check_params(params if prec.dtype is None else prec.asarray(params))
            x = jnp.asarray(x) if prec.dtype is None else prec.asarray(x)
            return prec.output(_evaluate_spec(self._static.spec, self._values(params), x))

    def to_astropy(self, params: Float[RealArrayLike, " k"]) -> Model:
        """Return a new astropy model with the free parameters set to ``params``.

        The model given to `from_astropy` is never modified: this works on a copy. Tied
        parameters are recomputed by astropy and, if `clip_to_bounds` is true, free parameters
        are clipped to their bounds as in astropy's ``fitter_to_model_params``, so the new
        model evaluates to ``self(params, x)``.

        Parameters
        ----------
        params : array_like, shape (n_free,)

        Returns
        -------
        model : astropy.modeling.Model

        Examples
        --------
        >>> from astropy.modeling.models import Lorentz1D
        >>> from stingray_jax.models import from_astropy
        >>> model = Lorentz1D(amplitude=1.0, x_0=2.0, fwhm=0.5)
        >>> new = from_astropy(model).to_astropy([3.0, 2.5, 0.1])
        >>> print(new.amplitude.value, model.amplitude.value)
        3.0 1.0
        """
        from astropy.modeling.fitting import fitter_to_model_params

        values = np.asarray(params, dtype=np.float64)
        if values.shape != (self.n_free,):
            raise ValueError(
                f"params must be a 1-D array of the {self.n_free} free parameters "
                f"{self.free_param_names}, got shape {values.shape}"
            )
        new = self._static.template.copy()
        fitter_to_model_params(new, values, use_min_max_bounds=self.clip_to_bounds)
        return new


# --------------------------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------------------------
def _walk(model, leaves):
    """Return the spec of ``model``; append (leaf model, twin) to ``leaves`` in astropy order."""
    from astropy.modeling import CompoundModel

    if isinstance(model, CompoundModel):
        if model.op not in _SUPPORTED_OPERATORS:
            raise TypeError(
                f"from_astropy supports the compound operators {_SUPPORTED_OPERATORS}, "
                f"not {model.op!r}"
            )
        left = _walk(model.left, leaves)
        right = _walk(model.right, leaves)
        return ("op", model.op, left, right)
    if model.n_inputs != 1 or model.n_outputs != 1:
        raise TypeError(
            f"from_astropy supports models with one input and one output; "
            f"{type(model).__name__} has {model.n_inputs} inputs and {model.n_outputs} outputs"
        )
    twin = get_twin(type(model))
    static_kwargs = ()
    if twin.static is not None:
        static_kwargs = tuple(sorted(twin.static(model).items()))
        try:
            hash(static_kwargs)
        except TypeError as exc:
            raise TypeError(
                f"the static settings of {type(model).__name__} must be hashable: {exc}"
            ) from exc
    leaves.append((model, twin, static_kwargs))
    return ("leaf", len(leaves) - 1)


def _resolve(node, index_of_leaf):
    if node[0] == "leaf":
        return index_of_leaf[node[1]]
    _, op, left, right = node
    return ("op", op, _resolve(left, index_of_leaf), _resolve(right, index_of_leaf))


def from_astropy(model: Model, *, clip_to_bounds: bool = False) -> JaxModel:
    """Turn an astropy model into a pure, differentiable `JaxModel`.

    Parameters
    ----------
    model : astropy.modeling.Model
        A model of one input and one output whose leaf classes have registered JAX twins
        (every built-in twin, see `register` for others), possibly combined with the compound
        operators ``+ - * / **`` and ``|``. Parameters must be scalars without units, and
        ``n_models`` must be 1.
    clip_to_bounds : bool, optional
        If true, free parameters are clipped to their bounds before evaluation, exactly as
        astropy's ``fitter_to_model_params`` (used by Stingray's likelihoods) does. The default
        (false) evaluates the parameters as given, which keeps gradients informative; use
        bound transforms in the optimiser instead.

    Returns
    -------
    jm : JaxModel
        ``jm(params, x)`` with ``params`` the free parameters in ``jm.free_param_names`` order.
        The user's model is copied, never modified.

    Raises
    ------
    TypeError
        If ``model`` is not an astropy model, uses an unsupported operator, or contains a class
        without a registered twin (the message shows how to register one).
    ValueError
        If a parameter is not a scalar, has units, or the model is a model set.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D
    >>> from stingray_jax.models import from_astropy
    >>> model = PowerLaw1D(1.0, 1.0, 2.0) + Lorentz1D(3.0, 0.5, 0.1) + Const1D(2.0)
    >>> model.x_0_0.fixed = True
    >>> jm = from_astropy(model)
    >>> jm.free_param_names
    ('amplitude_0', 'alpha_0', 'amplitude_1', 'x_0_1', 'fwhm_1', 'amplitude_2')
    >>> freq = np.array([0.1, 0.5, 1.0])
    >>> print(np.allclose(jm(jm.p0, freq), model(freq)))
    True
    """
    from astropy.modeling import Model

    if not isinstance(model, Model):
        raise TypeError(f"from_astropy expects an astropy model instance, got {model!r}")
    if len(model) != 1:
        raise ValueError(
            f"from_astropy supports single models, not model sets (n_models={len(model)})"
        )
    template = model.copy()
    leaves: list = []
    raw_spec = _walk(template, leaves)

    param_names = tuple(template.param_names)
    name_to_index = {name: i for i, name in enumerate(param_names)}
    compound = len(leaves) > 1 or raw_spec[0] != "leaf"
    leaf_specs = []
    proxy_leaves = []
    for k, (leaf, twin, static_kwargs) in enumerate(leaves):
        global_names = [f"{p}_{k}" if compound else p for p in leaf.param_names]
        missing = [n for n in global_names if n not in name_to_index]
        if missing:  # pragma: no cover - would mean astropy changed its naming scheme
            raise RuntimeError(f"cannot map parameters {missing} of {type(leaf).__name__}")
        index = tuple(name_to_index[n] for n in global_names)
        leaf_specs.append(("leaf", twin.function, index, static_kwargs))
        local = tuple((p, name_to_index[g]) for p, g in zip(leaf.param_names, global_names))
        proxy_leaves.append((leaf.name, local))
    spec = _resolve(raw_spec, leaf_specs)

    values = []
    for name in param_names:
        parameter = getattr(template, name)
        if parameter.unit is not None:
            raise ValueError(f"parameter {name!r} has units ({parameter.unit}); use plain values")
        value = np.asarray(parameter.value, dtype=np.float64)
        if value.size != 1:
            raise ValueError(f"parameter {name!r} must be a scalar, got shape {value.shape}")
        values.append(float(value.reshape(())))

    fixed = template.fixed
    tied = template.tied
    free_index = tuple(i for i, n in enumerate(param_names) if not fixed[n] and not tied[n])
    const_index = tuple(i for i in range(len(param_names)) if i not in free_index)
    ties = tuple((i, n, tied[n]) for i, n in enumerate(param_names) if tied[n])
    for _, name, tie in ties:
        if not callable(tie):
            raise TypeError(f"tied[{name!r}] must be a callable of the model, got {tie!r}")
    all_bounds = template.bounds
    bounds = tuple(
        tuple(None if b is None else float(b) for b in all_bounds[param_names[i]])
        for i in free_index
    )
    static = _Static(
        spec=spec,
        param_names=param_names,
        free_index=free_index,
        const_index=const_index,
        ties=ties,
        bounds=bounds,
        clip_to_bounds=bool(clip_to_bounds),
        proxy_names=tuple(name_to_index.items()),
        proxy_leaves=tuple(proxy_leaves),
        template=template,
    )
    const_values = np.array([values[i] for i in const_index], dtype=np.float64)
    p0 = np.array([values[i] for i in free_index], dtype=np.float64)
    return JaxModel(static, const_values, p0)
