"""Run registered methods on the pairs of a data set and tabulate accuracy."""

import csv
import json
import math
import os
import re
import shutil
import sys
import textwrap
import time
import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state, get_tags
from threadpoolctl import threadpool_limits

from .._domain import UNLABELED, hide_target_labels
from ._baselines import TunedLogisticRegression
from ._registry import DATASETS, KINDS, METHODS

__all__ = ["BenchmarkResult", "DataUnavailableError", "run_benchmark"]

_FIELDS = (
    "dataset",
    "pair",
    "method",
    "kind",
    "repeat",
    "seed",
    "accuracy",
    "selected",
    "n_labeled_target",
    "n_test",
    "fit_time",
    "predict_time",
    "error",
    "skipped",
    "input",
    "warnings",
)

#: Largest dense copy (in bytes) of a sparse data set made for the methods
#: that need dense input; beyond it their cells are skipped.
MAX_DENSE_BYTES = 2**30

# Warnings that Python hides by default stay hidden in the benchmark's notes.
_HIDDEN_WARNINGS = (
    DeprecationWarning,
    PendingDeprecationWarning,
    ImportWarning,
    ResourceWarning,
)


_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


class DataUnavailableError(OSError):
    """The files of a real data set are missing and were not downloaded."""


def _unknown(what, names, valid):
    return ValueError(
        f"unknown {what}: {', '.join(map(repr, names))}; "
        f"choose from: {', '.join(valid)}"
    )


def resolve_names(dataset, pairs=None, methods=None):
    """Check and complete the names of a run.

    Parameters
    ----------
    dataset : str
        A registered data set.
    pairs : sequence of str or None, default=None
        Pairs of the data set; ``None`` means all of them. ``"a:b"`` is read
        as ``"a->b"``.
    methods : sequence of str or None, default=None
        Registered methods; ``None`` means those registered with
        ``default=True`` (the quick ones), ``["all"]`` every one.

    Returns
    -------
    dataset_spec : DatasetSpec
    pairs : list of str
    method_specs : list of MethodSpec
        Baselines first, then the other kinds, each in registration order.

    Raises
    ------
    ValueError
        Naming the unknown names and listing the valid ones, or a
        ``"module:Class"`` method whose class cannot be imported.
    TypeError
        When a ``"module:Class"`` method names a class of a kind the
        benchmark cannot run (see :meth:`MethodSpec.check`); no data is
        loaded and nothing is fitted.

    Examples
    --------
    >>> from sktransfer.benchmark import resolve_names
    >>> spec, pairs, methods = resolve_names("digits", ["blur"], ["pooled"])
    >>> pairs, [m.name for m in methods]
    (['blur'], ['pooled'])
    """
    if dataset not in DATASETS:
        raise _unknown("data set", [dataset], DATASETS)
    spec = DATASETS[dataset]
    if pairs is None:
        pairs = list(spec.pairs)
    else:  # "books:kitchen" is read as "books->kitchen" (no shell quoting needed)
        pairs = [
            p.strip() if "->" in p else p.strip().replace(":", "->") for p in pairs
        ]
    bad = [p for p in pairs if p not in spec.pairs]
    if bad or not pairs:
        raise _unknown(f"pair of {dataset}", bad, spec.pairs)
    if methods is None:
        names = [name for name, method in METHODS.items() if method.default]
    elif [m.strip() for m in methods] == ["all"]:
        names = list(METHODS)
    else:
        names = [m.strip() for m in methods]
    bad = [m for m in names if m not in METHODS]
    if bad or not names:
        raise _unknown("method", bad, METHODS)
    names = list(dict.fromkeys(names))
    order = {kind: i for i, kind in enumerate(KINDS)}
    specs = sorted(
        (METHODS[m] for m in names), key=lambda s: order.get(s.kind, len(KINDS))
    )
    for method in specs:
        try:
            method.check()
        except (ImportError, AttributeError) as exc:
            raise ValueError(
                f"method {method.name!r}: cannot import {method.build}: {exc}"
            ) from exc
    return spec, list(dict.fromkeys(pairs)), specs


