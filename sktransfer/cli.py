"""Command line interface: ``sktransfer select`` and ``sktransfer benchmark``.

``sktransfer select`` answers a user's question on their own files: which
model predicts the target best, and does transfer help, tie or hurt?
``sktransfer benchmark`` runs the methods on the built-in data sets.

Examples
--------
Choose a model for your own target data (CSV with a header, Parquet,
svmlight or ``.npz``; empty labels in the target file are unlabeled rows)::

    sktransfer select --source books.csv --target kitchen.csv --label sentiment \\
        --report report.html --save-model model.skops


Run the baselines (and every registered method) on the default data set,
scikit-learn's digits with shifted target halves (no download)::

    sktransfer benchmark
    sktransfer benchmark --list
    sktransfer benchmark --dataset amazon --pairs "books->kitchen,dvd->books" \\
        --methods source_only,pooled --n-repeats 5 --output amazon.csv

``python -m sktransfer benchmark ...`` does the same.
"""

import argparse
import math
import sys

from . import __version__

__all__ = ["main"]

_EPILOG = """\
protocol: for each pair and repeat, all but --n-target-labels target labels
are hidden; every method is fitted on the source rows, the labeled target rows
and the unlabeled target rows, and scored by its accuracy on the target rows
whose labels were hidden. Real data sets are read from --data-home or the
folder named by the environment variable SKTRANSFER_DATA (default
~/sktransfer_data), and downloaded there when missing (--no-download to
refuse). After the table come the skipped cells and failed fits, with their
reasons, and each distinct warning of the fits once, with the number of fits
that raised it. The exit status is 1 when a fit failed or timed out.

a long run: --output FILE is rewritten as the fits finish, so an interrupted
run keeps what it did; the same command with the same FILE resumes it. With
--scheduler the fits run on a Dask cluster (a worker that dies costs only its
fits, which Dask reruns); see the user guide's page "Running on a cluster".
"""


_SELECT_EPILOG = """\
files: CSV with a header row, Parquet (needs pyarrow), svmlight (.svm,
.svmlight, .libsvm, .txt) or .npz (arrays X and y). Every column but the label
(and the domain) column is a numeric feature; the two files must have the same
feature columns. Target rows with an empty label are unlabeled.

protocol: with labeled target rows, repeated k-fold over them (every other row
trains); without, an unsupervised criterion (information maximization) on the
target predictions. A transfer method is chosen only when the whole interval of
its gain over the best baseline lies above 0. The exit status is 0, also when
transfer hurts; 2 for unreadable files or bad arguments.
"""


def _comma_list(text):
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return items


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sktransfer",
        description="Transfer learning as scikit-learn estimators.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    bench = commands.add_parser(
        "benchmark",
        help="compare transfer methods with strong baselines on a data set",
        description=(
            "Run registered methods on the source -> target pairs of a data "
            "set and print a table of target accuracy (mean ± std over "
            "repeats, per pair and over pairs)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument(
        "--list",
        action="store_true",
        help="list the data sets (with their pairs) and the methods, then exit",
    )
    bench.add_argument(
        "--dataset", default="digits", help="data set to run (default: digits)"
    )
    bench.add_argument(
        "--pairs",
        type=_comma_list,
        help="comma-separated pairs, e.g. 'books->kitchen,dvd->books' (quote "
        "'->' in a shell) or books:kitchen,dvd:books (default: all pairs)",
    )
    bench.add_argument(
        "--methods",
        type=_comma_list,
        help="comma-separated methods, or 'all' (default: the quick ones)",
    )
    bench.add_argument(
        "--n-target-labels",
        type=_non_negative_int,
        help="target rows that keep their label, per class for the data sets "
        "that count per class (default: set by the data set)",
    )
    bench.add_argument(
        "--n-repeats",
        type=_positive_int,
        default=3,
        help="random draws of the labeled target rows (default: 3)",
    )
    bench.add_argument(
        "--random-state", type=int, default=0, help="seed of the run (default: 0)"
    )
    bench.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="fits run in parallel with joblib (default: -1, every core; the "
        "results do not depend on it)",
    )
    bench.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the fits on a Dask cluster instead: the address of a running "
        "dask.distributed scheduler (tcp://host:8786), or local:N for a local "
        "cluster of N worker processes started and stopped here; each "
        "(method, pair, repeat) fit is one task and the results are those of "
        "the local run (needs: pip install 'sktransfer[distributed]')",
    )
    bench.add_argument(
        "--fit-timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="stop a fit that runs longer and mark its cell 'timeout' "
        "(default: no limit)",
    )
    bench.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown on stderr only when stderr is a terminal)",
    )
    bench.add_argument(
        "--output",
        metavar="FILE",
        help="also write the results, as the run goes: JSON for a .json "
        "file, else CSV; rerunning with the same file resumes the run, fitting "
        "only the cells it does not hold yet",
    )
    bench.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder of the real data sets (default: $SKTRANSFER_DATA, else "
        "~/sktransfer_data)",
    )
    bench.add_argument(
        "--download",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="download the files of a real data set that are missing from the "
        "data folder, where a public address exists (default: download; "
        "--no-download fails with a clear message instead)",
    )
    bench.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at the first failing fit with its traceback (default: mark "
        "the cell 'failed', go on, list the errors after the table and exit "
        "with status 1)",
    )
    select = commands.add_parser(
        "select",
        help="choose a model for your own source and target files",
        description=(
            "Diagnose the shift between your source and target data, validate "
            "the baselines (source-only, target-only, pooled) and quick transfer "
            "methods on the target, and say which model to use and whether "
            "transfer helps, ties or hurts."
        ),
        epilog=_SELECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    files = select.add_argument_group("data")
    files.add_argument("--source", metavar="FILE", help="file of the source rows")
    files.add_argument("--target", metavar="FILE", help="file of the target rows")
    files.add_argument(
        "--data",
        metavar="FILE",
        help="one file with every row, instead of --source and --target; "
        "needs --domain-column and --target-domain",
    )
    files.add_argument(
        "--label", metavar="COLUMN", help="label column (CSV and Parquet files)"
    )
    files.add_argument(
        "--domain-column", metavar="COLUMN", help="domain column of --data"
    )
    files.add_argument(
        "--target-domain",
        metavar="VALUE",
        help="value of --domain-column that marks the target rows",
    )
    files.add_argument(
        "--unlabeled-target",
        action="store_true",
        help="do not use the target file's labels (for svmlight or npz files, "
        "whose rows all carry one)",
    )
    select.add_argument(
        "--methods",
        type=_comma_list,
        help="comma-separated transfer methods to try beside the baselines "
        "(names of 'sktransfer benchmark --list'; default: the quick ones)",
    )
    select.add_argument(
        "--cv",
        type=_positive_int,
        default=10,
        help="folds of the labeled target rows (default: 10; leave-one-out "
        "with fewer labeled target rows)",
    )
    select.add_argument(
        "--n-repeats",
        type=_positive_int,
        default=2,
        help="repeats of the folds (default: 2)",
    )
    select.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    select.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help="fits run in parallel (default: -1, every core)",
    )
    select.add_argument("--no-progress", action="store_true", help="no progress bar")
    select.add_argument(
        "--report", metavar="FILE.html", help="write an HTML report with plots"
    )
    select.add_argument(
        "--save-model",
        metavar="FILE",
        help="write the chosen model, fitted on every row, with skops; load it "
        "with sktransfer.utils.load(FILE)",
    )
    return parser, bench, select


