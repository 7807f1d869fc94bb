"""Transferability scores: rank pretrained backbones for a target task.

Each score reads what a frozen, pretrained model gives on the labeled target
rows, its features (:func:`logme_score`, :func:`h_score`) or its predicted
distribution over its own classes (:func:`leep_score`), and says how well
those suit the target labels, without fine-tuning anything. A score ranks the
candidate models for one target task; its values are not comparable across
tasks (different labels, a different number of rows). Higher is better for
all three.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["h_score", "leep_score", "logme_score"]

#: The fixed-point iteration of LogME stops when ``alpha / beta`` changes by
#: less than this share between two steps...
_LOGME_TOL = 1e-6
#: ...or after this many steps.
_LOGME_MAX_ITER = 200
#: Floor of ``||m||^2`` and ``||F m - y||^2``, as a share of ``||y||^2``, so
#: that an exact fit (or ``y`` orthogonal to the features) leaves ``alpha``
#: and ``beta`` finite.
_LOGME_FLOOR = 1e-10
#: Largest ``|sum - 1|`` accepted for a row of ``source_proba``.
_PROBA_ATOL = 1e-4


def _check_features(features, caller):
    """``features`` as a finite 2-d float64 array, or a ValueError naming why."""
    if sp.issparse(features):
        raise ValueError(
            f"{caller} takes dense features; got a sparse matrix. Pass "
            "features.toarray()."
        )
    features = np.asarray(features)
    if features.dtype.kind not in "biuf":
        raise ValueError(
            f"{caller} needs numeric features; got an array of dtype {features.dtype}."
        )
    if features.ndim != 2:
        raise ValueError(
            f"{caller} needs features as a 2-d array of shape (n_samples, "
            f"n_features); got a {features.ndim}-d array of shape "
            f"{features.shape}."
        )
    if features.shape[1] == 0:
        raise ValueError(f"{caller} got features with 0 columns (n_features=0).")
    features = features.astype(np.float64, copy=False)
    if not np.isfinite(features).all():
        n_nan = int(np.isnan(features).sum())
        n_inf = int(np.isinf(features).sum())
        raise ValueError(
            f"{caller} needs finite features; got {n_nan} NaN and {n_inf} "
            "infinite value(s)."
        )
    return features


def _check_labels(y, n_samples, caller, rows_name):
    """Encode ``y`` (labels of any type) as ``0..n_classes-1``.

    Returns the codes and the count of each class; raises a ValueError if
    ``y`` is not 1-d, its length is not ``n_samples``, it holds a missing
    label or fewer than 2 classes.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{caller} needs y as a 1-d array of labels, one per row; got an "
            f"array of shape {y.shape}."
            + (" Use y.ravel()." if y.ndim == 2 and 1 in y.shape else "")
        )
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{caller} got {rows_name} with {n_samples} rows but y with "
            f"{y.shape[0]} labels; they must have the same length."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{caller} got y with NaN or infinite labels.")
    if y.dtype.kind == "O" and any(
        label is None or (isinstance(label, float) and not np.isfinite(label))
        for label in y
    ):
        raise ValueError(f"{caller} got y with missing labels (None or NaN).")
    try:
        classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    except TypeError as exc:
        raise ValueError(
            f"{caller} needs labels of one comparable type in y: {exc}"
        ) from None
    if classes.size < 2:
        found = f"only the class {classes[0]!r}" if classes.size else "no label"
        raise ValueError(f"{caller} needs at least 2 classes in y; got {found}.")
    return codes.reshape(-1), counts


def _indicator(codes, n_classes):
    """Sparse (n_classes, n_samples) matrix, 1 where row ``i`` is in class ``c``."""
    n = codes.size
    return sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_classes, n))


