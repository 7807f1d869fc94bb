"""Optimal-transport mappings: move the source rows onto the target rows.

Four mappings share one base class: the exact transport plan
(:class:`OTMapping`), its entropic regularization (:class:`EntropicOTMapping`),
the entropic plan with a class regularization that keeps each target row
from receiving mass of several source classes
(:class:`ClassRegularizedOTMapping`), and the
linear map between the Gaussian approximations of the domains
(:class:`LinearOTMapping`). POT is imported inside ``fit`` only.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import OneToOneFeatureMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._domain import check_sample_domain, encode_classes
from ..utils._optimal_transport import (
    COST_NORMS,
    METRICS,
    RESCALING_NORMS,
    check_plan_memory,
    cost_matrix,
    sinkhorn_plan,
    subsample,
    uniform_weights,
)
from ..utils._optional import import_pot
from ..utils._warnings import warn
from ._base import _BaseDomainTransformer
from ._coral import _covariance, _matrix_power

__all__ = [
    "ClassRegularizedOTMapping",
    "EntropicOTMapping",
    "LinearOTMapping",
    "OTMapping",
]


class _BaseOTMapping(OneToOneFeatureMixin, _BaseDomainTransformer):
    """Validation, domains and out-of-sample routing of the OT mappings.

    A subclass implements ``_fit_domains`` (fit the map of every source domain
    and return the mapped source rows), ``_fit_identity`` (the empty fitted
    state of the identity map) and ``_map_domain`` (map new rows of one
    fitted source domain).
    """

    # transform takes sample_domain too; fit_transform composes the requests
    # of fit and transform, which must agree
    __metadata_request__transform = {"sample_domain": True}

    def _fit_identity(self, n_features):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_domains(self, X, y, sample_domain):  # pragma: no cover - abstract
        raise NotImplementedError

    def _map_domain(self, X, index):  # pragma: no cover - abstract
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit, then map the source rows and keep the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of all domains (dense; sparse input is refused).
        y : array-like of shape (n_samples,), default=None
            Classes of the source rows, ``-1`` on unlabeled target rows: needed
            by :class:`ClassRegularizedOTMapping` when there are target rows
            (target labels are not used); ignored by the other mappings.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (identity map).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Source rows mapped onto the target rows, target rows unchanged.
        """
        X, y, sample_domain = self._validate_domain_data(
            X, y, sample_domain, dtype=np.float64
        )
        target = sample_domain < 0
        if not target.any() or target.all():
            self.source_domains_ = np.array([], dtype=np.int64)
            self._fit_identity(X.shape[1])
            return X.copy()
        self.source_domains_ = np.unique(sample_domain[~target])
        return self._fit_domains(X, y, sample_domain)

    def transform(self, X, sample_domain=None):
        """Map new rows: unchanged, or by their domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        sample_domain : array-like of shape (n_samples,), default=None
            ``None`` takes every row as a target row, returned unchanged
            (what a pipeline does at prediction time). Rows with a positive
            domain are mapped out of sample by the map of that source
            domain; rows with a negative domain are left unchanged.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The mapped rows.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, copy=True)
        if sample_domain is None:
            return X
        sample_domain = check_sample_domain(
            sample_domain, X, estimator_name=type(self).__name__
        )
        if self.source_domains_.size == 0:  # the identity map of a plain fit
            return X
        for domain in np.unique(sample_domain[sample_domain > 0]):
            index = np.flatnonzero(self.source_domains_ == domain)
            if index.size == 0:
                raise ValueError(
                    f"{type(self).__name__} was fitted on the source domains "
                    f"{self.source_domains_.tolist()}, not on domain {domain}: "
                    "there is no map for its rows."
                )
            rows = sample_domain == domain
            X[rows] = self._map_domain(X[rows], index[0])
        return X


def _check_cost(M, metric):
    if not np.isfinite(M).all():
        raise ValueError(
            f"The cost matrix (metric={metric!r}) is not finite on these rows; "
            "a cosine cost is undefined on all-zero rows."
        )


class _BaseTransportMapping(_BaseOTMapping):
    """Mappings by a transport plan: barycentric in sample, nearest neighbour
    out of sample (Ferradans et al. 2014)."""

    _exact_plan = False  # the plan changes with the scale of the cost

    def _coupling(self, ot, a, b, M, labels):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_identity(self, n_features):
        self.source_rows_ = np.zeros((0, n_features))
        self.source_rows_domain_ = np.zeros(0, dtype=np.int64)
        self.mapped_source_rows_ = np.zeros((0, n_features))
        self.target_rows_ = np.zeros((0, n_features))
        self.couplings_ = []
        self.n_iter_ = 1

    # whether a solver's convergence warning reaches the user
    _warn_convergence = True

    def _labels(self, y, sample_domain):
        return None

    def _solve(self, ot, a, b, M, labels):
        """The plan, with the solvers' warnings turned into one of ours."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            G, n_iter = self._coupling(ot, a, b, M, labels)
            G = np.asarray(G, dtype=np.float64)
        if self._warn_convergence and any(
            "converge" in str(w.message) or "numItermax" in str(w.message)
            for w in caught
        ):
            warn(
                f"{type(self).__name__}: the transport solver stopped at "
                f"max_iter={self.max_iter} iterations before converging; "
                "increase max_iter (or the regularization).",
                ConvergenceWarning,
            )
        return G, max(int(n_iter), 1)

    def _fit_domains(self, X, y, sample_domain):
        ot = import_pot()
        name = type(self).__name__
        rng = check_random_state(self.random_state)
        labels = self._labels(y, sample_domain)
        target_all = np.flatnonzero(sample_domain < 0)
        target_rows = target_all[subsample(target_all.size, self.max_samples, rng)]
        X_target = X[target_rows]
        b = uniform_weights(target_rows.size)
        X_new = X.copy()
        # the exact plan does not change when the cost is only rescaled
        norm = None if self._exact_plan and self.norm in RESCALING_NORMS else self.norm
        fitted, domains, mapped, couplings, n_iter = [], [], [], [], [1]
        for domain in self.source_domains_:
            rows_all = np.flatnonzero(sample_domain == domain)
            rows = rows_all[subsample(rows_all.size, self.max_samples, rng)]
            check_plan_memory(rows.size, target_rows.size, name)
            M = cost_matrix(X[rows], X_target, metric=self.metric, norm=norm)
            _check_cost(M, self.metric)
            G, iterations = self._solve(
                ot,
                uniform_weights(rows.size),
                b,
                M,
                None if labels is None else labels[rows],
            )
            del M
            n_iter.append(iterations)
            mass = G.sum(axis=1, keepdims=True)
            moved = (mass > 0).ravel() & np.isfinite(G).all(axis=1)
            Z = X[rows].copy()
            Z[moved] = (G[moved] @ X_target) / mass[moved]
            fitted.append(X[rows])
            domains.append(np.full(rows.size, domain, dtype=np.int64))
            mapped.append(Z)
            couplings.append(G)
            X_new[rows] = Z
            others = np.setdiff1d(rows_all, rows, assume_unique=True)
            if others.size:
                X_new[others] = _nearest_shift(X[others], X[rows], Z)
        self.source_rows_ = np.concatenate(fitted)
        self.source_rows_domain_ = np.concatenate(domains)
        self.mapped_source_rows_ = np.concatenate(mapped)
        self.target_rows_ = X_target
        self.couplings_ = couplings
        self.n_iter_ = max(n_iter)
        return X_new

    def _map_domain(self, X, index):
        rows = self.source_rows_domain_ == self.source_domains_[index]
        return _nearest_shift(
            X, self.source_rows_[rows], self.mapped_source_rows_[rows]
        )


