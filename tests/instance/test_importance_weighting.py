import pickle

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsRegressor

from sktransfer.instance import (
    KLIEP,
    DegenerateWeightsWarning,
    DiscriminativeDensityRatio,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    KernelMeanMatching,
)
from sktransfer.instance._importance_weighting import _solve_kmm
from sktransfer.utils._numerics import rbf_kernel

WEIGHTINGS = [
    KernelMeanMatching(),
    KLIEP(),
    DiscriminativeDensityRatio(),
]


def _covariate_shift(seed=0, n_source=200, n_target=100):
    """Shimodaira's toy problem: a cubic fitted by a line, target to the right."""
    rng = np.random.RandomState(seed)
    x_source = rng.normal(0.5, 0.5, n_source)
    x_target = rng.normal(0.0, 0.3, n_target)
    X = np.r_[x_source, x_target][:, None]
    y = -X[:, 0] + X[:, 0] ** 3 + 0.1 * rng.normal(size=X.shape[0])
    sd = np.r_[np.ones(n_source, int), -np.ones(n_target, int)]
    ratio = norm.pdf(x_source, 0.0, 0.3) / norm.pdf(x_source, 0.5, 0.5)
    return X, y, sd, ratio


@pytest.mark.parametrize(
    "weighting, correlation",
    # a linear domain classifier models a log-linear ratio, the true one here
    # is log-quadratic: it only gets the trend
    [(KernelMeanMatching(), 0.8), (KLIEP(), 0.8), (DiscriminativeDensityRatio(), 0.6)],
    ids=["KMM", "KLIEP", "discriminative"],
)
def test_weights_follow_the_true_density_ratio(weighting, correlation):
    X, _, sd, ratio = _covariate_shift()
    weighting.fit(X, sample_domain=sd)
    weights = weighting.weights_
    assert weights.shape == (200,)
    assert np.corrcoef(weights, ratio)[0, 1] > correlation
    new = weighting.compute_weights(np.array([[0.0], [1.5]]))
    assert new[0] > new[1]  # the target's centre weighs more than its far tail
    assert weighting.transform(X[:3]).shape == (3, 1)


@pytest.mark.parametrize("weighting", WEIGHTINGS, ids=lambda w: type(w).__name__)
def test_weighted_regression_beats_the_unweighted_one_on_the_target(weighting):
    errors = []
    for seed in range(3):
        X, y, sd, _ = _covariate_shift(seed)
        y_seen = np.where(sd < 0, np.nan, y)
        target = sd < 0
        weighted = ImportanceWeightedRegressor(weighting).fit(
            X, y_seen, sample_domain=sd
        )
        plain = LinearRegression().fit(X[~target], y[~target])
        errors.append(
            [
                np.mean((weighted.predict(X[target]) - y[target]) ** 2),
                np.mean((plain.predict(X[target]) - y[target]) ** 2),
            ]
        )
    weighted_error, plain_error = np.mean(errors, axis=0)
    assert weighted_error < 0.6 * plain_error


def test_kmm_reaches_the_optimum_of_its_quadratic_program():
    X, _, sd, _ = _covariate_shift(n_source=60, n_target=40)
    Xs, Xt = X[sd > 0], X[sd < 0]
    K = rbf_kernel(Xs, Xs, 1.0)
    kappa = 60 / 40 * rbf_kernel(Xs, Xt, 1.0).sum(axis=1)
    bounds = (60 * (1 - 0.1), 60 * (1 + 0.1))
    beta, objective, _ = _solve_kmm(K, kappa, 10.0, bounds, 5000, 1e-12)
    assert np.all(beta >= 0) and np.all(beta <= 10.0)
    assert bounds[0] - 1e-8 <= beta.sum() <= bounds[1] + 1e-8
    reference = minimize(
        lambda b: 0.5 * b @ K @ b - kappa @ b,
        np.ones(60),
        jac=lambda b: K @ b - kappa,
        bounds=[(0, 10.0)] * 60,
        constraints=[
            {"type": "ineq", "fun": lambda b: b.sum() - bounds[0]},
            {"type": "ineq", "fun": lambda b: bounds[1] - b.sum()},
        ],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 1000},
    )
    assert objective <= reference.fun + 1e-6 * abs(reference.fun)


