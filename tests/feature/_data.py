"""Small shifted data shared by the tests of sktransfer.feature."""

import numpy as np


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
