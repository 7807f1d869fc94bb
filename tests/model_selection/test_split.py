import pickle

import numpy as np
import pytest
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold

from sktransfer.model_selection import (
    LeaveOneDomainOut,
    SourceTargetShuffleSplit,
    SupervisedTargetScorer,
    TargetKFold,
)
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import labeled_mask

from .._reference import ReferenceDomainCentering


def _check_partition(X, splits):
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert np.union1d(train, test).size == len(X)


def test_target_kfold_tests_labeled_target_rows_only(mean_shift):
    X, y, sd, _ = mean_shift
    labeled_target = np.flatnonzero((sd < 0) & labeled_mask(y, sd))
    always_train = np.flatnonzero((sd > 0) | (y == -1))
    splits = list(TargetKFold(5).split(X, y, sample_domain=sd))
    assert len(splits) == 5
    _check_partition(X, splits)
    tested = np.concatenate([test for _, test in splits])
    np.testing.assert_array_equal(np.sort(tested), labeled_target)
    for train, _ in splits:
        assert np.isin(always_train, train).all()


def test_target_kfold_tests_minus_one_in_regression():
    # case 7: float targets that are not classes keep -1.0 as a value
    y = np.array([0.5, 1.5, -1.0, 2.5, -1.0, 0.2, -1.0])
    sd = np.array([1, 1, -1, -1, -1, -1, -1])
    tested = [test for _, test in TargetKFold(5).split(np.zeros((7, 1)), y, groups=sd)]
    np.testing.assert_array_equal(np.sort(np.concatenate(tested)), [2, 3, 4, 5, 6])
    y[5:] = np.nan
    tested = [test for _, test in TargetKFold(3).split(np.zeros((7, 1)), y, groups=sd)]
    np.testing.assert_array_equal(np.sort(np.concatenate(tested)), [2, 3, 4])
    # whole-number float labels are classes: -1.0 marks unlabeled target rows
    classes = np.array([0.0, 1.0, -1.0, 1.0, 0.0, -1.0])
    folds = TargetKFold(2).split(np.zeros((6, 1)), classes, groups=sd[:6])
    assert sorted(int(test[0]) for _, test in folds) == [3, 4]


def test_target_kfold_groups_is_sample_domain_when_routing_is_off(mean_shift):
    X, y, sd, _ = mean_shift
    cv = TargetKFold(4, shuffle=True, random_state=0)
    by_groups = list(cv.split(X, y, groups=sd))
    by_domain = list(cv.split(X, y, sample_domain=sd))
    for (a, b), (c, d) in zip(by_groups, by_domain):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_target_kfold_stratify_keeps_classes_in_each_fold(mean_shift):
    X, y, sd, _ = mean_shift
    for _, test in TargetKFold(5, stratify=True).split(X, y, sample_domain=sd):
        assert sorted(np.bincount(y[test])) == [2, 2]


def test_target_kfold_too_few_labeled_rows(mean_shift):
    X, y, sd, _ = mean_shift
    with pytest.raises(ValueError, match="n_splits=30 folds of 20 labeled target"):
        list(TargetKFold(30).split(X, y, sample_domain=sd))
    with pytest.raises(ValueError, match="smallest class has only 10 labeled"):
        list(TargetKFold(11, stratify=True).split(X, y, sample_domain=sd))


def test_splitters_need_domains(mean_shift):
    X, y, _, _ = mean_shift
    for cv in (TargetKFold(), SourceTargetShuffleSplit(), LeaveOneDomainOut()):
        with pytest.raises(ValueError, match="groups=sample_domain"):
            list(cv.split(X, y))


@pytest.mark.parametrize("n_splits", [1, 2.0, "3"])
def test_target_kfold_bad_n_splits(mean_shift, n_splits):
    X, y, sd, _ = mean_shift
    with pytest.raises(ValueError, match="'n_splits' parameter of TargetKFold must be"):
        list(TargetKFold(n_splits).split(X, y, sample_domain=sd))


def test_source_target_shuffle_split_holds_out_every_domain(mean_shift):
    X, y, sd, _ = mean_shift
    cv = SourceTargetShuffleSplit(3, test_size=0.2, random_state=0)
    splits = list(cv.split(X, y, sample_domain=sd))
    assert len(splits) == cv.get_n_splits() == 3
    _check_partition(X, splits)
    labeled_target = (sd < 0) & (y != -1)
    for _, test in splits:
        assert (sd[test] > 0).sum() == 30  # 20% of 150 source rows
        assert labeled_target[test].sum() == 4  # 20% of 20 labeled target rows
        assert ((sd[test] < 0) & ~labeled_target[test]).sum() == 26
    again = list(cv.split(X, y, sample_domain=sd))
    np.testing.assert_array_equal(splits[0][1], again[0][1])
    assert not np.array_equal(splits[0][1], splits[1][1])


