"""Stingray's own ``stingray/tests/test_crossspectrum.py``, run against stingray_jax.

Only its import lines are rewritten (see ``_load.py``); deliberate differences are
strict-xfailed in ``conftest.py``.
"""

from ._load import load_stingray_tests

load_stingray_tests("test_crossspectrum.py", globals())