def _logme_fit(features, codes, n_classes):
    """Maximum log evidence per sample, alpha and beta of each class.

    Bayesian linear regression of the one-hot column ``y_c`` on ``F``: the
    prior ``w ~ N(0, I / alpha)``, the noise ``N(0, 1 / beta)``. With the thin
    SVD ``F = U diag(s) V^T`` (rank ``k``), ``sigma = s^2`` and ``x = U^T
    y_c``, and ``t = alpha / beta``:

    - ``||m||^2 = sum sigma x^2 / (t + sigma)^2``,
    - ``||F m - y||^2 = sum (t / (t + sigma))^2 x^2 + ||y||^2 - ||x||^2``,
    - ``gamma = sum sigma / (t + sigma)``,
    - ``D/2 log alpha - 1/2 log|A| = -1/2 sum log(1 + sigma / t)`` (the
      ``D - k`` zero singular values contribute nothing, for n < d and
      d < n alike).

    The features are divided by their largest singular value first: the
    evidence is unchanged (``alpha`` scales with it) and the iteration
    starts from ``alpha = beta = 1`` on a fixed scale. All classes are
    iterated together.
    """
    n = features.shape[0]
    U, s, _ = np.linalg.svd(features, full_matrices=False)
    scale = s[0]
    if scale == 0.0:
        raise ValueError(
            "logme_score got features that are all zero: they carry no "
            "information on y."
        )
    keep = s > scale * max(features.shape) * np.finfo(np.float64).eps
    sigma = (s[keep] / scale) ** 2  # (k,)
    Y = _indicator(codes, n_classes)  # (C, n)
    X = np.asarray(Y @ U[:, keep]).T  # (k, C): U^T y_c for every class
    y_sq = np.bincount(codes, minlength=n_classes).astype(np.float64)
    x2 = X**2
    res_perp = np.maximum(y_sq - x2.sum(axis=0), 0.0)  # part of y outside F
    floor = _LOGME_FLOOR * y_sq

    def statistics(t):
        ratio = sigma[:, None] / t[None, :]  # sigma / t, (k, C)
        gamma = (ratio / (1.0 + ratio)).sum(axis=0)
        m2 = (sigma[:, None] * x2 / (t[None, :] + sigma[:, None]) ** 2).sum(0)
        res2 = (x2 / (1.0 + ratio) ** 2).sum(axis=0) + res_perp
        return ratio, gamma, np.maximum(m2, floor), np.maximum(res2, floor)

    alpha = np.ones(n_classes)
    beta = np.ones(n_classes)
    for _ in range(_LOGME_MAX_ITER):
        t = alpha / beta
        _, gamma, m2, res2 = statistics(t)
        alpha = gamma / m2
        beta = (n - gamma) / res2
        if np.all(np.abs(alpha / beta - t) <= _LOGME_TOL * t):
            break
    # The evidence at the final (alpha, beta), with m and the residual of it.
    ratio, _, m2, res2 = statistics(alpha / beta)
    evidence = (
        n / 2.0 * np.log(beta)
        - n / 2.0 * np.log(2.0 * np.pi)
        - beta / 2.0 * res2
        - alpha / 2.0 * m2
        - 0.5 * np.log1p(ratio).sum(axis=0)
    ) / n
    return evidence, alpha * scale**2, beta


def logme_score(features, y):
    """LogME: the log maximum evidence of a linear model on the features.

    For each class ``c`` LogME fits a Bayesian linear regression of the
    one-hot target ``y == c`` on the features, with a Gaussian prior of
    precision ``alpha`` on the weights and Gaussian noise of precision
    ``beta``, and takes the logarithm of the marginal likelihood (the
    evidence) of the targets at the ``alpha`` and ``beta`` that maximise it,
    divided by the number of rows. The score is the average over the
    classes. The evidence rewards features on which a linear model fits the
    labels and penalises the complexity it needs to, so no held-out split is
    needed.

    The evidence (You et al., 2021) is::

        L(alpha, beta) = n/2 log(beta) + d/2 log(alpha) - n/2 log(2 pi)
                         - beta/2 ||F m - y||^2 - alpha/2 m^T m - 1/2 log|A|

    with ``A = alpha I + beta F^T F`` and ``m = beta A^-1 F^T y``. It is
    maximised by the fixed-point iteration of the paper's Algorithm 1,
    ``gamma = sum_i beta s_i^2 / (alpha + beta s_i^2)``, ``alpha <- gamma /
    m^T m``, ``beta <- (n - gamma) / ||F m - y||^2``, from ``alpha = beta =
    1`` (for the features divided by their largest singular value), until
    ``alpha / beta`` changes by less than 1e-6 of itself (200 steps at
    most); the score is the evidence at the last ``alpha`` and ``beta``.
    The singular value decomposition of the features is
    computed once and serves every step and every class; it covers ``n <
    d`` as well as ``d < n`` (the zero singular values enter ``log|A|``
    exactly). The features are used as given (not centered): standardise
    them or not the same way for every candidate model. The score does not
    change when the features are multiplied by a constant.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Features of the labeled target rows, from the candidate model
        (for example the output of its penultimate layer).
    y : array-like of shape (n_samples,)
        Class label of each row, of any type; at least 2 classes.

    Returns
    -------
    score : float
        The average over the classes of the maximum log evidence per row.
        Higher is better; it is not bounded and depends on the number of
        rows and of classes, so compare it only between models scored on
        the same rows and labels.

    Raises
    ------
    ValueError
        If ``features`` is not a 2-d numeric array, holds NaN or infinite
        values or is all zero; if ``y`` is not 1-d, has a length other than
        the number of rows, holds a missing label or fewer than 2 classes.

    See Also
    --------
    h_score : A score of the features from their covariances.
    leep_score : A score of the source model's predicted classes.

    References
    ----------
    .. [1] You, K., Liu, Y., Wang, J. and Long, M. "LogME: Practical
       Assessment of Pre-trained Models for Transfer Learning", ICML 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import logme_score
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(3, size=200)
    >>> means = rng.normal(size=(3, 8))
    >>> informative = means[y] + 0.5 * rng.normal(size=(200, 8))
    >>> noise = rng.normal(size=(200, 8))
    >>> round(logme_score(informative, y), 3)
    0.127
    >>> bool(logme_score(informative, y) > logme_score(noise, y))
    True
    """
    features = _check_features(features, "logme_score")
    codes, counts = _check_labels(y, features.shape[0], "logme_score", "features")
    evidence, _, _ = _logme_fit(features, codes, counts.size)
    return float(evidence.mean())


