# Sphinx configuration for stingray_jax, built on the shared astropy configuration.
#
# The build must work with no network (tox -e build_docs uses -W): math is rendered by the copy
# of MathJax in _static/mathjax; intersphinx inventories are only fetched when
# STINGRAY_JAX_DOCS_INTERSPHINX=1 is set.

import datetime
import os
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

if os.environ.get("STINGRAY_JAX_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping.update(
        {
            "stingray": ("https://docs.stingray.science/en/stable/", None),
            "jax": ("https://docs.jax.dev/en/latest/", None),
            "numpyro": ("https://num.pyro.ai/en/stable/", None),
        }
    )
else:
    intersphinx_mapping = {}

# Math: the local MathJax (SVG output, every TeX extension included), not a CDN.
mathjax_path = "mathjax/tex-svg-full.js"

html_theme = "pydata_sphinx_theme"
html_title = f"stingray_jax {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "use_edit_page_button": False,
}
html_sidebars = {"**": ["sidebar-nav-bs"]}

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
