"""The base estimator of the benchmark and the three non-transfer baselines."""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from .._domain import (
    DomainAwareMixin,
    encode_classes,
    labeled_mask,
    validate_domain_data,
)
from ..utils._delegation import ClassifierOutputsMixin

__all__ = ["BaselineClassifier", "TransformedClassifier", "TunedLogisticRegression"]

_DEFAULT_CS = tuple(float(C) for C in np.logspace(-3, 3, 7))
_EPS = np.finfo(np.float64).eps  # the clipping of sklearn.metrics.log_loss


class TunedLogisticRegression(DomainAwareMixin, ClassifierMixin, BaseEstimator):
    """L2-regularised logistic regression whose ``C`` is chosen by cross-validation.

    The strong, plain base estimator of the benchmark. It does not adapt to
    a target domain, but it keeps the domain contract: given
    ``sample_domain``, it is fitted on the labeled rows (source rows and
    labeled target rows, like the pooled baseline) and never takes the
    unlabeled marker ``-1`` for a class; without it, every row is used.

    It is kept cheap. ``C`` is chosen by the log loss of stratified
    ``cv``-fold cross-validation, searched from the smallest value of ``Cs``
    up: each fit is warm-started from the one before, these fits only rank
    the values of ``C`` (with ten times the tolerance ``tol``), and the
    search stops at the first ``C`` whose log loss is worse than the best so
    far, so the slow, weakly regularised fits are made only when they help.
    The model is then refitted on every row at the chosen ``C``, starting
    from the mean of the folds' solutions (as
    :class:`~sklearn.linear_model.LogisticRegressionCV` does). When some
    class has fewer than ``cv`` rows, the fixed ``C`` is used. With a single
    class in the training rows it predicts that class. Dense and sparse
    inputs are both accepted (solver lbfgs).

    Parameters
    ----------
    Cs : array-like of float, default=(1e-3, 1e-2, ..., 1e3)
        Inverse regularisation strengths searched, in increasing order.
    cv : int, default=3
        Number of folds; also the least number of rows per class needed to
        cross-validate.
    C : float, default=1.0
        Inverse regularisation strength used when some class has fewer than
        ``cv`` rows.
    max_iter : int, default=500
        Iterations of the solver per fit.
    tol : float, default=1e-4
        Tolerance of the solver in the final fit (ten times it in the fits
        of the search).
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows into the cross-validation folds; ``None`` keeps
        their order (stratified, unshuffled folds, as in
        :class:`~sklearn.linear_model.LogisticRegressionCV`), so that the
        default model is deterministic.

    Attributes
    ----------
    estimator_ : LogisticRegression or None
        The fitted logistic regression, on the classes' indices (``None``
        with a single class).
    classes_ : ndarray of shape (n_classes,)
        The classes seen in ``fit``.
    best_C_ : float
        The ``C`` of the fitted model: the chosen one, or ``C`` when there
        were too few rows to cross-validate (``nan`` with a single class).
    cv_results_ : dict or None
        The search, in the style of ``GridSearchCV``: ``"param_C"`` (the
        values tried, in order) and ``"mean_test_score"`` (the mean
        negative log loss over the folds; larger is better); ``None`` when
        no cross-validation ran.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the fitted model (absent with a single class).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Its intercepts (absent with a single class).
    n_iter_ : ndarray of shape (1,)
        Solver iterations of the last fit on every row (0 with a single
        class).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    sklearn.linear_model.LogisticRegressionCV : Fits every ``C`` to
        convergence on every fold.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sktransfer.benchmark import TunedLogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = TunedLogisticRegression(random_state=0).fit(X, y)
    >>> clf.best_C_ in clf.Cs
    True
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "Cs": ["array-like"],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        Cs=_DEFAULT_CS,
        cv=3,
        C=1.0,
        max_iter=500,
        tol=1e-4,
        random_state=None,
    ):
        self.Cs = Cs
        self.cv = cv
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _logistic(self, C, tol=None):
        return LogisticRegression(
            C=C,
            max_iter=self.max_iter,
            tol=self.tol if tol is None else tol,
            warm_start=True,
        )

    def _search(self, X, y, Cs, sample_weight):
        """Mean negative log loss per ``C``, from the smallest up, stopping early.

        Also returns, per ``C`` tried, the mean over the folds of the fitted
        coefficients and intercepts: the start of the final fit, as in
        :class:`~sklearn.linear_model.LogisticRegressionCV`.
        """
        folds = list(
            StratifiedKFold(
                self.cv,
                shuffle=self.random_state is not None,
                random_state=self.random_state,
            ).split(np.zeros(y.size), y)
        )
        # the fits of the search only rank the values of C: a looser tolerance
        models = [self._logistic(Cs[0], tol=10 * self.tol) for _ in folds]
        scores, starts = [], []
        for C in Cs:
            fold_scores = []
            for (train, test), model in zip(folds, models):
                model.set_params(C=C).fit(
                    X[train], y[train], sample_weight=sample_weight[train]
                )
                proba = model.predict_proba(X[test])[np.arange(test.size), y[test]]
                fold_scores.append(
                    np.average(
                        np.log(np.clip(proba, _EPS, None)), weights=sample_weight[test]
                    )
                )
            scores.append(float(np.mean(fold_scores)))
            starts.append(
                (
                    np.mean([model.coef_ for model in models], axis=0),
                    np.mean([model.intercept_ for model in models], axis=0),
                )
            )
            if scores[-1] < max(scores):  # past the best C: larger ones cost more
                break
        return np.asarray(scores), starts

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, sample_domain=None, sample_weight=None):
        """Fit the model, choosing ``C`` by cross-validation when possible.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; only used to
            leave out the unlabeled target rows. ``None`` means every row is
            a labeled source row.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows, in the fits and the log loss of the
            search as in the final fit; ``None`` means equal weights.

        Returns
        -------
        self : TunedLogisticRegression
            The fitted estimator.
        """
        X, y, sample_domain = validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )
        Cs = np.sort(np.asarray(self.Cs, dtype=np.float64).ravel())
        if Cs.size == 0 or not (np.isfinite(Cs).all() and (Cs > 0).all()):
            raise ValueError(
                f"Cs must hold one or more positive, finite numbers; got {self.Cs!r}."
            )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        self.classes_, y = encode_classes(y, sample_domain)
        labeled = np.flatnonzero(y >= 0)
        if labeled.size < y.size:
            X, y, sample_weight = X[labeled], y[labeled], sample_weight[labeled]
        self.cv_results_ = None
        if self.classes_.size == 1:
            self.estimator_ = None
            self.best_C_ = np.nan
            self.n_iter_ = np.zeros(1, dtype=np.int32)
            return self
        model = self._logistic(float(self.C))
        if np.bincount(y).min() >= self.cv:
            scores, starts = self._search(X, y, Cs, sample_weight)
            self.cv_results_ = {
                "param_C": Cs[: scores.size].copy(),
                "mean_test_score": scores,
            }
            best = int(np.argmax(scores))
            # warm start (warm_start=True) from the folds' mean solution
            model.set_params(C=float(Cs[best]))
            model.coef_, model.intercept_ = starts[best]
        model.fit(X, y, sample_weight=sample_weight)
        self.estimator_ = model.set_params(warm_start=False)
        self.best_C_ = float(model.C)
        self.coef_ = model.coef_
        self.intercept_ = model.intercept_
        self.n_iter_ = model.n_iter_
        return self

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )

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
        X = self._check_X(X)
        if self.estimator_ is None:
            return np.full(X.shape[0], self.classes_[0])
        return self.classes_[self.estimator_.predict(X)]

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class of ``classes_``.
        """
        X = self._check_X(X)
        if self.estimator_ is None:
            return np.ones((X.shape[0], 1))
        return self.estimator_.predict_proba(X)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class of ``classes_``.
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _takes_sample_domain(estimator):
    """Whether ``estimator.fit`` accepts ``sample_domain``."""
    return "sample_domain" in inspect.signature(estimator.fit).parameters


