"""Linear models whose target coefficients are pulled toward a source model.

Chelba and Acero (2006) adapt a maximum-entropy model to a new domain by
training it on the few in-domain rows with a Gaussian prior centred on the
coefficients learned out of domain instead of on zero. For a linear model
with coefficients ``w`` this is the penalty ``alpha * ||w - w_source||^2``
in place of ridge's ``alpha * ||w||^2``: with many target rows the data
win, with few the model stays near the source one.
"""

import copy
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.extmath import safe_sparse_dot, softmax
from sklearn.utils.validation import check_is_fitted, validate_data

from .._domain import BaseDomainAdapter, labeled_mask

__all__ = ["PriorRegularizedClassifier", "PriorRegularizedRegressor"]


class _BasePriorRegularized(BaseDomainAdapter):
    """Shared fitting of the source model and its coefficients."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "prefit": ["boolean"],
    }

    def __init__(self, estimator=None, *, alpha=1.0, prefit=False):
        self.estimator = estimator
        self.alpha = alpha
        self.prefit = prefit

    def _fit_source(self, X, y, source_rows):
        """Fit (or copy) the source model; ``None`` when there is none."""
        if self.prefit:
            if self.estimator is None:
                raise ValueError(
                    "prefit=True needs a fitted linear model as estimator, got None."
                )
            check_is_fitted(self.estimator)
            model = copy.deepcopy(self.estimator)
        elif source_rows.any():
            model = clone(self._default_estimator()).fit(X[source_rows], y[source_rows])
        else:
            return None
        if not (hasattr(model, "coef_") and hasattr(model, "intercept_")):
            raise TypeError(
                f"{type(self).__name__} needs a linear source model with coef_ "
                f"and intercept_ after fit; {type(model).__name__} has none."
            )
        n_coef = np.atleast_2d(model.coef_).shape[1]
        if n_coef != X.shape[1]:
            raise ValueError(
                f"The source model has {n_coef} coefficients per output but X has "
                f"{X.shape[1]} features."
            )
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class PriorRegularizedRegressor(RegressorMixin, _BasePriorRegularized):
    """Ridge regression on the target rows, shrunk toward a source model.

    A linear model is fitted on the source rows (or ``estimator`` is taken
    as already fitted, with ``prefit=True``); then the labeled target rows
    are fitted by minimising

    .. math::

        \\|y_t - X_t w - b\\|^2 + \\alpha \\|w - w_s\\|^2,

    the squared error plus a penalty pulling the coefficients ``w`` toward
    the source ones ``w_s`` (the intercept ``b`` is not penalised). This
    has the closed form of ridge regression on the residuals
    ``y_t - X_t w_s``. With no labeled target rows the model is the source
    model; with no source rows ``w_s = 0`` and it is ordinary ridge
    regression on the target rows.

    Parameters
    ----------
    estimator : regressor, default=None
        Linear regressor fitted on the source rows (it must expose ``coef_``
        and ``intercept_``); ``None`` means
        :class:`~sklearn.linear_model.Ridge`. It is cloned, unless
        ``prefit=True``.
    alpha : float, default=1.0
        Strength of the pull toward the source coefficients; large values
        keep the source model, ``0`` ignores it (least squares on the
        target rows). Tune it by grid search on labeled target rows.
    prefit : bool, default=False
        Whether ``estimator`` is already fitted on the source; then the
        source rows are not used and ``estimator`` is copied as it is.

    Attributes
    ----------
    estimator_ : regressor or None
        The source model (``None`` when there were no source rows).
    coef_ : ndarray of shape (n_features,)
        Coefficients of the adapted model.
    intercept_ : float
        Its intercept.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    PriorRegularizedClassifier : The same prior for logistic regression.

    References
    ----------
    .. [1] C. Chelba and A. Acero, "Adaptation of maximum entropy
       capitalizer: Little data can help a lot", Computer Speech and
       Language 20(4), 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.parameter import PriorRegularizedRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(120, 3))
    >>> y = X @ [1.0, 2.0, 0.0]
    >>> y[100:] += X[100:, 2]  # the target differs a little
    >>> y[110:] = np.nan  # ten unlabeled target rows
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(20, int)]
    >>> reg = PriorRegularizedRegressor(alpha=1.0)
    >>> reg.fit(X, y, sample_domain=sample_domain).coef_.round(1)
    array([1. , 1.9, 0.8])
    """

    def _default_estimator(self):
        return Ridge() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Fit the source model, then the target rows around it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Targets; ``nan`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None``
            means every row is a source row.

        Returns
        -------
        self : PriorRegularizedRegressor
            The fitted model.
        """
        X, y, sample_domain = self._validate_domain_data(
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
            regression=True,
        )
        y = np.asarray(y, dtype=np.float64)
        labeled = labeled_mask(y, sample_domain, regression=True)
        source = sample_domain > 0
        target = labeled & ~source
        self.estimator_ = self._fit_source(X, y, source)
        if self.estimator_ is None:
            coef, intercept = np.zeros(X.shape[1]), 0.0
        else:
            coef = np.ravel(self.estimator_.coef_).astype(np.float64)
            intercept = float(np.ravel(self.estimator_.intercept_)[0])
            if coef.size != X.shape[1]:
                raise ValueError(
                    f"{type(self).__name__} supports single-output source models; "
                    "the source model has coef_ of shape "
                    f"{self.estimator_.coef_.shape}."
                )
        if target.any():
            X_target = X[target]
            residual = y[target] - safe_sparse_dot(X_target, coef)
            shift = Ridge(alpha=self.alpha, solver="auto").fit(X_target, residual)
            coef = coef + shift.coef_
            intercept = float(shift.intercept_)
        self.coef_ = coef
        self.intercept_ = intercept
        return self

    def predict(self, X):
        """Predict with the adapted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted targets.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        return safe_sparse_dot(X, self.coef_) + self.intercept_


class PriorRegularizedClassifier(ClassifierMixin, _BasePriorRegularized):
    """Logistic regression on the target rows, shrunk toward a source model.

    A linear classifier is fitted on the source rows (or ``estimator`` is
    taken as already fitted, with ``prefit=True``); then the labeled target
    rows are fitted by minimising the log loss plus a Gaussian prior centred
    on the source coefficients ``W_s``,

    .. math::

        \\sum_i -\\log p(y_i \\mid x_i; W, b)
        + \\frac{\\alpha}{2} \\|W - W_s\\|_F^2,

    with L-BFGS, starting from the source model (the intercepts ``b`` are
    not penalised). Two classes have one coefficient vector (sigmoid), more
    classes one per class (softmax), as in
    :class:`~sklearn.linear_model.LogisticRegression`. With no labeled
    target rows the model is the source model; with no source rows ``W_s =
    0`` and it is ``LogisticRegression(C=1 / alpha)`` fitted on the target
    rows. The classes are those of the source model: a labeled target row of
    another class is an error.

    Parameters
    ----------
    estimator : classifier, default=None
        Linear classifier fitted on the source rows (it must expose
        ``coef_``, ``intercept_`` and ``classes_``, with the coefficients of
        a logistic model); ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`. It is cloned,
        unless ``prefit=True``.
    alpha : float or array-like of float, default=1.0
        Strength of the pull toward the source coefficients (the inverse of
        the prior's variance); ``1.0`` matches the strength of scikit-learn's
        default ``LogisticRegression(C=1.0)``. Several values are chosen
        among by ``cv``-fold stratified cross-validation of the log loss on
        the labeled target rows (the source model is fitted once; with fewer
        than ``cv`` labels in some class, the largest value is taken). It
        can also be tuned by grid search.
    prefit : bool, default=False
        Whether ``estimator`` is already fitted on the source; then the
        source rows are not used and ``estimator`` is copied as it is.
    cv : int, default=3
        Folds of the cross-validation that chooses among several ``alpha``.
    max_iter : int, default=500
        Iterations of L-BFGS on the target rows.
    tol : float, default=1e-6
        Tolerance on the projected gradient of L-BFGS.

    Attributes
    ----------
    estimator_ : classifier or None
        The source model (``None`` when there were no source rows).
    classes_ : ndarray of shape (n_classes,)
        The classes.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the adapted model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Its intercepts.
    alpha_ : float
        The strength used (the chosen one when ``alpha`` holds several).
    n_iter_ : int
        Solver iterations: the source model's (when it reports them) plus
        those of L-BFGS on the target rows in the final fit.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    PriorRegularizedRegressor : The same prior for ridge regression.

    References
    ----------
    .. [1] C. Chelba and A. Acero, "Adaptation of maximum entropy
       capitalizer: Little data can help a lot", Computer Speech and
       Language 20(4), 2006.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.parameter import PriorRegularizedClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(shift="concept", random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=10, random_state=0)
    >>> clf = PriorRegularizedClassifier(alpha=1.0).fit(X, y, sample_domain=sd)
    >>> clf.classes_
    array([0, 1])
    >>> bool(clf.score(X[sd < 0], y_true[sd < 0]) > 0.7)
    True
    """

    _parameter_constraints: dict = {
        **_BasePriorRegularized._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=1.0,
        prefit=False,
        cv=3,
        max_iter=500,
        tol=1e-6,
    ):
        super().__init__(estimator, alpha=alpha, prefit=prefit)
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol

    def _default_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Fit the source model, then the target rows around it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None``
            means every row is a source row.

        Returns
        -------
        self : PriorRegularizedClassifier
            The fitted model.
        """
        X, y, sample_domain = self._validate_domain_data(
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )
        labeled = labeled_mask(y, sample_domain)
        source = sample_domain > 0
        target = labeled & ~source
        self.estimator_ = self._fit_source(X, y, source)
        if self.estimator_ is None:
            self.classes_ = np.unique(y[target])
            if self.classes_.size < 2:
                raise ValueError(
                    f"{type(self).__name__} got no source rows and labeled target "
                    f"rows of {self.classes_.size} class; it needs at least 2 "
                    "classes."
                )
            n_coef = 1 if self.classes_.size == 2 else self.classes_.size
            coef = np.zeros((n_coef, X.shape[1]))
            intercept = np.zeros(n_coef)
        else:
            self.classes_ = np.asarray(self.estimator_.classes_)
            coef = np.atleast_2d(self.estimator_.coef_).astype(np.float64)
            intercept = np.ravel(self.estimator_.intercept_).astype(np.float64)
            expected = 1 if self.classes_.size == 2 else self.classes_.size
            if coef.shape[0] != expected or intercept.size != expected:
                raise ValueError(
                    f"The source model's coef_ has {coef.shape[0]} rows for "
                    f"{self.classes_.size} classes; expected {expected}, as in "
                    "LogisticRegression."
                )
        if target.any():
            unseen = np.setdiff1d(y[target], self.classes_)
            if unseen.size:
                raise ValueError(
                    f"Labeled target rows have classes {unseen.tolist()} that the "
                    f"source model does not know (its classes: "
                    f"{self.classes_.tolist()})."
                )
            y_index = np.searchsorted(self.classes_, y[target])
            self._n_iter_target = 0
            self.alpha_ = self._choose_alpha(X[target], y_index, coef, intercept)
            coef, intercept = self._fit_target(
                X[target], y_index, coef, intercept, self.alpha_
            )
        else:
            self.alpha_ = float(np.max(self.alpha))
            self._n_iter_target = 0
        source_iter = np.max(getattr(self.estimator_, "n_iter_", 0))
        self.n_iter_ = int(source_iter) + self._n_iter_target
        self.coef_ = coef
        self.intercept_ = intercept
        return self

    def _choose_alpha(self, X, y_index, coef, intercept):
        """The alpha of lowest cross-validated log loss on the target rows."""
        alphas = np.atleast_1d(np.asarray(self.alpha, dtype=np.float64))
        if alphas.size == 1:
            return float(alphas[0])
        if np.any(alphas < 0) or alphas.ndim != 1:
            raise ValueError(f"alpha must hold non-negative numbers, got {self.alpha}.")
        counts = np.bincount(y_index, minlength=self.classes_.size)
        if counts[counts > 0].min() < self.cv:
            # too few labels to cross-validate: the strongest pull is the safe one
            return float(alphas.max())
        folds = StratifiedKFold(self.cv).split(X, y_index)
        losses = np.zeros(alphas.size)
        for train, test in folds:
            for i, alpha in enumerate(alphas):
                W, b = self._fit_target(
                    X[train], y_index[train], coef, intercept, alpha
                )
                proba = self._proba(safe_sparse_dot(X[test], W.T) + b)
                losses[i] -= np.log(
                    np.clip(proba[np.arange(test.size), y_index[test]], 1e-15, None)
                ).sum()
        return float(alphas[np.argmin(losses)])

    def _fit_target(self, X, y_index, coef_source, intercept_source, alpha):
        n_coef, n_features = coef_source.shape
        binary = n_coef == 1
        if binary:
            positive = (y_index == 1).astype(np.float64)
        else:
            onehot = np.zeros((y_index.size, n_coef))
            onehot[np.arange(y_index.size), y_index] = 1.0

        def loss_and_grad(theta):
            W = theta[: n_coef * n_features].reshape(n_coef, n_features)
            b = theta[n_coef * n_features :]
            Z = safe_sparse_dot(X, W.T) + b
            if binary:
                z = Z[:, 0]
                loss = -np.sum(positive * log_expit(z) + (1 - positive) * log_expit(-z))
                G = (expit(z) - positive)[:, None]
            else:
                log_norm = logsumexp(Z, axis=1)
                loss = np.sum(log_norm - np.sum(onehot * Z, axis=1))
                G = np.exp(Z - log_norm[:, None]) - onehot
            diff = W - coef_source
            loss += 0.5 * alpha * np.sum(diff**2)
            grad_W = np.asarray(safe_sparse_dot(G.T, X)) + alpha * diff
            return loss, np.concatenate([grad_W.ravel(), G.sum(axis=0)])

        result = scipy.optimize.minimize(
            loss_and_grad,
            np.concatenate([coef_source.ravel(), intercept_source]),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol},
        )
        self._n_iter_target = int(result.nit)
        theta = result.x
        return (
            theta[: n_coef * n_features].reshape(n_coef, n_features),
            theta[n_coef * n_features :],
        )

    def decision_function(self, X):
        """Linear scores of the adapted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores of the positive class (two classes) or of every class.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        scores = safe_sparse_dot(X, self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities of the adapted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._proba(self.decision_function(X))

    @staticmethod
    def _proba(scores):
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim == 1 or scores.shape[1] == 1:
            positive = expit(scores.ravel())
            return np.column_stack([1 - positive, positive])
        return softmax(scores.copy())

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

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
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]
