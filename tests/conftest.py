"""Settings shared by the whole test suite."""

import sys

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Compute on one thread: BLAS, OpenMP and torch.

    The test problems are tiny: on a 2-core machine the thread pools of
    OpenBLAS (behind scipy's L-BFGS in every LogisticRegression) and of torch
    make them several times slower, not faster. The test modules that use
    torch have imported it by the time the session starts.
    """
    torch = sys.modules.get("torch")
    torch_threads = None if torch is None else torch.get_num_threads()
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    if torch is not None:
        torch.set_num_threads(torch_threads)
