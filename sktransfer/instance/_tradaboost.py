"""TrAdaBoost: boosting for transfer learning, for classification and regression."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._domain import DomainAwareMixin, labeled_mask, validate_domain_data
from ..utils._warnings import warn

__all__ = [
    "NoLabeledTargetWarning",
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostR2",
]


class NoLabeledTargetWarning(UserWarning):
    """A TrAdaBoost estimator got target rows but none of them labeled.

    TrAdaBoost measures each round's error on the labeled target rows; with
    none, it falls back to plain AdaBoost on the source rows (the unlabeled
    target rows are ignored) and warns with this class.
    """


# Smallest error a round is credited with: a round that is perfect on the
# target rows gets a large but finite vote instead of an infinite one.
_MIN_ERROR = 1e-10


def _check_sample_weight_support(estimator, owner):
    if not has_fit_parameter(estimator, "sample_weight"):
        raise TypeError(
            f"{owner} reweights its training rows, but the base estimator "
            f"{type(estimator).__name__} does not accept sample_weight in fit. "
            "Choose an estimator whose fit takes sample_weight (e.g. "
            "LogisticRegression, DecisionTreeClassifier, Ridge)."
        )


def _spawn(base, rng):
    """A clone of ``base`` with its own seed drawn from ``rng``."""
    estimator = clone(base)
    seeds = {
        key: rng.randint(np.iinfo(np.int32).max)
        for key in sorted(estimator.get_params())
        if key == "random_state" or key.endswith("__random_state")
    }
    return estimator.set_params(**seeds)


def _labeled_domain_rows(estimator, X, y, sample_domain, regression):
    """Keep the labeled rows; say which are source rows and whether to transfer.

    Returns ``X, y, is_source, transfer`` where ``transfer`` is False when the
    rows are all of one kind (plain boosting).
    """
    keep = labeled_mask(y, sample_domain, regression=regression)
    target = sample_domain < 0
    if target.any() and not (keep & target).any():
        marker = "nan" if regression else "-1"
        warn(
            f"{type(estimator).__name__} got no labeled target row (every target "
            f"row has y = {marker}), so it cannot tell which source rows agree "
            "with the target: it falls back to plain boosting on the source "
            "rows. Label a few target rows, or use an unsupervised method such "
            "as ImportanceWeightedClassifier.",
            NoLabeledTargetWarning,
        )
    rows = np.flatnonzero(keep)
    X = X[rows]
    y, is_source = y[rows], sample_domain[rows] > 0
    transfer = bool(is_source.any() and (~is_source).any())
    return X, y, is_source, transfer


def _initial_weights(is_source, transfer, target_weight):
    """Initial weights: uniform, or a given share of the mass on target rows."""
    n_rows = is_source.shape[0]
    if not transfer or target_weight == "uniform":
        return np.full(n_rows, 1.0 / n_rows)
    share = target_weight
    return np.where(
        is_source,
        (1.0 - share) / is_source.sum(),
        share / (~is_source).sum(),
    )


def _source_beta(n_source, n_rounds):
    """Dai et al.'s fixed factor 1 / (1 + sqrt(2 ln n / N))."""
    return 1.0 / (1.0 + math.sqrt(2.0 * math.log(max(n_source, 2)) / n_rounds))


def _first_voter(n_fitted, transfer, vote):
    """Index of the first learner of the vote: t = ceil(N/2), ..., N (1-based)."""
    if not transfer or vote == "all":
        return 0
    return math.ceil(n_fitted / 2) - 1


def _weighted_median(predictions, weights):
    """Weighted median over columns (learners) of ``predictions``."""
    order = np.argsort(predictions, axis=1)
    cumulative = np.cumsum(weights[order], axis=1)
    below = cumulative >= 0.5 * cumulative[:, -1][:, None]
    median_idx = below.argmax(axis=1)
    rows = np.arange(predictions.shape[0])
    return predictions[rows, order[rows, median_idx]]


