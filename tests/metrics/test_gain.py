import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

from sktransfer.datasets import load_shifted_digits, make_domain_shift
from sktransfer.metrics import transfer_gain
from sktransfer.pipeline import LabeledRowsEstimator, make_transfer_pipeline
from sktransfer.utils import hide_target_labels

from .._reference import ReferenceDomainCentering


def _pooled():
    return LabeledRowsEstimator(LogisticRegression(max_iter=1000))


def test_negative_transfer_is_flagged_under_concept_shift():
    X, y_true, sd = make_domain_shift(shift="concept", severity=0.5, random_state=0)
    y = hide_target_labels(y_true, sd, n_labeled=10, per_class=True, random_state=0)
    gain = transfer_gain(_pooled(), X, y, sample_domain=sd, n_repeats=5, random_state=0)
    low, high = gain.ci_over_target_only
    assert gain.negative_transfer
    assert low < gain.gain_over_target_only < high < 0
    assert gain.gain_over_target_only < -0.3
    assert gain.score == pytest.approx(
        gain.target_only_score + gain.gain_over_target_only
    )
    assert gain.fold_scores["transfer"].shape == (25,)


def test_positive_gain_when_the_source_helps():
    X, y_true, sd = load_shifted_digits("rotation", severity=0.2, random_state=0)
    X = X / 16
    y = hide_target_labels(y_true, sd, n_labeled=5, per_class=True, random_state=0)
    gain = transfer_gain(_pooled(), X, y, sample_domain=sd, n_repeats=5, random_state=0)
    low, _ = gain.ci_over_target_only
    assert not gain.negative_transfer
    assert 0 < low < gain.gain_over_target_only
    assert gain.gain_over_source_only > 0


def test_gain_with_a_pipeline_routing_on_and_off():
    # the target is the source moved by (3, 3)
    rng = np.random.RandomState(0)
    y_true = rng.randint(2, size=300)
    X = rng.normal(size=(300, 2)) * 0.7
    X[:, 0] += 2 * y_true - 1
    sd = np.repeat([1, -1], 150)
    X[sd < 0] += 3.0
    y = hide_target_labels(y_true, sd, n_labeled=5, per_class=True, random_state=0)
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    results = []
    for routing in (True, False):
        with config_context(enable_metadata_routing=routing):
            results.append(
                transfer_gain(pipe, X, y, sample_domain=sd, n_repeats=2, random_state=0)
            )
    np.testing.assert_array_equal(
        results[0].fold_scores["transfer"], results[1].fold_scores["transfer"]
    )
    # domain-wise centering undoes the shift: far better than the source
    # model applied as is
    assert results[0].gain_over_source_only > 0.3


def _mean_shift(n_labeled=5):
    """The target is the source moved by (3, 3)."""
    rng = np.random.RandomState(0)
    y_true = rng.randint(2, size=300)
    X = rng.normal(size=(300, 2)) * 0.7
    X[:, 0] += 2 * y_true - 1
    sd = np.repeat([1, -1], 150)
    X[sd < 0] += 3.0
    y = hide_target_labels(
        y_true, sd, n_labeled=n_labeled, per_class=True, random_state=0
    )
    return X, y, sd


def test_gain_of_a_plain_estimator_is_the_pooled_model():
    # case 15: a plain LogisticRegression learnt -1 as a class, scored 0.0
    # and was flagged as negative transfer
    X, y, sd = _mean_shift()
    plain = transfer_gain(
        LogisticRegression(max_iter=1000),
        X,
        y,
        sample_domain=sd,
        n_repeats=2,
        random_state=0,
    )
    pooled = transfer_gain(
        _pooled(), X, y, sample_domain=sd, n_repeats=2, random_state=0
    )
    np.testing.assert_array_equal(
        plain.fold_scores["transfer"], pooled.fold_scores["transfer"]
    )
    assert plain.score > 0.5


@pytest.mark.parametrize("routing", [True, False])
def test_gain_of_a_plain_pipeline_fits_its_last_step_on_labeled_rows(routing):
    X, y, sd = _mean_shift()
    plain = make_pipeline(ReferenceDomainCentering(), LogisticRegression())
    transfer = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    results = []
    with config_context(enable_metadata_routing=routing), warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of a marker learnt as a class
        for model in (plain, transfer):
            results.append(
                transfer_gain(
                    model, X, y, sample_domain=sd, n_repeats=1, random_state=0
                )
            )
    np.testing.assert_array_equal(
        results[0].fold_scores["transfer"], results[1].fold_scores["transfer"]
    )
    assert results[0].score > 0.9


def test_gain_in_regression_keeps_minus_one_as_a_value():
    # case 7: -1.0 is a target value; only nan marks a row unlabeled
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, 2.0] + 0.1 * rng.normal(size=60)
    sd = np.repeat([1, -1], 30)
    y[30:45] = -1.0  # 15 of the 20 labeled target rows
    y[50:] = np.nan
    # 10 folds need 10 labeled target rows: only 5 if -1.0 were unlabeled
    gain = transfer_gain(
        LinearRegression(),
        X,
        y,
        sample_domain=sd,
        base_estimator=LinearRegression(),
        cv=10,
        n_repeats=1,
        scoring="neg_mean_absolute_error",
        random_state=0,
    )
    assert gain.fold_scores["transfer"].shape == (10,)
    assert np.isfinite(gain.score)


def test_gain_bad_input():
    X, y_true, sd = make_domain_shift(random_state=0)
    y = hide_target_labels(y_true, sd, n_labeled=1, per_class=True, random_state=0)
    with pytest.raises(ValueError, match="n_splits=5 folds of 2 labeled target"):
        transfer_gain(_pooled(), X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="needs source rows"):
        transfer_gain(_pooled(), X, y, sample_domain=-np.abs(sd), cv=2)
    with pytest.raises(ValueError, match="'confidence_level' parameter of transfer"):
        transfer_gain(_pooled(), X, y, sample_domain=sd, cv=2, confidence_level=95)
    with pytest.raises(ValueError, match="'n_repeats' parameter of transfer_gain"):
        transfer_gain(_pooled(), X, y, sample_domain=sd, cv=2, n_repeats=0)
