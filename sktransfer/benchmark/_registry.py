"""The registries of methods and data sets that ``sktransfer benchmark`` runs.

Registering a method
--------------------
Every method compared by the benchmark, baselines included, is one
:class:`MethodSpec` in :data:`METHODS`. A spec's ``build(base_estimator,
random_state)`` returns an unfitted model with ``fit(X, y, sample_domain=...)``
and ``predict(X)``. The runner calls it once per pair and repeat and fits the
model on *all* rows: source rows, the few labeled target rows and the
unlabeled target rows (``y = -1``); a method uses what it needs. It then
scores accuracy on the target rows whose labels were hidden.

The built-in methods are registered in ``sktransfer/benchmark/_methods.py``,
one section per family; adding one is one :func:`register_method` call, e.g.::

    register_method("tradaboost", "sktransfer.instance:TrAdaBoostClassifier",
                    kind="instance", description="TrAdaBoost (Dai et al., 2007)")

A ``"module:Class"`` string is imported only when the method runs (so torch
is not imported by ``sktransfer benchmark --list``); the class is built with
``random_state=random_state`` when it takes it, plus ``params``. What happens
next depends on what the class is:

* a classifier whose ``fit`` takes ``sample_domain`` is used as it is (with
  ``estimator=base_estimator`` when it takes an ``estimator``);
* a plain classifier is fitted on the labeled rows only
  (:class:`BaselineClassifier` with ``rows="pooled"``), so that it never
  learns the unlabeled marker ``-1`` as a class;
* a feature mapping (a transformer) is wrapped in
  :class:`TransformedClassifier`: the mapping is fitted on all rows, the base
  estimator on the labeled, mapped rows::

      register_method("tca", "sktransfer.feature:TransferComponentAnalysis",
                      kind="feature", params={"n_components": 20})

* anything else is refused with a :class:`TypeError` naming the problem:
  a sample weighting such as ``KernelMeanMatching`` (its ``transform``
  returns one weight column, not features), a regressor, or a class with
  neither ``predict`` nor ``transform``. The check runs at registration when
  the class's module is already imported, else when the run's names are
  resolved, before any data is loaded or any model fitted.

Anything else is a callable ``build(base_estimator, random_state)``, written
with the decorator form::

    @register_method("iw_kmm_custom", kind="instance", description="...")
    def _build_iw_kmm_custom(base_estimator, random_state):
        from sktransfer.instance import ImportanceWeightedClassifier
        from sktransfer.instance import KernelMeanMatching
        return ImportanceWeightedClassifier(KernelMeanMatching(), base_estimator)

Registering a data set
----------------------
A :class:`DatasetSpec` (see :func:`register_dataset`) names the pairs of the
data set, how to load one pair as ``X, y, sample_domain``, its preprocessing
(part of the protocol, fitted without labels) and the default number of
labeled target rows. The built-in data sets are registered in
``sktransfer/benchmark/_datasets.py``.

Built-in entries are loaded on first use
----------------------------------------
Importing :mod:`sktransfer.benchmark` registers nothing. :data:`METHODS` and
:data:`DATASETS` are mappings that import their built-in module the first
time they are used (a lookup, a listing, ``len``, or a registration), so the
built-in entries always come first, and registering a name taken by a
built-in one raises unless ``replace=True``.
"""

import dataclasses
import importlib
import inspect
import sys
from collections.abc import Callable, MutableMapping

from sklearn.base import clone, is_classifier, is_regressor

__all__ = [
    "DATASETS",
    "METHODS",
    "DatasetSpec",
    "MethodSpec",
    "register_dataset",
    "register_method",
]

#: Kinds of methods, in the order of the table: baselines first.
KINDS = ("baseline", "instance", "feature", "parameter", "deep", "selection", "other")


class _Registry(MutableMapping):
    """A name -> spec mapping that registers its built-in entries on first use.

    Parameters
    ----------
    builtins : str
        Module whose import registers the built-in entries.
    """

    def __init__(self, builtins):
        self._builtins = builtins
        self._entries = {}
        self._loaded = False

    def _load(self):
        if self._loaded:
            return
        self._loaded = True  # the built-in module registers through this object
        try:
            importlib.import_module(self._builtins)
        except BaseException:
            self._loaded = False
            raise

    def __getitem__(self, name):
        self._load()
        return self._entries[name]

    def __setitem__(self, name, spec):
        self._load()
        self._entries[name] = spec

    def __delitem__(self, name):
        self._load()
        del self._entries[name]

    def __iter__(self):
        self._load()
        return iter(self._entries)

    def __len__(self):
        self._load()
        return len(self._entries)

    def __contains__(self, name):
        self._load()
        return name in self._entries

    def __repr__(self):
        return f"{type(self).__name__}({list(self)!r})"


#: Registered methods, by name, in registration order (built-ins first).
METHODS = _Registry("sktransfer.benchmark._methods")

