import os
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier

from sktransfer.datasets import make_domain_shift
from sktransfer.parameter import PriorRegularizedClassifier, PriorRegularizedRegressor
from sktransfer.utils import hide_target_labels


def _regression_data(n_source=200, n_target=40, n_labeled=20, seed=0):
    rng = np.random.RandomState(seed)
    w_source = np.array([1.0, -2.0, 0.5, 0.0])
    w_target = w_source + np.array([0.0, 0.5, 0.0, 0.8])
    Xs = rng.normal(size=(n_source, 4))
    Xt = rng.normal(size=(n_target, 4))
    ys = Xs @ w_source + 0.1 * rng.normal(size=n_source)
    yt = Xt @ w_target + 0.1 * rng.normal(size=n_target)
    X = np.vstack([Xs, Xt])
    y_true = np.r_[ys, yt]
    sd = np.r_[np.ones(n_source, int), -np.ones(n_target, int)]
    y = y_true.copy()
    y[n_source + n_labeled :] = np.nan
    return X, y, sd, y_true


def test_regressor_without_target_labels_is_the_source_model():
    X, y, sd, _ = _regression_data()
    y[sd < 0] = np.nan
    reg = PriorRegularizedRegressor(alpha=3.0).fit(X, y, sample_domain=sd)
    source = Ridge().fit(X[sd > 0], y[sd > 0])
    np.testing.assert_allclose(reg.coef_, source.coef_)
    assert reg.intercept_ == pytest.approx(source.intercept_)


def test_regressor_without_source_rows_is_ridge():
    X, y, sd, _ = _regression_data()
    target = (sd < 0) & ~np.isnan(y)
    reg = PriorRegularizedRegressor(alpha=2.0)
    reg.fit(X[target], y[target], sample_domain=-np.ones(target.sum(), int))
    ridge = Ridge(alpha=2.0).fit(X[target], y[target])
    np.testing.assert_allclose(reg.coef_, ridge.coef_, rtol=1e-10)


def test_regressor_alpha_moves_between_source_and_target():
    X, y, sd, _ = _regression_data()
    strong = PriorRegularizedRegressor(alpha=1e6).fit(X, y, sample_domain=sd)
    weak = PriorRegularizedRegressor(alpha=1e-6).fit(X, y, sample_domain=sd)
    source = Ridge().fit(X[sd > 0], y[sd > 0])
    np.testing.assert_allclose(strong.coef_, source.coef_, atol=1e-3)
    np.testing.assert_allclose(weak.coef_, [1.0, -1.5, 0.5, 0.8], atol=0.1)


def _shifted_linear_data(seed, classification, n_labeled=20, d=20):
    """Target coefficients = source ones + a moderate random shift."""
    rng = np.random.RandomState(seed)
    w_source = rng.normal(size=d)
    w_target = w_source + 0.7 * rng.normal(size=d)
    Xs, Xt = rng.normal(size=(500, d)), rng.normal(size=(400, d))
    if classification:
        ys = (Xs @ w_source + rng.logistic(size=500) > 0).astype(int)
        yt = (Xt @ w_target + rng.logistic(size=400) > 0).astype(int)
    else:
        ys = Xs @ w_source + rng.normal(size=500)
        yt = Xt @ w_target + rng.normal(size=400)
    X, y_true = np.vstack([Xs, Xt]), np.r_[ys, yt]
    sd = np.r_[np.ones(500, int), -np.ones(400, int)]
    y = y_true.astype(float) if not classification else y_true.copy()
    y[500 + n_labeled :] = np.nan if not classification else -1
    return X, y, sd, y_true


def _gains(classification, model, baseline):
    gains_source, gains_target = [], []
    for seed in range(3):
        X, y, sd, y_true = _shifted_linear_data(seed, classification)
        test = sd < 0
        test[np.flatnonzero(sd < 0)[:20]] = False  # the 20 labeled target rows
        labeled = (sd < 0) & ~test
        score = model.fit(X, y, sample_domain=sd).score(X[test], y_true[test])
        source = baseline.fit(X[sd > 0], y[sd > 0]).score(X[test], y_true[test])
        target = baseline.fit(X[labeled], y[labeled]).score(X[test], y_true[test])
        gains_source.append(score - source)
        gains_target.append(score - target)
    return np.mean(gains_source), np.mean(gains_target)


def test_regressor_beats_source_and_target_only():
    gain_source, gain_target = _gains(False, PriorRegularizedRegressor(), Ridge())
    assert gain_source > 0.05
    assert gain_target > 0.05


