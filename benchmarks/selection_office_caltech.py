"""Does selection work? TCA hyperparameters chosen by each scorer on Office-Caltech.

For each of the 12 Office-Caltech-10 pairs (or the 12 Amazon-reviews pairs,
``--dataset amazon``), a grid over the kernel width and
the number of components of Transfer Component Analysis (rbf kernel) followed
by a logistic regression (``make_transfer_pipeline(TransferComponentAnalysis(
kernel="rbf"), LogisticRegression())``) is searched with ``GridSearchCV``
(metadata routing on, one call with
``sample_domain``) and each scorer of :mod:`sktransfer.model_selection`
picks a configuration. Reported: the target accuracy (on the target rows
whose labels were hidden) of the configuration each scorer picks, of the
best configuration of the grid (the oracle, which peeks at the hidden
labels) and of the default configuration (TCA's own defaults: ``gamma =
1 / n_features``, ``n_components = 100``).

Two settings per pair:

- **no target label** (unsupervised domain adaptation): splitter
  ``SourceTargetShuffleSplit(3, test_size=0.5)``; scorers: ordinary source
  cross-validation (accuracy on the held-out source rows: what plain CV
  picks), importance-weighted validation, prediction entropy, circular
  validation, deep embedded validation, information maximisation, soft
  neighbourhood density;
- **3 labeled target rows per class**: splitter ``TargetKFold(3,
  stratify=True)``; scorer: ``SupervisedTargetScorer``.

The non-transfer baselines (``TunedLogisticRegression`` on the source rows,
on the labeled target rows, and on both) are printed beside, with the
benchmark's preprocessing (Office-Caltech: rows divided by their sum,
features z-scored; Amazon: log(1 + count), rows scaled to unit L2 norm).
``--max-rows N`` keeps at most N rows of each domain (a stratified random
draw), for a quicker run.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/selection_office_caltech.py
    python benchmarks/selection_office_caltech.py --pairs "amazon->webcam" \\
        --n-jobs 2 --output results.json
    python benchmarks/selection_office_caltech.py --dataset amazon --max-rows 500

Each fit runs on one BLAS thread (threadpoolctl); ``--n-jobs`` runs pairs in
parallel.
"""

import argparse
import itertools
import json
import sys
import time
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from sktransfer.benchmark import (
    DATASETS,
    BaselineClassifier,
    DataUnavailableError,
    TunedLogisticRegression,
)
from sktransfer.benchmark._runner import _load_pair
from sktransfer.feature import TransferComponentAnalysis
from sktransfer.model_selection import (
    CircularValidationScorer,
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    InformationMaximizationScorer,
    PredictionEntropyScorer,
    SoftNeighborhoodDensityScorer,
    SourceTargetShuffleSplit,
    SupervisedTargetScorer,
    TargetKFold,
)
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels

#: Kernel widths as multiples of TCA's default 1 / n_features, and dimensions.
GAMMA_FACTORS = (0.1, 1.0, 10.0)
N_COMPONENTS = (10, 30, 100)
DEFAULT = {"gamma_factor": 1.0, "n_components": 100}
N_LABELED = 3
UNSUPERVISED = [
    "source_cv",
    "importance_weighted",
    "entropy",
    "circular",
    "dev",
    "info_max",
    "snd",
]


def source_accuracy(y_true, y_pred, sample_domain):
    """Accuracy on the held-out source rows: what ordinary cross-validation sees."""
    source = sample_domain > 0
    return float(np.mean(y_true[source] == y_pred[source]))


def _pipeline(random_state):
    return make_transfer_pipeline(
        TransferComponentAnalysis(kernel="rbf", random_state=random_state),
        LogisticRegression(max_iter=1000),
    )


def _grid(n_features):
    return [
        {
            "transfercomponentanalysis__gamma": factor / n_features,
            "transfercomponentanalysis__n_components": k,
        }
        for factor, k in itertools.product(GAMMA_FACTORS, N_COMPONENTS)
    ]


def _describe(params, n_features):
    factor = params["transfercomponentanalysis__gamma"] * n_features
    return f"g{factor:g}/k{params['transfercomponentanalysis__n_components']}"


