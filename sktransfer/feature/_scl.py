"""Structural Correspondence Learning (SCL)."""

import numbers
import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from .._domain import BaseDomainAdapter
from ._selection import PivotFeatureSelector, _present

#: Number of SCL features of the papers (h, Blitzer et al. 2006, 2007).
_DEFAULT_COMPONENTS = 50


def _dense(A):
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def _row_norms(X):
    if sp.issparse(X):
        return np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    return np.linalg.norm(X, axis=1)


def _pivot_predictors(X, P, alpha, *, dual=None):
    """Ridge weights of every pivot indicator on the features, in closed form.

    ``W = (Xc^T Xc + lam I)^-1 Xc^T Pc``, where ``Xc`` and ``Pc`` are ``X``
    and ``P`` centered over the rows (a ridge regression with an unpenalized
    intercept per pivot) and ``lam = alpha * trace(Xc^T Xc) / n_features``.
    The centering is never applied to ``X`` itself, which stays sparse: the
    scatter matrices are corrected by the column means instead. Solved in
    the primal (a ``n_features`` square system) or, with fewer rows than
    features, in the dual (a ``n_samples`` square system); both give the
    same ``W``.

    Returns ``W`` of shape (n_features, n_pivots).
    """
    n, d = X.shape
    mean_x = np.asarray(X.mean(axis=0)).ravel()
    mean_p = P.mean(axis=0)
    if dual is None:
        dual = n < d
    if dual:
        Xm = np.asarray(X @ mean_x).ravel()  # (n,) = X mu
        K = _dense(X @ X.T)
        K -= Xm[:, None] + Xm[None, :]
        K += mean_x @ mean_x
        trace = np.trace(K)
    else:
        G = _dense(X.T @ X) - n * np.outer(mean_x, mean_x)
        trace = np.trace(G)
    # centered rows that are all zero up to rounding (duplicated rows) leave
    # a trace of rounding errors: the penalty then comes from the raw scale
    squares = float(X.multiply(X).sum()) if sp.issparse(X) else float((X * X).sum())
    if trace <= 1e-8 * squares:
        trace = squares if squares > 0 else float(d)
    lam = alpha * trace / d
    Pc = P - mean_p
    if dual:
        K[np.diag_indices_from(K)] += lam
        A = scipy.linalg.solve(K, Pc, assume_a="pos", check_finite=False)
        # Xc^T A; the mean term vanishes up to rounding as Pc sums to zero
        return _dense(X.T @ A) - np.outer(mean_x, A.sum(axis=0))
    G[np.diag_indices_from(G)] += lam
    B = _dense(X.T @ Pc)  # = Xc^T Pc, as Pc's columns sum to zero
    return scipy.linalg.solve(G, B, assume_a="pos", check_finite=False)


