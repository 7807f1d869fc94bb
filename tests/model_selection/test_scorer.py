import pickle

import numpy as np
import pytest
from scipy.special import entr
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC

from sktransfer.datasets import make_domain_shift
from sktransfer.instance import KLIEP, DiscriminativeDensityRatio
from sktransfer.model_selection import (
    CircularValidationScorer,
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    InformationMaximizationScorer,
    PredictionEntropyScorer,
    SoftNeighborhoodDensityScorer,
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
    InformationMaximizationScorer(),
    SoftNeighborhoodDensityScorer(random_state=0),
]
#: the scorers that look at the target rows only
TARGET_ONLY = (
    PredictionEntropyScorer,
    InformationMaximizationScorer,
    SoftNeighborhoodDensityScorer,
)
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
    [s for s in UNSUPERVISED if not isinstance(s, TARGET_ONLY)],
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


@pytest.mark.parametrize("scorer", [s() for s in TARGET_ONLY], ids=repr)
def test_target_scorers_need_probabilities(mean_shift, scorer):
    X, y, sd, _ = mean_shift
    svm = LinearSVC().fit(X[sd > 0], y[sd > 0])
    name = type(scorer).__name__
    with pytest.raises(TypeError, match=f"{name} needs class probabilities.*LinearSVC"):
        scorer(svm, X, y, sample_domain=sd)


class _ProbaIsX(ClassifierMixin, BaseEstimator):
    """A classifier whose predicted probabilities are its input rows."""

    def fit(self, X, y=None):
        self.classes_ = np.arange(np.shape(X)[1])
        return self

    def predict(self, X):
        return np.argmax(X, axis=1)

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)


