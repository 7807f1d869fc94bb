"""Transfer gain over the non-transfer baselines, and negative transfer."""

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import check_consistent_length

from .._domain import check_sample_domain, labeled_mask
from ..model_selection import TargetKFold
from ..model_selection._fit import fit_with_sample_domain

__all__ = ["transfer_gain"]


def _fit_plain(base_estimator, X, y):
    """Fit a plain estimator; a classifier that sees one class predicts it."""
    if is_classifier(base_estimator) and np.unique(y).size < 2:
        return DummyClassifier(strategy="most_frequent").fit(X, y)
    return clone(base_estimator).fit(X, y)


def _corrected_interval(differences, test_train_ratio, confidence_level):
    """Mean and interval of fold differences, corrected for overlapping folds.

    The folds of repeated k-fold cross-validation share training rows, so
    their scores are correlated and the naive variance of their mean is too
    small; Nadeau and Bengio (2003) inflate it by ``n_test / n_train``.
    """
    mean = float(np.mean(differences))
    n = differences.size
    if n < 2:
        return mean, (np.nan, np.nan)
    variance = np.var(differences, ddof=1) * (1.0 / n + test_train_ratio)
    half = stats.t.ppf(0.5 + confidence_level / 2, df=n - 1) * np.sqrt(variance)
    return mean, (mean - half, mean + half)


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "sample_domain": ["array-like"],
        "base_estimator": [HasMethods(["fit"]), None],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "confidence_level": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def transfer_gain(
    estimator,
    X,
    y,
    *,
    sample_domain,
    base_estimator=None,
    scoring=None,
    cv=5,
    n_repeats=10,
    confidence_level=0.95,
    random_state=None,
):
    """Estimate what transfer gains over the target-only and source-only baselines.

    Repeated k-fold cross-validation over the labeled target rows
    (:class:`~sktransfer.model_selection.TargetKFold`): in each fold the
    transfer ``estimator`` is fitted on every other row (source rows,
    unlabeled target rows and the other labeled target rows, with
    ``sample_domain``), the **target-only** baseline (``base_estimator`` on
    the fold's labeled target rows) and the **source-only** baseline
    (``base_estimator`` on the source rows) beside it, and all three are
    scored on the held-out labeled target rows. The gain is the transfer
    score minus a baseline's, averaged over folds, with a confidence interval
    from the corrected resampled t-test of Nadeau and Bengio (2003), which
    accounts for the overlap of the training sets of the folds.

    **Negative transfer** is flagged when the whole interval of the gain over
    the target-only baseline lies below 0: the source made the target model
    worse than learning from the target labels alone (Rosenstein et al.,
    2005; Wang et al., 2019).

    Parameters
    ----------
    estimator : estimator
        The transfer model: any estimator that keeps the domain contract, a
        pipeline of them, or a plain estimator (then the pooled baseline:
        fitted on the source rows and the labeled target rows). A pipeline
        whose plain last step does not take ``sample_domain`` has that step
        fitted on the labeled rows only, as in
        :func:`~sktransfer.pipeline.make_transfer_pipeline`. Cloned in each
        fold.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Rows of all domains.
    y : array-like of shape (n_samples,)
        Labels, with the unlabeled marker on unlabeled target rows. At least
        ``cv`` target rows must be labeled.
    sample_domain : array-like of shape (n_samples,)
        Positive on source rows, negative on target rows.
    base_estimator : estimator, default=None
        The plain estimator of the two baselines; ``None`` means
        ``LogisticRegression(max_iter=1000)``. Pass the estimator that the
        transfer method adapts, so that the comparison is fair. A baseline
        classifier fitted on a single class predicts that class.
    scoring : str, callable or None, default=None
        Score of the three models on the held-out labeled target rows;
        ``None`` uses ``estimator.score`` (accuracy for classifiers).
    cv : int, default=5
        Number of folds of the labeled target rows (stratified when every
        class has at least ``cv`` labeled target rows).
    n_repeats : int, default=10
        Number of times the k-fold split is repeated with a new shuffle.
    confidence_level : float, default=0.95
        Level of the intervals.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds.

    Returns
    -------
    result : Bunch
        - ``score``, ``target_only_score``, ``source_only_score``: mean
          scores of the transfer model and the two baselines;
        - ``gain_over_target_only``, ``gain_over_source_only``: mean gains;
        - ``ci_over_target_only``, ``ci_over_source_only``: their
          ``(low, high)`` intervals;
        - ``negative_transfer``: whether ``ci_over_target_only[1] < 0``;
        - ``fold_scores``: dict of the per-fold scores of ``"transfer"``,
          ``"target_only"`` and ``"source_only"``;
        - ``confidence_level``.

    Raises
    ------
    ValueError
        If there are no source rows, or fewer labeled target rows than
        ``cv``.

    See Also
    --------
    sktransfer.model_selection.TargetKFold : The folds.

    References
    ----------
    .. [1] Nadeau, C. and Bengio, Y. "Inference for the generalization
       error", Machine Learning 52, 2003.
    .. [2] Rosenstein, M. T., Marx, Z., Kaelbling, L. P. and Dietterich,
       T. G. "To transfer or not to transfer", NIPS 2005 workshop on
       transfer learning.
    .. [3] Wang, Z., Dai, Z., Póczos, B. and Carbonell, J. "Characterizing
       and avoiding negative transfer", CVPR 2019.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.metrics import transfer_gain
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(shift="concept", severity=0.9,
    ...                                   random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=15, per_class=True,
    ...                        random_state=0)

    A plain estimator is the pooled model, fitted on the source rows and the
    labeled target rows; under a strong concept shift the source hurts:

    >>> gain = transfer_gain(LogisticRegression(), X, y, sample_domain=sd,
    ...                      n_repeats=3, random_state=0)
    >>> bool(gain.negative_transfer), bool(gain.gain_over_target_only < 0)
    (True, True)
    """
    y = np.asarray(y)
    check_consistent_length(X, y)
    sample_domain = check_sample_domain(
        sample_domain,
        X,
        y,
        require_source=True,
        require_target=True,
        estimator_name="transfer_gain",
    )
    if base_estimator is None:
        base_estimator = LogisticRegression(max_iter=1000)
    regression = is_regressor(estimator)
    is_source = sample_domain > 0
    labeled_target = ~is_source & labeled_mask(y, sample_domain, regression=regression)
    if is_classifier(base_estimator):
        _, counts = np.unique(y[labeled_target], return_counts=True)
        stratify = counts.size > 0 and counts.min() >= cv
    else:
        stratify = False

    source_only = _fit_plain(base_estimator, _safe_indexing(X, is_source), y[is_source])
    rng = check_random_state(random_state)
    scores = {"transfer": [], "target_only": [], "source_only": []}
    for _ in range(n_repeats):
        folds = TargetKFold(
            cv,
            shuffle=True,
            stratify=stratify,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        for train, test in folds._split(X, y, sample_domain, regression=regression):
            model = fit_with_sample_domain(
                clone(estimator),
                _safe_indexing(X, train),
                y[train],
                sample_domain[train],
            )
            target_train = train[labeled_target[train]]
            target_only = _fit_plain(
                base_estimator, _safe_indexing(X, target_train), y[target_train]
            )
            X_test, y_test = _safe_indexing(X, test), y[test]
            for name, fitted in (
                ("transfer", model),
                ("target_only", target_only),
                ("source_only", source_only),
            ):
                scorer = check_scoring(fitted, scoring=scoring)
                scores[name].append(float(scorer(fitted, X_test, y_test)))

    scores = {name: np.asarray(values) for name, values in scores.items()}
    ratio = 1.0 / (cv - 1)  # labeled target rows held out per fold / trained on
    gain_t, ci_t = _corrected_interval(
        scores["transfer"] - scores["target_only"], ratio, confidence_level
    )
    gain_s, ci_s = _corrected_interval(
        scores["transfer"] - scores["source_only"], ratio, confidence_level
    )
    return Bunch(
        score=float(scores["transfer"].mean()),
        target_only_score=float(scores["target_only"].mean()),
        source_only_score=float(scores["source_only"].mean()),
        gain_over_target_only=gain_t,
        gain_over_source_only=gain_s,
        ci_over_target_only=(float(ci_t[0]), float(ci_t[1])),
        ci_over_source_only=(float(ci_s[0]), float(ci_s[1])),
        negative_transfer=bool(ci_t[1] < 0),
        fold_scores=scores,
        confidence_level=confidence_level,
    )
