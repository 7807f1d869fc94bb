"""Choose, by validation on the target, between transfer and the baselines."""

import numbers
import sys
import time
import traceback

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from .._domain import BaseDomainAdapter, labeled_mask
from ..utils._delegation import ClassifierOutputsMixin
from ..utils._warnings import warn
from ._fit import fit_with_sample_domain

__all__ = ["TransferSelector"]

#: The plain baselines every selection is measured against.
BASELINES = ("source_only", "target_only", "pooled")

#: Transfer methods of the default candidate list (names of the benchmark's
#: methods): quick, and each the best of its family somewhere in the
#: measurements (see the docstring of :class:`TransferSelector`).
DEFAULT_METHODS = ("prior_logreg", "feature_augmentation", "iw_discriminative", "coral")


def _build_candidates(estimators, base_estimator, random_state, sparse):
    """``[(name, estimator, is_baseline)]``: the baselines, then the others."""
    from ..benchmark import METHODS

    candidates = [
        (name, METHODS[name].make(base_estimator, random_state), True)
        for name in BASELINES
    ]
    if estimators is None:
        estimators = []
        for name in DEFAULT_METHODS:
            model = METHODS[name].make(base_estimator, random_state)
            if not sparse or get_tags(model).input_tags.sparse:
                estimators.append((name, model))
    taken = set(BASELINES)
    for name, estimator in estimators:
        if name in taken:
            raise ValueError(
                f"Candidate name {name!r} is used twice (the baselines are "
                f"{', '.join(BASELINES)}); give each candidate its own name."
            )
        taken.add(name)
        candidates.append((name, estimator, False))
    return candidates


def _fit_and_score(estimator, X, y, sample_domain, train, test, scoring):
    """Fit on ``train``, score on ``test``: ``(score, fit_time, error)``."""
    start = time.perf_counter()
    try:
        fitted = fit_with_sample_domain(
            estimator,
            _safe_indexing(X, train),
            y[train],
            sample_domain[train],
        )
        fit_time = time.perf_counter() - start
        scorer = check_scoring(fitted, scoring=scoring)
        score = float(scorer(fitted, _safe_indexing(X, test), y[test]))
    except Exception as exc:  # a candidate that fails is left out, not fatal
        return np.nan, time.perf_counter() - start, _describe(exc)
    return score, fit_time, None


def _fit_once_and_score(estimator, X, y, sample_domain, folds, scoring):
    """``_fit_and_score`` for a model that learns from the source rows alone:
    every fold's training set holds all of them, so one fit serves all folds."""
    source = np.flatnonzero(sample_domain > 0)
    start = time.perf_counter()
    try:
        fitted = fit_with_sample_domain(
            estimator, _safe_indexing(X, source), y[source], sample_domain[source]
        )
        fit_time = time.perf_counter() - start
        scorer = check_scoring(fitted, scoring=scoring)
        return [
            (float(scorer(fitted, _safe_indexing(X, test), y[test])), fit_time, None)
            for _, test in folds
        ]
    except Exception as exc:
        error = _describe(exc)
        return [(np.nan, time.perf_counter() - start, error) for _ in folds]


def _fit_on_all(estimator, X, y, sample_domain):
    start = time.perf_counter()
    try:
        fitted = fit_with_sample_domain(estimator, X, y, sample_domain)
    except Exception as exc:
        return None, time.perf_counter() - start, _describe(exc)
    return fitted, time.perf_counter() - start, None


def _describe(exc):
    frame = traceback.extract_tb(exc.__traceback__)[-1:]
    where = (
        f" ({frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno})" if frame else ""
    )
    return f"{type(exc).__name__}: {exc}{where}"


def _interval(differences, test_train_ratio, confidence_level):
    """Mean and interval of per-fold differences (Nadeau and Bengio's
    correction for folds whose training sets overlap)."""
    differences = differences[np.isfinite(differences)]
    n = differences.size
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(differences.mean())
    if n < 2:
        return mean, np.nan, np.nan
    variance = np.var(differences, ddof=1) * (1.0 / n + test_train_ratio)
    half = stats.t.ppf(0.5 + confidence_level / 2, df=n - 1) * np.sqrt(variance)
    return mean, mean - half, mean + half


