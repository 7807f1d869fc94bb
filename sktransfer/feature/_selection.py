"""Feature selection for domain shift.

:class:`DomainInvariantFeatureSelector` drops the features whose distribution
shifts between source and target (a per-feature two-sample test);
:class:`PivotFeatureSelector` keeps the pivot features of structural
correspondence learning: frequent in both domains and informative of the label.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy
from scipy.stats import kstwo
from scipy.stats import t as student_t
from sklearn.base import _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._domain import BaseDomainAdapter, labeled_mask
from ..utils._warnings import warn

# Entries (stored entries, for sparse input) sorted at once by the KS statistics.
_BLOCK_NNZ = 2_000_000


# --- two-sample statistics, one feature at a time ------------------------------


def _ks_block(Xs, Xt):
    """Exact KS statistics of the columns of two CSC blocks.

    Each column's empirical distribution is its stored values plus one point
    mass at 0 for the rows that store nothing. The source rows weigh
    ``1 / n_s`` and the target rows ``-1 / n_t``; sorted by (column, value),
    the running sum of the weights is the gap between the two distribution
    functions, and a column's weights sum to zero, so one running sum over
    all columns restarts at each column by itself. The gap is read after the
    last of tied values, as ``ks_2samp`` does; only stored entries are
    sorted, never the zeros.
    """
    n_features = Xs.shape[1]
    n_s, n_t = Xs.shape[0], Xt.shape[0]
    columns, values, weights = [], [], []
    for X, weight, n in ((Xs, 1.0 / n_s, n_s), (Xt, -1.0 / n_t, n_t)):
        nnz = np.diff(X.indptr)
        columns.append(np.repeat(np.arange(n_features), nnz))
        values.append(X.data)
        weights.append(np.full(X.data.shape[0], weight))
        # the rows storing nothing, as one point at 0 per column
        columns.append(np.arange(n_features))
        values.append(np.zeros(n_features))
        weights.append((n - nnz) * weight)
    columns = np.concatenate(columns)
    values = np.concatenate(values)
    weights = np.concatenate(weights)
    order = np.lexsort((values, columns))
    columns, values = columns[order], values[order]
    gap = np.abs(np.cumsum(weights[order]))
    # the last entry of each run of equal (column, value)
    last = np.ones(columns.shape[0], dtype=bool)
    last[:-1] = (columns[1:] != columns[:-1]) | (values[1:] != values[:-1])
    columns, gap = columns[last], gap[last]
    starts = np.searchsorted(columns, np.arange(n_features))
    return np.maximum.reduceat(gap, starts)


def _ks_statistics(Xs, Xt):
    """Two-sample KS statistic of every column, by blocks of columns.

    Sparse input is sorted by its stored entries only; dense input is cut
    into blocks of columns, each stored as CSC, so both take the same path.
    """
    n_features = Xs.shape[1]
    if sp.issparse(Xs) or sp.issparse(Xt):
        Xs, Xt = sp.csc_matrix(Xs), sp.csc_matrix(Xt)
        Xs.sum_duplicates()
        Xt.sum_duplicates()
        total = np.cumsum(np.diff(Xs.indptr) + np.diff(Xt.indptr) + 2)
        cuts = np.searchsorted(total, np.arange(_BLOCK_NNZ, total[-1], _BLOCK_NNZ))
        edges = np.unique(np.r_[0, cuts, n_features])
    else:
        width = max(1, _BLOCK_NNZ // (Xs.shape[0] + Xt.shape[0]))
        edges = np.r_[np.arange(0, n_features, width), n_features]
    stats = np.empty(n_features)
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        stats[start:stop] = _ks_block(
            sp.csc_matrix(Xs[:, start:stop]), sp.csc_matrix(Xt[:, start:stop])
        )
    # the running sums leave rounding errors of about 1e-15
    return np.clip(np.round(stats, 12), 0.0, 1.0)


def _ks_test(Xs, Xt):
    """KS statistics and asymptotic two-sided p-values (as ``ks_2samp``)."""
    stats = _ks_statistics(Xs, Xt)
    m, n = sorted([float(Xs.shape[0]), float(Xt.shape[0])], reverse=True)
    # kstwo.sf is slow; the statistics take few distinct values
    distinct, index = np.unique(stats, return_inverse=True)
    pvalues = kstwo.sf(distinct, np.round(m * n / (m + n)))[index]
    return stats, np.clip(pvalues, 0.0, 1.0)


def _moments(X):
    mean = np.asarray(X.mean(axis=0)).ravel()
    square = X.multiply(X) if sp.issparse(X) else X * X
    var = np.asarray(square.mean(axis=0)).ravel() - mean**2
    return mean, np.clip(var, 0.0, None)


def _mean_difference_test(Xs, Xt):
    """Standardized mean difference and Welch's t-test p-values."""
    n_s, n_t = Xs.shape[0], Xt.shape[0]
    mean_s, var_s = _moments(Xs)
    mean_t, var_t = _moments(Xt)
    spread = np.sqrt((var_s + var_t) / 2)
    difference = np.abs(mean_s - mean_t)
    # Welch's t-test, with the unbiased variances
    a = var_s / (n_s - 1)  # = unbiased variance / n_s
    b = var_t / (n_t - 1)
    se2 = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        stats = np.where(
            spread > 0, difference / spread, np.where(difference > 0, np.inf, 0.0)
        )
        df = se2**2 / (a**2 / (n_s - 1) + b**2 / (n_t - 1))
        t = difference / np.sqrt(se2)
        pvalues = np.where(
            se2 > 0,
            2 * student_t.sf(t, df),
            np.where(difference > 0, 0.0, 1.0),
        )
    return stats, np.clip(pvalues, 0.0, 1.0)