def _default_estimator(estimator):
    return TunedLogisticRegression() if estimator is None else estimator


_ROWS = ("source", "target", "pooled")


class BaselineClassifier(
    ClassifierOutputsMixin,
    DomainAwareMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    BaseEstimator,
):
    """Fit a plain estimator on one subset of the labeled rows.

    The three non-transfer baselines of the benchmark: ``rows="source"``
    (source-only) fits on the source rows, ``rows="target"`` (target-only) on
    the labeled target rows, ``rows="pooled"`` on both. Unlabeled target rows
    (``y = -1``) are never given to the estimator. Target-only knows only the
    classes among the few target labels. With ``sample_domain=None`` every
    row is a source row, and ``rows="source"`` or ``"pooled"`` is the plain
    estimator.

    Parameters
    ----------
    estimator : classifier, default=None
        The estimator fitted on the chosen rows; ``None`` means
        :class:`TunedLogisticRegression`. It is cloned.
    rows : {"source", "target", "pooled"}, default="pooled"
        Which labeled rows to fit on.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes known to ``estimator_``.
    n_features_in_ : int
        Number of features seen in ``fit``.

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

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "rows": [StrOptions(set(_ROWS))],
    }

    def __init__(self, estimator=None, rows="pooled"):
        self.estimator = estimator
        self.rows = rows

    def _final_estimator(self):
        return _default_estimator(self.estimator)

    @_fit_context(prefer_skip_nested_validation=False)
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
        input_tags = get_tags(self._final_estimator()).input_tags
        X, y, sample_domain = validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc") if input_tags.sparse else False,
            ensure_all_finite=not input_tags.allow_nan,
        )
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
        self.estimator_ = clone(self._final_estimator()).fit(X[rows], y[rows])
        self.classes_ = self.estimator_.classes_
        return self

    def _check_X(self, X):
        check_is_fitted(self)
        input_tags = get_tags(self.estimator_).input_tags
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc") if input_tags.sparse else False,
            ensure_all_finite=not input_tags.allow_nan,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base_tags = get_tags(self._final_estimator())
        tags.input_tags.sparse = base_tags.input_tags.sparse
        tags.input_tags.allow_nan = base_tags.input_tags.allow_nan
        return tags


class TransformedClassifier(
    ClassifierOutputsMixin,
    DomainAwareMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    BaseEstimator,
):
    """A feature mapping followed by a plain classifier.

    This is how the benchmark runs a feature-based method. ``fit`` fits
    ``transformer`` and then ``estimator`` on the mapped labeled rows: source
    rows and labeled target rows, never the unlabeled target rows. A
    domain-adaptive mapping (whose ``fit`` takes ``sample_domain``) is
    fitted on every row, with ``y = -1`` on unlabeled target rows, so that
    it sees the target domain; a plain unsupervised mapping (such as
    :class:`~sklearn.decomposition.PCA`) on every row without ``y``; a plain
    supervised one (whose tags require ``y``) on the labeled rows only.

    Parameters
    ----------
    transformer : transformer
        The feature mapping; it is cloned.
    estimator : classifier, default=None
        Fitted on the mapped labeled rows; ``None`` means
        :class:`TunedLogisticRegression`. It is cloned.

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone of ``transformer``.
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        Classes known to ``estimator_``.
    n_features_in_ : int
        Number of features seen in ``fit``.

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
    >>> clf.classes_
    array([0, 1])
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"])],
        "estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(self, transformer, estimator=None):
        self.transformer = transformer
        self.estimator = estimator

    def _final_estimator(self):
        return _default_estimator(self.estimator)

    def _input_tags(self):
        transformer = get_tags(self.transformer).input_tags
        estimator = get_tags(self._final_estimator()).input_tags
        # sparse rows can reach the estimator through the mapping
        return transformer.sparse and estimator.sparse, transformer.allow_nan

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Fit the mapping, then the classifier on the mapped labeled rows.

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
        self : TransformedClassifier
            The fitted estimator.
        """
        sparse, allow_nan = self._input_tags()
        X, y, sample_domain = validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc") if sparse else False,
            ensure_all_finite=not allow_nan,
        )
        rows = np.flatnonzero(labeled_mask(y, sample_domain))
        self.transformer_ = clone(self.transformer)
        if _takes_sample_domain(self.transformer_):
            Z = self.transformer_.fit_transform(X, y, sample_domain=sample_domain)
            Z = Z[rows]
        elif get_tags(self.transformer_).target_tags.required:
            Z = self.transformer_.fit_transform(X[rows], y[rows])
        else:
            Z = self.transformer_.fit_transform(X)[rows]
        self.estimator_ = clone(self._final_estimator()).fit(Z, y[rows])
        self.classes_ = self.estimator_.classes_
        return self

    def _check_X(self, X):
        """Validate ``X`` and map it: the input of ``estimator_``."""
        check_is_fitted(self)
        sparse, allow_nan = self._input_tags()
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc") if sparse else False,
            ensure_all_finite=not allow_nan,
        )
        return self.transformer_.transform(X)

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
        X = self._check_X(X)
        return self.estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse, tags.input_tags.allow_nan = self._input_tags()
        return tags
