"""Pipelines of domain-adaptive steps and plain scikit-learn estimators.

A feature mapping such as TCA must see every row, unlabeled target rows
included; a plain classifier after it must not, or it would learn the
unlabeled marker ``-1`` as a class. :class:`LabeledRowsEstimator` fits a plain
estimator on the labeled rows only; :class:`TransferPipeline` is a
:class:`~sklearn.pipeline.Pipeline` whose ``fit`` takes ``sample_domain``
whether metadata routing is on or off; :func:`make_transfer_pipeline` builds
one, with its last step wrapped in :class:`LabeledRowsEstimator` when it does
not take ``sample_domain`` itself.
"""

import inspect
import sys
import weakref

import numpy as np
import scipy.sparse as sp
import sklearn.pipeline
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from ._domain import (
    UNLABELED,
    DomainAwareMixin,
    _unlabeled_rows,
    labeled_mask,
    validate_domain_data,
)
from .utils._delegation import ClassifierOutputsMixin, wrapped_estimator_has
from .utils._warnings import warn

__all__ = ["LabeledRowsEstimator", "TransferPipeline", "make_transfer_pipeline"]


def _scorable_rows(estimator, y):
    """Rows of ``y`` that a fitted ``estimator`` can be scored on.

    A row whose label is the unlabeled marker has nothing to compare a
    prediction with: ``nan`` in regression, and ``-1`` in classification
    unless ``-1`` is one of the fitted classes (a real class of the source).
    Scores are computed without ``sample_domain``, so the marker is dropped on
    every row.
    """
    y = np.asarray(y)
    if is_regressor(estimator):
        return ~_unlabeled_rows(y, regression=True)
    if not is_classifier(estimator):
        return np.ones(y.shape[0], dtype=bool)
    classes = getattr(estimator, "classes_", None)
    if classes is not None and _unlabeled_rows(np.asarray(classes), False).any():
        return np.ones(y.shape[0], dtype=bool)
    return ~_unlabeled_rows(y, regression=False)


def _score_labeled_rows(score, estimator, X, y, sample_weight, params):
    """``score(X, y, ...)`` on the rows of ``y`` that are not unlabeled markers."""
    if y is None:
        return score(X, y, sample_weight=sample_weight, **params)
    y = np.asarray(y)
    keep = _scorable_rows(estimator, y)
    if keep.all():
        return score(X, y, sample_weight=sample_weight, **params)
    if not keep.any():
        marker = "nan" if is_regressor(estimator) else str(UNLABELED)
        raise ValueError(
            f"Every row of y is the unlabeled marker (y = {marker}): there is "
            f"nothing to score {type(estimator).__name__} on."
        )
    rows = np.flatnonzero(keep)
    n_rows = y.shape[0]
    if sample_weight is not None:
        sample_weight = _safe_indexing(sample_weight, rows)
    params = {
        key: _safe_indexing(value, rows)
        if np.ndim(value) and _num_samples(value) == n_rows
        else value
        for key, value in params.items()
    }
    return score(
        _safe_indexing(X, rows), y[rows], sample_weight=sample_weight, **params
    )