def _load_pair(spec, pair, *, data_home, download_if_missing, random_state):
    try:
        X, y, sample_domain = spec.load(
            pair,
            data_home=data_home,
            download_if_missing=download_if_missing,
            random_state=random_state,
        )
    except OSError as exc:
        message = str(exc) or type(exc).__name__
        if "SKTRANSFER_DATA" not in message:
            message += (
                " Point the environment variable SKTRANSFER_DATA (or --data-home)"
                " to a folder holding the data set."
            )
        raise DataUnavailableError(
            f"cannot load {spec.name} pair {pair!r}: {message}"
        ) from exc
    y = LabelEncoder().fit_transform(np.asarray(y)).astype(np.int64)
    sample_domain = np.asarray(sample_domain, dtype=np.int64)
    if spec.preprocess is not None:
        X = spec.preprocess(X, sample_domain)
    return X, y, sample_domain


def _needs_dense(method, base_estimator):
    """Whether a method's model refuses sparse input (its tags say so)."""
    try:
        return not get_tags(
            method.make(base_estimator, random_state=0)
        ).input_tags.sparse
    except Exception:  # a build that fails fails again, recorded, in its fit
        return False


def _dense_copy(X, dataset, pair):
    """``(X as an ndarray, None)``, or ``(None, why not)`` when too large."""
    n_bytes = X.shape[0] * X.shape[1] * np.dtype(np.float64).itemsize
    if n_bytes > MAX_DENSE_BYTES:
        return None, (
            f"needs dense input; {dataset} {pair} is sparse, "
            f"{X.shape[0]} x {X.shape[1]}, and a dense copy would take "
            f"{n_bytes / 2**20:.0f} MiB (more than {MAX_DENSE_BYTES / 2**20:.0f} "
            "MiB)"
        )
    return np.asarray(X.toarray(), dtype=np.float64), None


def _warning_text(caught):
    """Distinct ``"Category: message"`` lines, in order of appearance."""
    lines = (
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, _HIDDEN_WARNINGS)
    )
    return list(dict.fromkeys(lines))


def _check_classes(model, y_pred):
    """Refuse a model that took the unlabeled marker for a class.

    The benchmark encodes the classes of every data set as 0, 1, ...; -1
    is only ever the marker of the unlabeled target rows.
    """
    classes = np.asarray(getattr(model, "classes_", []))
    if (classes == UNLABELED).any() or (np.asarray(y_pred) == UNLABELED).any():
        raise ValueError(
            f"the model took the unlabeled marker {UNLABELED} for a class "
            f"(classes_={classes.tolist()}): its plain estimator was fitted on "
            "the unlabeled target rows. Fit it on the labeled rows only, e.g. "
            "with sktransfer.pipeline.LabeledRowsEstimator."
        )


