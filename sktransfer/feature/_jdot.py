"""Optimal-transport predictors: JDOT (classifier and regressor) and OT label
propagation.

The three estimators transport the labeled source rows onto the target rows
with an exact (or entropic) optimal-transport plan and fit a predictor on the
target rows with the labels the plan carries over. The predictor applies to any
new row, so the large-data route (``max_samples``: transport a random subsample
of each side) costs nothing out of sample.

POT is imported inside ``fit`` (:func:`sktransfer.utils._optional.import_pot`),
never when this module is imported.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._domain import BaseDomainAdapter, encode_classes, labeled_mask
from ..utils._delegation import wrapped_estimator_has
from ..utils._optimal_transport import (
    COST_NORMS,
    METRICS,
    RESCALING_NORMS,
    check_plan_memory,
    cost_matrix,
    sinkhorn_plan,
    subsample,
    uniform_weights,
)
from ..utils._optional import import_pot
from ..utils._warnings import warn

__all__ = ["JDOTClassifier", "JDOTRegressor", "OTLabelPropagation"]

# probabilities are clipped here before the log of the cross-entropy cost
_PROBA_FLOOR = 1e-7
# transported class mass below this share of a target row's mass is dropped
_MASS_THRESHOLD = 1e-6

_OT_CONSTRAINTS = {
    "metric": [StrOptions(set(METRICS))],
    "norm": [StrOptions({n for n in COST_NORMS if n is not None}), None],
    "max_samples": [Interval(Integral, 1, None, closed="left"), None],
    "random_state": ["random_state"],
}


def _transport(M, reg_e=None):
    """Plan between uniform weights for the cost ``M``; POT's warnings re-raised
    at the caller's line."""
    ot = import_pot()
    a, b = uniform_weights(M.shape[0]), uniform_weights(M.shape[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if reg_e is None:
            plan = ot.emd(a, b, M, numItermax=10_000_000)
        else:
            plan, _ = sinkhorn_plan(ot, a, b, M, reg_e)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning):
            warn(f"POT: {w.message}", w.category)
    plan = np.asarray(plan, dtype=np.float64)
    if not np.all(np.isfinite(plan)):
        raise ValueError(
            "The transport plan is not finite; with reg_e set, a larger reg_e "
            "or norm='median' keeps the entropic solver stable."
        )
    return plan


def _full_proba(estimator, X, classes):
    """``predict_proba`` with one column per class of ``classes``, zeros for the
    classes that ``estimator`` never saw."""
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    seen = np.asarray(estimator.classes_)
    if seen.shape[0] == classes.shape[0]:
        return proba
    full = np.zeros((proba.shape[0], classes.shape[0]))
    full[:, np.searchsorted(classes, seen)] = proba
    return full


def _fit_classifier(base, X, y, sample_weight=None):
    """Clone and fit ``base``; a constant classifier when ``y`` has one class
    (a transported labelling may hold a single class on tiny domains)."""
    if np.unique(y).size < 2:
        estimator = DummyClassifier(strategy="prior")
    else:
        estimator = clone(base)
    if sample_weight is None:
        return estimator.fit(X, y)
    return estimator.fit(X, y, sample_weight=sample_weight)


class _BaseOTPredictor(MetaEstimatorMixin, BaseDomainAdapter):
    """Validation, the plain path and the subsample shared by the three."""

    _domain_requirements = {"require_source": True}

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def predict(self, X):
        """Predict with the estimator fitted on the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self.estimator_.predict(X)

    def _validate(self, X, y, sample_domain):
        regression = isinstance(self, RegressorMixin)
        X, y, sample_domain = self._validate_domain_data(
            X, y, sample_domain, dtype=[np.float64, np.float32], regression=regression
        )
        X = np.asarray(X, dtype=np.float64)
        if regression:
            y = np.asarray(y, dtype=np.float64)
        return X, y, sample_domain

    def _split(self, X, sample_domain, labeled):
        """Rows transported from each side, and the labeled target rows left
        out of the subsample (fitted with their own labels)."""
        rng = check_random_state(self.random_state)
        source = np.flatnonzero(sample_domain > 0)
        target = np.flatnonzero(sample_domain < 0)
        source = source[subsample(source.size, self.max_samples, rng)]
        transported = target[subsample(target.size, self.max_samples, rng)]
        rest = np.setdiff1d(target, transported)
        extra = rest[labeled[rest]]
        check_plan_memory(source.size, transported.size, type(self).__name__)
        return source, transported, extra

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


_ITERATION_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "n_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
}


def _converged(objectives, tol):
    if len(objectives) < 2:
        return False
    previous, current = objectives[-2], objectives[-1]
    return abs(previous - current) <= tol * max(abs(previous), 1e-300)


class JDOTRegressor(RegressorMixin, _BaseOTPredictor):
    """Joint distribution optimal transport (JDOT) for regression.

    JDOT (Courty et al., 2017) looks for a target predictor ``f`` and a
    transport plan ``T`` between the source rows ``(x_i, y_i)`` and the
    target rows ``(x_j, f(x_j))`` that minimise the transport cost of the
    joint distributions::

        sum_ij T_ij [alpha d(x_i, x_j) + L(y_i, f(x_j))]

    by alternating two steps, for at most ``n_iter`` rounds:

    1. with ``f`` fixed, ``T`` is the exact (EMD) plan for that cost (in the
       first round ``f`` is ``estimator`` fitted on the source rows);
    2. with ``T`` fixed, ``f`` is refitted on the target rows with the
       barycentric labels ``y_j = sum_i T_ij y_i / sum_i T_ij`` (``n_t T^T
       y`` for uniform weights). For the squared loss this is exactly the
       minimiser of the cost over ``f``, so the objective does not increase
       (up to the regularisation of ``estimator``).

    They stop early when the objective changes by less than ``tol`` times
    its value. ``d`` is the ``metric`` between rows rescaled by ``norm``;
    ``L`` is the squared error divided by the variance of the source
    targets, so that ``alpha`` means the same on any scale of ``y``.

    Several source domains are pooled, and so are several target domains.
    Labeled target rows (``y`` not ``nan`` on a target row) keep their own
    value in step 2 instead of the transported one. Without target rows (or
    with ``sample_domain=None``) the estimator is ``estimator`` fitted on
    every row.

    Parameters
    ----------
    estimator : regressor, default=None
        Target predictor; ``None`` means ``Ridge()``. It is cloned.
    alpha : float, default=1.0
        Weight of the distance between rows against the label loss.
    n_iter : int, default=10
        Largest number of rounds (plan, then refit).
    tol : float, default=1e-5
        Relative change of the objective below which the rounds stop.
    metric : {"sqeuclidean", "euclidean", "cityblock", "cosine"}, \
            default="sqeuclidean"
        Distance between source and target rows.
    norm : {"median", "max", "log"} or None, default="median"
        Rescaling of the distance matrix (see
        :func:`~sktransfer.utils._optimal_transport.cost_matrix`).
    max_samples : int or None, default=None
        Large-data route: transport at most this many (pooled) source rows
        and this many target rows, drawn at random; the predictor fitted on
        the transported target rows applies to every row. ``None``
        transports every row (memory grows with ``n_source * n_target``).
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples of ``max_samples``.

    Attributes
    ----------
    estimator_ : regressor
        The predictor fitted in the last round.
    n_iter_ : int
        Rounds run (0 when fitted without target rows).
    objective_ : ndarray of shape (n_rounds,)
        Transport cost ``sum_ij T_ij C_ij`` of each round's plan, one per
        round (``n_rounds`` is ``n_iter_``).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    JDOTClassifier : The same for classification.

    References
    ----------
    .. [1] N. Courty, R. Flamary, A. Habrard and A. Rakotomamonjy, "Joint
       distribution optimal transportation for domain adaptation", NeurIPS
       2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import JDOTRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (60, 1)), rng.normal(0, 1, (60, 1)) + 2]
    >>> y = np.r_[X[:60, 0], X[60:, 0] - 2]  # the target is shifted by 2
    >>> sample_domain = np.r_[np.ones(60, int), -np.ones(60, int)]
    >>> y_seen = np.where(sample_domain < 0, np.nan, y)
    >>> reg = JDOTRegressor(alpha=10.0).fit(X, y_seen, sample_domain=sample_domain)
    >>> bool(reg.score(X[60:], y[60:]) > 0.5)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        **_ITERATION_CONSTRAINTS,
        **_OT_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=1.0,
        n_iter=10,
        tol=1e-5,
        metric="sqeuclidean",
        norm="median",
        max_samples=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.n_iter = n_iter
        self.tol = tol
        self.metric = metric
        self.norm = norm
        self.max_samples = max_samples
        self.random_state = random_state

    def _final_estimator(self):
        return Ridge() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Alternate the transport plan and the target predictor.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Targets; ``nan`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (the plain ``estimator``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        base = self._final_estimator()
        X, y, sample_domain = self._validate(X, y, sample_domain)
        labeled = labeled_mask(y, sample_domain, regression=True)
        self.objective_ = np.zeros(0)
        self.n_iter_ = 0
        if not (sample_domain < 0).any():
            self.estimator_ = clone(base).fit(X, y)
            return self
        source, target, extra = self._split(X, sample_domain, labeled)
        X_s, y_s, X_t = X[source], y[source], X[target]
        own = labeled[target]
        fit_X = np.vstack([X_t, X[extra]])
        scale = float(np.var(y_s))
        scale = scale if np.isfinite(scale) and scale > 0 else 1.0
        distance = self.alpha * cost_matrix(X_s, X_t, self.metric, self.norm)
        estimator = clone(base).fit(X_s, y_s)
        objectives = []
        for _ in range(self.n_iter):
            predicted = np.asarray(estimator.predict(X_t), dtype=np.float64)
            # in place: the distance, the cost and the plan are the only
            # (n_source, n_target) matrices held at once
            cost = np.subtract.outer(y_s, predicted)
            np.square(cost, out=cost)
            cost /= scale
            cost += distance
            plan = _transport(cost)
            objectives.append(float(np.einsum("ij,ij->", plan, cost)))
            del cost
            mass = plan.sum(axis=0)
            y_t = np.divide(
                plan.T @ y_s, mass, out=np.full(mass.shape, y_s.mean()), where=mass > 0
            )
            y_t[own] = y[target][own]
            estimator = clone(base).fit(fit_X, np.r_[y_t, y[extra]])
            if _converged(objectives, self.tol):
                break
        self.estimator_ = estimator
        self.objective_ = np.asarray(objectives)
        self.n_iter_ = len(objectives)
        return self


class JDOTClassifier(ClassifierMixin, _BaseOTPredictor):
    """Joint distribution optimal transport (JDOT) for classification.

    The classification form of :class:`JDOTRegressor` (Courty et al.,
    2017): a transport plan ``T`` between the labeled source rows and the
    target rows, for the cost ``alpha d(x_i, x_j) + L(y_i, f(x_j))``,
    alternates with a refit of the classifier ``f`` on the target rows, for
    at most ``n_iter`` rounds (in the first, ``f`` is ``estimator`` fitted
    on the source rows).

    The loss ``L(y_i, f(x_j)) = -log p_f(y_i | x_j)`` is the cross-entropy
    of ``f``'s predicted probabilities (clipped at 1e-7), so ``estimator``
    needs ``predict_proba``. Cross-entropy is the loss that probabilistic
    classifiers (logistic regression, the default) minimise, so that the
    refit minimises the same cost as the plan. The plan sends to target row
    ``j`` the class distribution ``n_t sum_i T_ij onehot(y_i)``; the refit
    trains on every pair ``(x_j, class k)`` whose mass is not negligible,
    weighted by that mass (``sample_weight``). This is exactly
    ``sum_ij T_ij L(y_i, f(x_j))`` for any loss, so the objective does not
    increase for an estimator that minimises its weighted loss. An
    ``estimator`` whose ``fit`` has no ``sample_weight`` is refitted on the
    argmax class of each target row instead.

    Several source domains are pooled, and so are several target domains.
    Labeled target rows keep their own class in the refit. Without target
    rows (or with ``sample_domain=None``) the estimator is ``estimator``
    fitted on every row.

    Parameters
    ----------
    estimator : classifier, default=None
        Target classifier with ``predict_proba``; ``None`` means
        ``LogisticRegression()``. It is cloned.
    alpha : float, default=1.0
        Weight of the distance between rows against the label loss.
    n_iter : int, default=10
        Largest number of rounds (plan, then refit).
    tol : float, default=1e-5
        Relative change of the objective below which the rounds stop.
    metric : {"sqeuclidean", "euclidean", "cityblock", "cosine"}, \
            default="sqeuclidean"
        Distance between source and target rows.
    norm : {"median", "max", "log"} or None, default="median"
        Rescaling of the distance matrix.
    max_samples : int or None, default=None
        Large-data route: transport at most this many (pooled) source rows
        and this many target rows, drawn at random; the classifier fitted on
        the transported target rows applies to every row.
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples of ``max_samples``.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted in the last round (a constant
        ``DummyClassifier`` if the rows it was fitted on held one class).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    n_iter_ : int
        Rounds run (0 when fitted without target rows).
    objective_ : ndarray of shape (n_rounds,)
        Transport cost ``sum_ij T_ij C_ij`` of each round's plan, one per
        round (``n_rounds`` is ``n_iter_``).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    JDOTRegressor : The same for regression.
    OTLabelPropagation : One transport of the labels, no alternation.

    References
    ----------
    .. [1] N. Courty, R. Flamary, A. Habrard and A. Rakotomamonjy, "Joint
       distribution optimal transportation for domain adaptation", NeurIPS
       2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import JDOTClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 100)  # balanced classes in both domains
    >>> X = rng.normal(size=(200, 2)) + np.c_[4 * y, 0 * y]
    >>> sample_domain = np.repeat([1, -1], 100)
    >>> X[100:] += [2.5, 2.0]  # the target domain is moved
    >>> y_seen = np.where(sample_domain < 0, -1, y)
    >>> clf = JDOTClassifier().fit(X, y_seen, sample_domain=sample_domain)
    >>> clf.classes_
    array([0, 1])
    >>> bool(clf.score(X[100:], y[100:]) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        **_ITERATION_CONSTRAINTS,
        **_OT_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=1.0,
        n_iter=10,
        tol=1e-5,
        metric="sqeuclidean",
        norm="median",
        max_samples=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.n_iter = n_iter
        self.tol = tol
        self.metric = metric
        self.norm = norm
        self.max_samples = max_samples
        self.random_state = random_state

    def _final_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Alternate the transport plan and the target classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (the plain ``estimator``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        base = self._final_estimator()
        if not hasattr(base, "predict_proba"):
            raise TypeError(
                f"{type(self).__name__} needs an estimator with predict_proba "
                f"(its transport cost is the cross-entropy of the predicted "
                f"probabilities), but {type(base).__name__} has none. Choose a "
                "probabilistic classifier (e.g. LogisticRegression, or "
                "SVC(probability=True))."
            )
        X, y, sample_domain = self._validate(X, y, sample_domain)
        classes, codes = encode_classes(y, sample_domain)
        self.classes_ = classes
        labels = np.where(codes >= 0, classes[np.maximum(codes, 0)], classes[0])
        self.objective_ = np.zeros(0)
        self.n_iter_ = 0
        if not (sample_domain < 0).any():
            self.estimator_ = clone(base).fit(X, labels)
            return self
        labeled = codes >= 0
        source, target, extra = self._split(X, sample_domain, labeled)
        X_s, X_t = X[source], X[target]
        codes_s, own = codes[source], labeled[target]
        n_t, n_classes = target.size, classes.size
        one_hot = np.eye(n_classes)[codes_s]
        weighted = has_fit_parameter(base, "sample_weight")
        distance = self.alpha * cost_matrix(X_s, X_t, self.metric, self.norm)
        estimator = _fit_classifier(base, X_s, labels[source])
        objectives = []
        for _ in range(self.n_iter):
            proba = _full_proba(estimator, X_t, classes)
            loss = -np.log(np.clip(proba, _PROBA_FLOOR, 1.0))  # (n_t, n_classes)
            cost = loss.T[codes_s]  # a new C-ordered (n_source, n_target) array
            cost += distance
            plan = _transport(cost)
            objectives.append(float(np.einsum("ij,ij->", plan, cost)))
            del cost
            mass = n_t * (plan.T @ one_hot)  # (n_t, n_classes)
            mass[own] = np.eye(n_classes)[codes[target][own]]
            estimator = self._refit(base, X_t, mass, X[extra], codes[extra], weighted)
            if _converged(objectives, self.tol):
                break
        self.estimator_ = estimator
        self.objective_ = np.asarray(objectives)
        self.n_iter_ = len(objectives)
        return self

    def _refit(self, base, X_t, mass, X_extra, codes_extra, weighted):
        classes = self.classes_
        if not weighted:
            codes = np.r_[mass.argmax(axis=1), codes_extra]
            return _fit_classifier(base, np.vstack([X_t, X_extra]), classes[codes])
        keep = mass > _MASS_THRESHOLD * mass.sum(axis=1, keepdims=True)
        rows, columns = np.nonzero(keep)
        return _fit_classifier(
            base,
            np.vstack([X_t[rows], X_extra]),
            classes[np.r_[columns, codes_extra]],
            sample_weight=np.r_[mass[rows, columns], np.ones(codes_extra.size)],
        )

    @available_if(wrapped_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the target classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._check_X(X)
        return _full_proba(self.estimator_, X, self.classes_)


class OTLabelPropagation(ClassifierMixin, _BaseOTPredictor):
    """Label propagation by optimal transport, then a classifier on the target.

    The source rows are transported onto the target rows by an optimal
    transport plan ``T`` (exact EMD, or entropic Sinkhorn with ``reg_e``)
    for the cost ``metric`` between rows; each target row ``j`` receives the
    class distribution ``p_j ∝ sum_i T_ij onehot(y_i)`` of the source rows
    sent to it, and its label is the argmax of ``p_j`` (Redko et al.,
    2019). ``estimator`` is then fitted on the target rows with these
    labels, so that ``predict`` applies to new rows.

    Labeled target rows keep their own class. Several source domains are
    pooled, and so are several target domains. Without target rows (or with
    ``sample_domain=None``) the estimator is ``estimator`` fitted on every
    row.

    Parameters
    ----------
    estimator : classifier, default=None
        Classifier fitted on the labeled target rows; ``None`` means
        ``LogisticRegression()``: the propagated labels are noisy where the
        classes overlap, and a smooth classifier averages that noise out
        where a 1-nearest-neighbour would copy it. It is cloned.
    reg_e : float or None, default=None
        ``None`` solves the exact transport (EMD); a positive value, the
        entropic one (Sinkhorn, in the log domain) with this regularisation.
        Entropic plans spread the labels, exact plans keep them sharp.
    metric : {"sqeuclidean", "euclidean", "cityblock", "cosine"}, \
            default="sqeuclidean"
        Distance between source and target rows.
    norm : {"median", "max", "log"} or None, default="median"
        Rescaling of the cost matrix, so that ``reg_e`` means the same on any
        scale of the features.
    max_samples : int or None, default=None
        Large-data route: transport at most this many (pooled) source rows
        and this many target rows, drawn at random; the classifier fitted on
        the transported target rows applies to every row.
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples of ``max_samples``.

    Attributes
    ----------
    estimator_ : classifier
        The classifier fitted on the labeled target rows (a constant
        ``DummyClassifier`` if they held one class).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    target_indices_ : ndarray of shape (n_transported,)
        Rows of ``X`` (target rows) that received labels by transport; empty
        without target rows.
    label_distribution_ : ndarray of shape (n_transported, n_classes)
        Class distribution of each of those rows (one-hot on labeled target
        rows), columns in the order of ``classes_``.
    target_labels_ : ndarray of shape (n_transported,)
        The label of each of those rows: its own if it had one, else the
        argmax of its distribution.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    JDOTClassifier : Alternates the transport and the classifier.

    References
    ----------
    .. [1] I. Redko, N. Courty, R. Flamary and D. Tuia, "Optimal Transport
       for Multi-source Domain Adaptation under Target Shift", AISTATS 2019.
    .. [2] N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal
       Transport for Domain Adaptation", IEEE TPAMI 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import OTLabelPropagation
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 100)  # balanced classes in both domains
    >>> X = rng.normal(size=(200, 2)) + np.c_[4 * y, 0 * y]
    >>> sample_domain = np.repeat([1, -1], 100)
    >>> X[100:] += [2.5, 2.0]  # the target domain is moved
    >>> y_seen = np.where(sample_domain < 0, -1, y)
    >>> prop = OTLabelPropagation().fit(X, y_seen, sample_domain=sample_domain)
    >>> prop.label_distribution_.shape
    (100, 2)
    >>> bool((prop.target_labels_ == y[prop.target_indices_]).mean() > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "reg_e": [Interval(Real, 0, None, closed="neither"), None],
        **_OT_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator=None,
        *,
        reg_e=None,
        metric="sqeuclidean",
        norm="median",
        max_samples=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.reg_e = reg_e
        self.metric = metric
        self.norm = norm
        self.max_samples = max_samples
        self.random_state = random_state

    def _final_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Propagate the source labels to the target rows, then fit the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (the plain ``estimator``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        base = self._final_estimator()
        X, y, sample_domain = self._validate(X, y, sample_domain)
        classes, codes = encode_classes(y, sample_domain)
        self.classes_ = classes
        n_classes = classes.size
        labels = np.where(codes >= 0, classes[np.maximum(codes, 0)], classes[0])
        if not (sample_domain < 0).any():
            self.target_indices_ = np.zeros(0, dtype=np.intp)
            self.label_distribution_ = np.zeros((0, n_classes))
            self.target_labels_ = classes[:0]
            self.estimator_ = clone(base).fit(X, labels)
            return self
        labeled = codes >= 0
        source, target, extra = self._split(X, sample_domain, labeled)
        # the exact plan does not change when the cost is rescaled: skip it
        exact = self.reg_e is None and self.norm in RESCALING_NORMS
        norm = None if exact else self.norm
        plan = _transport(
            cost_matrix(X[source], X[target], self.metric, norm), self.reg_e
        )
        distribution = plan.T @ np.eye(n_classes)[codes[source]]
        del plan
        total = distribution.sum(axis=1, keepdims=True)
        prior = np.bincount(codes[source], minlength=n_classes) / source.size
        distribution = np.where(
            total > 0, distribution / np.where(total > 0, total, 1.0), prior
        )
        own = labeled[target]
        distribution[own] = np.eye(n_classes)[codes[target][own]]
        target_codes = distribution.argmax(axis=1)
        self.target_indices_ = target
        self.label_distribution_ = distribution
        self.target_labels_ = classes[target_codes]
        self.estimator_ = _fit_classifier(
            base,
            np.vstack([X[target], X[extra]]),
            classes[np.r_[target_codes, codes[extra]]],
        )
        return self

    @available_if(wrapped_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the classifier fitted on the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._check_X(X)
        return _full_proba(self.estimator_, X, self.classes_)
