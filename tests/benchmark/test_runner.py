import json
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from sktransfer.benchmark import (
    METHODS,
    BenchmarkResult,
    DatasetSpec,
    DataUnavailableError,
    _runner,
    register_dataset,
    register_method,
    resolve_names,
    run_benchmark,
)

from .conftest import load_toy

BASELINES = ["source_only", "target_only", "pooled"]


class Spy(ClassifierMixin, BaseEstimator):
    """Predicts class 0 and logs what ``fit`` received."""

    log = []

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, sample_domain=None):
        Spy.log.append((self.random_state, np.asarray(y).copy(), sample_domain))
        self.classes_ = np.unique(y[y >= 0])
        return self

    def predict(self, X):
        return np.zeros(X.shape[0], dtype=int)


@pytest.fixture
def spy(registry):
    Spy.log = []
    register_method("spy", lambda base, rs: Spy(random_state=rs), kind="other")
    return Spy


def test_records_cover_every_pair_repeat_and_method(registry):
    result = run_benchmark("toy", methods=BASELINES, n_repeats=2, random_state=0)
    assert len(result.records) == 2 * 2 * 3
    assert result.pairs == ["near", "far"]
    assert result.methods == BASELINES
    for record in result.records:
        assert 0 <= record["accuracy"] <= 1
        assert record["n_labeled_target"] == 6  # 2 per class, 3 classes
        assert record["n_test"] == 150 - 6
        assert record["error"] == ""
    # a far shift hurts the source-only model, not the target-only one
    assert result.mean_accuracy("source_only", "far") < 0.7
    assert result.mean_accuracy("target_only", "far") > 0.8
    assert result.mean_accuracy("source_only", "near") > 0.8


def test_methods_get_all_rows_and_share_the_draw_of_a_repeat(spy):
    run_benchmark("toy", pairs=["near"], n_repeats=2, random_state=3)
    assert len(spy.log) == 2
    (seed0, y0, sd0), (seed1, y1, sd1) = spy.log
    assert seed0 != seed1
    assert (sd0 < 0).sum() == 150 and (sd0 > 0).sum() == 150
    # unlabeled target rows arrive with the -1 marker, 2 labels per class kept
    assert ((y0 == -1) & (sd0 < 0)).sum() == 144
    assert not (y0[sd0 > 0] == -1).any()
    assert not np.array_equal(y0, y1)  # a new draw per repeat


def test_same_seed_same_results_other_seed_other_draws(registry):
    def accuracies(seed):
        result = run_benchmark("toy", methods=["target_only"], random_state=seed)
        return [r["accuracy"] for r in result.records]

    assert accuracies(1) == accuracies(1)
    assert accuracies(1) != accuracies(2)


def test_parallel_run_gives_the_same_records(registry):
    kwargs = dict(pairs=["far"], methods=["pooled", "target_only"], n_repeats=2)
    sequential = run_benchmark("toy", **kwargs)
    parallel = run_benchmark("toy", n_jobs=2, **kwargs)
    key = [
        (r["pair"], r["repeat"], r["method"], r["accuracy"]) for r in sequential.records
    ]
    assert key == [
        (r["pair"], r["repeat"], r["method"], r["accuracy"]) for r in parallel.records
    ]


def test_a_failing_method_is_recorded_or_raised(registry):
    @register_method("broken")
    def build(base, random_state):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_benchmark(
            "toy", pairs=["near"], methods=["broken"], n_repeats=1, error_score="raise"
        )
    # by default a failure is recorded: the other methods' results are kept
    result = run_benchmark(
        "toy", pairs=["near"], methods=["pooled", "broken"], n_repeats=1
    )
    assert math.isnan(result.mean_accuracy("broken"))
    assert result.errors() == ["broken on near: RuntimeError: boom"]
    table = result.format_table()
    [row] = [line for line in table.splitlines() if line.startswith("broken")]
    assert row.split()[1:3] == ["failed", "failed"]  # the pair and the mean
    assert not math.isnan(result.mean_accuracy("pooled"))


def test_missing_files_raise_data_unavailable(registry):
    def load(pair, **kwargs):
        raise FileNotFoundError("Data file not found: /nowhere/x.mat")

    register_dataset(DatasetSpec("ghost", ("a->b",), load, needs_files=True))
    with pytest.raises(DataUnavailableError, match="SKTRANSFER_DATA"):
        run_benchmark("ghost")


def test_unknown_names_list_the_valid_ones(registry):
    with pytest.raises(ValueError, match="choose from: digits, .*toy"):
        resolve_names("nope")
    with pytest.raises(ValueError, match="choose from: near, far"):
        resolve_names("toy", ["near", "middle"])
    with pytest.raises(ValueError, match="'magic'.*source_only, target_only, pooled"):
        resolve_names("toy", None, ["pooled", "magic"])
    register_method("toy_instance", lambda base, rs: base, kind="instance")
    names = ["toy_instance", "pooled", "source_only"]
    _, _, methods = resolve_names("toy", ["near"], names)
    # baselines first, then the user's order
    assert [m.name for m in methods] == ["pooled", "source_only", "toy_instance"]
    assert resolve_names("office_caltech", ["dslr:webcam"])[1] == ["dslr->webcam"]


