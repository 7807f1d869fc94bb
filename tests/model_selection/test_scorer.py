import pickle

import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC

from sktransfer.instance import KLIEP, DiscriminativeDensityRatio
from sktransfer.model_selection import (
    CircularValidationScorer,
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    SourceTargetShuffleSplit,
    SupervisedTargetScorer,
)
from sktransfer.pipeline import LabeledRowsEstimator, make_transfer_pipeline

from .._reference import ReferenceDomainCentering, ReferenceTransferClassifier
from .conftest import make_mean_shift

UNSUPERVISED = [
    ImportanceWeightedScorer(random_state=0),
    PredictionEntropyScorer(),
    CircularValidationScorer(),
    DeepEmbeddedValidationScorer(random_state=0),
]
ALL_SCORERS = [SupervisedTargetScorer(), *UNSUPERVISED]


def _plain(X, y, sd):
    return LabeledRowsEstimator(LogisticRegression()).fit(X, y, sample_domain=sd)


def _centered(X, y, sd):
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    with config_context(enable_metadata_routing=True):
        return pipe.fit(X, y, sample_domain=sd)


def test_supervised_scorer_scores_labeled_target_rows_only(mean_shift):
    X, y, sd, y_true = mean_shift
    model = _plain(X, y, sd)
    rows = (sd < 0) & (y != -1)
    expected = np.mean(model.predict(X[rows]) == y[rows])
    assert SupervisedTargetScorer()(model, X, y, sample_domain=sd) == expected
    # routing off: every row of the fold is taken for a target row
    assert SupervisedTargetScorer()(model, X[rows], y[rows]) == expected
    balanced = SupervisedTargetScorer(scoring="balanced_accuracy")
    assert 0 <= balanced(model, X, y, sample_domain=sd) <= 1


def test_supervised_scorer_without_labeled_target_rows(mean_shift):
    X, y, sd, _ = mean_shift
    model = _plain(X, y, sd)
    unlabeled = (sd < 0) & (y == -1)
    with pytest.raises(ValueError, match="target rows are all unlabeled"):
        SupervisedTargetScorer()(model, X[unlabeled], y[unlabeled], sd[unlabeled])
    with pytest.raises(ValueError, match="needs the labels y"):
        SupervisedTargetScorer()(model, X, None, sample_domain=sd)


@pytest.mark.parametrize("scorer", ALL_SCORERS, ids=repr)
def test_scorers_refuse_a_fold_without_target_rows(mean_shift, scorer):
    X, y, sd, _ = mean_shift
    model = _plain(X, y, sd)
    source = sd > 0
    with pytest.raises(ValueError, match="no target rows"):
        scorer(model, X[source], y[source], sample_domain=sd[source])


@pytest.mark.parametrize(
    "scorer",
    [s for s in UNSUPERVISED if not isinstance(s, PredictionEntropyScorer)],
    ids=repr,
)
def test_source_scorers_need_sample_domain_and_source_rows(mean_shift, scorer):
    X, y, sd, _ = mean_shift
    model = _plain(X, y, sd)
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        scorer(model, X, y)
    target = sd < 0
    with pytest.raises(ValueError, match="no source rows"):
        scorer(model, X[target], y[target], sample_domain=sd[target])


def test_importance_weighting_estimates_the_target_accuracy():
    # y = (|x| > 1); a linear model fitted on the source (x ~ N(0, 1)) predicts
    # class 0 almost everywhere, right on the source, wrong on the target
    # (x ~ N(2, 0.5)), where nearly every row is of class 1.
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, 600), rng.normal(2, 0.5, 600)].reshape(-1, 1)
    y = (np.abs(X[:, 0]) > 1).astype(int)
    sd = np.r_[np.ones(600, int), -np.ones(600, int)]
    model = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    target = np.mean(model.predict(X[sd < 0]) == y[sd < 0])
    source = np.mean(model.predict(X[sd > 0]) == y[sd > 0])
    weighted = ImportanceWeightedScorer(random_state=0)(model, X, y, sample_domain=sd)
    assert target < 0.1 and source > 0.6
    assert abs(weighted - target) < 0.15
    log_loss = ImportanceWeightedScorer(loss="log_loss", random_state=0)
    assert log_loss(model, X, y, sample_domain=sd) < -1.0
    dev = DeepEmbeddedValidationScorer(loss="zero_one", random_state=0)
    assert abs(dev(model, X, y, sample_domain=sd) - (target - 1)) < 0.15


def test_unsupervised_scorers_prefer_the_adapted_model(mean_shift):
    X, y, sd, y_true = mean_shift
    y_none = np.where(sd < 0, -1, y)
    plain, centered = _plain(X, y_none, sd), _centered(X, y_none, sd)
    target = sd < 0
    assert centered.score(X[target], y_true[target]) > 0.8
    assert plain.score(X[target], y_true[target]) < 0.6
    # not the importance-weighted scorers: the centering model maps new rows
    # as target rows, so its predictions on source rows mean nothing
    circular = CircularValidationScorer()
    good = circular(centered, X, y_true, sample_domain=sd)
    assert good > circular(plain, X, y_true, sample_domain=sd) + 0.3
    # entropy is fooled: the plain model is confidently wrong on the target
    entropy = PredictionEntropyScorer()
    assert entropy(plain, X, y, sd) > entropy(centered, X, y, sd)


def test_entropy_prefers_confident_models(mean_shift):
    X, y, sd, _ = mean_shift
    weak = LogisticRegression(C=1e-3).fit(X[sd > 0], y[sd > 0])
    strong = LogisticRegression(C=1e3).fit(X[sd > 0], y[sd > 0])
    entropy = PredictionEntropyScorer()
    assert np.log(0.5) < entropy(weak, X, y, sd) < entropy(strong, X, y, sd) <= 0