def leep_score(source_proba, y):
    """LEEP: the log expected empirical prediction of a source classifier.

    The source model predicts, for each labeled target row, a distribution
    ``theta(x_i)`` over its own (source) classes ``z``. LEEP (Nguyen et al.,
    2020) reads these as dummy labels and builds from them the empirical
    joint distribution of the target label and the dummy label, ``P(y, z) =
    1/n sum_{i: y_i = y} theta(x_i)_z``, its marginal ``P(z) = sum_y P(y,
    z)`` and the conditional ``P(y | z) = P(y, z) / P(z)``. The expected
    empirical predictor gives row ``i`` the target distribution ``sum_z P(y
    | z) theta(x_i)_z``, and LEEP is the mean log-likelihood it gives the
    true labels::

        LEEP = 1/n sum_i log( sum_z P(y_i | z) theta(x_i)_z )

    It is at most 0, which it reaches when the source classes determine the
    target labels (each source class, predicted with certainty, maps to one
    target class). A source class that no row gives any probability to
    contributes nothing.

    Parameters
    ----------
    source_proba : array-like of shape (n_samples, n_source_classes)
        The source model's predicted probabilities over its source classes
        for each labeled target row (a softmax, not logits): non-negative
        rows that sum to 1 (within 1e-4; they are renormalised).
    y : array-like of shape (n_samples,)
        Target class label of each row, of any type; at least 2 classes.

    Returns
    -------
    score : float
        The LEEP score, at most 0. Higher is better.

    Raises
    ------
    ValueError
        If ``source_proba`` is not a 2-d numeric array, holds NaN, infinite
        or negative values, or has a row that does not sum to 1; if ``y`` is
        not 1-d, has a length other than the number of rows, holds a missing
        label or fewer than 2 classes.

    See Also
    --------
    logme_score : A score of the features, for any model.

    References
    ----------
    .. [1] Nguyen, C. V., Hassner, T., Seeger, M. and Archambeau, C. "LEEP:
       A New Measure to Evaluate Transferability of Learned
       Representations", ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import leep_score
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(3, size=100)
    >>> related = np.full((100, 5), 0.05)
    >>> related[np.arange(100), y] = 0.8  # source class y predicts class y
    >>> unrelated = rng.dirichlet(np.ones(5), size=100)
    >>> round(leep_score(related, y), 3)
    -0.286
    >>> bool(leep_score(related, y) > leep_score(unrelated, y))
    True
    """
    caller = "leep_score"
    if sp.issparse(source_proba):
        source_proba = source_proba.toarray()
    theta = np.asarray(source_proba)
    if theta.dtype.kind not in "biuf":
        raise ValueError(
            f"{caller} needs numeric source_proba; got an array of dtype {theta.dtype}."
        )
    if theta.ndim != 2:
        raise ValueError(
            f"{caller} needs source_proba as a 2-d array of shape (n_samples, "
            f"n_source_classes); got a {theta.ndim}-d array of shape "
            f"{theta.shape}."
        )
    if theta.shape[1] == 0:
        raise ValueError(f"{caller} got source_proba with 0 columns.")
    theta = theta.astype(np.float64, copy=False)
    if not np.isfinite(theta).all():
        raise ValueError(
            f"{caller} needs finite source_proba; got {int(np.isnan(theta).sum())} "
            f"NaN and {int(np.isinf(theta).sum())} infinite value(s)."
        )
    if (theta < 0).any():
        row = int(np.flatnonzero((theta < 0).any(axis=1))[0])
        raise ValueError(
            f"{caller} needs probabilities in source_proba, which has negative "
            f"values (first in row {row}, min {theta.min():.3g}); pass the "
            "softmax of the source model's logits, not the logits."
        )
    sums = theta.sum(axis=1)
    off = np.abs(sums - 1.0) > _PROBA_ATOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{caller} needs rows of source_proba that sum to 1 (probabilities "
            f"over the source classes); {int(off.sum())} row(s) do not (row "
            f"{row} sums to {sums[row]:.6g})."
        )
    theta = theta / sums[:, None]
    codes, counts = _check_labels(y, theta.shape[0], caller, "source_proba")
    n = theta.shape[0]
    joint = np.asarray(_indicator(codes, counts.size) @ theta) / n  # P(y, z)
    marginal = joint.sum(axis=0)  # P(z)
    conditional = np.divide(
        joint, marginal, out=np.zeros_like(joint), where=marginal > 0
    )  # P(y | z)
    # sum_z P(y_i | z) theta(x_i)_z, for the true label y_i of each row.
    expected = np.einsum("iz,iz->i", theta, conditional[codes])
    return float(np.mean(np.log(expected)))


