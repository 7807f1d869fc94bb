"""Behaviour of JDOTClassifier, JDOTRegressor and OTLabelPropagation."""

import pickle

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sktransfer.feature import JDOTClassifier, JDOTRegressor, OTLabelPropagation
from sktransfer.pipeline import make_transfer_pipeline

pytest.importorskip("ot")


def moved_blobs(seed=0, n=200, angle=0.3, shift=(2.5, 2.0)):
    """Two balanced classes 4 apart along feature 0; the target domain is the
    source turned by ``angle`` and moved by ``shift``, the setting optimal
    transport addresses. The source's boundary cuts through a target class."""
    rng = np.random.RandomState(seed)
    y = np.tile([0, 1], n)
    X = rng.normal(size=(2 * n, 2))
    X[:, 0] += 4 * y
    sample_domain = np.repeat([1, -1], n)
    target = sample_domain < 0
    turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    X[target] = X[target] @ turn + shift
    return X, y, sample_domain


def moved_regression(seed=0, n=150):
    """``y = w . x`` on the source; the target joint distribution is the source
    one with ``x`` moved by ``shift``, so ``y_t = w . (x_t - shift)``."""
    rng = np.random.RandomState(seed)
    w, shift = np.array([1.5, -1.0]), np.array([2.0, 1.0])
    X = rng.normal(size=(2 * n, 2))
    y = X @ w + 0.1 * rng.normal(size=2 * n)
    sample_domain = np.repeat([1, -1], n)
    X[sample_domain < 0] += shift
    return X, y, sample_domain


def _hide(y, sample_domain, marker=-1):
    return np.where(sample_domain < 0, marker, y)


def _source_only_accuracy(X, y, sample_domain):
    source, target = sample_domain > 0, sample_domain < 0
    clf = LogisticRegression().fit(X[source], y[source])
    return clf.score(X[target], y[target])


# --- the effect ------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "make",
    [
        JDOTClassifier,
        OTLabelPropagation,
        lambda: OTLabelPropagation(reg_e=0.1),
    ],
    ids=["jdot", "otlp-emd", "otlp-sinkhorn"],
)
def test_classifiers_beat_source_only_on_moved_blobs(make, seed):
    X, y, sd = moved_blobs(seed)
    target = sd < 0
    source_only = _source_only_accuracy(X, y, sd)
    model = make().fit(X, _hide(y, sd), sample_domain=sd)
    accuracy = model.score(X[target], y[target])
    assert source_only < 0.8
    assert accuracy >= source_only + 0.15
    assert accuracy >= 0.9


def test_label_propagation_labels_the_target_rows():
    X, y, sd = moved_blobs(0)
    prop = OTLabelPropagation().fit(X, _hide(y, sd), sample_domain=sd)
    np.testing.assert_array_equal(prop.target_indices_, np.flatnonzero(sd < 0))
    assert prop.label_distribution_.shape == (200, 2)
    np.testing.assert_allclose(prop.label_distribution_.sum(axis=1), 1.0)
    assert (prop.target_labels_ == y[prop.target_indices_]).mean() > 0.9
    # an exact plan between equal counts is a permutation: one-hot rows
    assert set(np.unique(prop.label_distribution_)) <= {0.0, 1.0}
    soft = OTLabelPropagation(reg_e=1.0).fit(X, _hide(y, sd), sample_domain=sd)
    assert 0.0 < soft.label_distribution_.min() < 0.5


@pytest.mark.parametrize("seed", [0, 1])
def test_jdot_regressor_beats_source_only(seed):
    X, y, sd = moved_regression(seed)
    source, target = sd > 0, sd < 0
    source_only = Ridge().fit(X[source], y[source]).predict(X[target])
    reg = JDOTRegressor(alpha=1.0).fit(X, np.where(target, np.nan, y), sample_domain=sd)
    predicted = reg.predict(X[target])
    assert r2_score(y[target], source_only) < 0.0
    assert r2_score(y[target], predicted) > 0.8
    assert mean_squared_error(y[target], predicted) < 0.2 * mean_squared_error(
        y[target], source_only
    )