def test_classifier_beats_source_only_and_target_only():
    gain_source, gain_target = _gains(
        True, PriorRegularizedClassifier(), LogisticRegression()
    )
    assert gain_source > 0.01
    assert gain_target > 0.05


def _concept_data(seed=0, n_labeled=10):
    X, y_true, sd = make_domain_shift(
        300, 300, shift="concept", severity=0.7, random_state=seed
    )
    y = hide_target_labels(y_true, sd, n_labeled=n_labeled, random_state=seed)
    return X, y, sd, y_true


def test_classifier_without_source_rows_is_logistic_regression():
    X, y, sd, y_true = _concept_data()
    rows = sd < 0
    clf = PriorRegularizedClassifier(alpha=0.5, tol=1e-10)
    clf.fit(X[rows], y_true[rows], sample_domain=sd[rows])
    ref = LogisticRegression(C=2.0, tol=1e-10).fit(X[rows], y_true[rows])
    np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(clf.intercept_, ref.intercept_, rtol=1e-4, atol=1e-5)


def test_classifier_without_target_labels_is_the_source_model():
    X, y, sd, _ = _concept_data()
    y[sd < 0] = -1
    clf = PriorRegularizedClassifier().fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(clf.coef_, clf.estimator_.coef_)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.estimator_.predict_proba(X))


def test_classifier_multiclass_sparse_and_pickle():
    X, y_true, sd = make_domain_shift(
        150, 150, shift="covariate", n_classes=3, random_state=0
    )
    y = hide_target_labels(y_true, sd, n_labeled=5, random_state=0)
    clf = PriorRegularizedClassifier().fit(sp.csr_matrix(X), y, sample_domain=sd)
    dense = PriorRegularizedClassifier().fit(X, y, sample_domain=sd)
    assert clf.coef_.shape == (3, X.shape[1])
    np.testing.assert_allclose(clf.coef_, dense.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_classifier_alpha_grid_chooses_by_cross_validation():
    X, y, sd, _ = _concept_data(n_labeled=15)
    grid = (0.01, 1.0, 1e4)
    clf = PriorRegularizedClassifier(alpha=grid).fit(X, y, sample_domain=sd)
    assert clf.alpha_ in grid
    single = PriorRegularizedClassifier(alpha=clf.alpha_).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(clf.coef_, single.coef_)


def test_prefit_source_model_is_used_as_given():
    X, y, sd, _ = _concept_data()
    source = LogisticRegression(C=0.1).fit(X[sd > 0], y[sd > 0])
    y_no_target = np.where(sd < 0, -1, y)
    clf = PriorRegularizedClassifier(source, prefit=True)
    clf.fit(X, y_no_target, sample_domain=sd)
    np.testing.assert_array_equal(clf.coef_, source.coef_)
    assert clf.estimator_ is not source


def test_bad_input_errors():
    X, y, sd, _ = _concept_data()
    with pytest.raises(NotFittedError):
        PriorRegularizedClassifier(LogisticRegression(), prefit=True).fit(
            X, y, sample_domain=sd
        )
    with pytest.raises(TypeError, match="needs a linear source model with coef_"):
        PriorRegularizedClassifier(DecisionTreeClassifier()).fit(X, y, sample_domain=sd)
    y_new_class = y.copy()
    y_new_class[np.flatnonzero((sd < 0) & (y != -1))[0]] = 7
    with pytest.raises(ValueError, match=r"classes \[7\] that the source model"):
        PriorRegularizedClassifier().fit(X, y_new_class, sample_domain=sd)
    with pytest.raises(ValueError, match="prefit=True needs a fitted linear model"):
        PriorRegularizedClassifier(prefit=True).fit(X, y, sample_domain=sd)
    source = LogisticRegression().fit(X[:10, :1], y_new_class[:10] % 2)
    with pytest.raises(ValueError, match="1 coefficients per output but X has 2"):
        PriorRegularizedClassifier(source, prefit=True).fit(X, y, sample_domain=sd)


@pytest.mark.slow
def test_amazon_prior_beats_source_and_target_only():
    if not os.environ.get("SKTRANSFER_DATA"):
        pytest.skip("SKTRANSFER_DATA is not set: no Amazon reviews to test on")
    from sktransfer.benchmark import run_benchmark

    result = run_benchmark(
        "amazon",
        pairs=["books->kitchen", "dvd->electronics"],
        methods=["source_only", "target_only", "prior_logreg_cv"],
        n_target_labels=50,
        n_repeats=1,
        random_state=0,
    )
    means = {m: result.mean_accuracy(m) for m in result.methods}
    assert means["prior_logreg_cv"] > means["source_only"]
    assert means["prior_logreg_cv"] > means["target_only"] + 0.05
