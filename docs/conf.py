"""Sphinx configuration of the sktransfer documentation.

Build with ``python -m sphinx -b html docs docs/_build/html`` from the
repository root. The build works offline: intersphinx links to the Python,
NumPy, SciPy, scikit-learn, PyTorch and skorch docs are made only when their
inventories can be reached; set ``SKTRANSFER_DOCS_OFFLINE=1`` to skip them
without trying.
"""

import os
import socket
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scipy.optimize  # noqa: F401  (loads SciPy's BLAS before the limit below)
from _apigen import write_api_page
from threadpoolctl import threadpool_limits

import sktransfer

# The examples fit many tiny models, which extra BLAS threads only slow down
# (a lot, on a busy machine).
threadpool_limits(1)

# -- Project ------------------------------------------------------------------

project = "sktransfer"
author = "The sktransfer developers"
copyright = "The sktransfer developers"
version = sktransfer.__version__
release = sktransfer.__version__

# -- General ------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Intersphinx (only when online) ---------------------------------------------

_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
}


def _online(host="docs.python.org", port=443, timeout=3.0):
    """Whether ``host`` answers within ``timeout`` seconds (DNS included)."""
    result = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result)


_offline = os.environ.get("SKTRANSFER_DOCS_OFFLINE", "").lower() not in (
    "",
    "0",
    "false",
    "no",
)
intersphinx_mapping = {} if _offline or not _online() else _INTERSPHINX
intersphinx_timeout = 10

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sktransfer {release}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_sidebars = {"install": [], "domain_contract": []}

# -- Gallery ------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "ignore_pattern": r"__init__\.py",
    "doc_module": ("sktransfer",),
    "reference_url": {"sktransfer": None},
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
}

# -- Hooks --------------------------------------------------------------------


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn adds set_{method}_request to every estimator; their
    # docstrings point into scikit-learn's own user guide.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def _write_api(app, config):
    write_api_page(Path(app.srcdir) / "api.rst")


def setup(app):
    # config-inited comes before Sphinx looks for source files, so a newly
    # written api.rst is read and its autosummary stubs are generated.
    app.connect("config-inited", _write_api)
    app.connect("autodoc-skip-member", _skip_member)
