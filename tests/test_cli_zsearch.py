"""``stingray-jax zsearch`` on a simulated pulsar written as an OGIP event file."""

import io
import os
import warnings

import numpy as np
import pytest

from stingray_jax import cli

fits = pytest.importorskip("astropy.io.fits")
stingray_tests = pytest.importorskip("stingray.tests")
DATA = os.path.join(os.path.dirname(stingray_tests.__file__), "data")


@pytest.fixture(scope="module")
def pulsar_file(tmp_path_factory):
    """Events of a 0.731 Hz pulsar (fdot 2e-7 Hz/s) in monol_testA.evt's format."""
    rng = np.random.default_rng(11)
    t = np.sort(rng.uniform(0, 1000.0, 8000))
    keep = rng.uniform(size=t.size) < 0.5 * (
        1 + 0.6 * np.cos(2 * np.pi * (0.731 * t + 0.5 * 2e-7 * t**2))
    )
    t = t[keep] + 8e7
    with fits.open(os.path.join(DATA, "monol_testA.evt")) as hdul:
        ev = fits.BinTableHDU.from_columns(
            [
                fits.Column(name="TIME", format="1D", array=t),
                fits.Column(name="PI", format="1J", array=np.full(t.size, 100)),
            ],
            header=hdul["EVENTS"].header,
        )
        gti = fits.BinTableHDU.from_columns(
            [
                fits.Column(name="START", format="1D", array=[8e7]),
                fits.Column(name="STOP", format="1D", array=[8e7 + 1000.0]),
            ],
            header=hdul["GTI"].header,
        )
        path = tmp_path_factory.mktemp("zsearch") / "pulsar.evt"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.HDUList([hdul[0].copy(), ev, gti]).writeto(path)
    return str(path)


def _run(argv):
    from stingray_jax._cli_zsearch import run_zsearch

    args = cli.build_parser().parse_args(argv)
    out = io.StringIO()
    return run_zsearch(args, stream=out), out.getvalue()


def test_zsearch_finds_the_pulsar(pulsar_file):
    res, text = _run(
        [
            "zsearch",
            pulsar_file,
            "--fmin",
            "0.72",
            "--fmax",
            "0.74",
            "--fdot-range=-2e-7,6e-7",
            "--nfdot",
            "3",
            "--ncand",
            "3",
        ]
    )
    best = res["candidates"][0]
    assert abs(best["frequency"] + best["fdot"] * 500 - (0.731 + 2e-7 * 500)) < 2e-4
    assert best["p_multi"] < 1e-10
    assert best["sigma"] > 6
    assert res["n_trials"] == 3 * len(np.arange(0.72, 0.74 + 1e-4, 2e-4))
    assert "Z^2_2" in text
    assert f"{best['frequency']:16.10f}" in text


@pytest.mark.parametrize("extra", [["--stat", "ef", "--nbin", "16"], ["--method", "events"]])
def test_zsearch_variants(pulsar_file, extra):
    res, _ = _run(["zsearch", pulsar_file, "--fmin", "0.725", "--fmax", "0.738", *extra])
    assert abs(res["candidates"][0]["frequency"] - (0.731 + 2e-7 * 500)) < 3e-4


def test_zsearch_bad_input(pulsar_file, tmp_path, capsys):
    assert cli.main(["zsearch", pulsar_file, "--fmin", "2", "--fmax", "1"]) == 1
    assert "fmin" in capsys.readouterr().err
    assert cli.main(["zsearch", str(tmp_path / "missing.evt"), "--fmin", "1", "--fmax", "2"]) == 1
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(
            ["zsearch", pulsar_file, "--fmin", "1", "--fmax", "2", "--fdot-range=1e-9"]
        )
