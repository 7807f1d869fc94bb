"""TransferSelector: what it picks, what it reports, how it fails."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import FeatureAugmentation
from sktransfer.model_selection import TransferSelector
from sktransfer.model_selection._fit import fit_with_sample_domain
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels


def _data(shift="concept", severity=0.9, n_labeled=20, seed=0):
    X, y_true, sample_domain = make_domain_shift(
        200, 200, shift=shift, severity=severity, n_features=4, random_state=seed
    )
    y = hide_target_labels(y_true, sample_domain, n_labeled=n_labeled, random_state=0)
    return X, y, y_true, sample_domain


def _hidden_accuracy(estimator, X, y, y_true, sample_domain):
    hidden = (sample_domain < 0) & (y == -1)
    fitted = fit_with_sample_domain(clone(estimator), X, y, sample_domain)
    return fitted.score(X[hidden], y_true[hidden])


def test_never_below_the_best_baseline_under_concept_shift():
    # the source labels are wrong on the target: every method that trusts them
    # falls far below target-only, and the selector must not pick one
    X, y, y_true, sample_domain = _data()
    selector = TransferSelector(base_estimator=LogisticRegression(), random_state=0)
    selector.fit(X, y, sample_domain=sample_domain)
    accuracy = {
        name: _hidden_accuracy(est, X, y, y_true, sample_domain)
        for name, est in selector.candidates_
    }
    best_baseline = max(accuracy[name] for name in ("source_only", "target_only"))
    assert accuracy["source_only"] < best_baseline - 0.3
    hidden = (sample_domain < 0) & (y == -1)
    assert selector.score(X[hidden], y_true[hidden]) >= best_baseline - 0.005
    assert selector.best_baseline_ == "target_only"
    assert selector.verdict_ in ("ties", "hurts")


class _LabelCheat(ClassifierMixin, BaseEstimator):
    """A 'transfer method' that is right on the target: a clear gain to find."""

    def fit(self, X, y, sample_domain=None):
        self.classes_ = np.unique(y[y != -1])
        return self

    def predict(self, X):
        return (X[:, 0] > 0).astype(int)


def test_picks_a_transfer_candidate_that_clearly_helps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y_true = (X[:, 0] > 0).astype(int)
    sample_domain = np.r_[np.ones(150, int), -np.ones(150, int)]
    y = y_true.copy()
    y[:150] = rng.randint(2, size=150)  # useless source labels
    y = hide_target_labels(y, sample_domain, n_labeled=12, random_state=0)
    selector = TransferSelector(
        [("cheat", _LabelCheat())], base_estimator=DummyClassifier(), random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    assert selector.best_name_ == "cheat"
    assert selector.verdict_ == "helps" and not selector.negative_transfer_
    index = list(selector.cv_results_["name"]).index("cheat")
    assert selector.cv_results_["gain_low"][index] > 0
    assert "* cheat" in selector.summary()


def test_cv_results_and_cost():
    X, y, _, sample_domain = _data(n_labeled=10)
    candidates = [
        (
            "augmentation",
            make_transfer_pipeline(FeatureAugmentation(), LogisticRegression()),
        )
    ]
    selector = TransferSelector(
        candidates, base_estimator=LogisticRegression(), cv=5, n_repeats=2
    ).fit(X, y, sample_domain=sample_domain)
    results = selector.cv_results_
    assert list(results["name"]) == [
        "source_only",
        "target_only",
        "pooled",
        "augmentation",
    ]
    assert [k for k in results if k.startswith("split")] == [
        f"split{i}_test_score" for i in range(10)
    ]
    assert sorted(results["rank_test_score"]) == [1, 2, 3, 4]
    # source-only is fitted once (it sees no target row), the others per fold
    assert selector.n_fits_ == 1 + 3 * 10 + 1
    best = list(results["name"]).index(selector.best_baseline_)
    assert results["mean_gain"][best] == 0
    assert selector.best_estimator_.predict(X).shape == (X.shape[0],)


def test_parallel_equals_serial():
    X, y, _, sample_domain = _data(n_labeled=10)
    params = dict(base_estimator=LogisticRegression(), n_repeats=1, random_state=0)
    serial = TransferSelector(**params).fit(X, y, sample_domain=sample_domain)
    parallel = TransferSelector(**params, n_jobs=2).fit(
        X, y, sample_domain=sample_domain
    )
    np.testing.assert_array_equal(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


class _Broken(ClassifierMixin, BaseEstimator):
    def fit(self, X, y, sample_domain=None):
        raise RuntimeError("broken on purpose")


def test_a_failing_candidate_is_reported_and_not_chosen():
    X, y, _, sample_domain = _data(n_labeled=10)
    selector = TransferSelector(
        [("broken", _Broken())], base_estimator=LogisticRegression(), n_repeats=1
    )
    with pytest.warns(UserWarning, match="broken: RuntimeError: broken on purpose"):
        selector.fit(X, y, sample_domain=sample_domain)
    assert selector.best_name_ != "broken"
    assert "broken on purpose" in selector.cv_results_["error"][-1]
    assert "failed" in selector.summary()


def test_without_target_labels_source_only_without_clear_evidence():
    X, y, _, sample_domain = _data(n_labeled=0)
    selector = TransferSelector(base_estimator=LogisticRegression(), random_state=0)
    selector.fit(X, y, sample_domain=sample_domain)
    assert "target_only" not in selector.cv_results_["name"]
    assert selector.criterion_ != "target_cv"
    assert selector.n_fits_ == len(selector.candidates_)
    # a concept shift leaves the criterion no clear evidence for any mapping
    gains = selector.cv_results_["mean_gain"]
    assert np.nanmax(gains) < selector.min_unsupervised_gain
    assert selector.best_name_ == "source_only"


def test_without_target_rows_it_is_the_plain_estimator():
    X, y, _, _ = _data()
    y = np.where(y == -1, 0, y)
    selector = TransferSelector(base_estimator=LogisticRegression()).fit(X, y)
    plain = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(selector.predict_proba(X), plain.predict_proba(X))
    assert selector.best_name_ == "source_only"


@pytest.mark.parametrize(
    "estimators, error, message",
    [
        ([LogisticRegression()], TypeError, "list of \\(name, estimator\\) tuples"),
        ([("pooled", LogisticRegression())], ValueError, "'pooled' is used twice"),
        (
            [("a", LogisticRegression()), ("a", LogisticRegression())],
            ValueError,
            "'a' is used twice",
        ),
    ],
)
def test_bad_candidate_lists(estimators, error, message):
    X, y, _, sample_domain = _data(n_labeled=10)
    with pytest.raises(error, match=message):
        TransferSelector(estimators).fit(X, y, sample_domain=sample_domain)


class _Collapsed(ClassifierMixin, BaseEstimator):
    """A confident model that predicts one class everywhere."""

    def fit(self, X, y, sample_domain=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        return np.tile([0.999, 0.001], (len(X), 1))

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_without_target_labels_a_collapsed_model_is_never_chosen():
    # prediction entropy rewards the collapse (entropy near 0); the default
    # criterion, information maximization, scores it 0
    from sktransfer.model_selection import PredictionEntropyScorer

    X, y, _, sample_domain = _data(shift="covariate", n_labeled=0)
    candidates = [("collapsed", _Collapsed())]
    params = dict(base_estimator=LogisticRegression(), random_state=0)
    default = TransferSelector(candidates, **params)
    default.fit(X, y, sample_domain=sample_domain)
    assert default.best_name_ == "source_only"
    entropy = TransferSelector(
        candidates, unsupervised_scoring=PredictionEntropyScorer(), **params
    ).fit(X, y, sample_domain=sample_domain)
    assert entropy.best_name_ == "collapsed"


def _few_labels_per_class(per_class, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(240, 3))
    y_true = np.tile(np.arange(4), 60)
    X[:, 0] += 2 * y_true
    sample_domain = np.r_[np.ones(120, int), -np.ones(120, int)]
    y = hide_target_labels(
        y_true, sample_domain, n_labeled=per_class, per_class=True, random_state=seed
    )
    return X, y, sample_domain


def test_folds_keep_the_class_proportions_of_the_labeled_rows():
    # 3 labels per class: 10 folds would always leave the held-out row's class
    # one row short in training; the folds are 3, drawn 7 times (about 20)
    X, y, sample_domain = _few_labels_per_class(3)
    selector = TransferSelector([], base_estimator=LogisticRegression(), cv=10)
    labeled_target = (sample_domain < 0) & (y != -1)
    folds, n_splits = selector._target_folds(
        y, labeled_target, np.random.RandomState(0)
    )
    assert n_splits == 3 and len(folds) == 21
    for train, test in folds:
        assert np.all(labeled_target[test])
        assert sorted(y[test]) == [0, 1, 2, 3]
        kept = train[labeled_target[train]]
        assert np.all(np.bincount(y[kept]) == 2)
        assert np.isin(np.flatnonzero(sample_domain > 0), train).all()
    selector.fit(X, y, sample_domain=sample_domain)
    assert selector.n_fits_ == 1 + 2 * 21 + 1  # source-only once


def test_a_class_with_one_label_is_never_held_out():
    X, y, sample_domain = _few_labels_per_class(3)
    single = np.flatnonzero((sample_domain < 0) & (y == 3))[1:]
    y[single] = -1  # class 3 keeps one labeled target row
    selector = TransferSelector([], base_estimator=LogisticRegression(), n_repeats=1)
    with pytest.warns(UserWarning, match="1 labeled target row.* never held out"):
        selector.fit(X, y, sample_domain=sample_domain)
    assert selector.n_fits_ == 1 + 2 * 12 + 1  # 3 folds drawn 4 times
    X, y, sample_domain = _few_labels_per_class(1)
    with pytest.warns(UserWarning, match="Every class has a single labeled"):
        selector.fit(X, y, sample_domain=sample_domain)
    assert selector.n_fits_ == 1 + 2 * 4 + 1


def test_a_mapping_that_mirrors_the_classes_is_not_chosen_with_a_few_labels():
    # inverted contrast: Subspace Alignment maps the target onto a mirror image
    # of the source and scores far below chance; a few target labels show it
    from sktransfer.datasets import load_shifted_digits
    from sktransfer.feature import SubspaceAlignment

    X, y_true, sample_domain = load_shifted_digits(
        "inversion", severity=1.0, random_state=0
    )
    X = X / 16.0
    base = LogisticRegression(max_iter=300)
    mirror = make_transfer_pipeline(SubspaceAlignment(n_components=20), clone(base))
    y = hide_target_labels(
        y_true, sample_domain, n_labeled=3, per_class=True, random_state=0
    )
    hidden = (sample_domain < 0) & (y == -1)
    assert _hidden_accuracy(mirror, X, y, y_true, sample_domain) < 0.1
    selector = TransferSelector(
        [("sa", mirror)], base_estimator=base, cv=3, n_repeats=1, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    assert selector.best_name_ == "target_only"
    assert selector.score(X[hidden], y_true[hidden]) > 0.6
    unlabeled = TransferSelector([("sa", mirror)], base_estimator=base, cv=3)
    unlabeled.fit(
        X, np.where(sample_domain < 0, -1, y_true), sample_domain=sample_domain
    )
    assert "swaps the classes" in unlabeled.summary()


def test_with_one_label_per_class_target_only_replaces_models_below_chance():
    # target = the source reflected through the origin: every model that
    # trusts the source labels names another class; leave-one-out cannot score
    # target-only, but the 3 labeled rows show that nothing else beats chance
    rng = np.random.RandomState(0)
    centres = 4 * np.array([[1, 0], [-0.5, 0.87], [-0.5, -0.87]])
    y_true = np.repeat(np.arange(3), 60)
    X_source = centres[y_true] + rng.normal(scale=0.5, size=(180, 2))
    X_target = -(centres[y_true] + rng.normal(scale=0.5, size=(180, 2)))
    X = np.vstack([X_source, X_target])
    y_all = np.concatenate([y_true, y_true])
    sample_domain = np.repeat([1, -1], 180)
    y = hide_target_labels(
        y_all, sample_domain, n_labeled=1, per_class=True, random_state=0
    )
    hidden = (sample_domain < 0) & (y == -1)
    selector = TransferSelector(base_estimator=LogisticRegression(), random_state=0)
    with pytest.warns(UserWarning, match="No candidate beats chance"):
        selector.fit(X, y, sample_domain=sample_domain)
    assert selector.best_name_ == "target_only"
    assert selector.negative_transfer_
    assert selector.score(X[hidden], y_all[hidden]) > 0.9
    source_only = dict(selector.candidates_)["source_only"]
    assert _hidden_accuracy(source_only, X, y, y_all, sample_domain) < 0.1
