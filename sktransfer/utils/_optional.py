"""Optional dependencies, imported where they are used.

``import sktransfer`` imports none of them; a method that needs one imports it
through the function here, whose ImportError names the extra to install.
"""

import importlib

_EXTRAS = {
    # module: (distribution on PyPI, sktransfer extra, what needs it)
    "ot": ("pot", "ot", "optimal transport"),
    "distributed": ("distributed", "distributed", "running on a Dask cluster"),
}


def import_optional(module):
    """Import an optional dependency, or raise an ImportError naming its extra.

    Parameters
    ----------
    module : {"ot", "distributed"}
        Name of the module to import.

    Returns
    -------
    module : module
        The imported module.

    Examples
    --------
    >>> from sktransfer.utils._optional import import_optional
    >>> import_optional("ot").__name__
    'ot'
    """
    distribution, extra, purpose = _EXTRAS[module]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{purpose.capitalize()} needs {distribution}, the optional "
            f"dependency of the extra '{extra}': pip install "
            f"'sktransfer[{extra}]' (or pip install {distribution})."
        ) from exc


def import_pot():
    """Import POT (the ``ot`` module), or raise an ImportError naming the extra.

    Returns
    -------
    ot : module
        POT.

    Examples
    --------
    >>> from sktransfer.utils._optional import import_pot
    >>> import_pot().__name__
    'ot'
    """
    return import_optional("ot")
