"""Copy Stingray's modeling tests here with only their import lines rewritten.

Run ``python -m tests.stingray_suite._copy`` after upgrading Stingray; ``test_copies.py``
checks that the copies are the installed files with only import lines rewritten.
"""

import pathlib
import re

FILES = ("test_posterior.py", "test_parameterestimation.py", "test_scripts.py")
_IMPORT = re.compile(r"^(\s*from\s+)stingray\.modeling(\b[\w.]*\s+import\b)", re.MULTILINE)


def installed_dir():
    import stingray

    return pathlib.Path(stingray.__file__).parent / "modeling" / "tests"


def rewrite(text):
    """Rewrite ``from stingray.modeling[...] import`` lines to ``stingray_jax.modeling``."""
    return _IMPORT.sub(r"\1stingray_jax.modeling\2", text)


def main():
    here = pathlib.Path(__file__).parent
    for name in FILES:
        text = (installed_dir() / name).read_text()
        (here / name).write_text(rewrite(text))


if __name__ == "__main__":
    main()
