"""Label-shift (prior-shift) correction: estimate the target class priors
from unlabeled target rows, then reweight the classes.

Under label shift ``p(y)`` changes between the domains while ``p(x | y)``
stays the same. The target posterior then follows from the source one by
Bayes' rule, ``p_t(y | x) ∝ w_y p_s(y | x)`` with ``w_y = p_t(y) / p_s(y)``,
so the whole problem is to estimate the target priors ``p_t(y)``.
"""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import lsq_linear, minimize
from sklearn.base import ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._domain import BaseDomainAdapter, encode_classes

__all__ = [
    "BBSEClassifier",
    "EMLabelShiftClassifier",
    "JCPOTClassifier",
    "RLLSClassifier",
]


def _normalize(p):
    total = p.sum()
    return p / total if total > 0 else np.full_like(p, 1.0 / p.size)


class _BaseLabelShift(ClassifierMixin, MetaEstimatorMixin, BaseDomainAdapter):
    """Fit a probabilistic classifier on the source rows, estimate the target
    priors, and correct the posteriors (or refit with class weights).

    Subclasses implement ``_estimate_priors(X_source, codes_source,
    X_unlabeled, source_priors, n_folds)``, returning the target priors over
    the source classes estimated from the unlabeled target rows.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "refit": ["boolean"],
        "cv": [Interval(Integral, 2, None, closed="left")],
    }
    _domain_requirements = {"require_source": True}

    def _final_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _sparse_ok(self):
        return get_tags(self._final_estimator()).input_tags.sparse

    def _check_estimator(self):
        final = self._final_estimator()
        if not hasattr(final, "predict_proba"):
            raise TypeError(
                f"{type(self).__name__} corrects class posteriors, but "
                f"{type(final).__name__} has no predict_proba. Choose a "
                "probabilistic classifier (or wrap it in "
                "sklearn.calibration.CalibratedClassifierCV)."
            )
        if self._needs_sample_weight() and not has_fit_parameter(
            final, "sample_weight"
        ):
            raise TypeError(
                f"{type(self).__name__} retrains its estimator on class-weighted "
                f"source rows, but {type(final).__name__}.fit does not accept "
                "sample_weight. Choose an estimator that does, or refit=False."
            )
        return final

    def _needs_sample_weight(self):
        return self.refit

    def _sample_weight(self, codes_source):
        """Weights of the source rows in a refit."""
        return self.class_weights_[codes_source]

    def _n_folds(self, codes_source):
        """Stratified folds that the smallest source class allows (0: none)."""
        counts = np.bincount(codes_source)
        smallest = counts[counts > 0].min()
        n_folds = min(self.cv, int(smallest))
        return n_folds if n_folds >= 2 else 0

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Fit the classifier on the source rows and estimate the target priors.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels of the source rows; ``-1`` marks unlabeled target rows.
            Labeled target rows count in the estimate of the target priors.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; several source
            domains are pooled, several target domains too. ``None`` means
            every row is a source row: no correction, the plain estimator.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        final = self._check_estimator()
        X, y, sample_domain = self._validate_domain_data(
            X,
            y,
            sample_domain,
            accept_sparse=["csr", "csc"] if self._sparse_ok() else False,
            regression=False,
        )
        self.classes_, codes = encode_classes(y, sample_domain)
        n_classes = self.classes_.size
        source = np.flatnonzero(sample_domain > 0)
        target = sample_domain < 0
        labeled_target = np.flatnonzero(target & (codes >= 0))
        unlabeled = np.flatnonzero(target & (codes < 0))
        codes_source = codes[source]
        X_source = X[source]

        source_counts = np.bincount(codes_source, minlength=n_classes)
        self.source_priors_ = source_counts / source_counts.sum()
        in_source = source_counts > 0
        self.estimator_ = clone(final).fit(X_source, y[source])
        self._columns = encode_classes(
            np.asarray(self.estimator_.classes_), classes=self.classes_
        )[1]

        self._fit_domains, self._fit_codes = sample_domain[source], codes_source
        self.has_target_ = bool(target.any())
        n_folds = self._n_folds(codes_source)
        self._calibration = None
        if not self.has_target_:
            self.target_priors_ = self.source_priors_.copy()
            self._after_no_target()
        else:
            target_counts = np.bincount(codes[labeled_target], minlength=n_classes)
            n_unlabeled, n_labeled = unlabeled.size, labeled_target.size
            estimate = np.zeros(n_classes)
            if n_unlabeled and in_source.sum() > 1:
                estimate[in_source] = self._estimate_priors(
                    X_source,
                    codes_source,
                    X[unlabeled],
                    self.source_priors_,
                    n_folds,
                    in_source,
                )
            elif n_unlabeled:  # one source class: nothing to estimate
                estimate = self.source_priors_.copy()
                self._after_no_target()
            else:
                self._after_no_target()
            self.target_priors_ = (
                _normalize(n_unlabeled * estimate + target_counts.astype(float))
                if (n_unlabeled + n_labeled)
                else self.source_priors_.copy()
            )

        self.class_weights_ = np.divide(
            self.target_priors_,
            self.source_priors_,
            out=np.zeros(n_classes),
            where=in_source,
        )
        self._correct = self.has_target_ and not np.allclose(
            self.class_weights_[in_source], 1.0
        )
        if self._needs_sample_weight() and self.has_target_:
            sample_weight = self._sample_weight(codes_source)
            if sample_weight.sum() > 0 and not np.allclose(sample_weight, 1.0):
                sample_weight = sample_weight / sample_weight.mean()
                self.estimator_ = clone(final).fit(
                    X_source, y[source], sample_weight=sample_weight
                )
                self._columns = encode_classes(
                    np.asarray(self.estimator_.classes_), classes=self.classes_
                )[1]
                self._calibration = None
            self._correct = False
        del self._fit_domains, self._fit_codes
        return self

    def _after_no_target(self):
        """Reset what a subclass records when there is nothing to estimate."""

    def _source_proba(self, X):
        """Source posteriors of ``estimator_`` (calibrated when it was) in the
        columns of ``classes_``."""
        proba = self.estimator_.predict_proba(X)
        if self._calibration is not None:
            proba = _apply_scaling(proba, *self._calibration)
        out = np.zeros((X.shape[0], self.classes_.size))
        out[:, self._columns] = proba
        return out

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=["csr", "csc"] if self._sparse_ok() else False,
        )

    def predict_proba(self, X):
        """Class probabilities corrected to the target priors.

        ``p_t(y | x) ∝ w_y p_s(y | x)`` with ``w = class_weights_``; with
        ``refit=True`` (or without target rows) the estimator's own
        probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._check_X(X)
        proba = self._source_proba(X)
        if not self._correct:
            return proba
        corrected = proba * self.class_weights_
        total = corrected.sum(axis=1, keepdims=True)
        ok = total[:, 0] > 0
        corrected[ok] /= total[ok]
        corrected[~ok] = proba[~ok]  # every possible class got weight 0
        return corrected

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class of largest corrected probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if not self._correct and self._calibration is None:
            return self.estimator_.predict(self._check_X(X))
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._sparse_ok()
        return tags

    def _held_out_proba(self, X_source, codes_source, n_folds):
        """Source posteriors of models that did not see the row, and their
        columns in ``classes_`` (in-sample posteriors of ``estimator_`` when
        the smallest source class is too small for two folds)."""
        if n_folds == 0:
            return self.estimator_.predict_proba(X_source), self._columns
        proba = cross_val_predict(
            clone(self._final_estimator()),
            X_source,
            codes_source,
            cv=StratifiedKFold(n_folds),
            method="predict_proba",
        )
        return proba, np.unique(codes_source)


