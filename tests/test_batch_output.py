"""The batch output file (``stingray_jax.batch._output``): ECSV and FITS tables grown by chunks.

References: the table written in one piece (appends of chunks give the same rows), the ECSV
file (a FITS file reads back with the same names, dtypes and values), and the in-memory and
uninterrupted runs of `fit_observations` (an output file, resumed or not, changes no row).
"""

import os

import numpy as np
import pytest
from astropy.io import fits
from astropy.modeling.models import Const1D, Lorentz1D
from astropy.table import Table

import stingray_jax.batch._observations as obsmod
from stingray_jax.batch import fit_observations
from stingray_jax.batch._output import append_chunk, open_output, read_output

stingray = pytest.importorskip("stingray")
from stingray import EventList  # noqa: E402

SETTINGS = {
    "segment_size": 16.0,
    "dt": None,
    "norm": "leahy",
    "per_segment": False,
    "bounds": [[0.0, None], [None, None]],
    "p0": [1.0, 0.5, 2.0],
    "solver": "scoring",
    "items_sha1": "0123abcd" * 5,
    "long": "x" * 300 + " 'quoted' \"and\" μ",  # longer than a FITS card, quotes, non-ASCII
}
FORMATS = ["r.ecsv", "r.fits"]


def _table(n=5, k=2, start=0):
    """A table with the column kinds of a batch table: str (some empty), int, bool, float, 3-D."""
    i = np.arange(start, start + n)
    t = Table()
    t["item"] = i.astype(np.int64)
    t["obs_id"] = np.array([f"obs μ{j}" if j % 2 else f"o{j}.evt" for j in i], dtype=object)
    t["obs_id"] = t["obs_id"].astype(str)
    t["segment"] = np.full(n, -1, dtype=np.int64)
    t["time"] = 1e8 + 0.1 * i
    t["x_0"] = np.where(i % 3 == 2, np.nan, 3.0 + i / 7)
    t["converged"] = i % 3 != 2
    t["n_steps"] = (i * 3).astype(np.int32)
    t["cov"] = (np.arange(n * k * k, dtype=float).reshape(n, k, k) + start) / 3
    t["problem"] = np.array(["" if j % 3 != 2 else "the fit did not converge" for j in i])
    t["empty"] = np.full(n, "")
    t.meta["free_param_names"] = ["x_0", "fwhm_0"]
    return t


def _assert_same(a, b):
    assert a.colnames == b.colnames
    for name in a.colnames:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert x.dtype == y.dtype, name
        assert x.dtype.isnative, name
        assert x.shape == y.shape, name
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y)  # NaN equal to NaN, bits as written
        else:
            assert x.tolist() == y.tolist(), name
        if x.dtype.kind == "U":
            assert all(type(v) is str for v in a[name].tolist()), name
    assert type(a["converged"][0]) is np.bool_


@pytest.mark.parametrize("name", FORMATS)
def test_round_trip_and_chunks_equal_one_table(tmp_path, name):
    whole = _table(9)
    path = str(tmp_path / name)
    assert open_output(path, SETTINGS, resume=False, overwrite=False) is None
    for start in (0, 3, 6):
        append_chunk(path, whole[start : start + 3], SETTINGS)
    table = read_output(path)
    _assert_same(table, whole)
    assert table.meta["stingray_jax_batch"] == SETTINGS
    assert table.meta["free_param_names"] == ["x_0", "fwhm_0"]
    resumed = open_output(path, dict(SETTINGS), resume=True, overwrite=False)
    _assert_same(resumed, whole)
    assert table["empty"].tolist() == [""] * 9
    assert table["problem"][2] == "the fit did not converge"
    assert table["problem"][0] == ""


def test_fits_equals_ecsv_and_its_layout(tmp_path):
    tables = {}
    for name in FORMATS:
        path = str(tmp_path / name)
        append_chunk(path, _table(4, k=1), SETTINGS)
        append_chunk(path, _table(3, k=1, start=4), SETTINGS)
        tables[name] = read_output(path)
    _assert_same(tables["r.fits"], tables["r.ecsv"])
    assert tables["r.fits"].meta == tables["r.ecsv"].meta
    assert tables["r.fits"]["cov"].shape == (7, 1, 1)
    with fits.open(tmp_path / "r.fits") as hdus:  # documented layout, readable by any FITS tool
        assert [h.name for h in hdus] == ["PRIMARY", "BATCH"]
        assert hdus["BATCH"].header["TDIM8"] == "(1,1)"
        meta = Table.read(hdus["BATCH"]).meta["BATCHMET"]
    assert '"stingray_jax_batch"' in meta
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]  # no temporary left


