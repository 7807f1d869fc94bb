import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import rbf_kernel as sklearn_rbf_kernel

from sktransfer.instance import KLIEP, KernelMeanMatching
from sktransfer.metrics import mmd_permutation_test
from sktransfer.utils import _numerics
from sktransfer.utils._numerics import (
    median_heuristic_gamma,
    rbf_kernel,
    squared_norms,
    stack_rows,
)


@pytest.fixture
def rows():
    rng = np.random.RandomState(0)
    return rng.normal(size=(7, 4)), rng.normal(1, 2, size=(5, 4))


@pytest.mark.parametrize("sparse_X", [False, True])
@pytest.mark.parametrize("sparse_Y", [False, True])
def test_rbf_kernel_matches_scikit_learn_in_blocks(
    rows, monkeypatch, sparse_X, sparse_Y
):
    X, Y = rows
    monkeypatch.setattr(_numerics, "CHUNK_SIZE", 3)
    expected = sklearn_rbf_kernel(X, Y, gamma=0.2)
    X_in = sp.csr_matrix(X) if sparse_X else X
    Y_in = sp.csr_matrix(Y) if sparse_Y else Y
    np.testing.assert_allclose(rbf_kernel(X_in, Y_in, 0.2), expected, rtol=1e-12)
    out = np.empty((7, 5), dtype=np.float32)
    K = rbf_kernel(X_in, Y_in, 0.2, Y_norms=squared_norms(Y), out=out)
    assert K is out
    np.testing.assert_allclose(K, expected, rtol=1e-5)


def test_rbf_kernel_is_one_on_equal_rows(rows):
    X = 1e4 + rows[0]
    K = rbf_kernel(X, X, 1.0)
    np.testing.assert_array_equal(np.diag(K) <= 1.0, True)
    np.testing.assert_allclose(np.diag(K), 1.0)


def test_stack_rows_is_sparse_when_any_block_is(rows):
    X, Y = rows
    np.testing.assert_array_equal(stack_rows(X, Y), np.vstack([X, Y]))
    stacked = stack_rows(X, sp.csr_matrix(Y))
    assert sp.issparse(stacked) and stacked.format == "csr"
    np.testing.assert_array_equal(stacked.toarray(), np.vstack([X, Y]))


@pytest.mark.parametrize("sparse", [False, True])
def test_median_heuristic_leaves_out_duplicated_rows(rows, sparse):
    distinct = 100 * rows[0]
    repeated = np.repeat(distinct, 20, axis=0)
    pairs = np.triu_indices(len(distinct), 1)
    d2 = ((distinct[:, None] - distinct[None]) ** 2).sum(-1)[pairs]
    X = sp.csr_matrix(repeated) if sparse else repeated
    gamma = median_heuristic_gamma(X)
    assert np.isfinite(gamma) and gamma > 0
    assert gamma == pytest.approx(1 / np.median(np.repeat(d2, 400)))


def test_median_heuristic_falls_back_to_one_on_equal_rows():
    assert median_heuristic_gamma(np.ones((5, 3))) == 1.0
    assert median_heuristic_gamma(np.zeros((1, 3))) == 1.0


def test_median_heuristic_subsamples_reproducibly():
    X = np.random.RandomState(0).normal(size=(1500, 2))
    gamma = median_heuristic_gamma(X, 0, max_rows=200)
    assert gamma == median_heuristic_gamma(X, 0, max_rows=200)
    assert gamma == pytest.approx(median_heuristic_gamma(X), rel=0.2)


def test_every_median_heuristic_agrees_on_duplicated_rows():
    rng = np.random.RandomState(0)
    X_source = np.repeat(rng.normal(size=(6, 2)), 10, axis=0)
    X_target = np.repeat(rng.normal(1, 1, size=(4, 2)), 10, axis=0)
    X = np.r_[X_source, X_target]
    sd = np.r_[np.ones(60, int), -np.ones(40, int)]
    expected = median_heuristic_gamma(X)
    kmm = KernelMeanMatching(max_iter=5).fit(X, sample_domain=sd)
    kliep = KLIEP(max_iter=5, cv=2).fit(X, sample_domain=sd)
    mmd = mmd_permutation_test(X_source, X_target, n_permutations=1, random_state=0)
    assert kmm.gamma_ == pytest.approx(expected)
    np.testing.assert_allclose(
        kliep.cv_results_["param_gamma"], expected * np.array([0.1, 0.3, 1, 3, 10])
    )
    assert mmd.gamma == pytest.approx(expected)
