import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LogisticRegression

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


def test_gain_bad_input():
    X, y_true, sd = make_domain_shift(random_state=0)
    y = hide_target_labels(y_true, sd, n_labeled=1, per_class=True, random_state=0)
    with pytest.raises(ValueError, match="n_splits=5 folds of 2 labeled target"):
        transfer_gain(_pooled(), X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="needs source rows"):
        transfer_gain(_pooled(), X, y, sample_domain=-np.abs(sd), cv=2)
    with pytest.raises(ValueError, match="confidence_level must be in"):
        transfer_gain(_pooled(), X, y, sample_domain=sd, cv=2, confidence_level=95)
    with pytest.raises(ValueError, match="n_repeats must be an int"):
        transfer_gain(_pooled(), X, y, sample_domain=sd, cv=2, n_repeats=0)