def _nearest_shift(X, fitted, mapped):
    """``x + (mapped(x_nn) - x_nn)``, ``x_nn`` the nearest fitted row of ``x``."""
    nearest = pairwise_distances_argmin(X, fitted)
    return X + (mapped[nearest] - fitted[nearest])


_TRANSPORT_CONSTRAINTS = {
    "metric": [StrOptions(set(METRICS))],
    "norm": [StrOptions({n for n in COST_NORMS if n is not None}), None],
    "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    "max_samples": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "random_state": ["random_state"],
}

_ATTRIBUTES_DOC = """source_domains_ : ndarray of shape (n_source_domains,)
        The source domains seen in ``fit`` (empty for the identity map of a
        fit that has rows of one kind).
    source_rows_ : ndarray of shape (n_fitted_source, `n_features_in_`)
        The source rows that were transported, of every source domain (the
        subsample of each under ``max_samples``; empty for the identity map).
    source_rows_domain_ : ndarray of shape (n_fitted_source,)
        The source domain of each row of `source_rows_`.
    mapped_source_rows_ : ndarray of shape (n_fitted_source, `n_features_in_`)
        The barycentric image of each row of `source_rows_`.
    target_rows_ : ndarray of shape (n_fitted_target, `n_features_in_`)
        The target rows (of all target domains, pooled) that the source rows
        were transported to.
    n_iter_ : int
        Iterations of the solver, the most over the source domains (Sinkhorn
        iterations, outer iterations of the class-regularized solvers, 1 for
        the network simplex, which does not report them, and 1 for the
        identity map).
    couplings_ : list of ndarray of shape (n_source_rows, n_fitted_target)
        The transport plan of each source domain, in the order of
        `source_domains_`; its rows follow `source_rows_`, its columns
        `target_rows_`.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names."""

