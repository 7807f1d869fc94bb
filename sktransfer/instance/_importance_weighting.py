"""Importance weighting for covariate shift: density-ratio estimators and the
meta-estimator that trains on importance-weighted source rows."""

from numbers import Integral, Real

import numpy as np
from scipy.stats import rankdata
from sklearn.base import (
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._domain import BaseDomainAdapter, labeled_mask
from ..utils._delegation import ClassifierOutputsMixin
from ..utils._numerics import (
    CHUNK_SIZE,
    median_heuristic_gamma,
    rbf_kernel,
    squared_norms,
    stack_rows,
)
from ..utils._warnings import warn

__all__ = [
    "DegenerateWeightsWarning",
    "DiscriminativeDensityRatio",
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "KLIEP",
    "KernelMeanMatching",
]


class DegenerateWeightsWarning(UserWarning):
    """Importance weights put almost all their mass on very few source rows.

    Raised when the effective sample size ``(sum w)^2 / sum w^2`` of the
    source weights falls below ``max(2, 1%`` of the source rows``)``: the
    weighted fit then rests on a handful of rows and is unreliable. A wider
    kernel (smaller ``gamma``), a smaller bound ``B`` or a more regularised
    domain classifier usually helps.
    """


def _effective_sample_size(weights):
    total = weights.sum()
    return float(total**2 / np.sum(weights**2)) if total > 0 else 0.0


def _check_weights(weights, owner):
    """Refuse unusable weights; warn when they degenerate."""
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{owner} produced negative or non-finite weights.")
    if weights.size and weights.sum() <= 0:
        raise ValueError(
            f"{owner} gave every source row zero weight: no source row looks "
            "like the target rows. Use a wider kernel (smaller gamma) or check "
            "that source and target share a feature space."
        )
    ess = _effective_sample_size(weights)
    if weights.size > 1 and ess < max(2.0, 0.01 * weights.size):
        warn(
            f"{owner}: the importance weights degenerate, with an effective "
            f"sample size of {ess:.1f} out of {weights.size} source rows (the "
            "largest weight holds "
            f"{weights.max() / weights.sum():.0%} of the mass). A wider kernel "
            "(smaller gamma), a smaller bound or a more regularised domain "
            "classifier spreads them.",
            DegenerateWeightsWarning,
        )
    return ess


class _BaseWeighting(TransformerMixin, BaseDomainAdapter):
    """Fit source-row weights from source and target rows.

    Subclasses implement ``_fit_weights(X_source, X_target, rng)`` returning
    the source weights and ``compute_weights(X)``.
    """

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, sample_domain=None):
        """Estimate the importance weights of the source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows; target labels are not needed.
        y : array-like of shape (n_samples,), default=None
            Ignored; accepted so that the estimator fits in pipelines.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows. ``None`` means
            every row is a source row: there is no shift to correct and
            every weight is 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, _, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse=["csr", "csc"]
        )
        is_source = sample_domain > 0
        X_source, X_target = X[np.flatnonzero(is_source)], X[np.flatnonzero(~is_source)]
        rng = check_random_state(getattr(self, "random_state", None))
        self.has_target_ = bool((~is_source).any() and is_source.any())
        if self.has_target_:
            weights = self._fit_weights(X_source, X_target, rng)
        else:
            weights = np.ones(X_source.shape[0])
            if "max_iter" in self.get_params():
                self.n_iter_ = 1
            if "cv" in self.get_params():
                self.cv_results_ = None
        self.effective_sample_size_ = _check_weights(weights, type(self).__name__)
        self.weights_ = weights
        return self

    def compute_weights(self, X):
        """Importance weights of new rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Estimated ``p_target(x) / p_source(x)``; all 1 when fitted
            without target rows.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"])
        if not self.has_target_:
            return np.ones(X.shape[0])
        return self._compute_weights(X)

    def transform(self, X):
        """The weights of :meth:`compute_weights` as one column.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to weigh.

        Returns
        -------
        weights : ndarray of shape (n_samples, 1)
        """
        return self.compute_weights(X)[:, None]

    def get_feature_names_out(self, input_features=None):
        """Name of the one output column of :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["importance_weight"]``.
        """
        check_is_fitted(self)
        return np.asarray(["importance_weight"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = False
        return tags


class KernelMeanMatching(_BaseWeighting):
    """Kernel mean matching (KMM): source weights that match the target mean.

    Finds source weights ``beta`` whose weighted mean of the source rows in
    the feature space of a Gaussian kernel is closest to the target rows'
    mean (Huang et al., 2006), by solving the quadratic program::

        min_beta  1/2 beta' K beta - kappa' beta
        s.t.      0 <= beta_i <= B,  |sum_i beta_i - n_s| <= n_s eps

    with ``K`` the kernel between source rows and ``kappa_i = n_s / n_t
    sum_j k(x_i, x'_j)``. The objective is the squared maximum mean
    discrepancy between the weighted source and the target, up to the
    factor ``n_s^2 / 2`` and a constant. It is solved by an accelerated
    projected gradient method (FISTA with adaptive restart); the projection
    on the box and the sum constraint is exact.

    Weights of new rows (:meth:`compute_weights`) are a Nadaraya-Watson
    average of the fitted weights with the same kernel; on the training rows
    they are a smoothed version of ``weights_``.

    Parameters
    ----------
    gamma : float or None, default=None
        Width of the kernel ``exp(-gamma ||x - y||^2)``. ``None`` uses the
        median heuristic: one over the median squared distance between
        distinct rows of the pooled source and target rows (1000 of them
        drawn at random when there are more; 1 when all rows are equal).
    B : float, default=1000.0
        Upper bound of each weight.
    eps : float or None, default=None
        Slack of the sum constraint. ``None`` means ``(sqrt(n_s) - 1) /
        sqrt(n_s)``, the choice of Huang et al.
    max_iter : int, default=1000
        Iterations of the solver.
    tol : float, default=1e-6
        The solver stops when the objective improves by less than ``tol``
        times its magnitude over an iteration.
    random_state : int, RandomState instance or None, default=0
        Chooses the rows of the median heuristic.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Weight of each source row, in their order in ``X``.
    gamma_ : float
        Kernel width used.
    objective_ : float
        Final value of the objective ``1/2 beta' K beta - kappa' beta``.
    n_iter_ : int
        Iterations run by the solver (1 when fitted without target rows).
    effective_sample_size_ : float
        ``(sum w)^2 / sum w^2`` of the weights.
    has_target_ : bool
        Whether target rows were seen (else every weight is 1).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    KLIEP : Density ratio with out-of-sample weights by design.
    ImportanceWeightedClassifier : Trains on the weighted source rows.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schölkopf and A. Smola,
       "Correcting Sample Selection Bias by Unlabeled Data", NIPS 2006.
    .. [2] A. Beck and M. Teboulle, "A Fast Iterative Shrinkage-Thresholding
       Algorithm for Linear Inverse Problems", SIAM J. Imaging Sci. 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import KernelMeanMatching
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 1)), rng.normal(1, 0.5, (50, 1))]
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(50, int)]
    >>> kmm = KernelMeanMatching().fit(X, sample_domain=sample_domain)
    >>> # source rows near the target mean (x = 1) weigh more
    >>> bool(kmm.weights_[X[:100, 0] > 0.5].mean() > kmm.weights_.mean())
    True
    """

    _parameter_constraints: dict = {
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "B": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self, gamma=None, *, B=1000.0, eps=None, max_iter=1000, tol=1e-6, random_state=0
    ):
        self.gamma = gamma
        self.B = B
        self.eps = eps
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit_weights(self, X_source, X_target, rng):
        n_source, n_target = X_source.shape[0], X_target.shape[0]
        if self.gamma is None:
            self.gamma_ = median_heuristic_gamma(stack_rows(X_source, X_target), rng)
        else:
            self.gamma_ = float(self.gamma)
        source_norms = squared_norms(X_source)
        kappa = np.zeros(n_source)
        target_norms = squared_norms(X_target)
        for start in range(0, n_target, CHUNK_SIZE):
            block = slice(start, start + CHUNK_SIZE)
            kappa += rbf_kernel(
                X_source,
                X_target[block],
                self.gamma_,
                X_norms=source_norms,
                Y_norms=target_norms[block],
            ).sum(axis=1)
        kappa *= n_source / n_target
        K = rbf_kernel(
            X_source, X_source, self.gamma_, X_norms=source_norms, Y_norms=source_norms
        )
        eps = (
            (np.sqrt(n_source) - 1) / np.sqrt(n_source)
            if self.eps is None
            else self.eps
        )
        bounds = (max(n_source * (1 - eps), 0.0), n_source * (1 + eps))
        beta, self.objective_, self.n_iter_ = _solve_kmm(
            K, kappa, self.B, bounds, self.max_iter, self.tol
        )
        self._X_source = X_source
        self._source_norms = source_norms
        return beta

    def _compute_weights(self, X):
        K = rbf_kernel(X, self._X_source, self.gamma_, Y_norms=self._source_norms)
        total = K.sum(axis=1)
        smoothed = K @ self.weights_
        return np.divide(
            smoothed, total, out=np.ones_like(smoothed), where=total > 1e-300
        )


def _project_box_sum(v, upper, low, high):
    """Euclidean projection of ``v`` on ``{0 <= b <= upper, low <= sum b <= high}``."""
    clipped = np.clip(v, 0.0, upper)
    total = clipped.sum()
    if low <= total <= high:
        return clipped
    goal = high if total > high else low
    # sum(clip(v - tau)) decreases in tau; bracket the root, then bisect
    lo_tau, hi_tau = v.min() - upper, v.max()
    for _ in range(100):
        tau = 0.5 * (lo_tau + hi_tau)
        if np.clip(v - tau, 0.0, upper).sum() > goal:
            lo_tau = tau
        else:
            hi_tau = tau
        if hi_tau - lo_tau <= 1e-12 * max(1.0, abs(tau)):
            break
    return np.clip(v - 0.5 * (lo_tau + hi_tau), 0.0, upper)


def _solve_kmm(K, kappa, upper, bounds, max_iter, tol):
    """FISTA with adaptive (function-value) restart for the KMM program."""
    step = 1.0 / K.sum(axis=1).max()  # 1 / Lipschitz bound (Gershgorin)
    low, high = bounds
    beta = _project_box_sum(np.ones_like(kappa), upper, low, high)
    K_beta = K @ beta
    objective = 0.5 * beta @ K_beta - kappa @ beta
    momentum = 1.0
    point, K_point = beta, K_beta
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        new = _project_box_sum(point - step * (K_point - kappa), upper, low, high)
        K_new = K @ new
        new_objective = 0.5 * new @ K_new - kappa @ new
        if new_objective > objective:  # restart the momentum
            momentum, point, K_point = 1.0, beta, K_beta
            continue
        converged = objective - new_objective <= tol * max(abs(new_objective), 1.0)
        previous, K_previous = beta, K_beta
        beta, K_beta, objective = new, K_new, new_objective
        if converged:
            break
        next_momentum = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * momentum**2))
        ratio = (momentum - 1.0) / next_momentum
        # K is linear: K @ point follows from the two last products
        point = beta + ratio * (beta - previous)
        K_point = K_beta + ratio * (K_beta - K_previous)
        momentum = next_momentum
    return beta, float(objective), n_iter


