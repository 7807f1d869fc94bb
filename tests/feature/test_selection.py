"""DomainInvariantFeatureSelector and PivotFeatureSelector."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from scipy.stats import false_discovery_control, ks_2samp
from sklearn.feature_selection import mutual_info_classif
from sklearn.linear_model import LogisticRegression

from sktransfer.feature import DomainInvariantFeatureSelector, PivotFeatureSelector
from sktransfer.feature._selection import (
    _adjust_pvalues,
    _binary_mutual_information,
    _ks_test,
)
from sktransfer.pipeline import make_transfer_pipeline

from ._data import word_counts


def _gaussian_shift(seed=0, n=300, n_features=20, shifted=(0, 1, 2)):
    """Gaussian features; those in ``shifted`` move by one standard deviation."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(2 * n, n_features))
    sd = np.repeat([1, -1], n)
    X[np.ix_(sd < 0, list(shifted))] += 1.0
    return X, sd


# --- DomainInvariantFeatureSelector: statistics ---------------------------------


def test_ks_matches_scipy_dense_and_sparse():
    """Ties, negative values, an all-zero column and a dense column."""
    rng = np.random.RandomState(0)
    X = rng.poisson(0.4, size=(300, 30)) * rng.choice([-1.0, 1.0, 0.5], (300, 30))
    X[:, 3] = 0
    X[:150, 4] = 0
    X[:, 5] = rng.normal(size=300)
    Xs, Xt = X[:130], X[130:]
    expected = ks_2samp(Xs, Xt, axis=0, method="asymp")
    for a, b in ((Xs, Xt), (sp.csr_matrix(Xs), sp.csc_matrix(Xt))):
        stats, pvalues = _ks_test(a, b)
        np.testing.assert_allclose(stats, expected.statistic, atol=1e-10)
        np.testing.assert_allclose(pvalues, expected.pvalue, atol=1e-9)


def test_holm_and_bh_adjustments():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # Holm by hand: sorted 0.005, 0.01, 0.03, 0.04, 0.5 times 5, 4, 3, 2, 1,
    # then made non-decreasing
    np.testing.assert_allclose(
        _adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, 0.025, 0.5]
    )
    np.testing.assert_allclose(_adjust_pvalues(p, "bonferroni"), np.minimum(1, 5 * p))
    np.testing.assert_allclose(_adjust_pvalues(p, "fdr_bh"), false_discovery_control(p))


# --- DomainInvariantFeatureSelector: selection ----------------------------------


@pytest.mark.parametrize("statistic", ["ks", "mean_difference"])
def test_selector_drops_the_shifted_features(statistic):
    X, sd = word_counts()
    selector = DomainInvariantFeatureSelector(30, statistic=statistic)
    support = selector.fit(X, sample_domain=sd).get_support()
    assert not support[:10].any()
    assert selector.transform(X).shape == (200, 30)


@pytest.mark.parametrize("statistic", ["ks", "mean_difference"])
def test_default_drops_exactly_the_significantly_shifted(statistic):
    X, sd = _gaussian_shift()
    selector = DomainInvariantFeatureSelector(statistic=statistic)
    support = selector.fit(X, sample_domain=sd).get_support()
    np.testing.assert_array_equal(np.flatnonzero(~support), [0, 1, 2])
    assert (selector.pvalues_[:3] < 1e-6).all()
    assert (selector.pvalues_[3:] > 0.05 / 20).all()


def test_default_keeps_everything_without_shift():
    rng = np.random.RandomState(1)
    X = rng.poisson(0.5, size=(400, 30)).astype(float)
    sd = np.repeat([1, -1], 200)
    selector = DomainInvariantFeatureSelector().fit(sp.csr_matrix(X), sample_domain=sd)
    assert selector.get_support().all()


def test_default_on_word_counts_drops_the_domain_specific_words():
    X, sd = word_counts(n=300)
    support = DomainInvariantFeatureSelector().fit(X, sample_domain=sd).get_support()
    assert not support[:10].any()
    assert support[10:].all()


