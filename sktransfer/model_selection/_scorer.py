"""Scorers for hyperparameter selection in transfer learning.

Each scorer is a callable ``scorer(estimator, X, y, sample_domain=None)`` for
``GridSearchCV(scoring=...)``, ``cross_validate`` and the like, and requests
``sample_domain`` for ``score`` by default, so that with metadata routing on
the search passes each test fold's domains to it. Higher is better for all.
"""

import inspect
from numbers import Integral, Real

import numpy as np
from scipy.special import entr, logsumexp
from sklearn import get_config
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, check_scoring, get_scorer_names
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._metadata_requests import (
    MetadataRequest,
    MethodMetadataRequest,
    _MetadataRequester,
)
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.validation import _num_samples, check_random_state

from .._domain import UNLABELED, check_sample_domain, labeled_mask
from ..instance import DiscriminativeDensityRatio
from ._fit import fit_with_sample_domain

__all__ = [
    "CircularValidationScorer",
    "DeepEmbeddedValidationScorer",
    "ImportanceWeightedScorer",
    "InformationMaximizationScorer",
    "PredictionEntropyScorer",
    "SoftNeighborhoodDensityScorer",
    "SupervisedTargetScorer",
]

_LOSSES = StrOptions({"zero_one", "log_loss"})
_ROUTING_HINT = (
    "Turn metadata routing on (sklearn.set_config(enable_metadata_routing=True)) "
    "and pass sample_domain to the search's fit, or call the scorer with "
    "sample_domain=..."
)
_SPLITTER_HINT = "Use a splitter whose test folds hold target rows, such as "


class _TransferScorer(_MetadataRequester):
    """Base of the scorers: requests ``sample_domain`` for ``score``.

    Subclasses declare ``_parameter_constraints`` (scikit-learn's
    constraints) and call :meth:`_validate_params` when called.
    """

    _parameter_constraints: dict = {}

    def _init_params(self):
        init = type(self).__init__
        if init is object.__init__:
            return {}
        return {
            name: param
            for name, param in inspect.signature(init).parameters.items()
            if name != "self"
        }

    def _validate_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            {name: getattr(self, name) for name in self._init_params()},
            caller_name=type(self).__name__,
        )

    def set_score_request(self, *, sample_domain=True):
        """Say whether the scorer receives ``sample_domain`` through routing.

        The scorer requests it by default; ``set_score_request(sample_domain=
        False)`` stops it, and a string makes it an alias.

        Parameters
        ----------
        sample_domain : bool, None or str, default=True
            The request for ``sample_domain``.

        Returns
        -------
        self : object
            The scorer.
        """
        if not get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                "set_score_request is only available when metadata routing is "
                "enabled: sklearn.set_config(enable_metadata_routing=True)."
            )
        self._metadata_request = MetadataRequest(owner=self)
        self._metadata_request.score.add_request(
            param="sample_domain", alias=sample_domain
        )
        return self

    def _get_metadata_request(self):
        if hasattr(self, "_metadata_request"):
            return get_routing_for_object(self._metadata_request)
        requests = MetadataRequest(owner=self)
        requests.score = MethodMetadataRequest(
            owner=self, method="score", requests={"sample_domain": True}
        )
        return requests

    def __repr__(self):
        args = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name, param in self._init_params().items()
            if getattr(self, name) != param.default
        )
        return f"{type(self).__name__}({args})"

    def _routing_repr(self):
        return repr(self)

    def _domains(self, X, sample_domain, *, need_source, splitters):
        """Validate the fold's domains; ``None`` means every row is a target row."""
        name = type(self).__name__
        if sample_domain is None:
            if need_source:
                raise ValueError(
                    f"{name} needs sample_domain to tell the source rows of the "
                    f"test fold from its target rows, but got none. {_ROUTING_HINT}"
                )
            return np.full(_num_samples(X), -1, dtype=np.int64)
        sample_domain = check_sample_domain(sample_domain, X, estimator_name=name)
        if not (sample_domain < 0).any():
            raise ValueError(
                f"{name} got a test fold with no target rows (sample_domain < 0), "
                f"so there is nothing to score. {_SPLITTER_HINT}{splitters}."
            )
        if need_source and not (sample_domain > 0).any():
            raise ValueError(
                f"{name} got a test fold with no source rows (sample_domain > 0), "
                "but it scores held-out source rows. Use SourceTargetShuffleSplit, "
                "whose test folds hold both."
            )
        return sample_domain

    def _check_y(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} needs the labels y of the test fold's "
                "source rows, but got y=None."
            )
        return np.asarray(y)