def _cv_results(name, candidates, scores):
    """``cv_results_`` in the form of ``GridSearchCV``'s for one parameter.

    ``scores[i, j]`` is the test score of ``candidates[i]`` on fold ``j``.
    """
    mean = scores.mean(axis=1)
    results = {
        "params": [{name: value} for value in candidates.tolist()],
        f"param_{name}": np.asarray(candidates),
    }
    for j in range(scores.shape[1]):
        results[f"split{j}_test_score"] = scores[:, j]
    results["mean_test_score"] = mean
    results["std_test_score"] = scores.std(axis=1)
    results["rank_test_score"] = rankdata(-mean, method="min").astype(np.int32)
    return results


class KLIEP(_BaseWeighting):
    """KLIEP: the density ratio that minimises the KL divergence to the target.

    Models the importance ``w(x) = p_target(x) / p_source(x)`` as a
    non-negative combination of Gaussian kernels centred on target rows,
    ``w(x) = sum_l alpha_l exp(-gamma ||x - c_l||^2)``, and maximises the
    log-likelihood of the target rows under ``w * p_source`` with the
    weights averaging one on the source rows (Sugiyama et al., 2007). The
    problem is concave; it is solved by the paper's projected gradient
    ascent with an adaptive step. Weights of new rows come from the model.

    Parameters
    ----------
    gamma : float, array-like of float or None, default=None
        Width of the kernels. An array gives candidates, among which the
        one with the best held-out target log-likelihood is chosen by
        ``cv``-fold likelihood cross-validation, as in the paper. ``None``
        tries the median heuristic value times ``(0.1, 0.3, 1, 3, 10)``: one
        over the median squared distance between distinct rows of the
        pooled source and target rows (1000 of them drawn at random when
        there are more; 1 when all rows are equal).
    n_centers : int, default=100
        Number of target rows drawn as kernel centres (all of them when
        there are fewer), the paper's choice.
    cv : int, default=5
        Folds of the likelihood cross-validation.
    max_iter : int, default=1000
        Iterations of gradient ascent.
    tol : float, default=1e-6
        Ascent stops when the log-likelihood improves by less than ``tol``.
    random_state : int, RandomState instance or None, default=0
        Draws the centres and the folds.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Weight of each source row (mean 1).
    alpha_ : ndarray of shape (n_centers,)
        Coefficients of the kernels.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres (target rows).
    gamma_ : float
        Kernel width used.
    cv_results_ : dict of ndarray or None
        The likelihood cross-validation, in the form of ``GridSearchCV``'s
        ``cv_results_``: ``"params"``, ``"param_gamma"`` (the candidates),
        ``"split{k}_test_score"`` (the mean held-out log-likelihood of the
        target rows of fold ``k``), ``"mean_test_score"``,
        ``"std_test_score"`` and ``"rank_test_score"``; ``None`` with a
        single candidate or without target rows.
    n_iter_ : int
        Iterations of the final ascent (1 when fitted without target rows).
    effective_sample_size_ : float
        ``(sum w)^2 / sum w^2`` of the weights.
    has_target_ : bool
        Whether target rows were seen (else every weight is 1).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    KernelMeanMatching : Matches kernel means instead.
    DiscriminativeDensityRatio : Density ratio from a domain classifier.

    References
    ----------
    .. [1] M. Sugiyama, S. Nakajima, H. Kashima, P. von Bünau and
       M. Kawanabe, "Direct Importance Estimation with Model Selection and
       Its Application to Covariate Shift Adaptation", NIPS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import KLIEP
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 1)), rng.normal(1, 0.5, (50, 1))]
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(50, int)]
    >>> kliep = KLIEP(gamma=0.5).fit(X, sample_domain=sample_domain)
    >>> round(float(kliep.weights_.mean()), 3)
    1.0
    >>> kliep.compute_weights([[1.0], [-2.0]]).round(2)
    array([2.08, 0.01])
    """

    _parameter_constraints: dict = {
        "gamma": [Interval(Real, 0, None, closed="neither"), "array-like", None],
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        gamma=None,
        *,
        n_centers=100,
        cv=5,
        max_iter=1000,
        tol=1e-6,
        random_state=0,
    ):
        self.gamma = gamma
        self.n_centers = n_centers
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _candidates(self, X_source, X_target, rng):
        if self.gamma is None:
            gamma = median_heuristic_gamma(stack_rows(X_source, X_target), rng)
            return gamma * np.array([0.1, 0.3, 1.0, 3.0, 10.0])
        return np.atleast_1d(np.asarray(self.gamma, dtype=float))

    def _fit_weights(self, X_source, X_target, rng):
        candidates = self._candidates(X_source, X_target, rng)
        self.cv_results_ = None
        n_target = X_target.shape[0]
        if candidates.size > 1:
            n_folds = min(self.cv, n_target)
            if n_folds < 2:
                raise ValueError(
                    "KLIEP chooses gamma by likelihood cross-validation on the "
                    f"target rows and needs at least 2, got {n_target}."
                )
            folds = list(
                KFold(n_folds, shuffle=True, random_state=rng.randint(2**31 - 1)).split(
                    np.arange(n_target)
                )
            )
            scores = np.empty((candidates.size, n_folds))
            for i, gamma in enumerate(candidates):
                for j, (train, test) in enumerate(folds):
                    centers, alpha, _ = self._fit_alpha(
                        X_source, X_target[train], gamma, rng
                    )
                    w = rbf_kernel(X_target[test], centers, gamma) @ alpha
                    scores[i, j] = np.mean(np.log(np.maximum(w, 1e-300)))
            self.cv_results_ = _cv_results("gamma", candidates, scores)
            self.gamma_ = float(candidates[np.argmax(scores.mean(axis=1))])
        else:
            self.gamma_ = float(candidates[0])
        self.centers_, self.alpha_, self.n_iter_ = self._fit_alpha(
            X_source, X_target, self.gamma_, rng
        )
        return rbf_kernel(X_source, self.centers_, self.gamma_) @ self.alpha_

    def _fit_alpha(self, X_source, X_target, gamma, rng):
        n_centers = min(self.n_centers, X_target.shape[0])
        rows = np.sort(rng.choice(X_target.shape[0], n_centers, replace=False))
        centers = X_target[rows]
        A = rbf_kernel(X_target, centers, gamma)
        b = rbf_kernel(X_source, centers, gamma).mean(axis=0)
        b_norm = b @ b
        if b_norm <= 1e-300:  # no source row near any centre
            return centers, np.zeros(n_centers), 0

        def project(alpha):
            alpha = alpha + (1.0 - b @ alpha) * b / b_norm
            alpha = np.maximum(alpha, 0.0)
            total = b @ alpha
            return alpha / total if total > 0 else np.full_like(alpha, 1.0 / b.sum())

        def loglik(alpha):
            return np.mean(np.log(np.maximum(A @ alpha, 1e-300)))

        alpha = project(np.ones(n_centers))
        value, step = loglik(alpha), 1.0 / max(np.abs(A).max(), 1e-12)
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            gradient = A.T @ (1.0 / np.maximum(A @ alpha, 1e-300)) / A.shape[0]
            candidate = project(alpha + step * gradient)
            new_value = loglik(candidate)
            if new_value < value:
                step *= 0.5
                if step < 1e-12:
                    break
                continue
            improved = new_value - value
            alpha, value, step = candidate, new_value, step * 1.5
            if improved < self.tol:
                break
        return centers, alpha, n_iter

    def _compute_weights(self, X):
        return rbf_kernel(X, self.centers_, self.gamma_) @ self.alpha_


