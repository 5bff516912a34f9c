import io
import subprocess
import sys
from importlib import metadata

import jax
import pytest

import stingray_jax
from stingray_jax import cli


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"stingray-jax {stingray_jax.__version__}"


def test_info_reports_versions_devices_and_x64():
    stream = io.StringIO()
    report = cli.info(stream)
    text = stream.getvalue()
    assert report["stingray_jax"] == stingray_jax.__version__
    assert report["stingray"] == metadata.version("stingray")
    assert report["jax"] == jax.__version__
    assert report["jax_enable_x64"] == jax.config.jax_enable_x64
    assert len(report["jax_devices"]) == len(jax.devices())
    for key in ("stingray", "jax", "numpyro", "jax_devices", "jax_enable_x64"):
        assert key in text


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: stingray-jax" in capsys.readouterr().out


def test_unknown_command_fails():
    with pytest.raises(SystemExit) as exc:
        cli.main(["nonsense"])
    assert exc.value.code == 2


def test_module_entry_point_runs_in_a_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "stingray_jax", "info"], capture_output=True, text=True, check=True
    )
    assert "jax_devices" in out.stdout
    assert "numpyro" in out.stdout
