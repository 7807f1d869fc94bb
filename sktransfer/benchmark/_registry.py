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

Adding a method is one line in the section "Registered methods" at the end of
this module, e.g.::

    register_method("tradaboost", "sktransfer.instance:TrAdaBoostClassifier",
                    kind="instance", description="TrAdaBoost (Dai et al., 2007)")

A ``"module:Class"`` string is imported only when the method runs (so torch
is not imported by ``sktransfer benchmark --list``); the class is built with
``estimator=base_estimator`` and ``random_state=random_state`` when it takes
those parameters, plus ``params``. A feature mapping (a transformer) is
wrapped so that the mapping is fitted on all rows and the base estimator on
the labeled, mapped rows::

    register_method("tca", "sktransfer.feature:TransferComponentAnalysis",
                    kind="feature", params={"n_components": 20})

Anything else is a callable ``build(base_estimator, random_state)``, written
with the decorator form::

    @register_method("my_method", kind="instance", description="...")
    def _build_my_method(base_estimator, random_state):
        from sktransfer.instance import MyMethod
        return MyMethod(base_estimator, gamma=0.1, random_state=random_state)

Registering a data set
----------------------
A :class:`DatasetSpec` (see :func:`register_dataset`) names the pairs of the
data set, how to load one pair as ``X, y, sample_domain``, its preprocessing
(part of the protocol, fitted without labels) and the default number of
labeled target rows. The built-in data sets are registered in
``sktransfer/benchmark/_datasets.py``.
"""

import dataclasses
import importlib
import inspect
from collections.abc import Callable

from sklearn.base import TransformerMixin, clone

from ._baselines import BaselineClassifier, TransformedClassifier

__all__ = [
    "DATASETS",
    "METHODS",
    "DatasetSpec",
    "MethodSpec",
    "register_dataset",
    "register_method",
]

#: Kinds of methods, in the order of the table: baselines first.
KINDS = ("baseline", "instance", "feature", "parameter", "deep", "other")


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
        ``"module:Class"`` string, imported when the method runs.
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
        """
        if base_estimator is not None:
            base_estimator = clone(base_estimator)
        if callable(self.build):
            return self.build(base_estimator, random_state)
        return _build_from_path(self.build, base_estimator, random_state, self.params)


def _build_from_path(path, base_estimator, random_state, params):
    module_name, _, class_name = path.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    accepted = inspect.signature(cls).parameters
    kwargs = dict(params)
    if "random_state" in accepted:
        kwargs.setdefault("random_state", random_state)
    is_mapping = issubclass(cls, TransformerMixin) or not hasattr(cls, "predict")
    if "estimator" in accepted and not is_mapping:
        kwargs.setdefault("estimator", base_estimator)
    model = cls(**kwargs)
    if is_mapping:
        return TransformedClassifier(model, base_estimator)
    return model


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


#: Registered methods, by name, in registration order.
METHODS: dict = {}

#: Registered data sets, by name, in registration order.
DATASETS: dict = {}


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
        or a ``"module:Class"`` string (see the module docstring). ``None``
        returns a decorator that registers the decorated function.
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


# ---------------------------------------------------------------------------
# Registered methods. Add yours here: one register_method(...) line each.
# ---------------------------------------------------------------------------


def _baseline(rows):
    def build(base_estimator, random_state):
        return BaselineClassifier(base_estimator, rows=rows)

    return build


register_method(
    "source_only",
    _baseline("source"),
    kind="baseline",
    description="base estimator fitted on the source rows",
)
register_method(
    "target_only",
    _baseline("target"),
    kind="baseline",
    description="base estimator fitted on the few labeled target rows",
)
register_method(
    "pooled",
    _baseline("pooled"),
    kind="baseline",
    description="base estimator fitted on the source and labeled target rows",
)

# --- instance-based transfer (sktransfer.instance) --------------------------