class _ScatteredProba(ClassifierMixin, BaseEstimator):
    """Random, confident predictions: Dirichlet(0.3) probabilities for each row."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba(self, X):
        rng = np.random.RandomState(len(X))
        return rng.dirichlet([0.3] * self.classes_.size, size=len(X))


def test_information_maximization_by_hand():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.7, 0.3]])
    sd = np.array([-1, -1, -1, 1])  # the last row, a source row, is left out
    model = _ProbaIsX().fit(proba)
    mean = proba[:3].mean(axis=0)
    expected = entr(mean).sum() - entr(proba[:3]).sum(axis=1).mean()
    score = InformationMaximizationScorer()(model, proba, None, sample_domain=sd)
    assert score == pytest.approx(expected)
    assert score == pytest.approx(0.6909 - (0.3251 + 0.5004 + 0.6931) / 3, abs=1e-3)
    # routing off: every row is a target row
    assert InformationMaximizationScorer()(model, proba[:3]) == pytest.approx(expected)


def test_information_maximization_is_zero_for_a_constant_predictor(mean_shift):
    X, y, sd, _ = mean_shift
    im = InformationMaximizationScorer()
    prior = DummyClassifier(strategy="prior").fit(X[sd > 0], y[sd > 0])
    assert im(prior, X, y, sample_domain=sd) == pytest.approx(0.0, abs=1e-12)
    one_class = _ProbaIsX().fit(np.eye(3))
    assert im(one_class, np.tile([0.0, 1.0, 0.0], (10, 1))) == 0.0
    # confident and balanced one-hot predictions reach the maximum, log(K)
    assert im(one_class, np.eye(3)) == pytest.approx(np.log(3))


def test_soft_neighborhood_density_by_hand():
    # rows 0 and 1 predict class 0, row 2 class 1: row 0's only neighbour
    # at similarity 1 is row 1 (row 2 is at 0), and so on
    proba = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    model = _ProbaIsX().fit(proba)
    T = 0.5
    p = 1 / (1 + np.exp(-1 / T))  # softmax of (1/T, 0/T)
    close = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    expected = (2 * close + np.log(2)) / 3  # row 2: two neighbours at 0
    snd = SoftNeighborhoodDensityScorer(temperature=T)
    assert snd(model, proba, None, sample_domain=[-1, -1, -1]) == pytest.approx(
        expected
    )
    # the features are scaled to unit norm first: doubling a row changes nothing
    assert snd(model, proba * [[2.0], [1.0], [1.0]]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least 2 target rows"):
        snd(model, proba, None, sample_domain=[1, 1, -1])


def test_soft_neighborhood_density_subsamples_target_rows():
    X, y, sd = make_domain_shift(100, 300, n_classes=3, random_state=0)
    model = LogisticRegression().fit(X[sd > 0], y[sd > 0])
    full = SoftNeighborhoodDensityScorer(max_rows=None)(model, X, y, sd)
    small = SoftNeighborhoodDensityScorer(max_rows=100, random_state=0)
    assert small(model, X, y, sd) == small(model, X, y, sd)  # seeded
    assert small(model, X, y, sd) != pytest.approx(full)
    # about log(n - 1) less for n rows: the score grows with the number of rows
    assert 0 < small(model, X, y, sd) < np.log(99) < full < np.log(299)


@pytest.mark.parametrize("shift", ["covariate", "subspace"])
def test_new_criteria_rank_a_good_model_above_a_random_one(shift):
    X, y, sd = make_domain_shift(300, 300, shift=shift, n_classes=5, random_state=0)
    target = sd < 0
    good = LogisticRegression(C=100).fit(X[target], y[target])  # peeks
    rng = np.random.RandomState(0)
    # two kinds of random model: unsure everywhere (fitted on shuffled
    # labels), or sure of a random class (scattered probabilities)
    unsure = LogisticRegression().fit(X[~target], rng.permutation(y[~target]))
    scattered = _ScatteredProba().fit(X, y)
    assert good.score(X[target], y[target]) > 0.7
    assert unsure.score(X[target], y[target]) < 0.4
    assert scattered.score(X[target], y[target]) < 0.4
    im = InformationMaximizationScorer()
    assert im(good, X, y, sd) > im(unsure, X, y, sd) + 0.3
    snd = SoftNeighborhoodDensityScorer()
    assert snd(good, X, y, sd) > snd(scattered, X, y, sd) + 0.2
    # what SND misses: unsure predictions look dense (every row is close to
    # the uniform prediction)
    assert snd(unsure, X, y, sd) > snd(good, X, y, sd)


def test_information_maximization_catches_the_collapse_that_others_reward(
    mean_shift,
):
    X, y, sd, y_true = mean_shift
    y_none = np.where(sd < 0, -1, y)
    plain, centered = _plain(X, y_none, sd), _centered(X, y_none, sd)
    target = sd < 0
    # the plain model puts nearly every target row in one class, confidently
    assert np.mean(plain.predict(X[target]) == plain.predict(X[target])[0]) > 0.85
    assert centered.score(X[target], y_true[target]) > 0.8
    im = InformationMaximizationScorer()
    assert im(centered, X, y, sd) > im(plain, X, y, sd) + 0.2
    # entropy and SND are fooled: a collapsed model is confident, and its
    # predictions form one dense neighbourhood
    snd = SoftNeighborhoodDensityScorer()
    assert snd(plain, X, y, sd) > snd(centered, X, y, sd)
    assert PredictionEntropyScorer()(plain, X, y, sd) > (
        PredictionEntropyScorer()(centered, X, y, sd)
    )
    collapsed = _ProbaIsX().fit(np.eye(2))
    constant = np.tile([1.0, 0.0], (20, 1))
    assert snd(collapsed, constant) == pytest.approx(np.log(19))  # its maximum


@pytest.mark.parametrize(
    "scorer, message",
    [
        (ImportanceWeightedScorer(loss="hinge"), "'loss' parameter of Importance"),
        (DeepEmbeddedValidationScorer(loss="l2"), "'loss' parameter of DeepEmbedded"),
        (ImportanceWeightedScorer(random_state="0"), "'random_state' parameter"),
        (ImportanceWeightedScorer(weighting=LogisticRegression()), "'weighting'"),
        (SupervisedTargetScorer(scoring="accuracyy"), "'scoring' parameter"),
        (SoftNeighborhoodDensityScorer(temperature=0), "'temperature' parameter"),
        (SoftNeighborhoodDensityScorer(max_rows=1), "'max_rows' parameter"),
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
    assert repr(SoftNeighborhoodDensityScorer(temperature=0.1)) == (
        "SoftNeighborhoodDensityScorer(temperature=0.1)"
    )