class DiscriminativeDensityRatio(_BaseWeighting):
    """Density ratio from the odds of a classifier that tells domains apart.

    A probabilistic classifier learns whether a row comes from the target
    (label 1) or the source (label 0); by Bayes' rule the importance is
    ``w(x) = p_target(x) / p_source(x) = n_s / n_t * P(target | x) /
    P(source | x)`` (Zadrozny, 2004; Bickel et al., 2009). A well-calibrated,
    regularised classifier gives smooth weights; a classifier that separates
    the domains perfectly gives degenerate ones (see
    :class:`DegenerateWeightsWarning`).

    Parameters
    ----------
    domain_classifier : classifier, default=None
        Classifier with ``predict_proba`` that tells target rows from source
        rows; ``None`` means ``LogisticRegression()`` (L2, ``C=1``). It is
        cloned.
    clip : float or None, default=None
        Upper bound of a weight, relative to the mean weight; ``None`` does
        not clip.

    Attributes
    ----------
    domain_classifier_ : classifier
        The fitted domain classifier.
    weights_ : ndarray of shape (n_source,)
        Weight of each source row.
    effective_sample_size_ : float
        ``(sum w)^2 / sum w^2`` of the weights.
    has_target_ : bool
        Whether target rows were seen (else every weight is 1).
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    KLIEP, KernelMeanMatching : Kernel-based density-ratio estimators.

    References
    ----------
    .. [1] B. Zadrozny, "Learning and Evaluating Classifiers under Sample
       Selection Bias", ICML 2004.
    .. [2] S. Bickel, M. Brückner and T. Scheffer, "Discriminative Learning
       Under Covariate Shift", JMLR 10, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import DiscriminativeDensityRatio
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 1)), rng.normal(1, 0.5, (50, 1))]
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(50, int)]
    >>> ratio = DiscriminativeDensityRatio().fit(X, sample_domain=sample_domain)
    >>> bool(ratio.compute_weights([[1.0]])[0] > ratio.compute_weights([[-1.0]])[0])
    True
    """

    _parameter_constraints: dict = {
        "domain_classifier": [HasMethods(["fit", "predict_proba"]), None],
        "clip": [Interval(Real, 1, None, closed="left"), None],
    }

    def __init__(self, domain_classifier=None, *, clip=None):
        self.domain_classifier = domain_classifier
        self.clip = clip

    def _fit_weights(self, X_source, X_target, rng):
        stacked = stack_rows(X_source, X_target)
        is_target = np.r_[np.zeros(X_source.shape[0]), np.ones(X_target.shape[0])]
        base = (
            LogisticRegression()
            if self.domain_classifier is None
            else self.domain_classifier
        )
        self.domain_classifier_ = clone(base).fit(stacked, is_target)
        self._prior = X_source.shape[0] / X_target.shape[0]
        return self._compute_weights(X_source)

    def _compute_weights(self, X):
        proba = self.domain_classifier_.predict_proba(X)
        column = list(self.domain_classifier_.classes_).index(1.0)
        p_target = np.clip(proba[:, column], 1e-12, 1 - 1e-12)
        weights = self._prior * p_target / (1.0 - p_target)
        if self.clip is not None:
            weights = np.minimum(weights, self.clip * weights.mean())
        return weights