def _nan_mean(scores):
    """Row means over the finite entries; ``nan`` for a row without any."""
    finite = np.isfinite(scores)
    counts = finite.sum(axis=1)
    sums = np.where(finite, scores, 0.0).sum(axis=1)
    return np.divide(sums, counts, out=np.full(len(scores), np.nan), where=counts > 0)


def _nan_std(scores):
    means = _nan_mean(scores)
    finite = np.isfinite(scores)
    squares = np.where(finite, (scores - means[:, None]) ** 2, 0.0).sum(axis=1)
    counts = finite.sum(axis=1)
    return np.sqrt(
        np.divide(squares, counts, out=np.full(len(scores), np.nan), where=counts > 0)
    )


class TransferSelector(
    ClassifierOutputsMixin, ClassifierMixin, MetaEstimatorMixin, BaseDomainAdapter
):
    """Pick the model that predicts the target best: a transfer method or a baseline.

    A practitioner's question is not "how well does method X do" but "which
    model should I use on my target, and does transfer help?". No method
    wins on every data set, so the selector answers it on the data it is
    given. It compares the candidate transfer models (``estimators``) with
    three plain baselines built from ``base_estimator``: **source-only**
    (fitted on the source rows), **target-only** (on the labeled target
    rows) and **pooled** (on both), and refits the winner on all rows.

    - **With labeled target rows** (at least 2): repeated stratified
      folds of them (see ``cv``); each candidate is fitted on every other
      row (source rows, unlabeled target rows, the other labeled target
      rows) and scored on the held-out target labels.
    - **Without**: each candidate is fitted on all rows and scored by
      ``unsupervised_scoring`` (a criterion that estimates the target score
      without labels) on ``cv`` disjoint parts of the target rows; the only
      baseline is source-only (target-only has nothing to learn from and
      pooled is source-only). No criterion without labels can see every
      failure: where the target is the source with its contrast inverted
      (``load_shifted_digits("inversion")``), Subspace Alignment, TCA, JDA
      and CORAL map it onto a mirror image of the source and score 0.000,
      far below chance, and information maximization and circular
      validation rank Subspace Alignment above source-only (which scores
      0.000 too); with 3 labeled target rows per class the selector picks
      a model that scores about 0.8 (``benchmarks/selection_mirror.py``).
      :meth:`summary` says so.
    - **With one label per class**, leave-one-out cannot score target-only
      (the held-out row's class is missing from its training rows). If no
      other candidate beats chance on the labeled rows, target-only is
      chosen, with a warning: on the inverted digits it scores 0.647 where
      every other candidate scores 0.000.

    The **gain** of a candidate is its score minus that of the best baseline
    (the baseline with the best mean), per fold, with a confidence interval
    (the corrected resampled t-test of Nadeau and Bengio for overlapping
    training sets). A transfer candidate wins only when the whole interval
    of its gain lies above 0; among those, the one with the best mean. Else
    the best baseline wins: the selector prefers a plain model unless the
    evidence for transfer is clear, so that it does not fall below the best
    baseline.

    Cost: ``k - 1`` candidates (the target-only and pooled baselines
    included) x about ``cv * n_repeats`` folds (6 x 20 by default) fits, one
    fit of the source-only baseline (its model does not change with the
    folds), plus one refit of the winner, run in parallel over ``n_jobs``
    (``n_fits_`` says how many were made); without target labels ``k - 2``
    fits. :meth:`summary` prints the table.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, default=None
        The transfer candidates, each an estimator that keeps the domain
        contract or a pipeline of them (a plain estimator is the pooled
        model). ``None`` means the benchmark's methods ``prior_logreg``,
        ``feature_augmentation``, ``iw_discriminative`` and ``coral`` (the
        last one on dense input only) built around ``base_estimator``: quick
        methods that each beat the baselines somewhere in the measurements
        (``sktransfer benchmark --list`` describes them).
    base_estimator : classifier, default=None
        The plain classifier of the baselines and of the default candidates;
        ``None`` means :class:`~sktransfer.benchmark.TunedLogisticRegression`,
        a well-regularized logistic regression.
    scoring : str, callable or None, default=None
        Score on held-out labeled target rows; ``None`` uses each
        candidate's ``score`` (accuracy).
    unsupervised_scoring : callable or None, default=None
        Criterion used without target labels, called as
        ``criterion(estimator, X, y, sample_domain=sample_domain)`` (the
        scorers of :mod:`sktransfer.model_selection`); ``None`` means
        :class:`InformationMaximizationScorer`, the criterion that was never
        far from the best in the reliability measurements and the only one
        that does not reward a collapsed model predicting one class
        everywhere (``benchmarks/selection_office_caltech.py``: regret 0.008
        against the oracle on Amazon, 0.046 on Office-Caltech).
    cv : int, default=10
        Folds of the labeled target rows, stratified: at most as many as the
        smallest class has labeled target rows, so that every training set
        keeps the class proportions (with more folds the held-out row's
        class would always be short of one row, and target-only, which
        learns from those few rows alone, would be underrated). The folds
        are drawn ``ceil(cv * n_repeats / n_folds)`` times, so that every
        candidate gets about ``cv * n_repeats`` scores. Rows of a class
        with a single label are never held out; when every class has one,
        leave-one-out (with a warning). Without target labels, the number
        of parts of the target rows.
    n_repeats : int, default=2
        Times ``cv`` folds would be drawn anew; see ``cv``.
    confidence_level : float, default=0.8
        Level of the gain intervals, and so of the evidence that a transfer
        candidate must show to win.
    min_unsupervised_gain : float, default=0.05
        Without target labels, the gain in ``unsupervised_scoring``'s units
        that a transfer candidate must show over source-only, besides an
        interval above 0: the criteria only roughly track the target
        accuracy, so a small difference in them is no evidence.
    n_jobs : int, default=None
        Fits run in parallel (joblib's convention: ``-1`` all cores).
    verbose : int, default=0
        Show a progress bar of the fits on stderr when positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and the default candidates.

    Attributes
    ----------
    candidates_ : list of (str, estimator) tuples
        The baselines, then the transfer candidates, unfitted.
    cv_results_ : dict of ndarray
        One entry per candidate, in the order of ``candidates_``: ``name``,
        ``is_baseline``, ``mean_test_score``, ``std_test_score``,
        ``split{i}_test_score``, ``rank_test_score``, ``mean_gain``,
        ``gain_low``, ``gain_high`` (the gain over ``best_baseline_`` and its
        interval), ``mean_fit_time`` and ``error`` (the message of the first
        failed fit, ``""`` when none failed; a candidate with a failed fit is
        not chosen).
    best_index_ : int
        Index of the winner in ``candidates_`` and ``cv_results_``.
    best_name_ : str
        Name of the winner.
    best_estimator_ : estimator
        The winner, fitted on all rows.
    best_baseline_ : str
        The baseline with the best mean score.
    verdict_ : {"helps", "ties", "hurts"}
        Whether the best transfer candidate's gain interval lies above 0,
        contains it, or lies below it.
    negative_transfer_ : bool
        ``verdict_ == "hurts"``: every transfer candidate does worse than the
        best baseline, the best of them clearly.
    criterion_ : str
        ``"target_cv"`` with target labels, else the unsupervised criterion.
    n_fits_ : int
        Number of fits made, the refit included.
    classes_ : ndarray of shape (n_classes,)
        Classes of the winner.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    sktransfer.metrics.transfer_gain : The gain of one given transfer model.
    TargetKFold : The folds over the labeled target rows.

    References
    ----------
    .. [1] Nadeau, C. and Bengio, Y. "Inference for the generalization
       error", Machine Learning 52, 2003.
    .. [2] Kouw, W. M. and Loog, M. "A review of domain adaptation without
       target labels", IEEE TPAMI 43, 2021 (on validation without target
       labels).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.model_selection import TransferSelector
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(shift="concept", severity=0.9,
    ...                                   random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=20, random_state=0)
    >>> selector = TransferSelector(base_estimator=LogisticRegression(),
    ...                             random_state=0)
    >>> selector = selector.fit(X, y, sample_domain=sd)
    >>> selector.best_name_ in [name for name, _ in selector.candidates_]
    True
    >>> selector.verdict_ in ("helps", "ties", "hurts")
    True
    >>> print(selector.summary())  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "estimators": [list, None],
        "base_estimator": [HasMethods(["fit", "predict"]), None],
        "scoring": [str, callable, None],
        "unsupervised_scoring": [callable, None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "confidence_level": [Interval(numbers.Real, 0, 1, closed="neither")],
        "min_unsupervised_gain": [Interval(numbers.Real, 0, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimators=None,
        *,
        base_estimator=None,
        scoring=None,
        unsupervised_scoring=None,
        cv=10,
        n_repeats=2,
        confidence_level=0.8,
        min_unsupervised_gain=0.05,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.estimators = estimators
        self.base_estimator = base_estimator
        self.scoring = scoring
        self.unsupervised_scoring = unsupervised_scoring
        self.cv = cv
        self.n_repeats = n_repeats
        self.confidence_level = confidence_level
        self.min_unsupervised_gain = min_unsupervised_gain
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def _check_estimators(self):
        if self.estimators is None:
            return None
        checked = []
        for item in self.estimators:
            if (
                not isinstance(item, tuple)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not hasattr(item[1], "fit")
            ):
                raise TypeError(
                    "estimators must be a list of (name, estimator) tuples, as in "
                    f"VotingClassifier; got the item {item!r}."
                )
            checked.append(item)
        return checked

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sample_domain=None):
        """Validate every candidate on the target, then refit the winner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (the source-only baseline, the plain
            ``base_estimator``, is then the model).

        Returns
        -------
        self : TransferSelector
            The fitted selector.
        """
        estimators = self._check_estimators()
        X, y, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse=("csr", "csc")
        )
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        candidates = _build_candidates(
            estimators, self.base_estimator, seed, sp.issparse(X)
        )
        labeled_target = labeled_mask(y, sample_domain) & (sample_domain < 0)
        if not (sample_domain < 0).any():
            candidates, fitted = self._select_plain(candidates)
        elif labeled_target.sum() >= 2:
            candidates, fitted = self._select_by_target_cv(
                candidates, X, y, sample_domain, labeled_target, rng
            )
        else:
            candidates, fitted = self._select_unsupervised(
                candidates, X, y, sample_domain, rng
            )
        self.candidates_ = [(name, estimator) for name, estimator, _ in candidates]
        failed = [
            f"{name}: {error}"
            for name, error in zip(self.cv_results_["name"], self.cv_results_["error"])
            if error
        ]
        if failed:
            warn(
                f"{len(failed)} candidate(s) of {type(self).__name__} failed to fit "
                "or score and were not chosen (cv_results_['error'] has the "
                "messages): " + "; ".join(failed),
                UserWarning,
            )
        if fitted is None:
            winner = clone(self.candidates_[self.best_index_][1])
            fitted = fit_with_sample_domain(winner, X, y, sample_domain)
            self.n_fits_ += 1
        self.best_estimator_ = fitted
        self.best_name_ = self.candidates_[self.best_index_][0]
        self.classes_ = self.best_estimator_.classes_
        return self

    def _select_plain(self, candidates):
        """Source rows only: the source-only baseline is the plain estimator."""
        candidates = candidates[:1]
        self.criterion_ = "none (no target rows)"
        self._set_results(
            candidates,
            scores=np.full((len(candidates), 0), np.nan),
            fit_times=np.zeros(len(candidates)),
            errors=[""] * len(candidates),
            gains=np.full((len(candidates), 3), np.nan),
            best_baseline=0,
        )
        self.best_index_ = 0
        self.verdict_ = "ties"
        self.negative_transfer_ = False
        self.n_fits_ = 0
        return candidates, None

    def _select_by_target_cv(
        self, candidates, X, y, sample_domain, labeled_target, rng
    ):
        folds, n_splits = self._target_folds(y, labeled_target, rng)
        # The source-only baseline ignores the target rows of a fold's
        # training set: it is fitted once (a separate task), not once per fold.
        source_only = [
            i
            for i, (name, _, is_baseline) in enumerate(candidates)
            if is_baseline and name == "source_only"
        ]
        tasks = [
            delayed(_fit_once_and_score)(
                clone(estimator), X, y, sample_domain, folds, self.scoring
            )
            if i in source_only
            else delayed(_fit_and_score)(
                clone(estimator), X, y, sample_domain, train, test, self.scoring
            )
            for i, (_, estimator, _) in enumerate(candidates)
            for train, test in (folds[:1] if i in source_only else folds)
        ]
        results = []
        for result in self._run(tasks):
            results.extend(result if isinstance(result, list) else [result])
        shape = (len(candidates), len(folds))
        scores = np.array([r[0] for r in results]).reshape(shape)
        fit_times = np.array([r[1] for r in results]).reshape(shape).mean(axis=1)
        errors = [
            next((r[2] for r in results[i * shape[1] : (i + 1) * shape[1]] if r[2]), "")
            for i in range(shape[0])
        ]
        self.criterion_ = "target_cv"
        self.n_fits_ = len(tasks)
        self._choose(
            candidates, scores, fit_times, errors, 1.0 / (n_splits - 1), min_gain=0.0
        )
        if n_splits == labeled_target.sum():  # one label per class
            self._prefer_target_only_over_chance(candidates, scores, errors, folds)
        return candidates, None

    def _prefer_target_only_over_chance(self, candidates, scores, errors, folds):
        """With one label per class, leave-one-out cannot score target-only.
        When no other candidate beats guessing on the labeled target rows (a
        shift that permutes the classes, such as inverted contrast, does
        this), target-only is the one model not shown to fail."""
        if self.scoring not in (None, "accuracy", "balanced_accuracy"):
            return
        names = [name for name, _, _ in candidates]
        if "target_only" not in names or errors[names.index("target_only")]:
            return
        chance = 1.0 / len(folds)
        scored = [i for i, name in enumerate(names) if name != "target_only"]
        means = _nan_mean(scores[scored])
        if np.any((means > chance) & ~np.array([bool(errors[i]) for i in scored])):
            return
        warn(
            f"No candidate beats chance ({chance:.2f}) on the {len(folds)} labeled "
            "target rows (one per class): the shift may permute the classes. "
            "target-only is chosen (leave-one-out cannot score it). Label more "
            "target rows per class.",
            UserWarning,
        )
        self.best_index_ = names.index("target_only")
        transfer = [
            i for i, (_, _, is_baseline) in enumerate(candidates) if not is_baseline
        ]
        self.verdict_ = "hurts" if transfer else "ties"
        self.negative_transfer_ = bool(transfer)

    def _target_folds(self, y, labeled_target, rng):
        """``(folds, n_splits)``: repeated stratified folds of the labeled
        target rows, at most as many folds as the smallest class has rows.

        Every training set keeps the class proportions of the labeled rows.
        With more folds the held-out row's class is always short of one row
        in training, and target-only, which learns its class priors from
        those few rows alone, is scored far below what it does on all of
        them (0.30 against 0.63 on Office-Caltech amazon->webcam with 3
        labels per class). The rows of a class with a single label are never
        held out: without them target-only could not predict their class.
        """
        everything = np.arange(y.shape[0])
        rows = np.flatnonzero(labeled_target)
        classes, counts = np.unique(y[rows], return_counts=True)
        testable = np.isin(y[rows], classes[counts >= 2])
        if not testable.any():
            warn(
                "Every class has a single labeled target row: a held-out row's "
                "class is missing from target-only's training rows, so "
                "target-only is underrated (leave-one-out). Label at least 2 "
                "target rows per class.",
                UserWarning,
            )
            folds = [(np.setdiff1d(everything, [row]), np.array([row])) for row in rows]
            return folds, rows.size
        if not testable.all():
            warn(
                f"{int((~testable).sum())} labeled target row(s) of classes with "
                "a single label are never held out (target-only could not "
                "predict their class); the validation scores the other classes.",
                UserWarning,
            )
        rows = rows[testable]
        n_splits = int(min(self.cv, counts[counts >= 2].min()))
        n_repeats = int(np.ceil(self.cv * self.n_repeats / n_splits))
        folds = []
        for _ in range(n_repeats):
            splitter = StratifiedKFold(
                n_splits, shuffle=True, random_state=rng.randint(np.iinfo(np.int32).max)
            )
            for _, test in splitter.split(rows, y[rows]):
                folds.append((np.setdiff1d(everything, rows[test]), rows[test]))
        return folds, n_splits

    def _select_unsupervised(self, candidates, X, y, sample_domain, rng):
        from ._scorer import InformationMaximizationScorer

        criterion = self.unsupervised_scoring
        if criterion is None:
            criterion = InformationMaximizationScorer()
        kept = [c for c in candidates if c[0] not in ("target_only", "pooled")]
        fitted = self._run(
            delayed(_fit_on_all)(clone(estimator), X, y, sample_domain)
            for _, estimator, _ in kept
        )
        target = np.flatnonzero(sample_domain < 0)
        source = np.flatnonzero(sample_domain > 0)
        n_parts = min(self.cv, target.size)
        parts = np.array_split(rng.permutation(target), n_parts) if n_parts else []
        scores = np.full((len(kept), len(parts)), np.nan)
        errors = []
        for i, (model, _, error) in enumerate(fitted):
            for j, part in enumerate(parts):
                if model is None:
                    break
                rows = np.sort(np.concatenate([source, part]))
                try:
                    scores[i, j] = float(
                        criterion(
                            model,
                            _safe_indexing(X, rows),
                            y[rows],
                            sample_domain=sample_domain[rows],
                        )
                    )
                except Exception as exc:
                    error = error or _describe(exc)
                    scores[i] = np.nan
                    break
            errors.append(error or "")
        self.criterion_ = repr(criterion)
        self.n_fits_ = len(kept)
        fit_times = np.array([f[1] for f in fitted])
        self._choose(
            kept, scores, fit_times, errors, 0.0, min_gain=self.min_unsupervised_gain
        )
        return kept, fitted[self.best_index_][0]

    def _run(self, tasks):
        """Run the fits in parallel, with a progress bar when ``verbose``."""
        tasks = list(tasks)
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
        with tqdm(
            total=len(tasks),
            desc=type(self).__name__,
            unit="fit",
            file=sys.stderr,
            disable=not self.verbose,
            dynamic_ncols=True,
        ) as bar:
            results = []
            for result in parallel(tasks):
                results.append(result)
                bar.update()
        return results

    def _choose(
        self, candidates, scores, fit_times, errors, test_train_ratio, min_gain
    ):
        is_baseline = np.array([c[2] for c in candidates])
        failed = np.array([bool(e) for e in errors])
        means = np.where(failed, -np.inf, _nan_mean(scores))
        baselines = np.flatnonzero(is_baseline & ~failed)
        if not baselines.size:
            raise ValueError(
                "Every baseline failed to fit, so there is nothing to measure the "
                f"candidates against: {errors[int(np.flatnonzero(is_baseline)[0])]}"
            )
        best_baseline = int(baselines[np.argmax(means[baselines])])
        gains = np.array(
            [
                _interval(
                    scores[i] - scores[best_baseline],
                    test_train_ratio,
                    self.confidence_level,
                )
                if not failed[i]
                else (np.nan, np.nan, np.nan)
                for i in range(len(candidates))
            ]
        )
        self._set_results(
            candidates,
            scores,
            fit_times,
            errors,
            gains,
            best_baseline,
            test_train_ratio,
        )
        transfer = np.flatnonzero(~is_baseline & ~failed)
        clear = [i for i in transfer if gains[i, 1] > 0 and gains[i, 0] > min_gain]
        self.best_index_ = (
            int(max(clear, key=lambda i: means[i])) if clear else best_baseline
        )
        if not transfer.size:
            self.verdict_ = "ties"
        else:
            best_transfer = int(transfer[np.argmax(means[transfer])])
            low, high = gains[best_transfer, 1:]
            helps = low > 0 and gains[best_transfer, 0] > min_gain
            self.verdict_ = "helps" if helps else "hurts" if high < 0 else "ties"
        self.negative_transfer_ = self.verdict_ == "hurts"

    def _set_results(
        self,
        candidates,
        scores,
        fit_times,
        errors,
        gains,
        best_baseline,
        test_train_ratio=0.0,
    ):
        means, spread = _nan_mean(scores), _nan_std(scores)
        results = {
            "name": np.array([c[0] for c in candidates], dtype=object),
            "is_baseline": np.array([c[2] for c in candidates]),
            "mean_test_score": means,
            "std_test_score": spread,
        }
        for j in range(scores.shape[1]):
            results[f"split{j}_test_score"] = scores[:, j]
        order = np.argsort(-np.nan_to_num(means, nan=-np.inf), kind="stable")
        ranks = np.empty(len(candidates), dtype=np.int32)
        ranks[order] = np.arange(1, len(candidates) + 1)
        results["rank_test_score"] = ranks
        results["mean_gain"] = gains[:, 0]
        results["gain_low"] = gains[:, 1]
        results["gain_high"] = gains[:, 2]
        results["mean_fit_time"] = np.asarray(fit_times, dtype=float)
        results["error"] = np.array(errors, dtype=object)
        self.cv_results_ = results
        self.best_baseline_ = candidates[best_baseline][0]
        # held-out to training rows of the folds, for the benchmark's records
        self._test_train_ratio = test_train_ratio

    def summary(self):
        """The table of candidates and the verdict, as text.

        Returns
        -------
        text : str
        """
        check_is_fitted(self)
        results = self.cv_results_
        n_folds = sum(key.startswith("split") for key in results)
        level = f"{100 * self.confidence_level:.0f}%"
        lines = [
            f"{type(self).__name__}: {len(results['name'])} candidates, "
            f"criterion {self.criterion_}, {n_folds} folds, {self.n_fits_} fits",
            f"{'':2}{'candidate':<24}{'score':>16}   gain over {self.best_baseline_} "
            f"({level} interval)",
        ]
        for i, name in enumerate(results["name"]):
            mark = "* " if i == self.best_index_ else "  "
            kind = " (baseline)" if results["is_baseline"][i] else ""
            mean, std = results["mean_test_score"][i], results["std_test_score"][i]
            score = f"{mean:.3f} ± {std:.3f}" if np.isfinite(mean) else "-"
            if results["error"][i]:
                gain = f"failed: {results['error'][i][:60]}"
            elif name == self.best_baseline_ or not np.isfinite(
                results["mean_gain"][i]
            ):
                gain = ""
            else:
                gain = (
                    f"{results['mean_gain'][i]:+.3f} "
                    f"[{results['gain_low'][i]:+.3f}, {results['gain_high'][i]:+.3f}]"
                )
            lines.append(f"{mark}{name + kind:<24}{score:>16}   {gain}")
        reading = {
            "helps": "transfer helps",
            "ties": "transfer ties with the best baseline (no transfer gain's "
            "interval lies above 0)",
            "hurts": "transfer hurts (negative transfer)",
        }[self.verdict_]
        lines.append(f"verdict: use {self.best_name_}; {reading}.")
        if self.criterion_ != "target_cv" and self.n_fits_:
            lines.append(
                "No target label: the scores only estimate the target accuracy, "
                "and no label-free criterion tells a model that swaps the "
                "classes on the target from one that is right. Label a few "
                "target rows per class to check."
            )
        return "\n".join(lines)

    _fitted_estimator_attr = "best_estimator_"

    def _final_estimator(self):
        from ..benchmark._baselines import _default_estimator

        return _default_estimator(self.base_estimator)

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse=("csr", "csc"))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
