"""StructuralCorrespondenceLearning (SCL)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression

from sktransfer.feature import PivotFeatureSelector, StructuralCorrespondenceLearning
from sktransfer.feature._scl import _pivot_predictors
from sktransfer.pipeline import make_transfer_pipeline

from ._data import word_counts


def sentiment_reviews(seed=0, n=400):
    """Binary words of two domains; sentiment words of one domain only.

    10 shared sentiment words, 40 sentiment words specific to each domain
    (never in the other one) and 100 shared neutral words. A review's
    sentiment raises the rate of its sentiment words, so a domain's own
    sentiment words co-occur with the shared ones. Returns ``X`` (sparse),
    the true labels, and ``sample_domain``.
    """
    rng = np.random.RandomState(seed)
    kinds = np.array(["shared"] * 10 + ["source"] * 40 + ["target"] * 40 + ["n"] * 100)
    polarity = rng.choice([-1, 1], kinds.size) * (kinds != "n")
    X, y = [], []
    for other in ("target", "source"):  # the source rows, then the target rows
        labels = rng.randint(0, 2, n)
        rate = 0.05 + 0.3 * np.outer(2 * labels - 1, polarity).clip(0)
        rate[:, kinds == other] = 0
        X.append((rng.uniform(size=rate.shape) < rate).astype(float))
        y.append(labels)
    return sp.csr_matrix(np.vstack(X)), np.concatenate(y), np.repeat([1, -1], n)


def _fit_data():
    X, y, sd = sentiment_reviews()
    return X, np.where(sd > 0, y, -1), sd


def test_scl_beats_raw_features_on_the_target():
    """Target-only sentiment words get weight through the shared pivots."""
    X, y, sd = sentiment_reviews()
    source, target = sd > 0, sd < 0
    raw = LogisticRegression(C=0.1).fit(X[source], y[source])
    raw_accuracy = raw.score(X[target], y[target])
    Z = StructuralCorrespondenceLearning().fit_transform(
        X, np.where(source, y, -1), sample_domain=sd
    )
    adapted = LogisticRegression(C=0.1).fit(Z[source], y[source])
    # about 0.80 -> 0.96 on this seed
    assert adapted.score(Z[target], y[target]) >= raw_accuracy + 0.1


def test_scl_shapes_attributes_and_sparse_output():
    X, y, sd = _fit_data()
    scl = StructuralCorrespondenceLearning().fit(X, y, sample_domain=sd)
    # the 110 words in both domains qualify; at most half of the 190 features
    assert scl.pivots_.shape == (95,)
    np.testing.assert_array_equal(
        scl.pivots_, np.flatnonzero(scl.pivot_selector_.get_support())
    )
    assert isinstance(scl.pivot_selector_, PivotFeatureSelector)
    assert scl.pivot_selector_.supervised_
    assert scl.components_.shape == (50, 190)
    assert np.all(scl.components_[:, scl.pivots_] == 0)
    np.testing.assert_allclose(
        scl.components_ @ scl.components_.T, np.eye(50), atol=1e-10
    )
    assert np.all(np.diff(scl.singular_values_) <= 0)
    Z = scl.transform(X)
    assert sp.issparse(Z) and Z.shape == (800, 240)
    np.testing.assert_array_equal(Z[:, :190].toarray(), X.toarray())
    # the SCL block has the mean row norm of the input
    block = Z[:, 190:].toarray()
    np.testing.assert_allclose(
        np.linalg.norm(block, axis=1).mean(),
        np.sqrt(np.asarray(X.multiply(X).sum(1))).mean(),
    )
    np.testing.assert_allclose(block, scl.scale_ * (X @ scl.components_.T))
    names = scl.get_feature_names_out()
    assert names[0] == "x0" and names[190] == "structuralcorrespondencelearning0"
    assert names.shape == (240,)

    projected = StructuralCorrespondenceLearning(keep_input=False, n_components=3)
    Z = projected.fit_transform(X, y, sample_domain=sd)
    assert isinstance(Z, np.ndarray) and Z.shape == (800, 3)
    assert list(projected.get_feature_names_out()) == [
        f"structuralcorrespondencelearning{i}" for i in range(3)
    ]


def test_scl_transform_reproduces_fit_transform_and_dense_equals_sparse():
    X, y, sd = _fit_data()
    scl = StructuralCorrespondenceLearning(n_components=10)
    Z = scl.fit_transform(X, y, sample_domain=sd)
    np.testing.assert_allclose(scl.transform(X).toarray(), Z.toarray(), atol=1e-12)
    # new rows alone are mapped as they are within the training rows
    np.testing.assert_allclose(
        scl.transform(X[500:510]).toarray(), Z[500:510].toarray(), atol=1e-12
    )
    dense = StructuralCorrespondenceLearning(n_components=10)
    Zd = dense.fit_transform(X.toarray(), y, sample_domain=sd)
    assert isinstance(Zd, np.ndarray)
    np.testing.assert_allclose(Zd, Z.toarray(), atol=1e-8)
    np.testing.assert_array_equal(dense.pivots_, scl.pivots_)


def test_scl_pivot_predictors_primal_equals_dual_and_ridge():
    """The closed form is ridge with an intercept, in either solve."""
    from sklearn.linear_model import Ridge

    X, _ = word_counts(n=30)  # 60 rows, 40 features
    P = (X[:, :5].toarray() > 0).astype(float)
    Xo = X[:, 5:]
    primal = _pivot_predictors(Xo, P, 0.5, dual=False)
    dual = _pivot_predictors(Xo, P, 0.5, dual=True)
    np.testing.assert_allclose(primal, dual, atol=1e-10)
    Xc = Xo.toarray() - Xo.toarray().mean(0)
    lam = 0.5 * (Xc**2).sum() / Xo.shape[1]
    ridge = Ridge(alpha=lam).fit(Xo.toarray(), P)
    np.testing.assert_allclose(primal, ridge.coef_.T, atol=1e-10)


def test_scl_without_labels_ranks_pivots_by_frequency():
    X, _, sd = _fit_data()
    scl = StructuralCorrespondenceLearning(n_pivots=20, n_components=5)
    scl.fit(X, sample_domain=sd)
    assert not scl.pivot_selector_.supervised_
    assert scl.pivots_.shape == (20,)


def test_scl_on_data_where_every_pivot_always_occurs():
    """Nothing to predict: the SCL features are zeros, not arbitrary directions."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 8))
    sd = np.repeat([1, -1], 20)
    scl = StructuralCorrespondenceLearning().fit(X, sample_domain=sd)
    np.testing.assert_array_equal(scl.singular_values_, 0.0)
    np.testing.assert_array_equal(scl.components_, 0.0)
    Z = scl.transform(X)
    assert Z.shape == (40, 12) and scl.scale_ == 1.0
    np.testing.assert_array_equal(Z, np.hstack([X, np.zeros((40, 4))]))