class EMLabelShiftClassifier(_BaseLabelShift):
    """Target priors by expectation-maximisation (Saerens et al., 2002).

    Fits ``estimator`` on the source rows, calibrates its probabilities on
    held-out source predictions (``calibration``), then re-estimates the
    target priors from the posteriors of the unlabeled target rows by EM:
    starting from the source priors ``pi_s``, alternately adjust every
    posterior to the current priors, ``q_i(y) ∝ pi(y) / pi_s(y) p_s(y |
    x_i)``, and take their mean as the new priors, until the priors move by
    less than ``tol`` (in L1). It is the maximum-likelihood estimate of the
    priors under label shift. The calibrated classifier's posteriors,
    corrected by ``class_weights_``, are the predictions.

    Calibration matters (Alexandari et al., 2020): EM trusts the
    posteriors, and an over- or under-confident classifier biases the
    estimate. The calibration maps the estimator's log-probabilities ``z``
    to ``softmax(z / T + b)``; ``T`` and the class biases ``b`` minimise
    the log-loss of the ``cv``-fold cross-validated source posteriors, and
    are then applied to the estimator fitted on every source row. The
    default, ``"bcts"`` (bias-corrected temperature scaling, ``k + 1``
    parameters), is the one Alexandari et al. found hard to beat; it keeps
    the classifier's ranking within a row up to the biases and does not
    overfit with few rows per class, unlike isotonic regression.

    Labeled target rows count in the estimate: their class frequencies are
    pooled with the estimate from the unlabeled rows, weighted by the
    number of rows. Several source domains are pooled into one source
    (their priors: the pooled class frequencies); several target domains
    into one target.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``) fitted on the
        source rows; ``None`` means ``LogisticRegression()``. It is cloned.
    calibration : {"bcts", "temperature"} or None, default="bcts"
        ``"bcts"``: temperature and one bias per class; ``"temperature"``:
        temperature only (the argmax never changes); ``None``: the
        estimator's probabilities as they are. No calibration is done when
        the smallest source class has fewer than 2 rows, or without target
        rows (then the model is the plain estimator).
    cv : int, default=5
        Stratified folds of the held-out source predictions (fewer when a
        source class has fewer rows).
    max_iter : int, default=100
        Most EM iterations.
    tol : float, default=1e-6
        EM stops when the L1 change of the priors falls below ``tol``.
    refit : bool, default=False
        Whether to retrain ``estimator`` on the source rows with sample
        weights ``class_weights_[y_i]`` (importance-weighted ERM) instead of
        correcting its posteriors; the estimator must accept
        ``sample_weight``.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the (weighted, with ``refit=True``) source
        rows.
    calibration_temperature_ : float
        Fitted temperature ``T`` (1 when not calibrated).
    calibration_bias_ : ndarray of shape (n_source_classes,) or None
        Fitted class biases ``b``, in the order of ``estimator_.classes_``;
        None unless ``calibration="bcts"`` was fitted.
    classes_ : ndarray of shape (n_classes,)
        Class labels (of source and labeled target rows).
    source_priors_ : ndarray of shape (n_classes,)
        Class frequencies of the (pooled) source rows.
    target_priors_ : ndarray of shape (n_classes,)
        Estimated target priors; ``source_priors_`` without target rows.
    class_weights_ : ndarray of shape (n_classes,)
        ``target_priors_ / source_priors_``, the weights of the correction
        (0 for a class without source rows).
    n_iter_ : int
        EM iterations run (0 when nothing was estimated).
    has_target_ : bool
        Whether target rows were seen (else no correction).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    BBSEClassifier : Priors from the confusion matrix, no calibration needed.
    RLLSClassifier : Regularised version of BBSE for few target rows.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the
       Outputs of a Classifier to New a Priori Probabilities: A Simple
       Procedure", Neural Computation 14(1), 2002.
    .. [2] A. Alexandari, A. Kundaje and A. Shrikumar, "Maximum Likelihood
       with Bias-Corrected Calibration is Hard-To-Beat at Label Shift
       Adaptation", ICML 2020.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.instance import EMLabelShiftClassifier
    >>> X, y, sample_domain = make_domain_shift(
    ...     500, 500, shift="label", severity=1.0, random_state=0)
    >>> y_seen = y.copy()
    >>> y_seen[sample_domain < 0] = -1
    >>> clf = EMLabelShiftClassifier().fit(X, y_seen, sample_domain=sample_domain)
    >>> clf.target_priors_.round(1)  # the true target priors are 0.95, 0.05
    array([0.9, 0.1])
    """

    _parameter_constraints: dict = {
        **_BaseLabelShift._parameter_constraints,
        "calibration": [StrOptions({"bcts", "temperature"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        calibration="bcts",
        cv=5,
        max_iter=100,
        tol=1e-6,
        refit=False,
    ):
        self.estimator = estimator
        self.calibration = calibration
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.refit = refit

    def _after_no_target(self):
        self.n_iter_ = 1
        self.calibration_temperature_ = 1.0
        self.calibration_bias_ = None

    def _estimate_priors(
        self, X_source, codes_source, X_unlabeled, source_priors, n_folds, in_source
    ):
        self._after_no_target()
        if self.calibration is not None and n_folds:
            proba, columns = self._held_out_proba(X_source, codes_source, n_folds)
            # held-out posteriors in the columns of estimator_.classes_
            order = np.argsort(self._columns)
            position = order[np.searchsorted(self._columns, columns, sorter=order)]
            full = np.zeros((proba.shape[0], self._columns.size))
            full[:, position] = proba
            labels = np.searchsorted(self._columns, codes_source, sorter=order)
            labels = order[labels]
            temperature, bias = _fit_scaling(
                full, labels, bias=self.calibration == "bcts"
            )
            self.calibration_temperature_ = temperature
            self.calibration_bias_ = bias
            self._calibration = (temperature, bias)
        proba = self._source_proba(X_unlabeled)[:, in_source]
        pi_s = source_priors[in_source]
        pi = pi_s.copy()
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            self.n_iter_ += 1
            q = proba * (pi / pi_s)
            total = q.sum(axis=1, keepdims=True)
            q = np.divide(q, total, out=np.tile(pi, (q.shape[0], 1)), where=total > 0)
            new = _normalize(q.mean(axis=0))
            change = np.abs(new - pi).sum()
            pi = new
            if change < self.tol:
                break
        return pi


def _log(proba):
    return np.log(np.clip(proba, 1e-12, None))


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _apply_scaling(proba, temperature, bias):
    z = _log(proba) / temperature
    if bias is not None:
        z = z + bias
    return _softmax(z)


def _fit_scaling(proba, labels, *, bias):
    """Temperature (and class biases) minimising the log-loss of
    ``softmax(log(proba) / T + b)`` on held-out posteriors."""
    z = _log(proba)
    n, k = z.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0

    def loss(params):
        inv_t = np.exp(params[0])
        b = params[1:] if bias else 0.0
        scaled = z * inv_t + b
        p = _softmax(scaled)
        log_p = scaled - scaled.max(axis=1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        value = -np.sum(onehot * log_p) / n
        residual = (p - onehot) / n
        grad = [inv_t * np.sum(residual * z)]
        if bias:
            grad = np.r_[grad, residual.sum(axis=0)]
        return value, np.asarray(grad, dtype=float)

    start = np.zeros(1 + (k if bias else 0))
    result = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-5.0, 5.0)] + [(-20.0, 20.0)] * (start.size - 1),
    )
    temperature = float(np.exp(-result.x[0]))
    return temperature, (result.x[1:].copy() if bias else None)


def _confusion(proba, classes, codes, n_classes, soft):
    """Joint ``C[i, j] = P_s(prediction i, class j)`` and the mean prediction."""
    pred = np.zeros((proba.shape[0], n_classes))
    if soft:
        pred[:, classes] = proba
    else:
        pred[np.arange(proba.shape[0]), classes[np.argmax(proba, axis=1)]] = 1.0
    onehot = np.zeros((codes.size, n_classes))
    onehot[np.arange(codes.size), codes] = 1.0
    return pred.T @ onehot / codes.size


def _predictions(proba, classes, n_classes, soft):
    pred = np.zeros((proba.shape[0], n_classes))
    if soft:
        pred[:, classes] = proba
    else:
        pred[np.arange(proba.shape[0]), classes[np.argmax(proba, axis=1)]] = 1.0
    return pred.mean(axis=0)


class _ConfusionMixin:
    """Confusion matrix on held-out source rows and mean target prediction."""

    def _confusion_and_mean(
        self, X_source, codes_source, X_unlabeled, n_folds, in_source
    ):
        soft = self.confusion == "soft"
        n_classes = self.classes_.size
        proba, classes = self._held_out_proba(X_source, codes_source, n_folds)
        C = _confusion(proba, classes, codes_source, n_classes, soft)
        target_proba = self.estimator_.predict_proba(X_unlabeled)
        mu = _predictions(target_proba, self._columns, n_classes, soft)
        return C[np.ix_(in_source, in_source)], mu[in_source]

    def _priors_from_weights(self, w, source_priors, in_source):
        w = np.maximum(w, 0.0)
        priors = w * source_priors[in_source]
        if priors.sum() <= 0:
            return source_priors[in_source] / source_priors[in_source].sum()
        return priors / priors.sum()


class BBSEClassifier(_ConfusionMixin, _BaseLabelShift):
    """Black-box shift estimation of the target priors (Lipton et al., 2018).

    Fits ``estimator`` on the source rows and measures, by cross-validation
    on the source rows, the joint confusion matrix ``C[i, j] = P_s(f(x) = i,
    y = j)`` of the classifier ``f``. Under label shift the mean prediction
    on the target rows is ``mu = C w`` with ``w_y = p_t(y) / p_s(y)``; BBSE
    solves that linear system (least squares), clips ``w`` at 0 and
    renormalises ``w * p_s`` into the target priors. It needs no
    calibration: any classifier whose confusion matrix is invertible works.
    The predictions are the estimator's posteriors reweighted by
    ``class_weights_`` or, with ``refit=True``, those of the estimator
    retrained on the weighted source rows (the paper's importance-weighted
    ERM).

    Labeled target rows count in the estimate: their class frequencies are
    pooled with the estimate from the unlabeled rows, weighted by the
    number of rows. Several source domains are pooled into one source;
    several target domains into one target.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``); ``None`` means
        ``LogisticRegression()``. It is cloned.
    confusion : {"hard", "soft"}, default="hard"
        ``"hard"`` counts predicted labels, as in the paper; ``"soft"`` sums
        predicted probabilities (lower variance, needs no argmax).
    cv : int, default=5
        Stratified folds of the held-out source predictions (fewer when a
        source class has fewer rows; in-sample predictions when it has 1).
    refit : bool, default=False
        Whether to retrain ``estimator`` on the source rows with sample
        weights ``class_weights_[y_i]`` instead of correcting its
        posteriors; the estimator must accept ``sample_weight``.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the (weighted, with ``refit=True``) source
        rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels (of source and labeled target rows).
    source_priors_ : ndarray of shape (n_classes,)
        Class frequencies of the (pooled) source rows.
    target_priors_ : ndarray of shape (n_classes,)
        Estimated target priors; ``source_priors_`` without target rows.
    class_weights_ : ndarray of shape (n_classes,)
        ``target_priors_ / source_priors_``, the weights of the correction
        (0 for a class without source rows).
    has_target_ : bool
        Whether target rows were seen (else no correction).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    RLLSClassifier : Regularised BBSE, better with few target rows.
    EMLabelShiftClassifier : Maximum-likelihood priors by EM.

    References
    ----------
    .. [1] Z. C. Lipton, Y.-X. Wang and A. J. Smola, "Detecting and
       Correcting for Label Shift with Black Box Predictors", ICML 2018.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.instance import BBSEClassifier
    >>> X, y, sample_domain = make_domain_shift(
    ...     500, 500, shift="label", severity=1.0, random_state=0)
    >>> y_seen = y.copy()
    >>> y_seen[sample_domain < 0] = -1
    >>> clf = BBSEClassifier().fit(X, y_seen, sample_domain=sample_domain)
    >>> clf.target_priors_.round(1)  # the true target priors are 0.95, 0.05
    array([0.9, 0.1])
    """

    _parameter_constraints: dict = {
        **_BaseLabelShift._parameter_constraints,
        "confusion": [StrOptions({"hard", "soft"})],
    }

    def __init__(self, estimator=None, *, confusion="hard", cv=5, refit=False):
        self.estimator = estimator
        self.confusion = confusion
        self.cv = cv
        self.refit = refit

    def _estimate_priors(
        self, X_source, codes_source, X_unlabeled, source_priors, n_folds, in_source
    ):
        C, mu = self._confusion_and_mean(
            X_source, codes_source, X_unlabeled, n_folds, in_source
        )
        w = np.linalg.lstsq(C, mu, rcond=None)[0]
        return self._priors_from_weights(w, source_priors, in_source)


def _rlls_theta(C, b, delta):
    """``argmin ||C t - b|| + delta ||t||`` subject to ``t >= -1``.

    The second-order cone program in epigraph form, ``min s + delta u`` with
    ``s >= ||C t - b||``, ``u >= ||t||``, solved by SLSQP from two starts
    (the bounded least-squares solution and 0); the better one is kept.
    """
    k = b.size

    def value(theta):
        return np.linalg.norm(C @ theta - b) + delta * np.linalg.norm(theta)

    def constraints(x):
        r = C @ x[:k] - b
        return np.array([x[k] ** 2 - r @ r, x[k + 1] ** 2 - x[:k] @ x[:k]])

    def constraints_jac(x):
        r = C @ x[:k] - b
        return np.vstack(
            [
                np.r_[-2.0 * C.T @ r, 2.0 * x[k], 0.0],
                np.r_[-2.0 * x[:k], 0.0, 2.0 * x[k + 1]],
            ]
        )

    least_squares = lsq_linear(C, b, bounds=(-1.0, np.inf)).x
    best = np.zeros(k)
    for theta in (least_squares, np.zeros(k)):
        start = np.r_[
            theta, np.linalg.norm(C @ theta - b) + 1e-6, np.linalg.norm(theta) + 1e-6
        ]
        result = minimize(
            lambda x: x[k] + delta * x[k + 1],
            start,
            jac=lambda x: np.r_[np.zeros(k), 1.0, delta],
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": constraints, "jac": constraints_jac}],
            bounds=[(-1.0, None)] * k + [(0.0, None)] * 2,
            options={"maxiter": 500, "ftol": 1e-12},
        )
        for candidate in (np.maximum(result.x[:k], -1.0), theta):
            if np.all(np.isfinite(candidate)) and value(candidate) < value(best):
                best = candidate
    return best


class RLLSClassifier(_ConfusionMixin, _BaseLabelShift):
    """Regularised learning under label shift (Azizzadenesheli et al., 2019).

    As :class:`BBSEClassifier`, from the joint confusion matrix ``C`` on
    held-out source rows and the mean target prediction ``mu``, but with
    the weights ``w = 1 + theta`` of::

        theta = argmin ||C theta - b||_2 + Delta_C ||theta||_2,
        b = mu - C 1,  subject to w >= 0,

    solved with :func:`scipy.optimize.minimize` (L-BFGS-B on a smoothed
    objective). The penalty shrinks ``w`` towards 1 (no correction) when the
    estimate is too noisy to be trusted, which makes RLLS safer than BBSE
    with few target rows or an ill-conditioned ``C``. ``Delta_C = reg *
    (sqrt(2 log(2k / 0.05) / n) + 2 log(2k / 0.05) / (3 n))``, the paper's
    bound on the error of ``C`` estimated from ``n`` source rows for ``k``
    classes (Lemma 1, ``delta = 0.05``), times ``reg``.

    Labeled target rows count in the estimate: their class frequencies are
    pooled with the estimate from the unlabeled rows, weighted by the
    number of rows. Several source domains are pooled into one source;
    several target domains into one target.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier (with ``predict_proba``); ``None`` means
        ``LogisticRegression()``. It is cloned.
    reg : float, default=0.1
        Scale of ``Delta_C`` relative to the paper's bound; 0 gives BBSE
        with the constraint ``w >= 0``. The full bound (``reg=1``) is a
        worst case: in ``benchmarks/instance_label_shift.py`` it left a
        10-class problem (Office-Caltech, ~50% accuracy) uncorrected under
        any shift, and matched ``reg=0.1`` on 2- and 3-class ones.
    confusion : {"hard", "soft"}, default="hard"
        Hard (label counts) or soft (summed probabilities) confusion matrix.
    cv : int, default=5
        Stratified folds of the held-out source predictions.
    refit : bool, default=False
        Whether to retrain ``estimator`` on the source rows with sample
        weights ``class_weights_[y_i]`` instead of correcting its
        posteriors; the estimator must accept ``sample_weight``.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the (weighted, with ``refit=True``) source
        rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels (of source and labeled target rows).
    source_priors_ : ndarray of shape (n_classes,)
        Class frequencies of the (pooled) source rows.
    target_priors_ : ndarray of shape (n_classes,)
        Estimated target priors; ``source_priors_`` without target rows.
    class_weights_ : ndarray of shape (n_classes,)
        ``target_priors_ / source_priors_``, the weights of the correction
        (0 for a class without source rows).
    has_target_ : bool
        Whether target rows were seen (else no correction).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    BBSEClassifier : The unregularised estimate.
    EMLabelShiftClassifier : Maximum-likelihood priors by EM.

    References
    ----------
    .. [1] K. Azizzadenesheli, A. Liu, F. Yang and A. Anandkumar,
       "Regularized Learning for Domain Adaptation under Label Shifts",
       ICLR 2019.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.instance import RLLSClassifier
    >>> X, y, sample_domain = make_domain_shift(
    ...     500, 500, shift="label", severity=1.0, random_state=0)
    >>> y_seen = y.copy()
    >>> y_seen[sample_domain < 0] = -1
    >>> clf = RLLSClassifier().fit(X, y_seen, sample_domain=sample_domain)
    >>> clf.target_priors_.round(1)  # the true target priors are 0.95, 0.05
    array([0.9, 0.1])
    """

    _parameter_constraints: dict = {
        **_BaseLabelShift._parameter_constraints,
        "reg": [Interval(Real, 0, None, closed="left")],
        "confusion": [StrOptions({"hard", "soft"})],
    }

    def __init__(self, estimator=None, *, reg=0.1, confusion="hard", cv=5, refit=False):
        self.estimator = estimator
        self.reg = reg
        self.confusion = confusion
        self.cv = cv
        self.refit = refit

    def _estimate_priors(
        self, X_source, codes_source, X_unlabeled, source_priors, n_folds, in_source
    ):
        C, mu = self._confusion_and_mean(
            X_source, codes_source, X_unlabeled, n_folds, in_source
        )
        k, n = C.shape[0], codes_source.size
        log_term = np.log(2 * k / 0.05)
        delta = self.reg * (np.sqrt(2 * log_term / n) + 2 * log_term / (3 * n))
        theta = _rlls_theta(C, mu - C.sum(axis=1), delta)
        return self._priors_from_weights(1.0 + theta, source_priors, in_source)


class JCPOTClassifier(_BaseLabelShift):
    """Joint class proportion and optimal transport (Redko et al., 2019).

    For several source domains whose class priors differ from each other
    and from the target's, JCPOT estimates the target priors as the
    proportions of a Wasserstein barycenter: each source domain is
    transported to the target rows by entropic optimal transport, the mass
    of each source class being free to change, and the class proportions
    that all the transports agree on are the target priors (POT's
    :func:`ot.bregman.jcpot_barycenter`). Then each source domain's rows are
    reweighted so that its class priors match the target's (row ``i`` of
    domain ``d`` and class ``y`` weighs ``p_t(y) / p_d(y)``, rescaled to
    mean 1) and ``estimator`` is trained on the weighted pooled sources; its
    posteriors are the predictions.

    The features are divided by the square root of the median squared
    distance between source and target rows, so that ``reg`` is relative
    to a unit cost. Source domains that lack a source class are left out
    of the barycenter (the pooled sources are used when every domain lacks
    one) but are still reweighted. Labeled target rows count in the
    estimate as for :class:`EMLabelShiftClassifier`; several target
    domains are pooled. Needs POT (``pip install 'sktransfer[ot]'``),
    imported when fitting.

    Parameters
    ----------
    estimator : classifier, default=None
        Probabilistic classifier whose ``fit`` accepts ``sample_weight``;
        ``None`` means ``LogisticRegression()``. It is cloned.
    reg : float, default=0.1
        Entropic regularisation of the transports, relative to the median
        squared distance.
    max_iter : int, default=100
        Most iterations of the barycenter (``numItermax``).
    tol : float, default=1e-6
        Stopping threshold of the barycenter (``stopThr``).
    metric : str, default="sqeuclidean"
        Ground cost between rows, as for :func:`ot.dist`.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the reweighted source rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels (of source and labeled target rows).
    source_priors_ : ndarray of shape (n_classes,)
        Class frequencies of the pooled source rows.
    domain_priors_ : ndarray of shape (n_source_domains, n_classes)
        Class frequencies of each source domain, in the order of
        ``source_domains_``.
    source_domains_ : ndarray of shape (n_source_domains,)
        The source domains seen in ``fit``.
    target_priors_ : ndarray of shape (n_classes,)
        Estimated target priors; ``source_priors_`` without target rows.
    class_weights_ : ndarray of shape (n_classes,)
        ``target_priors_ / source_priors_`` (0 for a class without source
        rows); each domain's rows are weighted by its own ratio.
    n_iter_ : int
        Iterations of the barycenter (1 when nothing was estimated).
    has_target_ : bool
        Whether target rows were seen (else no correction).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    EMLabelShiftClassifier : One source, priors by EM.

    References
    ----------
    .. [1] I. Redko, N. Courty, R. Flamary and D. Tuia, "Optimal Transport
       for Multi-source Domain Adaptation under Target Shift", AISTATS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import JCPOTClassifier
    >>> rng = np.random.RandomState(0)
    >>> def draw(n, p):
    ...     y = (rng.uniform(size=n) < p).astype(int)
    ...     return rng.normal(size=(n, 2)) + 3 * y[:, None], y
    >>> (X1, y1), (X2, y2), (Xt, yt) = draw(200, 0.3), draw(200, 0.6), draw(200, 0.9)
    >>> X = np.r_[X1, X2, Xt]
    >>> y = np.r_[y1, y2, -np.ones(200, int)]
    >>> sample_domain = np.repeat([1, 2, -1], 200)
    >>> clf = JCPOTClassifier().fit(X, y, sample_domain=sample_domain)
    >>> clf.target_priors_.round(1)
    array([0.1, 0.9])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "metric": [str],
    }

    def __init__(
        self, estimator=None, *, reg=0.1, max_iter=100, tol=1e-6, metric="sqeuclidean"
    ):
        self.estimator = estimator
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol
        self.metric = metric

    def _needs_sample_weight(self):
        return True

    def _n_folds(self, codes_source):
        return 0  # no cross-validation

    def fit(self, X, y, *, sample_domain=None):
        """Estimate the target priors and fit on the reweighted sources.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels of the source rows; ``-1`` marks unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows (one value per source domain), negative
            on target rows. ``None`` means every row is a source row: the
            plain estimator.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_domain=sample_domain)

    def _after_no_target(self):
        self.n_iter_ = 1
        self._set_domain_priors()

    def _set_domain_priors(self):
        domains = np.unique(self._fit_domains)
        self.source_domains_ = domains
        self._domain_index = np.searchsorted(domains, self._fit_domains)
        counts = np.zeros((domains.size, self.classes_.size))
        np.add.at(counts, (self._domain_index, self._fit_codes), 1.0)
        self.domain_priors_ = counts / counts.sum(axis=1, keepdims=True)

    def _estimate_priors(
        self, X_source, codes_source, X_unlabeled, source_priors, n_folds, in_source
    ):
        from ..utils._optional import import_pot

        ot = import_pot()
        self._set_domain_priors()
        classes = np.flatnonzero(in_source)
        labels = np.searchsorted(classes, codes_source).astype(float)
        X_source = _dense(X_source)
        X_unlabeled = _dense(X_unlabeled)
        scale = _median_sq_distance(X_source, X_unlabeled)
        X_source, X_unlabeled = X_source / np.sqrt(scale), X_unlabeled / np.sqrt(scale)
        Xs, Ys = [], []
        for d in range(self.source_domains_.size):
            rows = self._domain_index == d
            if np.unique(labels[rows]).size == classes.size:
                Xs.append(X_source[rows])
                Ys.append(labels[rows])
        if not Xs:
            Xs, Ys = [X_source], [labels]
        if len(Xs) == 1:  # POT unpacks a one-element list into its rows
            Xs, Ys = Xs * 2, Ys * 2
        with np.errstate(all="ignore"):
            priors, log = ot.bregman.jcpot_barycenter(
                Xs,
                Ys,
                X_unlabeled,
                reg=self.reg,
                metric=self.metric,
                numItermax=self.max_iter,
                stopThr=self.tol,
                log=True,
                warn=False,
            )
        priors = np.asarray(priors, dtype=float)
        self.n_iter_ = int(log["niter"]) + 1
        if not np.all(np.isfinite(priors)) or priors.sum() <= 0:
            return source_priors[in_source] / source_priors[in_source].sum()
        return priors / priors.sum()

    def _sample_weight(self, codes_source):
        ratio = np.divide(
            self.target_priors_,
            self.domain_priors_,
            out=np.zeros_like(self.domain_priors_),
            where=self.domain_priors_ > 0,
        )
        return ratio[self._domain_index, codes_source]


def _dense(X):
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    return X.astype(np.float64, copy=False)


def _median_sq_distance(A, B, n_max=500):
    A, B = A[:n_max], B[:n_max]
    d = (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2 * A @ B.T
    median = float(np.median(np.maximum(d, 0.0)))
    return median if np.isfinite(median) and median > 1e-300 else 1.0