def _check_proba(estimator, who):
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{who} needs class probabilities, but {type(estimator).__name__} "
            "has no predict_proba."
        )


def _row_losses(estimator, X, y, loss):
    """Loss of each row: 0-1 loss or the negative log-probability of its label."""
    if loss == "zero_one":
        return (estimator.predict(X) != y).astype(np.float64)
    proba = estimator.predict_proba(X)
    classes = np.asarray(estimator.classes_)
    position = np.searchsorted(classes, y).clip(0, classes.size - 1)
    known = classes[position] == y
    p = np.where(known, proba[np.arange(len(y)), position], 0.0)
    return -np.log(np.clip(p, 1e-15, None))


def _default_weighting(domain_classifier=None):
    if domain_classifier is None:
        domain_classifier = LogisticRegression(max_iter=1000)
    return DiscriminativeDensityRatio(domain_classifier=domain_classifier)


def _cross_fitted_weights(weighting, X, sample_domain, random_state):
    """``p_target(x) / p_source(x)`` at the source rows, cross-fitted.

    A clone of the density-ratio estimator ``weighting`` is fitted on all
    folds but one (source and target rows, with their ``sample_domain``) and
    weighs the held-out fold's source rows, so that no row is weighed by an
    estimator that saw it (a domain classifier would memorise it).
    """
    is_target = sample_domain < 0
    n_target = int(is_target.sum())
    n_folds = min(5, n_target, is_target.size - n_target)
    if n_folds < 2:
        ratio = clone(weighting).fit(X, sample_domain=sample_domain)
        return ratio.compute_weights(_safe_indexing(X, np.flatnonzero(~is_target)))
    weights = np.empty(is_target.size)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=random_state)
    for train, test in folds.split(np.zeros((is_target.size, 1)), is_target):
        ratio = clone(weighting).fit(
            _safe_indexing(X, train), sample_domain=sample_domain[train]
        )
        source_test = test[~is_target[test]]
        weights[source_test] = ratio.compute_weights(_safe_indexing(X, source_test))
    return weights[~is_target]


class SupervisedTargetScorer(_TransferScorer):
    """Score on the labeled target rows of the test fold only.

    Source rows and unlabeled target rows are left out (``y = -1`` for a
    classifier, ``y = nan`` for a regressor, where ``-1.0`` is a value); the
    rest is scored with ``scoring``. Use it with
    :class:`TargetKFold`, whose test folds are labeled target rows.

    Parameters
    ----------
    scoring : str, callable or None, default=None
        A scikit-learn scoring name or scorer ``scorer(estimator, X, y)``
        applied to the labeled target rows; ``None`` uses the estimator's
        ``score`` (accuracy for classifiers, R^2 for regressors).

    See Also
    --------
    TargetKFold : Folds over the labeled target rows.

    Notes
    -----
    With metadata routing on, the scorer receives each test fold's
    ``sample_domain`` and keeps its labeled target rows. With routing off it
    receives none and takes **every row of the test fold for a target row**,
    so pair it with :class:`TargetKFold` (whose test folds hold labeled
    target rows only): with an ordinary splitter it would score source rows.

    A test fold with no target row, or with target rows that are all
    unlabeled, raises a ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import SupervisedTargetScorer
    >>> X = np.array([[0.0], [1.0], [0.1], [0.9]])
    >>> y = np.array([0, 1, 1, 1])
    >>> clf = LogisticRegression().fit(X[:2], y[:2])
    >>> SupervisedTargetScorer()(clf, X, y, sample_domain=[1, 1, -1, -1])
    0.5
    """

    _parameter_constraints: dict = {
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
    }

    def __init__(self, scoring=None):
        self.scoring = scoring

    def __call__(self, estimator, X, y, sample_domain=None):
        """Score ``estimator`` on the labeled target rows of ``X``.

        Parameters
        ----------
        estimator : estimator
            The fitted estimator.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the test fold.
        y : array-like of shape (n_samples,)
            Their labels, with the unlabeled marker on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Their domains; ``None`` takes every row for a target row.

        Returns
        -------
        score : float
        """
        self._validate_params()
        y = self._check_y(y)
        sample_domain = self._domains(
            X, sample_domain, need_source=False, splitters="TargetKFold"
        )
        regression = is_regressor(estimator)
        rows = (sample_domain < 0) & labeled_mask(
            y, sample_domain, regression=regression
        )
        if not rows.any():
            raise ValueError(
                "SupervisedTargetScorer got a test fold whose target rows are all "
                "unlabeled, so there is nothing to score. Use TargetKFold, whose "
                "test folds are labeled target rows, or an unsupervised scorer."
            )
        scorer = check_scoring(estimator, scoring=self.scoring)
        return float(scorer(estimator, _safe_indexing(X, rows), y[rows]))


