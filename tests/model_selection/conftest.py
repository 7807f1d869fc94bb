import numpy as np
import pytest

from sktransfer.utils import hide_target_labels


def make_mean_shift(n=150, shift=3.0, n_labeled=10, random_state=0):
    """Two Gaussian classes; the target is the source moved by ``shift``.

    A classifier fitted on the source puts nearly every target row in one
    class (about 50% accuracy); centering each domain on its mean undoes
    the shift.
    """
    rng = np.random.RandomState(random_state)

    def domain(offset):
        y = rng.randint(2, size=n)
        X = rng.normal(size=(n, 2)) * 0.7
        X[:, 0] += 2 * y - 1
        return X + offset, y

    Xs, ys = domain(0.0)
    Xt, yt = domain(shift)
    X = np.vstack([Xs, Xt])
    y_true = np.r_[ys, yt]
    sample_domain = np.r_[np.ones(n, int), -np.ones(n, int)]
    y = hide_target_labels(
        y_true, sample_domain, n_labeled=n_labeled, per_class=True, random_state=0
    )
    return X, y, sample_domain, y_true


@pytest.fixture
def mean_shift():
    return make_mean_shift()


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The tests fit many small models, which extra BLAS threads only slow down."""
    import scipy.optimize  # noqa: F401  (loads SciPy's BLAS before limiting it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
