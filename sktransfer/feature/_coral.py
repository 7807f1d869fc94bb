"""CORrelation ALignment."""

import numbers

import numpy as np
import scipy.linalg
from sklearn.base import (
    OneToOneFeatureMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import _BaseDomainTransformer


def _covariance(X, reg):
    C = np.cov(X, rowvar=False).reshape(X.shape[1], X.shape[1])
    C[np.diag_indices_from(C)] += reg
    return C


def _matrix_power(C, power):
    values, vectors = scipy.linalg.eigh(C)
    return (vectors * np.clip(values, 1e-12, None) ** power) @ vectors.T


class CORAL(OneToOneFeatureMixin, _BaseDomainTransformer):
    """CORrelation ALignment (CORAL).

    Recolors the source rows so that their covariance becomes the target
    covariance: each source row ``x`` becomes ``x C_s^(-1/2) C_t^(1/2)``, with
    ``C_s`` and ``C_t`` the covariances of the source and target rows plus
    ``reg`` times the identity. Target rows are left as they are.

    The map depends on the domain of a row: ``fit_transform(X, y,
    sample_domain=...)`` recolors the source rows and returns the target rows
    unchanged, while ``transform(X)``, which has no domains, maps new rows as
    target rows, that is, unchanged. In a pipeline
    (:func:`sktransfer.pipeline.make_transfer_pipeline`), the classifier is
    thus trained on recolored source rows and applied to target rows as they
    are. With several source domains, each is recolored with its own
    covariance; several target domains are pooled.

    With ``sample_domain=None`` (a single domain) the map is the identity.

    Parameters
    ----------
    reg : float, default=1.0
        Added to the diagonal of both covariances (the paper's ``lambda = 1``,
        for standardized features).

    Attributes
    ----------
    source_domains_ : ndarray of shape (n_source_domains,)
        The source domains seen in ``fit`` (empty without target rows).
    recoloring_ : ndarray of shape (n_source_domains, `n_features_in_`, \
            `n_features_in_`)
        ``C_s^(-1/2) C_t^(1/2)`` of each source domain.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    SubspaceAlignment : Aligns principal subspaces instead of covariances.

    References
    ----------
    .. [1] B. Sun, J. Feng and K. Saenko, "Return of frustratingly easy domain
       adaptation", AAAI 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import CORAL
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", n_features=3, random_state=0)
    >>> X_new = CORAL(reg=1e-3).fit_transform(X, sample_domain=sample_domain)
    >>> source, target = X_new[sample_domain > 0], X_new[sample_domain < 0]
    >>> bool(np.allclose(np.cov(source.T), np.cov(target.T), atol=1e-2))
    True
    """

    _parameter_constraints: dict = {
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
    }
    _domain_requirements = {
        "min_source_rows": 2,
        "min_target_rows": 2,
        "min_rows_reason": "to estimate a covariance",
    }

    def __init__(self, reg=1.0):
        self.reg = reg

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit, then recolor the source rows and keep the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of all domains.
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (identity map).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Source rows recolored, target rows unchanged.
        """
        X, _, sample_domain = self._validate_domain_data(
            X, y, sample_domain, dtype=np.float64
        )
        target = sample_domain < 0
        d = X.shape[1]
        X_new = X.copy()
        if not target.any() or target.all():
            self.source_domains_ = np.array([], dtype=np.int64)
            self.recoloring_ = np.zeros((0, d, d))
            return X_new
        self.source_domains_ = np.unique(sample_domain[sample_domain > 0])
        target_root = _matrix_power(_covariance(X[target], self.reg), 0.5)
        self.recoloring_ = np.zeros((self.source_domains_.size, d, d))
        for i, domain in enumerate(self.source_domains_):
            rows = sample_domain == domain
            whitening = _matrix_power(_covariance(X[rows], self.reg), -0.5)
            self.recoloring_[i] = whitening @ target_root
            X_new[rows] = X[rows] @ self.recoloring_[i]
        return X_new

    def transform(self, X):
        """Map new rows as target rows: unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            A copy of ``X``.
        """
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64, copy=True)
