"""Transfer Component Analysis and the solver it shares with JDA.

TCA (Pan et al., 2011) looks for an embedding ``Z = K W`` of the rows in a
kernel space that keeps the variance of the data while shrinking the Maximum
Mean Discrepancy (MMD) between the domains. With the centering matrix ``H``
and ``L = sum_j e_j e_j^T`` the MMD matrix (one column ``e_j`` per mean
difference that is to vanish: one for TCA, one more per class for JDA), ``W``
holds the leading eigenvectors of the symmetric-definite pencil

    K H K w = lambda (K L K + mu I) w.

``K L K = V V^T`` with ``V = K E`` has a rank of at most a few, so
``(K L K + mu I)^(-1/2)`` is a low-rank update of the identity and the pencil
becomes one symmetric matrix whose few leading eigenvectors are found with
block products with ``K``. When the rows have an explicit feature map ``Phi``
(the linear kernel with fewer features than rows, or a Nystroem
approximation of any kernel), the same pencil is solved exactly in the
``Phi`` feature space, at a cost linear in the number of rows.
"""

import numbers

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    _fit_context,
)
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._numerics import CHUNK_SIZE, rbf_kernel
from ._base import _BaseDomainTransformer

#: Rows above which ``solver="auto"`` uses the Nystroem approximation.
EXACT_MAX_SAMPLES = 10_000
#: Rows up to which ``solver="auto"`` uses a dense eigensolver in kernel space.
DENSE_MAX_SAMPLES = 1_000

_KERNELS = set(PAIRWISE_KERNEL_FUNCTIONS) - {"precomputed"}


def _domain_mean_difference(sample_domain, rows_a, rows_b):
    """Column ``e`` with ``e^T Z = mean(Z[rows_a]) - mean(Z[rows_b])``."""
    e = np.zeros(sample_domain.shape[0])
    e[rows_a] = 1.0 / rows_a.sum()
    e[rows_b] = -1.0 / rows_b.sum()
    return e


def _marginal_mmd_column(sample_domain):
    source, target = sample_domain > 0, sample_domain < 0
    if not source.any() or not target.any():
        return np.zeros((sample_domain.shape[0], 0))
    return _domain_mean_difference(sample_domain, source, target)[:, None]


class _KernelMap:
    """The kernel of a TCA/JDA estimator, evaluated in row blocks."""

    def __init__(self, estimator):
        self.kernel = estimator.kernel
        params = dict(estimator.kernel_params or {})
        if not callable(self.kernel):
            params.update(
                gamma=estimator.gamma, degree=estimator.degree, coef0=estimator.coef0
            )
        self.params = params

    def __call__(self, X, Y, dtype=np.float64):
        out = np.empty((X.shape[0], Y.shape[0]), dtype=dtype)
        if self.kernel == "rbf":
            rbf_kernel(X, Y, self.params["gamma"] or 1.0 / X.shape[1], out=out)
        else:
            self._pairwise(X, Y, out)
        if not np.isfinite(out).all():
            raise ValueError(
                f"The kernel {self.kernel!r} returned NaN or infinite values; "
                "check its parameters (gamma, degree, coef0, kernel_params) and "
                "the scale of X."
            )
        return out

    def _pairwise(self, X, Y, out):
        for start in range(0, X.shape[0], CHUNK_SIZE):
            stop = min(start + CHUNK_SIZE, X.shape[0])
            out[start:stop] = pairwise_kernels(
                X[start:stop],
                Y,
                metric=self.kernel,
                filter_params=True,
                **self.params,
            )


def _top_eigh_dense(matrix, k):
    n = matrix.shape[0]
    values, vectors = scipy.linalg.eigh(
        matrix, subset_by_index=(n - k, n - 1), driver="evr"
    )
    return values[::-1], vectors[:, ::-1]