def test_circular_validation_refits_with_routing_off(mean_shift):
    X, y, sd, y_true = mean_shift
    y_none = np.where(sd < 0, -1, y)
    model = ReferenceTransferClassifier().fit(X, y_none, sample_domain=sd)
    with config_context(enable_metadata_routing=False):
        score = CircularValidationScorer()(model, X, y_true, sample_domain=sd)
    assert score > 0.85
    with pytest.raises(TypeError, match="scores classifiers"):
        CircularValidationScorer()(ReferenceDomainCentering().fit(X), X, y, sd)


def test_circular_validation_refits_a_plain_classifier_on_labeled_rows():
    # case 15: the reverse model of a plain classifier learnt -1 as a class
    X, y, sd, y_true = make_mean_shift(shift=1.0)
    plain = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    assert np.unique(plain.predict(X[sd < 0])).size == 2  # a real reverse fit
    wrapped = _plain(X[sd > 0], y[sd > 0], sd[sd > 0])
    circular = CircularValidationScorer()
    expected = circular(wrapped, X, y_true, sample_domain=sd)
    assert circular(plain, X, y_true, sample_domain=sd) == pytest.approx(expected)


def test_supervised_scorer_keeps_minus_one_in_regression():
    # case 7: for a regressor, -1.0 is a target value, only nan is unlabeled
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    y = X @ [1.0, 2.0] + 0.1 * rng.normal(size=40)
    sd = np.repeat([1, -1], 20)
    y[20:25] = -1.0
    model = LinearRegression().fit(X, y)
    scorer = SupervisedTargetScorer(scoring="neg_mean_absolute_error")
    expected = -np.mean(np.abs(model.predict(X[20:]) - y[20:]))
    assert scorer(model, X, y, sample_domain=sd) == pytest.approx(expected)
    y[35:] = np.nan
    expected = -np.mean(np.abs(model.predict(X[20:35]) - y[20:35]))
    assert scorer(model, X, y, sample_domain=sd) == pytest.approx(expected)


def test_importance_weighting_takes_any_density_ratio_estimator(mean_shift):
    X, y, sd, _ = mean_shift
    model = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    default = ImportanceWeightedScorer(random_state=0)(model, X, y, sample_domain=sd)
    explicit = ImportanceWeightedScorer(
        DiscriminativeDensityRatio(domain_classifier=LogisticRegression(max_iter=1000)),
        random_state=0,
    )
    assert explicit(model, X, y, sample_domain=sd) == pytest.approx(default)
    kliep = ImportanceWeightedScorer(KLIEP(gamma=0.1, random_state=0), random_state=0)
    assert 0 <= kliep(model, X, y, sample_domain=sd) <= 1
    assert repr(kliep).startswith("ImportanceWeightedScorer(weighting=KLIEP(")


def test_entropy_needs_probabilities(mean_shift):
    X, y, sd, _ = mean_shift
    svm = LinearSVC().fit(X[sd > 0], y[sd > 0])
    with pytest.raises(TypeError, match="has no predict_proba"):
        PredictionEntropyScorer()(svm, X, y, sample_domain=sd)


@pytest.mark.parametrize(
    "scorer, message",
    [
        (ImportanceWeightedScorer(loss="hinge"), "'loss' parameter of Importance"),
        (DeepEmbeddedValidationScorer(loss="l2"), "'loss' parameter of DeepEmbedded"),
        (ImportanceWeightedScorer(random_state="0"), "'random_state' parameter"),
        (ImportanceWeightedScorer(weighting=LogisticRegression()), "'weighting'"),
        (SupervisedTargetScorer(scoring="accuracyy"), "'scoring' parameter"),
    ],
)
def test_bad_scorer_parameters(mean_shift, scorer, message):
    X, y, sd, _ = mean_shift
    with pytest.raises(ValueError, match=message):
        scorer(_plain(X, y, sd), X, y, sample_domain=sd)


@pytest.mark.filterwarnings("ignore::sktransfer.instance.DegenerateWeightsWarning")
def test_grid_search_routes_sample_domain_to_every_scorer(mean_shift):
    X, y, sd, _ = mean_shift
    y_none = np.where(sd < 0, -1, y)
    scoring = {type(s).__name__: s for s in UNSUPERVISED}
    search = GridSearchCV(
        ReferenceTransferClassifier(),
        {"C": [0.01, 1.0]},
        cv=SourceTargetShuffleSplit(2, random_state=0),
        scoring=scoring,
        refit=False,
        error_score="raise",
    )
    with config_context(enable_metadata_routing=True):
        search.fit(X, y_none, sample_domain=sd)
    for name in scoring:
        assert np.isfinite(search.cv_results_[f"mean_test_{name}"]).all()


def test_score_request_can_be_changed():
    scorer = SupervisedTargetScorer()
    with config_context(enable_metadata_routing=True):
        assert scorer.get_metadata_routing().score.requests == {"sample_domain": True}
        scorer.set_score_request(sample_domain=False)
        assert scorer.get_metadata_routing().score.requests == {"sample_domain": False}
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        SupervisedTargetScorer().set_score_request(sample_domain=True)


def test_scorers_pickle_and_repr():
    for scorer in ALL_SCORERS:
        again = pickle.loads(pickle.dumps(scorer))
        assert repr(again) == repr(scorer)
    assert repr(ImportanceWeightedScorer(loss="log_loss")) == (
        "ImportanceWeightedScorer(loss='log_loss')"
    )