def _weighted_base(base_estimator):
    """The base estimator if its fit takes sample_weight, else a plain
    ``LogisticRegression`` with the same ``C`` and ``max_iter`` (the default
    ``TunedLogisticRegression`` cross-validates without weights)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils.validation import has_fit_parameter

    if base_estimator is not None and has_fit_parameter(
        base_estimator, "sample_weight"
    ):
        return base_estimator
    params = base_estimator.get_params() if base_estimator is not None else {}
    return LogisticRegression(
        C=params.get("C", 1.0), max_iter=params.get("max_iter", 500)
    )


def _instance(make):
    def build(base_estimator, random_state):
        return make(_weighted_base(base_estimator), random_state)

    return build


def _tradaboost(**options):
    def make(base, random_state):
        from sktransfer.instance import TrAdaBoostClassifier

        return TrAdaBoostClassifier(
            base, n_estimators=20, random_state=random_state, **options
        )

    return _instance(make)


def _importance_weighted(weighting):
    def make(base, random_state):
        from sktransfer import instance

        return instance.ImportanceWeightedClassifier(
            getattr(instance, weighting)(), base
        )

    return _instance(make)


register_method(
    "tradaboost",
    _tradaboost(),
    kind="instance",
    description="TrAdaBoost as in Dai et al. 2007, 20 rounds (weighted base)",
)
register_method(
    "tradaboost_dynamic",
    _tradaboost(dynamic_correction=True),
    kind="instance",
    default=False,
    description="TrAdaBoost with Al-Stouhi and Reddy's dynamic correction",
)
register_method(
    "tradaboost_balanced",
    _tradaboost(target_weight=0.5),
    kind="instance",
    default=False,
    description="TrAdaBoost starting with half the weight on the target rows",
)
register_method(
    "tradaboost_balanced_dynamic",
    _tradaboost(target_weight=0.5, dynamic_correction=True),
    kind="instance",
    default=False,
    description="TrAdaBoost, half the initial weight on target rows, dynamic",
)
register_method(
    "tradaboost_target_cv",
    _tradaboost(selection="target_cv"),
    kind="instance",
    default=False,
    description="TrAdaBoost, target weight and rounds by CV on the target rows",
)
register_method(
    "iw_kmm",
    _importance_weighted("KernelMeanMatching"),
    kind="instance",
    default=False,
    description="base estimator on source rows weighted by kernel mean matching",
)
register_method(
    "iw_kliep",
    _importance_weighted("KLIEP"),
    kind="instance",
    default=False,
    description="base estimator on source rows weighted by KLIEP",
)
register_method(
    "iw_discriminative",
    _importance_weighted("DiscriminativeDensityRatio"),
    kind="instance",
    description="base estimator on source rows weighted by a domain classifier",
)

# --- feature-based transfer (sktransfer.feature) ----------------------------

register_method(
    "tca",
    "sktransfer.feature:TransferComponentAnalysis",
    kind="feature",
    description="Transfer Component Analysis, linear kernel (Pan et al., 2011)",
)


@register_method(
    "jda",
    kind="feature",
    default=False,
    description="Joint Distribution Adaptation, linear kernel (Long et al., 2013)",
)
def _build_jda(base_estimator, random_state):
    from sktransfer.feature import JointDistributionAdaptation

    return TransformedClassifier(
        JointDistributionAdaptation(random_state=random_state), base_estimator
    )


register_method(
    "coral",
    "sktransfer.feature:CORAL",
    kind="feature",
    description="CORrelation ALignment of the source rows (Sun et al., 2016)",
)
register_method(
    "subspace_alignment",
    "sktransfer.feature:SubspaceAlignment",
    kind="feature",
    description="Subspace Alignment (Fernando et al., 2013)",
)
register_method(
    "feature_augmentation",
    "sktransfer.feature:FeatureAugmentation",
    kind="feature",
    description="Feature augmentation [x, x, 0] / [x, 0, x] (Daume III, 2007)",
)
register_method(
    "msda",
    "sktransfer.feature:MarginalizedDenoisingAutoencoder",
    kind="feature",
    default=False,
    description="Marginalized stacked denoising autoencoder (Chen et al., 2012)",
)
register_method(
    "invariant_features",
    "sktransfer.feature:DomainInvariantFeatureSelector",
    kind="feature",
    description="drop the features with a significant KS shift (Holm, alpha=0.05)",
)
register_method(
    "pivot_features",
    "sktransfer.feature:PivotFeatureSelector",
    kind="feature",
    description="keep the SCL-MI pivots: up to 1000 features frequent in both "
    "domains with the most mutual information with the label (Blitzer et al., "
    "2007)",
)
register_method(
    "scl",
    "sktransfer.feature:StructuralCorrespondenceLearning",
    kind="feature",
    description="Structural correspondence learning (SCL-MI): the input features "
    "plus their projection onto 50 directions that predict the pivots (Blitzer et "
    "al., 2006, 2007)",
)

# --- parameter-based transfer (sktransfer.parameter) ------------------------


def _linear_source_model(base_estimator, random_state):
    """The base estimator if linear, else the tuned baseline's own model.

    That is LogisticRegressionCV with the Cs, folds and scoring of
    TunedLogisticRegression, so prior_logreg's source model is source_only's.
    """
    if base_estimator is not None and hasattr(base_estimator, "coef_"):
        return base_estimator
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    from ._baselines import _DEFAULT_CS, _LRCV_EXTRA

    return LogisticRegressionCV(
        Cs=list(_DEFAULT_CS),
        cv=StratifiedKFold(3, shuffle=True, random_state=random_state),
        scoring="neg_log_loss",
        max_iter=500,
        random_state=random_state,
        **_LRCV_EXTRA,
    )


@register_method(
    "prior_logreg",
    kind="parameter",
    description="logistic regression on target rows with a prior at the source "
    "model (Chelba and Acero, 2006), alpha=1",
)
def _build_prior_logreg(base_estimator, random_state):
    from sktransfer.parameter import PriorRegularizedClassifier

    return PriorRegularizedClassifier(
        _linear_source_model(base_estimator, random_state), alpha=1.0
    )


@register_method(
    "prior_logreg_cv",
    kind="parameter",
    default=False,
    description="prior_logreg with alpha in 0.1 ... 1000 chosen by 3-fold CV "
    "on the labeled target rows",
)
def _build_prior_logreg_cv(base_estimator, random_state):
    from sktransfer.parameter import PriorRegularizedClassifier

    return PriorRegularizedClassifier(
        _linear_source_model(base_estimator, random_state),
        alpha=(0.1, 1.0, 10.0, 100.0, 1000.0),
    )


# --- deep transfer (sktransfer.deep) ----------------------------------------
register_method(
    "dann",
    "sktransfer.deep:DANNClassifier",
    kind="deep",
    default=False,
    description="Domain-adversarial neural network (Ganin et al., 2016)",
)

register_method(
    "deep_coral",
    "sktransfer.deep:DeepCORALClassifier",
    kind="deep",
    default=False,
    description="MLP whose logits' covariances are aligned across domains "
    "(Deep CORAL, Sun and Saenko, 2016)",
)

register_method(
    "cdan",
    "sktransfer.deep:CDANClassifier",
    kind="deep",
    default=False,
    description="Conditional domain-adversarial network, CDAN+E (Long et al., 2018)",
)

register_method(
    "finetune",
    "sktransfer.deep:FineTuningClassifier",
    kind="deep",
    default=False,
    description="MLP pre-trained on the source rows, then fine-tuned on the "
    "labeled target rows (dense inputs only)",
    params={"max_epochs": 30, "fine_tune_epochs": 30, "lr": 1e-3},
)