#: Registered data sets, by name, in registration order (built-ins first).
DATASETS = _Registry("sktransfer.benchmark._datasets")


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A method the benchmark can run.

    Parameters
    ----------
    name : str
        Name used by ``--methods`` and in the tables.
    build : callable or str
        ``build(base_estimator, random_state)`` returning an unfitted model
        with ``fit(X, y, sample_domain=...)`` and ``predict(X)``; or a
        ``"module:Class"`` string, imported when the method runs (see
        :mod:`sktransfer.benchmark._registry` for how each kind of class is
        used).
    description : str, default=""
        One line for ``sktransfer benchmark --list``.
    kind : str, default="other"
        ``"baseline"``, ``"instance"``, ``"feature"``, ``"parameter"``,
        ``"deep"`` or ``"other"``.
    params : dict, default={}
        Extra parameters of the class named by a ``"module:Class"`` build.
    default : bool, default=True
        Whether a run without ``--methods`` includes the method. Slow
        methods (deep nets, searches) set it to false so that the default
        ``sktransfer benchmark`` stays quick; ``--methods all`` runs them too.

    Examples
    --------
    >>> from sktransfer.benchmark import METHODS
    >>> spec = METHODS["pooled"]
    >>> spec.kind
    'baseline'
    >>> model = spec.make(None, random_state=0)
    >>> type(model).__name__
    'BaselineClassifier'
    """

    name: str
    build: Callable | str
    description: str = ""
    kind: str = "other"
    params: dict = dataclasses.field(default_factory=dict)
    default: bool = True

    def make(self, base_estimator, random_state=None):
        """Build an unfitted model of this method.

        Parameters
        ----------
        base_estimator : classifier or None
            The plain estimator that the method adapts (cloned first);
            ``None`` means :class:`TunedLogisticRegression`.
        random_state : int or None, default=None
            Seed of the method.

        Returns
        -------
        model : object
            An unfitted model with ``fit(X, y, sample_domain=...)`` and
            ``predict(X)``.

        Raises
        ------
        TypeError
            When a ``"module:Class"`` build names a class the benchmark
            cannot run (a sample weighting, a regressor, ...).
        """
        if base_estimator is not None:
            base_estimator = clone(base_estimator)
        if callable(self.build):
            return self.build(base_estimator, random_state)
        return _build_from_path(
            self.name, self.build, base_estimator, random_state, self.params
        )

    def check(self):
        """Check that a ``"module:Class"`` build names a class the benchmark runs.

        Imports the class (a callable build is not checked: it runs user
        code). Called before a run starts, so that a wrong kind of class
        fails at once rather than at its first fit.

        Raises
        ------
        TypeError
            Naming what the class is and what to register instead.
        ImportError, AttributeError
            When the module or the class does not exist.
        """
        if isinstance(self.build, str):
            _build_from_path(self.name, self.build, None, 0, self.params)


def _takes_sample_domain(estimator):
    """Whether ``estimator.fit`` accepts ``sample_domain``."""
    try:
        parameters = inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    return "sample_domain" in parameters


def _import_class(name, path):
    module_name, _, class_name = path.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not inspect.isclass(cls):
        raise TypeError(f"method {name!r}: {path} is not a class.")
    return cls


def _build_from_path(name, path, base_estimator, random_state, params):
    """An unfitted model of a ``"module:Class"`` method, or a clear TypeError."""
    from ._baselines import BaselineClassifier, TransformedClassifier

    cls = _import_class(name, path)
    accepted = inspect.signature(cls).parameters
    kwargs = dict(params)
    if "random_state" in accepted:
        kwargs.setdefault("random_state", random_state)
    model = cls(**kwargs)
    what = f"method {name!r}: {path}"
    if not hasattr(model, "fit"):
        raise TypeError(f"{what} has no fit method; it is not an estimator.")
    if hasattr(model, "compute_weights"):
        raise TypeError(
            f"{what} is a sample weighting (its transform returns one weight "
            "per row, not features), not a feature mapping or a classifier. "
            "Register a build function that trains a classifier on the "
            "weighted rows instead, e.g. ImportanceWeightedClassifier"
            f"({cls.__name__}(), base_estimator)."
        )
    if is_regressor(model):
        raise TypeError(
            f"{what} is a regressor; the benchmark scores the accuracy of classifiers."
        )
    if hasattr(model, "predict"):
        if not is_classifier(model):
            raise TypeError(
                f"{what} has predict but is not a classifier (its estimator "
                "type is not 'classifier'); the benchmark scores the accuracy "
                "of classifiers."
            )
        if "estimator" in accepted and "estimator" not in params:
            model.set_params(estimator=base_estimator)
        if _takes_sample_domain(model):
            return model
        # a plain classifier must not see the unlabeled target rows
        return BaselineClassifier(model, rows="pooled")
    if hasattr(model, "transform"):
        return TransformedClassifier(model, base_estimator)
    raise TypeError(
        f"{what} has neither predict (a classifier) nor transform (a feature mapping)."
    )


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A data set of the benchmark: its pairs, loader and preprocessing.

    Parameters
    ----------
    name : str
        Name used by ``--dataset``.
    pairs : tuple of str
        Names of its source -> target pairs, e.g. ``"books->kitchen"``.
    load : callable
        ``load(pair, *, data_home, download_if_missing, random_state)``
        returning ``X, y, sample_domain`` of one pair (``y`` holds the true
        labels of every row; ``sample_domain`` is 1 on source rows and -1 on
        target rows).
    preprocess : callable or None, default=None
        ``preprocess(X, sample_domain)`` returning the preprocessed ``X`` of a
        pair. It must not use labels.
    n_target_labels : int, default=5
        Default number of target rows that keep their label.
    per_class : bool, default=True
        Whether ``n_target_labels`` counts rows per class.
    description : str, default=""
        One line for ``sktransfer benchmark --list``.
    preprocessing : str, default=""
        What ``preprocess`` does, in words (documented by ``--list``).
    needs_files : bool, default=False
        Whether the data set is read from files (``SKTRANSFER_DATA``).

    Examples
    --------
    >>> from sktransfer.benchmark import DATASETS
    >>> DATASETS["office_caltech"].pairs[:2]
    ('amazon->caltech', 'amazon->dslr')
    """

    name: str
    pairs: tuple
    load: Callable
    preprocess: Callable | None = None
    n_target_labels: int = 5
    per_class: bool = True
    description: str = ""
    preprocessing: str = ""
    needs_files: bool = False


