"""Batch fitting: one model fitted to many power spectra, observations or segments.

- `fit_batch`: a ready-made 2-D array of spectra on one frequency grid, in one compiled call.
- `fit_observations`: event files, ``EventList`` or ``Lightcurve`` objects (of different lengths
  and GTIs) to an astropy ``Table`` of fits, one row per observation or per segment, in chunks
  of bounded memory, optionally appended to an ECSV file as they finish and resumed after an
  interruption.
"""

from ._observations import fit_observations
from ._spectra import fit_batch

__all__ = ["fit_batch", "fit_observations"]
