"""Fixtures of the benchmark tests: a tiny data set and a registry sandbox."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sktransfer.benchmark import DATASETS, METHODS, DatasetSpec, register_dataset


def load_toy(pair, *, data_home, download_if_missing, random_state):
    """Three blobs; the target domain is the source moved by ``pair`` units."""
    shift = {"near": 0.5, "far": 4.0}[pair]
    X, y = make_blobs(300, n_features=2, centers=3, random_state=random_state)
    sample_domain = np.where(np.arange(300) < 150, 1, -1)
    X[sample_domain < 0] += shift
    return X, y, sample_domain


@pytest.fixture
def registry():
    """Restore METHODS and DATASETS after the test, and register "toy"."""
    methods, datasets = dict(METHODS), dict(DATASETS)
    register_dataset(DatasetSpec("toy", ("near", "far"), load_toy, n_target_labels=2))
    yield
    METHODS.clear()
    METHODS.update(methods)
    DATASETS.clear()
    DATASETS.update(datasets)