# --- the alternation -------------------------------------------------------------


@pytest.mark.parametrize(
    "model, data, marker",
    [
        (JDOTClassifier(LogisticRegression(C=100.0)), moved_blobs, -1),
        (JDOTRegressor(LinearRegression()), moved_regression, np.nan),
    ],
    ids=["classifier", "regressor"],
)
def test_objective_decreases_over_rounds(model, data, marker):
    X, y, sd = data(1)
    model.set_params(n_iter=8, tol=0.0).fit(X, _hide(y, sd, marker), sample_domain=sd)
    objective = model.objective_
    assert model.n_iter_ == objective.size >= 2
    assert objective[-1] < 0.9 * objective[0]
    # block coordinate descent: no round raises the cost beyond rounding
    assert np.all(np.diff(objective) <= 1e-6 * objective[0])


def test_tol_stops_the_rounds_early():
    X, y, sd = moved_blobs(0)
    loose = JDOTClassifier(n_iter=10, tol=1e9).fit(X, _hide(y, sd), sample_domain=sd)
    assert loose.n_iter_ == 2
    one = JDOTClassifier(n_iter=1).fit(X, _hide(y, sd), sample_domain=sd)
    assert one.n_iter_ == 1 and one.objective_.shape == (1,)


def test_base_without_sample_weight_is_refitted_on_argmax_labels():
    X, y, sd = moved_blobs(0)
    target = sd < 0
    clf = JDOTClassifier(KNeighborsClassifier(5)).fit(X, _hide(y, sd), sample_domain=sd)
    assert isinstance(clf.estimator_, KNeighborsClassifier)
    assert clf.score(X[target], y[target]) >= _source_only_accuracy(X, y, sd) + 0.15


def test_base_without_predict_proba_is_refused():
    X, y, sd = moved_blobs(0)
    with pytest.raises(TypeError, match="predict_proba.*SVC"):
        JDOTClassifier(SVC()).fit(X, _hide(y, sd), sample_domain=sd)
    # OT label propagation needs no probabilities
    prop = OTLabelPropagation(SVC()).fit(X, _hide(y, sd), sample_domain=sd)
    assert not hasattr(prop, "predict_proba")
    assert prop.predict(X[:3]).shape == (3,)


# --- the domain contract ---------------------------------------------------------


@pytest.mark.parametrize(
    "model, base",
    [
        (JDOTClassifier(), LogisticRegression()),
        (OTLabelPropagation(), LogisticRegression()),
        (JDOTRegressor(), Ridge()),
    ],
    ids=["jdot", "otlp", "jdot-regressor"],
)
def test_without_target_rows_it_is_the_base_estimator(model, base):
    X, y, sd = moved_blobs(0) if is_classifier(model) else (moved_regression(0))
    fitted = model.fit(X, y)
    np.testing.assert_allclose(fitted.predict(X), base.fit(X, y).predict(X))
    assert fitted.n_features_in_ == 2
    if hasattr(fitted, "n_iter_"):
        assert fitted.n_iter_ == 0


def test_labeled_target_rows_keep_their_labels():
    X, y, sd = moved_blobs(0)
    y_seen = _hide(y, sd)
    chosen = np.flatnonzero(sd < 0)[:10]
    y_seen[chosen] = 1 - y[chosen]  # deliberately wrong: kept all the same
    prop = OTLabelPropagation().fit(X, y_seen, sample_domain=sd)
    position = np.searchsorted(prop.target_indices_, chosen)
    np.testing.assert_array_equal(prop.target_labels_[position], y_seen[chosen])
    np.testing.assert_array_equal(
        prop.label_distribution_[position], np.eye(2)[y_seen[chosen]]
    )