def test_too_many_target_labels_leave_nothing_to_score(registry):
    with pytest.raises(ValueError, match="no target row left"):
        run_benchmark("toy", n_target_labels=1000, n_repeats=1)


def test_summary_and_outputs(registry, tmp_path):
    result = run_benchmark("toy", methods=["target_only", "pooled"], n_repeats=2)
    rows = {(r["pair"], r["method"]): r for r in result.summary()}
    per_repeat = [
        np.mean(
            [
                r["accuracy"]
                for r in result.records
                if r["method"] == "pooled" and r["repeat"] == k
            ]
        )
        for k in (0, 1)
    ]
    assert rows["mean", "pooled"]["accuracy_mean"] == pytest.approx(np.mean(per_repeat))
    assert rows["mean", "pooled"]["accuracy_std"] == pytest.approx(np.std(per_repeat))

    result.save(tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text())
    assert payload["config"]["dataset"] == "toy"
    assert len(payload["records"]) == 8
    result.save(tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0].startswith("dataset,pair,method") and len(lines) == 9


def test_progress_bar_goes_to_stderr_only_when_asked(registry, capsys):
    run_benchmark("toy", pairs=["near"], methods=["pooled"], n_repeats=2)
    assert capsys.readouterr().err == ""
    run_benchmark("toy", pairs=["near"], methods=["pooled"], n_repeats=2, progress=True)
    captured = capsys.readouterr()
    assert "2/2" in captured.err and captured.out == ""


class Warner(ClassifierMixin, BaseEstimator):
    """Predicts class 0; warns the same thing (twice) at every fit."""

    def fit(self, X, y, sample_domain=None):
        for _ in range(2):
            warnings.warn("the selector kept too few features", stacklevel=2)
        warnings.warn("hidden by default", DeprecationWarning, stacklevel=2)
        self.classes_ = np.unique(y[y >= 0])
        return self

    def predict(self, X):
        return np.zeros(X.shape[0], dtype=int)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_warnings_are_collected_once_with_their_count(registry, n_jobs):
    register_method("warner", lambda base, rs: Warner(), kind="other")
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        result = run_benchmark(
            "toy", methods=["pooled", "warner"], n_repeats=2, n_jobs=n_jobs
        )
    assert not [w for w in escaped if "selector" in str(w.message)]
    # one entry for 4 fits (2 pairs x 2 repeats), in workers too with n_jobs=2
    assert result.warnings() == [
        {
            "message": "UserWarning: the selector kept too few features",
            "count": 4,
            "variants": 1,
            "methods": ["warner"],
            "pairs": ["near", "far"],
        }
    ]
    notes = result.format_notes()
    assert notes.count("the selector kept too few features") == 1
    assert "in 4 fit(s): warner on near, far" in notes
    assert "variants" not in notes
    assert "hidden by default" not in notes


def test_warnings_that_differ_only_in_their_numbers_are_one():
    texts = {
        "a->b": "UserWarning: 54 of the 64 features shift (alpha=0.05)",
        "b->a": "UserWarning: 52 of the 64 features shift (alpha=0.05)",
        "c->a": "UserWarning: 52 of the 64 columns shift (alpha=0.05)",
    }
    records = [
        {
            "pair": p,
            "method": "m",
            "repeat": 0,
            "accuracy": 0.5,
            "fit_time": 0.1,
            "error": "",
            "warnings": [text],
        }
        for p, text in texts.items()
    ]
    found = BenchmarkResult(records, {}).warnings()
    assert [(e["message"], e["count"], e["variants"]) for e in found] == [
        (texts["a->b"], 2, 2),
        (texts["c->a"], 1, 1),
    ]
    notes = BenchmarkResult(records, {}).format_notes()
    assert notes.count("features shift") == 1
    assert "(2 variants of it, differing in their numbers)" in notes


def load_sparse_toy(pair, **kwargs):
    X, y, sample_domain = load_toy(pair, **kwargs)
    return sp.csr_matrix(np.abs(X)), y, sample_domain