def test_alpha_and_correction_order_the_drops():
    X, sd = _gaussian_shift(n=60, shifted=range(10))
    kept = {
        (alpha, correction): DomainInvariantFeatureSelector(
            alpha=alpha, correction=correction
        )
        .fit(X, sample_domain=sd)
        .get_support()
        .sum()
        for alpha in (0.001, 0.05)
        for correction in ("bonferroni", "holm", "fdr_bh")
    }
    for alpha in (0.001, 0.05):
        assert kept[alpha, "bonferroni"] >= kept[alpha, "holm"] >= kept[alpha, "fdr_bh"]
    assert kept[0.001, "holm"] >= kept[0.05, "holm"]
    assert (
        DomainInvariantFeatureSelector(alpha=0)
        .fit(X, sample_domain=sd)
        .get_support()
        .all()
    )


def test_every_feature_shifted_keeps_the_least_shifted_with_a_warning():
    X, sd = _gaussian_shift(n=100, n_features=3, shifted=(0, 1, 2))
    X[sd < 0, 1] += 5.0
    X[sd < 0, 2] += 2.0
    selector = DomainInvariantFeatureSelector(max_dropped=1.0)
    with pytest.warns(UserWarning, match="3 of the 3 features shift"):
        selector.fit(X, sample_domain=sd)
    np.testing.assert_array_equal(selector.get_support(), [True, False, False])


def test_a_widespread_shift_drops_at_most_max_dropped():
    # 8 of 10 features shift: the test would drop 8, the default cap drops 5
    X, sd = _gaussian_shift(n=200, n_features=10, shifted=tuple(range(8)))
    with pytest.warns(UserWarning, match="8 of the 10 features shift"):
        selector = DomainInvariantFeatureSelector().fit(X, sample_domain=sd)
    support = selector.get_support()
    assert support.sum() == 5
    assert support[8:].all()  # the unshifted features are among those kept
    assert (
        selector.set_params(max_dropped=0.8)
        .fit(X, sample_domain=sd)
        .get_support()
        .sum()
        == 2
    )


@pytest.mark.parametrize("statistic", ["ks", "mean_difference"])
@pytest.mark.parametrize("n_features_to_select", [None, 20, 0.25])
def test_selector_sparse_equals_dense(statistic, n_features_to_select):
    X, sd = word_counts()
    params = dict(n_features_to_select=n_features_to_select, statistic=statistic)
    sparse = DomainInvariantFeatureSelector(**params).fit(X, sample_domain=sd)
    dense = DomainInvariantFeatureSelector(**params).fit(X.toarray(), sample_domain=sd)
    np.testing.assert_array_equal(sparse.get_support(), dense.get_support())
    np.testing.assert_allclose(sparse.statistics_, dense.statistics_, atol=1e-12)
    np.testing.assert_allclose(sparse.pvalues_, dense.pvalues_, atol=1e-12)
    if n_features_to_select == 0.25:
        assert sparse.get_support().sum() == 10


def test_selector_single_domain_keeps_everything():
    X, _ = word_counts()
    selector = DomainInvariantFeatureSelector().fit(X)
    assert selector.get_support().all()
    assert (selector.pvalues_ == 1).all()


def test_selector_too_many_features():
    X, sd = word_counts()
    with pytest.raises(ValueError, match="n_features_to_select=50 is larger"):
        DomainInvariantFeatureSelector(50).fit(X, sample_domain=sd)


def test_selector_single_target_row():
    X, sd = word_counts()
    sd = np.where(np.arange(200) < 199, 1, -1)
    with pytest.raises(ValueError, match="at least 2 target rows.*got 1"):
        DomainInvariantFeatureSelector().fit(X, sample_domain=sd)


# --- PivotFeatureSelector -------------------------------------------------------