def test_labeled_target_rows_steer_the_regressor():
    X, y, sd = moved_regression(0)
    target = np.flatnonzero(sd < 0)
    y_seen = np.where(sd < 0, np.nan, y)
    unlabeled = JDOTRegressor(n_iter=3).fit(X, y_seen, sample_domain=sd)
    y_seen[target] = 100.0  # every target row labeled with a constant
    labeled = JDOTRegressor(n_iter=3).fit(X, y_seen, sample_domain=sd)
    np.testing.assert_allclose(labeled.predict(X[target]), 100.0, atol=1e-6)
    assert not np.allclose(unlabeled.predict(X[target]), 100.0)


def test_string_labels_and_several_source_domains():
    X, y, sd = moved_blobs(0)
    sd = np.where((sd > 0) & (np.arange(sd.size) % 2 == 0), 2, sd)  # two sources
    names = np.array(["cat", "dog"], dtype=object)[y]
    y_seen = np.where(sd < 0, "-1", names)
    for model in (JDOTClassifier(), OTLabelPropagation()):
        model.fit(X, y_seen, sample_domain=sd)
        assert list(model.classes_) == ["cat", "dog"]
        assert (model.predict(X[sd < 0]) == names[sd < 0]).mean() > 0.9
        assert model.predict_proba(X[:4]).shape == (4, 2)


# --- large data ------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [JDOTClassifier(n_iter=3), OTLabelPropagation(), JDOTRegressor(n_iter=3)],
    ids=["jdot", "otlp", "jdot-regressor"],
)
def test_max_samples_transports_a_subsample(model, monkeypatch):
    from sktransfer.utils import _optimal_transport

    regression = is_regressor(model)
    if regression:
        X, y, sd = moved_regression(0, n=3000)
        y_seen = np.where(sd < 0, np.nan, y)
    else:
        X, y, sd = moved_blobs(0, n=3000)
        y_seen = _hide(y, sd)
    # enough memory for 300 x 300, not for 3000 x 3000
    monkeypatch.setattr(_optimal_transport, "available_memory", lambda: 10**7)
    with pytest.raises(MemoryError, match="max_samples"):
        model.fit(X, y_seen, sample_domain=sd)
    model.set_params(max_samples=300, random_state=0).fit(X, y_seen, sample_domain=sd)
    target = sd < 0
    predicted = model.predict(X[target])
    assert predicted.shape == (3000,)
    if regression:
        assert r2_score(y[target], predicted) > 0.8
    else:
        assert (predicted == y[target]).mean() > 0.9
    if isinstance(model, OTLabelPropagation):
        assert model.target_indices_.shape == (300,)
        assert np.all(sd[model.target_indices_] < 0)


@pytest.mark.parametrize(
    "model", [JDOTClassifier(), OTLabelPropagation(), JDOTRegressor()]
)
def test_memory_error_names_max_samples(model, monkeypatch):
    from sktransfer.utils import _optimal_transport

    monkeypatch.setattr(_optimal_transport, "available_memory", lambda: 1000)
    X, y, sd = moved_blobs(0, n=50)
    if is_regressor(model):
        y = np.where(sd < 0, np.nan, X[:, 0])
    else:
        y = _hide(y, sd)
    with pytest.raises(MemoryError, match=r"max_samples=\d+"):
        model.fit(X, y, sample_domain=sd)


# --- persistence and pipelines ---------------------------------------------------


@pytest.mark.parametrize(
    "model", [JDOTClassifier(), OTLabelPropagation(), JDOTRegressor()]
)
def test_pickle_round_trip(model):
    X, y, sd = moved_blobs(0, n=60)
    if is_regressor(model):
        y = np.where(sd < 0, np.nan, X[:, 0])
    else:
        y = _hide(y, sd)
    model.fit(X, y, sample_domain=sd)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_in_a_transfer_pipeline():
    X, y, sd = moved_blobs(0)
    target = sd < 0
    pipe = make_transfer_pipeline(StandardScaler(), JDOTClassifier())
    pipe.fit(X, _hide(y, sd), sample_domain=sd)
    assert pipe.score(X[target], y[target]) >= _source_only_accuracy(X, y, sd) + 0.15
    assert pipe[-1].n_iter_ >= 1
