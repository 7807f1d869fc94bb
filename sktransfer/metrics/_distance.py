"""Distances between the source and the target distribution.

Each distance takes the data in either of two forms: the library's, the rows
of every domain in ``X`` with ``sample_domain`` (``distance(X,
sample_domain=sd)``, as estimators are fitted), or the source rows and the
target rows as two arrays (``distance(X_source, X_target)``).
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import Bunch, check_array, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

from .._domain import _check_features, check_sample_domain
from ..utils._numerics import median_heuristic_gamma, rbf_kernel, stack_rows

__all__ = ["maximum_mean_discrepancy", "mmd_permutation_test", "proxy_a_distance"]

_KERNELS = ("rbf", "linear")

_DATA_CONSTRAINTS = {
    "X": ["array-like", "sparse matrix"],
    "X_target": ["array-like", "sparse matrix", None],
    "sample_domain": ["array-like", None],
}
_KERNEL_CONSTRAINTS = {
    "kernel": [StrOptions(set(_KERNELS))],
    "gamma": [Interval(Real, 0, None, closed="neither"), None],
}


def _source_and_target(X, X_target, sample_domain, caller, min_rows=2):
    """The source rows and the target rows, from either form of the data.

    ``caller(X, sample_domain=sd)`` splits the rows of ``X`` by their domain;
    ``caller(X_source, X_target)`` takes them as given. Mixing the two, or
    a 1-d ``X_target`` (a ``sample_domain`` passed in its place), is refused
    with the call to write instead.
    """
    if sample_domain is not None:
        if X_target is not None:
            raise ValueError(
                f"{caller} takes either the rows of every domain with their "
                f"domains, {caller}(X, sample_domain=sample_domain), or the "
                f"source and the target rows, {caller}(X_source, X_target); "
                "got both X_target and sample_domain."
            )
        X = check_array(X, accept_sparse="csr", input_name="X")
        sample_domain = check_sample_domain(
            sample_domain,
            X,
            require_source=True,
            require_target=True,
            estimator_name=caller,
        )
        X_source = X[np.flatnonzero(sample_domain > 0)]
        X_target = X[np.flatnonzero(sample_domain < 0)]
        names = ("source rows (sample_domain > 0)", "target rows (sample_domain < 0)")
    else:
        if X_target is None:
            raise ValueError(
                f"{caller} needs target rows: pass the rows of every domain with "
                f"their domains, {caller}(X, sample_domain=sample_domain), or the "
                f"source and the target rows, {caller}(X_source, X_target)."
            )
        if not sp.issparse(X_target) and np.ndim(X_target) == 1:
            raise ValueError(
                f"{caller} got a 1-d array of {np.shape(X_target)[0]} values as "
                "X_target, which holds target rows (2-d, one row per sample). To "
                f"pass the domain of each row of X, call {caller}(X, "
                "sample_domain=sample_domain)."
            )
        X_source = check_array(X, accept_sparse="csr", input_name="X_source")
        X_target = check_array(X_target, accept_sparse="csr", input_name="X_target")
        _check_features(X_source, X_target)
        if sp.issparse(X_source) or sp.issparse(X_target):
            X_source, X_target = sp.csr_matrix(X_source), sp.csr_matrix(X_target)
        names = ("X_source has", "X_target has")
    for name, rows in zip(names, (X_source, X_target)):
        if rows.shape[0] < min_rows:
            count = f"{name} {rows.shape[0]} row(s)"
            if sample_domain is not None:
                count = f"{caller} got {rows.shape[0]} {name}"
            raise ValueError(f"{count}; at least {min_rows} are needed.")
    return X_source, X_target


def _kernel_matrix(Z, kernel, gamma):
    if kernel == "linear":
        K = Z @ Z.T
        return K.toarray() if sp.issparse(K) else np.asarray(K)
    return rbf_kernel(Z, Z, gamma)


def _unbiased_mmd2(K, in_source):
    """Unbiased MMD^2 for each column of the 0/1 matrix ``in_source``.

    ``K`` is the kernel matrix of all rows; column ``j`` of ``in_source``
    marks the rows taken as source rows in the ``j``-th assignment.
    """
    S = in_source.astype(np.float64)
    T = 1.0 - S
    m = S[:, 0].sum()
    n = T[:, 0].sum()
    diag = np.diag(K)
    KS = K @ S
    KT = K @ T
    k_ss = (np.einsum("ij,ij->j", S, KS) - diag @ S) / (m * (m - 1))
    k_tt = (np.einsum("ij,ij->j", T, KT) - diag @ T) / (n * (n - 1))
    k_st = np.einsum("ij,ij->j", S, KT) / (m * n)
    return k_ss + k_tt - 2 * k_st


def _prepare(X_source, X_target, kernel, gamma, random_state):
    Z = stack_rows(X_source, X_target)
    if kernel == "rbf" and gamma is None:
        gamma = median_heuristic_gamma(Z, random_state)
    in_source = np.zeros(Z.shape[0], dtype=bool)
    in_source[: X_source.shape[0]] = True
    return _kernel_matrix(Z, kernel, gamma), in_source, gamma


@validate_params(
    {**_DATA_CONSTRAINTS, **_KERNEL_CONSTRAINTS}, prefer_skip_nested_validation=True
)
def maximum_mean_discrepancy(
    X, X_target=None, *, sample_domain=None, kernel="rbf", gamma=None
):
    """Unbiased estimate of the squared maximum mean discrepancy (MMD^2).

    MMD is the distance between the mean embeddings of the two distributions
    in a reproducing kernel Hilbert space: 0 when they are equal (for the
    rbf kernel, only then). The unbiased estimator (a U-statistic, Gretton et
    al., 2012, eq. 3) can be slightly negative when they are close.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows of every domain, with ``sample_domain``; or the source rows,
        with ``X_target``.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features), \
            default=None
        The target rows, with the features of ``X``, when ``X`` holds the
        source rows (then ``sample_domain`` is not given).
    sample_domain : array-like of shape (n_samples,), default=None
        Domain of each row of ``X``: positive for source rows, negative for
        target rows (several domains of a kind are pooled).
    kernel : {"rbf", "linear"}, default="rbf"
        ``"linear"`` compares the means only; ``"rbf"`` (Gaussian) compares
        the whole distributions.
    gamma : float, default=None
        Width of the rbf kernel ``exp(-gamma ||x - x'||^2)``; ``None`` uses
        the median heuristic: one over the median squared distance between
        distinct rows of the pooled source and target rows (1000 of them
        drawn at random, with a fixed seed, when there are more; 1 when all
        rows are equal).

    Returns
    -------
    mmd2 : float
        The unbiased MMD^2 estimate.

    Raises
    ------
    ValueError
        If the two domains have different numbers of features, or fewer
        than 2 rows; if both ``X_target`` and ``sample_domain`` are given,
        or neither.

    See Also
    --------
    mmd_permutation_test : The same statistic with a p-value.
    proxy_a_distance : A distance from a domain classifier's error.

    References
    ----------
    .. [1] Gretton, A., Borgwardt, K. M., Rasch, M. J., Schölkopf, B. and
       Smola, A. "A kernel two-sample test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import maximum_mean_discrepancy
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(100, 2))
    >>> same = maximum_mean_discrepancy(X_source, rng.normal(size=(100, 2)))
    >>> shifted = maximum_mean_discrepancy(X_source, rng.normal(2, 1, (100, 2)))
    >>> bool(abs(same) < 0.02 < shifted)
    True

    The rows of both domains in one array, as estimators take them:

    >>> X = np.vstack([X_source, rng.normal(2, 1, (100, 2))])
    >>> sample_domain = np.r_[np.ones(100, int), -np.ones(100, int)]
    >>> bool(maximum_mean_discrepancy(X, sample_domain=sample_domain) > 0.02)
    True
    """
    X_source, X_target = _source_and_target(
        X, X_target, sample_domain, "maximum_mean_discrepancy"
    )
    K, in_source, _ = _prepare(X_source, X_target, kernel, gamma, 0)
    return float(_unbiased_mmd2(K, in_source[:, None])[0])


@validate_params(
    {
        **_DATA_CONSTRAINTS,
        **_KERNEL_CONSTRAINTS,
        "n_permutations": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def mmd_permutation_test(
    X,
    X_target=None,
    *,
    sample_domain=None,
    kernel="rbf",
    gamma=None,
    n_permutations=500,
    random_state=None,
):
    """Test whether source and target are drawn from one distribution, by MMD.

    The null distribution of the unbiased MMD^2 is simulated by shuffling
    the domain of the pooled rows ``n_permutations`` times; the p-value is
    the share of shuffles whose MMD^2 reaches the observed one, counting the
    observed assignment as one of them, ``(1 + #{mmd2_perm >= mmd2}) /
    (1 + n_permutations)``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows of every domain, with ``sample_domain``; or the source rows,
        with ``X_target``.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features), \
            default=None
        The target rows, with the features of ``X``, when ``X`` holds the
        source rows (then ``sample_domain`` is not given).
    sample_domain : array-like of shape (n_samples,), default=None
        Domain of each row of ``X``: positive for source rows, negative for
        target rows (several domains of a kind are pooled).
    kernel : {"rbf", "linear"}, default="rbf"
        Kernel of the MMD.
    gamma : float, default=None
        Width of the rbf kernel; ``None`` uses the median heuristic: one
        over the median squared distance between distinct rows of the
        pooled source and target rows (1000 of them drawn at random when
        there are more; 1 when all rows are equal).
    n_permutations : int, default=500
        Number of shuffles.
    random_state : int, RandomState instance or None, default=None
        Draws the shuffles (and the rows of the median heuristic when there
        are more than 1000).

    Returns
    -------
    result : Bunch
        ``statistic`` (the MMD^2 estimate), ``pvalue``,
        ``null_distribution`` (MMD^2 of each shuffle) and ``gamma`` (the
        kernel width used; ``None`` for the linear kernel).

    Raises
    ------
    ValueError
        If the two domains have different numbers of features, fewer than 2
        rows, or ``n_permutations < 1``; if both ``X_target`` and
        ``sample_domain`` are given, or neither.

    See Also
    --------
    maximum_mean_discrepancy : The statistic alone.

    Notes
    -----
    The kernel matrix of the pooled rows is computed once, so memory grows
    as ``(n_source + n_target)^2``; subsample data sets of more than a few
    thousand rows.

    References
    ----------
    .. [1] Gretton, A., Borgwardt, K. M., Rasch, M. J., Schölkopf, B. and
       Smola, A. "A kernel two-sample test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import mmd_permutation_test
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(60, 2))
    >>> result = mmd_permutation_test(X_source, rng.normal(1, 1, (60, 2)),
    ...                               n_permutations=200, random_state=0)
    >>> bool(result.pvalue < 0.01)
    True
    """
    X_source, X_target = _source_and_target(
        X, X_target, sample_domain, "mmd_permutation_test"
    )
    rng = check_random_state(random_state)
    K, in_source, gamma = _prepare(X_source, X_target, kernel, gamma, rng)
    statistic = float(_unbiased_mmd2(K, in_source[:, None])[0])
    null = np.empty(n_permutations)
    for start in range(0, n_permutations, 100):
        stop = min(start + 100, n_permutations)
        shuffles = np.column_stack(
            [rng.permutation(in_source) for _ in range(start, stop)]
        )
        null[start:stop] = _unbiased_mmd2(K, shuffles)
    pvalue = (1 + np.sum(null >= statistic)) / (1 + n_permutations)
    return Bunch(
        statistic=statistic,
        pvalue=float(pvalue),
        null_distribution=null,
        gamma=gamma if kernel == "rbf" else None,
    )


@validate_params(
    {
        **_DATA_CONSTRAINTS,
        "domain_classifier": [HasMethods(["fit", "predict"]), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def proxy_a_distance(
    X,
    X_target=None,
    *,
    sample_domain=None,
    domain_classifier=None,
    cv=5,
    random_state=None,
):
    """Proxy A-distance: how well a classifier tells the two domains apart.

    A classifier is trained to tell source rows from target rows; with its
    cross-validated balanced error ``err``, the proxy A-distance is ``2 (1 -
    2 err)`` (Ben-David et al., 2007): 0 when the domains cannot be told
    apart (error 0.5), 2 when they are perfectly separable. The error is
    balanced (mean of the two domains' error rates) so that unequal domain
    sizes do not lower it; values below 0 (error above 0.5, chance) are
    reported as 0.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows of every domain, with ``sample_domain``; or the source rows,
        with ``X_target``.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features), \
            default=None
        The target rows, with the features of ``X``, when ``X`` holds the
        source rows (then ``sample_domain`` is not given).
    sample_domain : array-like of shape (n_samples,), default=None
        Domain of each row of ``X``: positive for source rows, negative for
        target rows (several domains of a kind are pooled).
    domain_classifier : classifier, default=None
        The classifier that tells source rows from target rows; ``None``
        means a linear model, ``LogisticRegression(class_weight="balanced",
        max_iter=1000)``. Cloned.
    cv : int, default=5
        Number of stratified folds of the cross-validated error (at most the
        number of rows of the smaller domain).
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds.

    Returns
    -------
    distance : float
        In [0, 2].

    Raises
    ------
    ValueError
        If the two domains have different numbers of features or fewer rows
        than folds; if both ``X_target`` and ``sample_domain`` are given, or
        neither.

    See Also
    --------
    maximum_mean_discrepancy : A kernel distance with a test.

    References
    ----------
    .. [1] Ben-David, S., Blitzer, J., Crammer, K. and Pereira, F. "Analysis
       of representations for domain adaptation", NIPS 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import proxy_a_distance
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(100, 2))
    >>> near = proxy_a_distance(X_source, rng.normal(size=(100, 2)), random_state=0)
    >>> far = proxy_a_distance(X_source, rng.normal(3, 1, (100, 2)), random_state=0)
    >>> bool(near < 0.5 < 1.5 < far)
    True

    The rows of both domains in one array, as estimators take them:

    >>> from sktransfer.datasets import make_domain_shift
    >>> X, y, sample_domain = make_domain_shift(random_state=0)
    >>> distance = proxy_a_distance(X, sample_domain=sample_domain, random_state=0)
    >>> bool(0 <= distance <= 2)
    True
    """
    X_source, X_target = _source_and_target(
        X, X_target, sample_domain, "proxy_a_distance", min_rows=cv
    )
    Z = stack_rows(X_source, X_target)
    is_target = np.r_[np.zeros(X_source.shape[0]), np.ones(X_target.shape[0])]
    if domain_classifier is None:
        domain_classifier = LogisticRegression(class_weight="balanced", max_iter=1000)
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    predicted = cross_val_predict(clone(domain_classifier), Z, is_target, cv=folds)
    error = 1.0 - balanced_accuracy_score(is_target, predicted)
    return float(max(0.0, 2.0 * (1.0 - 2.0 * error)))