def _pivot_data(seed=0, n=200):
    """Binary word indicators with known roles.

    0-2: predictive of y, frequent in both domains (the pivots);
    3-4: predictive of y, in the source only;
    5: predictive of y, in 1 target row only (rare there);
    6-9: frequent in both domains, unrelated to y.
    """
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, 2 * n)
    sd = np.repeat([1, -1], n)
    X = (rng.uniform(size=(2 * n, 10)) < 0.3).astype(float)
    for j, strength in zip(range(6), (0.9, 0.8, 0.7, 0.95, 0.95, 0.95), strict=True):
        X[:, j] = np.where(rng.uniform(size=2 * n) < strength, y, 1 - y)
    X[sd < 0, 3:6] = 0
    X[np.flatnonzero(sd < 0)[0], 5] = 1
    return X, y, sd


def test_pivots_are_frequent_in_both_domains_and_predictive():
    X, y, sd = _pivot_data()
    y_fit = np.where(sd > 0, y, -1)
    selector = PivotFeatureSelector(n_features_to_select=3)
    support = selector.fit(X, y_fit, sample_domain=sd).get_support()
    np.testing.assert_array_equal(np.flatnonzero(support), [0, 1, 2])
    assert selector.supervised_
    # the source-only words are the most predictive, but not candidates
    assert selector.scores_[3:6].min() > selector.scores_[:3].max()
    np.testing.assert_array_equal(np.flatnonzero(~selector.candidates_), [3, 4, 5])


def test_features_absent_from_the_target_are_never_pivots():
    X, y, sd = _pivot_data()
    y_fit = np.where(sd > 0, y, -1)
    selector = PivotFeatureSelector(n_features_to_select=10)
    with pytest.warns(UserWarning, match="only 7 features qualify"):
        selector.fit(X, y_fit, sample_domain=sd)
    assert not selector.get_support()[3:6].any()
    assert selector.get_support().sum() == 7
    # the default (1000 pivots) keeps every candidate, without a warning
    default = PivotFeatureSelector().fit(X, y_fit, sample_domain=sd)
    np.testing.assert_array_equal(default.get_support(), selector.candidates_)


def test_min_frequency_counts_rows_of_each_domain():
    X, y, sd = _pivot_data()
    y_fit = np.where(sd > 0, y, -1)
    # feature 5 is in exactly 1 target row; the default asks for 1% of 200 = 2
    selector = PivotFeatureSelector().fit(X, y_fit, sample_domain=sd)
    assert not selector.candidates_[5]
    selector = PivotFeatureSelector(min_frequency=1).fit(X, y_fit, sample_domain=sd)
    assert selector.candidates_[5] and not selector.candidates_[3]
    selector = PivotFeatureSelector(min_frequency=0.005).fit(X, y_fit, sample_domain=sd)
    assert selector.candidates_[5]
    np.testing.assert_allclose(selector.target_frequency_[5], 1 / 200)


def test_mutual_information_is_exact_and_uses_labeled_target_rows():
    X, y, sd = _pivot_data()
    rng = np.random.RandomState(0)
    X = X * rng.poisson(2.0, size=X.shape)  # counts: only presence matters
    y_fit = np.where(sd > 0, y, -1)
    y_fit[np.flatnonzero(sd < 0)[:30]] = y[np.flatnonzero(sd < 0)[:30]]
    labeled = y_fit != -1
    expected = mutual_info_classif(
        (X[labeled] != 0).astype(int), y[labeled], discrete_features=True
    )
    for data in (X, sp.csr_matrix(X), sp.csc_matrix(X)):
        selector = PivotFeatureSelector().fit(data, y_fit, sample_domain=sd)
        np.testing.assert_allclose(selector.scores_, expected, atol=1e-12)
    three = np.where(y == 1, rng.randint(1, 3, y.shape), 0)
    np.testing.assert_allclose(
        _binary_mutual_information(sp.csr_matrix(X), three),
        mutual_info_classif((X != 0).astype(int), three, discrete_features=True),
        atol=1e-12,
    )