def test_scl_pickle_round_trip():
    X, y, sd = _fit_data()
    scl = StructuralCorrespondenceLearning(n_components=5).fit(X, y, sample_domain=sd)
    loaded = pickle.loads(pickle.dumps(scl))
    np.testing.assert_array_equal(
        loaded.transform(X).toarray(), scl.transform(X).toarray()
    )


def test_scl_in_a_transfer_pipeline():
    X, y_true, sd = sentiment_reviews(n=200)
    y = np.where(sd > 0, y_true, -1)
    pipe = make_transfer_pipeline(
        StructuralCorrespondenceLearning(), LogisticRegression(C=0.1)
    )
    with sklearn.config_context(enable_metadata_routing=True):
        pipe.fit(X, y, sample_domain=sd)
    target = sd < 0
    assert pipe.score(X[target], y_true[target]) > 0.85


def test_scl_small_data_default_n_components():
    """The default adapts to few features; an explicit too-large value raises."""
    rng = np.random.RandomState(0)
    X = (rng.uniform(size=(30, 6)) < 0.5).astype(float)
    sd = np.repeat([1, -1], 15)
    scl = StructuralCorrespondenceLearning().fit(X, sample_domain=sd)
    assert scl.pivots_.shape == (3,) and scl.components_.shape == (3, 6)
    with pytest.raises(ValueError, match=r"n_components=4 is larger than min"):
        StructuralCorrespondenceLearning(n_components=4).fit(X, sample_domain=sd)


@pytest.mark.parametrize(
    "params, X, sample_domain, match",
    [
        ({}, np.eye(4)[:, :1], None, "at least 2 features"),
        ({}, np.eye(6), [1, 1, 1, 1, 1, -1], "at least 2 target rows"),
        ({}, np.eye(6), [1, -1, -1, -1, -1, -1], "at least 2 source rows"),
        (
            {"min_frequency": 3},
            np.eye(6),
            [1, 1, 1, -1, -1, -1],
            "No feature qualifies",
        ),
        ({"n_pivots": 6}, np.ones((6, 6)), [1, 1, 1, -1, -1, -1], "Every one of the 6"),
        ({}, np.full((4, 2), np.nan), None, "NaN"),
        ({"alpha": 0.0}, np.eye(4), None, "alpha"),
    ],
)
def test_scl_bad_input(params, X, sample_domain, match):
    with pytest.raises(ValueError, match=match):
        StructuralCorrespondenceLearning(**params).fit(X, sample_domain=sample_domain)
