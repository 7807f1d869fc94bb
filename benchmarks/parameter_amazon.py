"""Prior-regularized logistic regression on the Amazon reviews (12 pairs).

Runs the three baselines and ``prior_logreg`` (logistic regression fitted on
the 50 labeled target rows with a Gaussian prior centred on the source
model, Chelba and Acero 2006; ``alpha=1``, the strength of scikit-learn's
default ``C=1``) with the protocol of ``sktransfer benchmark``, and the
sensitivity of the target accuracy to ``alpha``.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/parameter_amazon.py \\
        --n-repeats 3 --output-dir benchmarks/results
"""

import argparse
import sys
import time
from pathlib import Path

from sktransfer.benchmark import DataUnavailableError, run_benchmark

METHODS = ["source_only", "target_only", "pooled", "prior_logreg", "prior_logreg_cv"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-repeats", type=int, default=3)
    parser.add_argument("--n-target-labels", type=int, default=50)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--output-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    try:
        result = run_benchmark(
            "amazon",
            methods=METHODS,
            n_target_labels=args.n_target_labels,
            n_repeats=args.n_repeats,
            random_state=args.random_state,
            data_home=args.data_home,
            n_jobs=args.n_jobs,
            progress=False,
        )
    except DataUnavailableError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    print(result.format_table())
    print(f"({time.perf_counter() - start:.1f} s)\n")
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        result.to_csv(args.output_dir / "parameter_amazon.csv")
        result.to_json(args.output_dir / "parameter_amazon.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
