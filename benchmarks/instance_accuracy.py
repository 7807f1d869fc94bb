"""Target accuracy of the instance-based methods against the baselines.

Two tables, with the protocol and preprocessing of ``sktransfer benchmark``:

* **Amazon reviews**, all 12 pairs, 50 labeled target rows per draw:
  TrAdaBoost as in the paper and with its documented options
  (``dynamic_correction``, ``target_weight=0.5``, both) against
  source-only, target-only and pooled, all with the *same* base estimator
  on the same rows. TrAdaBoost needs a base estimator that takes
  ``sample_weight``, which the benchmark's ``TunedLogisticRegression``
  does not; so for each pair the base estimator is
  ``LogisticRegression(C)`` with ``C`` chosen by that tuned model's
  cross-validation on the *source* rows only (no target label, no tuning
  to the data set), and the three baselines refit that same estimator. The
  baselines with the cross-validated ``TunedLogisticRegression`` itself are
  printed as well, as the strongest reference.
* **Office-Caltech-10**, all 12 pairs, no target label: importance
  weighting (KMM, KLIEP, discriminative density ratio; their default,
  data-independent hyperparameters: median heuristic, Huang et al.'s
  ``eps``, KLIEP's likelihood cross-validation) against source-only, with
  the same source-tuned ``LogisticRegression`` as final estimator.

Every fit runs on one BLAS thread.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/instance_accuracy.py
    python benchmarks/instance_accuracy.py --n-repeats 2 --n-jobs 2 \\
        --datasets amazon --output-dir benchmarks/results
"""

import argparse
import sys
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from sktransfer.benchmark import (
    DATASETS,
    DataUnavailableError,
    TunedLogisticRegression,
    run_benchmark,
)
from sktransfer.benchmark._runner import _load_pair

BASELINES = ["source_only", "target_only", "pooled"]
TRADABOOST = [
    "tradaboost",
    "tradaboost_dynamic",
    "tradaboost_balanced",
    "tradaboost_balanced_dynamic",
    "tradaboost_target_cv",
]
WEIGHTING = ["iw_kmm", "iw_kliep", "iw_discriminative"]
RUNS = {
    "amazon": (BASELINES + TRADABOOST, 50),
    "office_caltech": (["source_only"] + WEIGHTING, 0),
}


def source_tuned_base(dataset, pair, data_home):
    """``LogisticRegression`` with ``C`` cross-validated on the source rows."""
    X, y, sample_domain = _load_pair(
        DATASETS[dataset],
        pair,
        data_home=data_home,
        download_if_missing=False,
        random_state=0,
    )
    source = sample_domain > 0
    C = TunedLogisticRegression(random_state=0).fit(X[source], y[source]).best_C_
    return LogisticRegression(C=C, max_iter=1000)


def merge(results):
    first = results[0]
    records = [record for result in results for record in result.records]
    return type(first)(records, first.config)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(RUNS))
    parser.add_argument("--pairs", default=None, help="comma-separated subset")
    parser.add_argument("--n-repeats", type=int, default=3)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--output-dir", type=Path, default=None)
    parser.add_argument("--skip-tuned-reference", action="store_true")
    args = parser.parse_args(argv)

    for dataset in args.datasets.split(","):
        methods, n_labels = RUNS[dataset]
        pairs = args.pairs.split(",") if args.pairs else DATASETS[dataset].pairs
        start = time.perf_counter()
        results = []
        try:
            for pair in pairs:
                base = source_tuned_base(dataset, pair, args.data_home)
                results.append(
                    run_benchmark(
                        dataset,
                        pairs=[pair],
                        methods=methods,
                        n_target_labels=n_labels,
                        n_repeats=args.n_repeats,
                        random_state=args.random_state,
                        base_estimator=base,
                        data_home=args.data_home,
                        n_jobs=args.n_jobs,
                    )
                )
                print(f"{pair}: C = {base.C:g}", file=sys.stderr)
        except DataUnavailableError as exc:
            parser.exit(2, f"{parser.prog}: error: {exc}\n")
        result = merge(results)
        print("base estimator: LogisticRegression(C tuned on the source rows)")
        print(result.format_table())
        if dataset == "amazon" and not args.skip_tuned_reference:
            reference = run_benchmark(
                dataset,
                pairs=pairs,
                methods=BASELINES,
                n_target_labels=n_labels,
                n_repeats=args.n_repeats,
                random_state=args.random_state,
                data_home=args.data_home,
                n_jobs=args.n_jobs,
            )
            print("\nreference: baselines with TunedLogisticRegression (C by CV)")
            print(reference.format_table())
        print(f"({time.perf_counter() - start:.1f} s)\n")
        if args.output_dir is not None:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            result.to_csv(args.output_dir / f"instance_{dataset}.csv")
            result.to_json(args.output_dir / f"instance_{dataset}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
