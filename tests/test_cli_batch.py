"""``stingray-jax batch``: files to a table, a summary, a plot; bad input is exit status 2."""

import io
import os
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
from astropy.table import Table

from stingray_jax.cli import main

stingray = pytest.importorskip("stingray")
DATA = os.path.join(os.path.dirname(stingray.__file__), "tests", "data")


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_batch_of_event_files_with_a_corrupt_one(tmp_path):
    corrupt = tmp_path / "corrupt.evt"
    corrupt.write_bytes(b"SIMPLE  =  T" + b" " * 100)
    files = [
        os.path.join(DATA, "monol_testA.evt"),
        str(corrupt),
        os.path.join(DATA, "xte_test.evt.gz"),
    ]
    out, plot = tmp_path / "t.ecsv", tmp_path / "p.png"
    argv = ["batch", *files, "--model", "Const1D", "--segment-size", "8"]
    argv += ["--out", str(out), "--plot", str(plot), "--quiet", "--no-cache"]
    with pytest.warns(RuntimeWarning, match="1 of 3 rows"):
        status, text, _ = _run(argv)
    assert status == 0
    assert "fitted: 2, flagged: 1" in text
    assert "corrupt.evt" in text
    table = Table.read(out)
    assert len(table) == 3
    assert plot.stat().st_size > 1000
    # the noise level of a Leahy spectrum: 2
    assert np.all(np.abs(table["amplitude"][[0, 2]] - 2) < 0.2)
    # resuming a finished run reads nothing again and gives the same table
    with pytest.warns(RuntimeWarning):
        status, text, _ = _run([*argv, "--resume"])
    assert status == 0
    assert len(Table.read(out)) == 3


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["batch"], "at least one"),
        (["batch", "x.evt", "--segment-size", "-1"], "segment size"),
        (["batch", "x.evt", "--model", "Nope1D"], "Nope1D"),
        (["batch", "x.evt", "--out", "t.csv"], "ECSV"),
        (["batch", "x.evt", "--significance", "lrt"], "--null-model"),
        (["batch", "x.evt", "--null-model", "Const1D"], "--significance lrt"),
    ],
)
def test_bad_input_exit_status_2(argv, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = _run([*argv, "--quiet", "--no-cache"])
    assert status == 2
    assert match in err
    assert "Traceback" not in err


def test_batch_significance(tmp_path):
    files = [os.path.join(DATA, "monol_testA.evt"), os.path.join(DATA, "xte_test.evt.gz")]
    argv = ["batch", *files, "--model", "PowerLaw1D + Const1D", "--segment-size", "8"]
    argv += ["--significance", "lrt", "--null-model", "Const1D", "--nsim", "20", "--quiet"]
    status, text, _ = _run([*argv, "--no-cache"])
    assert status == 0
    assert "lrt significance (20 simulations per row)" in text
    status, text, _ = _run(
        [
            "batch",
            *files,
            "--model",
            "Const1D",
            "--segment-size",
            "8",
            "--quiet",
            "--no-cache",
            "--significance",
            "outlier",
            "--nsim",
            "20",
        ]
    )
    assert status == 0
    assert "outlier significance" in text
