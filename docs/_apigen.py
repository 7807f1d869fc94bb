"""Write the API reference page from the ``__all__`` of the public packages.

Sphinx imports this module from ``conf.py`` and calls :func:`write_api_page`
when the configuration is read, before any source file is collected. The page
lists every public name of ``sktransfer``, ``sktransfer.utils``,
``sktransfer.datasets`` and of each family package that exists, in
``autosummary`` tables whose stubs go to ``generated/``. Exporting a name in a
package's ``__all__`` is therefore all it takes to document it.

Constants (numbers, strings) are not documented through autosummary, whose
stub would show the docstring of their type (``int``'s for
``sktransfer.utils.UNLABELED``): each gets a ``data`` entry on the page with
its value and the ``#:`` comment above its assignment in the module that
defines it.
"""

import ast
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


def _module_tree(module_name):
    module = importlib.import_module(module_name)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return None, None
    return ast.parse(source), source.splitlines()


def _resolve(module_name, node):
    """The absolute name of the module that ``from ... import`` reads from."""
    if not node.level:
        return node.module
    package = module_name if _is_package(module_name) else module_name.rsplit(".", 1)[0]
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


def _is_package(module_name):
    return hasattr(importlib.import_module(module_name), "__path__")


def constant_description(module_name, name, _depth=0):
    """The ``#:`` comment above the assignment of ``name``, following imports.

    ``sktransfer.utils`` imports ``UNLABELED`` from ``sktransfer._domain``,
    where ``#: Label that marks ...`` precedes ``UNLABELED = -1``. Returns
    ``""`` when the constant has no such comment.
    """
    tree, lines = _module_tree(module_name)
    if tree is None or _depth > 10:
        return ""
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                comments = []
                row = node.lineno - 2
                while row >= 0 and lines[row].lstrip().startswith("#:"):
                    comments.insert(0, lines[row].lstrip()[2:].strip())
                    row -= 1
                return " ".join(comments)
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    source = _resolve(module_name, node)
                    return constant_description(source, alias.name, _depth + 1)
    return ""


def _constants(package, names):
    module = importlib.import_module(package)
    lines = []
    for name in names:
        description = constant_description(package, name)
        lines += ["", f".. data:: {name}", f"   :value: {getattr(module, name)!r}"]
        if description:
            lines += ["", f"   {description}"]
    return lines


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
        own, constants, elsewhere = [], [], []
        for name in public:
            obj = getattr(module, name)
            # Constants (ints, strings) are not unique objects: key them by name.
            key = id(obj) if _kind(obj) < 2 else (package, name)
            if key in documented:
                elsewhere.append(documented[key])
            else:
                documented[key] = f"{package}.{name}"
                (own if _kind(obj) < 2 else constants).append(name)

        title = f":mod:`{package}`"
        lines += ["", title, "=" * len(title), ""]
        lines += [f".. automodule:: {package}", ""]
        lines += [f".. currentmodule:: {package}"]
        if own:
            lines += _autosummary(own, toctree=True)
        if constants:
            lines += _constants(package, constants)
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
