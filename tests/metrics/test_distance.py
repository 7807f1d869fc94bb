import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import rbf_kernel

from sktransfer.metrics import (
    maximum_mean_discrepancy,
    mmd_permutation_test,
    proxy_a_distance,
)


def _brute_force_mmd2(Xs, Xt, kernel):
    m, n = len(Xs), len(Xt)
    k_ss = sum(kernel(Xs[i], Xs[j]) for i in range(m) for j in range(m) if i != j)
    k_tt = sum(kernel(Xt[i], Xt[j]) for i in range(n) for j in range(n) if i != j)
    k_st = sum(kernel(a, b) for a in Xs for b in Xt)
    return k_ss / (m * (m - 1)) + k_tt / (n * (n - 1)) - 2 * k_st / (m * n)


@pytest.fixture
def pair():
    rng = np.random.RandomState(0)
    return rng.normal(size=(12, 3)), rng.normal(0.5, 1, size=(9, 3))


def test_mmd_is_the_unbiased_u_statistic(pair):
    Xs, Xt = pair
    expected = _brute_force_mmd2(Xs, Xt, lambda a, b: a @ b)
    assert maximum_mean_discrepancy(Xs, Xt, kernel="linear") == pytest.approx(expected)

    def rbf(a, b):
        return rbf_kernel(a[None], b[None], gamma=0.3)[0, 0]

    expected = _brute_force_mmd2(Xs, Xt, rbf)
    got = maximum_mean_discrepancy(Xs, Xt, kernel="rbf", gamma=0.3)
    assert got == pytest.approx(expected)


def test_mmd_median_heuristic_and_sparse_input(pair):
    Xs, Xt = pair
    dense = maximum_mean_discrepancy(Xs, Xt)
    assert dense == pytest.approx(
        maximum_mean_discrepancy(sp.csr_matrix(Xs), sp.csr_matrix(Xt))
    )
    result = mmd_permutation_test(Xs, Xt, n_permutations=10, random_state=0)
    assert result.statistic == pytest.approx(dense)
    Z = np.vstack([Xs, Xt])
    d2 = ((Z[:, None] - Z[None]) ** 2).sum(-1)[np.triu_indices(len(Z), 1)]
    assert result.gamma == pytest.approx(1 / np.median(d2))


def test_mmd_grows_with_the_shift():
    rng = np.random.RandomState(0)
    Xs = rng.normal(size=(200, 2))
    values = [
        maximum_mean_discrepancy(Xs, rng.normal(shift, 1, (200, 2)), kernel=kernel)
        for kernel in ("linear", "rbf")
        for shift in (0.0, 0.5, 2.0)
    ]
    for kernel_values in (values[:3], values[3:]):
        assert abs(kernel_values[0]) < 0.05
        assert kernel_values[0] < kernel_values[1] < kernel_values[2]


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_mmd_permutation_test_p_values(kernel):
    rng = np.random.RandomState(0)
    Xs = rng.normal(size=(80, 2))
    same = mmd_permutation_test(
        Xs, rng.normal(size=(60, 2)), kernel=kernel, n_permutations=200, random_state=0
    )
    shifted = mmd_permutation_test(
        Xs,
        rng.normal(0.8, 1, (60, 2)),
        kernel=kernel,
        n_permutations=200,
        random_state=0,
    )
    assert same.pvalue > 0.05
    assert shifted.pvalue == pytest.approx(1 / 201)
    assert same.null_distribution.shape == (200,)
    # the null distribution is centred near 0 (unbiased statistic)
    assert abs(same.null_distribution.mean()) < 3 * same.null_distribution.std()


def test_proxy_a_distance():
    rng = np.random.RandomState(0)
    Xs = rng.normal(size=(300, 2))
    near = proxy_a_distance(Xs, rng.normal(size=(60, 2)), random_state=0)
    far = proxy_a_distance(Xs, rng.normal(4, 1, (60, 2)), random_state=0)
    # balanced error: 300 against 60 rows of one distribution is not separable
    assert near < 0.4
    assert far > 1.8
    assert 0 <= near <= 2 and 0 <= far <= 2


@pytest.mark.parametrize(
    "distance",
    [maximum_mean_discrepancy, mmd_permutation_test, proxy_a_distance],
)
def test_distances_refuse_different_feature_counts(distance):
    rng = np.random.RandomState(0)
    with pytest.raises(ValueError, match="X_source has 3 features but X_target has 4"):
        distance(rng.normal(size=(10, 3)), rng.normal(size=(10, 4)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel": "poly"}, "'kernel' parameter of maximum_mean_discrepancy"),
        ({"gamma": -1.0}, "'gamma' parameter of maximum_mean_discrepancy"),
    ],
)
def test_mmd_bad_parameters(pair, kwargs, message):
    with pytest.raises(ValueError, match=message):
        maximum_mean_discrepancy(*pair, **kwargs)


