"""Deep regressors against the shallow ones on shifted regression tasks.

Four tasks, built offline, each with a source domain, a target domain of
which 10 rows keep their label (the others are unlabeled: ``y = nan``), and
the target RMSE measured on those unlabeled target rows:

``diabetes-bmi`` (real data, covariate split)
    scikit-learn's bundled diabetes data (442 patients, 10 features, disease
    progression after one year): source the patients whose BMI is at most
    the median, target those above it.
``friedman-covariate`` (synthetic covariate shift, known answer)
    Friedman's function #1 of 10 uniform features (5 used), noise sd 1;
    500 source rows whose first three features are Beta(2, 4), 500 target
    rows whose first three are Beta(4, 2): P(x) shifts, P(y | x) is fixed.
``friedman-concept`` (synthetic concept shift, known answer)
    Friedman #1 on uniform features in both domains, but the target swaps
    the weights of x3 and x4 (5 x3 + 10 x4 instead of 10 x3 + 5 x4):
    P(x) is fixed, P(y | x) shifts; only the labeled target rows can tell.
``sensor-drift`` (synthetic, the setting feature alignment is made for)
    y = z + noise (sd 0.3); the features are two noisy views of z (noise sd
    0.5) and two noise features; on the 500 target rows the second view
    reads 3 times too high (a sensor's gain changed). Features the domains
    share leave that view out.

The oracle row is the true regression function (its RMSE is the noise's).
Methods: ridge (``RidgeCV``) on the source rows, the labeled target rows, or
both; ``TrAdaBoostRegressor`` and ``TwoStageTrAdaBoostR2`` (their default
trees of depth 3); importance weighting (``DiscriminativeDensityRatio``
weights, ``RidgeCV`` on the weighted source rows); ``PriorRegularizedRegressor``
(ridge on the labeled target rows pulled toward the source ridge, alpha 1);
and the deep regressors, all with the same network (an MLP with one hidden
layer of 64 units), Adam at lr 1e-3, batches of 64, 100 epochs: the plain
network on the labeled rows (``DomainNetRegressor``), ``DANNRegressor``,
``DeepCORALRegressor`` (on the features; its default weight 1 and 100) and
``DANRegressor`` (MK-MMD on the features), every weight otherwise at its
default. The inputs are standardised on all rows; the deep nets train on
``y`` standardised with the mean and sd of the labeled rows (the ridge and
tree models are not sensitive to its scale). Nothing is tuned on the target.

Results (``--seeds 0 1 2 3 4``): target RMSE, mean (sd) over the seeds,
``*`` on the best non-oracle method of each task; diabetes in its units of
disease progression, the others in units of y::

    method                   diabetes-bmi  friedman-cov. friedman-conc.   sensor-drift
    oracle (true f)                     -   1.01 (0.03)    1.00 (0.02)    0.30 (0.01)
    ridge source-only       70.56 (0.17)    3.31 (0.14)    3.37 (0.07)    1.06 (0.10)
    ridge target-only      80.96 (14.67)    3.15 (0.24)    4.60 (0.64)    0.57 (0.05)
    ridge pooled            64.88 (1.44)*   3.20 (0.15)    3.35 (0.06)    0.89 (0.10)
    TrAdaBoost.R2           84.46 (7.56)    4.06 (0.32)    4.85 (0.57)    0.71 (0.06)
    two-stage TrAdaB.R2     84.10 (7.82)    3.96 (0.82)    4.18 (0.11)    0.64 (0.07)
    import.-weighted ridge  76.72 (0.20)    2.93 (0.28)    3.39 (0.08)    1.06 (0.10)
    prior-regul. ridge      80.42 (9.77)    2.86 (0.32)    3.76 (0.23)    0.56 (0.05)
    MLP (labeled rows)      65.93 (2.32)    2.76 (0.25)    2.58 (0.13)    0.92 (0.13)
    DANN                    76.88 (2.89)    4.45 (0.15)    2.92 (0.09)    0.69 (0.08)
    Deep CORAL              65.87 (2.33)    2.75 (0.25)    2.59 (0.12)    0.91 (0.12)
    Deep CORAL (w=100)      65.75 (2.85)    2.68 (0.17)*   2.50 (0.11)    0.79 (0.08)
    DAN (MK-MMD)            87.97 (2.67)    5.11 (0.15)    2.50 (0.10)*   0.51 (0.03)*

What it says. On the two covariate shifts (the real BMI split and Friedman's
covariate shift) feature alignment transfers negatively: DANN and DAN are
worse than the plain network and than source-only ridge (DAN 88 against 66
and 71 on diabetes), because when P(x) shifts and P(y | x) does not, the
targets' distribution shifts too, and features made alike across domains
lose what predicts y. Deep CORAL there is the plain network within noise (at
its default weight it barely acts: the loss of 64 features is divided by
4 * 64^2). On diabetes no deep regressor beats pooled ridge (64.9; the MLP
65.9, within one sd), and every shallow transfer regressor also loses to it.
On the Friedman tasks, where every linear model is misspecified, the plain
network already beats every shallow regressor (2.76 and 2.58 against at best
2.86 and 3.35); Deep CORAL at weight 100 adds a little (2.68, 2.50), and DAN
only on the concept shift (2.50), where P(x) does not move and the MMD acts
as a regulariser. Only on the sensor drift, the setting alignment is made
for, does alignment win clearly: DAN 0.51 against 0.56 for prior-regularized
ridge, 0.57 for target-only ridge and 0.92 for the plain network, with DANN
(0.69) and Deep CORAL (0.79 at weight 100) helping less. The run took 6.5
minutes on one thread of a shared machine (deep fits 1-11 s each).

Usage::

    python benchmarks/deep_regression.py --seeds 0 1 2 3 4 \\
        --output deep_regression.json

Runs on one torch thread and one BLAS thread.
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sktransfer.deep import (
    DANNRegressor,
    DANRegressor,
    DeepCORALRegressor,
    DomainNetRegressor,
)
from sktransfer.instance import (
    ImportanceWeightedRegressor,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostR2,
)
from sktransfer.parameter import PriorRegularizedRegressor
from sktransfer.utils import hide_target_labels

TASKS = ("diabetes-bmi", "friedman-covariate", "friedman-concept", "sensor-drift")
N_LABELED = 10


def friedman1(X, concept=False):
    a, b = (5.0, 10.0) if concept else (10.0, 5.0)
    return (
        10 * np.sin(np.pi * X[:, 0] * X[:, 1])
        + 20 * (X[:, 2] - 0.5) ** 2
        + a * X[:, 3]
        + b * X[:, 4]
    )


def make_task(name, seed, n=500):
    """``X, y, sample_domain, f``: ``f`` the true function's values or None."""
    rng = np.random.RandomState(seed)
    domains = np.r_[np.ones(n, int), -np.ones(n, int)]
    if name == "diabetes-bmi":
        X, y = load_diabetes(return_X_y=True)
        bmi = X[:, 2]
        return X, y, np.where(bmi <= np.median(bmi), 1, -1), None
    if name == "sensor-drift":
        z = rng.normal(size=2 * n)
        views = z[:, None] + 0.5 * rng.normal(size=(2 * n, 2))
        X = np.c_[views, rng.normal(size=(2 * n, 2))]
        X[n:, 1] *= 3.0
        return X, z + 0.3 * rng.normal(size=2 * n), domains, z
    Xs, Xt = rng.uniform(size=(n, 10)), rng.uniform(size=(n, 10))
    if name == "friedman-covariate":
        Xs[:, :3] = rng.beta(2, 4, size=(n, 3))
        Xt[:, :3] = rng.beta(4, 2, size=(n, 3))
    f = np.r_[friedman1(Xs), friedman1(Xt, concept=name == "friedman-concept")]
    return np.r_[Xs, Xt], f + rng.normal(size=2 * n), domains, f


