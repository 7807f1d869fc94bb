"""Pipelines of domain-adaptive steps and plain scikit-learn estimators.

A feature mapping such as TCA must see every row, unlabeled target rows
included; a plain classifier after it must not, or it would learn the
unlabeled marker ``-1`` as a class. :class:`LabeledRowsEstimator` fits a plain
estimator on the labeled rows only, and :func:`make_transfer_pipeline` builds
a :class:`~sklearn.pipeline.Pipeline` whose last step is wrapped that way when
it does not take ``sample_domain`` itself.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._domain import DomainAwareMixin, labeled_mask, validate_domain_data
from .utils._delegation import ClassifierOutputsMixin, wrapped_estimator_has

__all__ = ["LabeledRowsEstimator", "make_transfer_pipeline"]


class LabeledRowsEstimator(
    ClassifierOutputsMixin, DomainAwareMixin, MetaEstimatorMixin, BaseEstimator
):
    """Fit a plain estimator on the labeled rows only.

    Source rows and labeled target rows are kept; target rows marked
    unlabeled (``y = -1`` in classification, ``y = nan`` in regression) are
    dropped. Use it as the last step of a pipeline whose earlier steps adapt
    the features with ``sample_domain``, so that it receives the same ``X``,
    ``y`` and ``sample_domain`` as they do.

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

    def __init__(self, estimator=None):
        self.estimator = estimator

    def _final_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

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
        X, y, sample_domain = validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc") if get_tags(base).input_tags.sparse else False,
            ensure_all_finite=not get_tags(base).input_tags.allow_nan,
            regression=get_tags(base).estimator_type == "regressor",
        )
        rows = np.flatnonzero(labeled_mask(y, sample_domain))
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
        """Score of the fitted estimator (accuracy or R^2).

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
        return self.estimator_.score(X, y, sample_weight=sample_weight)

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


def _takes_sample_domain(estimator):
    request = getattr(estimator, "__metadata_request__fit", {})
    return isinstance(estimator, DomainAwareMixin) or "sample_domain" in request


def make_transfer_pipeline(*steps, memory=None, verbose=False):
    """Build a pipeline whose plain last step fits on labeled rows only.

    Like :func:`sklearn.pipeline.make_pipeline`, with one difference: when
    the last step does not take ``sample_domain`` (a plain scikit-learn
    classifier or regressor), it is wrapped in :class:`LabeledRowsEstimator`
    and named after the wrapped estimator. Then
    ``pipe.fit(X, y, sample_domain=sd)`` (metadata routing on) or
    ``pipe.fit(X, y, step__sample_domain=sd, ...)`` (routing off, once per
    step that takes it) trains the adaptive steps on every row and the last
    step on the labeled rows.

    Parameters
    ----------
    *steps : list of estimators
        The steps, as for :func:`~sklearn.pipeline.make_pipeline`.
    memory : str or object with the joblib.Memory interface, default=None
        Caches fitted transformers.
    verbose : bool, default=False
        Prints the time of each step.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.pipeline import make_transfer_pipeline
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=5, random_state=0)
    >>> pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    >>> [name for name, _ in pipe.steps]
    ['standardscaler', 'logisticregression']
    >>> pipe = pipe.fit(X, y, logisticregression__sample_domain=sd)
    >>> pipe.classes_
    array([0, 1])
    """
    *head, last = steps
    if last is not None and last != "passthrough" and not _takes_sample_domain(last):
        pipe = make_pipeline(*head, last, memory=memory, verbose=verbose)
        name = pipe.steps[-1][0]
        pipe.steps[-1] = (name, LabeledRowsEstimator(last))
        return pipe
    return make_pipeline(*steps, memory=memory, verbose=verbose)
