"""Degenerate data: a clear error or a documented fallback, never a silent (n, 0)."""

import numpy as np
import pytest

from sktransfer.feature import (
    CORAL,
    DomainInvariantFeatureSelector,
    JointDistributionAdaptation,
    StructuralCorrespondenceLearning,
    SubspaceAlignment,
    TransferComponentAnalysis,
)
from sktransfer.feature._scl import _pivot_predictors


def _duplicated_rows(n=20, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = np.repeat(rng.rand(1, n_features), n, axis=0)
    sample_domain = np.r_[np.ones(n // 2, int), -np.ones(n - n // 2, int)]
    y = np.r_[np.arange(n // 2) % 2, -np.ones(n - n // 2, int)]
    return X, y, sample_domain


@pytest.mark.parametrize(
    "estimator", [TransferComponentAnalysis(), JointDistributionAdaptation()]
)
def test_components_of_identical_rows_are_refused_by_name(estimator):
    X, y, sample_domain = _duplicated_rows()
    with pytest.raises(ValueError, match="no direction in which the rows vary"):
        estimator.fit_transform(X, y, sample_domain=sample_domain)


def test_subspace_alignment_needs_source_rows():
    X = np.random.RandomState(0).rand(20, 4)
    with pytest.raises(ValueError, match="SubspaceAlignment needs source rows"):
        SubspaceAlignment().fit(X, sample_domain=-np.ones(20, int))


@pytest.mark.parametrize(
    "estimator",
    [SubspaceAlignment(), CORAL(), StructuralCorrespondenceLearning()],
)
def test_identical_rows_give_finite_output(estimator):
    X, y, sample_domain = _duplicated_rows()
    Z = estimator.fit_transform(X, y, sample_domain=sample_domain)
    assert Z.shape[0] == X.shape[0] and Z.shape[1] > 0
    assert np.isfinite(Z).all()


@pytest.mark.parametrize("dual", [True, False])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_scl_ridge_on_duplicated_rows_is_solved(dual, scale):
    # the centered scatter of identical rows is zero up to rounding; its trace
    # used to set a penalty too small to keep the system positive definite
    rng = np.random.RandomState(1)
    for n_rows in range(2, 30, 3):
        X = np.repeat(rng.rand(1, 8) * scale, n_rows, axis=0)
        pivots = (rng.rand(n_rows, 3) > 0.5).astype(float)
        W = _pivot_predictors(X, pivots, 0.1, dual=dual)
        assert np.isfinite(W).all()


def test_selector_keeps_every_feature_without_both_domains():
    X = np.random.RandomState(0).rand(10, 3)
    selector = DomainInvariantFeatureSelector().fit(X, sample_domain=-np.ones(10, int))
    assert selector.get_support().all()
    with pytest.raises(ValueError, match="at least 2 source rows"):
        DomainInvariantFeatureSelector().fit(
            X, sample_domain=np.r_[1, -np.ones(9, int)]
        )