@pytest.mark.parametrize("test_size", [0, 1.0, 1.5, "0.2"])
def test_source_target_shuffle_split_bad_test_size(mean_shift, test_size):
    X, y, sd, _ = mean_shift
    with pytest.raises(ValueError, match="'test_size' parameter of SourceTargetShuf"):
        list(SourceTargetShuffleSplit(test_size=test_size).split(X, sample_domain=sd))


def test_leave_one_domain_out():
    sd = np.array([1, 1, 2, 2, 3, -1, -1])
    X = np.zeros((7, 1))
    cv = LeaveOneDomainOut()
    splits = list(cv.split(X, sample_domain=sd))
    assert cv.get_n_splits(X, sample_domain=sd) == len(splits) == 3
    _check_partition(X, splits)
    for (train, test), domain in zip(splits, [1, 2, 3]):
        assert set(sd[test]) == {domain}
        assert {5, 6} <= set(train)
    with pytest.raises(ValueError, match="at least 2 source domains"):
        list(cv.split(X[:2], sample_domain=sd[:2]))


def test_splitters_request_sample_domain_and_pickle():
    for cv in (TargetKFold(), SourceTargetShuffleSplit(), LeaveOneDomainOut()):
        requests = cv.get_metadata_routing().split.requests
        assert requests["sample_domain"] is True
        assert repr(pickle.loads(pickle.dumps(cv))) == repr(cv)


def _grid_search(cv, scoring):
    pipe = make_transfer_pipeline("passthrough", LogisticRegression())
    pipe.steps[0] = ("center", "passthrough")
    grid = {"center": ["passthrough", ReferenceDomainCentering()]}
    return GridSearchCV(pipe, grid, cv=cv, scoring=scoring, error_score="raise")


def test_grid_search_picks_for_the_target_with_routing_on_and_off(mean_shift):
    X, y, sd, y_true = mean_shift
    hidden = (sd < 0) & (y == -1)
    results = []
    for routing in (True, False):
        search = _grid_search(TargetKFold(5), SupervisedTargetScorer())
        with config_context(enable_metadata_routing=routing):
            if routing:
                search.fit(X, y, sample_domain=sd)
            else:
                search.fit(
                    X,
                    y,
                    groups=sd,
                    center__sample_domain=sd,
                    logisticregression__sample_domain=sd,
                )
        assert isinstance(search.best_params_["center"], ReferenceDomainCentering)
        results.append(search.cv_results_["mean_test_score"])
        accuracy = search.score(X[hidden], y_true[hidden])
        assert accuracy > 0.8
    np.testing.assert_allclose(results[0], results[1])
    # ordinary cross-validation on the source cannot tell the two apart and
    # keeps the first, which transfers badly
    plain = _grid_search(KFold(5), "accuracy").fit(
        X[sd > 0], y[sd > 0], logisticregression__sample_domain=sd[sd > 0]
    )
    assert plain.best_params_["center"] == "passthrough"
    source_only = plain.best_estimator_.score(X[hidden], y_true[hidden])
    assert accuracy > source_only + 0.3


def test_leave_one_domain_out_in_grid_search(mean_shift):
    X, y, sd, _ = mean_shift
    sd = np.where(sd > 0, 1 + np.arange(len(sd)) % 2, sd)  # two source domains
    pipe = make_transfer_pipeline(ReferenceDomainCentering(), LogisticRegression())
    grid = {"logisticregression__estimator__C": [0.1, 1.0]}
    scores = []
    for routing in (True, False):
        search = GridSearchCV(pipe, grid, cv=LeaveOneDomainOut(), scoring="accuracy")
        with config_context(enable_metadata_routing=routing):
            if routing:
                search.fit(X, y, sample_domain=sd)
            else:
                search.fit(
                    X,
                    y,
                    groups=sd,
                    referencedomaincentering__sample_domain=sd,
                    logisticregression__sample_domain=sd,
                )
        assert search.n_splits_ == 2
        scores.append(search.cv_results_["mean_test_score"])
    np.testing.assert_allclose(scores[0], scores[1])
