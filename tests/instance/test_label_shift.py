import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sktransfer.datasets import make_domain_shift
from sktransfer.instance import BBSEClassifier, EMLabelShiftClassifier, RLLSClassifier
from sktransfer.instance._label_shift import _rlls_theta

METHODS = [EMLabelShiftClassifier, BBSEClassifier, RLLSClassifier]
ids = [cls.__name__ for cls in METHODS]


def _gaussian_classes(n_source, n_target, target_priors, seed):
    """Unit Gaussian classes, means 3 apart on a circle; balanced source."""
    rng = np.random.RandomState(seed)
    k = len(target_priors)
    angles = 2 * np.pi * np.arange(k) / k
    radius = 3 / (2 * np.sin(np.pi / k))
    means = radius * np.c_[np.cos(angles), np.sin(angles)]
    y_source = rng.choice(k, n_source)
    y_target = rng.choice(k, n_target, p=target_priors)
    y = np.r_[y_source, y_target]
    X = means[y] + rng.normal(size=(y.size, 2))
    sd = np.r_[np.ones(n_source, int), -np.ones(n_target, int)]
    return X, y, sd


def _label_shift_data(kind, n_target, seed):
    """``(X, y_true, sd, true target priors)`` with a strong prior shift."""
    if kind == "make_domain_shift":
        X, y, sd = make_domain_shift(
            1000, n_target, shift="label", severity=1.0, n_classes=3, random_state=seed
        )
        priors = 20.0 ** (-np.arange(3) / 2)  # geometric, ratio 20 from 0 to 2
        return X, y, sd, priors / priors.sum()
    priors = np.array([0.7, 0.2, 0.1])
    X, y, sd = _gaussian_classes(1000, n_target, priors, seed)
    return X, y, sd, priors


def _hide(y, sd):
    return np.where(sd < 0, -1, y)


