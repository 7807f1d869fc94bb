import math
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.ensemble import AdaBoostClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktransfer.datasets import make_domain_shift
from sktransfer.instance import (
    NoLabeledTargetWarning,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostR2,
)
from sktransfer.instance._tradaboost import _preferred_candidate
from sktransfer.utils import hide_target_labels

STUMP = DecisionTreeClassifier(max_depth=1, random_state=0)


def _concept_shift(seed=0, n_labeled=10, n_classes=2, severity=0.3):
    X, y_true, sd = make_domain_shift(
        shift="concept", severity=severity, n_classes=n_classes, random_state=seed
    )
    y = hide_target_labels(y_true, sd, n_labeled=n_labeled, random_state=seed)
    test = (sd < 0) & (y == -1)
    return X, y, sd, y_true, test


def _accuracy(model, X, y_true, rows):
    return float(np.mean(model.predict(X[rows]) == y_true[rows]))


def test_beats_the_three_baselines_under_concept_shift():
    scores = {"tradaboost": [], "source": [], "target": [], "pooled": []}
    for seed in range(3):
        X, y_true, sd = make_domain_shift(
            shift="concept", severity=0.5, random_state=seed
        )
        y = hide_target_labels(
            y_true, sd, n_labeled=5, per_class=True, random_state=seed
        )
        test = (sd < 0) & (y == -1)
        clf = TrAdaBoostClassifier(
            LogisticRegression(), 20, target_weight=0.5, random_state=0
        ).fit(X, y, sample_domain=sd)
        scores["tradaboost"].append(_accuracy(clf, X, y_true, test))
        source, target = sd > 0, (sd < 0) & ~test
        for name, rows in [
            ("source", source),
            ("target", target),
            ("pooled", source | target),
        ]:
            model = LogisticRegression().fit(X[rows], y[rows])
            scores[name].append(_accuracy(model, X, y_true, test))
    mean = {key: np.mean(value) for key, value in scores.items()}
    assert mean["tradaboost"] > mean["source"] + 0.2, mean
    assert mean["tradaboost"] > mean["pooled"] + 0.2, mean
    assert mean["tradaboost"] > mean["target"] + 0.02, mean


def test_without_sample_domain_it_is_adaboost():
    X, _, _, y_true, _ = _concept_shift()
    stump = DecisionTreeClassifier(max_depth=1, random_state=0)
    ours = TrAdaBoostClassifier(stump, 10).fit(X, y_true)
    theirs = AdaBoostClassifier(stump, n_estimators=10).fit(X, y_true)
    np.testing.assert_allclose(ours.estimator_weights_, theirs.estimator_weights_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.first_voter_ == 0


def test_paper_update_rules():
    # a draw where every round is better than chance and not perfect on the
    # target rows (0 < eps_t < 0.5): the regime the paper's rules are for
    X, y, sd, _, _ = _concept_shift(seed=1, n_labeled=40, severity=0.3)
    n_rounds = 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback, no idle boosting
        clf = TrAdaBoostClassifier(LogisticRegression(), n_rounds, random_state=0)
        clf.fit(X, y, sample_domain=sd)
    errors = clf.estimator_errors_
    assert len(clf.estimators_) == n_rounds
    assert np.all((errors > 0) & (errors < 0.5)), errors

    # Dai et al.'s algorithm, written out
    labeled = (sd > 0) | (y != -1)
    X_l, y_l, source = X[labeled], y[labeled], sd[labeled] > 0
    beta = 1 / (1 + math.sqrt(2 * math.log(source.sum()) / n_rounds))
    w = np.full(y_l.size, 1 / y_l.size)
    expected_errors, expected_votes, expected_shares = [], [], []
    for _ in range(n_rounds):
        w = w / w.sum()
        expected_shares.append(w[source].sum())
        h = LogisticRegression().fit(X_l, y_l, sample_weight=w * w.size)
        miss = h.predict(X_l) != y_l
        eps = w[~source & miss].sum() / w[~source].sum()
        beta_t = eps / (1 - eps)
        expected_errors.append(eps)
        expected_votes.append(np.log(1 / beta_t))
        w = np.where(source, w * beta**miss, w * beta_t ** (-1.0 * miss))
    np.testing.assert_allclose(errors, expected_errors, rtol=1e-6)
    np.testing.assert_allclose(clf.estimator_weights_, expected_votes, rtol=1e-6)
    np.testing.assert_allclose(clf.source_weight_share_, expected_shares, rtol=1e-6)
    np.testing.assert_allclose(clf.sample_weight_, w / w.sum(), rtol=1e-6)
    # rounds ceil(N/2) .. N vote: 3..6 (1-based), index 2 on
    assert clf.first_voter_ == 2
    assert clf.voters_.tolist() == [2, 3, 4, 5]
    # misclassified source rows only ever lose weight: the source share falls
    assert clf.source_weight_share_[-1] < clf.source_weight_share_[0]
    np.testing.assert_allclose(clf.source_weight_share_[0], source.mean())


def test_dynamic_correction_keeps_source_weight_longer():
    X, y, sd, _, _ = _concept_shift()
    plain = TrAdaBoostClassifier(LogisticRegression(), 10, random_state=0)
    dynamic = TrAdaBoostClassifier(LogisticRegression(), 10, dynamic_correction=True)
    plain.fit(X, y, sample_domain=sd)
    dynamic.set_params(random_state=0).fit(X, y, sample_domain=sd)
    assert dynamic.source_weight_share_[-1] > plain.source_weight_share_[-1]


def test_zero_target_error_gives_a_finite_vote():
    X, y, sd, _, _ = _concept_shift()
    # a depth-5 tree fits every labeled target row: eps_t = 0, while it
    # misses source rows, whose weights keep moving
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=5, random_state=0),
        5,
        target_weight=0.5,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="target error 0"):
        clf.fit(X, y, sample_domain=sd)
    assert len(clf.estimators_) == 5
    np.testing.assert_array_equal(clf.estimator_errors_, 0.0)
    assert np.all(np.isfinite(clf.estimator_weights_))
    assert np.all(np.isfinite(clf.predict_proba(X)))