@pytest.mark.parametrize("name", FORMATS)
def test_existing_file_needs_resume_or_overwrite(tmp_path, name):
    path = str(tmp_path / name)
    append_chunk(path, _table(2), SETTINGS)
    with pytest.raises(FileExistsError, match="resume=True"):
        open_output(path, SETTINGS, resume=False, overwrite=False)
    other = {**SETTINGS, "norm": "frac", "bounds": [[0.0, 1.0], [None, None]]}
    with pytest.raises(ValueError, match=r"other settings \(bounds: .*norm: 'leahy' -> 'frac'"):
        open_output(path, other, resume=True, overwrite=False)
    tupled = {**SETTINGS, "p0": (1.0, 0.5, 2.0)}  # a tuple is the same setting in FITS (JSON)
    if name.endswith(".fits"):
        assert len(open_output(path, tupled, resume=True, overwrite=False)) == 2
    assert open_output(path, other, resume=False, overwrite=True) is None
    assert not os.path.exists(path)


def test_not_a_batch_table_and_bad_names(tmp_path):
    path = tmp_path / "events.fits"
    events = fits.BinTableHDU(Table({"TIME": [1.0]}), name="EVENTS")
    fits.HDUList([fits.PrimaryHDU(), events]).writeto(path)
    with pytest.raises(ValueError, match="not written by a batch fit"):
        open_output(str(path), SETTINGS, resume=True, overwrite=False)
    plain = tmp_path / "plain.fits"
    Table({"a": [1]}).write(plain, format="fits")
    with pytest.raises(ValueError, match="not written by a batch fit"):
        open_output(str(plain), SETTINGS, resume=True, overwrite=False)
    for bad in ("r.csv", "r.fits.gz", "r.hdf5", "r"):
        with pytest.raises(ValueError, match=r"'\.ecsv'.*'\.fits' or '\.fit'") as info:
            open_output(str(tmp_path / bad), SETTINGS, resume=False, overwrite=False)
        assert bad in str(info.value)
    assert open_output(str(tmp_path / "R.FIT"), SETTINGS, resume=False, overwrite=False) is None


def test_an_interrupted_fits_rewrite_leaves_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "r.fits")
    append_chunk(path, _table(2), SETTINGS)

    def killed(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        append_chunk(path, _table(2, start=2), SETTINGS)
    monkeypatch.undo()
    _assert_same(read_output(path), _table(2))
    assert os.listdir(tmp_path) == ["r.fits"]


# --- fit_observations end to end ----------------------------------------------------------


def _model():
    return Lorentz1D(1.0, 1.0, 0.5) + Const1D(2.0)  # the docstring example's


@pytest.fixture(scope="module")
def observations():
    rng = np.random.default_rng(1)
    return [
        EventList(np.sort(rng.uniform(0, 64 * k, 3000 * k)), gti=[[0, 64 * k]]) for k in (2, 3, 4)
    ]


def _fit(observations, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the flagged row's summary
        return fit_observations(
            observations, _model(), segment_size=16, dt=1 / 64, norm="leahy", **kwargs
        )


def _assert_rows_equal(a, b):
    assert a.colnames == b.colnames
    for name in a.colnames:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        assert x.dtype.kind == y.dtype.kind, name
        assert x.shape == y.shape, name
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=1e-12, equal_nan=True, err_msg=name)
        else:
            assert x.tolist() == y.tolist(), name


def test_fit_observations_to_fits_equals_memory_and_ecsv(observations, tmp_path):
    items = [*observations, np.ones(5)]  # an array too short for a segment: a flagged row
    memory = _fit(items)
    to_fits = _fit(items, out=tmp_path / "r.fits", chunk_size=1)
    to_ecsv = _fit(items, out=tmp_path / "r.ecsv", chunk_size=1)
    assert memory["problem"][3] != ""
    assert memory["problem"][0] == ""
    _assert_rows_equal(to_fits, memory)
    _assert_same(to_fits, to_ecsv)
    assert to_fits.meta == to_ecsv.meta
    assert len(fits.getdata(tmp_path / "r.fits", "BATCH")) == 4


def test_fit_observations_resumes_a_fits_file(observations, tmp_path, monkeypatch):
    items = observations
    full = _fit(items, out=tmp_path / "full.fits", chunk_size=1)
    path = tmp_path / "run.fits"
    real_load = obsmod.load_observation
    calls = []

    def interrupted(item, dt):
        calls.append(item)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_load(item, dt)

    monkeypatch.setattr(obsmod, "load_observation", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _fit(items, out=path, chunk_size=1)
    assert len(read_output(str(path))) == 2  # two chunks of one item were written
    with pytest.raises(FileExistsError, match="resume=True"):
        _fit(items, out=path, chunk_size=1)
    with pytest.raises(ValueError, match=r"other settings.*segment_size"):
        fit_observations(items, _model(), 32, 1 / 64, norm="leahy", out=path, resume=True)
    calls[:] = [None] * 3  # the interruption fired on the 3rd call: it does not fire again
    resumed = _fit(items, out=path, chunk_size=1, resume=True)
    assert len(calls) == 4  # only item 2 was read again
    _assert_same(resumed, full)
    _assert_same(read_output(str(path)), read_output(str(tmp_path / "full.fits")))