@pytest.mark.parametrize("kind", ["make_domain_shift", "gaussian"])
@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_estimated_priors_converge_to_the_true_ones(cls, kind):
    errors = {}
    for n_target in (50, 2000):
        errors[n_target] = np.mean(
            [
                np.abs(
                    cls().fit(X, _hide(y, sd), sample_domain=sd).target_priors_ - priors
                ).sum()
                for X, y, sd, priors in (
                    _label_shift_data(kind, n_target, seed) for seed in range(3)
                )
            ]
        )
    assert errors[2000] < errors[50]
    # L1 error; the source priors are 0.6 away from the target ones
    assert errors[2000] < 0.06


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_correction_beats_the_uncorrected_classifier_under_strong_shift(cls):
    gains = []
    for seed in range(3):
        X, y, sd = _gaussian_classes(500, 1000, [0.9, 0.1], seed)
        target = sd < 0
        plain = LogisticRegression().fit(X[~target], y[~target])
        model = cls().fit(X, _hide(y, sd), sample_domain=sd)
        assert model.target_priors_[0] > 0.8
        gains.append(
            model.score(X[target], y[target]) - plain.score(X[target], y[target])
        )
    # uncorrected ~0.93 on the target, corrected ~0.96 (Bayes rate)
    assert np.mean(gains) > 0.015


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_no_shift_keeps_the_source_priors_and_the_accuracy(cls):
    losses, deviations = [], []
    for seed in range(3):
        X, y, sd = _gaussian_classes(500, 1000, [1 / 3] * 3, seed)
        target = sd < 0
        plain = LogisticRegression().fit(X[~target], y[~target])
        model = cls().fit(X, _hide(y, sd), sample_domain=sd)
        deviations.append(np.abs(model.target_priors_ - 1 / 3).sum())
        losses.append(
            plain.score(X[target], y[target]) - model.score(X[target], y[target])
        )
    assert np.mean(deviations) < 0.1
    assert np.mean(losses) < 0.01


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_refit_trains_on_class_weighted_source_rows(cls):
    X, y, sd = _gaussian_classes(500, 1000, [0.9, 0.1], 0)
    target = sd < 0
    corrected = cls().fit(X, _hide(y, sd), sample_domain=sd)
    refitted = cls(refit=True).fit(X, _hide(y, sd), sample_domain=sd)
    np.testing.assert_allclose(refitted.target_priors_, corrected.target_priors_)
    plain = LogisticRegression().fit(X[~target], y[~target])
    assert refitted.score(X[target], y[target]) > plain.score(X[target], y[target])
    # the refitted model is not corrected a second time
    np.testing.assert_allclose(
        refitted.predict_proba(X[:5]), refitted.estimator_.predict_proba(X[:5])
    )


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_base_estimator_without_predict_proba_is_refused(cls):
    X, y, sd = _gaussian_classes(50, 50, [0.5, 0.5], 0)
    with pytest.raises(TypeError, match="LinearSVC has no predict_proba"):
        cls(LinearSVC()).fit(X, _hide(y, sd), sample_domain=sd)
    with pytest.raises(TypeError, match="KNeighborsClassifier.fit does not accept"):
        cls(KNeighborsClassifier(), refit=True).fit(X, _hide(y, sd), sample_domain=sd)
    # without refit, a classifier without sample_weight is fine
    cls(KNeighborsClassifier()).fit(X, _hide(y, sd), sample_domain=sd)


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_without_target_rows_it_is_the_plain_classifier(cls):
    X, y, sd = _gaussian_classes(200, 1, [0.5, 0.5], 0)
    X, y = X[:200], y[:200]
    model = cls().fit(X, y)
    np.testing.assert_array_equal(model.target_priors_, model.source_priors_)
    np.testing.assert_array_equal(model.class_weights_, [1.0, 1.0])
    plain = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_pickle_round_trip(cls):
    X, y, sd = _gaussian_classes(200, 200, [0.8, 0.2], 0)
    model = cls().fit(X, _hide(y, sd), sample_domain=sd)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(restored.target_priors_, model.target_priors_)


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_in_a_pipeline_with_sample_domain_routing(cls):
    X, y, sd = _gaussian_classes(300, 300, [0.8, 0.2], 0)
    y_seen = _hide(y, sd)
    direct = cls().fit(StandardScaler().fit_transform(X), y_seen, sample_domain=sd)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", cls())])
    with sklearn.config_context(enable_metadata_routing=True):
        pipe.fit(X, y_seen, sample_domain=sd)
        np.testing.assert_allclose(
            pipe[-1].target_priors_, direct.target_priors_, rtol=1e-6
        )
    pipe_off = Pipeline([("scale", StandardScaler()), ("clf", cls())])
    pipe_off.fit(X, y_seen, clf__sample_domain=sd)
    np.testing.assert_allclose(
        pipe_off.predict_proba(X), pipe.predict_proba(X), rtol=1e-6
    )


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_labeled_target_rows_count_in_the_estimate(cls):
    X, y, sd = _gaussian_classes(300, 100, [0.8, 0.2], 0)
    model = cls().fit(X, y, sample_domain=sd)  # every target row labeled
    np.testing.assert_allclose(model.target_priors_, np.bincount(y[sd < 0]) / 100)


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_string_labels_and_a_class_seen_only_in_the_target(cls):
    X, y, sd = _gaussian_classes(60, 30, [0.5, 0.25, 0.25], 0)
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y = names[y]
    # class "cat" is missing from the source; a few target rows keep labels
    source_cat = (sd > 0) & (y == "cat")
    X, y, sd = X[~source_cat], y[~source_cat], sd[~source_cat]
    y_seen = y.copy()
    y_seen[(sd < 0) & (np.arange(y.size) % 3 != 0)] = -1
    model = cls().fit(X, y_seen, sample_domain=sd)
    assert model.classes_.tolist() == ["ant", "bee", "cat"]
    assert model.class_weights_[2] == 0.0 and model.source_priors_[2] == 0.0
    assert model.target_priors_[2] > 0  # from the labeled target rows
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= {"ant", "bee"}


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_tiny_classes_fall_back_without_cross_validation(cls):
    X = np.array([[0.0], [0.1], [3.0], [3.2], [0.05], [3.1], [2.9]])
    y = np.array([0, 0, 1, 1, -1, -1, -1])
    sd = np.array([1, 1, 1, 1, -1, -1, -1])
    X1 = np.r_[X[:3], X[4:]]  # class 1 has one source row: no folds
    y1, sd1 = np.r_[y[:3], y[4:]], np.r_[sd[:3], sd[4:]]
    for data in ((X, y, sd), (X1, y1, sd1)):
        model = cls().fit(*data[:2], sample_domain=data[2])
        assert np.isfinite(model.target_priors_).all()
        np.testing.assert_allclose(model.target_priors_.sum(), 1.0)
        assert model.target_priors_[1] > model.target_priors_[0]


@pytest.mark.parametrize("cls", METHODS, ids=ids)
def test_sparse_input(cls):
    X, y, sd = _gaussian_classes(200, 200, [0.8, 0.2], 0)
    dense = cls().fit(X, _hide(y, sd), sample_domain=sd)
    sparse = cls().fit(sp.csr_matrix(X), _hide(y, sd), sample_domain=sd)
    np.testing.assert_allclose(sparse.target_priors_, dense.target_priors_, atol=1e-6)


