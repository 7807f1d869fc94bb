"""Joint Distribution Adaptation."""

import numbers

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import HasMethods, Interval

from .._domain import labeled_mask
from ._tca import _BaseTransferComponents, _domain_mean_difference, _marginal_mmd_column


class JointDistributionAdaptation(_BaseTransferComponents):
    """Joint Distribution Adaptation (JDA).

    Extends :class:`TransferComponentAnalysis`: besides the difference of the
    domain means, the embedding shrinks the difference of the class means
    between the domains. Target classes are unknown, so they are guessed: a
    classifier fitted on the embedded labeled rows labels the unlabeled target
    rows, the embedding is refitted with these pseudo-labels, and so on for
    ``max_iter`` rounds. Labeled target rows keep their labels. All rows are
    mapped alike, so ``transform`` maps new rows of any domain, and on the
    training rows it reproduces ``fit_transform``.

    Without ``y`` it is TCA; with ``sample_domain=None`` it is a kernel PCA
    whose components have unit variance.

    Parameters
    ----------
    n_components : int, default=None
        Dimension of the embedding. ``None`` keeps ``min(100, n_samples - 1)``
        components (the paper's default), dropping any of zero variance.
    estimator : classifier, default=None
        Labels the target rows on the embedding at each round; cloned.
        ``None`` means the paper's 1-nearest-neighbour classifier.
    max_iter : int, default=10
        Number of rounds of pseudo-labelling (the paper uses 10).
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
        Weight of the regularizer (the paper's lambda), scale-free; see
        :class:`TransferComponentAnalysis`. As in the JDA code, the
        marginal term weighs as much as all the class terms together (it is
        multiplied by the number of classes) before the MMD matrix is
        scaled to unit Frobenius norm.
    solver : {"auto", "dense", "randomized", "feature", "nystroem"}, \
            default="auto"
        How the eigenproblem is solved; see
        :class:`TransferComponentAnalysis`.
    n_landmarks : int, default=1000
        Number of landmark rows of the Nystroem approximation.
    random_state : int, RandomState instance or None, default=None
        Draws the landmarks and the start of the randomized solver.

    Attributes
    ----------
    estimator_ : classifier
        The classifier of the last round (``None`` when no round ran).
    pseudo_labels_ : ndarray of shape (n_samples,)
        Labels used in the last round: the given labels on labeled rows, the
        estimator's guess on unlabeled target rows (``-1`` without rounds).
    n_iter_ : int
        Number of eigenproblems solved: 1 plus the rounds of pseudo-labelling
        run.
    n_components_ : int
        Number of components kept: ``n_components``, or with ``None`` as
        many as the rows allow (at most 100) that have non-zero variance.
    solver_ : str
        The solver used.
    eigenvalues_ : ndarray of shape (`n_components_`,)
        Eigenvalues of the components of the last round.
    components_ : ndarray of shape (`n_components_`, `n_features_in_`)
        With the "feature" solver: ``transform(X) = X @ components_.T``.
    X_fit_ : ndarray of shape (n_basis, `n_features_in_`)
        With the kernel solvers: the rows the embedding is expanded on.
    dual_coef_ : ndarray of shape (n_basis, `n_components_`)
        With the kernel solvers: ``transform(X) = k(X, X_fit_) @ dual_coef_``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    TransferComponentAnalysis : The marginal alignment alone.

    References
    ----------
    .. [1] M. Long, J. Wang, G. Ding, J. Sun and P. S. Yu, "Transfer feature
       learning with joint distribution adaptation", ICCV 2013.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import JointDistributionAdaptation
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sample_domain = make_domain_shift(
    ...     shift="subspace", n_features=5, random_state=0)
    >>> y = hide_target_labels(y, sample_domain)
    >>> jda = JointDistributionAdaptation(n_components=2, max_iter=3)
    >>> jda.fit_transform(X, y, sample_domain=sample_domain).shape
    (400, 2)
    >>> jda.n_iter_
    4
    """

    _parameter_constraints: dict = {
        **_BaseTransferComponents._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=None,
        *,
        estimator=None,
        max_iter=10,
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
        self.estimator = estimator
        self.max_iter = max_iter
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.mu = mu
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit the embedding with pseudo-labelling and return the embedded rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` on unlabeled target rows. ``None`` makes JDA a TCA.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (no MMD term: kernel PCA).

        Returns
        -------
        Z : ndarray of shape (n_samples, `n_components_`)
            The embedded rows.
        """
        X, y, sample_domain = self._validate(X, y, sample_domain)
        state = self._prepare(X)
        k = self._n_components(state)
        E_marginal = _marginal_mmd_column(sample_domain)
        Z = self._solve(state, E_marginal, k)
        self.estimator_ = None
        self.n_iter_ = 1
        self.pseudo_labels_ = (
            np.full(X.shape[0], -1) if y is None else np.asarray(y).copy()
        )
        if y is None or E_marginal.shape[1] == 0:
            return Z
        labeled = labeled_mask(y, sample_domain)
        unlabeled = ~labeled
        if not unlabeled.any():
            return Z
        source, target = sample_domain > 0, sample_domain < 0
        base = KNeighborsClassifier(1) if self.estimator is None else self.estimator
        pseudo = np.asarray(y).copy()
        classes = np.unique(pseudo[labeled])
        for _ in range(self.max_iter):
            self.estimator_ = clone(base).fit(Z[labeled], y[labeled])
            pseudo[unlabeled] = self.estimator_.predict(Z[unlabeled])
            # the JDA code weighs the marginal term by the number of classes
            columns = [E_marginal * np.sqrt(classes.size)]
            for label in classes:
                in_source = source & (pseudo == label) & labeled
                in_target = target & (pseudo == label)
                if in_source.any() and in_target.any():
                    e = _domain_mean_difference(sample_domain, in_source, in_target)
                    columns.append(e[:, None])
            Z = self._solve(state, np.hstack(columns), k)
            self.n_iter_ += 1
        self.pseudo_labels_ = pseudo
        return Z
