"""``sktransfer select``: the main job on the user's own files."""

import csv
import shutil
import subprocess

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from sktransfer.cli import main
from sktransfer.datasets import make_domain_shift
from sktransfer.utils import load

QUICK = ["--methods", "feature_augmentation", "--cv", "3", "--n-repeats", "1"]
QUICK += ["--n-jobs", "1", "--no-progress"]


def _domains(n_labeled=12, seed=0):
    X, y, sample_domain = make_domain_shift(
        80, 80, shift="covariate", severity=0.8, n_features=3, random_state=seed
    )
    source, target = sample_domain > 0, sample_domain < 0
    labeled = np.zeros(target.sum(), dtype=bool)
    labeled[:n_labeled] = True
    return X[source], y[source], X[target], y[target], labeled


def _write_csv(path, X, y, labeled=None, columns=None, label="label"):
    columns = columns or [f"x{j}" for j in range(X.shape[1])]
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*columns, label])
        for i, row in enumerate(X):
            shown = "" if labeled is not None and not labeled[i] else str(int(y[i]))
            writer.writerow([*map(repr, row.tolist()), shown])
    return str(path)


def _select(capsys, *args, status=0):
    code = main(["select", *args, *QUICK])
    out = capsys.readouterr().out
    assert code == status
    return out


def _check_answer(out, n_target, n_labeled):
    assert f"target: {n_target} rows, {n_labeled} labeled" in out
    assert "The shift: " in out and "proxy A-distance" in out
    for name in ("source_only", "target_only", "pooled", "feature_augmentation"):
        assert name in out
    assert out.count("* ") == 1  # the winner is marked
    assert "verdict: use " in out


def test_csv_with_a_partly_labeled_target(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys)
    target = _write_csv(tmp_path / "target.csv", Xt, yt, labeled)
    out = _select(capsys, "--source", source, "--target", target, "--label", "label")
    _check_answer(out, len(Xt), int(labeled.sum()))
    assert "criterion target_cv" in out


def test_unlabeled_target_file(capsys, tmp_path):
    Xs, ys, Xt, yt, _ = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys)
    target = _write_csv(tmp_path / "target.csv", Xt, yt, np.zeros(len(Xt), bool))
    out = _select(capsys, "--source", source, "--target", target, "--label", "label")
    assert "target: 80 rows, 0 labeled" in out
    assert "InformationMaximizationScorer" in out
    assert "target_only" not in out.split("The shift")[1].split("verdict")[0]


def test_one_file_with_a_domain_column(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    path = tmp_path / "all.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["a", "b", "c", "label", "site"])
        for row, label in zip(Xs, ys):
            writer.writerow([*row.tolist(), int(label), "old"])
        for row, label, known in zip(Xt, yt, labeled):
            writer.writerow([*row.tolist(), int(label) if known else "", "new"])
    out = _select(
        capsys,
        "--data",
        str(path),
        "--label",
        "label",
        "--domain-column",
        "site",
        "--target-domain",
        "new",
    )
    _check_answer(out, len(Xt), int(labeled.sum()))


def test_svmlight_files(capsys, tmp_path):
    Xs, ys, Xt, yt, _ = _domains()
    dump_svmlight_file(Xs, ys, str(tmp_path / "source.svm"))
    dump_svmlight_file(Xt, yt, str(tmp_path / "target.svm"))
    args = ["--source", str(tmp_path / "source.svm")]
    out = _select(capsys, *args, "--target", str(tmp_path / "target.svm"))
    _check_answer(out, len(Xt), len(Xt))
    out = _select(
        capsys, *args, "--target", str(tmp_path / "target.svm"), "--unlabeled-target"
    )
    assert "target: 80 rows, 0 labeled" in out


def test_npz_files(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    np.savez(tmp_path / "source.npz", X=Xs, y=ys)
    np.savez(tmp_path / "target.npz", X=Xt, y=np.where(labeled, yt, -1))
    out = _select(
        capsys,
        "--source",
        str(tmp_path / "source.npz"),
        "--target",
        str(tmp_path / "target.npz"),
    )
    _check_answer(out, len(Xt), int(labeled.sum()))


def test_parquet_files(capsys, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    Xs, ys, Xt, yt, labeled = _domains()
    for name, X, y in (("source", Xs, ys), ("target", Xt, np.where(labeled, yt, -1))):
        columns = {f"x{j}": X[:, j] for j in range(X.shape[1])}
        columns["label"] = pa.array([int(v) if v != -1 else None for v in y])
        pq.write_table(pa.table(columns), tmp_path / f"{name}.parquet")
    out = _select(
        capsys,
        "--source",
        str(tmp_path / "source.parquet"),
        "--target",
        str(tmp_path / "target.parquet"),
        "--label",
        "label",
    )
    _check_answer(out, len(Xt), int(labeled.sum()))


def _error(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(["select", *args, *QUICK])
    assert info.value.code == 2
    return capsys.readouterr().err


def test_non_numeric_column_is_named(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys)
    lines = open(source).read().splitlines()
    lines[3] = "red," + lines[3].split(",", 1)[1]
    (tmp_path / "source.csv").write_text("\n".join(lines) + "\n")
    target = _write_csv(tmp_path / "target.csv", Xt, yt, labeled)
    err = _error(capsys, "--source", source, "--target", target, "--label", "label")
    assert "x0" in err and "red" in err and "source.csv" in err


def test_label_column_missing_from_one_file(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys)
    target = _write_csv(tmp_path / "target.csv", Xt, yt, labeled, label="y")
    err = _error(capsys, "--source", source, "--target", target, "--label", "label")
    assert "label" in err and "target.csv" in err


def test_mismatched_feature_columns_are_named(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys, columns=["a", "b", "c"])
    target = _write_csv(
        tmp_path / "target.csv", Xt, yt, labeled, columns=["a", "b", "d"]
    )
    err = _error(capsys, "--source", source, "--target", target, "--label", "label")
    assert "'c'" in err and "'d'" in err


def test_saved_model_loads_and_predicts(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys)
    target = _write_csv(tmp_path / "target.csv", Xt, yt, labeled)
    model_path = tmp_path / "model.skops"
    out = _select(
        capsys,
        "--source",
        source,
        "--target",
        target,
        "--label",
        "label",
        "--save-model",
        str(model_path),
    )
    assert f"sktransfer.utils.load('{model_path}')" in out
    model = load(model_path)
    predictions = model.predict(Xt)
    assert predictions.shape == (len(Xt),)
    assert set(predictions) <= {0, 1}
    assert model.score(Xt[~labeled], yt[~labeled]) > 0.6


_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_CHROMIUM is None, reason="needs Debian's chromium package")
def test_html_report_renders_its_plots_in_a_browser(capsys, tmp_path):
    Xs, ys, Xt, yt, labeled = _domains()
    source = _write_csv(tmp_path / "source.csv", Xs, ys)
    target = _write_csv(tmp_path / "target.csv", Xt, yt, labeled)
    report = tmp_path / "report.html"
    _select(
        capsys,
        "--source",
        source,
        "--target",
        target,
        "--label",
        "label",
        "--report",
        str(report),
    )
    page = report.read_text()
    assert "verdict: use" in page and "http" not in page.split("<body>")[1]
    dom = subprocess.run(
        [
            _CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # the page's own script counts the images the browser decoded
    assert 'data-plots-shown="3"' in dom