def _boost_classifier(base, X, y_enc, weights, is_source, n_rounds, beta, options):
    """TrAdaBoost rounds for classification (AdaBoost/SAMME without transfer).

    ``options`` holds ``n_classes``, ``transfer``, ``dynamic`` and ``rng``.
    Returns the estimators, their votes, their target errors, the source
    share of the weight before each round, the final weights and the number
    of rounds no better than chance; a ``str`` in place of the estimators
    when plain boosting had to stop (the message to raise or warn with).
    """
    n_classes, transfer = options["n_classes"], options["transfer"]
    target = ~is_source if transfer else np.ones_like(is_source)
    chance = 1.0 - 1.0 / max(n_classes, 2)
    estimators, alphas, errors, shares = [], [], [], []
    n_chance, stop = 0, None
    for round_ in range(n_rounds):
        weights = weights / weights.sum()
        estimator = _spawn(base, options["rng"]).fit(
            X, y_enc, sample_weight=weights * weights.size
        )
        miss = estimator.predict(X) != y_enc
        error = float(np.dot(miss[target], weights[target]) / weights[target].sum())
        if error >= chance and not transfer:
            stop = (round_, error)
            break
        n_chance += error >= chance
        shares.append(weights[is_source].sum())
        clipped = min(max(error, _MIN_ERROR), chance)
        alpha = np.log((1.0 - clipped) / clipped) + np.log(max(n_classes - 1, 1))
        estimators.append(estimator)
        alphas.append(alpha)
        errors.append(error)
        update = np.exp(alpha * (miss & target))
        if transfer:
            source_factor = np.where(miss, beta, 1.0)
            if options["dynamic"]:
                source_factor *= n_classes * (1.0 - clipped)
            update = np.where(is_source, source_factor, update)
        weights = weights * update
        if not np.isfinite(weights).all() or weights.sum() <= 0:
            break
    return {
        "estimators": estimators,
        "alphas": np.asarray(alphas),
        "errors": np.asarray(errors),
        "shares": np.asarray(shares),
        "weights": weights / weights.sum(),
        "n_chance": n_chance,
        "stop": stop,
    }


def _voters(alphas, errors, n_rounds, transfer, vote):
    """Voting rounds among the first ``n_rounds``; the best round alone when
    none of them beats chance. Returns the indices and whether it fell back."""
    voters = np.arange(_first_voter(n_rounds, transfer, vote), n_rounds)
    if alphas[voters].any():
        return voters, False
    return np.array([int(np.argmin(errors[:n_rounds]))]), True


def _vote_scores(codes, alphas, n_classes):
    """SAMME vote: ``codes`` (n_samples, n_learners) of class indices."""
    if not alphas.any():
        alphas = np.ones_like(alphas)
    scores = np.zeros((codes.shape[0], n_classes))
    rows = np.arange(codes.shape[0])
    other = -1.0 / max(n_classes - 1, 1)
    for column, alpha in zip(codes.T, alphas):
        scores += alpha * other
        scores[rows, column] += alpha * (1.0 - other)
    return scores / alphas.sum()


def _target_folds(y_enc, target_rows, cv, rng):
    """Folds over the labeled target rows, stratified when every class
    present has at least as many rows as folds."""
    n_folds = min(cv, target_rows.size)
    if n_folds < 2:
        raise ValueError(
            'TrAdaBoostClassifier(selection="target_cv") chooses its setting '
            "by cross-validation on the labeled target rows and needs at least "
            f"2 of them, got {target_rows.size}. Label more target rows or use "
            "selection=None."
        )
    seed = rng.randint(np.iinfo(np.int32).max)
    y_target = y_enc[target_rows]
    if np.unique(y_target, return_counts=True)[1].min() >= n_folds:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_folds, shuffle=True, random_state=seed)
    return list(splitter.split(target_rows, y_target))


class _BaseTrAdaBoost(DomainAwareMixin, MetaEstimatorMixin, BaseEstimator):
    """Validation and prediction code shared by the TrAdaBoost estimators."""

    #: Cloned when ``estimator=None``; set by each estimator.
    _default_estimator = None

    def _base_estimator(self):
        if self.estimator is None:
            return clone(self._default_estimator)
        return self.estimator

    def _sparse_ok(self):
        return get_tags(self._base_estimator()).input_tags.sparse

    def _validate_fit(self, X, y, sample_domain, regression):
        base = self._base_estimator()
        _check_sample_weight_support(base, type(self).__name__)
        if regression and y is not None:
            y = _check_regression_y(y, type(self).__name__)
        X, y, sample_domain = validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            accept_sparse=["csr", "csc"] if self._sparse_ok() else False,
            regression=regression,
        )
        return base, X, y, sample_domain

    def _validated_labeled_rows(self, X, y, sample_domain, regression):
        """Validate the input, then keep the labeled rows.

        Returns ``base, X, y, is_source, transfer`` (see
        ``_labeled_domain_rows``); ``y`` is float for a regressor.
        """
        base, X, y, sample_domain = self._validate_fit(X, y, sample_domain, regression)
        if regression:
            y = y.astype(np.float64)
        else:
            check_classification_targets(y)
        X, y, is_source, transfer = _labeled_domain_rows(
            self, X, y, sample_domain, regression=regression
        )
        return base, X, y, is_source, transfer

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=["csr", "csc"] if self._sparse_ok() else False,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = get_tags(self._base_estimator()).input_tags.sparse
        return tags