def _adjust_pvalues(pvalues, correction):
    """Multiple-testing adjusted p-values (Holm, Bonferroni or BH)."""
    m = pvalues.shape[0]
    if correction == "bonferroni":
        return np.minimum(1.0, pvalues * m)
    order = np.argsort(pvalues, kind="stable")
    ranked = pvalues[order]
    if correction == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, ranked * (m - np.arange(m))))
    else:  # "fdr_bh"
        adjusted = ranked * m / np.arange(1, m + 1)
        adjusted = np.minimum(1.0, np.minimum.accumulate(adjusted[::-1])[::-1])
    result = np.empty(m)
    result[order] = adjusted
    return result


def _n_to_select(n_features_to_select, n_features):
    if isinstance(n_features_to_select, numbers.Integral):
        if n_features_to_select > n_features:
            raise ValueError(
                f"n_features_to_select={n_features_to_select} is larger than the "
                f"number of features, {n_features}."
            )
        return int(n_features_to_select)
    return max(1, int(n_features_to_select * n_features))


class _BaseDomainSelector(SelectorMixin, BaseDomainAdapter):
    """What the selectors share: the support mask set in ``fit``, sparse input."""

    def _get_support_mask(self):
        check_is_fitted(self)
        return self._support

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class DomainInvariantFeatureSelector(_BaseDomainSelector):
    """Drop the features whose distribution shifts between source and target.

    Each feature is compared between its source and its target values by a
    two-sample test, one feature at a time. By default the features whose
    shift is statistically significant are dropped: a feature goes when its
    p-value, corrected for testing every feature (Holm's method), is below
    ``alpha``; all others are kept. A classifier trained on the source rows
    then relies only on features with no evidence of behaving differently in
    the target domain. No labels are used.

    Asking for a number of features (``n_features_to_select``) instead keeps
    that many features with the smallest shift, whatever their p-values.

    With ``sample_domain=None`` (a single domain) nothing can shift and every
    feature is kept.

    Parameters
    ----------
    n_features_to_select : int, float or None, default=None
        ``None`` keeps every feature whose shift is not significant at level
        ``alpha`` after ``correction``, within the limit ``max_dropped``. An
        int keeps that many features with the smallest statistic; a float
        in (0, 1] is that fraction of the features.
    statistic : {"ks", "mean_difference"}, default="ks"
        "ks": the two-sample Kolmogorov-Smirnov statistic, the largest gap
        between the two empirical distribution functions (any change of
        distribution), with its asymptotic p-value (as
        :func:`scipy.stats.ks_2samp` with ``method="asymp"``; conservative
        for discrete features such as word counts, so a feature is dropped
        only on strong evidence). On sparse input it is computed from the
        stored entries only, without densifying.
        "mean_difference": the absolute difference of the means over the
        pooled standard deviation (a change of location only; cheaper), with
        the p-value of Welch's t-test.
    alpha : float, default=0.05
        Level of the test when ``n_features_to_select=None``: the family-wise
        error rate (Holm, Bonferroni) or the false discovery rate (BH) of
        declaring a feature shifted.
    correction : {"holm", "bonferroni", "fdr_bh"}, default="holm"
        Correction for testing every feature: Holm's step-down method and
        Bonferroni's control the probability of dropping any unshifted
        feature (Holm is uniformly more powerful); "fdr_bh"
        (Benjamini-Hochberg) controls the expected fraction of unshifted
        features among those dropped, and so drops more.
    max_dropped : float in [0, 1], default=0.5
        Largest fraction of the features the test may drop (with
        ``n_features_to_select=None``). When more shift significantly, the
        shift is not confined to a few features (rotated or blurred images,
        say) and dropping them all would leave the classifier with next to
        nothing: the ``1 - max_dropped`` fraction with the smallest shift is
        kept instead, with a warning (a mapping such as
        :class:`CORAL` or :class:`TransferComponentAnalysis` suits such a
        shift better). At least one feature is always kept.

    Attributes
    ----------
    statistics_ : ndarray of shape (`n_features_in_`,)
        Shift of each feature between the domains (smaller is more
        invariant; zeros with a single domain).
    pvalues_ : ndarray of shape (`n_features_in_`,)
        Uncorrected p-values of the test of no shift (ones with a single
        domain).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    PivotFeatureSelector : Keeps the features frequent in both domains and
        informative of the label.
    sklearn.feature_selection.SelectFwe : The same correction for a
        supervised test.

    Notes
    -----
    Dropping a fixed share of the features (the former default, half of
    them) throws away features that predict the label well in both domains
    as soon as their frequency differs somewhat; the test drops a feature
    only when the data show that it shifts.

    References
    ----------
    .. [1] J. Blitzer, R. McDonald and F. Pereira, "Domain adaptation with
       structural correspondence learning", EMNLP 2006 (features that behave
       alike across domains as the bridge between them).
    .. [2] S. Uguroglu and J. Carbonell, "Feature selection for transfer
       learning", ECML PKDD 2011.
    .. [3] S. Holm, "A simple sequentially rejective multiple test
       procedure", Scandinavian Journal of Statistics 6(2), 1979.
    .. [4] Y. Benjamini and Y. Hochberg, "Controlling the false discovery
       rate: a practical and powerful approach to multiple testing", Journal
       of the Royal Statistical Society B 57(1), 1995.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import DomainInvariantFeatureSelector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> sample_domain = np.repeat([1, -1], 100)
    >>> X[sample_domain < 0, 1] += 3.0  # feature 1 shifts in the target
    >>> selector = DomainInvariantFeatureSelector()
    >>> selector.fit(X, sample_domain=sample_domain).get_support()
    array([ True, False,  True])
    >>> bool(selector.pvalues_[1] < 1e-10)
    True
    """

    _parameter_constraints: dict = {
        "n_features_to_select": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
            None,
        ],
        "statistic": [StrOptions({"ks", "mean_difference"})],
        "alpha": [Interval(numbers.Real, 0, 1, closed="both")],
        "correction": [StrOptions({"holm", "bonferroni", "fdr_bh"})],
        "max_dropped": [Interval(numbers.Real, 0, 1, closed="both")],
    }
    _domain_requirements = {
        "min_source_rows": 2,
        "min_target_rows": 2,
        "min_rows_reason": "to compare the distributions of the features",
    }

    def __init__(
        self,
        n_features_to_select=None,
        statistic="ks",
        alpha=0.05,
        correction="holm",
        max_dropped=0.5,
    ):
        self.n_features_to_select = n_features_to_select
        self.statistic = statistic
        self.alpha = alpha
        self.correction = correction
        self.max_dropped = max_dropped

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Test the shift of every feature between the domains.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows (several of
            either are pooled); ``None`` means every row is a source row.

        Returns
        -------
        self : DomainInvariantFeatureSelector
            The fitted selector.
        """
        X, _, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse="csc", dtype=np.float64
        )
        n_features = X.shape[1]
        if self.n_features_to_select is not None:
            n_keep = _n_to_select(self.n_features_to_select, n_features)
        source, target = sample_domain > 0, sample_domain < 0
        if not target.any() or target.all():
            self.statistics_ = np.zeros(n_features)
            self.pvalues_ = np.ones(n_features)
            self._support = np.ones(n_features, dtype=bool)
            return self
        Xs, Xt = X[source], X[target]
        test = _ks_test if self.statistic == "ks" else _mean_difference_test
        self.statistics_, self.pvalues_ = test(Xs, Xt)
        if self.n_features_to_select is None:
            shifted = _adjust_pvalues(self.pvalues_, self.correction) <= self.alpha
            max_drop = min(int(self.max_dropped * n_features), n_features - 1)
            if shifted.sum() <= max_drop:
                self._support = ~shifted
                return self
            n_keep = n_features - max_drop
            warn(
                f"{shifted.sum()} of the {n_features} features shift "
                f"significantly between the domains (alpha={self.alpha}), more "
                f"than max_dropped={self.max_dropped} allows; keeping the "
                f"{n_keep} least shifted. The shift is not confined to a few "
                "features: a mapping such as CORAL or TCA may suit it better.",
                UserWarning,
            )
        order = np.argsort(self.statistics_, kind="stable")
        self._support = np.zeros(n_features, dtype=bool)
        self._support[order[:n_keep]] = True
        return self


# --- pivot features (structural correspondence learning) ----------------------


def _present(X):
    """Binary indicators of the non-zero entries (sparse stays sparse)."""
    if sp.issparse(X):
        B = sp.csr_matrix(X, copy=True)
        B.data = (B.data != 0).astype(np.float64)
        return B
    return (np.asarray(X) != 0).astype(np.float64)


def _document_frequency(X):
    """Number of rows in which each feature is non-zero."""
    if sp.issparse(X):
        return np.asarray((X != 0).sum(axis=0)).ravel().astype(np.int64)
    return np.count_nonzero(X, axis=0).astype(np.int64)


def _binary_mutual_information(X, y):
    """Exact mutual information (nats) of each feature's presence with ``y``.

    The presence of feature ``j`` (``X[:, j] != 0``) and the class are two
    discrete variables; their joint counts come from one product of the
    one-hot classes with the binarized ``X``, so sparse input stays sparse.
    Equal to :func:`sklearn.feature_selection.mutual_info_classif` with
    ``discrete_features=True`` on the binarized columns.
    """
    classes, y_index = np.unique(y, return_inverse=True)
    n = y_index.shape[0]
    onehot = sp.csr_matrix(
        (np.ones(n), (y_index, np.arange(n))), shape=(classes.shape[0], n)
    )
    present = onehot @ _present(X)  # (n_classes, n_features)
    present = present.toarray() if sp.issparse(present) else np.asarray(present)
    class_count = np.bincount(y_index, minlength=classes.shape[0])[:, None]
    absent = class_count - present
    n_present = present.sum(axis=0)
    n_absent = n - n_present
    joint = xlogy(present, present).sum(axis=0) + xlogy(absent, absent).sum(axis=0)
    marginal = xlogy(n_present, n_present) + xlogy(n_absent, n_absent)
    label = xlogy(class_count, class_count).sum()
    mi = (joint - marginal - label) / n + np.log(n)
    return np.clip(mi, 0.0, None)


def _min_rows(min_frequency, n_rows):
    if isinstance(min_frequency, numbers.Integral):
        return int(min_frequency)
    return max(1, int(np.ceil(min_frequency * n_rows)))


class PivotFeatureSelector(_BaseDomainSelector):
    """Keep the pivot features of structural correspondence learning.

    Pivots are the features that behave alike in both domains and matter for
    the task (Blitzer et al., 2006, 2007): the candidates are the features
    that occur (are non-zero) in at least ``min_frequency`` source rows
    **and** in at least ``min_frequency`` target rows (labeled or not); among
    them, the ``n_features_to_select`` with the largest mutual information
    between their presence and the label, over the labeled rows (source rows
    and labeled target rows), are kept: "SCL-MI". A feature that never occurs
    in the target is never a pivot, however predictive in the source.

    Without labels (``y=None``, or every labeled row missing) the candidates
    are ranked by how frequent they are in the rarer of the two domains, the
    pivot choice of the original SCL paper; the selector is then
    unsupervised. Ties are broken the same way, then by column order.

    With ``sample_domain=None`` every row is a source row: the candidates are
    the features frequent in it, ranked by mutual information with the label
    (a plain supervised selector).

    Parameters
    ----------
    n_features_to_select : int, float or None, default=None
        Number of pivots to keep; a float in (0, 1] is a fraction of the
        features. ``None`` keeps 1000, the number of pivots in the SCL-MI
        experiments, or every candidate when fewer qualify. When fewer
        candidates qualify than asked for, all of them are kept, with a
        warning.
    min_frequency : int or float, default=0.01
        Number of rows, in the source and in the target each, in which a
        candidate must be non-zero. A float in (0, 1) is a fraction of the
        rows of each domain (rounded up, at least 1 row), so the threshold
        scales with the size of the data: by default a candidate occurs in
        at least 1% of the source rows and 1% of the target rows.

    Attributes
    ----------
    scores_ : ndarray of shape (`n_features_in_`,)
        Ranking score of every feature: mutual information (nats) of its
        presence with the label, or, without labels, its frequency in the
        rarer domain (fraction of rows). Only candidates are selected.
    candidates_ : ndarray of shape (`n_features_in_`,), dtype=bool
        Features frequent enough in both domains to be pivots.
    source_frequency_, target_frequency_ : ndarray of shape (`n_features_in_`,)
        Fraction of the source (target) rows in which each feature is
        non-zero (the target's equals the source's with a single domain).
    supervised_ : bool
        Whether the ranking used labels (mutual information).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    DomainInvariantFeatureSelector : Drops the features whose distribution
        shifts between the domains (no labels used).
    sklearn.feature_selection.SelectKBest : Selection by a supervised score
        alone.

    Notes
    -----
    SCL then learns, for every pivot, a linear predictor of the pivot from
    the other features, and projects onto their top singular vectors; this
    selector is the first step only, and on its own it is a feature
    selector: a classifier on the selected columns sees only features that
    occur in both domains.

    Mutual information is computed exactly from counts of the binary
    presence indicators (one sparse product), so the selection is
    deterministic and sparse input is never densified.

    References
    ----------
    .. [1] J. Blitzer, R. McDonald and F. Pereira, "Domain adaptation with
       structural correspondence learning", EMNLP 2006.
    .. [2] J. Blitzer, M. Dredze and F. Pereira, "Biographies, Bollywood,
       boom-boxes and blenders: domain adaptation for sentiment
       classification", ACL 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import PivotFeatureSelector
    >>> y = np.tile([0, 1], 50)
    >>> sample_domain = np.repeat([1, -1], 50)
    >>> X = np.zeros((100, 4))
    >>> X[:, 0] = y                        # in both domains, predicts y
    >>> X[:50, 1] = y[:50]                 # predicts y, absent from the target
    >>> X[:, 2] = np.arange(100) % 3 == 0  # in both domains, unrelated to y
    >>> X[50:, 3] = 1.0                    # target only
    >>> y_fit = np.where(sample_domain > 0, y, -1)  # unlabeled target rows
    >>> selector = PivotFeatureSelector(n_features_to_select=1)
    >>> selector.fit(X, y_fit, sample_domain=sample_domain).get_support()
    array([ True, False, False, False])
    >>> selector.candidates_
    array([ True, False,  True, False])
    """

    _parameter_constraints: dict = {
        "n_features_to_select": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
            None,
        ],
        "min_frequency": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
        ],
    }
    _domain_requirements = {
        "require_source": True,
        "min_source_rows": 2,
        "min_target_rows": 2,
        "min_rows_reason": "to tell the features frequent in each domain",
    }

    #: Number of pivots of the SCL-MI experiments (Blitzer et al., 2007).
    _DEFAULT_PIVOTS = 1000

    def __init__(self, n_features_to_select=None, min_frequency=0.01):
        self.n_features_to_select = n_features_to_select
        self.min_frequency = min_frequency

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Find the candidates and rank them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains; a feature "occurs" in a row where it is
            non-zero.
        y : array-like of shape (n_samples,), default=None
            Class labels, ``-1`` on unlabeled target rows. ``None`` ranks
            the candidates by frequency (unsupervised).
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows (several of
            either are pooled); ``None`` means every row is a source row.

        Returns
        -------
        self : PivotFeatureSelector
            The fitted selector.
        """
        X, y, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse=("csr", "csc")
        )
        n_features = X.shape[1]
        if self.n_features_to_select is None:
            n_keep = min(self._DEFAULT_PIVOTS, n_features)
        else:
            n_keep = _n_to_select(self.n_features_to_select, n_features)
        source, target = sample_domain > 0, sample_domain < 0
        if sp.issparse(X):
            X = X.tocsr()
        domains = [rows for rows in (source, target) if rows.any()]
        counts = [_document_frequency(X[rows]) for rows in domains]
        thresholds = [_min_rows(self.min_frequency, rows.sum()) for rows in domains]
        frequencies = [c / rows.sum() for c, rows in zip(counts, domains, strict=True)]
        self.source_frequency_ = frequencies[0]
        self.target_frequency_ = frequencies[-1]
        self.candidates_ = np.logical_and.reduce(
            [c >= t for c, t in zip(counts, thresholds, strict=True)]
        )
        n_candidates = int(self.candidates_.sum())
        if n_candidates == 0:
            where = " and ".join(
                f"{t} {name} rows"
                for t, name in zip(
                    thresholds,
                    ["source", "target"] if len(domains) == 2 else ["source"],
                    strict=True,
                )
            )
            raise ValueError(
                f"No feature qualifies as a pivot: none is non-zero in at least "
                f"{where} (min_frequency={self.min_frequency!r}). Lower "
                "min_frequency."
            )
        rarer = np.minimum(self.source_frequency_, self.target_frequency_)
        labeled = (
            np.zeros(X.shape[0], dtype=bool)
            if y is None
            else labeled_mask(y, sample_domain)
        )
        self.supervised_ = bool(labeled.any())
        if self.supervised_:
            self.scores_ = _binary_mutual_information(X[labeled], y[labeled])
        else:
            self.scores_ = rarer.copy()
        if n_candidates < n_keep and self.n_features_to_select is not None:
            warn(
                f"n_features_to_select={self.n_features_to_select!r} asks for "
                f"{n_keep} pivots but only {n_candidates} features qualify "
                f"(min_frequency={self.min_frequency!r}); keeping those "
                f"{n_candidates}.",
                UserWarning,
            )
        # best first: score, then frequency in the rarer domain, then column
        order = np.lexsort((np.arange(n_features), -rarer, -self.scores_))
        order = order[self.candidates_[order]][:n_keep]
        self._support = np.zeros(n_features, dtype=bool)
        self._support[order] = True
        return self
