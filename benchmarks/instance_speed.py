"""Speed of TrAdaBoost and kernel mean matching against ADAPT and skada.

The problem of the issue: ``n_source = n_target = 3000``, ``d = 50``; the
source from ``make_classification``, the target the same distribution
rotated, scaled and shifted; 50 labeled target rows.

* **TrAdaBoost**: sktransfer's :class:`TrAdaBoostClassifier` and ADAPT's
  ``TrAdaBoost`` with the same base estimator and number of rounds, beside
  plain AdaBoost (scikit-learn) on the pooled labeled rows; fit time,
  target accuracy on the unlabeled target rows, peak memory.
* **KMM**: sktransfer's :class:`KernelMeanMatching`, skada's
  ``KMMReweightAdapter`` and ADAPT's ``KMM`` with the same kernel width,
  bound ``B`` and slack ``eps``; fit time, the objective
  ``1/2 b'Kb - kappa'b`` of each solution (evaluated the same way for all),
  peak memory.

Peers that cannot be imported are skipped with a note; install them in a
separate environment (``pip install skada==0.6.0 adapt==0.4.5``; ADAPT
pulls TensorFlow). BLAS runs on one thread (threadpoolctl), the best of
``--repeats`` runs is reported; peak memory is the peak of Python-tracked
allocations (tracemalloc, which sees NumPy buffers) during one fit.

Usage::

    python benchmarks/instance_speed.py
    python benchmarks/instance_speed.py --n-samples 1000 --repeats 1
    python benchmarks/instance_speed.py --tasks tradaboost
"""

import argparse
import sys
import time
import tracemalloc
import warnings

import numpy as np
from scipy.stats import special_ortho_group
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from sktransfer.instance import KernelMeanMatching, TrAdaBoostClassifier
from sktransfer.utils._numerics import rbf_kernel


def make_problem(n_samples, n_features, n_labeled, seed):
    X, y = make_classification(
        2 * n_samples,
        n_features,
        n_informative=n_features // 2,
        n_redundant=5,
        random_state=seed,
    )
    rng = np.random.RandomState(seed)
    rotation = special_ortho_group.rvs(n_features, random_state=seed)
    # a partial rotation: a quarter of the way from the identity
    rotation = np.real(_matrix_power(rotation, 0.1))
    Xs, ys = X[:n_samples], y[:n_samples]
    Xt = (X[n_samples:] @ rotation) * 1.2 + 0.5
    yt = y[n_samples:]
    labeled = rng.choice(n_samples, n_labeled, replace=False)
    return Xs, ys, Xt, yt, labeled


def _matrix_power(matrix, power):
    values, vectors = np.linalg.eig(matrix)
    return vectors @ np.diag(values**power) @ np.linalg.inv(vectors)


