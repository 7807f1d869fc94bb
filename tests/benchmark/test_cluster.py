"""The benchmark on a Dask cluster, its output file, resuming and fit timeouts.

The cluster tests run against a ``LocalCluster`` of two worker processes
started here; they skip without the ``distributed`` package.
"""

import json
import math
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sktransfer.benchmark import BenchmarkResult, run_benchmark
from sktransfer.cli import main

RUN = {
    "dataset": "digits",
    "pairs": ["blur", "rotation"],
    "methods": ["source_only", "target_only", "pooled"],
    "n_repeats": 2,
    "random_state": 0,
}
TIMES = ("fit_time", "predict_time")


def _cells(result):
    """The records without their timings, which differ from run to run."""
    return [{k: v for k, v in r.items() if k not in TIMES} for r in result.records]


@pytest.fixture(scope="module")
def local_result():
    return run_benchmark(**RUN)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_cluster_table_equals_local_run(client, local_result):
    result = run_benchmark(**RUN, scheduler=client)
    assert _cells(result) == _cells(local_result)
    assert (
        result.format_table().splitlines()[:3]
        == (local_result.format_table().splitlines()[:3])
    )
    assert len(result.records) == 2 * 2 * 3
    assert all(not math.isnan(r["fit_time"]) for r in result.records)


def test_killed_worker_costs_only_its_tasks(client, local_result):
    """SIGKILL a worker while it fits: Dask reruns its tasks elsewhere."""
    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            running = [
                w
                for w in busy
                if any("sktransfer-benchmark" in str(t) for t in client.processing()[w])
            ]
            if running:
                os.kill(pids[running[0]], signal.SIGKILL)
                killed.append(running[0])
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    killer.start()
    result = run_benchmark(**RUN, scheduler=client)
    killer.join()
    assert killed, "no worker was killed during the run"
    assert _cells(result) == _cells(local_result)
    client.wait_for_workers(2, timeout=120)  # the nanny restarts it


def test_failing_fit_is_reported_per_cell_on_the_cluster(client):
    result = run_benchmark(
        "digits",
        pairs=["blur"],
        methods=["source_only", "pooled"],
        n_repeats=1,
        base_estimator=LogisticRegression(C=-1.0),
        scheduler=client,
    )
    assert len(result.records) == 2
    assert all("'C' parameter" in r["error"] for r in result.records)
    assert "failed" in result.format_table()


def test_interrupted_cluster_run_resumes_from_output(client, local_result, tmp_path):
    output = tmp_path / "results.json"

    def interrupt(pair, partial):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_benchmark(**RUN, scheduler=client, output=output, on_pair_done=interrupt)
    saved = BenchmarkResult.load(output)
    done = {(r["pair"], r["repeat"], r["method"]): r["fit_time"] for r in saved.records}
    assert 6 <= len(done) < 12  # the first pair at least, not every cell

    result = run_benchmark(**RUN, scheduler=client, output=output)
    assert _cells(result) == _cells(local_result)
    kept = {
        (r["pair"], r["repeat"], r["method"]): r["fit_time"] for r in result.records
    }
    assert all(kept[cell] == fit_time for cell, fit_time in done.items())
    assert _cells(BenchmarkResult.load(output)) == _cells(local_result)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_local_run_resumes_and_keeps_other_cells(tmp_path, local_result, suffix):
    output = tmp_path / f"results{suffix}"
    calls = []

    def interrupt(pair, partial):
        calls.append(pair)
        if calls == ["blur"]:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_benchmark(**RUN, output=output, on_pair_done=interrupt)
    assert {r["pair"] for r in BenchmarkResult.load(output).records} == {"blur"}

    # a narrower rerun: blur comes from the file, rotation is fitted
    narrower = {**RUN, "methods": ["source_only", "pooled"]}
    result = run_benchmark(**narrower, output=output, on_pair_done=interrupt)
    assert calls == ["blur", "blur", "rotation"]
    expected = [r for r in _cells(local_result) if r["method"] != "target_only"]
    assert _cells(result) == expected
    # target_only's cells of blur stay in the file
    on_file = BenchmarkResult.load(output)
    assert len(on_file.records) == 3 * 2 + 2 * 2
    assert {r["method"] for r in on_file.records if r["pair"] == "blur"} == set(
        RUN["methods"]
    )