def _orthonormalize(Y):
    """Orthonormal basis of the columns of a tall ``Y``.

    Cholesky QR (twice, for accuracy) is fast; Householder QR takes over when
    the columns are nearly dependent.
    """
    Y = np.asarray(Y, dtype=np.float64)
    try:
        Q = Y
        for _ in range(2):
            R = scipy.linalg.cholesky(Q.T @ Q)
            Q = scipy.linalg.solve_triangular(R, Q.T, trans="T").T
        return Q
    except np.linalg.LinAlgError:
        return np.linalg.qr(Y)[0]


def _low_rank_inverse_sqrt(K, E, mu):
    """``(K E E^T K + mu I)^(-1/2) = I / sqrt(mu) + U diag(d) U^T``."""
    V = np.asarray(K @ E.astype(K.dtype), dtype=np.float64)
    if not V.shape[1]:
        return np.zeros((K.shape[0], 0)), np.zeros(0)
    U, s, _ = np.linalg.svd(V, full_matrices=False)
    return U, 1.0 / np.sqrt(mu + s**2) - 1.0 / np.sqrt(mu)


def _solve_kernel(K, E, mu, k):
    """Top-``k`` solutions of ``K H K w = lambda (K E E^T K + mu I) w``.

    Returns ``W`` (n, k) with ``W^T (K E E^T K + mu I) W = I``, the
    eigenvalues ``lambda`` and the embedding ``K W``.
    """
    n = K.shape[0]
    U, d = _low_rank_inverse_sqrt(K, E, mu)

    def inv_sqrt_B(Y):
        return Y / np.sqrt(mu) + U @ (d[:, None] * (U.T @ Y))

    R = K @ inv_sqrt_B(np.eye(n))
    M = R.T @ (R - R.mean(axis=0))
    values, C = _top_eigh_dense((M + M.T) / 2, k)
    return inv_sqrt_B(C), values, R @ C


