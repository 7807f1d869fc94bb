import importlib

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

from sktransfer.benchmark import (
    DATASETS,
    METHODS,
    BaselineClassifier,
    DatasetSpec,
    MethodSpec,
    TransformedClassifier,
    TunedLogisticRegression,
    register_dataset,
    register_method,
    resolve_names,
)
from sktransfer.cli import main


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Remembers the rows it was fitted on."""

    def fit(self, X, y):
        self.X_fit_, self.y_fit_ = np.asarray(X), np.asarray(y)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.classes_[0])


X = np.arange(12.0).reshape(6, 2)
Y = np.array([0, 1, 0, 1, -1, -1])
SD = np.array([1, 1, -1, -1, -1, -1])


def test_baselines_are_registered_first_with_their_kind():
    assert list(METHODS)[:3] == ["source_only", "target_only", "pooled"]
    assert {METHODS[m].kind for m in ["source_only", "target_only", "pooled"]} == {
        "baseline"
    }
    for name in ["digits", "office_caltech", "amazon", "mnist_digits", "synthetic"]:
        assert name in DATASETS
    assert len(DATASETS["amazon"].pairs) == len(DATASETS["office_caltech"].pairs) == 12


@pytest.mark.parametrize(
    "name, rows",
    [("source_only", [0, 1]), ("target_only", [2, 3]), ("pooled", [0, 1, 2, 3])],
)
def test_baselines_fit_on_their_rows(name, rows):
    model = METHODS[name].make(RecordingClassifier(), random_state=0)
    model.fit(X, Y, sample_domain=SD)
    np.testing.assert_array_equal(model.estimator_.X_fit_, X[rows])
    assert -1 not in model.estimator_.y_fit_


def test_make_clones_the_base_estimator():
    base = RecordingClassifier()
    METHODS["pooled"].make(base).fit(X, Y, sample_domain=SD)
    assert not hasattr(base, "X_fit_")


def test_target_only_predicts_with_missing_classes():
    y = np.array([0, 1, 2, 2, -1, -1])  # target labels only show class 2
    model = BaselineClassifier(rows="target").fit(X, y, sample_domain=SD)
    assert model.classes_.tolist() == [2]
    assert model.predict(X).tolist() == [2] * 6


def test_baseline_without_rows_raises():
    with pytest.raises(ValueError, match="has no rows"):
        BaselineClassifier(rows="target").fit(
            X, [0, 1, -1, -1, -1, -1], sample_domain=SD
        )
    with pytest.raises(ValueError, match="'rows' parameter"):
        BaselineClassifier(rows="all").fit(X, Y, sample_domain=SD)


def test_tuned_logistic_regression_cross_validates_only_with_enough_rows():
    rng = np.random.RandomState(0)
    Xr = rng.normal(size=(40, 3))
    y = (Xr[:, 0] > 0).astype(int)
    tuned = TunedLogisticRegression(Cs=[0.01, 100.0], C=7.0, random_state=0)
    tuned.fit(Xr, y)
    assert tuned.best_C_ in (0.01, 100.0)
    tuned.fit(Xr[[0, 1, 2, 3]], [0, 0, 1, 1])  # two rows per class < cv=3
    assert tuned.best_C_ == 7.0 and tuned.cv_results_ is None
    tuned.fit(sp.csr_matrix(Xr), y)  # sparse input
    assert tuned.score(sp.csr_matrix(Xr), y) > 0.8
    tuned.fit(Xr[:3], [4, 4, 4])  # a single class
    assert tuned.predict(Xr).tolist() == [4] * 40
    assert tuned.predict_proba(Xr).shape == (40, 1)


def test_tuned_logistic_regression_takes_sample_weight():
    """Weights reach the search and the final fit (JCPOT and the weighted
    refits of the label-shift methods retrain it on class-weighted rows)."""
    rng = np.random.RandomState(0)
    Xr = rng.normal(size=(200, 2))
    y = (Xr[:, 0] + rng.normal(scale=1.0, size=200) > 0).astype(int)
    plain = TunedLogisticRegression().fit(Xr, y)
    ones = TunedLogisticRegression().fit(Xr, y, sample_weight=np.ones(200))
    np.testing.assert_allclose(ones.coef_, plain.coef_, rtol=1e-6)
    weight = np.where(y == 1, 10.0, 1.0)
    weighted = TunedLogisticRegression().fit(Xr, y, sample_weight=weight)
    assert weighted.predict(Xr).mean() > plain.predict(Xr).mean() + 0.1
    with pytest.raises(ValueError, match="[Nn]egative"):
        TunedLogisticRegression().fit(Xr, y, sample_weight=-weight)


def test_tuned_logistic_regression_stops_past_the_best_C_and_agrees_with_lrcv():
    # label noise: the log loss is best at a moderate C, worse on both sides
    X, y = make_classification(
        300, n_features=20, n_informative=5, flip_y=0.2, random_state=0
    )
    Cs = np.logspace(-3, 3, 7)
    tuned = TunedLogisticRegression(Cs=Cs).fit(X, y)
    tried = tuned.cv_results_["param_C"]
    scores = tuned.cv_results_["mean_test_score"]
    # the search went up from the smallest C and stopped at the first worse one
    np.testing.assert_array_equal(tried, Cs[: tried.size])
    assert tried.size < Cs.size
    assert scores[-1] < scores.max() and np.all(np.diff(scores[:-1]) > 0)
    assert tuned.best_C_ == tried[np.argmax(scores)]
    # the same choice as scikit-learn's exhaustive search on the same folds
    reference = LogisticRegressionCV(
        Cs=Cs,
        cv=3,
        scoring="neg_log_loss",
        max_iter=500,
        l1_ratios=(0.0,),
        use_legacy_attributes=False,
    ).fit(X, y)
    assert tuned.best_C_ == pytest.approx(float(np.ravel(reference.C_)[0]))
    np.testing.assert_allclose(
        tuned.predict_proba(X),
        LogisticRegression(C=tuned.best_C_, max_iter=500).fit(X, y).predict_proba(X),
        atol=1e-3,
    )


def test_register_method_function_and_decorator():
    try:
        spec = register_method("toy_fn", lambda base, rs: base, kind="instance")
        assert isinstance(spec, MethodSpec) and METHODS["toy_fn"] is spec

        @register_method("toy_deco", kind="feature", description="d")
        def build(base, random_state):
            return base

        assert callable(build) and METHODS["toy_deco"].build is build
        with pytest.raises(ValueError, match="already registered"):
            register_method("toy_fn", lambda base, rs: base)
        register_method("toy_fn", lambda base, rs: None, replace=True)
        assert METHODS["toy_fn"].make(None) is None
        with pytest.raises(ValueError, match="kind must be one of"):
            register_method("toy_bad", lambda b, r: b, kind="magic")
        with pytest.raises(TypeError, match="module:Class"):
            register_method("toy_bad", "not a path")
    finally:
        for name in ["toy_fn", "toy_deco", "toy_bad"]:
            METHODS.pop(name, None)
    assert "toy_bad" not in METHODS


def test_plain_classifier_from_class_path_fits_on_labeled_rows_only():
    spec = MethodSpec(
        "bag", "sklearn.ensemble:BaggingClassifier", params={"n_estimators": 3}
    )
    model = spec.make(LogisticRegression(), random_state=5)
    # a plain classifier would learn the unlabeled marker -1 as a class
    assert isinstance(model, BaselineClassifier) and model.rows == "pooled"
    bagging = model.estimator
    assert type(bagging).__name__ == "BaggingClassifier"
    assert bagging.n_estimators == 3 and bagging.random_state == 5
    assert isinstance(bagging.estimator, LogisticRegression)
    model.fit(X, Y, sample_domain=SD)
    assert model.classes_.tolist() == [0, 1]


def test_domain_aware_classifier_from_class_path_is_used_as_it_is():
    spec = MethodSpec("tr", "sktransfer.instance:TrAdaBoostClassifier")
    model = spec.make(LogisticRegression(), random_state=5)
    assert type(model).__name__ == "TrAdaBoostClassifier"
    assert isinstance(model.estimator, LogisticRegression)
    assert model.random_state == 5


@pytest.mark.parametrize(
    "path, message",
    [
        ("sktransfer.instance:KernelMeanMatching", "sample weighting"),
        ("sktransfer.instance:DiscriminativeDensityRatio", "sample weighting"),
        ("sklearn.linear_model:Ridge", "regressor"),
        ("sklearn.utils:Bunch", "not an estimator"),
        ("sklearn.cluster:KMeans", "not a classifier"),
    ],
)
def test_wrong_kinds_are_refused_at_registration(registry, path, message):
    importlib.import_module(path.partition(":")[0])
    with pytest.raises(TypeError, match=message):
        register_method("wrong", path, kind="feature")
    assert "wrong" not in METHODS


def test_wrong_kind_not_yet_imported_is_refused_before_any_fit(registry, capsys):
    # a spec whose module was not imported at registration is checked when the
    # run's names are resolved: before any data is loaded or model fitted
    METHODS["kmm_raw"] = MethodSpec(
        "kmm_raw", "sktransfer.instance:KernelMeanMatching", kind="instance"
    )
    with pytest.raises(TypeError, match="KernelMeanMatching is a sample weighting"):
        resolve_names("toy", None, ["pooled", "kmm_raw"])
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--dataset", "toy", "--methods", "kmm_raw"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "ImportanceWeightedClassifier" in err and "Traceback" not in err
    METHODS["ghost"] = MethodSpec("ghost", "sktransfer.nowhere:Thing")
    with pytest.raises(ValueError, match="cannot import sktransfer.nowhere:Thing"):
        resolve_names("toy", None, ["ghost"])


def test_method_from_transformer_path_is_wrapped():
    spec = MethodSpec("pca", "sklearn.decomposition:PCA", params={"n_components": 1})
    model = spec.make(RecordingClassifier(), random_state=0)
    assert isinstance(model, TransformedClassifier)
    model.fit(X, Y, sample_domain=SD)
    # the mapping sees every row, the classifier only the four labeled rows
    assert model.transformer_.n_samples_ == 6
    assert model.estimator_.X_fit_.shape == (4, 1)
    assert model.predict(X).shape == (6,)


def test_transformed_classifier_passes_sample_domain_when_accepted():
    seen = {}

    class DomainScaler(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None, *, sample_domain=None):
            seen["sample_domain"] = sample_domain
            return self

        def transform(self, X):
            return X

    TransformedClassifier(DomainScaler(), DummyClassifier()).fit(X, Y, sample_domain=SD)
    np.testing.assert_array_equal(seen["sample_domain"], SD)


def test_transformed_classifier_fits_a_plain_supervised_mapping_on_labeled_rows():
    seen = {}

    class SupervisedSelector(TransformerMixin, BaseEstimator):
        def fit(self, X, y):
            seen["y"] = np.asarray(y)
            return self

        def transform(self, X):
            return X

        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.target_tags.required = True
            return tags

    model = TransformedClassifier(SupervisedSelector(), DummyClassifier())
    model.fit(X, Y, sample_domain=SD)
    # the marker of the unlabeled target rows would be a class to it
    np.testing.assert_array_equal(seen["y"], [0, 1, 0, 1])
    assert model.classes_.tolist() == [0, 1]


def test_register_dataset():
    def load(pair, **kwargs):
        return X, Y, SD

    try:
        spec = register_dataset(DatasetSpec("toy_ds", ("a->b",), load))
        assert DATASETS["toy_ds"] is spec
        with pytest.raises(ValueError, match="already registered"):
            register_dataset(DatasetSpec("toy_ds", ("a->b",), load))
        with pytest.raises(TypeError, match="DatasetSpec"):
            register_dataset({"name": "x"})
    finally:
        DATASETS.pop("toy_ds", None)


def test_office_caltech_preprocessing_normalises_then_zscores_each_domain():
    rng = np.random.RandomState(0)
    counts = rng.poisson(3.0, size=(20, 5)).astype(float) + 1
    counts[10:, 0] += 5  # the target differs in feature 0
    sd = np.repeat([1, -1], 10)
    out = DATASETS["office_caltech"].preprocess(counts * 7, sd)
    for rows in (sd > 0, sd < 0):
        np.testing.assert_allclose(out[rows].mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(out[rows].std(axis=0), 1)
    # scaling a row does not change it: rows were divided by their sum first
    same = DATASETS["office_caltech"].preprocess(counts, sd)
    np.testing.assert_allclose(out, same)


def test_amazon_preprocessing_keeps_sparse_unit_rows():
    counts = sp.csr_matrix(np.array([[0, 3, 1], [2, 0, 0]], dtype=float))
    out = DATASETS["amazon"].preprocess(counts, np.array([1, -1]))
    assert sp.issparse(out)
    np.testing.assert_allclose(np.sqrt(out.multiply(out).sum(axis=1)), 1)
    assert counts[0, 1] == 3  # input untouched
