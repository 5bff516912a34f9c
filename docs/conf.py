# Sphinx configuration for stingray_jax, built on the shared astropy configuration.
#
# The build must work with no network (tox -e build_docs uses -W): math is rendered by the copy
# of MathJax in _static/mathjax, and intersphinx uses only the inventories that can be reached
# (STINGRAY_JAX_DOCS_INTERSPHINX=0 turns intersphinx off, =1 uses every inventory unchecked).

import concurrent.futures
import datetime
import os
import sys
import urllib.request
from importlib import metadata

from sphinx_astropy.conf.v2 import *

project = "stingray_jax"
author = "The stingray_jax developers"
copyright = f"2026-{datetime.date.today().year}, {author}"

release = metadata.version("stingray_jax")
version = ".".join(release.split(".")[:2])

# docs/examples holds sphinx-gallery sources; the rendered pages land in generated/examples.
exclude_patterns = [*exclude_patterns, "_build", "**.ipynb_checkpoints", "examples"]

# No graphviz on every machine: automodapi would call `dot` for inheritance diagrams.
automodapi_inheritance_diagram = False
automodsumm_inherited_members = False
numpydoc_show_class_members = False

# Intersphinx: links to the Python, NumPy, SciPy, matplotlib, astropy, Stingray, JAX and NumPyro
# documentation. An inventory that cannot be fetched would make Sphinx warn (and -W fail), so
# each one is probed first, in parallel with a short timeout, and only those that answer are
# used: offline, the build makes no external links and no warning.
_astropy_intersphinx = dict(intersphinx_mapping)  # sphinx-astropy's defaults
_INTERSPHINX = {
    "python": ("https://docs.python.org/3/", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
    "astropy": ("https://docs.astropy.org/en/stable/", None),
    "stingray": ("https://docs.stingray.science/en/stable/", None),
    "jax": ("https://docs.jax.dev/en/latest/", None),
    "numpyro": ("https://num.pyro.ai/en/stable/", None),
}


def _reachable(url, timeout=5.0):
    """Whether ``url``'s objects.inv can be fetched (its first bytes), within ``timeout``."""
    request = urllib.request.Request(url + "objects.inv", headers={"User-Agent": "sphinx"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status == 200 and bool(response.read(16))
    except Exception:
        return False


def _intersphinx_mapping(mapping, mode):
    if mode == "0":
        return {}
    if mode == "1":
        return dict(mapping)
    with concurrent.futures.ThreadPoolExecutor(len(mapping)) as pool:
        ok = dict(zip(mapping, pool.map(_reachable, (url for url, _ in mapping.values()))))
    missing = sorted(name for name, reached in ok.items() if not reached)
    if missing:
        print(
            f"intersphinx: no links to {', '.join(missing)} (inventory not reachable)",
            file=sys.stderr,
        )
    return {name: target for name, target in mapping.items() if ok[name]}


intersphinx_mapping = _intersphinx_mapping(
    _INTERSPHINX, os.environ.get("STINGRAY_JAX_DOCS_INTERSPHINX", "auto")
)
# sphinx-astropy's inventory of Python's own pages ships with it (a local file): always usable.
if (
    os.environ.get("STINGRAY_JAX_DOCS_INTERSPHINX") != "0"
    and "pythonloc" in _astropy_intersphinx
    and os.path.isfile(str(_astropy_intersphinx["pythonloc"][1]))
):
    intersphinx_mapping["pythonloc"] = _astropy_intersphinx["pythonloc"]

# Math: the local MathJax (SVG output, every TeX extension included), not a CDN.
mathjax_path = "mathjax/tex-svg-full.js"

html_theme = "pydata_sphinx_theme"
html_title = f"stingray_jax {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "use_edit_page_button": False,
    # The navbar shows the short name (html_title, with the development version, is long and
    # ran into the navigation links), starts the links right after it and keeps them on one
    # line: the first three pages, the rest under "More".
    "logo": {"text": project},
    "navbar_align": "left",
    "header_links_before_dropdown": 3,
    # API pages list their methods in "On this page" (one level below the class).
    "show_toc_level": 2,
}
# Every page is a top-level entry of the table of contents, so the theme's section navigation
# (the children of the current top-level page) was empty: the sidebar shows the whole table.
templates_path = ["_templates"]
html_sidebars = {"**": ["sidebar-globaltoc"]}
# Long names wrap in the sidebars; wide signatures scroll inside the article.
html_css_files = ["stingray_jax.css"]

# Gallery of extension examples (docs/examples/*.py). Added here once a page exists, so the
# build never depends on an empty gallery.
_examples_dir = os.path.join(os.path.dirname(__file__), "examples")
if any(f.startswith("plot_") for f in os.listdir(_examples_dir) if f.endswith(".py")):
    extensions.append("sphinx_gallery.gen_gallery")
    sphinx_gallery_conf = {
        "examples_dirs": ["examples"],
        "gallery_dirs": ["generated/examples"],
        "filename_pattern": r"/plot_",
        "download_all_examples": False,
        "remove_config_comments": True,
        "within_subsection_order": "FileNameSortKey",
    }

# Keep the doctests in .rst pages honest, but do not run them twice in the HTML build.
doctest_global_setup = "import numpy as np"