def _format_listing():
    from .benchmark import DATASETS, METHODS

    lines = ["Data sets (--dataset):"]
    for spec in DATASETS.values():
        per = " per class" if spec.per_class else ""
        files = "reads files from SKTRANSFER_DATA" if spec.needs_files else "no files"
        lines += [
            f"  {spec.name}: {spec.description}",
            f"      pairs: {', '.join(spec.pairs)}",
            f"      preprocessing: {spec.preprocessing}",
            f"      default labeled target rows: {spec.n_target_labels}{per}; {files}",
        ]
    lines.append("Methods (--methods; * = run by default, 'all' runs every one):")
    width = max(len(name) for name in METHODS)
    for spec in METHODS.values():
        mark = "*" if spec.default else " "
        name = spec.name.ljust(width)
        lines.append(f" {mark}{name}  [{spec.kind}] {spec.description}".rstrip())
    return "\n".join(lines)


def _nan_low(value):
    return -math.inf if math.isnan(value) else value


def _benchmark(args, parser):
    from .benchmark import DataUnavailableError, resolve_names, run_benchmark

    if args.list:
        print(_format_listing())
        return 0
    try:
        resolve_names(args.dataset, args.pairs, args.methods)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    if args.scheduler is not None and args.n_jobs is not None:
        parser.error(
            "--n-jobs and --scheduler: choose one (the Dask workers run the fits)"
        )
    progress = not args.no_progress and sys.stderr.isatty()

    def pair_done(pair, partial):
        from tqdm.auto import tqdm

        best = max(
            partial.methods, key=lambda m: _nan_low(partial.mean_accuracy(m, pair))
        )
        line = f"{pair}: done; best {best} {partial.mean_accuracy(best, pair):.3f}"
        reference = partial.best_baseline()
        if reference is not None and reference != best:
            line += f", {reference} {partial.mean_accuracy(reference, pair):.3f}"
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()

    try:
        result = run_benchmark(
            args.dataset,
            pairs=args.pairs,
            methods=args.methods,
            n_target_labels=args.n_target_labels,
            n_repeats=args.n_repeats,
            random_state=args.random_state,
            data_home=args.data_home,
            download_if_missing=args.download,
            error_score="raise" if args.fail_fast else float("nan"),
            n_jobs=-1
            if args.n_jobs is None and args.scheduler is None
            else args.n_jobs,
            scheduler=args.scheduler,
            fit_timeout=args.fit_timeout,
            output=args.output,
            progress=progress,
            on_pair_done=pair_done,
        )
    except DataUnavailableError as exc:
        hint = "on the command line: --data-home DIR"
        if not args.download:
            hint += ", or leave out --no-download to fetch them"
        parser.exit(2, f"{parser.prog}: error: {exc}\n({hint})\n")
    except (ImportError, OSError) as exc:  # no Dask, no scheduler at the address
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    except ValueError as exc:
        if args.fail_fast:  # a fit's error: its traceback was asked for
            raise
        # without --fail-fast the fits' errors are recorded: this is the set-up
        # (an --output file of another run, a malformed --scheduler)
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    print()
    print(result.format_table())
    notes = result.format_notes()
    if notes:
        print(f"\n{notes}")
    if args.output:
        print(f"\nResults written to {args.output}")
    return 1 if result.errors() else 0