class _TargetProbabilityScorer(_TransferScorer):
    """Base of the scorers that read only the class probabilities of target rows.

    Subclasses implement ``_score_proba(proba)``; ``_target_rows`` chooses
    the rows whose probabilities are scored.
    """

    def _target_rows(self, X, sample_domain):
        sample_domain = self._domains(
            X,
            sample_domain,
            need_source=False,
            splitters="TargetKFold or SourceTargetShuffleSplit",
        )
        return np.flatnonzero(sample_domain < 0)

    def __call__(self, estimator, X, y=None, sample_domain=None):
        """Score ``estimator``'s class probabilities on the target rows.

        Parameters
        ----------
        estimator : classifier
            The fitted classifier, with ``predict_proba``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the test fold.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        sample_domain : array-like of shape (n_samples,), default=None
            Their domains; ``None`` takes every row for a target row.

        Returns
        -------
        score : float
            Higher is better; the class docstring gives its range.
        """
        self._validate_params()
        _check_proba(estimator, type(self).__name__)
        rows = self._target_rows(X, sample_domain)
        proba = estimator.predict_proba(_safe_indexing(X, rows))
        return float(self._score_proba(np.asarray(proba, dtype=np.float64)))


class PredictionEntropyScorer(_TargetProbabilityScorer):
    """Negative mean entropy of the predicted class probabilities on target rows.

    A model that is confident on the target scores high. It needs no target
    label, but confidence is not accuracy: a model can be confidently wrong,
    and the criterion favours models that over-fit (weak regularisation), so
    use it to compare adaptations of similar capacity, and with care.

    See Also
    --------
    ImportanceWeightedScorer, CircularValidationScorer

    Notes
    -----
    Every target row of the test fold is used, labeled or not. With metadata
    routing off the scorer receives no ``sample_domain`` and takes every row
    of the test fold for a target row (as :class:`TargetKFold`'s are).

    References
    ----------
    .. [1] Morerio, P., Cavazza, J. and Murino, V. "Minimal-entropy
       correlation alignment for unsupervised deep domain adaptation", ICLR
       2018 (entropy as a validation criterion).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import PredictionEntropyScorer
    >>> X = np.array([[-2.0], [2.0], [-3.0], [3.0]])
    >>> clf = LogisticRegression().fit(X[:2], [0, 1])
    >>> score = PredictionEntropyScorer()(clf, X, None, sample_domain=[1, 1, -1, -1])
    >>> bool(-np.log(2) < score < 0)
    True
    """

    def _score_proba(self, proba):
        proba = np.clip(proba, 1e-15, 1.0)
        return np.mean(np.sum(proba * np.log(proba), axis=1))


