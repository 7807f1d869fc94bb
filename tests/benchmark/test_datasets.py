"""Every default method runs on a small slice of every registered data set.

Case 14 of issue 11: coral and subspace_alignment refused the sparse Amazon
matrix and the run ended in a traceback. Here each registered data set's
first pair is cut to a few rows per class and domain and at most
``MAX_FEATURES`` columns (its preprocessing and its kind of input kept:
sparse counts stay sparse), and every default method must fit and predict on it,
or have its cell skipped with a reason. Real data sets are read from
``SKTRANSFER_DATA`` and skipped, saying why, when their files are absent.
"""

import dataclasses
import math

import numpy as np
import pytest

from sktransfer.benchmark import (
    DATASETS,
    DataUnavailableError,
    register_dataset,
    resolve_names,
    run_benchmark,
)

#: Rows kept per class in each domain: enough for 3-fold CV of the base
#: estimator after one target label per class is kept.
ROWS_PER_CLASS = 4
#: Amazon has two classes: a few more rows, still tiny.
ROWS_PER_CLASS_TWO_CLASSES = 12
#: Columns kept: CORAL's cost grows with the cube of the number of features
#: (two eigendecompositions of a 5000 x 5000 covariance on Amazon, minutes);
#: the kind of input (sparse counts, 10-class pixels, ...) is what is tested.
MAX_FEATURES = 1000


def sliced(load):
    def load_slice(pair, **kwargs):
        X, y, sample_domain = load(pair, **kwargs)
        rng = np.random.RandomState(0)
        n = ROWS_PER_CLASS if np.unique(y).size > 2 else ROWS_PER_CLASS_TWO_CLASSES
        keep = []
        for domain in np.unique(sample_domain):
            for label in np.unique(y):
                rows = np.flatnonzero((sample_domain == domain) & (y == label))
                keep.extend(rng.choice(rows, min(n, rows.size), replace=False))
        keep = np.sort(keep)
        X = X[keep][:, :MAX_FEATURES]
        return X, np.asarray(y)[keep], np.asarray(sample_domain)[keep]

    return load_slice


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_default_method_runs_on_a_slice_of_every_data_set(registry, name):
    spec = DATASETS[name]
    slice_spec = dataclasses.replace(
        spec,
        name=f"{name}_slice",
        load=sliced(spec.load),
        n_target_labels=1 if spec.per_class else 4,
    )
    register_dataset(slice_spec)
    pair = spec.pairs[0]
    try:
        result = run_benchmark(
            slice_spec.name,
            pairs=[pair],
            n_repeats=1,
            error_score="raise",  # a failure shows its traceback here
            download_if_missing=False,
        )
    except DataUnavailableError as exc:
        pytest.skip(f"{name} needs its files under SKTRANSFER_DATA: {exc}")
    _, _, methods = resolve_names(name)
    assert [r["method"] for r in result.records] == [m.name for m in methods]
    for record in result.records:
        ran = not math.isnan(record["accuracy"])
        assert ran or record["skipped"], f"{record['method']} on {name}"
        assert record["error"] == ""