def _interpolated_target(seed=0, d=100):
    """200 source and 200 target rows in 100 dimensions, 10 target labels:
    a weakly regularized logistic regression fits every labeled row."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(400, d))
    sd = np.r_[np.ones(200, int), -np.ones(200, int)]
    y_true = np.where(sd > 0, X[:, 0] > 0, X[:, 0] + 2 * X[:, 1] > 0).astype(int)
    y = y_true.copy()
    y[210:] = -1
    return X, y, sd


def test_boosting_that_moves_no_weight_says_so_and_stops():
    X, y, sd = _interpolated_target()
    base = LogisticRegression(C=10)
    clf = TrAdaBoostClassifier(base, 10, random_state=0)
    with pytest.warns(UserWarning, match=r"target error 0.*base estimator fitted once"):
        clf.fit(X, y, sample_domain=sd)
    # the first round fits every row: no weight moves, so it is the only one
    # and the model is the base estimator fitted on the pooled rows
    assert len(clf.estimators_) == 1
    labeled = y != -1
    pooled = clone(base).fit(X[labeled], y[labeled])
    np.testing.assert_array_equal(clf.predict(X), pooled.predict(X))


def test_probability_loss_moves_weight_where_zero_one_sees_no_error():
    X, y, sd = _interpolated_target()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = TrAdaBoostClassifier(
            LogisticRegression(C=10), 5, loss="probability", random_state=0
        ).fit(X, y, sample_domain=sd)
    assert len(clf.estimators_) == 5
    errors = clf.estimator_errors_
    assert np.all((errors > 0) & (errors < 0.5)), errors
    assert np.all(np.diff(clf.source_weight_share_) < 0)
    # a row's error is one minus the probability of its class
    labeled = y != -1
    first = clf.estimators_[0]
    p_true = first.predict_proba(X[labeled])[np.arange(labeled.sum()), y[labeled]]
    target = sd[labeled] < 0
    np.testing.assert_allclose(errors[0], np.mean(1 - p_true[target]))


def test_probability_loss_needs_predict_proba():
    X, y, sd, _, _ = _concept_shift()
    clf = TrAdaBoostClassifier(RidgeClassifier(), 3, loss="probability")
    with pytest.raises(TypeError, match="RidgeClassifier has no predict_proba"):
        clf.fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="loss"):
        TrAdaBoostClassifier(loss="log").fit(X, y, sample_domain=sd)


def test_no_voting_round_beats_chance_falls_back_to_the_best_round():
    X, y, sd, _, _ = _concept_shift(severity=0.7)
    with pytest.warns(UserWarning, match="falls back to the round"):
        clf = TrAdaBoostClassifier(STUMP, 6, random_state=0).fit(X, y, sample_domain=sd)
    assert clf.voters_.tolist() == [int(np.argmin(clf.estimator_errors_))]
    assert set(clf.predict(X)) <= {0, 1}


def test_rounds_at_chance_get_no_vote_and_a_warning():
    X, y, sd, _, _ = _concept_shift(severity=0.7)
    with pytest.warns(UserWarning, match="no better than chance"):
        clf = TrAdaBoostClassifier(STUMP, 20, random_state=0).fit(
            X, y, sample_domain=sd
        )
    at_chance = clf.estimator_errors_ >= 0.5
    assert at_chance.any()
    np.testing.assert_allclose(clf.estimator_weights_[at_chance], 0.0)


def test_multiclass_probabilities():
    X, y, sd, _, _ = _concept_shift(n_classes=3)
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=3), 10, target_weight=0.5, random_state=0
    ).fit(X, y, sample_domain=sd)
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.decision_function(X).shape == (X.shape[0], 3)


def test_base_estimator_without_sample_weight():
    X, y, sd, _, _ = _concept_shift()
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        TrAdaBoostClassifier(KNeighborsClassifier()).fit(X, y, sample_domain=sd)
    with pytest.raises(TypeError, match="KNeighborsRegressor does not accept"):
        TwoStageTrAdaBoostR2(KNeighborsRegressor()).fit(X, y * 1.0, sample_domain=sd)


def test_no_labeled_target_rows_warns_and_boosts_the_source():
    X, y, sd, _, _ = _concept_shift()
    y = np.where(sd < 0, -1, y)
    with pytest.warns(NoLabeledTargetWarning, match="no labeled target row"):
        clf = TrAdaBoostClassifier(n_estimators=5, random_state=0).fit(
            X, y, sample_domain=sd
        )
    source = sd > 0
    plain = TrAdaBoostClassifier(n_estimators=5, random_state=0).fit(
        X[source], y[source]
    )
    np.testing.assert_array_equal(clf.predict(X), plain.predict(X))


def _regression_shift(seed=0, n_labeled=20):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(300, 2))
    sd = np.where(np.arange(300) < 200, 1, -1)
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=300)
    y[sd < 0] += 1.0 * (X[sd < 0, 0] > 0)  # the target's rule differs
    y_seen = y.copy()
    unlabeled = rng.permutation(np.flatnonzero(sd < 0))[n_labeled:]
    y_seen[unlabeled] = np.nan
    return X, y_seen, sd, y, unlabeled


def test_two_stage_beats_source_only():
    errors = {"two_stage": [], "r2": [], "source": []}
    for seed in range(2):
        X, y, sd, y_true, test = _regression_shift(seed)
        source = sd > 0
        tree = DecisionTreeRegressor(max_depth=3, random_state=0)
        models = {
            "two_stage": TwoStageTrAdaBoostR2(tree, 10, n_steps=8, random_state=0),
            "r2": TrAdaBoostRegressor(tree, 10, random_state=0),
        }
        for name, model in models.items():
            model.fit(X, y, sample_domain=sd)
            errors[name].append(np.mean((model.predict(X[test]) - y_true[test]) ** 2))
        plain = tree.fit(X[source], y[source])
        errors["source"].append(np.mean((plain.predict(X[test]) - y_true[test]) ** 2))
    mean = {key: np.mean(value) for key, value in errors.items()}
    assert mean["two_stage"] < 0.7 * mean["source"], mean


def test_two_stage_schedule():
    X, y, sd, _, _ = _regression_shift()
    model = TwoStageTrAdaBoostR2(n_estimators=3, n_steps=4, cv=3, random_state=0)
    model.fit(X, y, sample_domain=sd)
    share = model.target_weight_share_
    assert share[0] == pytest.approx(20 / 220) and share[-1] == pytest.approx(1.0)
    assert np.all(np.diff(share) > 0)
    results = model.cv_results_
    assert sorted(results) == ["mean_test_score", "stage", "target_weight_share"]
    assert results["stage"].tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(results["target_weight_share"], share)
    # minus the mean squared error: larger is better
    assert np.all(results["mean_test_score"] < 0)
    assert model.best_stage_ == int(np.argmax(results["mean_test_score"]))


@pytest.mark.parametrize("Regressor", [TrAdaBoostRegressor, TwoStageTrAdaBoostR2])
def test_regressor_refuses_class_labels(Regressor):
    X, _, sd, _, _ = _regression_shift()
    y = np.where(X[:, 0] > 0, "pos", "neg")
    with pytest.raises(ValueError, match="is a regressor, but y holds class labels"):
        Regressor().fit(X, y, sample_domain=sd)


def test_fitted_models_survive_pickling():
    X, y, sd, _, _ = _concept_shift()
    clf = TrAdaBoostClassifier(n_estimators=5, random_state=0)
    clf.fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), clf.predict_proba(X)
    )
    X, y, sd, _, _ = _regression_shift()
    reg = TwoStageTrAdaBoostR2(n_estimators=3, n_steps=3, random_state=0)
    reg.fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X)
    )


def test_bad_parameters_are_named():
    X, y, sd, _, _ = _concept_shift()
    with pytest.raises(ValueError, match="target_weight"):
        TrAdaBoostClassifier(target_weight=1.5).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="n_steps"):
        TwoStageTrAdaBoostR2(n_steps=1).fit(X, y * 1.0, sample_domain=sd)
    clf = TrAdaBoostClassifier(LogisticRegression(), 4, vote="all")
    assert clf.fit(X, y, sample_domain=sd).voters_.tolist() == [0, 1, 2, 3]


def test_target_cv_picks_the_setting_that_wins():
    # the target's rule is far from the source's: the paper's uniform start
    # (which after one round is the pooled model) loses, a large initial
    # target weight with several rounds wins
    chosen, paper = [], []
    for seed in range(2):
        X, y, sd, y_true, test = _concept_shift(seed, n_labeled=20, severity=0.8)
        clf = TrAdaBoostClassifier(
            LogisticRegression(), 10, selection="target_cv", random_state=0
        ).fit(X, y, sample_domain=sd)
        scores = clf.cv_results_["mean_test_score"]
        assert scores.shape == (12,)
        best = int(np.argmax(scores))
        assert clf.cv_results_["mean_test_score"][best] == pytest.approx(
            scores[
                (clf.cv_results_["target_weight"] == clf.best_target_weight_)
                & (clf.cv_results_["n_rounds"] == clf.best_n_rounds_)
            ][0]
        )
        assert clf.best_target_weight_ != "uniform"
        assert clf.best_n_rounds_ > 1
        assert len(clf.estimators_) == clf.best_n_rounds_
        chosen.append(_accuracy(clf, X, y_true, test))
        default = TrAdaBoostClassifier(LogisticRegression(), 10, random_state=0)
        default.fit(X, y, sample_domain=sd)
        paper.append(_accuracy(default, X, y_true, test))
    assert np.mean(chosen) > np.mean(paper) + 0.2, (chosen, paper)


def test_target_cv_tie_rule():
    # initial target weights ("uniform", 0.25, 0.5) by rounds (1, 2, 4)
    ties = np.ones((3, 3))
    assert _preferred_candidate(ties) == (0, 2)  # the paper's setting
    paper_loses = np.array([[0.5, 0.5, 0.4], [0.5, 0.6, 0.6], [0.6, 0.6, 0.6]])
    # fewer rounds first, then less initial target weight
    assert _preferred_candidate(paper_loses) == (2, 0)
    later_wins = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.7], [0.5, 0.5, 0.5]])
    assert _preferred_candidate(later_wins) == (1, 2)


def test_target_cv_keeps_the_paper_setting_on_ties_and_is_deterministic():
    # no shift and classes far apart: every candidate classifies every
    # held-out target row, so all tie and the paper's setting is kept
    rng = np.random.RandomState(0)
    y_true = np.arange(120) % 2
    X = rng.normal(size=(120, 2)) + 6 * y_true[:, None]
    sd = np.where(np.arange(120) < 80, 1, -1)
    y = np.where((sd < 0) & (np.arange(120) >= 92), -1, y_true)
    make = TrAdaBoostClassifier(
        LogisticRegression(), 4, selection="target_cv", cv=3, random_state=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # boosting sees no error
        first = clone(make).fit(X, y, sample_domain=sd)
        again = clone(make).fit(X, y, sample_domain=sd)
    results = first.cv_results_
    # rounds 1, ceil(4/4) = 1, ceil(4/2) = 2 and 4: three candidates each
    assert results["n_rounds"].tolist() == [1, 2, 4] * 3
    np.testing.assert_array_equal(results["mean_test_score"], 1.0)
    assert (first.best_target_weight_, first.best_n_rounds_) == ("uniform", 4)
    np.testing.assert_array_equal(
        again.cv_results_["mean_test_score"], results["mean_test_score"]
    )
    np.testing.assert_array_equal(again.predict(X), first.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = TrAdaBoostClassifier(LogisticRegression(), 4).fit(
            X, y, sample_domain=sd
        )
    assert plain.cv_results_ is None
    assert (plain.best_target_weight_, plain.best_n_rounds_) == ("uniform", 4)


def test_target_cv_picks_by_the_documented_preference():
    X, y, sd, _, _ = _concept_shift(seed=1, n_labeled=20, severity=0.5)
    clf = TrAdaBoostClassifier(
        LogisticRegression(), 4, selection="target_cv", cv=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X, y, sample_domain=sd)
    scores = clf.cv_results_["mean_test_score"].reshape(3, 3)
    assert np.all((scores >= 0) & (scores <= 1))
    best = (
        ["uniform", 0.25, 0.5].index(clf.best_target_weight_),
        [1, 2, 4].index(clf.best_n_rounds_),
    )
    assert best == _preferred_candidate(scores)


def test_target_cv_needs_two_labeled_target_rows():
    X, y, sd, _, _ = _concept_shift(n_labeled=1)
    clf = TrAdaBoostClassifier(LogisticRegression(), 3, selection="target_cv")
    with pytest.raises(ValueError, match="needs at least 2 of them, got 1"):
        clf.fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="selection"):
        TrAdaBoostClassifier(selection="cv").fit(X, y, sample_domain=sd)


def test_staged_methods_equal_adaboost_without_target_rows():
    X, _, _, y_true, _ = _concept_shift()
    ours = TrAdaBoostClassifier(STUMP, 8).fit(X, y_true)
    theirs = AdaBoostClassifier(STUMP, n_estimators=8).fit(X, y_true)
    staged = list(ours.staged_decision_function(X))
    assert len(staged) == len(ours.estimators_) == 8
    for mine, reference in zip(staged, theirs.staged_decision_function(X)):
        np.testing.assert_allclose(mine, reference, atol=1e-12)
    for mine, reference in zip(
        ours.staged_predict_proba(X), theirs.staged_predict_proba(X)
    ):
        np.testing.assert_allclose(mine, reference, atol=1e-12)
    np.testing.assert_allclose(staged[-1], ours.decision_function(X))


def test_staged_vote_is_the_model_stopped_after_each_round():
    X, y, sd, y_true, test = _concept_shift(seed=1, n_labeled=40, severity=0.3)
    clf = TrAdaBoostClassifier(LogisticRegression(), 6, random_state=0)
    clf.fit(X, y, sample_domain=sd)
    codes = np.column_stack([est.predict(X[test]) for est in clf.estimators_])
    staged = list(clf.staged_predict(X[test]))
    assert len(staged) == 6
    for n, predicted in enumerate(staged, start=1):
        # the paper's vote of rounds ceil(n/2) .. n
        voters = np.arange(math.ceil(n / 2) - 1, n)
        alphas = clf.estimator_weights_[voters]
        vote_for_1 = codes[:, voters] @ alphas
        np.testing.assert_array_equal(
            predicted, (vote_for_1 >= 0.5 * alphas.sum()).astype(int)
        )
    np.testing.assert_array_equal(staged[-1], clf.predict(X[test]))
    np.testing.assert_allclose(
        list(clf.staged_score(X[test], y_true[test])),
        [np.mean(p == y_true[test]) for p in staged],
    )
    np.testing.assert_allclose(
        list(clf.staged_predict_proba(X[test]))[-1], clf.predict_proba(X[test])
    )


@pytest.mark.parametrize("Regressor", [TrAdaBoostRegressor, TwoStageTrAdaBoostR2])
def test_regressor_staged_predict(Regressor):
    X, y, sd, y_true, test = _regression_shift()
    reg = Regressor(n_estimators=4, random_state=0)
    if Regressor is TwoStageTrAdaBoostR2:
        reg.set_params(n_steps=3, cv=3)
    reg.fit(X, y, sample_domain=sd)
    staged = list(reg.staged_predict(X[test]))
    assert len(staged) == len(reg.estimators_)
    np.testing.assert_array_equal(staged[-1], reg.predict(X[test]))
    scores = list(reg.staged_score(X[test], y_true[test]))
    assert scores[-1] == pytest.approx(reg.score(X[test], y_true[test]))


def test_two_stage_without_target_rows_has_no_cv_results():
    X, _, _, y_true, _ = _regression_shift()
    reg = TwoStageTrAdaBoostR2(n_estimators=3, random_state=0).fit(X, y_true)
    assert reg.cv_results_ is None and reg.best_stage_ == 0


@pytest.mark.parametrize("marker", [-1, "-1"])
def test_object_labels_with_the_marker(marker):
    X, y_int, sd, _, _ = _concept_shift(seed=1, n_labeled=40, severity=0.3)
    y = np.where(y_int == 1, "dog", "cat").astype(object)
    y[y_int == -1] = marker
    clf = TrAdaBoostClassifier(LogisticRegression(), 4, random_state=0)
    clf.fit(X, y, sample_domain=sd)
    assert clf.classes_.tolist() == ["cat", "dog"]
    assert set(clf.predict(X)) <= {"cat", "dog"}
    # the same model as with the integer labels
    reference = TrAdaBoostClassifier(LogisticRegression(), 4, random_state=0)
    reference.fit(X, y_int, sample_domain=sd)
    np.testing.assert_array_equal(
        clf.predict(X), np.where(reference.predict(X) == 1, "dog", "cat")
    )
    # string labels: numpy writes the marker "-1"
    clf.fit(X, y.astype(str), sample_domain=sd)
    assert clf.classes_.tolist() == ["cat", "dog"]
    assert set(clf.predict(X)) <= {"cat", "dog"}


def _sparse_text(seed=0, n_words=2000, n_rows=300, n_labeled=20):
    """Bags of words: each class has cue words of its own, and the target
    domain's cue words are not the source's."""
    rng = np.random.RandomState(seed)
    y_true = rng.randint(2, size=2 * n_rows)
    sd = np.r_[np.ones(n_rows, int), -np.ones(n_rows, int)]
    rows, cols = [], []
    for i, (label, domain) in enumerate(zip(y_true, sd)):
        offset = 0 if domain > 0 else n_words // 2
        cue = offset + label * n_words // 10 + rng.randint(n_words // 10, size=3)
        shared = n_words // 4 + label * 50 + rng.randint(50, size=2)
        noise = rng.randint(n_words, size=20)
        rows += [i] * 25
        cols += cue.tolist() + shared.tolist() + noise.tolist()
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * n_rows, n_words))
    y = y_true.copy()
    unlabeled = rng.permutation(np.flatnonzero(sd < 0))[n_labeled:]
    y[unlabeled] = -1
    return X, y, sd, y_true


def test_default_base_learns_sparse_text_where_stumps_fall_back():
    X, y, sd, y_true = _sparse_text()
    test = y == -1
    clf = TrAdaBoostClassifier(n_estimators=5, random_state=0)
    clf.fit(X, y, sample_domain=sd)
    assert isinstance(clf.estimator_, LogisticRegression)
    assert clf.score(X[test], y_true[test]) > 0.75
    with pytest.warns(UserWarning, match="too weak for these target rows"):
        stumps = TrAdaBoostClassifier(STUMP, 5, random_state=0)
        stumps.fit(X, y, sample_domain=sd)
    assert stumps.score(X[test], y_true[test]) < 0.65