def test_bad_sizes(pair):
    Xs, Xt = pair
    with pytest.raises(ValueError, match="X_target has 1 row"):
        maximum_mean_discrepancy(Xs, Xt[:1])
    with pytest.raises(ValueError, match="'n_permutations' parameter"):
        mmd_permutation_test(Xs, Xt, n_permutations=0)
    with pytest.raises(ValueError, match="'cv' parameter of proxy_a_distance"):
        proxy_a_distance(Xs, Xt, cv=1)
    with pytest.raises(ValueError, match="X_target has 9 row.*at least 10"):
        proxy_a_distance(Xs, Xt, cv=10)


DISTANCES = [maximum_mean_discrepancy, mmd_permutation_test, proxy_a_distance]


def _statistic(distance, *args, **kwargs):
    if distance is mmd_permutation_test:
        return distance(*args, n_permutations=20, random_state=0, **kwargs).statistic
    if distance is proxy_a_distance:
        return distance(*args, random_state=0, **kwargs)
    return distance(*args, **kwargs)


@pytest.mark.parametrize("distance", DISTANCES, ids=lambda f: f.__name__)
def test_distances_take_x_with_sample_domain(pair, distance):
    # case 16: the library's (X, sample_domain=...) form gives the value of
    # the two-array form, dense or sparse, with the domains in any order
    Xs, Xt = pair
    X = np.vstack([Xt[:4], Xs, Xt[4:]])
    sd = np.r_[-np.ones(4, int), np.ones(len(Xs), int), -2 * np.ones(5, int)]
    two_arrays = _statistic(distance, Xs, Xt)
    assert _statistic(distance, X, sample_domain=sd) == pytest.approx(two_arrays)
    sparse = _statistic(distance, sp.csr_matrix(X), sample_domain=sd)
    assert sparse == pytest.approx(two_arrays)


@pytest.mark.parametrize("distance", DISTANCES, ids=lambda f: f.__name__)
def test_distances_refuse_mixed_forms_clearly(pair, distance):
    Xs, Xt = pair
    X = np.vstack([Xs, Xt])
    sd = np.r_[np.ones(len(Xs), int), -np.ones(len(Xt), int)]
    name = distance.__name__
    # sample_domain passed where the target rows go
    with pytest.raises(ValueError, match=rf"1-d array of 21 values.*{name}\(X, sample"):
        distance(X, sd)
    with pytest.raises(ValueError, match="got both X_target and sample_domain"):
        distance(Xs, Xt, sample_domain=sd)
    with pytest.raises(ValueError, match="needs target rows: pass"):
        distance(X)
    with pytest.raises(ValueError, match=f"{name} needs target rows, but sample"):
        distance(X, sample_domain=np.abs(sd))
    with pytest.raises(TypeError, match="sample_domain must hold integers"):
        distance(X, sample_domain=sd.astype(float))
    with pytest.raises(ValueError, match="got 1 target rows"):
        distance(X[:13], sample_domain=sd[:13])


def test_proxy_a_distance_takes_a_domain_classifier(pair):
    from sklearn.tree import DecisionTreeClassifier

    Xs, Xt = pair
    tree = proxy_a_distance(
        Xs, Xt, cv=3, domain_classifier=DecisionTreeClassifier(random_state=0)
    )
    assert 0 <= tree <= 2
    with pytest.raises(ValueError, match="'domain_classifier' parameter"):
        proxy_a_distance(Xs, Xt, domain_classifier="logistic")


@pytest.mark.slow
def test_office_caltech_domains_differ(shared_data_home):
    from sklearn.preprocessing import StandardScaler, normalize

    from sktransfer.datasets import fetch_office_caltech

    X, _, sd = fetch_office_caltech(
        "dslr", "webcam", data_home=shared_data_home, return_X_y=True
    )
    # z-scored over both domains: z-scoring each domain (the benchmark's
    # protocol) removes the per-feature means and scales the test would see
    X = StandardScaler().fit_transform(normalize(X, norm="l1"))
    Xs, Xt = X[sd > 0], X[sd < 0]
    half = np.random.RandomState(0).permutation(len(Xt))
    between = proxy_a_distance(Xs, Xt, random_state=0)
    within = proxy_a_distance(Xt[half[:150]], Xt[half[150:]], random_state=0)
    # dslr and webcam are the closest pair of Office-Caltech, yet told apart
    assert between > within + 0.4
    test = mmd_permutation_test(Xs, Xt, n_permutations=100, random_state=0)
    assert test.pvalue < 0.05
