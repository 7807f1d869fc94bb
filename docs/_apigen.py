"""Write the API reference page from the ``__all__`` of the public packages.

Sphinx imports this module from ``conf.py`` and calls :func:`write_api_page`
when the configuration is read, before any source file is collected. The page
lists every public name of ``sktransfer``, ``sktransfer.utils``,
``sktransfer.datasets`` and of each family package that exists, in
``autosummary`` tables whose stubs go to ``generated/``. Exporting a name in a
package's ``__all__`` is therefore all it takes to document it.
"""

import importlib
import importlib.util
import inspect
from pathlib import Path

#: Documented packages, in page order. Packages that do not exist are skipped.
PACKAGES = (
    "sktransfer",
    "sktransfer.utils",
    "sktransfer.utils.estimator_checks",
    "sktransfer.datasets",
    "sktransfer.instance",
    "sktransfer.feature",
    "sktransfer.parameter",
    "sktransfer.deep",
    "sktransfer.model_selection",
    "sktransfer.metrics",
    "sktransfer.pipeline",
)

HEADER = """\
.. This file is written by docs/_apigen.py at every build; do not edit it.

.. _api:

=============
API reference
=============

Every public name of sktransfer, by package. Each package exports its public
names in ``__all__``; this page is generated from those lists.
"""


def _package_exists(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _kind(obj):
    if inspect.isclass(obj):
        return 0
    if callable(obj):
        return 1
    return 2


def _autosummary(names, toctree):
    lines = ["", ".. autosummary::"]
    if toctree:
        lines.append("   :toctree: generated/")
    lines.append("")
    lines += [f"   {name}" for name in names]
    return lines


def api_page():
    """Return the text of the API reference page."""
    lines = [HEADER]
    documented = {}  # id(obj) -> canonical public name
    for package in PACKAGES:
        if not _package_exists(package):
            continue
        module = importlib.import_module(package)
        public = [n for n in getattr(module, "__all__", ()) if not n.startswith("_")]
        if not public:
            continue
        public.sort(key=lambda n: (_kind(getattr(module, n)), n.lower()))
        own, elsewhere = [], []
        for name in public:
            obj = getattr(module, name)
            # Constants (ints, strings) are not unique objects: key them by name.
            key = id(obj) if _kind(obj) < 2 else (package, name)
            if key in documented:
                elsewhere.append(documented[key])
            else:
                documented[key] = f"{package}.{name}"
                own.append(name)

        title = f":mod:`{package}`"
        lines += ["", title, "=" * len(title), ""]
        lines += [f".. automodule:: {package}", ""]
        lines += [f".. currentmodule:: {package}"]
        if own:
            lines += _autosummary(own, toctree=True)
        if elsewhere:
            lines += ["", "Also exported here, documented above:"]
            lines += _autosummary([f"~{name}" for name in elsewhere], toctree=False)
    return "\n".join(lines) + "\n"


def write_api_page(path):
    """Write the page to ``path`` unless it already holds the same text.

    Leaving an unchanged file alone keeps incremental builds incremental.
    """
    path = Path(path)
    text = api_page()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
