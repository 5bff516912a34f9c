"""The persistent compilation cache: opt-in, restored, shared between processes; the CLI's use."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import pytest

import stingray_jax
from stingray_jax import _compilation_cache as cc
from stingray_jax import cli

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cache_files(path):
    return [f for f in os.listdir(path) if not f.startswith("xla_gpu")]


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.delenv("STINGRAY_JAX_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cc.default_cache_dir() == tmp_path / "stingray_jax" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cc.default_cache_dir() == tmp_path / ".cache" / "stingray_jax" / "jax"
    monkeypatch.setenv("STINGRAY_JAX_CACHE_DIR", str(tmp_path / "here"))
    assert cc.default_cache_dir() == tmp_path / "here"


def test_enable_writes_programs_and_disable_restores(tmp_path):
    before = (
        jax.config.jax_compilation_cache_dir,
        jax.config.jax_persistent_cache_min_compile_time_secs,
    )
    target = tmp_path / "cache"
    try:
        assert stingray_jax.enable_compilation_cache(target) == target.resolve()
        assert jax.config.jax_compilation_cache_dir == str(target.resolve())
        assert jax.config.jax_persistent_cache_min_compile_time_secs == 0.0

        @jax.jit
        def f(x):
            return jnp.sin(x) * 3.0 + 0.25

        jax.block_until_ready(f(jnp.arange(7.0)))
        assert _cache_files(target), "the compiled program was not written"
    finally:
        stingray_jax.disable_compilation_cache()
    after = (
        jax.config.jax_compilation_cache_dir,
        jax.config.jax_persistent_cache_min_compile_time_secs,
    )
    assert after == before
    stingray_jax.disable_compilation_cache()  # a second call does nothing
    assert jax.config.jax_compilation_cache_dir == before[0]


def test_a_second_process_loads_instead_of_compiling(tmp_path):
    code = textwrap.dedent(
        f"""
        import jax, jax.numpy as jnp
        import stingray_jax
        hits = []
        jax.monitoring.register_event_listener(
            lambda name, **kw: hits.append(name) if name.endswith("cache_hits") else None
        )
        stingray_jax.enable_compilation_cache({str(tmp_path)!r})
        f = jax.jit(lambda x: jnp.cumsum(jnp.cos(x) ** 2) / 7.0)
        jax.block_until_ready(f(jnp.arange(11.0)))
        print(len(hits))
        """
    )
    env = dict(os.environ, PYTHONPATH=_REPO)
    runs = [
        int(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
            ).stdout.split()[-1]
        )
        for _ in range(2)
    ]
    assert runs[0] == 0
    assert runs[1] >= 1


def test_importing_and_fitting_leave_the_cache_off():
    code = textwrap.dedent(
        """
        import numpy as np
        import jax
        from astropy.modeling.models import Const1D
        from stingray_jax.modeling import PSDLogLikelihood, PSDParEst
        f = np.linspace(0.1, 10, 64)
        p = np.random.default_rng(0).exponential(2.0, f.size)
        lik = PSDLogLikelihood(f, p, Const1D(2.0), m=1)
        PSDParEst(None, max_post=False).fit(lik, [2.0])
        print(jax.config.jax_compilation_cache_dir)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env["PYTHONPATH"] = _REPO
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split()[-1] == "None"


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="min_compile_time_secs"):
        stingray_jax.enable_compilation_cache(tmp_path, min_compile_time_secs=-1)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match="compilation cache directory"):
        stingray_jax.enable_compilation_cache(blocker / "sub")
    assert jax.config.jax_compilation_cache_dir is None


@pytest.mark.parametrize("flag", [[], ["--no-cache"]])
def test_cli_caches_for_the_command_only(flag, tmp_path, monkeypatch):
    monkeypatch.setenv("STINGRAY_JAX_CACHE_DIR", str(tmp_path / "cli"))
    before = jax.config.jax_compilation_cache_dir
    assert cli.main(["fit", "--plot", "", *flag]) == 0
    assert jax.config.jax_compilation_cache_dir == before
    written = (tmp_path / "cli").is_dir() and _cache_files(tmp_path / "cli")
    assert bool(written) is (not flag)


def test_cli_help_documents_the_flag(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    out = capsys.readouterr().out
    assert "--no-cache" in out
    assert "STINGRAY_JAX_CACHE_DIR" in out