def test_without_labels_ranks_by_frequency_in_the_rarer_domain():
    rng = np.random.RandomState(0)
    sd = np.repeat([1, -1], 100)
    rates = np.array([[0.9, 0.1], [0.5, 0.5], [0.3, 0.4], [0.05, 0.9], [0.6, 0.7]])
    X = rng.uniform(size=(200, 5)) < np.where(sd[:, None] > 0, rates[:, 0], rates[:, 1])
    selector = PivotFeatureSelector(n_features_to_select=2)
    support = selector.fit(X.astype(float), sample_domain=sd).get_support()
    assert not selector.supervised_
    np.testing.assert_array_equal(np.flatnonzero(support), [1, 4])
    np.testing.assert_allclose(
        selector.scores_,
        np.minimum(selector.source_frequency_, selector.target_frequency_),
    )


def test_single_domain_is_a_plain_supervised_selector():
    X, y, _ = _pivot_data()
    selector = PivotFeatureSelector(n_features_to_select=3).fit(X, y)
    expected = mutual_info_classif((X != 0).astype(int), y, discrete_features=True)
    np.testing.assert_allclose(selector.scores_, expected, atol=1e-12)
    np.testing.assert_array_equal(
        np.flatnonzero(selector.get_support()), np.sort(np.argsort(-expected)[:3])
    )


@pytest.mark.parametrize(
    ("params", "sample_domain", "message"),
    [
        ({"n_features_to_select": 11}, None, "n_features_to_select=11 is larger"),
        ({}, "one_target", "at least 2 target rows.*got 1"),
        ({"min_frequency": 500}, None, "No feature qualifies as a pivot.*500 source"),
        ({}, "no_source", "needs source rows"),
    ],
)
def test_pivot_bad_input(params, sample_domain, message):
    X, y, sd = _pivot_data()
    if sample_domain == "one_target":
        sd = np.where(np.arange(400) < 399, 1, -1)
    elif sample_domain == "no_source":
        sd = -np.ones(400, dtype=int)
    with pytest.raises(ValueError, match=message):
        PivotFeatureSelector(**params).fit(X, np.where(sd > 0, y, -1), sample_domain=sd)


def test_pivot_no_candidate_names_both_thresholds():
    X, y, sd = _pivot_data()
    with pytest.raises(ValueError, match="180 source rows and 180 target rows"):
        PivotFeatureSelector(min_frequency=0.9).fit(X, y, sample_domain=sd)


@pytest.mark.parametrize(
    "selector",
    [PivotFeatureSelector(n_features_to_select=3), DomainInvariantFeatureSelector()],
)
def test_pickle_round_trip(selector):
    X, y, sd = _pivot_data()
    X = sp.csr_matrix(X)
    fitted = selector.fit(X, np.where(sd > 0, y, -1), sample_domain=sd)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.get_support(), fitted.get_support())
    assert (restored.transform(X) != fitted.transform(X)).nnz == 0


@pytest.mark.parametrize(
    "selector",
    [PivotFeatureSelector(n_features_to_select=3), DomainInvariantFeatureSelector()],
)
def test_in_a_transfer_pipeline(selector):
    X, y, sd = _pivot_data()
    y_fit = np.where(sd > 0, y, -1)
    pipe = make_transfer_pipeline(selector, LogisticRegression())
    name = pipe.steps[0][0]
    pipe.fit(
        sp.csr_matrix(X),
        y_fit,
        **{f"{name}__sample_domain": sd, "logisticregression__sample_domain": sd},
    )
    np.testing.assert_array_equal(pipe.classes_, [0, 1])
    with sklearn.config_context(enable_metadata_routing=True):
        routed = make_transfer_pipeline(selector, LogisticRegression())
        routed.fit(sp.csr_matrix(X), y_fit, sample_domain=sd)
    np.testing.assert_array_equal(routed.predict(X[sd < 0]), pipe.predict(X[sd < 0]))
    if isinstance(selector, PivotFeatureSelector):
        assert pipe[0].get_support().sum() == 3
        assert pipe.score(X[sd < 0], y[sd < 0]) > 0.8