class LabeledRowsEstimator(
    ClassifierOutputsMixin, DomainAwareMixin, MetaEstimatorMixin, BaseEstimator
):
    """Fit a plain estimator on the labeled rows only.

    Source rows and labeled target rows are kept; target rows marked
    unlabeled (``y = -1`` in classification, ``y = nan`` in regression, where
    ``-1.0`` is a value like any other) are dropped. Use it as the last step
    of a pipeline whose earlier steps adapt the features with
    ``sample_domain``, so that it receives the same ``X``, ``y`` and
    ``sample_domain`` as they do.

    Parameters
    ----------
    estimator : estimator, default=None
        The plain classifier or regressor to fit; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`. It is cloned.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes of a fitted classifier.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    make_transfer_pipeline : Builds a pipeline with this as its last step.

    Notes
    -----
    :meth:`score` leaves out the rows whose ``y`` is the unlabeled marker
    (``nan`` in regression; ``-1`` in classification unless ``-1`` is a
    fitted class), so that a search scoring folds with unlabeled target rows
    does not count them as errors.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.pipeline import LabeledRowsEstimator
    >>> X = np.array([[0.0], [1.0], [0.2], [0.9], [0.5]])
    >>> y = np.array([0, 1, 0, -1, -1])
    >>> clf = LabeledRowsEstimator(LogisticRegression())
    >>> clf.fit(X, y, sample_domain=[1, 1, -1, -1, -1]).classes_
    array([0, 1])
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit"]), None]}

    def __init__(self, estimator=None):
        self.estimator = estimator

    def _final_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None, **fit_params):
        """Fit the estimator on the labeled rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Labels with unlabeled markers on target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row.
        **fit_params : dict
            Passed to the estimator's ``fit``; per-row arrays (e.g.
            ``sample_weight``) are cut to the labeled rows.

        Returns
        -------
        self : LabeledRowsEstimator
            The fitted estimator.
        """
        base = self._final_estimator()
        regression = is_regressor(base)
        X, y, sample_domain = validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc") if get_tags(base).input_tags.sparse else False,
            ensure_all_finite=not get_tags(base).input_tags.allow_nan,
            regression=regression,
        )
        rows = np.flatnonzero(labeled_mask(y, sample_domain, regression=regression))
        if rows.size == 0:
            raise ValueError("LabeledRowsEstimator got no labeled rows to fit on.")
        fit_params = {
            key: np.asarray(value)[rows]
            if np.ndim(value) and len(value) == len(y)
            else value
            for key, value in fit_params.items()
        }
        X_labeled = X[rows] if sp.issparse(X) else np.asarray(X)[rows]
        self.estimator_ = clone(base).fit(X_labeled, y[rows], **fit_params)
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    def _check_X(self, X):
        check_is_fitted(self)
        base_tags = get_tags(self.estimator_)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc") if base_tags.input_tags.sparse else False,
            ensure_all_finite=not base_tags.input_tags.allow_nan,
        )

    @available_if(wrapped_estimator_has("predict"))
    def predict(self, X):
        """Predict with the fitted estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self.estimator_.predict(X)

    @available_if(wrapped_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the fitted estimator (accuracy or R^2) on the labeled rows.

        Rows whose ``y`` is the unlabeled marker are left out: ``nan`` in
        regression, ``-1`` in classification unless ``-1`` is one of
        ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        X = self._check_X(X)
        return _score_labeled_rows(
            self.estimator_.score, self.estimator_, X, y, sample_weight, {}
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base_tags = get_tags(self._final_estimator())
        tags.estimator_type = base_tags.estimator_type
        tags.classifier_tags = base_tags.classifier_tags
        tags.regressor_tags = base_tags.regressor_tags
        tags.target_tags.required = True
        tags.input_tags.sparse = base_tags.input_tags.sparse
        tags.input_tags.allow_nan = base_tags.input_tags.allow_nan
        return tags


def _routing_on():
    return get_config().get("enable_metadata_routing", False)


def _is_step(step):
    return step is not None and not (isinstance(step, str) and step == "passthrough")


def _fit_takes_sample_domain(estimator):
    try:
        return "sample_domain" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without signature
        return False


def _takes_sample_domain(estimator):
    """Whether ``estimator`` is a domain-aware step (it requests ``sample_domain``)."""
    if isinstance(estimator, TransferPipeline):
        return bool(_step_sample_domain_params(estimator, None))
    request = getattr(estimator, "__metadata_request__fit", {})
    return isinstance(estimator, DomainAwareMixin) or "sample_domain" in request


def _step_sample_domain_params(pipeline, sample_domain):
    """``{"step__sample_domain": sample_domain}`` for each step that takes it.

    The spelling of a pipeline's fit parameters with metadata routing off;
    steps that are pipelines themselves are searched too.
    """
    params = {}
    for name, step in pipeline.steps:
        if not _is_step(step):
            continue
        if isinstance(step, TransferPipeline):
            if _step_sample_domain_params(step, sample_domain):
                params[f"{name}__sample_domain"] = sample_domain
        elif isinstance(step, Pipeline):
            inner = _step_sample_domain_params(step, sample_domain)
            params.update({f"{name}__{key}": value for key, value in inner.items()})
        elif _fit_takes_sample_domain(step):
            params[f"{name}__sample_domain"] = sample_domain
    return params


def _sample_domain_fit_params(estimator, sample_domain):
    """The fit parameters that hand ``sample_domain`` to ``estimator``.

    Empty when no part of ``estimator`` takes it (a plain estimator). With
    metadata routing on, ``sample_domain`` where the estimator requests it;
    with routing off, ``step__sample_domain`` for each step of a plain
    :class:`~sklearn.pipeline.Pipeline` that takes it, and ``sample_domain``
    for a :class:`TransferPipeline` or an estimator whose ``fit`` takes it.
    """
    if _routing_on():
        consumed = get_routing_for_object(estimator).consumes("fit", ["sample_domain"])
        return {"sample_domain": sample_domain} if consumed else {}
    if isinstance(estimator, TransferPipeline):
        if _step_sample_domain_params(estimator, sample_domain):
            return {"sample_domain": sample_domain}
        return {}
    if isinstance(estimator, Pipeline):
        return _step_sample_domain_params(estimator, sample_domain)
    if _fit_takes_sample_domain(estimator):
        return {"sample_domain": sample_domain}
    return {}


def _is_plain_predictor(estimator):
    return (
        _is_step(estimator)
        and (is_classifier(estimator) or is_regressor(estimator))
        and not _takes_sample_domain(estimator)
    )


def _with_labeled_final_step(estimator):
    """``estimator``, or a copy whose plain last step fits on labeled rows only.

    A pipeline with domain-aware steps and a plain classifier or regressor
    at the end (``make_pipeline(TCA(), LogisticRegression())``) gets its last
    step wrapped in :class:`LabeledRowsEstimator`, as
    :func:`make_transfer_pipeline` would have built it.
    """
    if not isinstance(estimator, Pipeline):
        return estimator
    name, final = estimator.steps[-1]
    if not _is_plain_predictor(final):
        return estimator
    if not any(_takes_sample_domain(step) for _, step in estimator.steps[:-1]):
        return estimator
    return clone(estimator).set_params(**{name: LabeledRowsEstimator(final)})


def _pipeline_has(method):
    """Check for ``available_if``: does :class:`~sklearn.pipeline.Pipeline` offer it?"""

    def check(self):
        return hasattr(super(TransferPipeline, self), method)

    return check


class TransferPipeline(Pipeline):
    """A pipeline whose ``fit`` takes ``sample_domain``, with routing on or off.

    A :class:`~sklearn.pipeline.Pipeline` with two differences:

    - ``fit(X, y, sample_domain=sd)`` (and ``fit_transform``,
      ``fit_predict``) works whether scikit-learn's metadata routing is on or
      off. With routing off, ``sample_domain`` goes to every step whose
      ``fit`` takes it (as ``step__sample_domain`` would); with routing on,
      the steps that request it receive it as usual. The step-prefixed
      spelling keeps working with routing off.
    - :meth:`score` leaves out the rows whose ``y`` is the unlabeled marker
      (``-1`` when it is not a fitted class, ``nan`` in regression), which
      have nothing to be compared with.

    Build one with :func:`make_transfer_pipeline`, which also makes a plain
    last step fit on the labeled rows only. The parameters are those of
    :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    steps : list of tuples
        ``(name, estimator)`` pairs, as for
        :class:`~sklearn.pipeline.Pipeline`.
    transform_input : list of str, default=None
        Metadata transformed by the steps before it reaches the estimator
        that consumes it (metadata routing on); see
        :class:`~sklearn.pipeline.Pipeline`.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers.
    verbose : bool, default=False
        Prints the time of each step.

    Attributes
    ----------
    named_steps : Bunch
        The steps by name.
    classes_ : ndarray of shape (n_classes,)
        Classes of the last step, when it is a classifier.
    n_features_in_ : int
        Number of features seen by the first step.

    See Also
    --------
    make_transfer_pipeline : Builds a transfer pipeline.
    LabeledRowsEstimator : Fits a plain last step on the labeled rows only.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import TransferComponentAnalysis
    >>> from sktransfer.pipeline import LabeledRowsEstimator, TransferPipeline
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=5, random_state=0)
    >>> pipe = TransferPipeline([
    ...     ("scale", StandardScaler()),
    ...     ("tca", TransferComponentAnalysis(n_components=2, random_state=0)),
    ...     ("clf", LabeledRowsEstimator(LogisticRegression())),
    ... ])
    >>> pipe.fit(X, y, sample_domain=sd).classes_
    array([0, 1])
    """

    def _with_sample_domain(self, params):
        if "sample_domain" not in params or _routing_on():
            return params
        params = dict(params)
        sample_domain = params.pop("sample_domain")
        routed = _step_sample_domain_params(self, sample_domain)
        if not routed:
            raise ValueError(
                f"{type(self).__name__}.fit got sample_domain, but no step of the "
                "pipeline takes it: its steps are plain estimators. Drop "
                "sample_domain, or add a domain-aware step."
            )
        return {**routed, **params}

    def fit(self, X, y=None, **params):
        """Fit the steps one after the other, ``sample_domain`` to those that take it.

        Parameters
        ----------
        X : iterable
            Rows of all domains, as the first step takes them.
        y : iterable, default=None
            Labels, with the unlabeled marker on unlabeled target rows.
        **params : dict of str -> object
            ``sample_domain=...`` (positive on source rows, negative on
            target rows) goes to every step that takes it, with metadata
            routing on or off. Other parameters as for
            :meth:`sklearn.pipeline.Pipeline.fit`: ``step__param`` with
            routing off, routed by name with routing on.

        Returns
        -------
        self : TransferPipeline
            The fitted pipeline.
        """
        return super().fit(X, y, **self._with_sample_domain(params))

    @available_if(_pipeline_has("fit_transform"))
    def fit_transform(self, X, y=None, **params):
        """Fit the steps and transform ``X`` with the last one.

        Parameters
        ----------
        X : iterable
            Rows of all domains.
        y : iterable, default=None
            Labels, with the unlabeled marker on unlabeled target rows.
        **params : dict of str -> object
            As for :meth:`fit`.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_transformed_features)
            The transformed rows.
        """
        return super().fit_transform(X, y, **self._with_sample_domain(params))

    @available_if(_pipeline_has("fit_predict"))
    def fit_predict(self, X, y=None, **params):
        """Fit the steps and predict ``X`` with the last one's ``fit_predict``.

        Parameters
        ----------
        X : iterable
            Rows of all domains.
        y : iterable, default=None
            Labels, with the unlabeled marker on unlabeled target rows.
        **params : dict of str -> object
            As for :meth:`fit`.

        Returns
        -------
        y_pred : ndarray
            The predictions.
        """
        return super().fit_predict(X, y, **self._with_sample_domain(params))

    @available_if(_pipeline_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        """Transform ``X`` and score the last step on the labeled rows.

        Rows whose ``y`` is the unlabeled marker are left out: ``nan`` in
        regression, ``-1`` in classification unless ``-1`` is a fitted
        class.

        Parameters
        ----------
        X : iterable
            Rows to score.
        y : iterable, default=None
            Their labels.
        sample_weight : array-like, default=None
            Passed to the last step's ``score``.
        **params : dict of str -> object
            As for :meth:`sklearn.pipeline.Pipeline.score`.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        return _score_labeled_rows(super().score, self, X, y, sample_weight, params)


def make_transfer_pipeline(*steps, memory=None, transform_input=None, verbose=False):
    """Build a transfer pipeline whose plain last step fits on labeled rows only.

    Like :func:`sklearn.pipeline.make_pipeline` (steps named after their
    class), with two differences:

    - when the last step does not take ``sample_domain`` (a plain
      scikit-learn classifier or regressor), it is wrapped in
      :class:`LabeledRowsEstimator` and named after the wrapped estimator
      (``logisticregression__estimator__C`` in a grid);
    - the result is a :class:`TransferPipeline`, so
      ``pipe.fit(X, y, sample_domain=sd)`` works with metadata routing on or
      off, and ``pipe.score`` leaves out unlabeled rows.

    The adaptive steps are then fitted on every row, the last step on the
    labeled rows.

    Parameters
    ----------
    *steps : list of estimators
        The steps, as for :func:`~sklearn.pipeline.make_pipeline`.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers.
    transform_input : list of str, default=None
        See :class:`~sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        Prints the time of each step.

    Returns
    -------
    pipeline : TransferPipeline

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import TransferComponentAnalysis
    >>> from sktransfer.pipeline import make_transfer_pipeline
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=5, random_state=0)
    >>> pipe = make_transfer_pipeline(
    ...     StandardScaler(),
    ...     TransferComponentAnalysis(n_components=2, random_state=0),
    ...     LogisticRegression(),
    ... )
    >>> [name for name, _ in pipe.steps]
    ['standardscaler', 'transfercomponentanalysis', 'logisticregression']
    >>> pipe.fit(X, y, sample_domain=sd).classes_
    array([0, 1])
    """
    plain = make_pipeline(
        *steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
    pipe = TransferPipeline(
        plain.steps, transform_input=transform_input, memory=memory, verbose=verbose
    )
    name, last = pipe.steps[-1]
    if _is_step(last) and not _takes_sample_domain(last):
        pipe.steps[-1] = (name, LabeledRowsEstimator(last))
    return pipe


# -- the warning of a plain pipeline that trains on unlabeled rows -----------

_PIPELINE_SOURCE = sklearn.pipeline.__file__
_WARNED_PIPELINES = weakref.WeakSet()


def _enclosing_pipelines():
    """The :class:`~sklearn.pipeline.Pipeline` objects being fitted up the stack."""
    frame = sys._getframe(1)
    seen = set()
    while frame is not None:
        if frame.f_code.co_filename == _PIPELINE_SOURCE:
            owner = frame.f_locals.get("self")
            if isinstance(owner, Pipeline) and id(owner) not in seen:
                seen.add(id(owner))
                yield owner
        frame = frame.f_back


def _warn_if_pipeline_fits_unlabeled_rows(step, y, sample_domain):
    """Warn when a pipeline will fit its plain last step on unlabeled rows.

    Called by a domain-aware ``step`` that is fitted with ``y`` and
    ``sample_domain``. When the step is inside a plain
    :class:`~sklearn.pipeline.Pipeline` whose last step is a classifier or
    regressor that does not take ``sample_domain``, that last step will be
    fitted on every row, unlabeled markers included (``-1`` becomes a class).
    Warned once per pipeline.
    """
    if y is None or sample_domain is None or not np.any(np.asarray(sample_domain) < 0):
        return
    for pipeline in _enclosing_pipelines():
        final = pipeline.steps[-1][1]
        if final is step or not _is_plain_predictor(final):
            continue
        regression = is_regressor(final)
        n_unlabeled = int(
            np.sum(~labeled_mask(y, sample_domain, regression=regression))
        )
        if n_unlabeled == 0 or pipeline in _WARNED_PIPELINES:
            return
        _WARNED_PIPELINES.add(pipeline)
        marker = "nan" if regression else str(UNLABELED)
        consequence = (
            "refuses the nan labels" if regression else f"learns {UNLABELED} as a class"
        )
        warn(
            f"{type(step).__name__} was fitted with sample_domain, but the last "
            f"step of this pipeline, {type(final).__name__}, does not take it: it "
            f"is fitted on every row, including {n_unlabeled} unlabeled target "
            f"row(s) (y = {marker}), and so {consequence}. Build the pipeline "
            "with sktransfer.pipeline.make_transfer_pipeline(...), or wrap the "
            "last step in sktransfer.pipeline.LabeledRowsEstimator, which fits it "
            "on the labeled rows only.",
            UserWarning,
        )
        return
