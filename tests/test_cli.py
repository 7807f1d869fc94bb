"""The ``sktransfer benchmark`` command line."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from sktransfer.benchmark import METHODS, register_method
from sktransfer.cli import main
from sktransfer.datasets import load_shifted_digits

BASELINES = ["source_only", "target_only", "pooled"]
BASELINE_ARG = [",".join(BASELINES)]
CELL = re.compile(r"(?<![+\-\d.])(\d\.\d{3})(?=[* ]|$)")


def parse_table(text):
    """``{pair: {method: mean}}`` from the printed table (methods as rows, pairs
    as columns, in one or more blocks; the last block adds the ``mean``)."""
    table = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("method "):
            continue
        header = line.split()[1:]
        pairs = header[: header.index("mean") + 1] if "mean" in header else header
        for row in lines[i + 2 :]:
            if not row.strip() or row.startswith("*"):
                break
            method = row.split()[0]
            cells = CELL.findall(row)
            for pair, value in zip(pairs, cells):
                table.setdefault(pair, {})[method] = float(value)
    return table


def run(capsys, *args):
    status = main(["benchmark", "--no-progress", *args])
    out = capsys.readouterr().out
    assert status == 0
    return out


def test_default_digits_table_is_sane(capsys):
    out = run(
        capsys, "--n-repeats", "1", "--pairs", "rotation", "--methods", *BASELINE_ARG
    )
    table = parse_table(out)
    assert set(table) == {"rotation", "mean"}
    accuracy = table["rotation"]
    assert set(accuracy) == set(BASELINES)
    assert all(0 <= value <= 1 for value in accuracy.values())
    # in-domain accuracy of the same kind of model, on source rows
    X, y, sample_domain = load_shifted_digits("rotation", random_state=0)
    source = sample_domain > 0
    in_domain = cross_val_score(
        LogisticRegression(max_iter=500), X[source] / 16, y[source], cv=3
    ).mean()
    assert in_domain > 0.9
    assert accuracy["source_only"] < in_domain - 0.2  # the shift hurts
    assert accuracy["target_only"] > 0.5  # 50 target labels go a long way
    assert accuracy["pooled"] > accuracy["source_only"] + 0.1


def test_registered_method_shows_up_in_the_table(capsys):
    class UpweightedPooled(ClassifierMixin, BaseEstimator):
        """Pooled logistic regression with labeled target rows weighted 20x."""

        def fit(self, X, y, sample_domain=None):
            labeled = (sample_domain > 0) | (y != -1)
            weight = np.where(sample_domain < 0, 20.0, 1.0)[labeled]
            self.model_ = LogisticRegression(max_iter=500)
            self.model_.fit(X[labeled], y[labeled], sample_weight=weight)
            self.classes_ = self.model_.classes_
            return self

        def predict(self, X):
            return self.model_.predict(X)

    register_method("upweighted", lambda base, rs: UpweightedPooled(), kind="instance")
    try:
        out = run(
            capsys,
            "--n-repeats",
            "1",
            "--pairs",
            "translation",
            "--methods",
            "upweighted,source_only",
        )
        listing = main(["benchmark", "--list"]) == 0 and capsys.readouterr().out
    finally:
        del METHODS["upweighted"]
    table = parse_table(out)
    assert list(table["translation"]) == ["source_only", "upweighted"]
    assert table["translation"]["upweighted"] > table["translation"]["source_only"]
    assert "upweighted" in listing and "[instance]" in listing


def test_list_names_every_dataset_and_method(capsys):
    assert main(["benchmark", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ["digits", "office_caltech", "amazon", "mnist_digits", "synthetic"]:
        assert f"  {name}:" in out
    for name in METHODS:
        assert name in out
    assert "books->kitchen" in out and "z-scored" in out


@pytest.mark.parametrize(
    "args, names",
    [
        (["--dataset", "imagenet"], ["digits", "office_caltech", "amazon"]),
        (["--methods", "pooled,magic"], BASELINES),
        (["--dataset", "amazon", "--pairs", "books->cars"], ["books->kitchen"]),
    ],
)
def test_unknown_names_exit_with_the_valid_names(capsys, args, names):
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "unknown" in err
    for name in names:
        assert name in err


def test_missing_data_exits_2_naming_the_environment_variable(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "benchmark",
                "--dataset",
                "office_caltech",
                "--data-home",
                str(tmp_path),
                "--n-repeats",
                "1",
                "--no-progress",
                "--no-download",  # tests stay offline
            ]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "SKTRANSFER_DATA" in err
    assert str(tmp_path) in err
    assert "leave out --no-download" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_output_file_parses(capsys, tmp_path, suffix):
    path = tmp_path / f"results{suffix}"
    run(
        capsys,
        "--dataset",
        "synthetic",
        "--pairs",
        "covariate,label",
        "--n-repeats",
        "2",
        "--methods",
        *BASELINE_ARG,
        "--output",
        str(path),
    )
    if suffix == ".json":
        payload = json.loads(path.read_text())
        records = payload["records"]
        assert payload["config"]["n_repeats"] == 2
        means = {(r["pair"], r["method"]) for r in payload["summary"]}
        assert ("mean", "pooled") in means
    else:
        with open(path, newline="") as file:
            records = list(csv.DictReader(file))
    assert len(records) == 2 * 2 * 3
    assert {r["method"] for r in records} == set(BASELINES)
    assert all(0 <= float(r["accuracy"]) <= 1 for r in records)


def test_python_dash_m_help():
    completed = subprocess.run(
        [sys.executable, "-m", "sktransfer", "benchmark", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    for flag in [
        "--dataset",
        "--pairs",
        "--methods",
        "--n-target-labels",
        "--n-repeats",
        "--random-state",
        "--no-progress",
        "--output",
        "--data-home",
        "--no-download",
        "--fail-fast",
        "SKTRANSFER_DATA",
    ]:
        assert flag in completed.stdout


def _data_home():
    home = os.environ.get("SKTRANSFER_DATA")
    if not home or not (Path(home) / "office_caltech_surf").is_dir():
        pytest.skip(
            "real data: set SKTRANSFER_DATA to a folder with office_caltech_surf"
        )
    return home


def test_office_caltech_one_pair(capsys):
    _data_home()
    out = run(
        capsys,
        "--dataset",
        "office_caltech",
        "--pairs",
        "dslr->webcam",
        "--n-repeats",
        "1",
        "--methods",
        *BASELINE_ARG,
    )
    accuracy = parse_table(out)["dslr->webcam"]
    # dslr and webcam are close domains: source-only is far above chance (0.1)
    assert accuracy["source_only"] > 0.6
    assert accuracy["pooled"] >= accuracy["source_only"] - 0.05
    assert 0.1 < accuracy["target_only"] < 1


def test_default_run_skips_slow_methods_and_all_runs_every_one():
    from sktransfer.benchmark import METHODS, resolve_names

    _, _, default = resolve_names("digits")
    _, _, every = resolve_names("digits", methods=["all"])
    assert {m.name for m in every} == set(METHODS)
    assert set(BASELINES) <= {m.name for m in default}
    assert {m.name for m in default} == {n for n, m in METHODS.items() if m.default}
    assert all(m.kind != "deep" for m in default)


def test_download_is_the_default_as_the_readme_says():
    """Case 17: the README and the CLI agree that missing data is downloaded."""
    from sktransfer.cli import _build_parser

    _, bench, _ = _build_parser()
    assert bench.parse_args([]).download is True
    assert bench.parse_args(["--no-download"]).download is False
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    main_job = readme.split("## Run the main job")[1].split("\n## ")[0]
    assert "downloaded" in main_job and "--no-download" in main_job


def test_a_failing_method_keeps_the_table_and_exits_1(capsys):
    """Case 14: one method's failure never loses the others' results."""

    @register_method("broken_cli")
    def build(base, random_state):
        raise RuntimeError("boom")

    try:
        status = main(
            [
                "benchmark",
                "--no-progress",
                "--dataset",
                "synthetic",
                "--pairs",
                "covariate",
                "--n-repeats",
                "1",
                "--methods",
                "pooled,broken_cli",
            ]
        )
    finally:
        del METHODS["broken_cli"]
    out = capsys.readouterr().out
    assert status == 1
    assert "covariate: done; best pooled" in out  # printed as the pair finished
    [row] = [line for line in out.splitlines() if line.startswith("broken_cli")]
    assert row.split()[1:3] == ["failed", "failed"]  # the pair, then the mean
    assert set(parse_table(out)["covariate"]) == {"pooled"}
    assert "broken_cli on covariate: RuntimeError: boom" in out.split("Failed fits:")[1]


def test_repeated_warnings_are_printed_once_after_the_table(capfd):
    """Case 10: the selector's warning, raised in joblib workers, shown once."""
    status = main(
        [
            "benchmark",
            "--no-progress",
            "--pairs",
            "rotation",
            "--methods",
            "invariant_features",
            "--n-repeats",
            "2",
            "--n-jobs",
            "2",
        ]
    )
    captured = capfd.readouterr()
    assert status == 0
    table, notes = captured.out.split("Warnings (")
    assert "rotation" in parse_table(table)
    assert notes.count("features shift significantly") == 1
    assert "in 2 fit(s): invariant_features on rotation" in notes
    assert "features shift significantly" not in captured.err


