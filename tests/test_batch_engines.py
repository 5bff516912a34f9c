"""The batch on other engines: a Dask LocalCluster of 2 workers and 2 jax.distributed processes.

Reference: the local run of the same batch (every row equal to 1e-12; the fits are the same
compiled programs on the same data, so in practice bitwise).
"""

import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Gaussian1D, Lorentz1D

from stingray_jax.batch import fit_lightcurves, fit_observations, read_results

stingray = pytest.importorskip("stingray")
from stingray import EventList  # noqa: E402

DATA = os.path.join(os.path.dirname(stingray.__file__), "tests", "data")
DT, SEG = 1 / 64, 16.0


def _model():
    model = Lorentz1D(amplitude=2.0, x_0=3.0, fwhm=0.8) + Const1D(amplitude=2.0)
    model.amplitude_0.bounds = (0, None)
    model.fwhm_0.bounds = (0, None)
    return model


def _event_files(tmp_path, n=5):
    """``n`` event files of different lengths, a missing one at the end (a flagged row)."""
    pytest.importorskip("h5py")  # the files are written by EventList.write(..., fmt="hdf5")
    rng = np.random.default_rng(21)
    paths = []
    for k in range(n):
        length = 64 * (2 + k % 3)
        n_bins = round(length / DT)
        freq = np.fft.rfftfreq(n_bins, DT)
        shape = 1 / (1 + ((freq - 3.0) / 0.4) ** 2)  # a QPO at 3 Hz
        spec = (rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size)) * np.sqrt(shape)
        spec[0] = 0
        x = np.fft.irfft(spec, n_bins)
        counts = rng.poisson(200.0 * np.exp(0.25 * x / x.std()) * DT)
        t = DT * (np.repeat(np.arange(n_bins), counts) + rng.uniform(size=counts.sum()))
        t = np.sort(t)
        path = tmp_path / f"obs{k}.hdf5"
        EventList(t, gti=np.array([[0.0, length]])).write(str(path), fmt="hdf5")
        paths.append(str(path))
    return [*paths, str(tmp_path / "missing.evt")]


def _assert_same(a, b):
    assert a.colnames == b.colnames
    for name in a.colnames:
        if a[name].dtype.kind in "fc":
            np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=0, equal_nan=True)
        else:
            assert list(a[name]) == list(b[name]), name


def test_dask_local_cluster_gives_the_local_table(tmp_path):
    distributed = pytest.importorskip("distributed")
    files = _event_files(tmp_path)
    with pytest.warns(RuntimeWarning, match="1 of"):
        local = fit_observations(files, _model(), SEG, DT, norm="leahy", chunk_size=2)
    rng = np.random.default_rng(3)
    flare = Gaussian1D(50.0, 20.0, 4.0) + Const1D(5.0)
    curves = [rng.poisson(flare(np.arange(n) + 0.5)) for n in (40, 60, 90, 50)]
    local_lc = fit_lightcurves(curves, flare, dt=1.0, chunk_size=1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.warns(RuntimeWarning, match="1 of"):
            remote = fit_observations(
                files,
                _model(),
                SEG,
                DT,
                norm="leahy",
                chunk_size=2,
                client=client,
                out=tmp_path / "dask.ecsv",
            )
        remote_lc = fit_lightcurves(curves, flare, dt=1.0, chunk_size=1, client=client)
        workers = client.run(os.getpid)
    assert len(workers) == 2
    assert os.getpid() not in workers.values()
    _assert_same(remote, local)
    _assert_same(remote_lc, local_lc)
    _assert_same(read_results(tmp_path / "dask.ecsv"), local)


_PROCESS = textwrap.dedent(
    """
    import sys
    import jax
    rank, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=rank)
    import numpy as np
    from astropy.modeling.models import Const1D, Lorentz1D
    from stingray_jax.batch import fit_observations
    files = sys.argv[4:]
    model = Lorentz1D(amplitude=2.0, x_0=3.0, fwhm=0.8) + Const1D(amplitude=2.0)
    model.amplitude_0.bounds = (0, None)
    model.fwhm_0.bounds = (0, None)
    table = fit_observations(files, model, 16.0, 1 / 64, norm="leahy", share="jax", out=out)
    print(rank, jax.process_count(), sorted(set(table["item"].tolist())), flush=True)
    jax.distributed.shutdown()
    """
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.filterwarnings("ignore:1 of:RuntimeWarning")
def test_two_jax_processes_share_the_items(tmp_path):
    files = _event_files(tmp_path)
    local = fit_observations(files, _model(), SEG, DT, norm="leahy")
    script = tmp_path / "process.py"
    script.write_text(_PROCESS)
    port = str(_free_port())
    outs = [str(tmp_path / f"part{k}.ecsv") for k in range(2)]
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONWARNINGS="ignore")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(k), port, outs[k], *files],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_stdout, stderr) in zip(procs, results):
        assert p.returncode == 0, stderr[-3000:]
    shares = [line.split(None, 2) for line in (r[0].strip().splitlines()[-1] for r in results)]
    assert [s[:2] for s in shares] == [["0", "2"], ["1", "2"]]
    assert shares[0][2] == "[0, 2, 4]"
    assert shares[1][2] == "[1, 3, 5]"
    joined = read_results(outs)
    _assert_same(joined, local)
    assert joined.meta["settings"]["items_sha1"] == local.meta["settings"]["items_sha1"]
    with pytest.raises(ValueError, match="item 0 is in both"):
        read_results([outs[0], outs[0]])


def test_share_and_read_results_errors(tmp_path):
    files = _event_files(tmp_path, n=2)[:2]
    a = tmp_path / "a.ecsv"
    b = tmp_path / "b.ecsv"
    fit_observations(files, _model(), SEG, DT, norm="leahy", share=(0, 2), out=a)
    fit_observations(files, _model(), SEG, DT, norm="frac", share=(1, 2), out=b)
    with pytest.raises(ValueError, match=r"other settings.*norm"):
        read_results([a, b])
    with pytest.raises(OSError, match="no such file"):
        read_results([tmp_path / "nope.ecsv"])
    with pytest.raises(ValueError, match="share must be"):
        fit_observations(files, _model(), SEG, DT, share="mpi")
    with pytest.raises(ValueError, match="is empty"):
        fit_observations(files[:1], _model(), SEG, DT, share=(1, 2))