def _deep(cls, **params):
    def make(seed):
        return cls(
            module__hidden_units=(64,),
            lr=1e-3,
            batch_size=64,
            max_epochs=100,
            device="cpu",
            random_state=seed,
            **params,
        )

    make.deep = True
    return make


METHODS = {
    "ridge source-only": None,
    "ridge target-only": None,
    "ridge pooled": None,
    "TrAdaBoost.R2": lambda seed: TrAdaBoostRegressor(random_state=seed),
    "two-stage TrAdaBoost.R2": lambda seed: TwoStageTrAdaBoostR2(random_state=seed),
    "importance-weighted ridge": lambda seed: ImportanceWeightedRegressor(
        estimator=RidgeCV()
    ),
    "prior-regularized ridge": lambda seed: PriorRegularizedRegressor(alpha=1.0),
    "MLP (labeled rows)": _deep(DomainNetRegressor),
    "DANN": _deep(DANNRegressor),
    "Deep CORAL": _deep(DeepCORALRegressor),
    "Deep CORAL (weight 100)": _deep(DeepCORALRegressor, coral_weight=100.0),
    "DAN (MK-MMD)": _deep(DANRegressor),
}


def _rmse(prediction, truth):
    return float(np.sqrt(np.mean((prediction - truth) ** 2)))


