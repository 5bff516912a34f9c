"""Type aliases of the public annotations (for type checkers only).

Imported only under ``typing.TYPE_CHECKING`` (like ``jaxtyping`` itself): nothing here runs when
the package is used, so the annotations cost no import and add no runtime dependency. The shapes
are written in jaxtyping's notation (``Float[RealArrayLike, " n"]``); a static type checker reads
``Float[T, ...]`` as ``T``.
"""

from typing import TypeAlias

import jax
import numpy as np

#: A real array or number: a JAX or NumPy array, a NumPy scalar, or a Python float or int.
#: (jaxtyping's ``ArrayLike`` also admits complex and boolean values, which real-valued
#: formulas do not.)
RealArrayLike: TypeAlias = jax.Array | np.ndarray | np.floating | np.integer | float | int

#: What the functions decorated with ``_config.numpy_float64`` return: JAX arrays for JAX (or
#: traced) input, NumPy arrays for NumPy input (the scalars admit the static type of a formula
#: evaluated on Python or NumPy numbers).
ArrayOut: TypeAlias = jax.Array | np.ndarray | np.floating | float

#: The same, where the result may be complex (cross spectra, Fourier transforms).
InexactOut: TypeAlias = ArrayOut | np.complexfloating | complex
