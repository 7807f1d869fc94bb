import numpy as np
import pytest
from scipy.stats import multivariate_normal

from sktransfer.metrics import h_score, leep_score, logme_score
from sktransfer.metrics._transferability import _logme_fit

FEATURE_SCORES = [logme_score, h_score]
NOISE_LEVELS = (0.25, 0.5, 1.0, 2.0, 4.0)


def _blobs(n=240, d=6, n_classes=3, seed=0):
    """Labels, class means and unit noise: ``means[y] + level * noise``."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    means = 2.0 * rng.normal(size=(n_classes, d))
    return y, means[y], rng.normal(size=(n, d))


def _direct_log_evidence(F, y, alpha, beta):
    """log N(y; 0, I / beta + F F^T / alpha), per row: the evidence by definition."""
    n = F.shape[0]
    cov = np.eye(n) / beta + F @ F.T / alpha
    return multivariate_normal(np.zeros(n), cov).logpdf(y) / n


# ---------------------------------------------------------------- rankings


@pytest.mark.parametrize("score", FEATURE_SCORES)
def test_feature_scores_decrease_with_the_noise(score):
    y, signal, noise = _blobs()
    values = [score(signal + level * noise, y) for level in NOISE_LEVELS]
    assert all(a > b for a, b in zip(values, values[1:])), values


@pytest.mark.parametrize("score", FEATURE_SCORES)
def test_feature_scores_rank_informative_above_pure_noise(score):
    y, signal, noise = _blobs()
    rng = np.random.RandomState(1)
    informative = score(signal + noise, y)
    uninformative = score(rng.normal(size=noise.shape), y)
    assert informative > uninformative


def test_logme_ranks_informative_features_when_n_is_below_d():
    y, signal, noise = _blobs(n=30, d=80)
    values = [logme_score(signal + level * noise, y) for level in (0.5, 2.0, 8.0)]
    assert values[0] > values[1] > values[2]
    assert np.isfinite(values).all()


def test_leep_decreases_as_the_source_predictions_blur():
    rng = np.random.RandomState(0)
    n, n_source = 300, 6
    y = rng.randint(3, size=n)
    mapped = np.eye(n_source)[(y * 2 + rng.randint(2, size=n))]  # z -> y is 2-to-1
    random = rng.dirichlet(np.ones(n_source), size=n)
    values = [
        leep_score((1 - mix) * mapped + mix * random, y)
        for mix in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    assert all(a > b for a, b in zip(values, values[1:])), values
    assert values[0] == pytest.approx(0.0, abs=1e-12)  # z determines y
    assert all(v <= 0 for v in values)


def test_leep_one_to_one_source_beats_random_predictions():
    rng = np.random.RandomState(0)
    y = rng.choice(["cat", "dog", "owl"], size=200)
    z = np.searchsorted(["cat", "dog", "owl"], y)
    logits = 3.0 * np.eye(4)[z] + rng.normal(size=(200, 4))
    matched = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    random = rng.dirichlet(np.ones(4), size=200)
    assert leep_score(matched, y) > leep_score(random, y) + 0.3


# ------------------------------------------------------------ exact values


def test_leep_of_uninformative_predictions_is_minus_the_label_entropy():
    y = np.array([0, 0, 0, 1, 1, 2])
    p = np.array([3, 2, 1]) / 6
    theta = np.full((6, 4), 0.25)  # the same prediction for every row
    assert leep_score(theta, y) == pytest.approx(np.sum(p * np.log(p)))


def test_leep_by_hand():
    # Two rows per class; the joint P(y, z) and P(y | z) worked out by hand.
    theta = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.5, 0.5]])
    y = np.array(["a", "a", "b", "b"])
    # P(y, z) = [[1.5, 0.5], [0.5, 1.5]] / 4; P(z) = [0.5, 0.5]
    # P(y | z) = [[0.75, 0.25], [0.25, 0.75]]
    # EEP of the true label: 0.75, 0.5, 0.75, 0.5
    expected = np.mean(np.log([0.75, 0.5, 0.75, 0.5]))
    assert leep_score(theta, y) == pytest.approx(expected)
    # A source class nobody predicts changes nothing.
    padded = np.hstack([theta, np.zeros((4, 1))])
    assert leep_score(padded, y) == pytest.approx(expected)


def test_h_score_equals_the_definition_on_a_tiny_example():
    F = np.array(
        [[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0], [0.0, 1.0], [5.0, 4.0]]
    )
    y = np.array([0, 0, 1, 1, 0, 1])
    class_means = np.array([F[y == c].mean(axis=0) for c in (0, 1)])[y]
    expected = np.trace(
        np.linalg.inv(np.cov(F, rowvar=False)) @ np.cov(class_means, rowvar=False)
    )
    assert h_score(F, y) == pytest.approx(expected)


def test_h_score_is_finite_and_unchanged_for_collinear_features():
    y, signal, noise = _blobs(d=4)
    F = signal + noise
    collinear = np.hstack([F, F[:, :2], F[:, :1] - 3 * F[:, 1:2]])
    assert np.isfinite(h_score(collinear, y))
    assert h_score(collinear, y) == pytest.approx(h_score(F, y))
    # Invariant to an invertible linear map; bounded by n_classes - 1.
    A = np.random.RandomState(3).normal(size=(4, 4))
    assert h_score(F @ A + 5.0, y) == pytest.approx(h_score(F, y))
    assert 0 <= h_score(F, y) <= 2
    assert h_score(np.ones((10, 3)), np.arange(10) % 2) == 0.0


@pytest.mark.parametrize("shape", [(40, 5), (12, 30)])
def test_logme_is_the_maximum_of_the_evidence(shape):
    rng = np.random.RandomState(0)
    n, d = shape
    F = rng.normal(size=(n, d)) + rng.randint(2, size=(n, 1))
    codes = rng.randint(2, size=n)
    evidence, alphas, betas = _logme_fit(F, codes, 2)
    for c in range(2):
        yc = (codes == c).astype(float)
        at_optimum = _direct_log_evidence(F, yc, alphas[c], betas[c])
        assert evidence[c] == pytest.approx(at_optimum, rel=1e-8)
        for fa in (0.5, 2.0):
            for fb in (0.5, 2.0):
                nearby = _direct_log_evidence(F, yc, fa * alphas[c], fb * betas[c])
                assert nearby < at_optimum
    assert logme_score(F, codes) == pytest.approx(evidence.mean())


def test_logme_invariances():
    y, signal, noise = _blobs(n=90)
    F = signal + noise
    reference = logme_score(F, y)
    order = np.random.RandomState(0).permutation(len(y))
    assert logme_score(F[order], y[order]) == pytest.approx(reference, rel=1e-10)
    assert logme_score(1e3 * F, y) == pytest.approx(reference, rel=1e-6)
    names = np.array(["b", "c", "a"])[y]
    assert logme_score(F, names) == pytest.approx(reference, rel=1e-10)
    assert logme_score(F.tolist(), y.tolist()) == pytest.approx(reference)


# -------------------------------------------------------------- bad inputs

GOOD_F = np.random.RandomState(0).normal(size=(6, 3))
GOOD_Y = np.array([0, 1, 0, 1, 2, 2])
GOOD_P = np.full((6, 4), 0.25)


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


BAD_FEATURES = [
    (GOOD_F[:, 0], GOOD_Y, "2-d array"),
    (GOOD_F[None], GOOD_Y, "2-d array"),
    (GOOD_F[:, :0], GOOD_Y, "0 columns"),
    (_with(GOOD_F, (1, 1), np.nan), GOOD_Y, "1 NaN"),
    (_with(GOOD_F, (1, 1), np.inf), GOOD_Y, "1 infinite"),
    (GOOD_F.astype(str), GOOD_Y, "numeric features"),
    (GOOD_F, GOOD_Y[:5], "6 rows but y with 5 labels"),
    (GOOD_F, GOOD_Y[:, None], "1-d array of labels"),
    (GOOD_F, np.zeros(6), "at least 2 classes"),
    (GOOD_F, _with(GOOD_Y, 0, np.nan), "NaN or infinite labels"),
    (GOOD_F, np.array(["a", None, "a", "b", "b", "a"], dtype=object), "missing"),
    (GOOD_F, np.array(["a", 1, "a", 1, 1, "a"], dtype=object), "comparable type"),
]


@pytest.mark.parametrize("score", FEATURE_SCORES)
@pytest.mark.parametrize("features, y, message", BAD_FEATURES)
def test_feature_scores_reject_bad_input(score, features, y, message):
    with pytest.raises(ValueError, match=message):
        score(features, y)


@pytest.mark.parametrize("score", FEATURE_SCORES)
def test_feature_scores_reject_sparse_features(score):
    import scipy.sparse as sp

    with pytest.raises(ValueError, match="sparse"):
        score(sp.csr_matrix(GOOD_F), GOOD_Y)


def test_logme_rejects_all_zero_features():
    with pytest.raises(ValueError, match="all zero"):
        logme_score(np.zeros((6, 3)), GOOD_Y)


BAD_PROBA = [
    (GOOD_P[:, 0], GOOD_Y, "2-d array"),
    (GOOD_P[:, :0], GOOD_Y, "0 columns"),
    (_with(GOOD_P, (2, 0), np.nan), GOOD_Y, "1 NaN"),
    (_with(GOOD_P, (2, 0), np.inf), GOOD_Y, "1 infinite"),
    (GOOD_P - 0.5, GOOD_Y, "negative values .* not the logits"),
    (_with(GOOD_P, (3, 0), 0.5), GOOD_Y, "sum to 1.*row 3 sums to 1.25"),
    (2 * GOOD_P, GOOD_Y, "sum to 1.*6 row"),
    (GOOD_P.astype(str), GOOD_Y, "numeric source_proba"),
    (GOOD_P, GOOD_Y[:4], "source_proba with 6 rows but y with 4 labels"),
    (GOOD_P, np.ones(6, dtype=int), "at least 2 classes"),
]


@pytest.mark.parametrize("proba, y, message", BAD_PROBA)
def test_leep_rejects_bad_input(proba, y, message):
    with pytest.raises(ValueError, match=message):
        leep_score(proba, y)


def test_leep_accepts_float32_softmax_and_renormalises():
    rng = np.random.RandomState(0)
    logits = rng.normal(size=(50, 1000)).astype(np.float32)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.randint(2, size=50)
    value = leep_score(proba, y)
    assert value == pytest.approx(leep_score(proba.astype(np.float64), y), abs=1e-6)