class InformationMaximizationScorer(_TargetProbabilityScorer):
    """Mutual information between the target rows and their predicted classes.

    The score is ``H(mean p) - mean H(p)``: the entropy of the average
    predicted class distribution on the target rows (high when the classes
    are predicted in balanced proportions) minus the average entropy of each
    row's prediction (low when the model is confident), an estimate of the
    mutual information between inputs and predicted labels (Krause et al.,
    2010), the objective that SHOT maximises to adapt a source model (Liang
    et al., 2020). It lies between 0 and ``log(n_classes)``. Unlike
    :class:`PredictionEntropyScorer`, it does not reward a collapsed model: a
    model that predicts the same class probabilities on every target row
    scores 0, however confident.

    See Also
    --------
    PredictionEntropyScorer : The confidence term alone.
    SoftNeighborhoodDensityScorer : Density of the predictions' neighbourhoods.

    Notes
    -----
    Every target row of the test fold is used, labeled or not. With metadata
    routing off the scorer receives no ``sample_domain`` and takes every row
    of the test fold for a target row (as :class:`TargetKFold`'s are).

    The diversity term assumes that the target classes are roughly balanced:
    under a strong label shift it favours models that spread their
    predictions more evenly than the true classes are.

    References
    ----------
    .. [1] Krause, A., Perona, P. and Gomes, R. G. "Discriminative clustering
       by regularized information maximization", NeurIPS 2010.
    .. [2] Liang, J., Hu, D. and Feng, J. "Do we really need to access the
       source data? Source hypothesis transfer for unsupervised domain
       adaptation", ICML 2020 (SHOT).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import InformationMaximizationScorer
    >>> X = np.array([[-2.0], [2.0], [-3.0], [3.0]])
    >>> sd = [1, 1, -1, -1]
    >>> im = InformationMaximizationScorer()
    >>> clf = LogisticRegression().fit(X[:2], [0, 1])
    >>> bool(0 < im(clf, X, None, sample_domain=sd) < np.log(2))
    True
    >>> collapsed = DummyClassifier().fit(X[:2], [0, 1])
    >>> print(f"{im(collapsed, X, None, sample_domain=sd):.3f}")
    0.000
    """

    def _score_proba(self, proba):
        proba = proba / proba.sum(axis=1, keepdims=True)
        diversity = entr(proba.mean(axis=0)).sum()
        confidence = entr(proba).sum(axis=1).mean()
        return max(diversity - confidence, 0.0)


