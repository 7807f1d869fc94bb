"""OTMapping, EntropicOTMapping, ClassRegularizedOTMapping, LinearOTMapping."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import (
    ClassRegularizedOTMapping,
    EntropicOTMapping,
    LinearOTMapping,
    OTMapping,
)
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import _optimal_transport as ot_utils
from sktransfer.utils import hide_target_labels

MAPPINGS = [
    OTMapping(),
    EntropicOTMapping(),
    ClassRegularizedOTMapping(),
    ClassRegularizedOTMapping(penalty="l1l2"),
    LinearOTMapping(),
]
TRANSPORTS = MAPPINGS[:4]


def _ids(estimator):
    return repr(estimator)


def _affine_shift(n=200, seed=0):
    """Three class blobs; the target is the source stretched and moved away.

    Source and target come from ``make_domain_shift`` with no shift; the
    target rows are then mapped by ``x -> x L + t``, so that a classifier of
    the source rows is wrong on most target rows.
    """
    X, y, sd = make_domain_shift(
        n, n, shift="label", severity=0.0, n_classes=3, random_state=seed
    )
    X[sd < 0] = X[sd < 0] @ np.array([[1.5, 0.3], [0.0, 1.2]]) + [4.0, -3.0]
    return X, y, sd


def _one_nn_accuracy(X_train, y_train, X_test, y_test):
    return KNeighborsClassifier(1).fit(X_train, y_train).score(X_test, y_test)


@pytest.mark.parametrize("mapping", MAPPINGS, ids=_ids)
def test_mapped_source_beats_source_only(mapping):
    X, y, sd = _affine_shift()
    y_seen = hide_target_labels(y, sd, n_labeled=0)
    s, t = sd > 0, sd < 0
    Z = mapping.fit_transform(X, y_seen, sample_domain=sd)
    np.testing.assert_array_equal(Z[t], X[t])
    source_only = _one_nn_accuracy(X[s], y[s], X[t], y[t])
    adapted = _one_nn_accuracy(Z[s], y[s], X[t], y[t])
    assert source_only < 0.65
    assert adapted >= source_only + 0.1


@pytest.mark.parametrize("mapping", MAPPINGS, ids=_ids)
def test_mapped_source_moments_move_to_the_target(mapping):
    X, y, sd = _affine_shift()
    s, t = sd > 0, sd < 0
    Z = mapping.fit_transform(X, y, sample_domain=sd)
    mean_gap = np.linalg.norm(Z[s].mean(axis=0) - X[t].mean(axis=0))
    assert mean_gap < 0.02 * np.linalg.norm(X[s].mean(axis=0) - X[t].mean(axis=0))
    cov_before = np.linalg.norm(np.cov(X[s].T) - np.cov(X[t].T))
    cov_after = np.linalg.norm(np.cov(Z[s].T) - np.cov(X[t].T))
    # the entropic plans blur the rows a little: they shrink the covariance
    assert cov_after < 0.7 * cov_before


def test_exact_plan_is_a_permutation_on_equal_sizes():
    X, _, sd = _affine_shift(n=50)
    mapping = OTMapping().fit(X, sample_domain=sd)
    (G,) = mapping.couplings_
    np.testing.assert_allclose(G.sum(axis=1), 1 / 50)
    np.testing.assert_allclose(G.sum(axis=0), 1 / 50)
    assert np.count_nonzero(G > 1e-12) == 50
    # each source row lands on one target row
    Z = mapping.transform(X, sample_domain=sd)
    assert {tuple(row) for row in Z[sd > 0].round(10)} == {
        tuple(row) for row in X[sd < 0].round(10)
    }


def test_linear_map_matches_the_target_gaussian_and_pot():
    X, _, sd = _affine_shift()
    s, t = sd > 0, sd < 0
    mapping = LinearOTMapping(reg=1e-8).fit(X, sample_domain=sd)
    Z = mapping.transform(X, sample_domain=sd)
    np.testing.assert_allclose(np.cov(Z[s].T), np.cov(X[t].T), atol=1e-6)
    np.testing.assert_allclose(Z[s].mean(axis=0), X[t].mean(axis=0), atol=1e-10)
    np.testing.assert_allclose(Z[s], X[s] @ mapping.A_[0] + mapping.b_[0])
    ot = pytest.importorskip("ot")
    Cs = np.cov(X[s].T) + 1e-8 * np.eye(2)
    Ct = np.cov(X[t].T) + 1e-8 * np.eye(2)
    A, b = ot.gaussian.bures_wasserstein_mapping(
        X[s].mean(axis=0), X[t].mean(axis=0), Cs, Ct
    )
    np.testing.assert_allclose(mapping.A_[0], A, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(mapping.b_[0], np.ravel(b), rtol=1e-6, atol=1e-8)


def test_linear_map_without_bias_keeps_the_origin():
    X, _, sd = _affine_shift()
    mapping = LinearOTMapping(bias=False).fit(X, sample_domain=sd)
    np.testing.assert_array_equal(mapping.b_, 0.0)
    second = X[sd < 0].T @ X[sd < 0] / 200
    Z = mapping.transform(X, sample_domain=sd)[sd > 0]
    np.testing.assert_allclose(Z.T @ Z / 200, second, rtol=1e-4)


@pytest.mark.parametrize("mapping", MAPPINGS, ids=_ids)
def test_transform_maps_by_domain(mapping):
    X, y, sd = _affine_shift()
    Z = mapping.fit_transform(X, y, sample_domain=sd)
    # no domain: new rows are target rows, unchanged
    np.testing.assert_array_equal(mapping.transform(X), X)
    # the fitted source rows, out of sample, land where fit_transform put them
    np.testing.assert_allclose(mapping.transform(X, sample_domain=sd), Z, atol=1e-8)
    # new source rows land near the target
    X_new, _, sd_new = _affine_shift(seed=1)
    new = X_new[sd_new > 0]
    mapped = mapping.transform(new, sample_domain=np.ones(len(new), dtype=int))
    target_mean = X[sd < 0].mean(axis=0)
    before = np.linalg.norm(new.mean(axis=0) - target_mean)
    assert np.linalg.norm(mapped.mean(axis=0) - target_mean) < 0.1 * before
    assert not np.allclose(mapped, mapped[0])  # not collapsed


def test_transform_refuses_an_unseen_source_domain():
    X, _, sd = _affine_shift(n=30)
    mapping = OTMapping().fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="not on domain 2"):
        mapping.transform(X[:3], sample_domain=[2, 2, 2])


@pytest.mark.parametrize("mapping", [OTMapping(), LinearOTMapping()], ids=_ids)
def test_without_target_rows_the_map_is_the_identity(mapping):
    X, y, _ = _affine_shift(n=30)
    Z = mapping.fit_transform(X, y)
    np.testing.assert_array_equal(Z, X)
    assert mapping.source_domains_.size == 0
    np.testing.assert_array_equal(
        mapping.transform(X, sample_domain=np.ones(len(X), dtype=int)), X
    )


def test_several_source_domains_are_transported_separately():
    X, y, sd = _affine_shift()
    sd = sd.copy()
    sd[:100] = 2  # half of the source rows are a second source domain
    X[:100] += 5.0
    mapping = OTMapping().fit(X, sample_domain=sd)
    np.testing.assert_array_equal(mapping.source_domains_, [1, 2])
    assert [G.shape for G in mapping.couplings_] == [(100, 200), (100, 200)]
    Z = mapping.transform(X, sample_domain=sd)
    target_mean = X[sd < 0].mean(axis=0)
    for domain in (1, 2):
        np.testing.assert_allclose(Z[sd == domain].mean(axis=0), target_mean)


@pytest.mark.parametrize("mapping", [OTMapping(), EntropicOTMapping()], ids=_ids)
def test_max_samples_route_keeps_the_accuracy(mapping):
    X, y, sd = _affine_shift(n=400)
    s, t = sd > 0, sd < 0
    full = mapping.fit_transform(X, y, sample_domain=sd)
    sub = mapping.set_params(max_samples=100, random_state=0)
    Z = sub.fit_transform(X, y, sample_domain=sd)
    assert sub.source_rows_.shape == (100, 2)
    assert sub.target_rows_.shape == (100, 2)
    assert sub.couplings_[0].shape == (100, 100)
    np.testing.assert_array_equal(Z[t], X[t])
    # rows left out of the subsample were moved too
    assert np.all(np.linalg.norm(Z[s] - X[s], axis=1) > 0.5)
    accuracy_full = _one_nn_accuracy(full[s], y[s], X[t], y[t])
    accuracy_sub = _one_nn_accuracy(Z[s], y[s], X[t], y[t])
    assert accuracy_sub >= accuracy_full - 0.08
    assert accuracy_sub >= _one_nn_accuracy(X[s], y[s], X[t], y[t]) + 0.1


def test_same_random_state_same_subsample():
    X, _, sd = _affine_shift(n=100)
    first = OTMapping(max_samples=20, random_state=3).fit_transform(X, sample_domain=sd)
    second = OTMapping(max_samples=20, random_state=3).fit_transform(
        X, sample_domain=sd
    )
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("mapping", TRANSPORTS, ids=_ids)
def test_too_large_a_plan_raises_a_memory_error_naming_max_samples(
    mapping, monkeypatch
):
    X, y, sd = _affine_shift(n=100)
    # 100 x 100 plans need 240 kB: pretend only 100 kB are free
    monkeypatch.setattr(ot_utils, "available_memory", lambda: 100_000)
    with pytest.raises(MemoryError, match="max_samples") as info:
        mapping.fit(X, y, sample_domain=sd)
    assert type(mapping).__name__ in str(info.value)
    mapping.set_params(max_samples=50).fit(X, y, sample_domain=sd)
    assert mapping.couplings_[0].shape == (50, 50)


def test_class_regularized_needs_source_labels():
    X, _, sd = _affine_shift(n=30)
    with pytest.raises(ValueError, match="needs y, the classes of the source rows"):
        ClassRegularizedOTMapping().fit(X, sample_domain=sd)
    # without target rows it is the identity and needs no labels
    Z = ClassRegularizedOTMapping().fit_transform(X)
    np.testing.assert_array_equal(Z, X)


@pytest.mark.parametrize("penalty", ["lpl1", "l1l2"])
def test_class_regularized_single_class_and_string_labels(penalty):
    X, _, sd = _affine_shift(n=30)
    y = np.where(sd > 0, "cat", "-1").astype(object)
    mapping = ClassRegularizedOTMapping(penalty=penalty)
    Z = mapping.fit_transform(X, y, sample_domain=sd)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(
        Z[sd > 0].mean(axis=0), X[sd < 0].mean(axis=0), atol=1e-2
    )


def test_class_regularization_keeps_classes_apart():
    """With class regularization, each target row receives mass from fewer
    source classes than with the entropic plan alone."""
    X, y, sd = _affine_shift()

    def mixing(mapping):
        G = mapping.fit(X, y, sample_domain=sd).couplings_[0]
        ys = y[sd > 0]
        mass = np.stack([G[ys == c].sum(axis=0) for c in range(3)])
        return np.mean(1 - mass.max(axis=0) / mass.sum(axis=0))

    plain = mixing(EntropicOTMapping(reg_e=0.1))
    regularized = mixing(ClassRegularizedOTMapping(reg_e=0.1, reg_cl=1.0))
    assert regularized < 0.5 * plain


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_entropic_plan_gets_smoother_with_reg_e():
    X, _, sd = _affine_shift(n=50)
    sharp = EntropicOTMapping(reg_e=0.01).fit(X, sample_domain=sd).couplings_[0]
    smooth = EntropicOTMapping(reg_e=1.0).fit(X, sample_domain=sd).couplings_[0]
    assert np.count_nonzero(smooth > 1e-6) > 2 * np.count_nonzero(sharp > 1e-6)


def test_entropic_plan_stays_finite_on_a_huge_cost_scale():
    X, _, sd = _affine_shift(n=30)
    mapping = EntropicOTMapping(reg_e=1e-3, norm=None)
    # exp(-M / reg_e) underflows: Sinkhorn runs in the log domain, where it
    # converges slowly at such a small regularization, and says so
    with pytest.warns(ConvergenceWarning):
        Z = mapping.fit_transform(1e6 * X, sample_domain=sd)
    assert np.isfinite(Z).all() and np.isfinite(mapping.couplings_[0]).all()


def test_median_norm_makes_the_map_independent_of_the_scale():
    X, _, sd = _affine_shift(n=50)
    Z = EntropicOTMapping().fit_transform(X, sample_domain=sd)
    Z_scaled = EntropicOTMapping().fit_transform(1e6 * X, sample_domain=sd)
    np.testing.assert_allclose(Z_scaled, 1e6 * Z, rtol=1e-6)


def test_solver_stopping_early_warns_at_the_caller():
    X, _, sd = _affine_shift(n=30)
    with pytest.warns(ConvergenceWarning, match="max_iter=2") as record:
        EntropicOTMapping(reg_e=0.01, max_iter=2).fit(X, sample_domain=sd)
    assert record[0].filename == __file__


@pytest.mark.parametrize("mapping", MAPPINGS, ids=_ids)
def test_pickled_model_maps_the_same(mapping):
    X, y, sd = _affine_shift(n=50)
    fitted = mapping.fit(X, y, sample_domain=sd)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        restored.transform(X, sample_domain=sd), fitted.transform(X, sample_domain=sd)
    )


@pytest.mark.parametrize("routing", [False, True])
def test_in_a_transfer_pipeline_with_a_nearest_neighbour(routing):
    X, y, sd = _affine_shift()
    y_seen = hide_target_labels(y, sd, n_labeled=0)
    t = sd < 0
    source_only = _one_nn_accuracy(X[~t], y[~t], X[t], y[t])
    pipe = make_transfer_pipeline(OTMapping(), KNeighborsClassifier(1))
    with config_context(enable_metadata_routing=routing):
        pipe.fit(X, y_seen, sample_domain=sd)
        accuracy = pipe.score(X[t], y[t])
    assert accuracy >= source_only + 0.1
    # the step-prefixed spelling, with routing off
    pipe.fit(
        X,
        y_seen,
        otmapping__sample_domain=sd,
        kneighborsclassifier__sample_domain=sd,
    )
    accuracy = pipe.score(X[t], y[t])
    assert accuracy >= source_only + 0.1


def test_feature_names_and_set_output():
    pd = pytest.importorskip("pandas")
    X, _, sd = _affine_shift(n=30)
    frame = pd.DataFrame(X, columns=["a", "b"])
    mapping = OTMapping().set_output(transform="pandas")
    Z = mapping.fit_transform(frame, sample_domain=sd)
    assert list(Z.columns) == ["a", "b"]
    assert mapping.get_feature_names_out().tolist() == ["a", "b"]
    assert list(mapping.transform(frame, sample_domain=sd).columns) == ["a", "b"]


def test_sparse_input_is_refused():
    sp = pytest.importorskip("scipy.sparse")
    X, _, sd = _affine_shift(n=30)
    with pytest.raises(TypeError, match="dense data is required"):
        OTMapping().fit(sp.csr_matrix(X), sample_domain=sd)


def test_import_error_names_the_extra_without_pot(monkeypatch):
    monkeypatch.setitem(sys.modules, "ot", None)
    X, _, sd = _affine_shift(n=30)
    with pytest.raises(ImportError, match=r"sktransfer\[ot\]"):
        OTMapping().fit(X, sample_domain=sd)
    # the identity map of a plain fit and the linear map need no POT
    OTMapping().fit(X)
    LinearOTMapping().fit(X, sample_domain=sd)


def test_importing_the_family_does_not_import_pot():
    code = "import sys, sktransfer.feature; print('ot' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
