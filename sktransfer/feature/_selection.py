"""Selection of the features whose distributions agree across domains."""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.stats import ks_2samp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._domain import DomainAwareMixin, validate_domain_data

_BLOCK = 256


def _columns(X, start, stop):
    block = X[:, start:stop]
    return block.toarray() if sp.issparse(block) else block


def _ks_statistics(Xs, Xt):
    stats = np.empty(Xs.shape[1])
    for start in range(0, Xs.shape[1], _BLOCK):
        stop = min(start + _BLOCK, Xs.shape[1])
        stats[start:stop] = ks_2samp(
            _columns(Xs, start, stop),
            _columns(Xt, start, stop),
            axis=0,
            method="asymp",
        ).statistic
    return stats


def _mean_statistics(Xs, Xt):
    def moments(X):
        mean = np.asarray(X.mean(axis=0)).ravel()
        square = X.multiply(X) if sp.issparse(X) else X * X
        return mean, np.asarray(square.mean(axis=0)).ravel() - mean**2

    mean_s, var_s = moments(Xs)
    mean_t, var_t = moments(Xt)
    spread = np.sqrt(np.clip((var_s + var_t) / 2, 0, None))
    difference = np.abs(mean_s - mean_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        stats = np.where(
            spread > 0, difference / spread, np.where(difference > 0, np.inf, 0)
        )
    return stats


class DomainInvariantFeatureSelector(DomainAwareMixin, SelectorMixin, BaseEstimator):
    """Keep the features whose distributions agree between source and target.

    Each feature is scored by a two-sample statistic between its source and
    its target values, computed one feature at a time, and the
    ``n_features_to_select`` features with the smallest shift are kept. A
    classifier trained on the source rows then relies only on features that
    behave alike in the target domain. No labels are used.

    With ``sample_domain=None`` (a single domain) nothing can shift and every
    feature is kept.

    Parameters
    ----------
    n_features_to_select : int or float, default=None
        Number of features to keep; a float in (0, 1] is a fraction of the
        features; ``None`` keeps half of them (as
        :class:`~sklearn.feature_selection.RFE` does).
    statistic : {"ks", "mean_difference"}, default="ks"
        "ks": the Kolmogorov-Smirnov statistic, the largest gap between the
        two empirical distribution functions (any change of distribution).
        "mean_difference": the absolute difference of the means over the
        pooled standard deviation (a change of location only; cheaper).

    Attributes
    ----------
    statistics_ : ndarray of shape (`n_features_in_`,)
        Shift of each feature between the domains (smaller is more
        invariant; zeros with a single domain).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.feature_selection.SelectKBest : Selects by a supervised score.

    References
    ----------
    .. [1] J. Blitzer, R. McDonald and F. Pereira, "Domain adaptation with
       structural correspondence learning", EMNLP 2006 (features that behave
       alike across domains as the bridge between them).
    .. [2] S. Uguroglu and J. Carbonell, "Feature selection for transfer
       learning", ECML PKDD 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import DomainInvariantFeatureSelector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> sample_domain = np.repeat([1, -1], 100)
    >>> X[sample_domain < 0, 1] += 3.0  # feature 1 shifts in the target
    >>> selector = DomainInvariantFeatureSelector(n_features_to_select=2)
    >>> selector.fit(X, sample_domain=sample_domain).get_support()
    array([ True, False,  True])
    """

    _parameter_constraints: dict = {
        "n_features_to_select": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
            None,
        ],
        "statistic": [StrOptions({"ks", "mean_difference"})],
    }

    def __init__(self, n_features_to_select=None, statistic="ks"):
        self.n_features_to_select = n_features_to_select
        self.statistic = statistic

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Score the shift of every feature between the domains.

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
        X, _, sample_domain = validate_domain_data(
            self, X, y, sample_domain, accept_sparse="csc", dtype=np.float64
        )
        n_features = X.shape[1]
        if isinstance(self.n_features_to_select, numbers.Integral):
            if self.n_features_to_select > n_features:
                raise ValueError(
                    f"n_features_to_select={self.n_features_to_select} is larger "
                    f"than the number of features, {n_features}."
                )
        source, target = sample_domain > 0, sample_domain < 0
        if target.sum() == 1:
            raise ValueError(
                "DomainInvariantFeatureSelector needs at least 2 target rows to "
                "compare distributions, got 1."
            )
        if not target.any():
            self.statistics_ = np.zeros(n_features)
            self._keep = n_features
            return self
        Xs, Xt = X[source], X[target]
        if self.statistic == "ks":
            self.statistics_ = _ks_statistics(Xs, Xt)
        else:
            self.statistics_ = _mean_statistics(Xs, Xt)
        if self.n_features_to_select is None:
            self._keep = max(1, n_features // 2)
        elif isinstance(self.n_features_to_select, numbers.Integral):
            self._keep = self.n_features_to_select
        else:
            self._keep = max(1, int(self.n_features_to_select * n_features))
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        order = np.argsort(self.statistics_, kind="stable")
        mask = np.zeros(self.statistics_.shape[0], dtype=bool)
        mask[order[: self._keep]] = True
        return mask

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
