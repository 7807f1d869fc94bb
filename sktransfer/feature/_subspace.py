"""Subspace Alignment."""

import numbers

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import _BaseDomainTransformer


def _principal_axes(X, k):
    mean = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    _, Vt = svd_flip(None, Vt, u_based_decision=False)
    return mean, Vt[:k].T


class SubspaceAlignment(ClassNamePrefixFeaturesOutMixin, _BaseDomainTransformer):
    """Subspace Alignment (SA).

    Finds the ``n_components`` principal axes of the source rows, ``P_s``, and
    of the target rows, ``P_t``, and the linear map ``M = P_s^T P_t`` that
    aligns the first onto the second. Source rows are projected on the
    aligned source axes, ``(x - m_s) P_s M``; target rows on the target axes,
    ``(x - m_t) P_t``, where ``m_s`` and ``m_t`` are the domain means (each
    domain is centered on its own mean, as z-scoring each domain does in the
    paper's protocol).

    The map depends on the domain of a row: ``fit_transform(X, y,
    sample_domain=...)`` maps each row by its domain, while ``transform(X)``,
    which has no domains, maps new rows as target rows. Several source (or
    target) domains are pooled.

    With ``sample_domain=None`` (a single domain) it is a PCA.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the subspaces; ``None`` means ``min(100, n_features,
        n_source_rows, n_target_rows)``.

    Attributes
    ----------
    n_components_ : int
        Dimension of the subspaces: ``n_components``, or the default above.
    source_mean_, target_mean_ : ndarray of shape (`n_features_in_`,)
        Means of the source and the target rows.
    source_components_, target_components_ : ndarray of shape \
            (`n_components_`, `n_features_in_`)
        Principal axes of the source and the target rows.
    alignment_ : ndarray of shape (`n_components_`, `n_components_`)
        ``M = P_s^T P_t``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    CORAL : Aligns covariances instead of subspaces.

    References
    ----------
    .. [1] B. Fernando, A. Habrard, M. Sebban and T. Tuytelaars, "Unsupervised
       visual domain adaptation using subspace alignment", ICCV 2013.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import SubspaceAlignment
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", n_features=5, random_state=0)
    >>> sa = SubspaceAlignment(n_components=2)
    >>> sa.fit_transform(X, sample_domain=sample_domain).shape
    (400, 2)
    >>> sa.alignment_.shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }
    _domain_requirements = {
        "require_source": True,
        "min_source_rows": 2,
        "min_target_rows": 2,
        "min_rows_reason": "to find the subspace of each domain",
    }

    def __init__(self, n_components=None):
        self.n_components = n_components

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit, then map each row by its domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of all domains.
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (PCA).

        Returns
        -------
        X_new : ndarray of shape (n_samples, `n_components_`)
            Source rows on the aligned source axes, target rows on the target
            axes.
        """
        X, _, sample_domain = self._validate_domain_data(
            X, y, sample_domain, dtype=np.float64
        )
        source, target = sample_domain > 0, sample_domain < 0
        n_target = int(target.sum()) or X.shape[0]
        max_components = min(X.shape[1], int(source.sum()), n_target)
        if self.n_components is None:
            k = min(100, max_components)
        elif self.n_components > max_components:
            raise ValueError(
                f"n_components={self.n_components} is larger than the problem "
                f"allows: at most min(n_features, n_source_rows, n_target_rows) = "
                f"{max_components}."
            )
        else:
            k = self.n_components
        self.source_mean_, Ps = _principal_axes(X[source], k)
        if target.any():
            self.target_mean_, Pt = _principal_axes(X[target], k)
        else:
            self.target_mean_, Pt = self.source_mean_, Ps
        self.source_components_, self.target_components_ = Ps.T, Pt.T
        self.alignment_ = Ps.T @ Pt
        self.n_components_ = self._n_features_out = k
        X_new = (X - self.target_mean_) @ Pt
        X_new[source] = (X[source] - self.source_mean_) @ Ps @ self.alignment_
        return X_new

    def transform(self, X):
        """Map new rows as target rows, on the target axes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.

        Returns
        -------
        X_new : ndarray of shape (n_samples, `n_components_`)
            ``(X - target_mean_) @ target_components_.T``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return (X - self.target_mean_) @ self.target_components_.T