def run_task(name, seed):
    X, y, sd, f = make_task(name, seed)
    X = StandardScaler().fit_transform(X)
    y_train = hide_target_labels(y, sd, n_labeled=N_LABELED, random_state=seed)
    labeled = ~np.isnan(y_train)
    test = (sd < 0) & ~labeled
    mean, scale = y_train[labeled].mean(), y_train[labeled].std()
    rows = {}
    if f is not None:
        rows["oracle (true function)"] = (_rmse(f[test], y[test]), 0.0)
    for method, make in METHODS.items():
        start = time.perf_counter()
        if method == "ridge source-only":
            model = RidgeCV().fit(X[sd > 0], y[sd > 0])
        elif method == "ridge target-only":
            model = RidgeCV().fit(X[labeled & (sd < 0)], y[labeled & (sd < 0)])
        elif method == "ridge pooled":
            model = RidgeCV().fit(X[labeled], y[labeled])
        elif getattr(make, "deep", False):
            model = make(seed).fit(
                X.astype(np.float32), (y_train - mean) / scale, sample_domain=sd
            )
        else:
            model = make(seed).fit(X, y_train, sample_domain=sd)
        prediction = model.predict(X[test])
        if getattr(make, "deep", False):
            prediction = prediction * scale + mean
        rows[method] = (_rmse(prediction, y[test]), time.perf_counter() - start)
    return rows


def table(results, tasks):
    methods = list(next(iter(results.values()))[0].keys())
    methods = ["oracle (true function)"] + [m for m in METHODS if m in methods]
    lines = ["| method | " + " | ".join(tasks) + " |", "|---" * (len(tasks) + 1) + "|"]
    summary = {}
    for task in tasks:
        per_seed = results[task]
        summary[task] = {
            m: (
                np.mean([r[m][0] for r in per_seed]),
                np.std([r[m][0] for r in per_seed]),
            )
            for m in methods
            if m in per_seed[0]
        }
    for method in methods:
        cells = []
        for task in tasks:
            if method not in summary[task]:
                cells.append("-")
                continue
            mean, sd = summary[task][method]
            best = min(
                v[0] for k, v in summary[task].items() if not k.startswith("oracle")
            )
            cell = f"{mean:.2f} +- {sd:.2f}"
            cells.append(f"**{cell}**" if mean == best else cell)
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines), summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tasks = args.tasks.split(",")
    results = {task: [] for task in tasks}
    start = time.perf_counter()
    with threadpool_limits(1):
        for task in tasks:
            for seed in args.seeds:
                rows = run_task(task, seed)
                results[task].append(rows)
                print(
                    json.dumps({"task": task, "seed": seed, "rmse": rows}), flush=True
                )
    text, summary = table(results, tasks)
    print(text)
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(
                {
                    "seeds": args.seeds,
                    "n_labeled_target": N_LABELED,
                    "per_seed": results,
                    "summary": {
                        task: {m: list(v) for m, v in s.items()}
                        for task, s in summary.items()
                    },
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