def measure(fit, repeats):
    """Best wall time over ``repeats`` and the peak memory of one run."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fit()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak / 2**20, result


def kmm_objective(Xs, Xt, gamma, beta):
    K = rbf_kernel(Xs, Xs, gamma)
    kappa = Xs.shape[0] / Xt.shape[0] * rbf_kernel(Xs, Xt, gamma).sum(axis=1)
    beta = np.asarray(beta, dtype=float).ravel()
    return 0.5 * beta @ K @ beta - kappa @ beta


def bench_tradaboost(Xs, ys, Xt, yt, labeled, args, rows):
    base = DecisionTreeClassifier(max_depth=args.max_depth, random_state=0)
    test = np.setdiff1d(np.arange(Xt.shape[0]), labeled)
    X = np.r_[Xs, Xt]
    y = np.r_[ys, np.full(Xt.shape[0], -1)]
    y[Xs.shape[0] + labeled] = yt[labeled]
    sd = np.r_[np.ones(Xs.shape[0], int), -np.ones(Xt.shape[0], int)]

    def accuracy(model):
        return float(np.mean(model.predict(Xt[test]) == yt[test]))

    candidates = {
        "sktransfer TrAdaBoost (paper)": lambda: TrAdaBoostClassifier(
            base, args.n_rounds, random_state=0
        ).fit(X, y, sample_domain=sd),
        "sktransfer TrAdaBoost (target_weight=0.5)": lambda: TrAdaBoostClassifier(
            base, args.n_rounds, target_weight=0.5, random_state=0
        ).fit(X, y, sample_domain=sd),
        "sktransfer TrAdaBoost (selection=target_cv)": lambda: TrAdaBoostClassifier(
            base, args.n_rounds, selection="target_cv", random_state=0
        ).fit(X, y, sample_domain=sd),
    }
    pooled_X = np.r_[Xs, Xt[labeled]]
    pooled_y = np.r_[ys, yt[labeled]]
    candidates["scikit-learn AdaBoost on pooled rows"] = lambda: AdaBoostClassifier(
        base, n_estimators=args.n_rounds, random_state=0
    ).fit(pooled_X, pooled_y)
    try:
        from adapt.instance_based import TrAdaBoost
    except Exception as exc:  # ImportError, or TensorFlow failing to load
        print(f"note: ADAPT not importable ({type(exc).__name__}: {exc}); skipped")
    else:
        candidates["ADAPT 0.4.5 TrAdaBoost"] = lambda: TrAdaBoost(
            base,
            Xt=Xt[labeled],
            yt=yt[labeled],
            n_estimators=args.n_rounds,
            random_state=0,
            verbose=0,
        ).fit(Xs, ys)
    for name, fit in candidates.items():
        seconds, peak, model = measure(fit, args.repeats)
        result = f"accuracy {accuracy(model):.3f}"
        if getattr(model, "cv_results_", None) is not None:
            result += (
                f" (chose target_weight={model.best_target_weight_}, "
                f"{model.best_n_rounds_} rounds)"
            )
        rows.append(("TrAdaBoost", name, seconds, peak, result))


def bench_kmm(Xs, Xt, args, rows):
    gamma = 1.0 / Xs.shape[1]  # the rbf default of scikit-learn and skada
    n = Xs.shape[0]
    eps = (np.sqrt(n) - 1) / np.sqrt(n)
    X = np.r_[Xs, Xt]
    sd = np.r_[np.ones(n, int), -np.ones(Xt.shape[0], int)]
    candidates = {
        "sktransfer KernelMeanMatching": lambda: (
            KernelMeanMatching(gamma, B=1000.0, eps=eps)
            .fit(X, sample_domain=sd)
            .weights_
        )
    }
    try:
        from skada import KMMReweightAdapter
    except Exception as exc:
        print(f"note: skada not importable ({type(exc).__name__}: {exc}); skipped")
    else:
        candidates["skada 0.6.0 KMMReweightAdapter"] = lambda: (
            KMMReweightAdapter(gamma=gamma, B=1000.0, eps=eps)
            .fit(X, sample_domain=sd)
            .source_weights_
        )
    try:
        from adapt.instance_based import KMM
    except Exception as exc:
        print(f"note: ADAPT not importable ({type(exc).__name__}: {exc}); skipped")
    else:
        for max_size, label in [(1000, "default max_size=1000"), (n, "max_size=n")]:
            candidates[f"ADAPT 0.4.5 KMM ({label})"] = lambda max_size=max_size: KMM(
                gamma=gamma,
                B=1000.0,
                eps=eps,
                max_size=max_size,
                verbose=0,
                random_state=0,
            ).fit_weights(Xs, Xt)
    for name, fit in candidates.items():
        seconds, peak, weights = measure(fit, args.repeats)
        objective = kmm_objective(Xs, Xt, gamma, weights)
        rows.append(("KMM", name, seconds, peak, f"objective {objective:.6g}"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=3000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--n-labeled", type=int, default=50)
    parser.add_argument("--n-rounds", type=int, default=10)
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tasks", default="tradaboost,kmm", help="comma-separated subset"
    )
    args = parser.parse_args(argv)
    tasks = args.tasks.split(",")

    Xs, ys, Xt, yt, labeled = make_problem(
        args.n_samples, args.n_features, args.n_labeled, args.seed
    )
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "tradaboost" in tasks:
            bench_tradaboost(Xs, ys, Xt, yt, labeled, args, rows)
        if "kmm" in tasks:
            bench_kmm(Xs, Xt, args, rows)

    print(
        f"n_source = n_target = {args.n_samples}, d = {args.n_features}, "
        f"{args.n_labeled} labeled target rows; TrAdaBoost: "
        f"DecisionTreeClassifier(max_depth={args.max_depth}), {args.n_rounds} "
        f"rounds; best of {args.repeats}, one BLAS thread"
    )
    print(f"{'task':<11}{'implementation':<45}{'time (s)':>9}{'peak MiB':>10}  result")
    for task, name, seconds, peak, result in rows:
        print(f"{task:<11}{name:<45}{seconds:>9.3f}{peak:>10.1f}  {result}")
    for _task, ours, theirs in [
        ("TrAdaBoost", "sktransfer TrAdaBoost (paper)", "ADAPT 0.4.5 TrAdaBoost"),
        ("KMM", "sktransfer KernelMeanMatching", "skada 0.6.0 KMMReweightAdapter"),
        ("KMM", "sktransfer KernelMeanMatching", "ADAPT 0.4.5 KMM (max_size=n)"),
    ]:
        times = {name: seconds for _, name, seconds, _, _ in rows}
        if ours in times and theirs in times:
            print(f"speed-up {ours} vs {theirs}: {times[theirs] / times[ours]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