def _search(pipe, grid, cv, scoring, X, y, sample_domain):
    search = GridSearchCV(
        pipe,
        [{k: [v] for k, v in p.items()} for p in grid],
        cv=cv,
        scoring=scoring,
        refit=False,
        error_score="raise",
    )
    search.fit(X, y, sample_domain=sample_domain)
    # one grid dict per configuration keeps cv_results_ in the order of `grid`
    return {name: search.cv_results_[f"mean_test_{name}"] for name in scoring}


def _target_accuracy(pipe, grid, X, y_seen, y, sample_domain):
    hidden = (sample_domain < 0) & (y_seen == -1)
    accuracy = []
    for params in grid:
        model = clone(pipe).set_params(**params)
        model.fit(X, y_seen, sample_domain=sample_domain)
        accuracy.append(float(np.mean(model.predict(X[hidden]) == y[hidden])))
    return np.array(accuracy)


def _baselines(X, y_seen, y, sample_domain, random_state, rows_list):
    hidden = (sample_domain < 0) & (y_seen == -1)
    scores = {}
    for rows in rows_list:
        model = BaselineClassifier(
            TunedLogisticRegression(random_state=random_state), rows=rows
        )
        model.fit(X, y_seen, sample_domain=sample_domain)
        scores[rows] = float(np.mean(model.predict(X[hidden]) == y[hidden]))
    return scores


def _subsample(X, y, sd, max_rows, random_state):
    """At most ``max_rows`` rows of each domain, stratified by class."""
    rng = np.random.RandomState(random_state)
    keep = []
    for domain in np.unique(sd):
        rows = np.flatnonzero(sd == domain)
        if rows.size > max_rows:
            # a stratified draw: shuffle, then take each class in proportion
            order = rows[rng.permutation(rows.size)]
            ranks = np.empty(order.size)
            for label in np.unique(y[order]):
                of_class = y[order] == label
                ranks[of_class] = (np.arange(of_class.sum()) + 0.5) / of_class.sum()
            rows = np.sort(order[np.argsort(ranks, kind="stable")[:max_rows]])
        keep.append(rows)
    keep = np.concatenate(keep)
    return X[keep], y[keep], sd[keep]


def run_pair(pair, data_home, random_state, dataset="office_caltech", max_rows=None):
    """All selections on one pair; returns a dict of accuracies."""
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    spec = DATASETS[dataset]
    X, y, sd = _load_pair(
        spec,
        pair,
        data_home=data_home,
        download_if_missing=False,
        random_state=random_state,
    )
    if max_rows is not None:
        X, y, sd = _subsample(X, y, sd, max_rows, random_state)
    grid = _grid(X.shape[1])
    default = next(
        i
        for i, p in enumerate(grid)
        if np.isclose(
            p["transfercomponentanalysis__gamma"] * X.shape[1], DEFAULT["gamma_factor"]
        )
        and p["transfercomponentanalysis__n_components"] == DEFAULT["n_components"]
    )
    pipe = _pipeline(random_state)
    result = {"pair": pair, "configs": [_describe(p, X.shape[1]) for p in grid]}
    with threadpool_limits(1), config_context(enable_metadata_routing=True):
        # no target label
        y_none = hide_target_labels(y, sd, n_labeled=0, random_state=random_state)
        scorers = {
            "source_cv": make_scorer(source_accuracy).set_score_request(
                sample_domain=True
            ),
            "importance_weighted": ImportanceWeightedScorer(random_state=random_state),
            "entropy": PredictionEntropyScorer(),
            "circular": CircularValidationScorer(),
            "dev": DeepEmbeddedValidationScorer(random_state=random_state),
            "info_max": InformationMaximizationScorer(),
            "snd": SoftNeighborhoodDensityScorer(random_state=random_state),
        }
        cv = SourceTargetShuffleSplit(3, test_size=0.5, random_state=random_state)
        values = _search(pipe, grid, cv, scorers, X, y_none, sd)
        truth = _target_accuracy(pipe, grid, X, y_none, y, sd)
        result["unsupervised"] = _summarise(values, truth, default)
        result["unsupervised"]["baseline_source_only"] = _baselines(
            X, y_none, y, sd, random_state, ["source"]
        )["source"]

        # 3 labeled target rows per class
        y_few = hide_target_labels(
            y, sd, n_labeled=N_LABELED, per_class=True, random_state=random_state
        )
        cv = TargetKFold(3, shuffle=True, stratify=True, random_state=random_state)
        values = _search(
            pipe, grid, cv, {"supervised": SupervisedTargetScorer()}, X, y_few, sd
        )
        truth = _target_accuracy(pipe, grid, X, y_few, y, sd)
        result["few_labels"] = _summarise(values, truth, default)
        base = _baselines(X, y_few, y, sd, random_state, ["source", "target", "pooled"])
        for rows, name in (
            ("source", "source_only"),
            ("target", "target_only"),
            ("pooled", "pooled"),
        ):
            result["few_labels"][f"baseline_{name}"] = base[rows]
    result["seconds"] = time.perf_counter() - start
    return result


