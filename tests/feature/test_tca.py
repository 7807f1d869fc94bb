import pickle

import numpy as np
import pytest
import scipy.linalg
from sklearn.neighbors import KNeighborsClassifier

from sktransfer import source_target_merge
from sktransfer.feature import JointDistributionAdaptation, TransferComponentAnalysis

from ._data import nuisance_shift


def _one_nn(Z, y, sample_domain):
    source, target = sample_domain > 0, sample_domain < 0
    return KNeighborsClassifier(1).fit(Z[source], y[source]).score(Z[target], y[target])


def _same_up_to_sign(A, B, atol):
    signs = np.sign(np.sum(A * B, axis=0))
    np.testing.assert_allclose(A, B * signs, atol=atol)


def test_tca_beats_source_only_under_a_mean_shift():
    X, y, sd = nuisance_shift()
    source_only = _one_nn(X, y, sd)
    Z = TransferComponentAnalysis(n_components=2).fit_transform(X, sample_domain=sd)
    assert _one_nn(Z, y, sd) >= source_only + 0.05


def test_tca_reduces_the_domain_mean_difference():
    X, y, sd = nuisance_shift()
    Z = TransferComponentAnalysis(n_components=2).fit_transform(X, sample_domain=sd)
    gap = np.linalg.norm(Z[sd > 0].mean(0) - Z[sd < 0].mean(0)) / Z.std(0).mean()
    raw = np.linalg.norm(X[sd > 0].mean(0) - X[sd < 0].mean(0)) / X.std(0).mean()
    assert gap < 0.1 * raw


def _primal_tca(X, sd, k, mu=1.0):
    """JDA's linear TCA, directly: X^T H X p = lambda (X^T M X + mu' I) p.

    As in the JDA code, ``M = e e^T`` is scaled to unit Frobenius norm; ``mu``
    is scaled by the mean squared row norm (1 on the code's unit-norm rows).
    """
    n = X.shape[0]
    e = np.where(sd > 0, 1 / (sd > 0).sum(), -1 / (sd < 0).sum())
    e /= np.linalg.norm(e)
    A = X.T @ (np.eye(n) - 1 / n) @ X
    mu = mu * np.mean(np.sum(X**2, axis=1))
    B = np.outer(X.T @ e, X.T @ e) + mu * np.eye(X.shape[1])
    _, P = scipy.linalg.eigh(A, B)
    return X @ P[:, ::-1][:, :k]


@pytest.mark.parametrize("n_features", [6, 100])
def test_feature_solver_is_jda_primal_tca(n_features):
    X, _, sd = nuisance_shift(n=40)
    X = np.hstack([X] + [np.random.RandomState(1).normal(size=(80, n_features - 6))])
    Z = TransferComponentAnalysis(3, solver="feature").fit_transform(
        X, sample_domain=sd
    )
    _same_up_to_sign(Z, _primal_tca(X, sd, 3), atol=1e-6)


def test_jda_feature_solver_solves_the_jda_code_problem():
    # the last round of JDA, rebuilt from its pseudo-labels as the JDA code
    # builds it: M = C e0 e0^T + sum_c e_c e_c^T, scaled to unit norm
    X, y, sd = nuisance_shift(n=40)
    X = np.hstack([X, np.random.RandomState(1).normal(size=(80, 4))])
    y_fit = np.where(sd > 0, y, -1)
    jda = JointDistributionAdaptation(3, max_iter=2)
    Z = jda.fit_transform(X, y_fit, sample_domain=sd)
    pseudo, n = jda.pseudo_labels_, X.shape[0]
    source, target = sd > 0, sd < 0
    e0 = np.where(source, 1 / source.sum(), -1 / target.sum())
    M = 2 * np.outer(e0, e0)
    for c in (0, 1):
        e = np.zeros(n)
        e[source & (pseudo == c)] = 1 / (source & (pseudo == c)).sum()
        e[target & (pseudo == c)] = -1 / (target & (pseudo == c)).sum()
        M += np.outer(e, e)
    M /= np.linalg.norm(M)
    mu = np.mean(np.sum(X**2, axis=1))
    A = X.T @ (np.eye(n) - 1 / n) @ X
    _, P = scipy.linalg.eigh(A, X.T @ M @ X + mu * np.eye(X.shape[1]))
    _same_up_to_sign(Z, X @ P[:, ::-1][:, :3], atol=1e-6)