def test_resume_refuses_a_file_of_another_run(tmp_path):
    output = tmp_path / "results.json"
    run = {**RUN, "pairs": ["blur"], "methods": ["source_only"], "n_repeats": 1}
    run_benchmark(**run, output=output)
    with pytest.raises(ValueError, match="random_state=0, not 1"):
        run_benchmark(**{**run, "random_state": 1}, output=output)
    with pytest.raises(ValueError, match="n_target_labels"):
        run_benchmark(**run, n_target_labels=2, output=output)
    garbage = tmp_path / "notes.json"
    garbage.write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not the output of a benchmark run"):
        run_benchmark(**run, output=garbage)


def test_fit_timeout_marks_runaway_cells(tmp_path):
    output = tmp_path / "results.csv"
    result = run_benchmark(
        "digits",
        pairs=["blur"],
        methods=["source_only", "pooled"],
        n_repeats=1,
        fit_timeout=1e-4,
        output=output,
    )
    assert all(r.get("timed_out") for r in result.records)
    assert all(r["error"] == "timed out after 0.0001 s" for r in result.records)
    assert result.format_table().count("timeout") >= 2
    assert [r.get("timed_out") for r in BenchmarkResult.load(output).records] == [
        True,
        True,
    ]
    # a generous limit changes nothing; the watchdog leaves no exception behind
    result = run_benchmark(
        "digits", pairs=["blur"], methods=["source_only"], n_repeats=1, fit_timeout=60
    )
    assert not result.records[0].get("timed_out") and not result.errors()
    time.sleep(0.05)


def test_fit_timeout_on_the_cluster(client):
    result = run_benchmark(
        "digits",
        pairs=["blur"],
        methods=["source_only"],
        n_repeats=1,
        fit_timeout=1e-4,
        scheduler=client,
    )
    assert result.records[0]["timed_out"]


def test_cli_scheduler_and_output(tmp_path, capsys, local_result):
    pytest.importorskip("distributed")
    output = tmp_path / "results.json"
    args = ["benchmark", "--pairs", "blur,rotation", "--n-repeats", "2"]
    args += ["--methods", ",".join(RUN["methods"]), "--no-progress"]
    assert main([*args, "--scheduler", "local:2", "--output", str(output)]) == 0
    saved = json.loads(output.read_text())
    assert len(saved["records"]) == 12
    assert _cells(BenchmarkResult.load(output)) == _cells(local_result)
    assert "Results written to" in capsys.readouterr().out


def test_scheduler_without_distributed_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"sktransfer\[distributed\]"):
        run_benchmark("digits", pairs=["blur"], scheduler="local:2")
    with pytest.raises(SystemExit) as exit_info:
        main(["benchmark", "--pairs", "blur", "--scheduler", "local:2"])
    assert exit_info.value.code == 2
    assert "pip install 'sktransfer[distributed]'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        ({"scheduler": "local:0"}, "N >= 1"),
        ({"scheduler": "local:2", "n_jobs": 2}, "n_jobs and scheduler"),
        ({"scheduler": 3}, "scheduler must be an address"),
        ({"fit_timeout": -1}, "fit_timeout must be a positive"),
    ],
)
def test_bad_cluster_options(options, message):
    if "scheduler" in options:
        pytest.importorskip("distributed")
    error = TypeError if options.get("scheduler") == 3 else ValueError
    with pytest.raises(error, match=message):
        run_benchmark("digits", pairs=["blur"], **options)


def test_import_sktransfer_imports_neither_dask_nor_torch():
    import subprocess

    code = (
        "import sys, sktransfer, sktransfer.benchmark, sktransfer.cli\n"
        "bad = [m for m in ('distributed', 'dask', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


def test_results_round_trip_through_csv(tmp_path, local_result):
    path = tmp_path / "results.csv"
    local_result.save(path)
    loaded = BenchmarkResult.load(path)
    assert _cells(loaded) == _cells(local_result)
    assert np.allclose(
        [r["fit_time"] for r in loaded.records],
        [r["fit_time"] for r in local_result.records],
    )