def h_score(features, y):
    """H-score: the share of the feature covariance explained by the classes.

    The H-score of Bao et al. (2019) is::

        H(f) = tr( cov(f)^-1 cov(E[f | y]) )

    where ``cov(f)`` is the covariance of the features over the rows and
    ``cov(E[f | y])`` that of the class means, each row taking the mean of
    its class (the between-class covariance, the classes weighted by their
    frequencies). It is computed with the pseudo-inverse of ``cov(f)``: from
    the thin singular value decomposition ``F_c = U S V^T`` of the centered
    features, keeping the singular values above ``max(n, d) * eps`` times
    the largest one (numpy's rank tolerance), ``H = sum_c ||sum_{i in c}
    U_i||^2 / n_c``. So it is finite and unchanged when features are
    repeated or linearly dependent, and it lies between 0 and ``min(n_classes
    - 1, rank)``. It does not change under an invertible linear map of the
    features. It is an in-sample quantity: with few rows per feature it
    grows even for uninformative features, so compare models on enough rows.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Features of the labeled target rows, from the candidate model.
    y : array-like of shape (n_samples,)
        Class label of each row, of any type; at least 2 classes.

    Returns
    -------
    score : float
        The H-score, in ``[0, n_classes - 1]``. Higher is better.

    Raises
    ------
    ValueError
        If ``features`` is not a 2-d numeric array or holds NaN or infinite
        values; if ``y`` is not 1-d, has a length other than the number of
        rows, holds a missing label or fewer than 2 classes.

    See Also
    --------
    logme_score : A score of the features from the evidence of a linear model.

    References
    ----------
    .. [1] Bao, Y., Li, Y., Huang, S.-L., Zhang, L., Zheng, L., Zamir, A. and
       Guibas, L. "An Information-Theoretic Approach to Transferability in
       Task Transfer Learning", ICIP 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import h_score
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(3, size=200)
    >>> means = rng.normal(size=(3, 8))
    >>> informative = means[y] + 0.5 * rng.normal(size=(200, 8))
    >>> noise = rng.normal(size=(200, 8))
    >>> round(h_score(informative, y), 3)
    1.69
    >>> bool(h_score(informative, y) > h_score(noise, y))
    True
    """
    features = _check_features(features, "h_score")
    codes, counts = _check_labels(y, features.shape[0], "h_score", "features")
    centered = features - features.mean(axis=0)
    U, s, _ = np.linalg.svd(centered, full_matrices=False)
    keep = s > s[0] * max(features.shape) * np.finfo(np.float64).eps
    if not keep.any():  # every row equal: the features say nothing about y
        return 0.0
    class_sums = np.asarray(_indicator(codes, counts.size) @ U[:, keep])
    return float(((class_sums**2).sum(axis=1) / counts).sum())