def _run_one(
    X,
    y,
    sample_domain,
    *,
    pair,
    repeat,
    seed,
    method,
    base_estimator,
    n_target_labels,
    per_class,
    dataset,
    error_score,
    skip_reason="",
    input_note="",
):
    y_masked = hide_target_labels(
        y,
        sample_domain,
        n_labeled=n_target_labels,
        per_class=per_class,
        random_state=seed,
    )
    test = (sample_domain < 0) & (y_masked == UNLABELED)
    record = {
        "dataset": dataset,
        "pair": pair,
        "method": method.name,
        "kind": method.kind,
        "repeat": repeat,
        "seed": int(seed),
        "accuracy": math.nan,
        "n_labeled_target": int(((sample_domain < 0) & ~test).sum()),
        "n_test": int(test.sum()),
        "fit_time": math.nan,
        "predict_time": math.nan,
        "error": "",
        "skipped": skip_reason,
        "input": input_note,
        "warnings": [],
    }
    if not test.any():
        raise ValueError(
            f"{dataset} {pair}: no target row left to score with "
            f"n_target_labels={n_target_labels}; use fewer target labels."
        )
    if skip_reason:
        return record
    base = clone(base_estimator)
    if "random_state" in base.get_params():
        base.set_params(random_state=int(seed))
    # Collected here, in the process that fits (joblib workers included), and
    # summarised once after the table rather than printed at every fit.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = method.make(base, random_state=int(seed))
            start = time.perf_counter()
            model.fit(X, y_masked, sample_domain=sample_domain)
            record["fit_time"] = time.perf_counter() - start
            rows = np.flatnonzero(test)
            start = time.perf_counter()
            y_pred = np.asarray(model.predict(X[rows]))
            record["predict_time"] = time.perf_counter() - start
            _check_classes(model, y_pred)
            record["accuracy"] = float(np.mean(y_pred == y[rows]))
            if hasattr(model, "best_name_"):  # a selector: what it chose, and why
                record["selected"] = str(model.best_name_)
                results = model.cv_results_
                splits = [k for k in results if k.startswith("split")]
                record["selection_scores"] = {
                    str(name): [float(results[k][i]) for k in splits]
                    for i, name in enumerate(results["name"])
                }
                record["selection_test_train_ratio"] = float(
                    getattr(model, "_test_train_ratio", 0.0)
                )
        except Exception as exc:
            if error_score == "raise":
                raise
            record["error"] = f"{type(exc).__name__}: {exc}"
            record["accuracy"] = float(error_score)
    record["warnings"] = _warning_text(caught)
    return record


