"""GridSearchCV over transfer hyperparameters on a Dask cluster.

The search runs under ``joblib.parallel_backend("dask")`` on a
:class:`distributed.LocalCluster` of worker processes, with
:class:`~sktransfer.model_selection.TargetKFold` and sktransfer's scorers,
``sample_domain`` routed (metadata routing on) or passed as a fit parameter
and ``groups`` (routing off), and must give the same ``cv_results_`` as the
same search run locally. Dask is an optional dependency
(``sktransfer[distributed]``): without it the module is skipped.
"""

import re

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import CORAL, SubspaceAlignment
from sktransfer.model_selection import (
    PredictionEntropyScorer,
    SupervisedTargetScorer,
    TargetKFold,
)
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels

distributed = pytest.importorskip("distributed")

SCORING = {"target": SupervisedTargetScorer(), "entropy": PredictionEntropyScorer()}
BATCH = re.compile(r"_fit_and_score_(\d+)_calls")
#: the keys of cv_results_ that measure time, which differs from run to run
TIMING = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def routing_restored():
    """Put scikit-learn's metadata routing setting back after the test."""
    before = sklearn.get_config()["enable_metadata_routing"]
    yield
    sklearn.set_config(enable_metadata_routing=before)


@pytest.fixture(scope="module")
def data():
    X, y, sd = make_domain_shift(
        150, 150, shift="subspace", severity=0.6, n_features=4, random_state=0
    )
    y = hide_target_labels(y, sd, n_labeled=15, random_state=0)
    return X, y, sd


ESTIMATORS = {
    "coral": (
        make_transfer_pipeline(CORAL(), LogisticRegression()),
        {"coral__reg": [0.1, 1.0, 10.0], "logisticregression__estimator__C": [0.1, 1]},
    ),
    "subspace_alignment": (
        make_transfer_pipeline(SubspaceAlignment(), LogisticRegression()),
        {"subspacealignment__n_components": [1, 2, 4]},
    ),
}


def _search(estimator, grid, routing, X, y, sd, n_jobs):
    search = GridSearchCV(
        estimator,
        grid,
        cv=TargetKFold(3, shuffle=True, random_state=0),
        scoring=SCORING,
        refit="target",
        n_jobs=n_jobs,
        error_score="raise",
    )
    if routing:
        return search.fit(X, y, sample_domain=sd)
    # routing off: the transfer pipeline takes sample_domain as is, the
    # splitter reads the domains from groups
    return search.fit(X, y, sample_domain=sd, groups=sd)


def _assert_same_results(local, remote):
    assert local.keys() == remote.keys()
    for key in local:
        if key in TIMING:
            continue
        expected, got = local[key], remote[key]
        if key == "params":
            assert [repr(p) for p in got] == [repr(p) for p in expected]
        elif key.startswith("rank_"):
            np.testing.assert_array_equal(got, expected, err_msg=key)
        elif key.startswith("param_"):
            assert list(got) == list(expected), key
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("routing", [True, False], ids=["routing_on", "routing_off"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_grid_search_on_the_cluster_matches_the_local_run(
    client, data, routing_restored, name, routing
):
    X, y, sd = data
    estimator, grid = ESTIMATORS[name]
    sklearn.set_config(enable_metadata_routing=routing)

    local = _search(estimator, grid, routing, X, y, sd, n_jobs=1)
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        remote = _search(estimator, grid, routing, X, y, sd, n_jobs=-1)

    # every fit ran in a Dask task on one of the cluster's workers: joblib's
    # dask backend names a task after its batch of calls,
    # "batch_of__fit_and_score_<n>_calls-<uuid>"
    n_fits = len(remote.cv_results_["params"]) * remote.n_splits_
    batches = [BATCH.search(task["key"]) for task in tasks.data]
    assert sum(int(batch[1]) for batch in batches if batch) == n_fits
    workers = set(client.scheduler_info()["workers"])
    assert {task["worker"] for task in tasks.data} <= workers

    _assert_same_results(local.cv_results_, remote.cv_results_)
    assert repr(remote.best_params_) == repr(local.best_params_)
    np.testing.assert_array_equal(
        remote.best_estimator_.predict(X), local.best_estimator_.predict(X)
    )
    assert np.isfinite(remote.cv_results_["mean_test_target"]).all()
