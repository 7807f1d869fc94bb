"""Run registered methods on the pairs of a data set and tabulate accuracy."""

import csv
import ctypes
import json
import math
import os
import re
import shutil
import sys
import textwrap
import threading
import time
import uuid
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
from ..utils._optional import import_optional
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
    "timed_out",
)

# How the fields of a CSV file are read back (the others are text).
_INT_FIELDS = ("repeat", "seed", "n_labeled_target", "n_test")
_FLOAT_FIELDS = ("accuracy", "fit_time", "predict_time")

# Settings of a run that must match for a saved run to be resumed; the pairs,
# methods and number of repeats may differ (the cells are matched one by one).
_RESUME_SETTINGS = (
    "dataset",
    "n_target_labels",
    "per_class",
    "random_state",
    "preprocessing",
    "base_estimator",
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


class FitTimeout(BaseException):
    """Raised inside a fit that ran past ``fit_timeout`` seconds.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that the
    ``except Exception`` of the code being fitted does not swallow it.
    """


class _FitWatchdog:
    """Raise :class:`FitTimeout` in the calling thread after ``seconds``.

    The exception is delivered the next time the thread runs Python code: a
    fit stuck inside one long call into compiled code stops when that call
    returns.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._done = False

    def _fire(self):
        with self._lock:
            if not self._done:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread), ctypes.py_object(FitTimeout)
                )

    def __enter__(self):
        self._thread = threading.get_ident()
        self._timer = None
        if self.seconds is not None:
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc_info):
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            if self.fired:  # not raised yet: withdraw it, the caller checks fired
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread), None
                )
        return False


def _cell_record(
    y,
    sample_domain,
    *,
    pair,
    repeat,
    seed,
    method,
    n_target_labels,
    per_class,
    dataset,
    skip_reason="",
    input_note="",
):
    """The record of a cell before its fit, the labels it keeps, its test rows."""
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
    return record, y_masked, test


def _run_one(
    X,
    y,
    sample_domain,
    *,
    base_estimator,
    error_score,
    fit_timeout=None,
    **cell,
):
    record, y_masked, test = _cell_record(y, sample_domain, **cell)
    method, seed, skip_reason = cell["method"], cell["seed"], record["skipped"]
    if skip_reason:
        return record
    base = clone(base_estimator)
    if "random_state" in base.get_params():
        base.set_params(random_state=int(seed))
    # Collected here, in the process that fits (joblib and Dask workers
    # included), and summarised once after the table rather than printed at
    # every fit. Fits are small: BLAS/OpenMP threads cost more than they bring
    # (and oversubscribe the cores); parallelism comes from running many fits.
    watchdog = _FitWatchdog(fit_timeout)
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        try:
            with watchdog:
                _fit_and_score(
                    X, y, y_masked, sample_domain, test, method, base, seed, record
                )
            if watchdog.fired:
                raise FitTimeout
        except FitTimeout:
            record["error"] = f"timed out after {fit_timeout:g} s"
            record["timed_out"] = True
            record["accuracy"] = math.nan
            record["fit_time"] = record["predict_time"] = math.nan
            record.pop("selected", None)
        except Exception as exc:
            if error_score == "raise":
                raise
            record["error"] = f"{type(exc).__name__}: {exc}"
            record["accuracy"] = float(error_score)
    record["warnings"] = _warning_text(caught)
    return record


def _fit_and_score(X, y, y_masked, sample_domain, test, method, base, seed, record):
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
    scheduler=None,
    fit_timeout=None,
    output=None,
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
    scheduler : str or distributed.Client, default=None
        Run the fits on a Dask cluster instead of with joblib (needs the
        extra ``sktransfer[distributed]``): the address of a running
        ``dask.distributed`` scheduler (``"tcp://host:8786"``), ``"local:N"``
        for a ``LocalCluster`` of ``N`` single-threaded worker processes
        started and stopped here, or a connected ``Client``. Every (pair,
        repeat, method) fit is one task; the data of a pair is scattered to
        the workers once. Dask reruns the tasks of a worker that dies; a fit
        that kills its worker repeatedly is recorded as failed. The results
        are those of the local run with the same seed.
    fit_timeout : float, default=None
        Seconds a fit (with its prediction) may run; a fit that runs longer
        is stopped and recorded as timed out (``"timed_out"`` in its record,
        ``timeout`` in the table). The fit is stopped the next time it runs
        Python code: one long call into compiled code (a solver, a BLAS
        routine) ends before it stops. ``None`` means no limit.
    output : str or path, default=None
        File the results are written to as the run goes (JSON for ``.json``,
        CSV otherwise; see :meth:`BenchmarkResult.save`): after every pair,
        at most every few seconds in between, and when the run stops,
        interrupted or not. When the file already holds results of a run with
        the same settings, its finished cells (pair, repeat, method) are
        kept and not fitted again: rerunning an interrupted run resumes it.
        Its cells of other pairs or methods are kept in the file. A JSON file
        records every setting and all of them must match; a CSV file records
        only the data set and the seeds, and those must match.
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
        :func:`resolve_names`), before any data is loaded; for an ``output``
        file that holds a run with other settings.
    ImportError
        For a ``scheduler`` without the ``distributed`` package, naming the
        extra to install.
    OSError
        When the Dask scheduler cannot be reached.

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
    if fit_timeout is not None and not (
        isinstance(fit_timeout, int | float) and fit_timeout > 0
    ):
        raise ValueError(
            f"fit_timeout must be a positive number of seconds or None, got "
            f"{fit_timeout!r}."
        )
    if scheduler is not None and n_jobs is not None:
        raise ValueError(
            "n_jobs and scheduler both given: the Dask scheduler runs the fits "
            "on its workers; leave n_jobs=None."
        )
    if scheduler is not None:
        _check_scheduler(scheduler)
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

    cells = [
        (pair, repeat, method.name)
        for pair in pairs
        for repeat in range(len(seeds))
        for method in specs
    ]
    done, result_file = {}, None
    if output is not None:
        result_file = _ResultFile(output, config, seeds, set(cells))
        done = result_file.resumed
    records = [done[cell] for cell in cells if cell in done]
    left = {pair: 0 for pair in pairs}
    for cell in cells:
        left[cell[0]] += cell not in done

    def jobs_of(pair):
        """The data of a pair and the arguments of its fits left to run."""
        X, y, sample_domain = _load_pair(
            spec,
            pair,
            data_home=data_home,
            download_if_missing=download_if_missing,
            random_state=data_seed,
        )
        data = {"X": X, "y": y, "sample_domain": sample_domain}
        dense_options = {}
        if sp.issparse(X) and dense_methods:
            X_dense, skip_reason = _dense_copy(X, dataset, pair)
            dense_options = {
                "skip_reason": skip_reason,
                "input_note": "" if skip_reason else "sparse input densified",
            }
            if X_dense is not None:
                data["X_dense"] = X_dense
        jobs = [
            (
                "X_dense"
                if method.name in dense_methods and "X_dense" in data
                else "X",
                {
                    "pair": pair,
                    "repeat": repeat,
                    "seed": seed,
                    "method": method,
                    "base_estimator": base_estimator,
                    "n_target_labels": int(n_target_labels),
                    "per_class": spec.per_class,
                    "dataset": dataset,
                    "error_score": error_score,
                    "fit_timeout": fit_timeout,
                    **(dense_options if method.name in dense_methods else {}),
                },
            )
            for repeat, seed in enumerate(seeds)
            for method in specs
            if (pair, repeat, method.name) not in done
        ]
        return data, jobs

    bar = tqdm(
        total=len(cells),
        initial=len(records),
        desc=f"{dataset}",
        unit="fit",
        file=sys.stderr,
        disable=not progress,
        # a terminal that reports a width of 0 would hide the bar
        ncols=shutil.get_terminal_size((100, 24)).columns or 100,
    )

    def pair_finished(pair):
        if result_file is not None:
            result_file.write(records, force=True)
        if on_pair_done is not None:
            on_pair_done(pair, BenchmarkResult(ordered(records), config))

    def finished(record):
        """Take a record; whether it was the last of its pair."""
        records.append(record)
        bar.update()
        left[record["pair"]] -= 1
        if left[record["pair"]] == 0:
            pair_finished(record["pair"])
            return True
        if result_file is not None:
            result_file.write(records)
        return False

    try:
        with bar:
            for pair in pairs:  # finished in an earlier run
                if not left[pair]:
                    pair_finished(pair)
            if scheduler is None:
                parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
                for pair in pairs:
                    if not left[pair]:
                        continue
                    bar.set_postfix_str(f"loading {pair}")
                    data, jobs = jobs_of(pair)
                    bar.set_postfix_str(pair)
                    tasks = (
                        delayed(_run_one)(
                            data[x_name], data["y"], data["sample_domain"], **kwargs
                        )
                        for x_name, kwargs in jobs
                    )
                    for record in parallel(tasks):
                        finished(record)
            else:
                _run_on_dask(
                    scheduler,
                    [pair for pair in pairs if left[pair]],
                    jobs_of,
                    finished,
                    error_score=error_score,
                    bar=bar,
                )
    finally:
        if result_file is not None:
            result_file.write(records, force=True)
    return BenchmarkResult(ordered(records), config)


def _check_scheduler(scheduler):
    """Refuse a malformed ``"local:N"`` and a missing ``distributed``."""
    import_optional("distributed")
    if isinstance(scheduler, str):
        if scheduler.startswith("local:"):
            count = scheduler.split(":", 1)[1]
            if not count.isdigit() or int(count) < 1:
                raise ValueError(
                    f"scheduler {scheduler!r}: 'local:N' needs a number of "
                    "workers N >= 1, e.g. 'local:4'."
                )
        elif not scheduler.strip():
            raise ValueError("scheduler is empty: give an address or 'local:N'.")
    elif not hasattr(scheduler, "submit"):
        raise TypeError(
            "scheduler must be an address, 'local:N' or a distributed.Client, "
            f"got {type(scheduler).__name__}."
        )


class _DaskClient:
    """A client of ``scheduler``, with the cluster it started, if any."""

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.client = self.cluster = None

    def __enter__(self):
        distributed = import_optional("distributed")
        if not isinstance(self.scheduler, str):
            return self.scheduler  # the caller's client: the caller closes it
        if self.scheduler.startswith("local:"):
            self.cluster = distributed.LocalCluster(
                n_workers=int(self.scheduler.split(":", 1)[1]),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise OSError(
                    f"cannot reach the Dask scheduler at {self.scheduler!r}: {exc}"
                ) from exc
        return self.client

    def __exit__(self, *exc_info):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False


def _scatter(client, data, name, attempts=3):
    """Send ``data`` (a dict) to every worker; its futures under the same keys.

    On every worker, not one: the tasks of a worker that dies are rerun on
    another, which must hold the data already (scattered data cannot be
    recomputed). A worker that dies during the transfer is retried.
    """
    keyed = {f"sktransfer-data-{name}-{key}": value for key, value in data.items()}
    for attempt in range(attempts):
        try:
            remote = client.scatter(keyed, broadcast=True)
            break
        except OSError:  # a worker closed its connection while receiving
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)
    return dict(zip(data, remote.values()))


def _run_on_dask(scheduler, pairs, jobs_of, finished, *, error_score, bar):
    """Submit every fit of ``pairs`` as a Dask task; ``finished`` each record.

    ``finished(record)`` says whether the record was the last of its pair,
    whose scattered data is then released.
    """
    distributed = import_optional("distributed")
    run = uuid.uuid4().hex[:8]
    with _DaskClient(scheduler) as client:
        futures = distributed.as_completed()
        about = {}  # task key: (pair, scattered data, arguments), until done
        scattered = {}  # pair: its data's futures, released once the pair is done
        try:
            for pair in pairs:
                bar.set_postfix_str(f"loading {pair}")
                data, jobs = jobs_of(pair)
                scattered[pair] = _scatter(client, data, f"{run}-{pair}")
                for x_name, kwargs in jobs:
                    key = (
                        f"sktransfer-benchmark-{run}-{pair}-{kwargs['repeat']}-"
                        f"{kwargs['method'].name}"
                    )
                    remote = scattered[pair]
                    future = client.submit(
                        _run_one,
                        remote[x_name],
                        remote["y"],
                        remote["sample_domain"],
                        key=key,
                        pure=False,
                        **kwargs,
                    )
                    about[future.key] = (pair, data, kwargs)
                    futures.add(future)
                bar.set_postfix_str("")
            for future in futures:
                pair, data, kwargs = about.pop(future.key)
                try:
                    record = future.result()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # its worker died too often, say
                    if error_score == "raise":
                        raise
                    cell = {
                        k: v
                        for k, v in kwargs.items()
                        if k not in ("base_estimator", "error_score", "fit_timeout")
                    }
                    record, _, _ = _cell_record(
                        data["y"], data["sample_domain"], **cell
                    )
                    record.update(
                        error=f"{type(exc).__name__}: {exc}",
                        accuracy=float(error_score),
                    )
                future.release()
                if finished(record):
                    for remote in scattered.pop(pair).values():
                        remote.release()
        finally:
            for future in list(futures.futures):
                future.cancel()


class _ResultFile:
    """The ``output`` file of a run: what it resumes, and its writes.

    Rewritten whole (to a temporary file, then renamed, so that a killed run
    never leaves half a file), at most every few seconds unless forced.
    """

    def __init__(self, path, config, seeds, cells):
        self.path = os.fspath(path)
        self.config = config
        self.resumed, self.kept = {}, []
        self._last_write, self._write_cost = -math.inf, 0.0
        if not os.path.exists(self.path) or not os.path.getsize(self.path):
            return
        try:
            previous = BenchmarkResult.load(self.path)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"cannot resume from the output file {self.path}: it is not the "
                f"output of a benchmark run ({type(exc).__name__}: {exc}); write "
                "to another file, or remove it to start over."
            ) from exc
        _check_resumable(previous, config, seeds, self.path)
        for record in previous.records:
            cell = (record["pair"], record["repeat"], record["method"])
            if cell in cells:
                self.resumed[cell] = record
            else:
                self.kept.append(record)

    def write(self, records, force=False):
        if not force and time.monotonic() - self._last_write < max(
            2.0, 20 * self._write_cost
        ):
            return
        start = time.perf_counter()
        records = [*records, *self.kept]
        pairs = list(
            dict.fromkeys([*self.config["pairs"], *(r["pair"] for r in records)])
        )
        methods = list(
            dict.fromkeys([*self.config["methods"], *(r["method"] for r in records)])
        )
        config = {
            **self.config,
            "pairs": pairs,
            "methods": methods,
            "n_repeats": max(
                [self.config["n_repeats"], *(r["repeat"] + 1 for r in records)]
            ),
        }
        records.sort(
            key=lambda r: (
                pairs.index(r["pair"]),
                r["repeat"],
                methods.index(r["method"]),
            )
        )
        folder, name = os.path.split(os.path.abspath(self.path))
        partial = os.path.join(folder, f".partial-{os.getpid()}-{name}")
        try:
            BenchmarkResult(records, config).save(partial)
            os.replace(partial, self.path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        self._last_write = time.monotonic()
        self._write_cost = time.perf_counter() - start


def _check_resumable(previous, config, seeds, path):
    """Refuse to resume from a file of a run with other settings."""

    def refuse(setting, theirs, ours):
        return ValueError(
            f"the output file {path} holds the results of a run with "
            f"{setting}={theirs!r}, not {ours!r}: write to another file, or "
            "remove it to start over."
        )

    for setting in _RESUME_SETTINGS:
        if setting in previous.config and previous.config[setting] != config[setting]:
            raise refuse(setting, previous.config[setting], config[setting])
    for record in previous.records:
        if record.get("dataset", config["dataset"]) != config["dataset"]:
            raise refuse("dataset", record["dataset"], config["dataset"])
        repeat = record["repeat"]
        if repeat < len(seeds) and record["seed"] != seeds[repeat]:
            raise refuse(f"seed of repeat {repeat}", record["seed"], int(seeds[repeat]))


def _read_csv_records(path):
    records = []
    with open(path, newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            record = dict(row)
            for field in _INT_FIELDS:
                if field in record:
                    record[field] = int(record[field])
            for field in _FLOAT_FIELDS:
                if field in record:
                    record[field] = float(record[field]) if record[field] else math.nan
            if "warnings" in record:
                record["warnings"] = json.loads(record["warnings"] or "[]")
            for field in ("selected", "timed_out"):  # only where they were set
                if not record.get(field):
                    record.pop(field, None)
            if "timed_out" in record:
                record["timed_out"] = record["timed_out"] == "True"
            for field in ("error", "skipped", "input"):
                record.setdefault(field, "")
            records.append(record)
    return records


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
            ``fit_time`` (mean seconds per fit), ``n_failed`` (timed out
            included), ``n_timed_out`` and ``n_skipped``.
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
                        "n_timed_out": sum(bool(r.get("timed_out")) for r in mine),
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
            if row["n_timed_out"]:
                return "timeout "
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

    @classmethod
    def load(cls, path):
        """Read the results written by :meth:`save`.

        Parameters
        ----------
        path : str or path
            A JSON (``.json``) or CSV file (any other suffix).

        Returns
        -------
        result : BenchmarkResult
            The records as they were saved. A JSON file also gives back the
            settings of the run; a CSV file holds none, so ``config`` only
            has the data set.

        Examples
        --------
        >>> import os, tempfile
        >>> from sktransfer.benchmark import BenchmarkResult
        >>> records = [{"dataset": "toy", "pair": "a->b", "method": "m",
        ...             "repeat": 0, "seed": 1, "accuracy": 0.75,
        ...             "fit_time": 0.1, "error": ""}]
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "results.csv")
        ...     BenchmarkResult(records, {"dataset": "toy"}).save(path)
        ...     BenchmarkResult.load(path).mean_accuracy("m")
        0.75
        """
        path = os.fspath(path)
        if path.lower().endswith(".json"):
            with open(path, encoding="utf-8") as file:
                payload = json.load(file)
            records = [
                {
                    k: math.nan if v is None and k in _FLOAT_FIELDS else v
                    for k, v in record.items()
                }
                for record in payload["records"]
            ]
            return cls(records, payload["config"])
        records = _read_csv_records(path)
        return cls(records, {"dataset": records[0]["dataset"]} if records else {})

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
