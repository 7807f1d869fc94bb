"""What the optimal-transport estimators share: costs, memory, subsamples.

Exact and entropic transport hold dense ``(n_source, n_target)`` matrices (the
cost and the plan), so memory grows with the product of the two row counts.
Every OT estimator states its large-data route, a ``max_samples`` parameter
that transports a random subsample of each domain and maps or labels the other
rows out of sample, and refuses, before allocating anything, a problem whose
matrices would not fit in the memory that is available, with an error that
names that route.

POT is imported by the estimators' ``fit`` (:func:`sktransfer.utils._optional.
import_pot`), never here at import time.
"""

import os

import numpy as np

from ._optional import import_pot

#: Cost metrics the OT estimators accept (POT's ``ot.dist`` names).
METRICS = ("sqeuclidean", "euclidean", "cityblock", "cosine")

#: How the cost matrix is rescaled before solving (POT's ``norm`` names):
#: divided by its median or maximum, or ``log(1 + M)``; ``None`` keeps it.
COST_NORMS = ("median", "max", "log", None)
# the norms that only rescale the cost: the exact (EMD) plan is the same
# without them
RESCALING_NORMS = ("median", "max")

# Float64 matrices of shape (n_source, n_target) that a solver holds at its
# peak: the cost, the plan, and one working copy (POT's solvers copy the
# cost into a C-contiguous float64 array; Sinkhorn keeps the Gibbs kernel).
_MATRICES_AT_PEAK = 3

# Above this ratio of the largest cost to the entropic regularization,
# exp(-M / reg) underflows and Sinkhorn runs in the log domain.
_LOG_DOMAIN_RATIO = 200.0


def available_memory():
    """Bytes of physical memory available now (Linux), else the total.

    Returns
    -------
    n_bytes : int or None
        ``None`` where the operating system does not say.
    """
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def _format_bytes(n_bytes):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TB"  # pragma: no cover


def plan_memory(n_source, n_target):
    """Bytes that a dense transport problem of this size holds at its peak.

    Parameters
    ----------
    n_source, n_target : int
        Rows transported from the source and to the target.

    Returns
    -------
    n_bytes : int
        Estimated peak memory of the cost matrix, the plan and a working copy.

    Examples
    --------
    >>> from sktransfer.utils._optimal_transport import plan_memory
    >>> plan_memory(1000, 1000)
    24000000
    """
    return _MATRICES_AT_PEAK * 8 * int(n_source) * int(n_target)


def check_plan_memory(n_source, n_target, who, *, memory=None):
    """Refuse a dense transport problem that would not fit in memory.

    Parameters
    ----------
    n_source, n_target : int
        Rows that would be transported.
    who : str
        Name of the estimator, for the error.
    memory : int, default=None
        Bytes available; ``None`` reads :func:`available_memory`.

    Raises
    ------
    MemoryError
        Where the problem needs more than the available memory; the message
        gives the sizes and names ``max_samples``, the large-data route.

    Examples
    --------
    >>> from sktransfer.utils._optimal_transport import check_plan_memory
    >>> check_plan_memory(100_000, 100_000, "OTMapping", memory=4 * 1024**3)
    Traceback (most recent call last):
    ...
    MemoryError: OTMapping would transport 100000 source rows to 100000 ...
    """
    memory = available_memory() if memory is None else memory
    needed = plan_memory(n_source, n_target)
    if memory is not None and needed > memory:
        largest = int(np.sqrt(memory / (_MATRICES_AT_PEAK * 8)))
        raise MemoryError(
            f"{who} would transport {n_source} source rows to {n_target} target "
            f"rows: its dense cost and plan matrices need about "
            f"{_format_bytes(needed)}, more than the {_format_bytes(memory)} "
            f"available. Set max_samples (for example max_samples={largest // 2}) "
            f"to transport a random subsample of each domain and map the other "
            f"rows out of sample."
        )


def subsample(n_rows, max_samples, random_state):
    """Indices of at most ``max_samples`` of ``n_rows`` rows, sorted.

    Parameters
    ----------
    n_rows : int
        Rows of one domain.
    max_samples : int or None
        Largest subsample; ``None`` keeps every row.
    random_state : RandomState instance
        Draws the subsample.

    Returns
    -------
    indices : ndarray of shape (min(n_rows, max_samples),)

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.utils._optimal_transport import subsample
    >>> subsample(5, None, np.random.RandomState(0))
    array([0, 1, 2, 3, 4])
    >>> subsample(5, 2, np.random.RandomState(0)).size
    2
    """
    if max_samples is None or n_rows <= max_samples:
        return np.arange(n_rows)
    return np.sort(random_state.choice(n_rows, size=max_samples, replace=False))


def cost_matrix(X_source, X_target, metric="sqeuclidean", norm=None):
    """Pairwise cost between source and target rows, rescaled by ``norm``.

    Parameters
    ----------
    X_source : ndarray of shape (n_source, n_features)
    X_target : ndarray of shape (n_target, n_features)
    metric : {"sqeuclidean", "euclidean", "cityblock", "cosine"}, \
            default="sqeuclidean"
        Cost of moving a source row onto a target row.
    norm : {"median", "max", "log"} or None, default=None
        Rescaling of the cost matrix: divided by its median or maximum (so
        that an entropic ``reg_e`` means the same on any scale of the
        features), ``log(1 + M)``, or none.

    Returns
    -------
    M : ndarray of shape (n_source, n_target)
        Non-negative float64 costs.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.utils._optimal_transport import cost_matrix
    >>> cost_matrix(np.array([[0.0], [1.0]]), np.array([[0.0], [2.0]]))
    array([[0., 4.],
           [1., 1.]])
    """
    ot = import_pot()
    M = np.asarray(ot.dist(X_source, X_target, metric=metric), dtype=np.float64)
    np.maximum(M, 0.0, out=M)
    if norm == "median":
        scale = np.median(M)
    elif norm == "max":
        scale = M.max()
    elif norm == "log":
        return np.log1p(M)
    else:
        return M
    if scale > 0:
        M /= scale
    return M


def uniform_weights(n_rows):
    """The uniform distribution on ``n_rows`` rows (float64).

    Examples
    --------
    >>> from sktransfer.utils._optimal_transport import uniform_weights
    >>> uniform_weights(4)
    array([0.25, 0.25, 0.25, 0.25])
    """
    return np.full(n_rows, 1.0 / n_rows)


def sinkhorn_plan(ot, a, b, M, reg, max_iter=1000, tol=1e-9):
    """Sinkhorn's plan, in the log domain where ``exp(-M / reg)`` underflows.

    Parameters
    ----------
    ot : module
        POT.
    a, b : ndarray of shape (n_source,), (n_target,)
        Weights of the source and target rows.
    M : ndarray of shape (n_source, n_target)
        Costs.
    reg : float
        Entropic regularization.
    max_iter : int, default=1000
        Largest number of Sinkhorn iterations.
    tol : float, default=1e-9
        Stop when the marginals are met up to ``tol``.

    Returns
    -------
    G : ndarray of shape (n_source, n_target)
        The plan.
    n_iter : int
        Iterations run.
    """
    log_domain = M.max() / reg > _LOG_DOMAIN_RATIO
    method = "sinkhorn_log" if log_domain else "sinkhorn"
    params = {"numItermax": max_iter, "stopThr": tol, "log": True}
    G, log = ot.sinkhorn(a, b, M, reg, method=method, **params)
    if not log_domain and not (np.isfinite(G).all() and G.sum() > 0):
        G, log = ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", **params)
    return G, log["niter"]
