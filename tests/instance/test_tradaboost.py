import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import AdaBoostClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktransfer.datasets import make_domain_shift
from sktransfer.instance import (
    NoLabeledTargetWarning,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostR2,
)
from sktransfer.utils import hide_target_labels


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
    X, y, sd, _, _ = _concept_shift()
    clf = TrAdaBoostClassifier(LogisticRegression(), 10, random_state=0)
    clf.fit(X, y, sample_domain=sd)
    # rounds ceil(N/2) .. N vote: 5..10 (1-based), index 4 on
    assert clf.first_voter_ == 4
    labeled = (sd > 0) | (y != -1)
    is_source = sd[labeled] > 0
    # misclassified source rows only ever lose weight: the source share falls
    assert clf.source_weight_share_[-1] < clf.source_weight_share_[0]
    assert np.isclose(clf.source_weight_share_[0], is_source.mean())
    np.testing.assert_allclose(clf.sample_weight_.sum(), 1.0)


def test_dynamic_correction_keeps_source_weight_longer():
    X, y, sd, _, _ = _concept_shift()
    plain = TrAdaBoostClassifier(LogisticRegression(), 10, random_state=0)
    dynamic = TrAdaBoostClassifier(LogisticRegression(), 10, dynamic_correction=True)
    plain.fit(X, y, sample_domain=sd)
    dynamic.set_params(random_state=0).fit(X, y, sample_domain=sd)
    assert dynamic.source_weight_share_[-1] > plain.source_weight_share_[-1]


def test_zero_target_error_gives_a_finite_vote():
    X, y, sd, _, _ = _concept_shift()
    # a deep tree fits every labeled target row: eps_t = 0
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(random_state=0), 5, target_weight=0.5, random_state=0
    )
    clf.fit(X, y, sample_domain=sd)
    assert clf.estimator_errors_.min() == 0.0
    assert np.all(np.isfinite(clf.estimator_weights_))
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_no_voting_round_beats_chance_falls_back_to_the_best_round():
    X, y, sd, _, _ = _concept_shift(severity=0.7)
    with pytest.warns(UserWarning, match="falls back to the round"):
        clf = TrAdaBoostClassifier(n_estimators=6, random_state=0).fit(
            X, y, sample_domain=sd
        )
    assert clf.voters_.tolist() == [int(np.argmin(clf.estimator_errors_))]
    assert set(clf.predict(X)) <= {0, 1}


def test_rounds_at_chance_get_no_vote_and_a_warning():
    X, y, sd, _, _ = _concept_shift(severity=0.7)
    with pytest.warns(UserWarning, match="no better than chance"):
        clf = TrAdaBoostClassifier(n_estimators=20, random_state=0).fit(
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
    assert model.best_stage_ == int(np.argmin(model.cv_errors_))


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


def test_target_cv_keeps_the_paper_setting_on_ties_and_is_deterministic():
    X, y, sd, _, _ = _concept_shift(n_labeled=10, severity=0.0)
    make = TrAdaBoostClassifier(
        LogisticRegression(), 4, selection="target_cv", cv=3, random_state=1
    )
    first = make.fit(X, y, sample_domain=sd)
    results = first.cv_results_
    scores = results["mean_test_score"]
    # rounds 1, ceil(4/4) = 1, ceil(4/2) = 2 and 4: three candidates each
    assert results["n_rounds"].tolist() == [1, 2, 4] * 3
    assert scores.max() == 1.0  # no shift: several settings tie at the top
    paper = (results["target_weight"] == "uniform") & (results["n_rounds"] == 4)
    if scores[paper][0] == scores.max():
        assert (first.best_target_weight_, first.best_n_rounds_) == ("uniform", 4)
    else:
        assert first.best_n_rounds_ == results["n_rounds"][np.argmax(scores)]
    again = clone(make).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(again.cv_results_["mean_test_score"], scores)
    np.testing.assert_array_equal(again.predict(X), first.predict(X))
    plain = TrAdaBoostClassifier(LogisticRegression(), 4).fit(X, y, sample_domain=sd)
    assert plain.cv_results_ is None
    assert (plain.best_target_weight_, plain.best_n_rounds_) == ("uniform", 4)


def test_target_cv_needs_two_labeled_target_rows():
    X, y, sd, _, _ = _concept_shift(n_labeled=1)
    clf = TrAdaBoostClassifier(LogisticRegression(), 3, selection="target_cv")
    with pytest.raises(ValueError, match="needs at least 2 of them, got 1"):
        clf.fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="selection"):
        TrAdaBoostClassifier(selection="cv").fit(X, y, sample_domain=sd)
