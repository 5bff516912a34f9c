"""The ``stingray-jax fit`` command."""

import io
import os

import numpy as np
import pytest

from stingray_jax import cli
from stingray_jax._cli_fit import parse_model

DATA = os.path.join(os.path.dirname(__import__("stingray").__file__), "tests", "data")


def test_sample_data_fit_prints_table_and_writes_plot(tmp_path, capsys):
    png = tmp_path / "fit.png"
    assert cli.main(["fit", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    for word in ("Stingray sample data", "alpha_0", "(fixed)", "-log L", "AIC", "BIC", "True"):
        assert word in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_event_file_fit_matches_modeling_api(tmp_path):
    from stingray_jax._cli_fit import run_fit

    args = cli.build_parser().parse_args(
        [
            "fit",
            os.path.join(DATA, "monol_testA.evt"),
            "--segment-size",
            "16",
            "--dt",
            "0.0625",
            "--model",
            "Const1D",
            "--plot",
            "",
        ]
    )
    stream = io.StringIO()
    ps, res = run_fit(args, stream=stream)
    # A constant fitted to an averaged Leahy spectrum with the Gamma likelihood: the ML
    # estimate is the mean power (d/dc of sum(m log c + m P / c) = 0).
    np.testing.assert_allclose(res.p_opt[0], np.mean(ps.power), rtol=1e-8)
    assert "amplitude" in stream.getvalue()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["fit", "no_such_file.evt"], "no such file"),
        (["fit", "--model", "PowerLaw1D + Nonsense1D"], "unknown model 'Nonsense1D'"),
        (["fit", "--model", "__import__('os').system('true')"], "only model names"),
        (["fit", "--model", "PowerLaw1D(alpha='x')"], "plain numbers"),
        (["fit", "--model", "PowerLaw1D(beta=2)"], "has no parameter 'beta'"),
        (["fit", "--model", "PowerLaw1D +"], "not valid"),
        (["fit", "--segment-size", "100000"], "longer than the longest good time interval"),
        (["fit", "--dt", "0"], "dt must be positive"),
        (["fit", "--dt", "-1"], "dt must be positive"),
        (["fit", "--segment-size", "0"], "segment size must be positive"),
    ],
)
def test_bad_input_gives_one_clear_line(argv, match, capsys):
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert match in err
    assert "Traceback" not in err


def test_unreadable_file(tmp_path, capsys):
    bad = tmp_path / "garbage.fits"
    bad.write_text("this is not a FITS file")
    assert cli.main(["fit", str(bad)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_parse_model_builds_models_without_eval():
    model, explicit = parse_model("PowerLaw1D(alpha=-2.5) + Lorentz1D(x_0=1, fwhm=0.1) * Const1D")
    assert model.alpha_0.value == -2.5
    assert model.x_0_1.value == 1.0
    assert explicit == [{"alpha"}, {"x_0", "fwhm"}, set()]
    for bad in ("", "os.system", "PowerLaw1D.evaluate", "[PowerLaw1D]", "PowerLaw1D(1.0)"):
        with pytest.raises(ValueError):
            parse_model(bad)


def test_several_files_are_averaged():
    from stingray_jax._cli_fit import run_fit

    path = os.path.join(DATA, "monol_testA.evt")
    common = ["--segment-size", "16", "--dt", "0.0625", "--model", "Const1D", "--plot", ""]
    parser = cli.build_parser()
    one, res1 = run_fit(parser.parse_args(["fit", path, *common]), stream=io.StringIO())
    two, res2 = run_fit(parser.parse_args(["fit", path, path, *common]), stream=io.StringIO())
    assert two.m == 2 * one.m
    np.testing.assert_allclose(two.power, one.power, rtol=1e-12)
    # the same optimum, to the solver's precision (Newton decrement < 1e-13 |log L|)
    assert np.all(np.abs(res2.p_opt - res1.p_opt) < 1e-4 * res2.err)
    np.testing.assert_allclose(res2.err, res1.err / np.sqrt(2), rtol=1e-6)


def _modified_event_file(tmp_path, name, change):
    from astropy.io import fits

    with fits.open(os.path.join(DATA, "monol_testA.evt")) as hdus:
        copy = fits.HDUList([hdu.copy() for hdu in hdus])
    change(copy)
    path = tmp_path / name
    copy.writeto(path)
    return str(path)


def _no_events(hdus):
    hdus["EVENTS"].data = hdus["EVENTS"].data[:0]


def _outside_gtis(hdus):
    hdus["EVENTS"].data["TIME"] = hdus["EVENTS"].data["TIME"] + 1e5


EVT = os.path.join(DATA, "monol_testA.evt")


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["fit", _no_events], "contains no events"),
        (["fit", _outside_gtis], "no event of"),
        (["fit", "--dt", "100"], "dt = 100 s is too large for segments of 64 s"),
        (["fit", EVT, "--segment-size", "0.016", "--dt", "0.0078125"], "has no frequency"),
        (["fit", EVT, "--segment-size", "1", "--dt", "0.25", "--model", "Lorentz1D"], "has 1 "),
        (["fit", EVT, "--segment-size", "2", "--dt", "0.25", "--model", "Lorentz1D"], "too few"),
        (["fit", "--model", "PowerLaw1D(alpha=" + "9" * 400 + ")"], "400 characters"),
        (["fit", "--model", "Const1D(amplitude=-1e400)"], "not a finite"),
        (["fit", "--segment-size", "nan"], "segment size must be positive"),
        (["fit", "--dt", "inf"], "dt must be finite"),
    ],
)
def test_bad_data_gives_one_clear_line(tmp_path, argv, match, capsys):
    files = [_modified_event_file(tmp_path, "bad.evt", a) if callable(a) else a for a in argv]
    argv = [*files, "--plot", ""]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert match in err, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