class _BaseImportanceWeighted(MetaEstimatorMixin, BaseDomainAdapter):
    _parameter_constraints: dict = {
        "weighting": [HasMethods(["fit"]), None],
        "estimator": [HasMethods(["fit", "predict"]), None],
    }
    _domain_requirements = {"require_source": True}

    def __init__(self, weighting=None, estimator=None):
        self.weighting = weighting
        self.estimator = estimator

    def _weighting(self):
        return (
            DiscriminativeDensityRatio() if self.weighting is None else self.weighting
        )

    def _sparse_ok(self):
        return get_tags(self._final_estimator()).input_tags.sparse

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Estimate source weights, then fit the estimator on the weighted source.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels of the source rows; target labels are not used (mark them
            unlabeled or give any value).
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (unit weights: the plain estimator).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        final = self._final_estimator()
        if not has_fit_parameter(final, "sample_weight"):
            raise TypeError(
                f"{type(self).__name__} trains its estimator on weighted source "
                f"rows, but {type(final).__name__}.fit does not accept "
                "sample_weight. Choose an estimator that does."
            )
        regression = isinstance(self, RegressorMixin)
        X, y, sample_domain = self._validate_domain_data(
            X,
            y,
            sample_domain,
            accept_sparse=["csr", "csc"] if self._sparse_ok() else False,
            regression=regression,
        )
        self.weighting_ = clone(self._weighting()).fit(X, sample_domain=sample_domain)
        source = np.flatnonzero(sample_domain > 0)
        weights = np.asarray(self.weighting_.weights_, dtype=float)
        # mean 1: a regularised estimator keeps the strength it was given
        self.sample_weight_ = weights / weights.mean()
        y_source = y[source]
        if not regression:
            keep = labeled_mask(y, sample_domain)[source]
            source, y_source = source[keep], y_source[keep]
        self.estimator_ = clone(final).fit(
            X[source], y_source, sample_weight=self.sample_weight_
        )
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=["csr", "csc"] if self._sparse_ok() else False,
        )

    def predict(self, X):
        """Predict with the estimator fitted on the weighted source rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self.estimator_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._sparse_ok()
        return tags


class ImportanceWeightedClassifier(
    ClassifierOutputsMixin, ClassifierMixin, _BaseImportanceWeighted
):
    """Train a classifier on the source rows, weighted by estimated importance.

    Under covariate shift (``p(y | x)`` the same in both domains, ``p(x)``
    not), the target risk equals the source risk weighted by ``w(x) =
    p_target(x) / p_source(x)`` (Shimodaira, 2000). ``fit`` estimates ``w``
    with ``weighting`` from the source rows and the (unlabeled) target
    rows, then fits ``estimator`` on the source rows with ``sample_weight =
    w``, rescaled to mean 1 so that a regularised estimator keeps the
    strength of regularisation it was given. No target label is needed;
    labeled target rows are not used.

    The weighting's hyperparameters are grid-searchable through this
    estimator, e.g. ``{"weighting__gamma": [0.01, 0.1]}`` for
    :class:`KernelMeanMatching` or :class:`KLIEP`.

    Parameters
    ----------
    weighting : estimator, default=None
        A weight estimator (:class:`KernelMeanMatching`, :class:`KLIEP`,
        :class:`DiscriminativeDensityRatio`, or any estimator whose fitted
        ``weights_`` holds one weight per source row); ``None`` means
        ``DiscriminativeDensityRatio()``. It is cloned.
    estimator : classifier, default=None
        Final classifier whose ``fit`` accepts ``sample_weight``; ``None``
        means ``LogisticRegression()``. It is cloned.

    Attributes
    ----------
    weighting_ : estimator
        The fitted weight estimator.
    sample_weight_ : ndarray of shape (n_source,)
        Weight of each source row in the final fit.
    estimator_ : classifier
        The fitted final classifier.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    ImportanceWeightedRegressor : The same for regression.

    References
    ----------
    .. [1] H. Shimodaira, "Improving Predictive Inference under Covariate
       Shift by Weighting the Log-Likelihood Function", J. Stat. Plan.
       Inference 90, 2000.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.instance import ImportanceWeightedClassifier, KLIEP
    >>> X, y, sample_domain = make_domain_shift(shift="covariate", random_state=0)
    >>> y_seen = y.copy()
    >>> y_seen[sample_domain < 0] = -1
    >>> clf = ImportanceWeightedClassifier(KLIEP(gamma=1.0))
    >>> clf = clf.fit(X, y_seen, sample_domain=sample_domain)
    >>> clf.sample_weight_.shape
    (200,)
    >>> clf.get_params()["weighting__gamma"]
    1.0
    """

    def _final_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator


class ImportanceWeightedRegressor(RegressorMixin, _BaseImportanceWeighted):
    """Train a regressor on the source rows, weighted by estimated importance.

    The regression counterpart of :class:`ImportanceWeightedClassifier`: the
    weights come from ``weighting`` fitted on source and target rows, the
    final regressor is fitted on the source rows with them.

    Parameters
    ----------
    weighting : estimator, default=None
        Weight estimator; ``None`` means ``DiscriminativeDensityRatio()``.
    estimator : regressor, default=None
        Final regressor whose ``fit`` accepts ``sample_weight``; ``None``
        means ``LinearRegression()``.

    Attributes
    ----------
    weighting_ : estimator
        The fitted weight estimator.
    sample_weight_ : ndarray of shape (n_source,)
        Weight of each source row in the final fit.
    estimator_ : regressor
        The fitted final regressor.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    ImportanceWeightedClassifier : The same for classification.

    References
    ----------
    .. [1] H. Shimodaira, "Improving Predictive Inference under Covariate
       Shift by Weighting the Log-Likelihood Function", J. Stat. Plan.
       Inference 90, 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import ImportanceWeightedRegressor
    >>> from sktransfer.instance import KernelMeanMatching
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 1)), rng.normal(1.5, 0.3, (50, 1))]
    >>> y = np.sin(X[:, 0])
    >>> y[100:] = np.nan  # the target rows are unlabeled
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(50, int)]
    >>> reg = ImportanceWeightedRegressor(KernelMeanMatching())
    >>> reg.fit(X, y, sample_domain=sample_domain).predict([[1.5]]).shape
    (1,)
    """

    def _final_estimator(self):
        return LinearRegression() if self.estimator is None else self.estimator
