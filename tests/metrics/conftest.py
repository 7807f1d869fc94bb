import os
from pathlib import Path

import pytest


@pytest.fixture
def shared_data_home():
    """The folder of real data named by SKTRANSFER_DATA; skip when unset."""
    data_home = os.environ.get("SKTRANSFER_DATA")
    if not data_home:
        pytest.skip("SKTRANSFER_DATA is not set: real-data tests need it")
    if not Path(data_home).is_dir():
        pytest.skip(f"SKTRANSFER_DATA={data_home} is not a folder")
    return data_home


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The tests fit many small models, which extra BLAS threads only slow down."""
    import scipy.optimize  # noqa: F401  (loads SciPy's BLAS before limiting it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