class StructuralCorrespondenceLearning(TransformerMixin, BaseDomainAdapter):
    """Structural Correspondence Learning (SCL, SCL-MI).

    SCL links the words of the source and of the target domain through
    *pivot* features, which behave alike in both (Blitzer et al., 2006,
    2007). It has three steps:

    1. Pivots: :class:`PivotFeatureSelector` picks the features that occur
       (are non-zero) in at least ``min_frequency`` of the source rows and
       of the target rows, and among them the ``n_pivots`` with the most
       mutual information with the label over the labeled rows ("SCL-MI";
       without labels, the most frequent ones, as in the 2006 paper).
    2. Pivot predictors: for every pivot, a linear predictor of "the pivot
       occurs in this row" from the other (non-pivot) features, fitted on
       the rows of all domains, labeled or not. A target-only word that
       co-occurs with the pivot "excellent" gets a weight like that of a
       source-only word that does, which is the correspondence.
    3. Projection: the top ``n_components`` left singular vectors
       ``theta`` of the matrix of all the predictors' weights span the
       directions that predict the pivots best; each row is mapped to
       ``theta^T x`` of its non-pivot features.

    The output is ``[x, scale_ * theta^T x]``, the input features followed
    by the SCL features, as in the papers (``keep_input=True``), or the SCL
    features alone. All rows are mapped alike, so ``transform`` maps new
    rows of any domain and on the training rows reproduces
    ``fit_transform``. Made for sparse bag-of-words (counts, binary or
    normalized) input: a feature "occurs" where it is non-zero, so on dense
    data with no zeros every feature occurs in every row, the predictors
    have nothing to learn and the SCL features are zeros. Sparse input is
    never densified; the scatter matrix that is solved is dense, of side
    the smaller of the number of rows and of non-pivot features.

    Parameters
    ----------
    n_pivots : int, float or None, default=None
        Number of pivots, passed to :class:`PivotFeatureSelector` as
        ``n_features_to_select`` (a float in (0, 1] is a fraction of the
        features). ``None`` keeps 1000, the number of pivots in the SCL-MI
        experiments, but at most half of the features, so that at least as
        many non-pivot features are left to predict them; fewer when fewer
        features qualify.
    min_frequency : int or float, default=0.01
        Number (or, a float in (0, 1), fraction) of the source rows and of
        the target rows in which a pivot must occur; passed to
        :class:`PivotFeatureSelector`.
    n_components : int or None, default=None
        Number of SCL features ``h``. ``None`` means 50, the papers' ``h``,
        or fewer when there are fewer pivots or non-pivot features. An int
        larger than either raises a ``ValueError``.
    alpha : float, default=1.0
        Ridge penalty of the pivot predictors, relative to the data: the
        penalty on the squared weights is ``alpha`` times the mean, over
        the non-pivot features, of their centered sum of squares over the
        rows (the mean diagonal of the scatter matrix). So it does not
        depend on the scale of ``X`` or on the number of rows, and
        ``alpha=1`` shrinks a feature less the more it varies.
    keep_input : bool, default=True
        Whether the output starts with the input features, as in the
        papers; otherwise it is the SCL features alone.

    Attributes
    ----------
    pivot_selector_ : PivotFeatureSelector
        The fitted selector of the pivots.
    pivots_ : ndarray of shape (n_pivots,)
        Column indices of the pivots, increasing.
    components_ : ndarray of shape (n_components, `n_features_in_`)
        ``theta^T``: the top left singular vectors of the predictors'
        weights, orthonormal rows, zero on the pivot columns. The SCL
        features of ``X`` are ``scale_ * X @ components_.T``. A row whose
        singular value is zero (to rounding), a direction that predicts no
        pivot, is zero: so on data where every pivot occurs in every row the
        SCL features are zeros rather than arbitrary directions.
    singular_values_ : ndarray of shape (n_components,)
        The matching singular values of the predictors' weights, largest
        first.
    scale_ : float
        Factor of the SCL features: the mean L2 norm of the rows of ``X``
        over that of ``X @ components_.T``, over the rows seen in ``fit``
        (1 when the latter is zero).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    PivotFeatureSelector : The first step alone: keep the pivot features.
    MarginalizedDenoisingAutoencoder : Learns from all rows how every
        feature predicts the frequent ones, with no labels.

    Notes
    -----
    The papers fit each pivot predictor separately, by stochastic gradient
    descent on the modified Huber loss. Here all of them are fitted at once
    in closed form, by ridge (least-squares) regression of the binary pivot
    indicators ``P`` on the non-pivot features ``X``, both centered over
    the rows (a ridge regression with an unpenalized intercept per pivot)::

        W = (Xc^T Xc + lam I)^-1 Xc^T Pc,    lam = alpha * trace(Xc^T Xc) / d

    with ``d`` the number of non-pivot features. Centering keeps each
    pivot's base rate out of ``W``: without it, the weights would also
    encode how frequent each pivot is, and the top singular vector would
    mostly follow how many words a row has rather than which words stand in
    for which. The centering is applied to the scatter matrices, never to
    ``X``, so sparse input stays sparse. The system is solved in the dual
    (``n_samples`` square) when there are fewer rows than non-pivot
    features. The projection itself is not centered (``theta^T x``, as in
    the papers); the offset it leaves is a constant for a linear model's
    intercept.

    Blitzer et al. rescale the SCL features before appending them to the
    input features. Here they are scaled so that their mean row norm over
    the fitted rows equals that of the input features, so a regularized
    classifier on ``[x, scale_ * theta^T x]`` weighs both blocks alike.
    The papers' other optional step, setting the predictors' negative
    weights to zero, is not done.

    References
    ----------
    .. [1] J. Blitzer, R. McDonald and F. Pereira, "Domain adaptation with
       structural correspondence learning", EMNLP 2006.
    .. [2] J. Blitzer, M. Dredze and F. Pereira, "Biographies, Bollywood,
       boom-boxes and blenders: domain adaptation for sentiment
       classification", ACL 2007.
    .. [3] R. K. Ando and T. Zhang, "A framework for learning predictive
       structures from multiple tasks and unlabeled data", JMLR 6, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse import random as sparse_random
    >>> from sktransfer.feature import StructuralCorrespondenceLearning
    >>> X = sparse_random(80, 40, density=0.3, format="csr", random_state=0)
    >>> y = np.r_[np.tile([0, 1], 20), np.full(40, -1)]  # no target label
    >>> sample_domain = np.repeat([1, -1], 40)
    >>> scl = StructuralCorrespondenceLearning(n_pivots=10, n_components=5)
    >>> Z = scl.fit_transform(X, y, sample_domain=sample_domain)
    >>> Z.shape  # the 40 input features, then 5 SCL features
    (80, 45)
    >>> scl.pivots_.shape, scl.components_.shape
    ((10,), (5, 40))
    >>> bool(np.all(scl.components_[:, scl.pivots_] == 0))
    True
    """

    _parameter_constraints: dict = {
        "n_pivots": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
            None,
        ],
        "min_frequency": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
        ],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "keep_input": ["boolean"],
    }
    _domain_requirements = {
        "require_source": True,
        "min_source_rows": 2,
        "min_target_rows": 2,
        "min_rows_reason": "to tell the features frequent in each domain",
    }

    def __init__(
        self,
        n_pivots=None,
        min_frequency=0.01,
        n_components=None,
        alpha=1.0,
        keep_input=True,
    ):
        self.n_pivots = n_pivots
        self.min_frequency = min_frequency
        self.n_components = n_components
        self.alpha = alpha
        self.keep_input = keep_input

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Select the pivots, fit their predictors and the projection.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains; a feature occurs in a row where it is
            non-zero.
        y : array-like of shape (n_samples,), default=None
            Class labels, ``-1`` on unlabeled target rows; they rank the
            pivots (mutual information). ``None`` ranks them by frequency.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None``
            means every row is a source row. The predictors use every row
            alike.

        Returns
        -------
        self : StructuralCorrespondenceLearning
            The fitted transformer.
        """
        self._fit(X, y, sample_domain)
        return self

    def _fit(self, X, y, sample_domain):
        """Fit; return the validated ``X`` and its unscaled projection."""
        X, y, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse="csr", dtype=np.float64
        )
        name = type(self).__name__
        n_features = X.shape[1]
        if n_features < 2:
            raise ValueError(
                f"{name} needs at least 2 features (pivots and non-pivot features "
                f"to predict them from), got {n_features} feature(s)."
            )

        n_pivots = self.n_pivots
        if n_pivots is None:
            n_pivots = min(PivotFeatureSelector._DEFAULT_PIVOTS, n_features // 2)
        self.pivot_selector_ = PivotFeatureSelector(
            n_features_to_select=n_pivots, min_frequency=self.min_frequency
        )
        with warnings.catch_warnings():
            if self.n_pivots is None:
                # fewer qualify than the default asks for: keep them, silently
                warnings.filterwarnings(
                    "ignore", message="n_features_to_select=", category=UserWarning
                )
            self.pivot_selector_.fit(X, y, sample_domain=sample_domain)
        support = self.pivot_selector_.get_support()
        self.pivots_ = np.flatnonzero(support)
        others = np.flatnonzero(~support)
        n_pivots, n_others = self.pivots_.shape[0], others.shape[0]
        if n_others == 0:
            raise ValueError(
                f"Every one of the {n_features} features is a pivot "
                f"(n_pivots={self.n_pivots!r}): no non-pivot feature is left "
                "to predict them from. Ask for fewer pivots."
            )
        limit = min(n_pivots, n_others)
        if self.n_components is None:
            n_components = min(_DEFAULT_COMPONENTS, limit)
        elif self.n_components > limit:
            raise ValueError(
                f"n_components={self.n_components} is larger than min(number of "
                f"pivots, number of non-pivot features) = min({n_pivots}, "
                f"{n_others}) = {limit}."
            )
        else:
            n_components = self.n_components

        X_others = X[:, others]
        P = _dense(_present(X[:, self.pivots_]))
        W = _pivot_predictors(X_others, P, self.alpha)
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        U, Vt = svd_flip(U, Vt)
        U, s = U[:, :n_components], s[:n_components]
        # directions that predict no pivot (zero singular value, e.g. every
        # pivot occurs in every row) are arbitrary: leave them out as zeros
        U[:, s <= s[0] * max(W.shape) * np.finfo(W.dtype).eps] = 0.0
        self.components_ = np.zeros((n_components, n_features))
        self.components_[:, others] = U.T
        self.singular_values_ = s

        projection = _dense(X_others @ U)  # = X @ components_.T
        projected = np.mean(_row_norms(projection))
        self.scale_ = float(np.mean(_row_norms(X)) / projected) if projected else 1.0
        return X, projection

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit, then map the rows of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,), default=None
            Class labels, ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows.

        Returns
        -------
        Z : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            ``[X, SCL features]`` (sparse when ``X`` is sparse), or the SCL
            features alone with ``keep_input=False``.
        """
        X, projection = self._fit(X, y, sample_domain)
        return self._output(X, self.scale_ * projection)

    def transform(self, X):
        """Append the SCL features to the rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to map, of any domain.

        Returns
        -------
        Z : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            ``[X, scale_ * X @ components_.T]`` (sparse when ``X`` is
            sparse), or the SCL features alone (dense) with
            ``keep_input=False``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)
        return self._output(X, self.scale_ * _dense(X @ self.components_.T))

    def _output(self, X, Z):
        """``[X, Z]``, or ``Z`` alone with ``keep_input=False``."""
        if not self.keep_input:
            return Z
        if sp.issparse(X):
            return sp.hstack([X, sp.csr_matrix(Z)], format="csr")
        return np.hstack([X, Z])

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input names (with ``keep_input=True``), then
            ``structuralcorrespondencelearning0``, ``...1``, ....
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        prefix = type(self).__name__.lower()
        projected = [f"{prefix}{i}" for i in range(self.components_.shape[0])]
        parts = ([list(names)] if self.keep_input else []) + [projected]
        return np.asarray(sum(parts, []), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