_COMMON_PARAMS_DOC = """metric : str, default="sqeuclidean"
        Cost of moving a source row onto a target row: ``"sqeuclidean"``,
        ``"euclidean"``, ``"cityblock"`` or ``"cosine"``.
    norm : {"median", "max", "log"} or None, default="median"
        Rescaling of the cost matrix: divided by its median or maximum,
        ``log(1 + M)``, or none. With ``"median"`` a regularization means the
        same on any scale of the features."""

_LARGE_DATA_DOC = """max_samples : int, default=None
        Large-data route: the plan is computed between random subsamples of
        at most ``max_samples`` rows of each source domain and of the pooled
        target rows; the other source rows are mapped out of sample. The
        dense cost and plan matrices take ``24 * n_source * n_target`` bytes,
        and a problem that does not fit in the available memory is refused
        with a MemoryError before anything is allocated. ``None`` transports
        every row.
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples of ``max_samples``."""

_BEHAVIOUR_DOC = """The map depends on the domain of a row: ``fit_transform(X, y,
    sample_domain=...)`` moves every source row to the barycentre of the
    target rows it sends its mass to, ``x_i -> sum_j T_ij x_j / sum_j T_ij``,
    and returns the target rows unchanged. ``transform(X)`` maps new rows as
    target rows, that is, unchanged, so in a pipeline
    (:func:`sktransfer.pipeline.make_transfer_pipeline`) the classifier is
    trained on the transported source rows and applied to target rows as they
    are. ``transform(X, sample_domain=...)`` maps the rows of a positive
    domain out of sample [2]_: ``x -> x + (m(x_nn) - x_nn)``, with ``x_nn``
    the nearest transported source row of the same domain and ``m(x_nn)``
    its image (the source rows left out by ``max_samples`` are mapped so by
    ``fit_transform`` too). Several source domains are each transported to
    the pooled target rows.

    With ``sample_domain=None`` (a single domain) the map is the identity.
    Sparse input is refused (the plan is dense anyway); densify it with
    ``X.toarray()``. POT (``pip install 'sktransfer[ot]'``) is needed by
    ``fit``."""


class OTMapping(_BaseTransportMapping):
    __doc__ = f"""Optimal-transport mapping with the exact (earth mover's) plan.

    Solves the exact optimal-transport problem between the uniform
    distributions on the source and on the target rows (``ot.emd``, a network
    simplex) and moves each source row onto the target rows its plan sends it
    to, as in Courty et al. [1]_.

    {_BEHAVIOUR_DOC}

    Parameters
    ----------
    {_COMMON_PARAMS_DOC}
    max_iter : int, default=1000000
        Largest number of iterations of the network simplex.
    {_LARGE_DATA_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    EntropicOTMapping : Smoother plan, faster on many rows.
    LinearOTMapping : Linear map between Gaussian approximations.
    CORAL : Recolors the source covariance.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal
       transport for domain adaptation", IEEE TPAMI 39(9), 2017.
    .. [2] S. Ferradans, N. Papadakis, G. Peyre and J.-F. Aujol, "Regularized
       discrete optimal transport", SIAM Journal on Imaging Sciences 7(3),
       2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import OTMapping
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", severity=1.0, random_state=0)
    >>> X_new = OTMapping().fit_transform(X, sample_domain=sample_domain)
    >>> source, target = X_new[sample_domain > 0], X_new[sample_domain < 0]
    >>> bool(np.allclose(source.mean(axis=0), target.mean(axis=0)))
    True
    """

    _parameter_constraints: dict = dict(_TRANSPORT_CONSTRAINTS)
    _exact_plan = True

    def __init__(
        self,
        metric="sqeuclidean",
        norm="median",
        max_iter=1_000_000,
        max_samples=None,
        random_state=None,
    ):
        self.metric = metric
        self.norm = norm
        self.max_iter = max_iter
        self.max_samples = max_samples
        self.random_state = random_state

    def _coupling(self, ot, a, b, M, labels):
        # the network simplex does not report its iterations: one solve
        return ot.emd(a, b, M, numItermax=self.max_iter), 1