def test_list_and_import_register_lazily_without_torch():
    """Registry: nothing registered at import; --list does not import torch."""
    code = (
        "import sys\n"
        "import sktransfer.benchmark as b\n"
        "loaded = [m for m in sys.modules if m.startswith('sktransfer.benchmark._')]\n"
        "assert 'sktransfer.benchmark._methods' not in loaded, loaded\n"
        "assert 'sktransfer.benchmark._datasets' not in loaded, loaded\n"
        "assert 'pooled' in b.METHODS and 'digits' in b.DATASETS\n"
        "from sktransfer.cli import main\n"
        "main(['benchmark', '--list'])\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "dann" in completed.stdout


def test_ci_script_removes_its_venv_and_keeps_the_exit_status(tmp_path):
    """Case 17: .ci/run deletes its temporary venv on exit, status unchanged."""
    script = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    prologue = script.split("# -- end of prologue")[0]
    stub = tmp_path / "run"
    stub.write_text(
        prologue + 'echo "$workdir" > "$STUB_OUT"\ntouch "$workdir/venv-file"\nexit 3\n'
    )
    out = tmp_path / "workdir.txt"
    env = {**os.environ, "STUB_OUT": str(out), "TMPDIR": str(tmp_path)}
    completed = subprocess.run(["bash", str(stub)], env=env, timeout=60)
    assert completed.returncode == 3
    workdir = Path(out.read_text().strip())
    assert workdir.parent == tmp_path and not workdir.exists()