def _solve_kernel_randomized(K, E, mu, k, X, random_state, n_iter=4):
    """Approximate top-``k`` solutions of the same pencil.

    The leading eigenvectors of the pencil lie close to the leading
    eigenspace of ``K`` widened by the directions of ``K E`` and of the
    constant (the low-rank terms). Block subspace iteration with ``K`` (one
    pass over ``K`` per iteration) finds that space; the pencil is then solved
    exactly within it (Rayleigh-Ritz), with one more pass. The start block,
    random Fourier features of the rows, depends on each row alone, so
    reordering the rows reorders the result and changes nothing else.
    """
    n = K.shape[0]
    U, d = _low_rank_inverse_sqrt(K, E, mu)
    rng = check_random_state(random_state)
    width = min(n, k + max(10, k // 2))
    directions = rng.standard_normal((X.shape[1], width))
    offsets = rng.uniform(0, 2 * np.pi, width)
    Y = _orthonormalize(np.cos(X @ directions / np.sqrt(X.shape[1]) + offsets))
    for _ in range(n_iter):
        Y = _orthonormalize(K @ Y.astype(K.dtype))
    basis = _orthonormalize(np.hstack([Y, U, np.ones((n, 1))]))
    KB = np.asarray(K @ basis.astype(K.dtype), dtype=np.float64)
    inv_sqrt_B_basis = basis / np.sqrt(mu) + U @ (d[:, None] * (U.T @ basis))
    # K (B^(-1/2) basis), using K U = K basis (basis^T U) as U lies in the basis
    R = KB / np.sqrt(mu) + KB @ ((basis.T @ U) * d) @ (U.T @ basis)
    M = R.T @ (R - R.mean(axis=0))
    values, C = _top_eigh_dense((M + M.T) / 2, min(k, M.shape[0]))
    return inv_sqrt_B_basis @ C, values, R @ C


def _feature_state(Phi):
    """What every solve with the explicit feature map ``Phi`` (n, p) needs.

    Writing the kernel ``Phi Phi^T`` in the eigenbasis ``V`` of
    ``Phi^T Phi = V diag(sigma2) V^T`` turns the pencil into an exactly
    equivalent one of the size of the rank of ``Phi``; ``A`` is the scatter
    ``Phi^T H Phi`` in that basis.
    """
    G = Phi.T @ Phi
    G = G.toarray() if sp.issparse(G) else np.asarray(G)
    sigma2, V = np.linalg.eigh(G)
    keep = sigma2 > sigma2.max() * max(G.shape[0], 1) * np.finfo(float).eps
    sigma2, V = sigma2[keep], V[:, keep]
    Vs = V.T @ np.asarray(Phi.sum(axis=0)).ravel()
    A = (V.T @ G @ V) - np.outer(Vs, Vs) / Phi.shape[0]
    return {"Phi": Phi, "V": V, "sigma2": sigma2, "A": (A + A.T) / 2}


def _solve_feature(state, E, mu, k, primal):
    """The pencil for an explicit feature map; returns ``P`` with ``Z = Phi P``.

    The regularizer is ``mu ||P||^2`` when ``primal`` (the projection of the
    features, JDA's primal form), else ``mu ||W||^2`` on the dual coefficients
    of the kernel ``Phi Phi^T`` (TCA's kernel form), that is ``D = mu I`` or
    ``D = diag(mu / sigma2)`` below.

    With ``h = D^(-1/2) V^T Phi^T E``, the
    pencil ``A c = lambda (g g^T + D) c`` becomes the symmetric eigenproblem
    of ``T D^(-1/2) A D^(-1/2) T`` with ``T = (I + h h^T)^(-1/2)``, a
    low-rank update of the identity.
    """
    V, A = state["V"], state["A"]
    scale = np.sqrt((1.0 if primal else state["sigma2"]) / mu)
    scale = np.broadcast_to(scale, state["sigma2"].shape)
    h = scale[:, None] * (V.T @ np.asarray(state["Phi"].T @ E))
    if h.shape[1]:
        U, s, _ = np.linalg.svd(h, full_matrices=False)
        d = 1.0 / np.sqrt(1.0 + s**2) - 1.0
    else:
        U, d = np.zeros((h.shape[0], 0)), np.zeros(0)

    def T(Y):
        return Y + U @ (d[:, None] * (U.T @ Y))

    ST = scale[:, None] * T(np.eye(A.shape[0]))
    M = ST.T @ A @ ST
    values, Y = _top_eigh_dense((M + M.T) / 2, min(k, M.shape[0]))
    return V @ (ST @ Y), values


class _BaseTransferComponents(ClassNamePrefixFeaturesOutMixin, _BaseDomainTransformer):
    """Embedding, solvers and out-of-sample map shared by TCA and JDA."""

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "kernel": [StrOptions(_KERNELS), callable],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "degree": [Interval(numbers.Real, 0, None, closed="left")],
        "coef0": [Interval(numbers.Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "mu": [Interval(numbers.Real, 0, None, closed="neither")],
        "solver": [StrOptions({"auto", "dense", "randomized", "feature", "nystroem"})],
        "n_landmarks": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
    _domain_requirements = {
        "min_target_rows": 2,
        "min_rows_reason": "to estimate the target distribution",
    }

    #: Components kept when ``n_components=None`` (the JDA paper's default k).
    _DEFAULT_COMPONENTS = 100

    def _choose_solver(self, n_samples, n_features):
        solver = self.solver
        if solver == "auto":
            if self.kernel == "linear":
                return "feature"
            if n_samples > EXACT_MAX_SAMPLES:
                return "nystroem"
            return "dense" if n_samples <= DENSE_MAX_SAMPLES else "randomized"
        if solver == "feature" and self.kernel != "linear":
            raise ValueError(
                f"solver='feature' needs kernel='linear', got kernel={self.kernel!r}; "
                "use solver='nystroem' for an explicit map of another kernel."
            )
        return solver

    def _validate(self, X, y, sample_domain):
        return self._validate_domain_data(
            X,
            y,
            sample_domain,
            accept_sparse=("csr", "csc"),
            dtype=np.float64,
            ensure_min_samples=2,
        )

    def _prepare(self, X):
        """Precompute what every solve on ``X`` needs (kernel or Gram matrix)."""
        n_samples, n_features = X.shape
        self.solver_ = self._choose_solver(n_samples, n_features)
        kernel = _KernelMap(self)
        if self.solver_ in ("dense", "randomized"):
            X_dense = X.toarray() if sp.issparse(X) else X
            self.X_fit_ = X_dense
            max_components = n_samples - 1
            dtype = np.float32 if self.solver_ == "randomized" else np.float64
            K = kernel(X_dense, X_dense, dtype=dtype)
            return {
                "K": K,
                "max": max_components,
                "kernel_scale": float(np.mean(np.diag(K), dtype=np.float64)),
            }
        to_input = None
        if self.solver_ == "feature" and n_features >= n_samples:
            # work in the row space of X: X = U S V^T, Phi = U S, P = V c
            K = X @ X.T
            K = K.toarray() if sp.issparse(K) else np.asarray(K)
            values, U = np.linalg.eigh(K)
            keep = values > values.max() * n_samples * np.finfo(float).eps
            U, root = U[:, keep], np.sqrt(values[keep])
            Phi = U * root
            to_input = np.asarray(X.T @ (U / root))
        elif self.solver_ == "feature":
            Phi = X
        else:
            rng = check_random_state(self.random_state)
            m = min(self.n_landmarks, n_samples)
            X_dense = X.toarray() if sp.issparse(X) else X
            # draw from the rows in a canonical (sorted) order, so that the
            # landmarks do not depend on the order of the rows
            canonical = np.lexsort(X_dense.T[::-1])
            X_land = X_dense[
                canonical[np.sort(rng.choice(n_samples, m, replace=False))]
            ]
            values, vectors = np.linalg.eigh(kernel(X_land, X_land))
            keep = values > values.max() * m * np.finfo(float).eps
            self.X_fit_ = X_land
            self.normalization_ = vectors[:, keep] / np.sqrt(values[keep])
            Phi = np.empty((n_samples, self.normalization_.shape[1]))
            for start in range(0, n_samples, CHUNK_SIZE):
                stop = min(start + CHUNK_SIZE, n_samples)
                Phi[start:stop] = kernel(X[start:stop], X_land) @ self.normalization_
        state = _feature_state(Phi)
        state["max"] = min(n_samples - 1, state["sigma2"].shape[0])
        state["to_input"] = to_input
        state["kernel_scale"] = float(state["sigma2"].sum()) / n_samples
        return state

    def _n_components(self, state):
        if self.n_components is None:
            return max(1, min(self._DEFAULT_COMPONENTS, state["max"]))
        if self.n_components > state["max"]:
            raise ValueError(
                f"n_components={self.n_components} is larger than the problem "
                f"allows: at most {state['max']} with {self.solver_!r} solver on "
                "these rows (rows - 1, and the rank of the features for a "
                "linear or Nystroem map)."
            )
        return self.n_components

    def _solve(self, state, E, k):
        """Solve for ``E``; set the fitted map and return the embedding.

        ``L = E E^T`` is scaled to unit Frobenius norm and ``mu`` by the mean
        of the kernel diagonal (squared for the dual regularizer), so that
        ``mu`` means the same whatever the scale of the data; on rows of unit
        norm this is the JDA code's problem.
        """
        if E.shape[1]:
            E = E / np.sqrt(np.linalg.norm(E.T @ E))
        primal = self.solver_ == "feature"
        scale = max(state["kernel_scale"], np.finfo(float).tiny)
        mu = self.mu * (scale if primal else scale**2)
        if "K" in state:
            if self.solver_ == "dense":
                W, values, Z = _solve_kernel(state["K"], E, mu, k)
            else:
                W, values, Z = _solve_kernel_randomized(
                    state["K"], E, mu, k, self.X_fit_, self.random_state
                )
        else:
            W, values = _solve_feature(state, E, mu, k, primal=primal)
            Z = np.asarray(state["Phi"] @ W)
        variance = Z.var(axis=0)
        tiny = variance <= 1e-12 * max(variance.max(), 1e-300)
        if tiny.any() and self.n_components is not None:
            raise ValueError(
                f"n_components={self.n_components} is larger than the problem "
                f"allows: only {int((~tiny).sum())} components have non-zero "
                "variance on these rows."
            )
        if tiny.all():
            raise ValueError(
                f"{type(self).__name__} found no direction in which the rows vary: "
                "they are all the same row (or the kernel maps them to one point), "
                "so there is nothing to embed."
            )
        keep = ~tiny
        W, Z, values, variance = W[:, keep], Z[:, keep], values[keep], variance[keep]
        peaks = np.abs(Z).argmax(axis=0)
        scale = np.sign(Z[peaks, np.arange(Z.shape[1])])
        W *= scale
        Z *= scale
        if self.solver_ == "feature":
            to_input = state.get("to_input")
            self.components_ = (W if to_input is None else to_input @ W).T
        elif self.solver_ == "nystroem":
            self.dual_coef_ = self.normalization_ @ W
        else:
            self.dual_coef_ = W
        self.eigenvalues_ = values
        self.n_components_ = self._n_features_out = Z.shape[1]
        return Z

    def transform(self, X):
        """Map rows into the transfer components.

        Every row is mapped alike, whatever its domain; on the rows seen in
        ``fit`` this reproduces ``fit_transform``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to map.

        Returns
        -------
        Z : ndarray of shape (n_samples, `n_components_`)
            The embedded rows.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, accept_sparse=("csr", "csc"), dtype=np.float64
        )
        if self.solver_ == "feature":
            return np.asarray(X @ self.components_.T)
        kernel = _KernelMap(self)
        Z = np.empty((X.shape[0], self.dual_coef_.shape[1]))
        for start in range(0, X.shape[0], CHUNK_SIZE):
            stop = min(start + CHUNK_SIZE, X.shape[0])
            Z[start:stop] = kernel(X[start:stop], self.X_fit_) @ self.dual_coef_
        return Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


class TransferComponentAnalysis(_BaseTransferComponents):
    """Transfer Component Analysis (TCA).

    Embeds the rows of all domains into ``n_components`` directions of a
    kernel space that keep as much of the data's variance as possible while
    making the mean embeddings of the source and the target rows agree
    (Maximum Mean Discrepancy). It is unsupervised: labels are not used. All
    rows are mapped alike, so ``transform`` maps new rows of any domain, and
    on the training rows it reproduces ``fit_transform``.

    With ``sample_domain=None`` (a single domain) there is no discrepancy to
    reduce and TCA is a kernel PCA (on centered data).

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the embedding. ``None`` keeps ``min(100, n_samples - 1)``
        components (100 is the JDA paper's default; fewer for a linear or
        Nystroem map of lower rank), dropping any of zero variance.
    kernel : {"linear", "rbf", "poly", "sigmoid", "cosine", ...} or callable, \
            default="linear"
        Kernel of :func:`sklearn.metrics.pairwise.pairwise_kernels`, or a
        callable taking two rows and returning a float.
    gamma : float, default=None
        Kernel coefficient of "rbf", "poly", "sigmoid" and "laplacian";
        ``None`` means ``1 / n_features``.
    degree : float, default=3
        Degree of the "poly" kernel.
    coef0 : float, default=1
        Independent term of the "poly" and "sigmoid" kernels.
    kernel_params : dict, default=None
        Further parameters of a callable kernel.
    mu : float, default=1.0
        Weight of the regularizer (see ``solver``): larger values trade
        discrepancy reduction for a smoother, more variance-preserving map
        (the papers use 1). It is scale-free: the MMD matrix is scaled to
        unit Frobenius norm, as in the JDA code, and ``mu`` is multiplied by
        the mean of the kernel diagonal (the mean squared row norm for the
        linear kernel; squared for the kernel solvers), so the scale of
        ``X`` does not change its meaning. On rows of unit norm, the papers'
        protocol, it is the papers' ``mu``.
    solver : {"auto", "dense", "randomized", "feature", "nystroem"}, \
            default="auto"
        How the eigenproblem is solved:

        - "feature": exactly in the feature space of the linear kernel, at
          a cost linear in the rows when there are fewer features than rows
          (else in the row space of ``X``); "auto" picks it for
          ``kernel="linear"``. It regularizes the projection of the
          features, ``mu ||P||^2``, as the JDA paper's linear ("primal")
          form does, where the kernel solvers regularize the dual
          coefficients, ``mu ||W||^2``, as TCA's kernel form does: with the
          linear kernel the two solutions differ.
        - "dense": exactly in kernel space with a dense symmetric
          eigensolver; "auto" picks it up to 1,000 rows.
        - "randomized": in kernel space, by block subspace iteration with
          the kernel matrix (held in float32) and an exact solve within the
          subspace found; "auto" picks it up to 10,000 rows. The leading
          components match "dense" closely, the last ones less so.
        - "nystroem": exactly for the Nystroem approximation of the kernel
          on ``n_landmarks`` random rows, at cost and memory linear in the
          rows; "auto" picks it above 10,000 rows.
    n_landmarks : int, default=1000
        Number of landmark rows of the Nystroem approximation.
    random_state : int, RandomState instance or None, default=None
        Draws the landmarks and the start of the randomized solver.

    Attributes
    ----------
    n_components_ : int
        Number of components kept: ``n_components``, or with ``None`` as
        many as the rows allow (at most 100) that have non-zero variance.
    solver_ : str
        The solver used.
    eigenvalues_ : ndarray of shape (`n_components_`,)
        Ratio of preserved variance to discrepancy plus regularizer of each
        component, in decreasing order.
    components_ : ndarray of shape (`n_components_`, `n_features_in_`)
        With the "feature" solver: ``transform(X) = X @ components_.T``.
    X_fit_ : ndarray of shape (n_basis, `n_features_in_`)
        With the other solvers: the training rows ("dense", "randomized")
        or the landmarks ("nystroem") the embedding is expanded on.
    dual_coef_ : ndarray of shape (n_basis, `n_components_`)
        With the kernel solvers: ``transform(X) = k(X, X_fit_) @ dual_coef_``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    JointDistributionAdaptation : TCA plus class-conditional alignment.
    sklearn.decomposition.KernelPCA : The single-domain counterpart.

    Notes
    -----
    The components are normalized by the regularized discrepancy
    (``W^T (K L K + mu I) W = I``, or ``P^T (X^T L X + mu I) P = I`` with the
    "feature" solver), so the variance of each over the fitted rows is its
    eigenvalue divided by the number of rows: like PCA scores, and unlike
    whitened ones, the components that keep more variance weigh more in
    distances. Each component's sign is fixed so that its largest entry is
    positive; the result does not depend on the order of the rows.

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain adaptation
       via transfer component analysis", IEEE Transactions on Neural
       Networks 22(2):199-210, 2011.
    .. [2] C. Williams and M. Seeger, "Using the Nystroem method to speed up
       kernel machines", NIPS 2001.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import TransferComponentAnalysis
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", n_features=5, random_state=0)
    >>> tca = TransferComponentAnalysis(n_components=2, kernel="rbf")
    >>> Z = tca.fit_transform(X, sample_domain=sample_domain)
    >>> Z.shape
    (400, 2)
    >>> tca.solver_
    'dense'
    """

    def __init__(
        self,
        n_components=None,
        *,
        kernel="linear",
        gamma=None,
        degree=3,
        coef0=1,
        kernel_params=None,
        mu=1.0,
        solver="auto",
        n_landmarks=1000,
        random_state=None,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.mu = mu
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit the embedding and return the embedded rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (no MMD term: kernel PCA).

        Returns
        -------
        Z : ndarray of shape (n_samples, `n_components_`)
            The embedded rows.
        """
        X, _, sample_domain = self._validate(X, y, sample_domain)
        state = self._prepare(X)
        k = self._n_components(state)
        return self._solve(state, _marginal_mmd_column(sample_domain), k)
