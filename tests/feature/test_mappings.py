"""CORAL, SubspaceAlignment and FeatureAugmentation."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import CORAL, FeatureAugmentation, SubspaceAlignment
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels

from ._data import nuisance_shift


def _scaled_target():
    """Target rows stretched along feature 1: a change of covariance."""
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 400)
    X = rng.normal(size=(400, 2))
    X[:, 0] += 2.5 * y - 1.25
    sd = np.repeat([1, -1], 200)
    X[sd < 0] = X[sd < 0] @ np.array([[0.3, 0.0], [1.2, 3.0]])
    return X, y, sd


# --- CORAL -------------------------------------------------------------------


def test_coral_matches_the_target_covariance_on_source_rows():
    X, _, sd = nuisance_shift()
    Z = CORAL(reg=1e-6).fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(
        np.cov(Z[sd > 0].T), np.cov(X[sd < 0].T), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_array_equal(Z[sd < 0], X[sd < 0])


def test_coral_transform_maps_new_rows_as_target_rows():
    X, _, sd = nuisance_shift()
    coral = CORAL().fit(X, sample_domain=sd)
    np.testing.assert_array_equal(coral.transform(X), X)
    assert coral.get_feature_names_out().tolist() == [f"x{i}" for i in range(6)]


def test_coral_in_a_pipeline_beats_source_only():
    X, y, sd = _scaled_target()
    y_seen = hide_target_labels(y, sd)
    target = sd < 0
    source_only = LogisticRegression().fit(X[~target], y[~target])
    pipe = make_transfer_pipeline(CORAL(reg=0.1), LogisticRegression())
    pipe.fit(X, y_seen, coral__sample_domain=sd, logisticregression__sample_domain=sd)
    assert pipe.score(X[target], y[target]) >= (
        source_only.score(X[target], y[target]) + 0.05
    )


def test_coral_result_does_not_depend_on_row_order():
    X, _, sd = nuisance_shift()
    order = np.random.RandomState(0).permutation(len(X))
    Z = CORAL().fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(
        CORAL().fit_transform(X[order], sample_domain=sd[order]), Z[order]
    )


def test_coral_single_target_row():
    X, _, _ = nuisance_shift()
    sd = np.where(np.arange(len(X)) == 0, -1, 1)
    with pytest.raises(ValueError, match="at least 2 target rows.*got 1"):
        CORAL().fit(X, sample_domain=sd)


# --- SubspaceAlignment -------------------------------------------------------


def test_subspace_alignment_maps_rows_by_domain():
    X, _, sd = nuisance_shift()
    sa = SubspaceAlignment(3)
    Z = sa.fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(sa.transform(X[sd < 0]), Z[sd < 0])
    expected = (X[sd > 0] - sa.source_mean_) @ sa.source_components_.T @ sa.alignment_
    np.testing.assert_allclose(Z[sd > 0], expected)


def test_subspace_alignment_beats_source_only_under_subspace_shift():
    X, y, sd = make_domain_shift(
        200, 200, shift="subspace", severity=0.8, n_features=5, random_state=0
    )

    def one_nn(Z):
        clf = KNeighborsClassifier(1).fit(Z[sd > 0], y[sd > 0])
        return clf.score(Z[sd < 0], y[sd < 0])

    Z = SubspaceAlignment(2).fit_transform(X, sample_domain=sd)
    assert one_nn(Z) >= one_nn(X) + 0.03


def test_subspace_alignment_single_domain_is_pca():
    from sklearn.decomposition import PCA

    X, _, _ = nuisance_shift()
    Z = SubspaceAlignment(2).fit_transform(X)
    Z_pca = PCA(2).fit_transform(X)
    np.testing.assert_allclose(np.abs(Z), np.abs(Z_pca), atol=1e-8)


def test_subspace_alignment_n_components_too_large():
    X, _, sd = nuisance_shift()
    with pytest.raises(ValueError, match="larger than the problem allows.*= 6"):
        SubspaceAlignment(7).fit(X, sample_domain=sd)


# --- FeatureAugmentation -----------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
def test_feature_augmentation_blocks(sparse):
    X = np.arange(12.0).reshape(4, 3)
    sd = np.array([1, -1, 1, -1])
    aug = FeatureAugmentation()
    Z = aug.fit_transform(sp.csr_matrix(X) if sparse else X, sample_domain=sd)
    Z = Z.toarray() if sparse else Z
    zeros = np.zeros(3)
    np.testing.assert_array_equal(Z[0], np.r_[X[0], X[0], zeros])
    np.testing.assert_array_equal(Z[1], np.r_[X[1], zeros, X[1]])
    np.testing.assert_array_equal(aug.transform(X[:1]), [np.r_[X[0], zeros, X[0]]])
    assert aug.get_feature_names_out()[[0, 3, 6]].tolist() == [
        "shared__x0",
        "source1__x0",
        "target1__x0",
    ]


def test_feature_augmentation_uses_target_labels():
    X, y, sd = make_domain_shift(
        200, 200, shift="concept", severity=0.8, n_features=2, random_state=0
    )
    y_seen = hide_target_labels(y, sd, n_labeled=20, per_class=True, random_state=0)
    test = (sd < 0) & (y_seen == -1)
    pooled = LogisticRegression().fit(X[y_seen != -1], y[y_seen != -1])
    pipe = make_transfer_pipeline(FeatureAugmentation(), LogisticRegression())
    pipe.fit(
        X,
        y_seen,
        featureaugmentation__sample_domain=sd,
        logisticregression__sample_domain=sd,
    )
    assert pipe.score(X[test], y[test]) >= pooled.score(X[test], y[test]) + 0.05


def test_feature_augmentation_one_target_domain():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="single target domain, got 2"):
        FeatureAugmentation().fit(X, sample_domain=[1, 1, -1, -2])