def run_benchmark(
    dataset="digits",
    *,
    pairs=None,
    methods=None,
    n_target_labels=None,
    n_repeats=3,
    random_state=0,
    base_estimator=None,
    data_home=None,
    download_if_missing=True,
    error_score=np.nan,
    n_jobs=None,
    progress=False,
    on_pair_done=None,
):
    """Run methods on the pairs of a data set and score target accuracy.

    For each pair and each repeat, all but ``n_target_labels`` target labels
    are hidden (a new random draw per repeat), each method is fitted on all
    rows (source rows, labeled and unlabeled target rows; baselines use only
    the rows they need) and scored by its accuracy on the target rows whose
    labels were hidden. Every method of a repeat sees the same draw.

    A method whose model refuses sparse input (its scikit-learn tags say so)
    gets a dense copy of a sparse data set, made once per pair, when it
    takes at most ``sktransfer.benchmark._runner.MAX_DENSE_BYTES`` (1 GiB);
    otherwise its cells are skipped,
    with the reason in the records (see :meth:`BenchmarkResult.notes`). A
    fit that fails is recorded with its error (unless
    ``error_score="raise"``), so one failing method never loses the others'
    results. Warnings raised by the fits, in parallel workers too, are
    recorded with each fit instead of being printed (see
    :meth:`BenchmarkResult.warnings`).

    Parameters
    ----------
    dataset : str, default="digits"
        A registered data set (see :data:`DATASETS`).
    pairs : sequence of str, default=None
        Pairs to run, e.g. ``["books->kitchen"]`` (or ``"books:kitchen"``);
        ``None`` means all pairs of the data set.
    methods : sequence of str, default=None
        Registered methods to run (see :data:`METHODS`); ``None`` means the
        quick ones (registered with ``default=True``), ``["all"]`` every one.
    n_target_labels : int, default=None
        Target rows that keep their label (per class when the data set says
        so); ``None`` means the data set's default.
    n_repeats : int, default=3
        Random draws of the labeled target rows.
    random_state : int, RandomState instance or None, default=0
        Seeds the draws and the methods (one seed per repeat); an int also
        seeds the data of generated and subsampled data sets (digits split,
        synthetic shifts, MNIST subsample), the same for every repeat.
    base_estimator : classifier, default=None
        The plain estimator of the baselines and of the methods that adapt
        one; ``None`` means :class:`TunedLogisticRegression`. Every method
        fits it on labeled rows only.
    data_home : str or path, default=None
        Folder of the real data sets; ``None`` means the loaders' default
        (``SKTRANSFER_DATA``, else ``~/sktransfer_data``).
    download_if_missing : bool, default=True
        Whether loaders may download missing files (as the loaders of
        :mod:`sktransfer.datasets` do by default); with false, missing files
        raise :class:`DataUnavailableError`.
    error_score : "raise" or float, default=np.nan
        What a failing fit scores; its error is kept in the record's
        ``"error"`` field and the run goes on. ``"raise"`` stops the run at
        the first failing fit, with its exception.
    n_jobs : int, default=None
        Fits run in parallel (joblib); ``None`` means one at a time. Each fit
        uses one BLAS/OpenMP thread.
    progress : bool, default=False
        Show a tqdm progress bar on stderr.
    on_pair_done : callable, default=None
        Called as ``on_pair_done(pair, result)`` when every fit of a pair has
        finished, with the :class:`BenchmarkResult` of the pairs done so far:
        a long run can show or save its results as it goes.

    Returns
    -------
    result : BenchmarkResult
        One record per pair, repeat and method.

    Raises
    ------
    DataUnavailableError
        When the files of a real data set are missing.
    ValueError, TypeError
        For unknown names, or a method that cannot be built (see
        :func:`resolve_names`), before any data is loaded.

    Examples
    --------
    >>> from sktransfer.benchmark import run_benchmark
    >>> result = run_benchmark("digits", pairs=["blur"], methods=["target_only"],
    ...                        n_repeats=1)
    >>> [(r["pair"], r["method"]) for r in result.records]
    [('blur', 'target_only')]
    >>> 0 <= result.mean_accuracy("target_only") <= 1
    True
    """
    from tqdm.auto import tqdm

    spec, pairs, specs = resolve_names(dataset, pairs, methods)
    if n_target_labels is None:
        n_target_labels = spec.n_target_labels
    if int(n_repeats) < 1:
        raise ValueError(f"n_repeats must be >= 1, got {n_repeats}.")
    if error_score != "raise" and not isinstance(error_score, int | float):
        raise ValueError(f"error_score must be 'raise' or a number, got {error_score}")
    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=int(n_repeats)
    )
    data_seed = random_state if isinstance(random_state, int | np.integer) else 0
    if base_estimator is None:
        base_estimator = TunedLogisticRegression()
    dense_methods = {m.name for m in specs if _needs_dense(m, base_estimator)}

    config = {
        "dataset": dataset,
        "pairs": pairs,
        "methods": [m.name for m in specs],
        "n_target_labels": int(n_target_labels),
        "per_class": spec.per_class,
        "n_repeats": int(n_repeats),
        "random_state": random_state if isinstance(random_state, int) else None,
        "preprocessing": spec.preprocessing,
        "base_estimator": repr(base_estimator),
    }
    rank = {(m.name): i for i, m in enumerate(specs)}

    def ordered(records):
        return sorted(
            records,
            key=lambda r: (pairs.index(r["pair"]), r["repeat"], rank[r["method"]]),
        )

    records = []
    bar = tqdm(
        total=len(pairs) * len(seeds) * len(specs),
        desc=f"{dataset}",
        unit="fit",
        file=sys.stderr,
        disable=not progress,
        # a terminal that reports a width of 0 would hide the bar
        ncols=shutil.get_terminal_size((100, 24)).columns or 100,
    )
    # Fits are small: BLAS/OpenMP threads cost more than they bring (and
    # oversubscribe the cores with n_jobs); parallelism comes from n_jobs.
    with bar, threadpool_limits(limits=1):
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        for pair in pairs:
            bar.set_postfix_str(f"loading {pair}")
            X, y, sample_domain = _load_pair(
                spec,
                pair,
                data_home=data_home,
                download_if_missing=download_if_missing,
                random_state=data_seed,
            )
            X_dense, skip_reason, input_note = X, "", ""
            if sp.issparse(X) and dense_methods:
                X_dense, skip_reason = _dense_copy(X, dataset, pair)
                input_note = "" if skip_reason else "sparse input densified"
            bar.set_postfix_str(pair)

            dense_options = {
                "X": X_dense,
                "skip_reason": skip_reason,
                "input_note": input_note,
            }
            jobs = (
                delayed(_run_one)(
                    y=y,
                    sample_domain=sample_domain,
                    pair=pair,
                    repeat=repeat,
                    seed=seed,
                    method=method,
                    base_estimator=base_estimator,
                    n_target_labels=int(n_target_labels),
                    per_class=spec.per_class,
                    dataset=dataset,
                    error_score=error_score,
                    **(dense_options if method.name in dense_methods else {"X": X}),
                )
                for repeat, seed in enumerate(seeds)
                for method in specs
            )
            for record in parallel(jobs):
                records.append(record)
                bar.update()
            if on_pair_done is not None:
                on_pair_done(pair, BenchmarkResult(ordered(records), config))
    return BenchmarkResult(ordered(records), config)


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.isnan(values).any():
        return math.nan, math.nan
    return float(values.mean()), float(values.std())


