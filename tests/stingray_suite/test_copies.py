"""The copies of Stingray's tests differ from the installed files only in import lines."""

import pathlib

import pytest

from . import _copy


@pytest.mark.parametrize("name", _copy.FILES)
def test_copy_is_installed_file_with_imports_rewritten(name):
    installed = _copy.installed_dir() / name
    if not installed.exists():
        pytest.skip("the installed Stingray does not ship its tests")
    here = pathlib.Path(__file__).parent / name
    assert here.read_text() == _copy.rewrite(installed.read_text()), (
        f"{name} is out of date: run python -m tests.stingray_suite._copy"
    )
    changed = [
        (a, b)
        for a, b in zip(installed.read_text().splitlines(), here.read_text().splitlines())
        if a != b
    ]
    assert changed
    assert all(a.lstrip().startswith("from stingray.modeling") for a, _ in changed)
