"""Batch fitting: one model fitted to many power spectra, observations or segments.

- `fit_batch`: a ready-made 2-D array of spectra on one frequency grid, in one compiled call.
- `fit_observations`: event files, ``EventList`` or ``Lightcurve`` objects (of different lengths
  and GTIs) to an astropy ``Table`` of fits, one row per observation or per segment, in chunks
  of bounded memory, optionally appended to an ECSV or FITS file as they finish and resumed after an
  interruption; on a Dask cluster (``client=``) or one share per JAX process (``share=``).
- `fit_lightcurves`: time-domain fits (flare and burst profiles, Poisson or Gaussian counts)
  of many light curves of different lengths, padded and masked, with the same chunks, output
  files and engines.
- `read_results`: the table of one or several output files (the processes of a multi-host run).
"""

from ._chunks import read_results
from ._lightcurves import fit_lightcurves
from ._observations import fit_observations
from ._spectra import fit_batch

__all__ = ["fit_batch", "fit_lightcurves", "fit_observations", "read_results"]