@pytest.mark.parametrize("solver", ["feature", "dense"])
def test_tca_does_not_depend_on_the_scale_of_x(solver):
    X, _, sd = nuisance_shift()
    Z = TransferComponentAnalysis(2, solver=solver).fit_transform(X, sample_domain=sd)
    Z_scaled = TransferComponentAnalysis(2, solver=solver).fit_transform(
        100 * X, sample_domain=sd
    )
    # the kernel embedding K W scales with K: compare directions
    _same_up_to_sign(Z_scaled / np.abs(Z_scaled).max(), Z / np.abs(Z).max(), atol=1e-6)


def test_nystroem_with_every_row_as_landmark_is_exact():
    X, _, sd = nuisance_shift(n=60)
    kwargs = dict(n_components=3, kernel="rbf", gamma=0.1)
    Z_exact = TransferComponentAnalysis(solver="dense", **kwargs).fit_transform(
        X, sample_domain=sd
    )
    Z_nys = TransferComponentAnalysis(
        solver="nystroem", n_landmarks=X.shape[0], **kwargs
    ).fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(Z_exact, Z_nys, atol=1e-7)


def test_randomized_and_nystroem_solvers_match_the_exact_accuracy():
    X, y, sd = nuisance_shift(n=250)
    kwargs = dict(n_components=3, kernel="rbf", gamma=0.05, random_state=0)
    accuracy = {
        solver: _one_nn(
            TransferComponentAnalysis(
                solver=solver, n_landmarks=200, **kwargs
            ).fit_transform(X, sample_domain=sd),
            y,
            sd,
        )
        for solver in ("dense", "randomized", "nystroem")
    }
    assert abs(accuracy["randomized"] - accuracy["dense"]) <= 0.02
    assert abs(accuracy["nystroem"] - accuracy["dense"]) <= 0.03


def test_auto_solver_choice():
    X, _, sd = nuisance_shift()
    assert TransferComponentAnalysis(2).fit(X, sample_domain=sd).solver_ == "feature"
    rbf = TransferComponentAnalysis(2, kernel="rbf").fit(X, sample_domain=sd)
    assert rbf.solver_ == "dense"
    wide = TransferComponentAnalysis(2, kernel="poly").fit(X, sample_domain=sd)
    assert wide.solver_ == "dense"


@pytest.mark.parametrize("solver", ["feature", "dense", "randomized", "nystroem"])
@pytest.mark.parametrize(
    "cls", [TransferComponentAnalysis, JointDistributionAdaptation]
)
def test_transform_reproduces_fit_transform(cls, solver):
    X, y, sd = nuisance_shift(n=60)
    kernel = "linear" if solver == "feature" else "rbf"
    est = cls(3, kernel=kernel, solver=solver, n_landmarks=50, random_state=0)
    Z = est.fit_transform(X, np.where(sd > 0, y, -1), sample_domain=sd)
    atol = 1e-4 if solver == "randomized" else 1e-8  # float32 kernel matrix
    np.testing.assert_allclose(est.transform(X), Z, atol=atol * np.abs(Z).max())


@pytest.mark.parametrize("solver", ["feature", "dense", "randomized", "nystroem"])
def test_result_does_not_depend_on_row_order(solver):
    X, _, sd = nuisance_shift()
    kernel = "linear" if solver == "feature" else "rbf"
    make = lambda: TransferComponentAnalysis(  # noqa: E731
        3, kernel=kernel, solver=solver, n_landmarks=100, random_state=0
    )
    Z = make().fit_transform(X, sample_domain=sd)
    # interleave source and target rows: s, t, s, t, ...
    order = np.ravel(np.column_stack([np.arange(150), np.arange(150, 300)]))
    Z_interleaved = make().fit_transform(X[order], sample_domain=sd[order])
    _same_up_to_sign(Z[order], Z_interleaved, atol=1e-4 * np.abs(Z).max())


def test_pickled_model_gives_the_same_embedding():
    X, _, sd = nuisance_shift()
    tca = TransferComponentAnalysis(2, kernel="rbf").fit(X, sample_domain=sd)
    restored = pickle.loads(pickle.dumps(tca))
    np.testing.assert_allclose(restored.transform(X), tca.transform(X), rtol=1e-12)


def test_component_variances_are_the_decreasing_eigenvalues():
    X, _, sd = nuisance_shift()
    tca = TransferComponentAnalysis(3)
    Z = tca.fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(Z.var(axis=0), tca.eigenvalues_ / X.shape[0])
    assert np.all(np.diff(tca.eigenvalues_) <= 0)


def test_single_domain_is_kernel_pca():
    from sklearn.decomposition import PCA

    X, _, _ = nuisance_shift()
    X = X - X.mean(axis=0)  # TCA's kernel is not centered, only its objective
    Z = TransferComponentAnalysis(2, mu=4.0).fit_transform(X)
    # unit-norm directions scaled by 1 / sqrt(mu * mean squared row norm)
    scale = np.sqrt(4.0 * np.mean(np.sum(X**2, axis=1)))
    _same_up_to_sign(Z, PCA(2).fit_transform(X) / scale, 1e-6)