def _register(registry, spec, replace):
    if spec.name in registry and not replace:
        raise ValueError(
            f"{spec.name!r} is already registered; pass replace=True to replace it."
        )
    registry[spec.name] = spec
    return spec


def register_method(
    name,
    build=None,
    *,
    description="",
    kind="other",
    params=None,
    default=True,
    replace=False,
):
    """Register a method with the benchmark.

    Parameters
    ----------
    name : str
        Name used by ``--methods`` and in the tables.
    build : callable or str, default=None
        ``build(base_estimator, random_state)`` returning an unfitted model,
        or a ``"module:Class"`` string (see
        :mod:`sktransfer.benchmark._registry`). ``None`` returns a decorator
        that registers the decorated function.
    description : str, default=""
        One line for ``sktransfer benchmark --list``.
    kind : str, default="other"
        One of ``"baseline"``, ``"instance"``, ``"feature"``,
        ``"parameter"``, ``"deep"``, ``"other"``.
    params : dict, default=None
        Extra parameters of a ``"module:Class"`` build.
    default : bool, default=True
        Whether a run without ``--methods`` includes the method; set it to
        false for slow methods.
    replace : bool, default=False
        Whether to replace a method registered under the same name.

    Returns
    -------
    spec_or_decorator : MethodSpec or callable
        The registered spec, or the decorator when ``build`` is ``None``
        (it returns the function unchanged).

    Raises
    ------
    TypeError
        When ``build`` is neither a callable nor a ``"module:Class"`` string,
        or, for a string whose module is already imported, when the class is
        of a kind the benchmark cannot run (see
        :mod:`sktransfer.benchmark._registry`).

    Examples
    --------
    >>> from sktransfer.benchmark import METHODS, BaselineClassifier
    >>> from sktransfer.benchmark import register_method
    >>> @register_method("pooled_copy", kind="baseline", description="demo")
    ... def build(base_estimator, random_state):
    ...     return BaselineClassifier(base_estimator, rows="pooled")
    >>> "pooled_copy" in METHODS
    True
    >>> del METHODS["pooled_copy"]
    >>> import sktransfer.instance
    >>> register_method("kmm", "sktransfer.instance:KernelMeanMatching")
    Traceback (most recent call last):
    ...
    TypeError: method 'kmm': sktransfer.instance:KernelMeanMatching is a sample ...
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    if build is None:

        def decorator(function):
            register_method(
                name,
                function,
                description=description,
                kind=kind,
                params=params,
                default=default,
                replace=replace,
            )
            return function

        return decorator
    if not (callable(build) or (isinstance(build, str) and ":" in build)):
        raise TypeError(
            f"build must be a callable or a 'module:Class' string, got {build!r}."
        )
    spec = MethodSpec(name, build, description, kind, dict(params or {}), default)
    if isinstance(build, str) and build.partition(":")[0] in sys.modules:
        spec.check()  # importing costs nothing: refuse a wrong kind right away
    return _register(METHODS, spec, replace)


def register_dataset(spec, *, replace=False):
    """Register a data set with the benchmark.

    Parameters
    ----------
    spec : DatasetSpec
        The data set.
    replace : bool, default=False
        Whether to replace a data set registered under the same name.

    Returns
    -------
    spec : DatasetSpec
        The registered spec.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.benchmark import DATASETS, DatasetSpec, register_dataset
    >>> def load(pair, *, data_home, download_if_missing, random_state):
    ...     X = np.arange(8.0).reshape(4, 2)
    ...     return X, np.array([0, 1, 0, 1]), np.array([1, 1, -1, -1])
    >>> spec = register_dataset(DatasetSpec("toy", ("a->b",), load))
    >>> sorted(DATASETS["toy"].pairs)
    ['a->b']
    >>> del DATASETS["toy"]
    """
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"spec must be a DatasetSpec, got {type(spec).__name__}.")
    return _register(DATASETS, spec, replace)