def _summarise(values, truth, default):
    summary = {
        "truth": truth.tolist(),
        "oracle": float(truth.max()),
        "default": float(truth[default]),
    }
    for name, scores in values.items():
        chosen = int(np.argmax(scores))
        rho = spearmanr(scores, truth).statistic if np.ptp(scores) > 0 else np.nan
        summary[name] = float(truth[chosen])
        summary[f"{name}_choice"] = chosen
        summary[f"{name}_spearman"] = float(rho)
        summary[f"{name}_values"] = np.asarray(scores).tolist()
    return summary


def _table(results, setting, columns):
    header = ["pair"] + columns
    rows = [[r["pair"]] + [f"{r[setting][c]:.3f}" for c in columns] for r in results]
    means = [np.mean([r[setting][c] for r in results]) for c in columns]
    rows.append(["mean"] + [f"{m:.3f}" for m in means])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    return "\n".join(out + [line(row) for row in rows])


def _agreement(results, setting, scorers):
    lines = []
    for name in scorers:
        regret = [r[setting]["oracle"] - r[setting][name] for r in results]
        beats = sum(r[setting][name] > r[setting]["default"] + 1e-9 for r in results)
        loses = sum(r[setting][name] < r[setting]["default"] - 1e-9 for r in results)
        rhos = np.array([r[setting][f"{name}_spearman"] for r in results])
        defined = np.isfinite(rhos)
        # a criterion that scores every configuration alike has no correlation
        rho = rhos[defined].mean() if defined.any() else np.nan
        lines.append(
            f"  {name:20s} mean regret {np.mean(regret):.3f} "
            f"(median {np.median(regret):.3f}), "
            f"better/worse than default on {beats}/{loses} of {len(results)} pairs, "
            f"mean Spearman(score, target acc.) over the grid {rho:+.2f} "
            f"(defined on {defined.sum()} pairs)"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset", default="office_caltech", choices=["office_caltech", "amazon"]
    )
    parser.add_argument("--pairs", default=None, help="comma-separated, a->b")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        help="keep at most this many rows of each domain (stratified)",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--output", default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    pairs = (
        DATASETS[args.dataset].pairs
        if args.pairs is None
        else [p.replace(":", "->") for p in args.pairs.split(",")]
    )
    start = time.perf_counter()
    try:
        results = Parallel(n_jobs=args.n_jobs)(
            delayed(run_pair)(
                pair, args.data_home, args.random_state, args.dataset, args.max_rows
            )
            for pair in pairs
        )
    except DataUnavailableError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")

    unsup = UNSUPERVISED
    limit = f", at most {args.max_rows} rows per domain" if args.max_rows else ""
    print(f"{args.dataset} ({len(results)} pairs{limit})")
    print("No target label: target accuracy of the configuration each scorer picks")
    print(
        _table(
            results,
            "unsupervised",
            ["baseline_source_only", "default", "oracle", *unsup],
        )
    )
    print(_agreement(results, "unsupervised", unsup))
    print(f"\n{N_LABELED} labeled target rows per class")
    print(
        _table(
            results,
            "few_labels",
            [
                "baseline_source_only",
                "baseline_target_only",
                "baseline_pooled",
                "default",
                "oracle",
                "supervised",
            ],
        )
    )
    print(_agreement(results, "few_labels", ["supervised"]))
    print(f"\nconfigurations: {results[0]['configs']}")
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