class SoftNeighborhoodDensityScorer(_TargetProbabilityScorer):
    """Soft neighbourhood density (SND) of the predictions on the target rows.

    Each target row is described by its predicted class probabilities,
    scaled to unit L2 norm; the cosine similarities between a row and every
    other target row, divided by ``temperature``, go through a softmax, and
    the score is the mean entropy of those distributions (Saito et al.,
    2021). A model whose target predictions form dense clusters (each row
    has many close neighbours) scores high; one whose predictions are
    scattered scores low.

    Parameters
    ----------
    temperature : float, default=0.05
        Temperature of the softmax over the similarities (the paper's
        value); smaller looks at closer neighbours only.
    max_rows : int or None, default=2000
        At most this many target rows, drawn at random, enter the
        ``max_rows x max_rows`` similarity matrix, so that memory stays
        bounded; ``None`` uses them all.
    random_state : int, RandomState instance or None, default=None
        Draws the rows when there are more than ``max_rows``.

    See Also
    --------
    InformationMaximizationScorer : Confident and diverse predictions.
    PredictionEntropyScorer : Confident predictions.

    Notes
    -----
    Every target row of the test fold is used, labeled or not (at least 2
    are needed). With metadata routing off the scorer receives no
    ``sample_domain`` and takes every row of the test fold for a target row.

    The score lies between 0 and ``log(n - 1)`` for ``n`` target rows, so
    compare scores computed on the same rows only (as a grid search does).
    On probabilities, a collapsed model (the same prediction on every target
    row) has the densest neighbourhoods possible and the highest score, as
    does a model whose predictions are all close to uniform: compare models
    that do not collapse, or check with
    :class:`InformationMaximizationScorer`.

    References
    ----------
    .. [1] Saito, K., Kim, D., Teterwak, P., Sclaroff, S., Darrell, T. and
       Saenko, K. "Tune it the right way: unsupervised validation of domain
       adaptation via soft neighborhood density", ICCV 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.model_selection import SoftNeighborhoodDensityScorer
    >>> X, y, sd = make_domain_shift(shift="covariate", random_state=0)
    >>> clf = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    >>> snd = SoftNeighborhoodDensityScorer(random_state=0)
    >>> score = snd(clf, X, y, sample_domain=sd)
    >>> bool(0 < score < np.log((sd < 0).sum() - 1))
    True
    """

    _parameter_constraints: dict = {
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "max_rows": [Interval(Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, temperature=0.05, max_rows=2000, random_state=None):
        self.temperature = temperature
        self.max_rows = max_rows
        self.random_state = random_state

    def _target_rows(self, X, sample_domain):
        if sample_domain is not None:
            target = super()._target_rows(X, sample_domain)
        else:
            target = np.arange(_num_samples(X))
        if self.max_rows is not None and target.size > self.max_rows:
            rng = check_random_state(self.random_state)
            target = np.sort(rng.choice(target, self.max_rows, replace=False))
        if target.size < 2:
            raise ValueError(
                "SoftNeighborhoodDensityScorer needs at least 2 target rows "
                f"(each is compared with the others), got {target.size}."
            )
        return target

    def _score_proba(self, proba):
        norm = np.linalg.norm(proba, axis=1, keepdims=True)
        features = proba / np.where(norm > 0, norm, 1.0)
        logits = features @ features.T / self.temperature
        np.fill_diagonal(logits, -np.inf)
        log_p = logits - logsumexp(logits, axis=1, keepdims=True)
        np.fill_diagonal(log_p, 0.0)
        entropy = -np.sum(np.exp(log_p) * log_p, axis=1)
        # the diagonal holds exp(0) * 0 = 0: self-similarity is left out
        return entropy.mean()


class ImportanceWeightedScorer(_TransferScorer):
    """Importance-weighted validation: source loss reweighted to the target.

    Under covariate shift the target risk equals the source risk with each
    source row weighted by ``p_target(x) / p_source(x)`` (Sugiyama et al.,
    2007). The scorer estimates that ratio with a density-ratio estimator
    fitted on the test fold's rows (cross-fitted: each source row is weighed
    by an estimator fitted on the other folds, so that no row is weighed by
    an estimator that saw it), normalises the weights of the held-out source
    rows to mean 1 and returns their weighted accuracy (``loss="zero_one"``)
    or minus their weighted log-loss (``loss="log_loss"``). It needs no
    target label.

    Parameters
    ----------
    weighting : density-ratio estimator, default=None
        Estimator of the importance weights, with ``fit(X,
        sample_domain=...)`` and ``compute_weights(X)``, such as
        :class:`~sktransfer.instance.DiscriminativeDensityRatio`,
        :class:`~sktransfer.instance.KLIEP` or
        :class:`~sktransfer.instance.KernelMeanMatching`; ``None`` means a
        ``DiscriminativeDensityRatio`` whose ``domain_classifier`` is
        ``LogisticRegression(max_iter=1000)``. Cloned.
    loss : {"zero_one", "log_loss"}, default="zero_one"
        Loss weighted on the source rows; ``"log_loss"`` needs
        ``predict_proba``.
    random_state : int, RandomState instance or None, default=None
        Shuffles the cross-fitting folds of the density-ratio estimator.

    See Also
    --------
    SourceTargetShuffleSplit : Test folds with source and target rows.
    DeepEmbeddedValidationScorer : The same with a variance-reducing term.

    Notes
    -----
    The test fold must hold source rows (with labels) and target rows, as
    :class:`SourceTargetShuffleSplit`'s do, and the scorer must receive
    ``sample_domain``: with routing off it raises a ``ValueError`` (call it
    directly with ``sample_domain=`` or turn routing on).

    The model is scored by its predictions on *source* rows, so the score
    means something only for models that map every row alike (TCA, JDA,
    importance weighting, ...). A model whose ``transform`` maps new rows
    as target rows (CORAL, subspace alignment, domain-wise centering)
    predicts source rows through the wrong mapping; select such a model
    with :class:`CircularValidationScorer` or with target labels.

    References
    ----------
    .. [1] Sugiyama, M., Krauledat, M. and Müller, K.-R. "Covariate shift
       adaptation by importance weighted cross validation", JMLR 8, 2007.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.model_selection import ImportanceWeightedScorer
    >>> X, y, sd = make_domain_shift(shift="covariate", random_state=0)
    >>> clf = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    >>> score = ImportanceWeightedScorer(random_state=0)(clf, X, y, sample_domain=sd)
    >>> bool(0 <= score <= 1)
    True
    """

    _parameter_constraints: dict = {
        "weighting": [HasMethods(["fit", "compute_weights"]), None],
        "loss": [_LOSSES],
        "random_state": ["random_state"],
    }

    def __init__(self, weighting=None, loss="zero_one", random_state=None):
        self.weighting = weighting
        self.loss = loss
        self.random_state = random_state

    def __call__(self, estimator, X, y, sample_domain=None):
        """Importance-weighted score of ``estimator`` on the source rows.

        Parameters
        ----------
        estimator : classifier
            The fitted classifier.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the test fold, source and target.
        y : array-like of shape (n_samples,)
            Labels; only those of the source rows are used.
        sample_domain : array-like of shape (n_samples,)
            Their domains.

        Returns
        -------
        score : float
        """
        self._validate_params()
        if self.loss == "log_loss":
            _check_proba(estimator, "ImportanceWeightedScorer(loss='log_loss')")
        y = self._check_y(y)
        sample_domain = self._domains(
            X, sample_domain, need_source=True, splitters="SourceTargetShuffleSplit"
        )
        is_target = sample_domain < 0
        weighting = _default_weighting() if self.weighting is None else self.weighting
        weights = _cross_fitted_weights(weighting, X, sample_domain, self.random_state)
        losses = _row_losses(
            estimator, _safe_indexing(X, ~is_target), y[~is_target], self.loss
        )
        risk = np.average(losses, weights=weights)
        return float(1.0 - risk if self.loss == "zero_one" else -risk)


class DeepEmbeddedValidationScorer(_TransferScorer):
    """Deep embedded validation (DEV): importance weighting with a control variate.

    The importance weights of the held-out source rows are estimated in the
    model's own feature space (the output of every pipeline step but the
    last; the input itself for a model that is not a pipeline), where the
    domains are supposed to be aligned, and the weighted loss is corrected by
    a control variate that uses the fact that the weights average to 1,
    which lowers the variance of the estimate (You et al., 2019). The score
    is minus the estimated target risk.

    Parameters
    ----------
    domain_classifier : classifier, default=None
        Probabilistic domain classifier fitted on the embedded rows, whose
        odds give the weights (as in
        :class:`~sktransfer.instance.DiscriminativeDensityRatio`); ``None``
        means ``LogisticRegression(max_iter=1000)``. Cloned.
    loss : {"log_loss", "zero_one"}, default="log_loss"
        Loss of each source row; ``"log_loss"`` (the paper's) needs
        ``predict_proba``.
    random_state : int, RandomState instance or None, default=None
        Shuffles the cross-fitting folds of the domain classifier.

    See Also
    --------
    ImportanceWeightedScorer : Weights in the input space, no control variate.

    Notes
    -----
    Needs test folds with source and target rows
    (:class:`SourceTargetShuffleSplit`) and ``sample_domain`` (metadata
    routing on, or a direct call with ``sample_domain=``).

    The model is scored by its predictions on *source* rows, so the score
    means something only for models that map every row alike (TCA, JDA,
    importance weighting, ...). A model whose ``transform`` maps new rows
    as target rows (CORAL, subspace alignment, domain-wise centering)
    predicts source rows through the wrong mapping; select such a model
    with :class:`CircularValidationScorer` or with target labels.

    References
    ----------
    .. [1] You, K., Wang, X., Long, M. and Jordan, M. I. "Towards accurate
       model selection in deep unsupervised domain adaptation", ICML 2019.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.model_selection import DeepEmbeddedValidationScorer
    >>> X, y, sd = make_domain_shift(shift="covariate", random_state=0)
    >>> clf = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    >>> dev = DeepEmbeddedValidationScorer(random_state=0)
    >>> bool(dev(clf, X, y, sample_domain=sd) < 0)
    True
    """

    _parameter_constraints: dict = {
        "domain_classifier": [HasMethods(["fit", "predict_proba"]), None],
        "loss": [_LOSSES],
        "random_state": ["random_state"],
    }

    def __init__(self, domain_classifier=None, loss="log_loss", random_state=None):
        self.domain_classifier = domain_classifier
        self.loss = loss
        self.random_state = random_state

    def __call__(self, estimator, X, y, sample_domain=None):
        """Minus the DEV estimate of ``estimator``'s target risk.

        Parameters
        ----------
        estimator : classifier
            The fitted classifier (or pipeline ending in one).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the test fold, source and target.
        y : array-like of shape (n_samples,)
            Labels; only those of the source rows are used.
        sample_domain : array-like of shape (n_samples,)
            Their domains.

        Returns
        -------
        score : float
        """
        self._validate_params()
        if self.loss == "log_loss":
            _check_proba(estimator, "DeepEmbeddedValidationScorer(loss='log_loss')")
        y = self._check_y(y)
        sample_domain = self._domains(
            X, sample_domain, need_source=True, splitters="SourceTargetShuffleSplit"
        )
        is_target = sample_domain < 0
        if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
            Z = estimator[:-1].transform(X)
        else:
            Z = X
        weights = _cross_fitted_weights(
            _default_weighting(self.domain_classifier),
            Z,
            sample_domain,
            self.random_state,
        )
        weighted = weights * _row_losses(
            estimator, _safe_indexing(X, ~is_target), y[~is_target], self.loss
        )
        variance = np.var(weights, ddof=1) if weights.size > 1 else 0.0
        eta = -np.cov(weighted, weights, ddof=1)[0, 1] / variance if variance > 0 else 0
        return float(-(weighted.mean() + eta * weights.mean() - eta))


class CircularValidationScorer(_TransferScorer):
    """Circular (reverse) validation: transfer back and score on the source.

    The fitted model labels the test fold's target rows; a clone of it is
    then fitted on the *reverse* problem (those target rows with their
    predicted labels as the source, the fold's source rows, unlabeled, as
    the target) and scored by its accuracy on the true labels of the source
    rows. A configuration that transfers well both ways scores high
    (Bruzzone and Marconcini, 2010; Zhong et al., 2010). It needs no target
    label but refits the estimator once per call.

    See Also
    --------
    ImportanceWeightedScorer, SourceTargetShuffleSplit

    Notes
    -----
    Classification only. The reverse model is fitted with ``sample_domain``
    (``1`` on the former target rows, ``-1`` on the former source rows), as
    the forward model was, whether metadata routing is on or off. Needs test
    folds with source and target rows (:class:`SourceTargetShuffleSplit`)
    and ``sample_domain`` (routing on, or a direct call). When the model
    predicts a single class on the target, the reverse model can only predict
    that class, and the score is its share of the source rows.

    References
    ----------
    .. [1] Bruzzone, L. and Marconcini, M. "Domain adaptation problems: a
       DASVM classification technique and a circular validation strategy",
       IEEE TPAMI 32(5), 2010.
    .. [2] Zhong, E., Fan, W., Yang, Q., Verscheure, O. and Ren, J. "Cross
       validation framework to choose amongst models and datasets for
       transfer learning", ECML PKDD 2010.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.model_selection import CircularValidationScorer
    >>> from sktransfer.pipeline import LabeledRowsEstimator
    >>> X, y, sd = make_domain_shift(shift="covariate", random_state=0)
    >>> clf = LabeledRowsEstimator(LogisticRegression()).fit(X[sd > 0], y[sd > 0])
    >>> score = CircularValidationScorer()(clf, X, y, sample_domain=sd)
    >>> bool(0.5 < score <= 1)
    True
    """

    def __call__(self, estimator, X, y, sample_domain=None):
        """Accuracy of the reverse model on the test fold's source rows.

        Parameters
        ----------
        estimator : classifier
            The fitted classifier; an unfitted clone is fitted on the
            reverse problem.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of the test fold, source and target.
        y : array-like of shape (n_samples,)
            Labels; only those of the source rows are used.
        sample_domain : array-like of shape (n_samples,)
            Their domains.

        Returns
        -------
        score : float
        """
        if not is_classifier(estimator):
            raise TypeError(
                "CircularValidationScorer scores classifiers, got "
                f"{type(estimator).__name__}."
            )
        y = self._check_y(y)
        sample_domain = self._domains(
            X, sample_domain, need_source=True, splitters="SourceTargetShuffleSplit"
        )
        is_target = sample_domain < 0
        y_source = y[~is_target]
        pseudo = np.asarray(estimator.predict(_safe_indexing(X, is_target)))
        if np.unique(pseudo).size < 2:
            return float(np.mean(y_source == pseudo[0]))
        y_reverse = np.empty(y.shape[0], dtype=np.result_type(y.dtype, pseudo.dtype))
        y_reverse[is_target] = pseudo
        y_reverse[~is_target] = UNLABELED
        reverse_domain = np.where(is_target, 1, -1)
        reverse = fit_with_sample_domain(clone(estimator), X, y_reverse, reverse_domain)
        y_pred = reverse.predict(_safe_indexing(X, ~is_target))
        return float(accuracy_score(y_source, y_pred))
