"""Settings shared by the whole test suite."""

import sys

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Train the tiny test networks on one thread.

    On a 2-core machine torch's default thread pool makes these small nets
    several times slower, not faster; the test modules that use torch have
    imported it by the time the session starts.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
