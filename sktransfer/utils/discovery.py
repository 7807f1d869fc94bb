"""Discovery of the public estimators of sktransfer."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

_FAMILIES = (
    "instance",
    "feature",
    "parameter",
    "deep",
    "model_selection",
    "metrics",
    "pipeline",
)
_TYPE_MIXINS = {
    "classifier": "ClassifierMixin",
    "regressor": "RegressorMixin",
    "transformer": "TransformerMixin",
}


def all_estimators(type_filter=None):
    """List every public estimator of sktransfer.

    An estimator is public when a family package (``sktransfer.instance``,
    ``sktransfer.feature``, ...) or ``sktransfer.pipeline`` exports it in its
    ``__all__``. The common tests
    run on this list, so exporting a new estimator is all it takes to have it
    checked.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer"} or list of them, \
            default=None
        Keep only estimators of these kinds; ``None`` keeps all.

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name.

    Examples
    --------
    >>> from sktransfer.utils import all_estimators
    >>> isinstance(all_estimators(), list)
    True
    """
    import sktransfer

    found = {}
    for module_info in pkgutil.iter_modules(sktransfer.__path__):
        if module_info.name not in _FAMILIES:
            continue
        module = importlib.import_module(f"sktransfer.{module_info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
                and not name.startswith(("_", "Base"))
            ):
                found[name] = obj

    if type_filter is not None:
        kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = set(kinds) - set(_TYPE_MIXINS)
        if unknown:
            raise ValueError(
                f"type_filter must be among {sorted(_TYPE_MIXINS)}, got "
                f"{sorted(unknown)}."
            )
        wanted = {_TYPE_MIXINS[k] for k in kinds}
        found = {
            name: cls
            for name, cls in found.items()
            if wanted & {base.__name__ for base in inspect.getmro(cls)}
        }
    return sorted(found.items())
