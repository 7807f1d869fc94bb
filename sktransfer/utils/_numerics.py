"""Numerics shared by the kernel methods: stacked rows, squared distances,
the Gaussian kernel and the median heuristic for its width."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.extmath import row_norms

#: Rows of ``X`` per block of :func:`rbf_kernel`.
CHUNK_SIZE = 2048
#: Squared distances at most this share of ``||x||^2 + ||y||^2`` are taken for
#: 0 by :func:`median_heuristic_gamma`: the rounding error of the expansion
#: ``||x||^2 + ||y||^2 - 2 x.y`` for equal rows.
_DUPLICATE_RTOL = 1e-12


def stack_rows(*blocks):
    """Stack blocks of rows into one CSR matrix if any is sparse, else an array.

    Parameters
    ----------
    *blocks : {ndarray, sparse matrix} of shape (n_rows_i, n_features)
        The blocks, in order.

    Returns
    -------
    stacked : {ndarray, csr_matrix} of shape (sum n_rows_i, n_features)
    """
    if any(sp.issparse(block) for block in blocks):
        return sp.vstack(blocks, format="csr")
    return np.vstack(blocks)


def squared_norms(X):
    """Squared Euclidean norm of each row of a dense or sparse ``X``."""
    return row_norms(X, squared=True)


def _squared_distances(X, Y, X_norms, Y_norms, out):
    """``||x - y||^2`` written into ``out``, negative rounding errors clipped."""
    if sp.issparse(X) or sp.issparse(Y):
        product = X @ Y.T
        out[...] = product.toarray() if sp.issparse(product) else product
    else:
        np.matmul(X, Y.T, out=out)
    out *= -2.0
    out += X_norms[:, None]
    out += Y_norms[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def rbf_kernel(X, Y, gamma, *, X_norms=None, Y_norms=None, out=None, dtype=np.float64):
    """Gaussian kernel ``exp(-gamma ||x - y||^2)`` between the rows of X and Y.

    The kernel is computed in place, ``CHUNK_SIZE`` rows of ``X`` at a time,
    so that no temporary larger than a block is allocated.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples_X, n_features)
        First rows.
    Y : {ndarray, sparse matrix} of shape (n_samples_Y, n_features)
        Second rows.
    gamma : float
        Width of the kernel.
    X_norms, Y_norms : ndarray of shape (n_samples_X,) and (n_samples_Y,), \
            default=None
        Squared norms of the rows (:func:`squared_norms`), when known.
    out : ndarray of shape (n_samples_X, n_samples_Y), default=None
        Where to write the kernel; a new array of ``dtype`` when ``None``.
    dtype : dtype, default=np.float64
        Precision of the kernel when ``out`` is ``None``.

    Returns
    -------
    K : ndarray of shape (n_samples_X, n_samples_Y)
        The kernel (``out`` when given).
    """
    if out is None:
        out = np.empty((X.shape[0], Y.shape[0]), dtype=dtype)
    X = X.astype(out.dtype, copy=False)
    Y = Y.astype(out.dtype, copy=False)
    X_norms = squared_norms(X) if X_norms is None else X_norms
    Y_norms = squared_norms(Y) if Y_norms is None else Y_norms
    for start in range(0, X.shape[0], CHUNK_SIZE):
        rows = slice(start, start + CHUNK_SIZE)
        block = _squared_distances(X[rows], Y, X_norms[rows], Y_norms, out[rows])
        block *= -gamma
        np.exp(block, out=block)
    return out


def median_heuristic_gamma(X, random_state=None, *, max_rows=1000):
    """Width of a Gaussian kernel by the median heuristic.

    ``gamma = 1 / median ||x_i - x_j||^2`` over the pairs ``i < j`` of rows.
    Pairs of equal rows (duplicates, and the rounding error of their
    distance) are left out, so that duplicated rows cannot drive the median
    to 0; when every pair is equal, ``gamma`` is 1. Above ``max_rows`` rows,
    the median is taken over ``max_rows`` rows drawn without replacement.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The rows.
    random_state : int, RandomState instance or None, default=None
        Draws the rows when there are more than ``max_rows``.
    max_rows : int, default=1000
        Largest number of rows whose pairs are measured.

    Returns
    -------
    gamma : float
        Positive and finite.
    """
    if X.shape[0] > max_rows:
        rng = check_random_state(random_state)
        X = X[np.sort(rng.choice(X.shape[0], max_rows, replace=False))]
    norms = squared_norms(X)
    distances = _squared_distances(
        X, X, norms, norms, np.empty((X.shape[0], X.shape[0]))
    )
    rows, cols = np.triu_indices(X.shape[0], k=1)
    distances = distances[rows, cols]
    distances = distances[distances > _DUPLICATE_RTOL * (norms[rows] + norms[cols])]
    return float(1.0 / np.median(distances)) if distances.size else 1.0