def _load_files(args, parser):
    from .datasets import load_domain_files

    if args.data is not None:
        if args.source or args.target:
            parser.error("give either --data or --source and --target, not both")
        if not (args.domain_column and args.target_domain is not None):
            parser.error("--data needs --domain-column and --target-domain")
        kwargs = dict(
            data=args.data,
            domain_column=args.domain_column,
            target_domain=args.target_domain,
        )
    elif args.source and args.target:
        kwargs = dict(source=args.source, target=args.target)
    else:
        parser.error("give --source and --target (or --data with --domain-column)")
    try:
        return load_domain_files(
            **kwargs, label=args.label, target_labeled=not args.unlabeled_target
        )
    except (OSError, ValueError, TypeError, ImportError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")


def _select(args, parser):
    from .benchmark import METHODS
    from .metrics import diagnose_shift
    from .model_selection import TransferSelector

    candidates = None
    if args.methods:
        try:
            resolve = [(name, METHODS[name]) for name in args.methods]
        except KeyError as exc:
            parser.error(
                f"unknown method {exc.args[0]!r}; see 'sktransfer benchmark --list'"
            )
        candidates = [
            (name, spec.make(None, args.random_state))
            for name, spec in resolve
            if spec.kind != "baseline"
        ]
    bunch = _load_files(args, parser)
    X, y, sample_domain = bunch.data, bunch.target, bunch.sample_domain
    n_source = int((sample_domain > 0).sum())
    n_target = int((sample_domain < 0).sum())
    print(
        f"source: {n_source} rows; target: {n_target} rows, "
        f"{bunch.n_labeled_target} labeled; {X.shape[1]} features"
    )
    if not n_source or not n_target:
        parser.exit(
            2,
            f"{parser.prog}: error: the files hold no "
            f"{'source' if not n_source else 'target'} rows\n",
        )
    diagnosis = diagnose_shift(
        X, y, sample_domain=sample_domain, random_state=args.random_state
    )
    print(f"\nThe shift: {diagnosis.reading}.")
    print(
        f"  MMD^2 {diagnosis.mmd2:.4f} (permutation p-value "
        f"{diagnosis.mmd_pvalue:.3f}); proxy A-distance "
        f"{diagnosis.proxy_a_distance:.2f} (0: alike, 2: separable)"
    )
    print(
        f"  classes: source {diagnosis.source_label_counts}; labeled target "
        f"{diagnosis.target_label_counts or 'none'}"
    )
    selector = TransferSelector(
        candidates,
        cv=args.cv,
        n_repeats=args.n_repeats,
        n_jobs=args.n_jobs,
        verbose=int(not args.no_progress and sys.stderr.isatty()),
        random_state=args.random_state,
    )
    selector.fit(X, y, sample_domain=sample_domain)
    print("\n" + selector.summary())
    if args.report:
        from .model_selection import selection_report

        page = selection_report(selector, X, y, sample_domain, diagnosis=diagnosis)
        with open(args.report, "w", encoding="utf-8") as file:
            file.write(page)
        print(f"\nReport written to {args.report}")
    if args.save_model:
        from .utils import dump

        with open(args.save_model, "wb") as file:
            dump(selector, file)
        print(
            f"Model written to {args.save_model}; load it with "
            f"sktransfer.utils.load({args.save_model!r})"
        )
    return 0


def main(argv=None):
    """Run the ``sktransfer`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``None`` means ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 when a fit failed (the table is printed all the
        same, with the errors after it). Errors exit through
        :class:`SystemExit`: status 2 for bad arguments (unknown data set,
        pair or method names are listed with the valid ones; a method that
        cannot be built is named with the reason) and for a real data set
        whose files are missing and could not be downloaded.

    Examples
    --------
    >>> from sktransfer.cli import main
    >>> main(["benchmark", "--list"])  # doctest: +ELLIPSIS
    Data sets (--dataset):
      digits: ...
    >>> main(["benchmark", "--pairs", "blur", "--methods", "target_only",
    ...       "--n-repeats", "1", "--no-progress"])  # doctest: +ELLIPSIS
    blur: done; best target_only ...
    <BLANKLINE>
    digits: target accuracy on the unlabeled target rows, ...
    method                    blur    mean  gain over target_only  fit s
    ...
    target_only (baseline)  0...*  0...*  (best baseline)  ...
    * best on the pair; ...
    0
    """
    parser, bench, select = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "benchmark":
        return _benchmark(args, bench)
    if args.command == "select":
        return _select(args, select)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
