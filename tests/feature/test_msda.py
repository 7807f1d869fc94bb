"""MarginalizedDenoisingAutoencoder (the selectors are tested in test_selection.py)."""

import os

import numpy as np
import pytest
import scipy.sparse as sp

from sktransfer.feature import MarginalizedDenoisingAutoencoder

from ._data import word_counts


def test_msda_sparse_input_and_shapes():
    X, sd = word_counts()
    msda = MarginalizedDenoisingAutoencoder(n_layers=3, max_features=15, random_state=0)
    Z = msda.fit_transform(X, sample_domain=sd)
    assert sp.issparse(Z)
    assert Z.shape == (200, 40 + 3 * 15)
    assert msda.frequent_features_.shape == (15,)
    np.testing.assert_array_equal(Z[:, :40].toarray(), X.toarray())
    assert len(msda.layers_[0]) == 3  # 40 features in chunks of about 15


def test_msda_transform_reproduces_fit_transform_and_dense_equals_sparse():
    X, sd = word_counts()
    msda = MarginalizedDenoisingAutoencoder(n_layers=2, max_features=15, random_state=0)
    Z = msda.fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(msda.transform(X).toarray(), Z.toarray(), atol=1e-10)
    dense = MarginalizedDenoisingAutoencoder(
        n_layers=2, max_features=15, random_state=0
    ).fit_transform(X.toarray(), sample_domain=sd)
    np.testing.assert_allclose(dense, Z.toarray(), atol=1e-8)


def test_msda_closed_form_is_the_expected_reconstruction():
    """With no noise and no regularizer, a layer is tanh of least squares."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    msda = MarginalizedDenoisingAutoencoder(
        noise=0.0, n_layers=1, reg=0.0, keep_input=False
    )
    Z = msda.fit_transform(X)
    np.testing.assert_allclose(Z, np.tanh(X), atol=1e-8)


def test_msda_links_domain_specific_words():
    """Words of one domain get hidden features that the other domain shares."""
    X, sd = word_counts(n=300)
    msda = MarginalizedDenoisingAutoencoder(n_layers=1, keep_input=False)
    Z = msda.fit_transform(X, sample_domain=sd)
    raw_gap = np.abs(X[sd > 0].mean(0) - X[sd < 0].mean(0)).mean()
    Z = Z.toarray()
    hidden_gap = np.abs(Z[sd > 0].mean(0) - Z[sd < 0].mean(0)).mean()
    assert np.isfinite(Z).all() and hidden_gap < 2 * raw_gap


def test_msda_bad_noise():
    with pytest.raises(ValueError, match="noise"):
        MarginalizedDenoisingAutoencoder(noise=1.0).fit(np.ones((4, 2)))


# --- real data (slow) ----------------------------------------------------------


@pytest.fixture
def data_home():
    home = os.environ.get("SKTRANSFER_DATA")
    if not home:
        pytest.skip("SKTRANSFER_DATA is not set: real-data tests need it")
    return home


@pytest.mark.slow
def test_msda_beats_raw_features_on_amazon_books_to_kitchen(data_home):
    from sklearn.linear_model import LogisticRegression

    from sktransfer.benchmark._datasets import log1p_then_l2
    from sktransfer.datasets import fetch_amazon_reviews

    X, y, sd = fetch_amazon_reviews(
        "books",
        "kitchen",
        subset="train",
        data_home=data_home,
        download_if_missing=False,
        return_X_y=True,
    )
    X = log1p_then_l2(X, sd)
    source, target = sd > 0, sd < 0
    raw = LogisticRegression(C=10, max_iter=1000).fit(X[source], y[source])
    Z = MarginalizedDenoisingAutoencoder(n_layers=1, random_state=0).fit_transform(
        X, sample_domain=sd
    )
    adapted = LogisticRegression(C=10, max_iter=1000).fit(Z[source], y[source])
    assert adapted.score(Z[target], y[target]) >= raw.score(X[target], y[target]) + 0.01