class EntropicOTMapping(_BaseTransportMapping):
    __doc__ = f"""Optimal-transport mapping with the entropic (Sinkhorn) plan.

    Solves the entropy-regularized transport problem between the uniform
    distributions on the source and on the target rows with Sinkhorn's
    algorithm (Cuturi [3]_; in the log domain where the plain iterations
    would underflow) and moves each source row onto the target rows its plan
    sends it to, as in Courty et al. [1]_. The larger ``reg_e``, the
    smoother the plan and the closer each source row is moved to the target
    mean.

    {_BEHAVIOUR_DOC}

    Parameters
    ----------
    reg_e : float, default=0.1
        Entropic regularization, relative to the cost scale of ``norm``
        (with ``norm="median"`` the median cost is 1).
    {_COMMON_PARAMS_DOC}
    max_iter : int, default=1000
        Largest number of Sinkhorn iterations.
    tol : float, default=1e-9
        Sinkhorn stops when the marginals are met up to ``tol``.
    {_LARGE_DATA_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    OTMapping : The exact plan.
    ClassRegularizedOTMapping : Uses the source labels too.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal
       transport for domain adaptation", IEEE TPAMI 39(9), 2017.
    .. [2] S. Ferradans, N. Papadakis, G. Peyre and J.-F. Aujol, "Regularized
       discrete optimal transport", SIAM Journal on Imaging Sciences 7(3),
       2014.
    .. [3] M. Cuturi, "Sinkhorn distances: lightspeed computation of optimal
       transport", NeurIPS 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import EntropicOTMapping
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", severity=1.0, random_state=0)
    >>> ot_map = EntropicOTMapping(reg_e=0.1).fit(X, sample_domain=sample_domain)
    >>> ot_map.couplings_[0].shape
    (200, 200)
    >>> X_new = ot_map.transform(X, sample_domain=sample_domain)
    >>> source, target = X_new[sample_domain > 0], X_new[sample_domain < 0]
    >>> bool(np.allclose(source.mean(axis=0), target.mean(axis=0), atol=1e-3))
    True
    """

    _parameter_constraints: dict = {
        "reg_e": [Interval(numbers.Real, 0, None, closed="neither")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        **_TRANSPORT_CONSTRAINTS,
    }

    def __init__(
        self,
        reg_e=0.1,
        metric="sqeuclidean",
        norm="median",
        max_iter=1000,
        tol=1e-9,
        max_samples=None,
        random_state=None,
    ):
        self.reg_e = reg_e
        self.metric = metric
        self.norm = norm
        self.max_iter = max_iter
        self.tol = tol
        self.max_samples = max_samples
        self.random_state = random_state

    def _coupling(self, ot, a, b, M, labels):
        return sinkhorn_plan(ot, a, b, M, self.reg_e, self.max_iter, self.tol)


class ClassRegularizedOTMapping(_BaseTransportMapping):
    __doc__ = f"""Optimal-transport mapping with an entropic, class-regularized plan.

    Adds to the entropic transport problem a penalty on the plan that makes
    each target row receive its mass from source rows of one class: the
    ``"lpl1"`` penalty (an Lp-L1 norm, ``p = 1/2``, solved by
    majorization-minimization, Courty et al. [1]_) or the ``"l1l2"`` group
    lasso (solved by generalized conditional gradient, [1]_, [4]_). Then
    moves each source row onto the target rows its plan sends it to. The
    classes are those of the source rows; target labels are not used.

    {_BEHAVIOUR_DOC} ``fit`` needs ``y`` (the classes of the source rows)
    when it adapts, that is with source and target rows.

    Parameters
    ----------
    reg_e : float, default=0.1
        Entropic regularization, relative to the cost scale of ``norm``
        (with ``norm="median"`` the median cost is 1).
    reg_cl : float, default=0.1
        Weight of the class regularization (``eta`` of [1]_).
    penalty : {{"lpl1", "l1l2"}}, default="lpl1"
        The class penalty: Lp-L1 or group lasso.
    {_COMMON_PARAMS_DOC}
    max_iter : int, default=10
        Largest number of outer iterations (majorization-minimization or
        conditional gradient).
    max_inner_iter : int, default=1000
        Largest number of Sinkhorn iterations within an outer iteration.
    tol : float, default=1e-9
        Sinkhorn stops when the marginals are met up to ``tol``.
    {_LARGE_DATA_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    EntropicOTMapping : The same without labels.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia and A. Rakotomamonjy, "Optimal
       transport for domain adaptation", IEEE TPAMI 39(9), 2017.
    .. [2] S. Ferradans, N. Papadakis, G. Peyre and J.-F. Aujol, "Regularized
       discrete optimal transport", SIAM Journal on Imaging Sciences 7(3),
       2014.
    .. [4] A. Rakotomamonjy, R. Flamary and N. Courty, "Generalized
       conditional gradient: analysis of convergence and applications",
       arXiv:1510.06567, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import ClassRegularizedOTMapping
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", severity=1.0, random_state=0)
    >>> y_seen = np.where(sample_domain > 0, y, -1)  # target labels unknown
    >>> X_new = ClassRegularizedOTMapping().fit_transform(
    ...     X, y_seen, sample_domain=sample_domain)
    >>> source, target = X_new[sample_domain > 0], X_new[sample_domain < 0]
    >>> bool(np.allclose(source.mean(axis=0), target.mean(axis=0), atol=1e-2))
    True
    """

    _parameter_constraints: dict = {
        "reg_e": [Interval(numbers.Real, 0, None, closed="neither")],
        "reg_cl": [Interval(numbers.Real, 0, None, closed="left")],
        "penalty": [StrOptions({"lpl1", "l1l2"})],
        "max_inner_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        **_TRANSPORT_CONSTRAINTS,
    }

    def __init__(
        self,
        reg_e=0.1,
        reg_cl=0.1,
        penalty="lpl1",
        metric="sqeuclidean",
        norm="median",
        max_iter=10,
        max_inner_iter=1000,
        tol=1e-9,
        max_samples=None,
        random_state=None,
    ):
        self.reg_e = reg_e
        self.reg_cl = reg_cl
        self.penalty = penalty
        self.metric = metric
        self.norm = norm
        self.max_iter = max_iter
        self.max_inner_iter = max_inner_iter
        self.tol = tol
        self.max_samples = max_samples
        self.random_state = random_state

    # the inner Sinkhorn runs of the outer loop are capped by max_inner_iter
    # and start from a better plan each time: not warned about
    _warn_convergence = False

    def _labels(self, y, sample_domain):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} needs y, the classes of the source rows, "
                "for its class regularization; got y=None. Pass y (-1 on "
                "unlabeled target rows), or use EntropicOTMapping without labels."
            )
        source = sample_domain > 0
        _, codes = encode_classes(y[source])
        labels = np.full(y.shape[0], -1, dtype=np.int64)
        labels[source] = codes
        return labels

    def _coupling(self, ot, a, b, M, labels):
        if self.penalty == "lpl1":
            solver = ot.da.sinkhorn_lpl1_mm
        else:
            solver = ot.da.sinkhorn_l1l2_gl
        params = {
            "numItermax": self.max_iter,
            "numInnerItermax": self.max_inner_iter,
            "stopInnerThr": self.tol,
        }
        with np.errstate(all="ignore"):
            G = solver(a, labels, b, M, self.reg_e, self.reg_cl, **params)
            if not (np.isfinite(G).all() and G.sum() > 0) and M.max() > 0:
                # the plain Sinkhorn inside the solvers underflowed: rescale
                G = solver(a, labels, b, M / M.max(), self.reg_e, self.reg_cl, **params)
        # both solvers run their max_iter outer iterations (the conditional
        # gradient may stop earlier; it does not say so without a log)
        return G, self.max_iter