def test_feature_names_and_set_output():
    pd = pytest.importorskip("pandas")
    X, _, sd = nuisance_shift()
    tca = TransferComponentAnalysis(2).set_output(transform="pandas")
    Z = tca.fit_transform(X, sample_domain=sd)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [
        "transfercomponentanalysis0",
        "transfercomponentanalysis1",
    ]


# --- bad input ---------------------------------------------------------------


def test_source_and_target_with_different_feature_counts():
    X, _, sd = nuisance_shift()
    with pytest.raises(ValueError, match="6 features but X_target has 5"):
        source_target_merge(X[sd > 0], None, X[sd < 0, :5])
    tca = TransferComponentAnalysis(2).fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="5 features.*expecting 6"):
        tca.transform(X[:, :5])


@pytest.mark.parametrize(
    "cls", [TransferComponentAnalysis, JointDistributionAdaptation]
)
def test_single_target_row(cls):
    X, y, sd = nuisance_shift()
    sd = np.where(np.arange(len(sd)) == 299, -1, 1)
    with pytest.raises(ValueError, match="at least 2 target rows.*got 1"):
        cls(2).fit(X, sample_domain=sd)


@pytest.mark.parametrize(
    "params, limit",
    [
        ({"n_components": 7}, "at most 6"),
        ({"n_components": 300, "kernel": "rbf"}, "at most 299"),
        (
            {
                "n_components": 20,
                "kernel": "rbf",
                "solver": "nystroem",
                "n_landmarks": 10,
            },
            "at most 10",
        ),
    ],
)
def test_n_components_larger_than_the_problem_allows(params, limit):
    X, _, sd = nuisance_shift()
    with pytest.raises(ValueError, match=f"larger than the problem allows: {limit}"):
        TransferComponentAnalysis(**params).fit(X, sample_domain=sd)


def test_kernel_that_yields_nan():
    X, _, sd = nuisance_shift()

    def bad_kernel(a, b):
        return np.nan if a[0] > 2 else float(a @ b)

    with pytest.raises(ValueError, match="kernel .* returned NaN"):
        TransferComponentAnalysis(2, kernel=bad_kernel).fit(
            X[::10], sample_domain=sd[::10]
        )
    with pytest.raises(ValueError, match="kernel 'poly' returned NaN or infinite"):
        TransferComponentAnalysis(2, kernel="poly", degree=400, gamma=10.0).fit(
            X, sample_domain=sd
        )


def test_feature_solver_needs_linear_kernel():
    X, _, sd = nuisance_shift()
    with pytest.raises(ValueError, match="solver='feature' needs kernel='linear'"):
        TransferComponentAnalysis(2, kernel="rbf", solver="feature").fit(
            X, sample_domain=sd
        )


# --- JDA ---------------------------------------------------------------------


def test_jda_pseudo_labels_and_labeled_target_rows():
    X, y, sd = nuisance_shift()
    y_seen = np.where(sd > 0, y, -1)
    y_seen[150:160] = y[150:160]  # ten labeled target rows keep their labels
    jda = JointDistributionAdaptation(2, max_iter=3).fit(X, y_seen, sample_domain=sd)

    assert jda.n_iter_ == 4
    np.testing.assert_array_equal(jda.pseudo_labels_[:160], y[:160])
    assert set(np.unique(jda.pseudo_labels_)) == {0, 1}


def test_jda_without_labels_is_tca():
    X, _, sd = nuisance_shift()
    Z_jda = JointDistributionAdaptation(3).fit_transform(X, sample_domain=sd)
    Z_tca = TransferComponentAnalysis(3).fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(Z_jda, Z_tca)


def test_jda_class_alignment_shrinks_class_mean_gaps():
    X, y, sd = nuisance_shift(n=80)
    y_seen = np.where(sd > 0, y, -1)

    def class_gap(Z):
        return sum(
            np.linalg.norm(
                Z[(sd > 0) & (y == c)].mean(0) - Z[(sd < 0) & (y == c)].mean(0)
            )
            for c in (0, 1)
        )

    Z_tca = TransferComponentAnalysis(3, kernel="rbf").fit_transform(
        X, sample_domain=sd
    )
    Z_jda = JointDistributionAdaptation(3, kernel="rbf", max_iter=3).fit_transform(
        X, y_seen, sample_domain=sd
    )
    assert class_gap(Z_jda) < class_gap(Z_tca)