def test_rlls_regularisation_shrinks_towards_no_correction():
    X, y, sd = _gaussian_classes(300, 40, [0.9, 0.1], 0)
    y_seen = _hide(y, sd)
    bbse = BBSEClassifier().fit(X, y_seen, sample_domain=sd)
    free = RLLSClassifier(reg=0.0).fit(X, y_seen, sample_domain=sd)
    strong = RLLSClassifier(reg=100.0).fit(X, y_seen, sample_domain=sd)
    np.testing.assert_allclose(free.target_priors_, bbse.target_priors_, atol=1e-4)
    np.testing.assert_allclose(strong.class_weights_, 1.0, atol=1e-6)
    middle = RLLSClassifier(reg=5.0).fit(X, y_seen, sample_domain=sd)
    assert (
        strong.target_priors_[0] <= middle.target_priors_[0] <= free.target_priors_[0]
    )


def test_rlls_solver_reaches_the_optimum():
    rng = np.random.RandomState(0)
    for _ in range(3):
        C = 0.1 * rng.uniform(size=(4, 4)) + np.diag([0.2, 0.1, 0.05, 0.02])
        b = 0.1 * rng.normal(size=4)
        for delta in (0.0, 0.05, 1.0):
            theta = _rlls_theta(C, b, delta)
            assert np.all(theta >= -1 - 1e-9)

            def value(t, C=C, b=b, delta=delta):
                return np.linalg.norm(C @ t - b) + delta * np.linalg.norm(t)

            nearby = np.maximum(theta + 0.01 * rng.normal(size=(500, 4)), -1.0)
            assert value(theta) <= min(value(t) for t in nearby) + 1e-7


def test_em_calibration_options():
    X, y, sd = _gaussian_classes(300, 300, [0.8, 0.2], 0)
    y_seen = _hide(y, sd)
    bcts = EMLabelShiftClassifier().fit(X, y_seen, sample_domain=sd)
    assert bcts.calibration_bias_.shape == (2,)
    temperature = EMLabelShiftClassifier(calibration="temperature").fit(
        X, y_seen, sample_domain=sd
    )
    assert temperature.calibration_bias_ is None
    assert temperature.calibration_temperature_ > 0
    raw = EMLabelShiftClassifier(calibration=None).fit(X, y_seen, sample_domain=sd)
    assert raw.calibration_temperature_ == 1.0
    for model in (bcts, temperature, raw):
        assert 1 <= model.n_iter_ <= model.max_iter
        assert abs(model.target_priors_[0] - 0.8) < 0.1


def _multi_source(n_target, seed, source_priors=(0.3, 0.6), target_prior=0.9):
    """Two unit Gaussian classes 3 apart; sources and target differ in priors."""
    rng = np.random.RandomState(seed)
    parts, labels, domains = [], [], []
    for domain, (n, p) in enumerate(
        [(300, q) for q in source_priors] + [(n_target, target_prior)]
    ):
        y = (rng.uniform(size=n) < p).astype(int)
        parts.append(rng.normal(size=(n, 2)) + 3 * y[:, None])
        labels.append(y)
        domains.append(np.full(n, domain + 1 if domain < len(source_priors) else -1))
    return np.concatenate(parts), np.concatenate(labels), np.concatenate(domains)


def test_jcpot_estimates_the_target_priors_from_several_sources():
    pytest.importorskip("ot")
    from sktransfer.instance import JCPOTClassifier

    errors = {}
    for n_target in (50, 1000):
        errors[n_target] = np.mean(
            [
                abs(
                    JCPOTClassifier()
                    .fit(X, _hide(y, sd), sample_domain=sd)
                    .target_priors_[1]
                    - 0.9
                )
                for X, y, sd in (_multi_source(n_target, seed) for seed in range(3))
            ]
        )
    assert errors[1000] < errors[50]
    assert errors[1000] < 0.05


def test_jcpot_reweights_each_source_and_beats_the_pooled_classifier():
    pytest.importorskip("ot")
    from sktransfer.instance import JCPOTClassifier

    gains = []
    for seed in range(3):
        X, y, sd = _multi_source(1000, seed, target_prior=0.95)
        target = sd < 0
        model = JCPOTClassifier().fit(X, _hide(y, sd), sample_domain=sd)
        np.testing.assert_array_equal(model.source_domains_, [1, 2])
        np.testing.assert_allclose(model.domain_priors_.sum(axis=1), 1.0)
        assert model.domain_priors_[0, 1] < model.domain_priors_[1, 1]
        pooled = LogisticRegression().fit(X[~target], y[~target])
        gains.append(
            model.score(X[target], y[target]) - pooled.score(X[target], y[target])
        )
    assert np.mean(gains) > 0.01
    # without target rows: the plain classifier on the pooled sources
    plain = JCPOTClassifier().fit(X[~target], y[~target])
    np.testing.assert_allclose(
        plain.predict_proba(X[:5]), pooled.predict_proba(X[:5]), rtol=1e-6
    )


def test_importing_the_package_does_not_import_pot():
    import subprocess
    import sys

    code = "import sys, sktransfer.instance; assert 'ot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