class LinearOTMapping(_BaseOTMapping):
    """Linear optimal-transport map between Gaussian approximations.

    Fits a Gaussian to the source rows and one to the target rows and maps
    the source rows by the optimal-transport map between them, the linear
    map of Knott and Smith [1]_, used for domain adaptation by Flamary et al.
    [2]_: ``x -> mu_t + (x - mu_s) A`` with ``A = C_s^(-1/2) (C_s^(1/2) C_t
    C_s^(1/2))^(1/2) C_s^(-1/2)``, ``C_s`` and ``C_t`` the covariances plus
    ``reg`` times the identity. The mapped source rows have the target's
    mean and covariance. Unlike :class:`CORAL`, the map is the one that
    moves the rows least (in squared distance) among those that do so.

    The map depends on the domain of a row: ``fit_transform(X, y,
    sample_domain=...)`` maps the source rows and returns the target rows
    unchanged; ``transform(X)`` maps new rows as target rows, that is,
    unchanged, and ``transform(X, sample_domain=...)`` applies to the rows
    of a positive domain the map of that source domain. Several source
    domains each get their own map to the pooled target rows.

    With ``sample_domain=None`` (a single domain) the map is the identity.
    Sparse input is refused. The map needs only the means and covariances,
    so it scales to any number of rows (memory ``n_features ** 2``).

    Parameters
    ----------
    reg : float, default=1e-6
        Added to the diagonal of both covariances.
    bias : bool, default=True
        Whether to center the domains (match the means too); ``False`` takes
        both means as zero.

    Attributes
    ----------
    source_domains_ : ndarray of shape (n_source_domains,)
        The source domains seen in ``fit`` (empty for the identity map of a
        fit that has rows of one kind).
    A_ : ndarray of shape (n_source_domains, `n_features_in_`, \
            `n_features_in_`)
        The linear part ``A`` of the map of each source domain.
    b_ : ndarray of shape (n_source_domains, `n_features_in_`)
        The offset of each map: a source row ``x`` becomes ``x @ A_[k] + b_[k]``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    CORAL : Recolors the source covariance (not the least-moving map).
    OTMapping : Non-linear map by the exact plan.

    References
    ----------
    .. [1] M. Knott and C. S. Smith, "On the optimal mapping of
       distributions", Journal of Optimization Theory and Applications
       43(1), 1984.
    .. [2] R. Flamary, K. Lounici and A. Ferrari, "Concentration bounds for
       linear Monge mapping estimation and optimal transport domain
       adaptation", arXiv:1905.10155, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import LinearOTMapping
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", n_features=3, random_state=0)
    >>> X_new = LinearOTMapping().fit_transform(X, sample_domain=sample_domain)
    >>> source, target = X_new[sample_domain > 0], X_new[sample_domain < 0]
    >>> bool(np.allclose(np.cov(source.T), np.cov(target.T)))
    True
    """

    _parameter_constraints: dict = {
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "bias": ["boolean"],
    }

    def __init__(self, reg=1e-6, bias=True):
        self.reg = reg
        self.bias = bias

    def _fit_identity(self, n_features):
        self.A_ = np.zeros((0, n_features, n_features))
        self.b_ = np.zeros((0, n_features))

    def _gaussian(self, X):
        if self.bias:
            mean = X.mean(axis=0)
            C = _covariance(X, self.reg) if X.shape[0] > 1 else None
        else:
            mean = np.zeros(X.shape[1])
            C = X.T @ X / X.shape[0]
            C[np.diag_indices_from(C)] += self.reg
        if C is None:  # one row: no spread to estimate
            C = self.reg * np.eye(X.shape[1])
        return mean, C

    def _fit_domains(self, X, y, sample_domain):
        d = X.shape[1]
        mean_t, C_t = self._gaussian(X[sample_domain < 0])
        self.A_ = np.zeros((self.source_domains_.size, d, d))
        self.b_ = np.zeros((self.source_domains_.size, d))
        X_new = X.copy()
        for k, domain in enumerate(self.source_domains_):
            rows = sample_domain == domain
            mean_s, C_s = self._gaussian(X[rows])
            root = _matrix_power(C_s, 0.5)
            inverse_root = _matrix_power(C_s, -0.5)
            middle = _matrix_power(root @ C_t @ root, 0.5)
            A = inverse_root @ middle @ inverse_root
            self.A_[k] = (A + A.T) / 2
            self.b_[k] = mean_t - mean_s @ self.A_[k]
            X_new[rows] = self._map_domain(X[rows], k)
        return X_new

    def _map_domain(self, X, index):
        return X @ self.A_[index] + self.b_[index]