class TrAdaBoostClassifier(ClassifierMixin, _BaseTrAdaBoost):
    """TrAdaBoost: boosting that transfers from a source to a target domain.

    Each round fits the base estimator on the weighted source rows and the
    few labeled target rows. Misclassified target rows gain weight as in
    AdaBoost (factor ``1 / beta_t`` with ``beta_t = eps_t / (1 - eps_t)``,
    ``eps_t`` the weighted error on the target rows), while misclassified
    source rows lose weight by the fixed factor
    ``beta = 1 / (1 + sqrt(2 ln n_source / n_estimators))``: source rows
    that keep disagreeing with the target fade out. The prediction is the
    vote of the learners of rounds ``ceil(N/2), ..., N`` weighted by
    ``ln(1 / beta_t)`` (Dai et al., 2007).

    The base estimator receives the normalised weights times the number of
    training rows (mean 1), so that with uniform weights it is fitted exactly
    as without weights: a regularised model such as a logistic regression
    keeps the strength of regularisation it was given.

    The defaults follow the paper. Four documented options change it:
    ``target_weight`` gives the target rows a share of the initial weight
    (the paper starts uniform, so 50 target rows weigh little against 2000
    source rows), ``dynamic_correction`` multiplies the source weights by
    ``C_t = K (1 - eps_t)`` each round (Al-Stouhi and Reddy, 2011), which
    stops them collapsing before the target weights have converged,
    ``vote="all"`` lets every round vote, and ``selection="target_cv"``
    chooses the initial target weight and the number of rounds by
    cross-validation on the labeled target rows.

    With more than two classes the update is SAMME's (``beta_t = eps_t /
    ((1 - eps_t) (K - 1))``), which is the paper's for ``K = 2``. Without
    target rows (``sample_domain=None``) every row is updated as a target row
    and every round votes: the estimator is AdaBoost (SAMME).

    Edge cases of the error ``eps_t`` on the target rows:

    * ``eps_t = 0`` (the learner fits every labeled target row): the error is
      clipped to ``1e-10``; the round keeps a large, finite vote, target
      weights do not change and source weights are updated as usual.
    * ``eps_t >= 1 - 1/K`` (no better than chance on the target rows): the
      paper's update would shrink the weight of misclassified target rows
      and give the round a negative vote. Instead the error is clipped to
      chance level: the round gets no vote and leaves the target weights
      unchanged, while the source weights are updated, so boosting goes on
      (a :class:`UserWarning` counts such rounds). If no voting round beats
      chance, the model falls back to the round with the lowest target
      error, with a warning. Without target rows
      (plain AdaBoost, where nothing would change) boosting stops with a
      warning, or raises in the first round, as
      :class:`~sklearn.ensemble.AdaBoostClassifier` does.

    Parameters
    ----------
    estimator : estimator, default=None
        Base classifier; its ``fit`` must accept ``sample_weight``. ``None``
        means ``DecisionTreeClassifier(max_depth=1)``, as in
        :class:`~sklearn.ensemble.AdaBoostClassifier`. It is cloned.
    n_estimators : int, default=50
        Number of boosting rounds ``N``; it also sets the source factor
        ``beta``.
    target_weight : "uniform" or float in (0, 1), default="uniform"
        Initial share of the weight on the labeled target rows. "uniform"
        (the paper) gives every row the same weight; ``0.5`` gives the target
        rows as much total weight as the source rows.
    dynamic_correction : bool, default=False
        Multiply the source weights by ``C_t = K (1 - eps_t)`` each round
        (``2 (1 - eps_t)`` for two classes), the correction of Al-Stouhi and
        Reddy (2011).
    vote : {"last_half", "all"}, default="last_half"
        Which rounds vote: those from ``ceil(N/2)`` to ``N`` (the paper) or
        all of them.
    selection : {None, "target_cv"}, default=None
        ``None`` uses ``target_weight`` and ``n_estimators`` as given (the
        paper). ``"target_cv"`` chooses the initial target weight among
        "uniform", 0.25 and 0.5 and the number of rounds among 1,
        ``ceil(N/4)``, ``ceil(N/2)`` and ``N`` by ``cv``-fold
        cross-validation on the labeled target rows (accuracy); every fold
        trains on all source rows, and the held-out target rows never enter
        its boosting. The source factor ``beta`` stays the one of ``N``
        rounds, so a shorter run is a prefix of the full one, and all round
        counts of one initial weight are scored from a single run: the
        selection costs ``3 * cv`` boosting runs plus the final one. One
        uniform round is the pooled model, so the selection can fall back
        to it when boosting does not help. Ties go to the paper's setting,
        then to fewer rounds, then to less initial target weight. The grid
        comes from the options' effect, not from a data set: "uniform" is
        the paper, 0.5 balances the domains. ``target_weight`` is ignored.
        Without labeled target rows there is nothing to select on and the
        given values are used. It is not the default: on the 12 Amazon
        review pairs with 50 labeled target rows (logistic regression base,
        20 rounds, 2 draws) it scored 0.771 on average against 0.772 for
        both the paper's setting and the pooled model, winning on the
        large-shift pairs (up to +1.1 points) and losing up to 1.5 elsewhere,
        at about 13 times the fit time.
    cv : int, default=5
        Number of folds of ``selection="target_cv"`` (at most the number of
        labeled target rows; stratified when every class has that many).
    random_state : int, RandomState instance or None, default=None
        Seeds the base estimator of each round and the folds.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted base estimators, one per round.
    estimator_weights_ : ndarray of shape (n_rounds,)
        Vote ``ln(1 / beta_t)`` of each round.
    estimator_errors_ : ndarray of shape (n_rounds,)
        Weighted error ``eps_t`` of each round on the target rows (on all
        rows without target rows).
    first_voter_ : int
        Index in ``estimators_`` of the first round that votes.
    voters_ : ndarray of int
        Indices of the voting rounds (``first_voter_`` on, or the fallback
        round).
    sample_weight_ : ndarray of shape (n_labeled,)
        Final normalised weights of the labeled training rows, source rows
        and labeled target rows in their order in ``X``.
    source_weight_share_ : ndarray of shape (n_rounds,)
        Share of the weight on the source rows at each round.
    best_target_weight_ : "uniform" or float
        Initial target weight of the final model (``target_weight`` unless
        ``selection="target_cv"`` chose another).
    best_n_rounds_ : int
        Number of rounds run for the final model (``n_estimators`` unless
        ``selection="target_cv"`` chose fewer).
    cv_results_ : dict of ndarray or None
        With ``selection="target_cv"``: ``"target_weight"``, ``"n_rounds"``
        and ``"mean_test_score"`` (accuracy on the held-out target rows) of
        each candidate; ``None`` otherwise.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    TrAdaBoostRegressor : TrAdaBoost.R2 for regression.
    sklearn.ensemble.AdaBoostClassifier : The estimator without transfer.

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer
       Learning", ICML 2007.
    .. [2] S. Al-Stouhi and C. K. Reddy, "Adaptive Boosting for Transfer
       Learning Using Dynamic Updates", ECML-PKDD 2011.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.instance import TrAdaBoostClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sample_domain = make_domain_shift(shift="concept", random_state=0)
    >>> y = hide_target_labels(y_true, sample_domain, n_labeled=10, random_state=0)
    >>> clf = TrAdaBoostClassifier(n_estimators=20, target_weight=0.5, random_state=0)
    >>> clf = clf.fit(X, y, sample_domain=sample_domain)
    >>> len(clf.estimators_), clf.first_voter_
    (20, 9)
    >>> target = sample_domain < 0
    >>> round(float(clf.score(X[target], y_true[target])), 2)
    0.9

    Choosing the initial target weight and the number of rounds by
    cross-validation on the labeled target rows:

    >>> cv = TrAdaBoostClassifier(
    ...     n_estimators=8, selection="target_cv", cv=3, random_state=0
    ... ).fit(X, y, sample_domain=sample_domain)
    >>> cv.best_target_weight_, cv.best_n_rounds_
    (0.5, 2)
    """

    _default_estimator = DecisionTreeClassifier(max_depth=1)

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "target_weight": [
            StrOptions({"uniform"}),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "dynamic_correction": ["boolean"],
        "vote": [StrOptions({"last_half", "all"})],
        "selection": [StrOptions({"target_cv"}), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=50,
        *,
        target_weight="uniform",
        dynamic_correction=False,
        vote="last_half",
        selection=None,
        cv=5,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.target_weight = target_weight
        self.dynamic_correction = dynamic_correction
        self.vote = vote
        self.selection = selection
        self.cv = cv
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Boost on the source rows and the labeled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` on unlabeled target rows, which are ignored.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (plain AdaBoost).

        Returns
        -------
        self : TrAdaBoostClassifier
            The fitted estimator.
        """
        base, X, y, is_source, transfer = self._validated_labeled_rows(
            X, y, sample_domain, regression=False
        )
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        rng = check_random_state(self.random_state)
        options = {
            "n_classes": self.classes_.shape[0],
            "transfer": transfer,
            "dynamic": self.dynamic_correction,
            "rng": rng,
        }
        beta = _source_beta(is_source.sum(), self.n_estimators)
        target_weight, n_rounds = self.target_weight, self.n_estimators
        self.cv_results_ = None
        if self.selection == "target_cv" and transfer:
            target_weight, n_rounds = self._select_by_target_cv(
                base, X, y_enc, is_source, beta, options
            )
        self.best_target_weight_, self.best_n_rounds_ = target_weight, n_rounds

        weights = _initial_weights(is_source, transfer, target_weight)
        run = _boost_classifier(
            base, X, y_enc, weights, is_source, n_rounds, beta, options
        )
        if run["stop"] is not None:
            round_, error = run["stop"]
            if round_ == 0:
                raise ValueError(
                    "The first base estimator of TrAdaBoostClassifier has "
                    f"error {error:.3f}, no better than chance; boosting "
                    "cannot start. Use a stronger base estimator."
                )
            warn(
                f"TrAdaBoostClassifier (plain AdaBoost, no target rows) "
                f"stopped after {round_} of {n_rounds} rounds: round "
                f"{round_ + 1} had error {error:.3f}, no better than chance.",
                UserWarning,
            )
        if run["n_chance"]:
            warn(
                f"{run['n_chance']} of {len(run['errors'])} rounds of "
                "TrAdaBoostClassifier were no better than chance on the labeled "
                "target rows; they got no vote and left the target weights "
                "unchanged. A stronger base estimator, more labeled target rows "
                "or target_weight=0.5 helps.",
                UserWarning,
            )
        self.estimators_ = run["estimators"]
        self.estimator_weights_ = run["alphas"]
        self.estimator_errors_ = run["errors"]
        self.source_weight_share_ = run["shares"]
        self.sample_weight_ = run["weights"]
        n_fitted = len(self.estimators_)
        self.first_voter_ = _first_voter(n_fitted, transfer, self.vote)
        self.voters_, fell_back = _voters(
            self.estimator_weights_,
            self.estimator_errors_,
            n_fitted,
            transfer,
            self.vote,
        )
        if fell_back and options["n_classes"] > 1:
            warn(
                "No voting round of TrAdaBoostClassifier did better than chance "
                "on the labeled target rows; the model falls back to the round "
                f"with the lowest target error (round {self.voters_[0] + 1}). "
                "A stronger base estimator, more labeled target rows or "
                "target_weight=0.5 helps.",
                UserWarning,
            )
        return self

    def _select_by_target_cv(self, base, X, y_enc, is_source, beta, options):
        """Cross-validate the grid on the labeled target rows.

        Each fold trains on every source row and the other target folds; one
        boosting run of ``n_estimators`` rounds per initial target weight
        scores all the candidate numbers of rounds (its prefixes) at once.
        """
        target_rows = np.flatnonzero(~is_source)
        folds = _target_folds(y_enc, target_rows, self.cv, options["rng"])
        grid_weights = ["uniform", 0.25, 0.5]
        grid_rounds = sorted(
            {1, math.ceil(self.n_estimators / 4), math.ceil(self.n_estimators / 2)}
            | {self.n_estimators}
        )
        correct = np.zeros((len(grid_weights), len(grid_rounds)))
        for _, test in folds:
            held_out = target_rows[test]
            train = np.ones(y_enc.shape[0], dtype=bool)
            train[held_out] = False
            for i, target_weight in enumerate(grid_weights):
                weights = _initial_weights(is_source[train], True, target_weight)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    run = _boost_classifier(
                        base,
                        X[train],
                        y_enc[train],
                        weights,
                        is_source[train],
                        self.n_estimators,
                        beta,
                        options,
                    )
                codes = np.column_stack(
                    [est.predict(X[held_out]) for est in run["estimators"]]
                )
                for j, n_rounds in enumerate(grid_rounds):
                    n_rounds = min(n_rounds, codes.shape[1])
                    voters, _ = _voters(
                        run["alphas"], run["errors"], n_rounds, True, self.vote
                    )
                    scores = _vote_scores(
                        codes[:, voters], run["alphas"][voters], options["n_classes"]
                    )
                    correct[i, j] += np.sum(scores.argmax(axis=1) == y_enc[held_out])
        accuracy = correct / target_rows.size
        # candidates in order of preference; a later one must do strictly
        # better: the paper's setting first, then fewer rounds, then more
        # initial target weight
        order = [(0, len(grid_rounds) - 1)] + [
            (i, j) for i in range(len(grid_weights)) for j in range(len(grid_rounds))
        ]
        best = max(order, key=lambda ij: accuracy[ij] - 1e-9 * order.index(ij))
        self.cv_results_ = {
            "target_weight": np.array(
                [w for w in grid_weights for _ in grid_rounds], dtype=object
            ),
            "n_rounds": np.array([r for _ in grid_weights for r in grid_rounds]),
            "mean_test_score": accuracy.ravel(),
        }
        return grid_weights[best[0]], grid_rounds[best[1]]

    def decision_function(self, X):
        """Weighted vote of the voting rounds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive scores favour ``classes_[1]``; each
            learner votes ``+alpha`` for its class and ``-alpha / (K - 1)``
            for the others, divided by the sum of the votes.
        """
        X = self._check_X(X)
        n_classes = self.classes_.shape[0]
        if n_classes == 1:
            return np.zeros(X.shape[0])
        codes = np.column_stack([self.estimators_[i].predict(X) for i in self.voters_])
        scores = _vote_scores(codes, self.estimator_weights_[self.voters_], n_classes)
        return scores[:, 1] if n_classes == 2 else scores

    def predict(self, X):
        """Predict the class with the largest weighted vote.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        scores = self.decision_function(X)
        if self.classes_.shape[0] == 1:
            return np.full(scores.shape[0], self.classes_[0])
        if scores.ndim == 1:
            # the paper's rule: class 1 when the vote for it reaches half
            return self.classes_[(scores >= 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]

    def predict_proba(self, X):
        """Class probabilities from the vote, as AdaBoost (SAMME) computes them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            A softmax of the normalised vote.
        """
        scores = self.decision_function(X)
        n_classes = self.classes_.shape[0]
        if n_classes == 1:
            return np.ones((scores.shape[0], 1))
        if n_classes == 2:
            scores = np.column_stack([-scores, scores]) / 2.0
        else:
            scores = scores / (n_classes - 1)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))


def _check_regression_y(y, owner):
    """Numeric targets, or a clear error when ``y`` holds class labels."""
    y = np.asarray(y)
    if y.dtype.kind not in "OUS":
        return y  # numbers (or complex data, which validation refuses)
    try:
        return y.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner} is a regressor, but y holds class labels (dtype "
            f"{y.dtype}, e.g. {y.ravel()[:1].tolist()}). Use a classifier for "
            "classes, or pass numeric targets (nan on unlabeled target rows)."
        ) from None


def _adjusted_errors(predictions, y, loss):
    """Drucker's per-row errors in [0, 1] (AdaBoost.R2)."""
    errors = np.abs(predictions - y)
    largest = errors.max()
    if largest <= 0:
        return np.zeros_like(errors)
    errors = errors / largest
    if loss == "square":
        return errors**2
    if loss == "exponential":
        return 1.0 - np.exp(-errors)
    return errors


def _boost_r2(
    base, X, y, weights, is_source, n_rounds, loss, rng, *, transfer, freeze_source
):
    """AdaBoost.R2 rounds; target rows are reweighted, source rows either frozen
    (AdaBoost.R2' of Pardoe and Stone) or shrunk by Dai et al.'s fixed factor
    (TrAdaBoost.R2). Without transfer every row is a target row.

    Returns the estimators, their votes and errors, and the final weights.
    """
    target = ~is_source if transfer else np.ones_like(is_source)
    beta = _source_beta(is_source.sum(), n_rounds)
    estimators, alphas, errors = [], [], []
    for round_ in range(n_rounds):
        weights = weights / weights.sum()
        estimator = _spawn(base, rng).fit(X, y, sample_weight=weights * weights.size)
        adjusted = _adjusted_errors(estimator.predict(X), y, loss)
        error = np.average(adjusted[target], weights=weights[target])
        if error >= 0.5 and round_ > 0:
            break
        clipped = min(max(error, _MIN_ERROR), 0.5 - _MIN_ERROR)
        alpha = np.log((1.0 - clipped) / clipped)
        estimators.append(estimator)
        alphas.append(alpha)
        errors.append(error)
        if error >= 0.5:
            break
        weights = np.where(target, weights * np.exp(alpha * adjusted), weights)
        if transfer and not freeze_source:
            weights = np.where(is_source, weights * beta**adjusted, weights)
    return estimators, np.asarray(alphas), np.asarray(errors), weights / weights.sum()


class TrAdaBoostRegressor(RegressorMixin, _BaseTrAdaBoost):
    """TrAdaBoost.R2: TrAdaBoost for regression.

    Drucker's AdaBoost.R2 turned into TrAdaBoost as described by Pardoe and
    Stone (2010): each round fits the base regressor on the weighted rows and
    computes adjusted errors ``e_i = |h(x_i) - y_i| / max_j |h(x_j) - y_j|``
    (or their square / exponential form). Target rows gain weight by
    ``beta_t ** -e_i`` with ``beta_t = eps_t / (1 - eps_t)``, ``eps_t`` the
    weighted mean adjusted error on the target rows; source rows lose weight
    by Dai et al.'s fixed factor ``beta ** e_i``. The prediction is the
    weighted median of rounds ``ceil(N/2), ..., N`` with votes
    ``ln(1 / beta_t)``. Pardoe and Stone report that this often transfers
    poorly; :class:`TwoStageTrAdaBoostR2` is their remedy.

    ``eps_t = 0`` is clipped to ``1e-10`` (large, finite vote). When
    ``eps_t >= 0.5`` boosting stops: the round is discarded, or kept alone
    when it is the first one. Without target rows (``sample_domain=None``)
    the estimator is AdaBoost.R2, every round voting.

    Parameters
    ----------
    estimator : regressor, default=None
        Base regressor whose ``fit`` accepts ``sample_weight``; ``None``
        means ``DecisionTreeRegressor(max_depth=3)``, as in
        :class:`~sklearn.ensemble.AdaBoostRegressor`.
    n_estimators : int, default=50
        Number of boosting rounds ``N``.
    loss : {"linear", "square", "exponential"}, default="linear"
        Adjusted error of a row.
    target_weight : "uniform" or float in (0, 1), default="uniform"
        Initial share of the weight on the labeled target rows.
    vote : {"last_half", "all"}, default="last_half"
        Which rounds enter the weighted median.
    random_state : int, RandomState instance or None, default=None
        Seeds the base estimator of each round.

    Attributes
    ----------
    estimators_ : list of regressors
        The fitted base estimators.
    estimator_weights_ : ndarray of shape (n_rounds,)
        Vote ``ln(1 / beta_t)`` of each round.
    estimator_errors_ : ndarray of shape (n_rounds,)
        Weighted mean adjusted error of each round on the target rows.
    first_voter_ : int
        Index of the first round in the weighted median.
    sample_weight_ : ndarray of shape (n_labeled,)
        Final weights of the labeled training rows.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    TwoStageTrAdaBoostR2 : Two-stage variant that chooses how much of the
        source to keep by cross-validation.
    TrAdaBoostClassifier : TrAdaBoost for classification.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for Regression Transfer",
       ICML 2010.
    .. [2] H. Drucker, "Improving Regressors using Boosting Techniques",
       ICML 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import TrAdaBoostRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(120, 1))
    >>> y = np.sin(X[:, 0]) + np.where(np.arange(120) < 100, 0.0, 0.5)
    >>> sample_domain = np.where(np.arange(120) < 100, 1, -1)
    >>> reg = TrAdaBoostRegressor(n_estimators=10, random_state=0)
    >>> reg.fit(X, y, sample_domain=sample_domain).predict(X[:2]).shape
    (2,)
    """

    _default_estimator = DecisionTreeRegressor(max_depth=3)

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"linear", "square", "exponential"})],
        "target_weight": [
            StrOptions({"uniform"}),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "vote": [StrOptions({"last_half", "all"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=50,
        *,
        loss="linear",
        target_weight="uniform",
        vote="last_half",
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.loss = loss
        self.target_weight = target_weight
        self.vote = vote
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Boost on the source rows and the labeled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Numeric targets; ``nan`` on unlabeled target rows (ignored).
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (plain AdaBoost.R2).

        Returns
        -------
        self : TrAdaBoostRegressor
            The fitted estimator.
        """
        base, X, y, is_source, transfer = self._validated_labeled_rows(
            X, y, sample_domain, regression=True
        )
        rng = check_random_state(self.random_state)
        weights = _initial_weights(is_source, transfer, self.target_weight)
        (
            self.estimators_,
            self.estimator_weights_,
            self.estimator_errors_,
            self.sample_weight_,
        ) = _boost_r2(
            base,
            X,
            y,
            weights,
            is_source,
            self.n_estimators,
            self.loss,
            rng,
            transfer=transfer,
            freeze_source=False,
        )
        self.first_voter_ = _first_voter(len(self.estimators_), transfer, self.vote)
        return self

    def predict(self, X):
        """Weighted median of the voting rounds' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        voters = self.estimators_[self.first_voter_ :]
        predictions = np.column_stack([est.predict(X) for est in voters])
        return _weighted_median(
            predictions, self.estimator_weights_[self.first_voter_ :]
        )


class TwoStageTrAdaBoostR2(RegressorMixin, _BaseTrAdaBoost):
    """Two-stage TrAdaBoost.R2 (Pardoe and Stone, 2010).

    Stage ``s = 0, ..., n_steps - 1`` fixes the source weights so that the
    target rows hold the share ``m / (n + m) + s / (n_steps - 1) * (1 - m /
    (n + m))`` of the weight (``n`` source, ``m`` labeled target rows): the
    source rows a base regressor fits worst lose weight first. At each stage
    AdaBoost.R2 runs with the source weights frozen (only target rows are
    reweighted), and its error is estimated by ``cv``-fold cross-validation
    on the target rows (every fold trains on all source rows and the other
    target folds). The stage with the lowest cross-validated squared error
    is kept.

    Without target rows (``sample_domain=None``) there is a single stage:
    plain AdaBoost.R2.

    Parameters
    ----------
    estimator : regressor, default=None
        Base regressor whose ``fit`` accepts ``sample_weight``; ``None``
        means ``DecisionTreeRegressor(max_depth=3)``.
    n_estimators : int, default=10
        AdaBoost.R2 rounds per stage (``N`` in the paper).
    n_steps : int, default=10
        Number of stages (``S``); the last gives the source rows no weight.
    cv : int, default=5
        Folds of the cross-validation on the target rows (at most the number
        of labeled target rows).
    loss : {"linear", "square", "exponential"}, default="linear"
        Adjusted error of a row.
    random_state : int, RandomState instance or None, default=None
        Seeds the base estimators and the folds.

    Attributes
    ----------
    estimators_ : list of regressors
        The AdaBoost.R2 learners of the chosen stage.
    estimator_weights_ : ndarray of shape (n_rounds,)
        Their votes in the weighted median.
    best_stage_ : int
        The chosen stage (0 keeps the source weights uniform).
    cv_errors_ : ndarray of shape (n_stages,)
        Cross-validated mean squared error of each stage on the target rows.
    target_weight_share_ : ndarray of shape (n_stages,)
        Share of the weight on the target rows at each stage.
    sample_weight_ : ndarray of shape (n_labeled,)
        Weights of the labeled training rows at the chosen stage.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    TrAdaBoostRegressor : The one-stage TrAdaBoost.R2.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for Regression Transfer",
       ICML 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import TwoStageTrAdaBoostR2
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(120, 1))
    >>> y = np.sin(X[:, 0]) + np.where(np.arange(120) < 100, 0.0, 0.5)
    >>> sample_domain = np.where(np.arange(120) < 100, 1, -1)
    >>> reg = TwoStageTrAdaBoostR2(n_steps=5, n_estimators=5, random_state=0)
    >>> reg = reg.fit(X, y, sample_domain=sample_domain)
    >>> reg.cv_errors_.shape
    (5,)
    """

    _default_estimator = DecisionTreeRegressor(max_depth=3)

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 2, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "loss": [StrOptions({"linear", "square", "exponential"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=10,
        *,
        n_steps=10,
        cv=5,
        loss="linear",
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_steps = n_steps
        self.cv = cv
        self.loss = loss
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Run the stages and keep the one with the lowest target CV error.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Numeric targets; ``nan`` on unlabeled target rows (ignored).
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (plain AdaBoost.R2).

        Returns
        -------
        self : TwoStageTrAdaBoostR2
            The fitted estimator.
        """
        base, X, y, is_source, transfer = self._validated_labeled_rows(
            X, y, sample_domain, regression=True
        )
        rng = check_random_state(self.random_state)
        weights = np.full(y.shape[0], 1.0 / y.shape[0])
        if not transfer:
            self.estimators_, self.estimator_weights_, _, self.sample_weight_ = (
                _boost_r2(
                    base,
                    X,
                    y,
                    weights,
                    is_source,
                    self.n_estimators,
                    self.loss,
                    rng,
                    transfer=False,
                    freeze_source=True,
                )
            )
            self.best_stage_ = 0
            self.cv_errors_ = np.array([np.nan])
            self.target_weight_share_ = np.array([1.0])
            return self

        target_rows = np.flatnonzero(~is_source)
        n_folds = min(self.cv, target_rows.size)
        if n_folds < 2:
            raise ValueError(
                "TwoStageTrAdaBoostR2 chooses its stage by cross-validation on "
                f"the labeled target rows and needs at least 2, got "
                f"{target_rows.size}."
            )
        folds = list(
            KFold(n_folds, shuffle=True, random_state=rng.randint(2**31 - 1)).split(
                target_rows
            )
        )
        start_share = target_rows.size / y.shape[0]
        shares = start_share + np.arange(self.n_steps) / (self.n_steps - 1) * (
            1.0 - start_share
        )
        best, cv_errors = None, []
        for stage in range(self.n_steps):
            cv_errors.append(
                self._cv_error(base, X, y, weights, is_source, target_rows, folds, rng)
            )
            if best is None or cv_errors[-1] < cv_errors[best]:
                best = stage
                estimators, alphas, _, _ = _boost_r2(
                    base,
                    X,
                    y,
                    weights,
                    is_source,
                    self.n_estimators,
                    self.loss,
                    rng,
                    transfer=True,
                    freeze_source=True,
                )
                self.estimators_, self.estimator_weights_ = estimators, alphas
                self.sample_weight_ = weights
            if stage + 1 < self.n_steps:
                weights = self._next_weights(
                    base, X, y, weights, is_source, shares[stage + 1], rng
                )
        self.best_stage_ = best
        self.cv_errors_ = np.asarray(cv_errors)
        self.target_weight_share_ = shares
        return self

    def _cv_error(self, base, X, y, weights, is_source, target_rows, folds, rng):
        squared = 0.0
        for _, test in folds:
            keep = np.ones(y.shape[0], dtype=bool)
            keep[target_rows[test]] = False
            estimators, alphas, _, _ = _boost_r2(
                base,
                X[keep],
                y[keep],
                weights[keep],
                is_source[keep],
                self.n_estimators,
                self.loss,
                rng,
                transfer=True,
                freeze_source=True,
            )
            X_test = X[target_rows[test]]
            predictions = np.column_stack([est.predict(X_test) for est in estimators])
            residual = _weighted_median(predictions, alphas) - y[target_rows[test]]
            squared += np.sum(residual**2)
        return squared / target_rows.size

    def _next_weights(self, base, X, y, weights, is_source, share, rng):
        """Shrink source weights by ``beta ** e_i`` so target rows hold ``share``."""
        weights = weights / weights.sum()
        estimator = _spawn(base, rng).fit(X, y, sample_weight=weights * weights.size)
        adjusted = _adjusted_errors(estimator.predict(X), y, self.loss)
        target_mass = weights[~is_source].sum()
        if share >= 1.0 - 1e-12:
            return np.where(is_source, 0.0, weights)
        wanted = target_mass * (1.0 - share) / share
        source_w, source_e = weights[is_source], adjusted[is_source]
        low, high = 0.0, 1.0
        for _ in range(60):  # bisection on beta: source mass decreases with it
            mid = 0.5 * (low + high)
            if np.sum(source_w * mid**source_e) > wanted:
                high = mid
            else:
                low = mid
        new = weights.copy()
        new[is_source] = source_w * low**source_e
        return new / new.sum()

    def predict(self, X):
        """Weighted median of the chosen stage's AdaBoost.R2 learners.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        predictions = np.column_stack([est.predict(X) for est in self.estimators_])
        return _weighted_median(predictions, self.estimator_weights_)