def test_kliep_chooses_gamma_by_likelihood_cross_validation():
    X, _, sd, _ = _covariate_shift()
    kliep = KLIEP(gamma=[0.01, 1.0, 100.0]).fit(X, sample_domain=sd)
    results = kliep.cv_results_
    assert set(results) == {
        "params",
        "param_gamma",
        "split0_test_score",
        "split1_test_score",
        "split2_test_score",
        "split3_test_score",
        "split4_test_score",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
    }
    assert results["params"] == [{"gamma": 0.01}, {"gamma": 1.0}, {"gamma": 100.0}]
    np.testing.assert_array_equal(results["param_gamma"], [0.01, 1.0, 100.0])
    splits = np.column_stack([results[f"split{k}_test_score"] for k in range(5)])
    np.testing.assert_allclose(results["mean_test_score"], splits.mean(axis=1))
    np.testing.assert_allclose(results["std_test_score"], splits.std(axis=1))
    best = np.argmax(results["mean_test_score"])
    assert results["rank_test_score"][best] == 1
    assert kliep.gamma_ == results["param_gamma"][best]
    np.testing.assert_allclose(kliep.weights_.mean(), 1.0, rtol=1e-6)


def test_grid_search_reaches_the_weighting_hyperparameters():
    X, y, sd, _ = _covariate_shift()
    y = (y > 0).astype(int)
    y_seen = np.where(sd < 0, -1, y)
    model = ImportanceWeightedClassifier(KernelMeanMatching(), LogisticRegression())
    assert "weighting__gamma" in model.get_params()
    target = np.flatnonzero(sd < 0)
    source = np.flatnonzero(sd > 0)
    folds = [(np.r_[source, target[:50]], target[50:])]
    search = GridSearchCV(model, {"weighting__gamma": [0.5, 2.0]}, cv=folds)
    search.fit(X, y, sample_domain=sd)
    assert search.best_params_["weighting__gamma"] in (0.5, 2.0)
    assert search.best_estimator_.weighting_.gamma_ in (0.5, 2.0)
    assert y_seen.shape == y.shape


def test_without_target_rows_every_weight_is_one():
    X, y, _, _ = _covariate_shift()
    for weighting in WEIGHTINGS:
        weighting.fit(X)
        np.testing.assert_array_equal(weighting.weights_, 1.0)
        np.testing.assert_array_equal(weighting.compute_weights(X), 1.0)
    plain = LinearRegression().fit(X, y)
    weighted = ImportanceWeightedRegressor(KernelMeanMatching()).fit(X, y)
    np.testing.assert_allclose(weighted.predict(X), plain.predict(X))


def test_degenerate_weights_warn():
    rng = np.random.RandomState(0)
    X_source = rng.normal(0, 1, (200, 2))
    X_source[0] = [8.0, 8.0]  # one source row sits among the target rows
    X_target = rng.normal(8, 0.1, (50, 2))
    X = np.r_[X_source, X_target]
    sd = np.r_[np.ones(200, int), -np.ones(50, int)]
    separable = DiscriminativeDensityRatio(domain_classifier=LogisticRegression(C=1e4))
    with pytest.warns(DegenerateWeightsWarning, match="effective sample size"):
        separable.fit(X, sample_domain=sd)
    assert separable.effective_sample_size_ < 2


def test_all_zero_weights_are_an_error():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 0.1, (50, 2)), rng.normal(50, 0.1, (20, 2))]
    sd = np.r_[np.ones(50, int), -np.ones(20, int)]
    with pytest.raises(ValueError, match="gave every source row zero weight"):
        KLIEP(gamma=10.0).fit(X, sample_domain=sd)


def test_final_estimator_without_sample_weight():
    X, y, sd, _ = _covariate_shift()
    model = ImportanceWeightedRegressor(estimator=KNeighborsRegressor())
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        model.fit(X, y, sample_domain=sd)


def test_regressor_refuses_class_labels():
    X, y, sd, _ = _covariate_shift()
    labels = np.where(y > 0, "up", "down")
    with pytest.raises(ValueError, match="is a regressor, but y holds class labels"):
        ImportanceWeightedRegressor().fit(X, labels, sample_domain=sd)


def test_classifier_ignores_unlabeled_target_rows_and_pickles():
    X, y, sd, _ = _covariate_shift()
    y = np.where(sd < 0, -1, (y > 0).astype(int))
    model = ImportanceWeightedClassifier(KLIEP()).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(model.classes_, [0, 1])
    np.testing.assert_allclose(model.sample_weight_.mean(), 1.0)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_discriminative_ratio_names_its_domain_classifier():
    X, _, sd, _ = _covariate_shift()
    ratio = DiscriminativeDensityRatio(domain_classifier=LogisticRegression(C=0.1))
    assert set(ratio.get_params(deep=False)) == {"domain_classifier", "clip"}
    ratio.fit(X, sample_domain=sd)
    assert ratio.domain_classifier_.C == 0.1
    assert not hasattr(ratio, "estimator_")
    with pytest.raises(TypeError):
        DiscriminativeDensityRatio(estimator=LogisticRegression())


def test_kliep_without_cross_validation_has_no_cv_results():
    X, _, sd, _ = _covariate_shift()
    assert KLIEP(gamma=1.0).fit(X, sample_domain=sd).cv_results_ is None
    assert KLIEP().fit(X, sample_domain=np.ones_like(sd)).cv_results_ is None
