"""Pipelines that mix domain-adaptive steps with plain estimators."""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import CORAL
from sktransfer.pipeline import (
    LabeledRowsEstimator,
    TransferPipeline,
    make_transfer_pipeline,
)
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
    with pytest.warns(UserWarning, match="learns -1 as a class"):
        plain.fit(X, y, referencedomaincentering__sample_domain=sd)
    assert -1 in plain.classes_


def _caught(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if "make_transfer_pipeline" in str(w.message)]


@pytest.mark.parametrize("routing", [True, False])
def test_plain_pipeline_warns_once_at_the_users_line(shifted, routing):
    # case 15: make_pipeline(..., adapter, LogisticRegression()) with
    # sample_domain trains the classifier on the unlabeled rows; the adapter
    # sees it and says so once, pointing at this file, with the fix
    X, y, sd, _ = shifted
    pipe = make_pipeline(StandardScaler(), CORAL(), CORAL(), LogisticRegression())
    with config_context(enable_metadata_routing=routing):
        if routing:
            caught = _caught(lambda: pipe.fit(X, y, sample_domain=sd))
        else:
            params = {"coral-1__sample_domain": sd, "coral-2__sample_domain": sd}
            caught = _caught(lambda: pipe.fit(X, y, **params))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "LogisticRegression, does not take it" in message
    assert "144 unlabeled target row(s) (y = -1)" in message
    assert "LabeledRowsEstimator" in message
    assert caught[0].filename == __file__


def test_no_warning_when_the_last_step_fits_labeled_rows(shifted):
    X, y, sd, y_true = shifted
    transfer = make_transfer_pipeline(CORAL(), LogisticRegression())
    assert _caught(lambda: transfer.fit(X, y, sample_domain=sd)) == []
    # every target row labeled: nothing to warn about
    plain = make_pipeline(CORAL(), LogisticRegression())
    assert _caught(lambda: plain.fit(X, y_true, coral__sample_domain=sd)) == []


def test_transfer_pipeline_takes_sample_domain_with_routing_off(shifted):
    # case 15: with routing off, Pipeline.fit refused sample_domain
    X, y, sd, _ = shifted
    pipe = make_transfer_pipeline(
        StandardScaler(), ReferenceDomainCentering(), LogisticRegression()
    )
    assert isinstance(pipe, TransferPipeline)
    coefs = []
    for routing in (False, True):
        with config_context(enable_metadata_routing=routing):
            fitted = clone(pipe).fit(X, y, sample_domain=sd)
        coefs.append(fitted[-1].estimator_.coef_)
        np.testing.assert_array_equal(fitted.classes_, [0, 1])
    prefixed = clone(pipe).fit(
        X,
        y,
        referencedomaincentering__sample_domain=sd,
        logisticregression__sample_domain=sd,
    )
    np.testing.assert_allclose(coefs[0], coefs[1])
    np.testing.assert_allclose(coefs[0], prefixed[-1].estimator_.coef_)
    # fit_transform of a pipeline of transformers takes it too
    mapping = make_transfer_pipeline(StandardScaler(), ReferenceDomainCentering())
    Xt = mapping.fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(Xt[sd < 0].mean(axis=0), 0, atol=1e-12)
    assert not hasattr(pipe, "fit_transform") and not hasattr(mapping, "predict")
    with pytest.raises(ValueError, match="no step of the pipeline takes it"):
        make_transfer_pipeline(StandardScaler(), "passthrough").fit(X, sample_domain=sd)


def test_transfer_pipeline_in_grid_search_with_routing_off(shifted):
    X, y, sd, _ = shifted
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    grid = {"logisticregression__estimator__C": [0.01, 1.0]}
    search = GridSearchCV(pipe, grid, cv=KFold(3)).fit(X, y, sample_domain=sd)
    assert type(search.best_estimator_) is TransferPipeline
    np.testing.assert_array_equal(search.best_estimator_.classes_, [0, 1])
    # each fold is scored on its labeled rows only
    labeled = (sd > 0) | (y != -1)
    expected = []
    for train, test in KFold(3).split(X):
        model = clone(pipe).set_params(logisticregression__estimator__C=0.01)
        model.fit(X[train], y[train], sample_domain=sd[train])
        rows = test[labeled[test]]
        expected.append(model.score(X[rows], y[rows]))
    assert search.cv_results_["mean_test_score"][0] == pytest.approx(np.mean(expected))


def test_transfer_pipeline_set_output(shifted):
    pd = pytest.importorskip("pandas")
    X, y, sd, _ = shifted
    pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    pipe.set_output(transform="pandas")
    frame = pd.DataFrame(X, columns=["a", "b"])
    pipe.fit(frame, y, sample_domain=sd)
    assert isinstance(pipe[:-1].transform(frame), pd.DataFrame)
    assert pipe.predict(frame).shape == (len(y),)


def test_score_leaves_out_unlabeled_rows(shifted):
    # case 15: the unlabeled rows counted as errors in every score
    X, y, sd, _ = shifted
    labeled = (sd > 0) | (y != -1)
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    pipe.fit(X, y, sample_domain=sd)
    expected = pipe.score(X[labeled], y[labeled])
    assert pipe.score(X, y) == pytest.approx(expected)
    assert pipe[-1].score(pipe[:-1].transform(X), y) == pytest.approx(expected)
    weights = np.linspace(1, 2, len(y))
    assert pipe.score(X, y, sample_weight=weights) == pytest.approx(
        pipe.score(X[labeled], y[labeled], sample_weight=weights[labeled])
    )
    # a domain-aware last step: the pipeline drops them itself
    aware = make_transfer_pipeline(ReferenceTransferClassifier()).fit(
        X, y, sample_domain=sd
    )
    assert aware.score(X, y) == pytest.approx(aware.score(X[labeled], y[labeled]))
    with pytest.raises(ValueError, match="nothing to score"):
        pipe.score(X[~labeled], y[~labeled])


def test_score_keeps_minus_one_when_it_is_a_class():
    X = np.array([[-2.0], [-1.5], [1.5], [2.0]])
    y = np.array([-1, -1, 1, 1])
    clf = LabeledRowsEstimator().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    assert clf.score(X, [1, 1, 1, 1]) == 0.5


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


def test_regression_keeps_minus_one_as_a_value():
    # case 7: in regression only nan marks a row unlabeled
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5]
    sd = np.repeat([1, -1], 20)
    y[25:30] = -1.0
    reg = LabeledRowsEstimator(LinearRegression()).fit(X, y, sample_domain=sd)
    expected = LinearRegression().fit(X, y)
    np.testing.assert_allclose(reg.estimator_.coef_, expected.coef_)
    assert reg.score(X, y) == pytest.approx(expected.score(X, y))
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LinearRegression())
    pipe.fit(X, y, sample_domain=sd)
    assert pipe[-1].estimator_.n_features_in_ == 3
    y_nan = np.where(np.arange(40) >= 30, np.nan, y)
    assert pipe.score(X, y_nan) == pytest.approx(pipe.score(X[:30], y[:30]))


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


def test_labeled_rows_estimator_validates_its_parameter():
    with pytest.raises(ValueError, match="'estimator' parameter of LabeledRows"):
        LabeledRowsEstimator(estimator="logistic").fit(np.ones((2, 1)), [0, 1])


def test_plain_pipeline_is_not_a_transfer_pipeline():
    pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    assert isinstance(pipe, Pipeline)
    assert repr(clone(pipe)).startswith("TransferPipeline(steps=")
