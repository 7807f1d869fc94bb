"""The base estimator of the benchmark and the three non-transfer baselines."""

import inspect
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from .._domain import DomainAwareMixin, check_sample_domain, labeled_mask

__all__ = ["BaselineClassifier", "TransformedClassifier", "TunedLogisticRegression"]

_DEFAULT_CS = tuple(np.logspace(-3, 3, 7))

# Parameters that scikit-learn >= 1.8 warns about unless they are set; older
# versions do not know them.
_LRCV_PARAMS = inspect.signature(LogisticRegressionCV).parameters
_LRCV_EXTRA = {
    key: value
    for key, value in {
        "l1_ratios": (0.0,),
        "use_legacy_attributes": False,
    }.items()
    if key in _LRCV_PARAMS
}


class TunedLogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-regularised logistic regression whose ``C`` is chosen by cross-validation.

    The strong, plain base estimator of the benchmark. When every class has at
    least ``cv`` training rows, ``C`` is chosen among ``Cs`` by stratified
    ``cv``-fold cross-validation of the log loss
    (:class:`~sklearn.linear_model.LogisticRegressionCV`); with fewer rows it
    falls back to a fixed ``C``. With a single class in the training rows it
    predicts that class. Dense and sparse inputs are both accepted (solver
    lbfgs).

    Parameters
    ----------
    Cs : sequence of float, default=(1e-3, 1e-2, ..., 1e3)
        Inverse regularisation strengths tried by cross-validation.
    cv : int, default=3
        Number of folds; also the least number of rows per class needed to
        cross-validate.
    C : float, default=1.0
        Inverse regularisation strength used when some class has fewer than
        ``cv`` rows.
    max_iter : int, default=500
        Iterations of the solver.
    random_state : int, RandomState instance or None, default=None
        Shuffles the cross-validation folds.

    Attributes
    ----------
    estimator_ : estimator
        The fitted logistic regression (``None`` with a single class).
    classes_ : ndarray of shape (n_classes,)
        The classes seen in ``fit``.
    C_ : float
        The ``C`` used (``nan`` with a single class).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sktransfer.benchmark import TunedLogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = TunedLogisticRegression(random_state=0).fit(X, y)
    >>> float(clf.C_) in clf.Cs
    True
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    def __init__(self, Cs=_DEFAULT_CS, cv=3, C=1.0, max_iter=500, random_state=None):
        self.Cs = Cs
        self.cv = cv
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the model, choosing ``C`` by cross-validation when possible.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : TunedLogisticRegression
            The fitted estimator.
        """
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.n_features_in_ = X.shape[1]
        if self.classes_.size == 1:
            self.estimator_ = None
            self.C_ = np.nan
            return self
        if isinstance(self.cv, numbers.Integral) and counts.min() >= self.cv:
            folds = StratifiedKFold(
                self.cv, shuffle=True, random_state=self.random_state
            )
            self.estimator_ = LogisticRegressionCV(
                Cs=list(self.Cs),
                cv=folds,
                scoring="neg_log_loss",
                max_iter=self.max_iter,
                random_state=self.random_state,
                **_LRCV_EXTRA,
            ).fit(X, y)
            self.C_ = float(np.ravel(self.estimator_.C_)[0])
        else:
            self.estimator_ = LogisticRegression(
                C=self.C, max_iter=self.max_iter, random_state=self.random_state
            ).fit(X, y)
            self.C_ = float(self.C)
        return self

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self, "classes_")
        if self.estimator_ is None:
            return np.full(X.shape[0], self.classes_[0])
        return self.estimator_.predict(X)


_ROWS = ("source", "target", "pooled")


class BaselineClassifier(DomainAwareMixin, ClassifierMixin, BaseEstimator):
    """Fit a plain estimator on one subset of the labeled rows.

    The three non-transfer baselines of the benchmark: ``rows="source"``
    (source-only) fits on the source rows, ``rows="target"`` (target-only) on
    the labeled target rows, ``rows="pooled"`` on both. Unlabeled target rows
    (``y = -1``) are ignored. Target-only knows only the classes among the few
    target labels.

    Parameters
    ----------
    estimator : classifier, default=None
        The estimator fitted on the chosen rows; ``None`` means
        :class:`TunedLogisticRegression`.
    rows : {"source", "target", "pooled"}, default="pooled"
        Which labeled rows to fit on.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes known to ``estimator_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.benchmark import BaselineClassifier
    >>> X = np.array([[0.0], [1.0], [5.0], [6.0], [5.5]])
    >>> y = np.array([0, 1, 0, 1, -1])
    >>> sample_domain = np.array([1, 1, -1, -1, -1])
    >>> clf = BaselineClassifier(rows="target")
    >>> clf.fit(X, y, sample_domain=sample_domain).estimator_.classes_
    array([0, 1])
    """

    def __init__(self, estimator=None, rows="pooled"):
        self.estimator = estimator
        self.rows = rows

    def fit(self, X, y, *, sample_domain=None):
        """Fit ``estimator`` on the rows chosen by ``rows``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row.

        Returns
        -------
        self : BaselineClassifier
            The fitted estimator.
        """
        if self.rows not in _ROWS:
            raise ValueError(f"rows must be one of {_ROWS}, got {self.rows!r}.")
        if not sp.issparse(X):
            X = np.asarray(X)
        y = np.asarray(y)
        sample_domain = check_sample_domain(sample_domain, X, y)
        labeled = labeled_mask(y, sample_domain)
        if self.rows == "source":
            mask = sample_domain > 0
        elif self.rows == "target":
            mask = labeled & (sample_domain < 0)
        else:
            mask = labeled
        if not mask.any():
            raise ValueError(f"BaselineClassifier(rows={self.rows!r}) has no rows.")
        rows = np.flatnonzero(mask)
        base = TunedLogisticRegression() if self.estimator is None else self.estimator
        self.estimator_ = clone(base).fit(X[rows], y[rows])
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        """Predict with the fitted estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)