def test_sparse_data_is_densified_for_dense_only_methods(registry, monkeypatch):
    register_dataset(
        DatasetSpec("sparse_toy", ("near",), load_sparse_toy, n_target_labels=2)
    )
    methods = ["pooled", "coral", "feature_augmentation"]
    result = run_benchmark("sparse_toy", methods=methods, n_repeats=1)
    assert result.errors() == []
    inputs = {r["method"]: r["input"] for r in result.records}
    # CORAL refuses sparse input: it alone gets the dense copy
    assert inputs == {
        "pooled": "",
        "coral": "sparse input densified",
        "feature_augmentation": "",
    }
    assert "coral" in result.format_notes().split("Dense input")[1]
    assert not math.isnan(result.mean_accuracy("coral"))

    # too large to densify: the cell is skipped with the reason, the rest runs
    monkeypatch.setattr(_runner, "MAX_DENSE_BYTES", 100)
    result = run_benchmark("sparse_toy", methods=methods, n_repeats=1)
    assert result.errors() == []
    [line] = result.skipped()
    assert line.startswith("coral on near: needs dense input") and "MiB" in line
    table = result.format_table()
    assert "skipped" in table and "failed" not in table
    assert not math.isnan(result.mean_accuracy("feature_augmentation"))


class LeakyPooled(ClassifierMixin, BaseEstimator):
    """Fits a plain classifier on every row, unlabeled ones included."""

    def fit(self, X, y, sample_domain=None):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_a_model_that_learns_the_marker_is_a_failed_fit(registry):
    register_method("leaky", lambda base, rs: LeakyPooled(), kind="other")
    result = run_benchmark("toy", pairs=["far"], methods=["leaky"], n_repeats=1)
    [error] = result.errors()
    assert "took the unlabeled marker -1 for a class" in error
    assert math.isnan(result.mean_accuracy("leaky"))


class RecordingLogisticRegression(LogisticRegression):
    """Logs the labels of every fit (its clones too)."""

    seen = []

    def fit(self, X, y, sample_weight=None):
        RecordingLogisticRegression.seen.append(np.unique(y).tolist())
        return super().fit(X, y, sample_weight=sample_weight)


# every built-in method that takes the base estimator; the TrAdaBoost variants
# share tradaboost's build (and its cost), so it stands for them
ADAPTING_METHODS = [
    name
    for name, spec in METHODS.items()
    if spec.kind not in ("deep", "other") and not name.startswith("tradaboost_")
]


@pytest.mark.parametrize("name", ADAPTING_METHODS)
def test_the_base_estimator_sees_labeled_rows_only(name):
    """Case 15: a user's plain estimator never learns the -1 marker."""
    X, y_true = make_blobs(90, n_features=3, centers=3, random_state=0)
    sample_domain = np.where(np.arange(90) < 45, 1, -1)
    X[sample_domain < 0] += 0.5
    y = y_true.copy()
    y[(sample_domain < 0) & (np.arange(90) % 5 != 0)] = -1
    RecordingLogisticRegression.seen = []
    model = METHODS[name].make(RecordingLogisticRegression(), random_state=0)
    model.fit(X, y, sample_domain=sample_domain)
    assert RecordingLogisticRegression.seen, f"{name} did not fit the base estimator"
    assert all(-1 not in labels for labels in RecordingLogisticRegression.seen)
    assert -1 not in np.asarray(model.classes_).tolist()
    assert -1 not in model.predict(X).tolist()


def _fake_result(n_pairs):
    from sktransfer.benchmark import BenchmarkResult

    rng = np.random.RandomState(0)
    records = [
        {
            "pair": f"domain{p}->domain{p + 1}",
            "method": method,
            "kind": "baseline" if method != "transfer" else "feature",
            "repeat": repeat,
            "accuracy": base + 0.01 * rng.rand(),
            "fit_time": 0.1,
            "error": "",
        }
        for p in range(n_pairs)
        for repeat in range(3)
        for method, base in (("source_only", 0.5), ("pooled", 0.7), ("transfer", 0.8))
    ]
    return BenchmarkResult(
        records,
        {"dataset": "toy", "n_target_labels": 3, "per_class": True, "n_repeats": 3},
    )


@pytest.mark.parametrize("n_pairs", [1, 12])
def test_table_fits_100_columns_and_marks_winners_and_gains(n_pairs):
    result = _fake_result(n_pairs)
    table = result.format_table()
    assert max(map(len, table.splitlines())) <= 100
    assert result.best_baseline() == "pooled"
    rows = [line for line in table.splitlines() if line.startswith("transfer")]
    assert "".join(rows).count("*") == n_pairs + 1  # every pair and the mean
    gain, low, high = result.gain("transfer", "pooled")
    assert 0.09 < gain < 0.11 and low < gain < high
    assert f"{gain:+.3f}" in table and "gain over pooled" in table
    if n_pairs == 12:  # the pairs are split into blocks, each with the methods
        assert table.count("method ") > 1


def test_results_stream_pair_by_pair(registry):
    seen = []
    result = run_benchmark(
        "toy",
        methods=["pooled"],
        n_repeats=1,
        on_pair_done=lambda pair, partial: seen.append((pair, len(partial.records))),
    )
    assert [pair for pair, _ in seen] == result.pairs
    assert [n for _, n in seen] == list(range(1, len(result.pairs) + 1))
