"""Pipelines that mix domain-adaptive steps with plain estimators."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sktransfer.datasets import make_domain_shift
from sktransfer.pipeline import LabeledRowsEstimator, make_transfer_pipeline
from sktransfer.utils import hide_target_labels

from ._reference import ReferenceDomainCentering, ReferenceTransferClassifier


@pytest.fixture
def shifted():
    X, y_true, sd = make_domain_shift(
        150, 150, shift="subspace", severity=0.6, random_state=0
    )
    y = hide_target_labels(y_true, sd, n_labeled=6, random_state=0)
    return X, y, sd, y_true


def test_plain_last_step_is_wrapped_and_named_after_it():
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    assert [name for name, _ in pipe.steps] == [
        "referencedomaincentering",
        "logisticregression",
    ]
    assert isinstance(pipe.steps[-1][1], LabeledRowsEstimator)
    domain_aware = make_transfer_pipeline(ReferenceTransferClassifier())
    assert isinstance(domain_aware.steps[-1][1], ReferenceTransferClassifier)


@pytest.mark.parametrize("routing", [True, False])
def test_mapping_sees_all_rows_and_classifier_only_labeled_ones(shifted, routing):
    X, y, sd, y_true = shifted
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    with config_context(enable_metadata_routing=routing):
        if routing:
            pipe.fit(X, y, sample_domain=sd)
        else:
            pipe.fit(
                X,
                y,
                referencedomaincentering__sample_domain=sd,
                logisticregression__sample_domain=sd,
            )
    np.testing.assert_array_equal(pipe.classes_, [0, 1])
    # the mapping was fitted with the domains: new rows are centered on the target
    np.testing.assert_allclose(pipe[0].mean_, X[sd < 0].mean(axis=0))
    labeled = (sd > 0) | (y != -1)
    assert pipe[-1].estimator_.n_features_in_ == 2
    expected = LogisticRegression().fit(
        ReferenceDomainCentering().fit_transform(X, sample_domain=sd)[labeled],
        y[labeled],
    )
    np.testing.assert_allclose(pipe[-1].estimator_.coef_, expected.coef_)


def test_a_plain_pipeline_would_learn_the_marker_as_a_class(shifted):
    X, y, sd, _ = shifted
    plain = make_pipeline(ReferenceDomainCentering(), LogisticRegression())
    plain.fit(X, y, referencedomaincentering__sample_domain=sd)
    assert -1 in plain.classes_


@pytest.mark.parametrize("routing", [True, False])
def test_grid_search_over_a_transfer_pipeline(shifted, routing):
    X, y, sd, _ = shifted
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    target = np.flatnonzero((sd < 0) & (y != -1))
    cv = [(np.setdiff1d(np.arange(len(y)), half), half) for half in np.split(target, 2)]
    search = GridSearchCV(
        pipe, {"logisticregression__estimator__C": [0.01, 1.0]}, cv=cv
    )
    with config_context(enable_metadata_routing=routing):
        if routing:
            search.fit(X, y, sample_domain=sd)
        else:
            search.fit(
                X,
                y,
                referencedomaincentering__sample_domain=sd,
                logisticregression__sample_domain=sd,
            )
    assert set(search.cv_results_["param_logisticregression__estimator__C"]) == {
        0.01,
        1.0,
    }
    np.testing.assert_array_equal(search.best_estimator_.classes_, [0, 1])


def test_regression_drops_nan_target_rows():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5]
    sd = np.repeat([1, -1], 20)
    y[30:] = np.nan
    reg = LabeledRowsEstimator(LinearRegression()).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(reg.estimator_.coef_, [1.0, -2.0, 0.5])
    assert reg.score(X[:30], y[:30]) == pytest.approx(1.0)


def test_sample_weight_is_cut_to_the_labeled_rows(shifted):
    X, y, sd, _ = shifted
    weights = np.linspace(0.5, 2.0, len(y))
    clf = LabeledRowsEstimator().fit(X, y, sample_domain=sd, sample_weight=weights)
    labeled = (sd > 0) | (y != -1)
    expected = LogisticRegression().fit(
        X[labeled], y[labeled], sample_weight=weights[labeled]
    )
    np.testing.assert_allclose(clf.estimator_.coef_, expected.coef_)


def test_no_labeled_rows_is_a_clear_error():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="needs labeled target rows|no labeled rows"):
        LabeledRowsEstimator().fit(X, [-1, -1, -1, -1], sample_domain=[-1] * 4)