class TransformedClassifier(DomainAwareMixin, ClassifierMixin, BaseEstimator):
    """A domain-adaptive feature mapping followed by a plain classifier.

    ``fit`` fits ``transformer`` on every row with ``sample_domain`` (so that
    it sees the unlabeled target rows), then ``estimator`` on the mapped
    labeled rows: source rows and labeled target rows. This is how the
    benchmark runs a feature-based method (a transformer).

    Parameters
    ----------
    transformer : transformer
        Fitted as ``transformer.fit(X, y, sample_domain=sample_domain)``,
        with ``y = -1`` on unlabeled target rows (without ``sample_domain``
        when its ``fit`` does not take it).
    estimator : classifier, default=None
        Fitted on the mapped labeled rows; ``None`` means
        :class:`TunedLogisticRegression`.

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone of ``transformer``.
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes known to ``estimator_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer.benchmark import TransformedClassifier
    >>> X = np.array([[0.0], [1.0], [5.0], [6.0]])
    >>> clf = TransformedClassifier(StandardScaler()).fit(
    ...     X, [0, 1, -1, -1], sample_domain=[1, 1, -1, -1])
    >>> clf.predict(X).shape
    (4,)
    """

    def __init__(self, transformer, estimator=None):
        self.transformer = transformer
        self.estimator = estimator

    def fit(self, X, y, *, sample_domain=None):
        """Fit the mapping on all rows, then the classifier on labeled rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows.

        Returns
        -------
        self : TransformedClassifier
            The fitted estimator.
        """
        if not sp.issparse(X):
            X = np.asarray(X)
        y = np.asarray(y)
        sample_domain = check_sample_domain(sample_domain, X, y)
        rows = np.flatnonzero(labeled_mask(y, sample_domain))
        self.transformer_ = clone(self.transformer)
        fit_params = {}
        if "sample_domain" in inspect.signature(self.transformer_.fit).parameters:
            fit_params["sample_domain"] = sample_domain
        Z = self.transformer_.fit_transform(X, y, **fit_params)
        base = TunedLogisticRegression() if self.estimator is None else self.estimator
        self.estimator_ = clone(base).fit(Z[rows], y[rows])
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        """Map ``X`` and predict with the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(self.transformer_.transform(X))
