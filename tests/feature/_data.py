"""Small shifted data shared by the tests of sktransfer.feature."""

import numpy as np
import scipy.sparse as sp


def nuisance_shift(seed=0, n=150):
    """Two classes along feature 0; the target moves along two noisy features.

    A 1-nearest-neighbour classifier fitted on the source is misled by the
    shift; removing the mean difference of the domains undoes it.
    """
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, 2 * n)
    X = rng.normal(size=(2 * n, 6))
    X[:, 0] += 3 * y
    X[:, 1:3] *= 3
    sample_domain = np.repeat([1, -1], n)
    X[sample_domain < 0, 1] += 6
    X[sample_domain < 0, 2] -= 4
    return X, y, sample_domain


def word_counts(seed=0, n=100, n_features=40):
    """Bag of words: source and target use partly different words."""
    rng = np.random.RandomState(seed)
    X = rng.poisson(0.3, size=(2 * n, n_features)).astype(float)
    sd = np.repeat([1, -1], n)
    X[sd > 0, :5] += rng.poisson(1.0, size=(n, 5))
    X[sd < 0, 5:10] += rng.poisson(1.0, size=(n, 5))
    return sp.csr_matrix(X), sd
