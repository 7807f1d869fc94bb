"""Warnings that point at the user's own line.

``warnings.warn(..., stacklevel=2)`` inside an estimator points at the line
that called the function that warned. Under scikit-learn's ``_fit_context``,
a :class:`~sklearn.pipeline.Pipeline`, ``GridSearchCV`` or skorch's training
loop, that line is inside a library, so every warning would say
``sklearn/base.py``. :func:`warn` instead walks out of sktransfer and the
libraries it calls and attributes the warning to the first frame outside
them: the user's ``fit(...)`` call.
"""

import functools
import importlib.util
import os
import sys
import warnings

__all__ = ["warn"]

# packages whose frames are never the user's call
_LIBRARIES = ("sktransfer", "sklearn", "skorch", "torch", "joblib", "numpy", "scipy")


@functools.cache
def _library_dirs():
    dirs = []
    for name in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for location in getattr(spec, "submodule_search_locations", None) or ():
            dirs.append(os.path.realpath(location) + os.sep)
    return tuple(dirs)


def _is_library_frame(frame):
    filename = frame.f_code.co_filename
    if filename.startswith("<frozen"):  # the import machinery
        return True
    return os.path.realpath(filename).startswith(_library_dirs())


def warn(message, category=UserWarning):
    """Warn with the location of the first caller outside the libraries.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type of Warning, default=UserWarning
        The warning's class.

    Examples
    --------
    >>> import warnings
    >>> from sktransfer.utils._warnings import warn
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("careful")
    >>> caught[0].filename.endswith("_warnings.py")
    False
    """
    frame = sys._getframe(1)
    stacklevel = 2  # 1 would be this function
    while frame is not None and _is_library_frame(frame):
        frame = frame.f_back
        stacklevel += 1
    if frame is None:  # called from library code only (e.g. a worker process)
        stacklevel = 2
    warnings.warn(message, category, stacklevel=stacklevel)
