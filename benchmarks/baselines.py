"""Accuracy of the three non-transfer baselines on the real data sets.

Runs ``source_only``, ``target_only`` and ``pooled`` (one tuned logistic
regression fitted on the source rows, the few labeled target rows, or both)
on all 12 Amazon reviews pairs (50 labeled target rows per pair) and all 12
Office-Caltech-10 pairs (3 labeled target rows per class), with the protocol
and preprocessing of ``sktransfer benchmark``; prints one table per data set
and, with ``--output-dir``, writes each as CSV (one line per fit) and JSON.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/baselines.py
    python benchmarks/baselines.py --data-home /path/to/data --n-repeats 5 \\
        --output-dir benchmarks/results

Every transfer method should beat the best of these three numbers to be
worth its cost; a method below ``source_only`` transfers negatively.
"""

import argparse
import sys
import time
from pathlib import Path

from sktransfer.benchmark import DataUnavailableError, run_benchmark

BASELINES = ["source_only", "target_only", "pooled"]
RUNS = {"amazon": 50, "office_caltech": 3}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(RUNS))
    parser.add_argument("--n-repeats", type=int, default=3)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--output-dir", type=Path, default=None)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    for dataset in args.datasets.split(","):
        start = time.perf_counter()
        try:
            result = run_benchmark(
                dataset,
                methods=BASELINES,
                n_target_labels=RUNS.get(dataset),
                n_repeats=args.n_repeats,
                random_state=args.random_state,
                data_home=args.data_home,
                n_jobs=args.n_jobs,
                progress=not args.no_progress and sys.stderr.isatty(),
            )
        except DataUnavailableError as exc:
            parser.exit(2, f"{parser.prog}: error: {exc}\n")
        print(result.format_table())
        notes = result.format_notes()
        if notes:
            print(f"\n{notes}")
        print(f"({time.perf_counter() - start:.1f} s)\n")
        if args.output_dir is not None:
            args.output_dir.mkdir(parents=True, exist_ok=True)
            result.to_csv(args.output_dir / f"baselines_{dataset}.csv")
            result.to_json(args.output_dir / f"baselines_{dataset}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