class BenchmarkResult:
    """Records of a benchmark run, with the tables made from them.

    Parameters
    ----------
    records : list of dict
        One record per pair, repeat and method, with the keys ``dataset``,
        ``pair``, ``method``, ``kind``, ``repeat``, ``seed``, ``accuracy``,
        ``n_labeled_target``, ``n_test``, ``fit_time``, ``predict_time``,
        ``error`` (empty unless the fit failed), ``skipped`` (empty unless
        the cell was not run: the reason), ``input`` (a note when the method
        got a dense copy of sparse input) and ``warnings`` (the distinct
        warnings the fit raised, as ``"Category: message"`` strings); a
        selector's records also have ``selected``, the name of the candidate
        it chose, ``selection_scores`` (``{candidate: [score per fold]}``)
        and ``selection_test_train_ratio`` (held-out to training rows of its
        folds).
    config : dict
        The settings of the run.

    Examples
    --------
    >>> from sktransfer.benchmark import BenchmarkResult
    >>> records = [
    ...     {"pair": "a->b", "method": "m", "repeat": r, "accuracy": acc,
    ...      "fit_time": 0.1, "error": ""}
    ...     for r, acc in enumerate([0.8, 0.9])]
    >>> result = BenchmarkResult(records, {"dataset": "toy"})
    >>> round(result.mean_accuracy("m"), 2)
    0.85
    """

    def __init__(self, records, config):
        self.records = list(records)
        self.config = dict(config)

    @property
    def pairs(self):
        """Pairs in the order of the run."""
        return list(dict.fromkeys(r["pair"] for r in self.records))

    @property
    def methods(self):
        """Methods in the order of the table."""
        return list(dict.fromkeys(r["method"] for r in self.records))

    def _accuracies(self, method, pair=None):
        """Accuracy per repeat: of one pair, or averaged over the pairs."""
        by_repeat = {}
        for r in self.records:
            if r["method"] == method and (pair is None or r["pair"] == pair):
                by_repeat.setdefault(r["repeat"], []).append(r["accuracy"])
        return [float(np.mean(v)) for _, v in sorted(by_repeat.items())]

    def mean_accuracy(self, method, pair=None):
        """Mean target accuracy of a method, over repeats (and pairs).

        Parameters
        ----------
        method : str
            A method of the run.
        pair : str, default=None
            One pair; ``None`` means the mean over all pairs.

        Returns
        -------
        accuracy : float
            ``nan`` when a fit failed.
        """
        return _mean_std(self._accuracies(method, pair))[0]

    def summary(self):
        """Mean and standard deviation of accuracy per pair and method.

        The row of pair ``"mean"`` averages over pairs; its standard deviation
        is over repeats of the pair-averaged accuracy.

        Returns
        -------
        rows : list of dict
            Keys ``pair``, ``method``, ``accuracy_mean``, ``accuracy_std``,
            ``fit_time`` (mean seconds per fit), ``n_failed`` and
            ``n_skipped``.
        """
        rows = []
        for pair in [*self.pairs, None]:
            for method in self.methods:
                mine = [
                    r
                    for r in self.records
                    if r["method"] == method and (pair is None or r["pair"] == pair)
                ]
                mean, std = _mean_std(self._accuracies(method, pair))
                times = [r["fit_time"] for r in mine if not math.isnan(r["fit_time"])]
                rows.append(
                    {
                        "pair": "mean" if pair is None else pair,
                        "method": method,
                        "accuracy_mean": mean,
                        "accuracy_std": std,
                        "fit_time": float(np.mean(times)) if times else math.nan,
                        "n_failed": sum(bool(r["error"]) for r in mine),
                        "n_skipped": sum(bool(r.get("skipped")) for r in mine),
                    }
                )
        return rows

    def errors(self):
        """The distinct errors of failed fits.

        Returns
        -------
        errors : list of str
            ``"method on pair: error"`` lines.
        """
        lines = [
            f"{r['method']} on {r['pair']}: {r['error']}"
            for r in self.records
            if r["error"]
        ]
        return list(dict.fromkeys(lines))

    def skipped(self):
        """The cells that were not run, with the reason.

        Returns
        -------
        skipped : list of str
            ``"method on pair: reason"`` lines.
        """
        lines = [
            f"{r['method']} on {r['pair']}: {r['skipped']}"
            for r in self.records
            if r.get("skipped")
        ]
        return list(dict.fromkeys(lines))

    def warnings(self):
        """Each distinct warning raised by the fits, once, with where it came from.

        Returns
        -------
        warnings : list of dict
            In order of first appearance, with the keys ``"message"``
            (``"Category: text"``, as first raised), ``"count"`` (the number
            of fits that raised it), ``"variants"`` (how many texts that
            differ only in their numbers it stands for: "54 of the 64
            features" and "52 of the 64 features" are one warning),
            ``"methods"`` and ``"pairs"`` (those fits' methods and pairs, in
            the order of the run).

        Examples
        --------
        >>> from sktransfer.benchmark import BenchmarkResult
        >>> records = [
        ...     {"pair": p, "method": "m", "repeat": 0, "accuracy": 0.5,
        ...      "fit_time": 0.1, "error": "", "warnings": ["UserWarning: hm"]}
        ...     for p in ("a->b", "b->a")]
        >>> [entry] = BenchmarkResult(records, {}).warnings()
        >>> entry["message"], entry["count"], entry["methods"], entry["pairs"]
        ('UserWarning: hm', 2, ['m'], ['a->b', 'b->a'])
        """
        found = {}
        for r in self.records:
            for message in r.get("warnings") or ():
                entry = found.setdefault(
                    _NUMBER.sub("#", message),
                    {
                        "message": message,
                        "count": 0,
                        "variants": {},
                        "methods": {},
                        "pairs": {},
                    },
                )
                entry["count"] += 1
                entry["variants"][message] = None
                entry["methods"][r["method"]] = None
                entry["pairs"][r["pair"]] = None
        return [
            {
                **entry,
                "variants": len(entry["variants"]),
                "methods": list(entry["methods"]),
                "pairs": list(entry["pairs"]),
            }
            for entry in found.values()
        ]

    def format_notes(self):
        """What the table does not show, as text: to print after it.

        Returns
        -------
        notes : str
            Sections for the skipped cells, the failed fits, the methods given
            a dense copy of sparse input, and each distinct warning once with
            the number of fits that raised it; empty when there is nothing
            to say.
        """
        sections = []
        if self.skipped():
            sections.append(["Skipped:", *(f"  {line}" for line in self.skipped())])
        if self.errors():
            sections.append(["Failed fits:", *(f"  {line}" for line in self.errors())])
        densified = list(
            dict.fromkeys(r["method"] for r in self.records if r.get("input"))
        )
        if densified:
            sections.append(
                [
                    "Dense input: the data set is sparse; these methods need dense "
                    "input and were given a dense copy:",
                    f"  {', '.join(densified)}",
                ]
            )
        found = self.warnings()
        if found:
            n_fits = len(self.records)
            lines = [f"Warnings (each distinct one once, of {n_fits} fits):"]
            for entry in found:
                pairs = entry["pairs"]
                where = ", ".join(pairs) if len(pairs) <= 4 else f"{len(pairs)} pairs"
                variants = entry["variants"]
                lines += [
                    f"  {entry['message']}",
                    *(
                        [f"    ({variants} variants of it, differing in their numbers)"]
                        if variants > 1
                        else []
                    ),
                    f"    in {entry['count']} fit(s): "
                    f"{', '.join(entry['methods'])} on {where}",
                ]
            sections.append(lines)
        return "\n\n".join("\n".join(lines) for lines in sections)

    def best_baseline(self):
        """The baseline with the best mean accuracy over the pairs.

        Returns
        -------
        name : str or None
            ``None`` when no baseline ran.
        """
        kinds = {r["method"]: r.get("kind") for r in self.records}
        scores = {
            m: self.mean_accuracy(m) for m in self.methods if kinds.get(m) == "baseline"
        }
        scores = {m: v for m, v in scores.items() if not math.isnan(v)}
        return max(scores, key=scores.get) if scores else None

    def gain(self, method, reference, confidence_level=0.95):
        """Mean gain of ``method`` over ``reference`` and its interval.

        The differences of accuracy, one per pair and repeat (the two methods
        saw the same draw), averaged, with a t interval over them.

        Returns
        -------
        gain, low, high : float
            ``nan`` when fewer than two differences exist (``low`` and
            ``high``) or none (all three).
        """
        mine = {
            (r["pair"], r["repeat"]): r["accuracy"]
            for r in self.records
            if r["method"] == method
        }
        theirs = {
            (r["pair"], r["repeat"]): r["accuracy"]
            for r in self.records
            if r["method"] == reference
        }
        differences = np.array(
            [mine[k] - theirs[k] for k in mine if k in theirs], dtype=float
        )
        differences = differences[np.isfinite(differences)]
        if not differences.size:
            return math.nan, math.nan, math.nan
        mean = float(differences.mean())
        if differences.size < 2:
            return mean, math.nan, math.nan
        half = stats.t.ppf(0.5 + confidence_level / 2, differences.size - 1) * (
            differences.std(ddof=1) / np.sqrt(differences.size)
        )
        return mean, mean - half, mean + half

    def format_table(self, width=100):
        """The accuracy table as text, fitting ``width`` columns.

        One row per method (the baselines marked), one column per pair (split
        into blocks of columns when they do not fit), then the mean over
        pairs, the gain over the best baseline with its 95% interval and the
        mean fit time. A ``*`` marks the best method of each pair; the cells
        are means over repeats (the output file has every figure).

        Parameters
        ----------
        width : int, default=100
            Widest line.

        Returns
        -------
        table : str
        """
        summary = {(row["pair"], row["method"]): row for row in self.summary()}
        reference = self.best_baseline()
        kinds = {r["method"]: r.get("kind") for r in self.records}
        best = {}
        for pair in [*self.pairs, "mean"]:
            means = {
                m: summary[pair, m]["accuracy_mean"]
                for m in self.methods
                if not (summary[pair, m]["n_failed"] or summary[pair, m]["n_skipped"])
            }
            means = {m: v for m, v in means.items() if not math.isnan(v)}
            best[pair] = max(means, key=means.get) if means else None

        def cell(pair, method):
            row = summary[pair, method]
            if row["n_failed"]:
                return "failed "
            if row["n_skipped"]:
                return "skipped "
            mark = "*" if best[pair] == method else " "
            return f"{row['accuracy_mean']:.3f}{mark}"

        def gain_cell(method):
            if reference is None:
                return ""
            if method == reference:
                return "(best baseline)"
            gain, low, high = self.gain(method, reference)
            if math.isnan(gain):
                return ""
            if math.isnan(low):
                return f"{gain:+.3f}"
            return f"{gain:+.3f} [{low:+.3f}, {high:+.3f}]"

        names = [
            m + (" (baseline)" if kinds.get(m) == "baseline" else "")
            for m in self.methods
        ]
        name_width = max(len("method"), *map(len, names))
        tail_header = ["mean", f"gain over {reference}" if reference else "", "fit s"]
        tail = [
            [
                cell("mean", m),
                gain_cell(m),
                f"{summary['mean', m]['fit_time']:.2f}",
            ]
            for m in self.methods
        ]
        tail_widths = [
            max(len(tail_header[i]), *(len(row[i]) for row in tail)) for i in range(3)
        ]
        pair_widths = [
            max(len(pair), *(len(cell(pair, m)) for m in self.methods))
            for pair in self.pairs
        ]
        # blocks of pairs; the last block also holds the mean, gain and time
        blocks, current, used = [], [], name_width
        for i, pair_width in enumerate(pair_widths):
            if current and used + 2 + pair_width > width:
                blocks.append(current)
                current, used = [], name_width
            current.append(i)
            used += 2 + pair_width
        tail_width = sum(2 + w for w in tail_widths)
        if current and used + tail_width > width:
            blocks.append(current)
            current = []
        blocks.append(current)

        lines = []
        for number, block in enumerate(blocks):
            last = number == len(blocks) - 1
            header = ["method".ljust(name_width)] + [
                self.pairs[i].rjust(pair_widths[i]) for i in block
            ]
            if last:
                header += [
                    tail_header[0].rjust(tail_widths[0]),
                    tail_header[1].ljust(tail_widths[1]),
                    tail_header[2].rjust(tail_widths[2]),
                ]
            text = ["  ".join(header).rstrip()]
            for m, name in zip(self.methods, names):
                row = [name.ljust(name_width)] + [
                    cell(self.pairs[i], m).rjust(pair_widths[i]) for i in block
                ]
                if last:
                    values = tail[self.methods.index(m)]
                    row += [
                        values[0].rjust(tail_widths[0]),
                        values[1].ljust(tail_widths[1]),
                        values[2].rjust(tail_widths[2]),
                    ]
                text.append("  ".join(row).rstrip())
            rule = "-" * max(map(len, text))
            if lines:
                lines.append("")
            lines += [text[0], rule, *text[1:]]
        cfg = self.config
        if "n_target_labels" in cfg:
            per = " per class" if cfg.get("per_class") else ""
            title = (
                f"{cfg['dataset']}: target accuracy on the unlabeled target rows, "
                f"mean over {cfg['n_repeats']} repeat(s); "
                f"{cfg['n_target_labels']} labeled target row(s){per}"
            )
            lines.insert(0, textwrap.fill(title, width))
        legend = "* best on the pair"
        if reference is not None:
            legend += (
                f"; gains are over {reference}, the best baseline over the pairs "
                "(mean difference per pair and repeat, 95% interval)"
            )
            if best["mean"] == reference:
                legend += f"; no method beats {reference} on average"
        lines.append(textwrap.fill(legend, width))
        return "\n".join(lines)

    def to_json(self, path):
        """Write the config, records and summary to a JSON file.

        Parameters
        ----------
        path : str or path
            File to write; ``nan`` is written as ``null``.
        """

        def clean(value):
            if isinstance(value, float) and math.isnan(value):
                return None
            if isinstance(value, np.generic):
                return value.item()
            return value

        payload = {
            "config": self.config,
            "records": [{k: clean(v) for k, v in r.items()} for r in self.records],
            "summary": [{k: clean(v) for k, v in r.items()} for r in self.summary()],
        }
        with open(path, "w", encoding="utf-8") as file:
            json.dump(payload, file, indent=2, default=str)
            file.write("\n")

    def to_csv(self, path):
        """Write one CSV line per pair, repeat and method.

        Parameters
        ----------
        path : str or path
            File to write.
        """
        fields = [f for f in _FIELDS if any(f in r for r in self.records)]
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            for record in self.records:
                if "warnings" in record:  # a list: one JSON string per cell
                    record = {**record, "warnings": json.dumps(record["warnings"])}
                writer.writerow(record)

    def save(self, path):
        """Write the results as JSON (``.json``) or CSV (any other suffix).

        Parameters
        ----------
        path : str or path
            File to write.
        """
        if os.fspath(path).lower().endswith(".json"):
            self.to_json(path)
        else:
            self.to_csv(path)
