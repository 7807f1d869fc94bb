"""load_domain_files: the user's own source and target files."""

import builtins
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file

from sktransfer import source_target_merge
from sktransfer.datasets import fetch_office_caltech, load_domain_files
from sktransfer.utils import check_sample_domain


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def csv_pair(tmp_path):
    source = write_csv(
        tmp_path / "src.csv",
        ["a", "b", "label"],
        [[1.0, 2.0, 2], [3.0, 4.0, 1], [5.0, 6.0, -1]],
    )
    # target columns in another order; one unlabeled row
    target = write_csv(
        tmp_path / "tgt.csv",
        ["label", "b", "a"],
        [[1, 20.0, 10.0], ["", 40.0, 30.0]],
    )
    return source, target


def match(text):
    return re.escape(str(text))


# --- one test per format ----------------------------------------------------


def test_csv(csv_pair):
    source, target = csv_pair
    bunch = load_domain_files(source, target, label="label")
    # the target's columns are reordered to the source's order
    np.testing.assert_array_equal(
        bunch.data, [[1, 2], [3, 4], [5, 6], [10, 20], [30, 40]]
    )
    assert bunch.data.dtype == np.float64
    # -1 on a source row is an ordinary class
    np.testing.assert_array_equal(bunch.target, [2, 1, -1, 1, -1])
    assert bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.sample_domain, [1, 1, 1, -1, -1])
    assert bunch.sample_domain.dtype == np.int64
    np.testing.assert_array_equal(bunch.feature_names, ["a", "b"])
    assert bunch.domain_names == {"src": 1, "tgt": -1}
    assert bunch.n_labeled_target == 1
    assert bunch.files == (str(source), str(target))
    check_sample_domain(bunch.sample_domain, bunch.data, bunch.target)


def test_csv_extension_case_and_float_labels(tmp_path):
    source = write_csv(tmp_path / "S.CSV", ["x", "y"], [[0.5, "1.0"], [1.5, "2.0"]])
    target = write_csv(tmp_path / "T.Csv", ["x", "y"], [[2.5, "2"]])
    bunch = load_domain_files(source, target, label="y")
    np.testing.assert_array_equal(bunch.target, [1, 2, 2])
    assert bunch.target.dtype == np.int64


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(
        pa.table({"f1": [1.0, 2.0], "f2": [3, 4], "cls": ["x", "y"]}),
        tmp_path / "s.parquet",
    )
    pq.write_table(
        pa.table({"f2": [5, 6], "f1": [7.0, 8.0], "cls": ["y", None]}),
        tmp_path / "t.PARQUET",
    )
    bunch = load_domain_files(
        tmp_path / "s.parquet", tmp_path / "t.PARQUET", label="cls"
    )
    np.testing.assert_array_equal(bunch.data, [[1, 3], [2, 4], [7, 5], [8, 6]])
    assert list(bunch.target) == ["x", "y", "y", -1]
    assert bunch.target.dtype == object
    assert bunch.n_labeled_target == 1
    np.testing.assert_array_equal(bunch.feature_names, ["f1", "f2"])


def test_parquet_mixed_with_csv_and_errors(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"f": [1.0, 2.0], "lab": [0, 1]}), tmp_path / "s.parquet")
    target = write_csv(tmp_path / "t.csv", ["f", "lab"], [[3.0, ""]])
    bunch = load_domain_files(tmp_path / "s.parquet", target, label="lab")
    np.testing.assert_array_equal(bunch.target, [0, 1, -1])
    # a null feature cell, a text feature column
    pq.write_table(
        pa.table({"f": [1.0, None], "lab": [0, 1]}), tmp_path / "null.parquet"
    )
    with pytest.raises(ValueError, match="column 'f' has 1 empty cell.*row 1"):
        load_domain_files(tmp_path / "null.parquet", target, label="lab")
    pq.write_table(
        pa.table({"f": ["1.0", "abc"], "lab": [0, 1]}), tmp_path / "text.parquet"
    )
    with pytest.raises(ValueError, match="'f' is not numeric: 'abc' at row 1"):
        load_domain_files(tmp_path / "text.parquet", target, label="lab")
    # a null source label
    pq.write_table(
        pa.table({"f": [1.0, 2.0], "lab": [0, None]}), tmp_path / "nolab.parquet"
    )
    with pytest.raises(ValueError, match="label column 'lab' is empty at row 1"):
        load_domain_files(tmp_path / "nolab.parquet", target, label="lab")


def test_parquet_without_pyarrow(tmp_path, monkeypatch):
    write_csv(tmp_path / "t.csv", ["f", "lab"], [[3.0, ""]])
    (tmp_path / "s.parquet").write_bytes(b"PAR1 not really")
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        load_domain_files(tmp_path / "s.parquet", tmp_path / "t.csv", label="lab")


def test_svmlight(tmp_path):
    rng = np.random.RandomState(0)
    Xs, ys = rng.rand(4, 5), np.array([0, 1, 2, 1])
    Xt, yt = rng.rand(3, 3), np.array([2, 0, 1])  # fewer features
    dump_svmlight_file(Xs, ys, str(tmp_path / "s.svm"))
    dump_svmlight_file(Xt, yt, str(tmp_path / "t.libsvm"))
    bunch = load_domain_files(tmp_path / "s.svm", tmp_path / "t.libsvm")
    assert sp.issparse(bunch.data) and bunch.data.format == "csr"
    assert bunch.data.shape == (7, 5)  # padded to the larger feature count
    np.testing.assert_allclose(bunch.data[:4].toarray(), Xs)
    np.testing.assert_allclose(bunch.data[4:, :3].toarray(), Xt)
    assert bunch.data[4:, 3:].nnz == 0
    np.testing.assert_array_equal(bunch.target, [0, 1, 2, 1, 2, 0, 1])
    assert bunch.target.dtype == np.int64
    assert bunch.feature_names is None
    assert bunch.n_labeled_target == 3
    # every target row unlabeled on request
    bunch = load_domain_files(
        tmp_path / "s.svm", tmp_path / "t.libsvm", target_labeled=False
    )
    np.testing.assert_array_equal(bunch.target[4:], [-1, -1, -1])
    assert bunch.n_labeled_target == 0


def test_svmlight_errors(tmp_path):
    dump_svmlight_file(np.eye(2), [0, 1], str(tmp_path / "s.txt"))
    dump_svmlight_file(np.eye(2), [-1, 1], str(tmp_path / "t.txt"))
    with pytest.raises(ValueError, match="t.txt.*is -1 at row 0.*Recode"):
        load_domain_files(tmp_path / "s.txt", tmp_path / "t.txt")
    with pytest.raises(ValueError, match="leave label=None"):
        load_domain_files(tmp_path / "s.txt", tmp_path / "t.txt", label="y")
    (tmp_path / "bad.svmlight").write_text("0 1:1\nnot a line\n")
    with pytest.raises(ValueError, match="source file .*bad.svmlight"):
        load_domain_files(tmp_path / "bad.svmlight", tmp_path / "t.txt")
    with pytest.raises(ValueError, match="same format"):
        load_domain_files(
            tmp_path / "s.txt", write_csv(tmp_path / "t.csv", ["f", "y"], [[1, 0]])
        )


def test_npz(tmp_path):
    Xs, ys = np.arange(6.0).reshape(3, 2), np.array([0, 1, 1])
    Xt, yt = np.ones((2, 2)), np.array([1, -1])  # -1: unlabeled (array contract)
    np.savez(tmp_path / "s.npz", X=Xs, y=ys)
    np.savez(tmp_path / "t.npz", data=Xt, target=yt)
    bunch = load_domain_files(tmp_path / "s.npz", tmp_path / "t.npz")
    np.testing.assert_array_equal(bunch.data, np.vstack([Xs, Xt]))
    np.testing.assert_array_equal(bunch.target, [0, 1, 1, 1, -1])
    assert bunch.n_labeled_target == 1
    assert bunch.feature_names is None
    # no y in the target file: every target row unlabeled
    np.savez(tmp_path / "u.npz", X=Xt)
    bunch = load_domain_files(tmp_path / "s.npz", tmp_path / "u.npz")
    np.testing.assert_array_equal(bunch.target, [0, 1, 1, -1, -1])
    assert bunch.n_labeled_target == 0


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "s.npz", X=np.ones((2, 2)), y=[0, 1])
    np.savez(tmp_path / "noy.npz", X=np.ones((2, 2)))
    np.savez(tmp_path / "t3.npz", X=np.ones((2, 3)))
    np.savez(tmp_path / "nox.npz", features=np.ones((2, 2)))
    np.savez(tmp_path / "nan.npz", X=[[np.nan, 1.0]])
    sp.save_npz(tmp_path / "sparse.npz", sp.csr_matrix(np.eye(2)))
    t = tmp_path / "noy.npz"
    with pytest.raises(ValueError, match="noy.npz.*no array 'y'"):
        load_domain_files(tmp_path / "noy.npz", t)
    with pytest.raises(ValueError, match="has 2 features .* has 3"):
        load_domain_files(tmp_path / "s.npz", tmp_path / "t3.npz")
    with pytest.raises(ValueError, match="nox.npz.*no array 'X'.*'features'"):
        load_domain_files(tmp_path / "s.npz", tmp_path / "nox.npz")
    with pytest.raises(ValueError, match="nan.npz.*nan or infinite"):
        load_domain_files(tmp_path / "s.npz", tmp_path / "nan.npz")
    with pytest.raises(ValueError, match="scipy.sparse"):
        load_domain_files(tmp_path / "s.npz", tmp_path / "sparse.npz")


# --- labels -----------------------------------------------------------------


def test_unlabeled_target_file(tmp_path):
    source = write_csv(tmp_path / "s.csv", ["f", "y"], [[1, 0], [2, 1]])
    target = write_csv(tmp_path / "t.csv", ["f", "y"], [[3, ""], [4, ""]])
    bunch = load_domain_files(source, target, label="y")
    np.testing.assert_array_equal(bunch.target, [0, 1, -1, -1])
    assert bunch.n_labeled_target == 0
    # a target file without the label column, with target_labeled=False
    bare = write_csv(tmp_path / "bare.csv", ["f"], [[3], [4]])
    bunch = load_domain_files(source, bare, label="y", target_labeled=False)
    np.testing.assert_array_equal(bunch.target, [0, 1, -1, -1])
    np.testing.assert_array_equal(bunch.data.ravel(), [1, 2, 3, 4])


def test_target_labeled_false_hides_labels(csv_pair):
    bunch = load_domain_files(*csv_pair, label="label", target_labeled=False)
    np.testing.assert_array_equal(bunch.target, [2, 1, -1, -1, -1])
    assert bunch.n_labeled_target == 0


def test_string_labels(tmp_path):
    source = write_csv(
        tmp_path / "s.csv", ["f", "animal"], [[1, "cat"], [2, "dog"], [3, "7"]]
    )
    target = write_csv(tmp_path / "t.csv", ["f", "animal"], [[4, "dog"], [5, " "]])
    bunch = load_domain_files(source, target, label="animal")
    assert bunch.target.dtype == object
    assert list(bunch.target) == ["cat", "dog", "7", "dog", -1]
    assert bunch.n_labeled_target == 1
    check_sample_domain(bunch.sample_domain, bunch.data, bunch.target)


def test_minus_one_on_a_labeled_target_row(tmp_path):
    source = write_csv(tmp_path / "s.csv", ["f", "y"], [[1, 0], [2, -1]])
    target = write_csv(tmp_path / "t.csv", ["f", "y"], [[3, 0], [4, -1]])
    with pytest.raises(ValueError, match="t.csv.*'y' is -1 at row 1 \\(line 3.*"):
        load_domain_files(source, target, label="y")
    # ignoring the target labels is a way out
    bunch = load_domain_files(source, target, label="y", target_labeled=False)
    np.testing.assert_array_equal(bunch.target, [0, -1, -1, -1])


def test_minus_one_source_class_next_to_0_to_k(tmp_path):
    # -1 next to the classes 0..K-1 with unlabeled target rows: the domain
    # contract would read it as unlabeled on a source row
    source = write_csv(tmp_path / "s.csv", ["f", "y"], [[1, 0], [2, 1], [3, -1]])
    target = write_csv(tmp_path / "t.csv", ["f", "y"], [[4, ""]])
    with pytest.raises(
        ValueError, match="s.csv and .*t.csv, label column 'y': y is -1"
    ):
        load_domain_files(source, target, label="y")


def test_minus_one_among_string_labels(tmp_path):
    source = write_csv(tmp_path / "s.csv", ["f", "y"], [[1, "cat"], [2, "-1"]])
    target = write_csv(tmp_path / "t.csv", ["f", "y"], [[3, ""]])
    with pytest.raises(ValueError, match="s.csv.*'-1' at row 1.*Recode"):
        load_domain_files(source, target, label="y")


def test_empty_source_label(tmp_path):
    source = write_csv(tmp_path / "s.csv", ["f", "y"], [[1, 0], [2, ""]])
    target = write_csv(tmp_path / "t.csv", ["f", "y"], [[3, 0]])
    with pytest.raises(
        ValueError, match="s.csv.*label column 'y' is empty at row 1 \\(line 3"
    ):
        load_domain_files(source, target, label="y")


# --- columns ----------------------------------------------------------------


def test_missing_label_column(tmp_path, csv_pair):
    source, target = csv_pair
    with pytest.raises(ValueError, match="src.csv.*no label column 'cls'.*'a', 'b'"):
        load_domain_files(source, target, label="cls")
    bare = write_csv(tmp_path / "bare.csv", ["a", "b"], [[1, 2]])
    with pytest.raises(
        ValueError, match="bare.csv.*no label column 'label'.*target_labeled=False"
    ):
        load_domain_files(source, bare, label="label")
    with pytest.raises(ValueError, match="label is required"):
        load_domain_files(source, target)


def test_non_numeric_feature(tmp_path, csv_pair):
    source, _ = csv_pair
    target = write_csv(
        tmp_path / "t.csv", ["a", "b", "label"], [[1, 2, 0], [3, "red", 1]]
    )
    with pytest.raises(
        ValueError,
        match="t.csv.*column 'b' is not numeric: 'red' at row 1 \\(line 3",
    ):
        load_domain_files(source, target, label="label")


@pytest.mark.parametrize("cell", ["", "nan", "inf"])
def test_empty_or_nan_feature(tmp_path, csv_pair, cell):
    source, _ = csv_pair
    target = write_csv(tmp_path / "t.csv", ["a", "b", "label"], [[1, cell, 0]])
    with pytest.raises(ValueError, match="t.csv.*column 'b' has 1 .*row 0"):
        load_domain_files(source, target, label="label")


def test_different_feature_columns(tmp_path, csv_pair):
    source, _ = csv_pair
    target = write_csv(tmp_path / "t.csv", ["a", "c", "label"], [[1, 2, 0]])
    with pytest.raises(
        ValueError, match="only in the source: \\['b'\\]; only in the target: \\['c'\\]"
    ):
        load_domain_files(source, target, label="label")


def test_malformed_csv(tmp_path, csv_pair):
    source, _ = csv_pair
    short = tmp_path / "short.csv"
    short.write_text("a,b,label\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match="short.csv.*line 3 has 2 cells"):
        load_domain_files(source, short, label="label")
    dup = write_csv(tmp_path / "dup.csv", ["a", "a", "label"], [[1, 2, 0]])
    with pytest.raises(ValueError, match="dup.csv.*'a' appears more than once"):
        load_domain_files(source, dup, label="label")


# --- files ------------------------------------------------------------------


def test_missing_file_and_unknown_extension(tmp_path, csv_pair):
    source, _ = csv_pair
    with pytest.raises(FileNotFoundError, match=match(tmp_path / "nope.csv")):
        load_domain_files(source, tmp_path / "nope.csv", label="label")
    with pytest.raises(ValueError, match="'.xlsx'.*\\.csv, \\.parquet, \\.svm"):
        load_domain_files(source, tmp_path / "t.xlsx", label="label")
    with pytest.raises(TypeError, match="must be a path"):
        load_domain_files(source, 3, label="label")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ValueError, match="dir.csv' is not a file"):
        load_domain_files(source, tmp_path / "dir.csv", label="label")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("\n\n", "is empty \\(no header row\\)"),
        ("a,label\n", "header row but no data rows"),
    ],
)
def test_empty_file(tmp_path, csv_pair, text, message):
    source, _ = csv_pair
    (tmp_path / "e.csv").write_text(text)
    with pytest.raises(ValueError, match=f"e.csv.*{message}"):
        load_domain_files(source, tmp_path / "e.csv", label="label")


def test_argument_errors(tmp_path, csv_pair):
    source, target = csv_pair
    with pytest.raises(ValueError, match="not both"):
        load_domain_files(source, data=target, label="label", domain_column="a")
    with pytest.raises(ValueError, match="domain_column is required"):
        load_domain_files(data=source, label="label")
    with pytest.raises(ValueError, match="target_domain is required"):
        load_domain_files(data=source, label="label", domain_column="a")
    with pytest.raises(ValueError, match="apply to one data file"):
        load_domain_files(source, target, label="label", domain_column="a")
    with pytest.raises(ValueError, match="both a source and a target"):
        load_domain_files(source, label="label")


# --- one file with a domain column ------------------------------------------


def test_domain_column(tmp_path):
    data = write_csv(
        tmp_path / "all.csv",
        ["f1", "site", "f2", "y"],
        [
            [1, "b", 2, 3],
            [3, "tgt", 4, ""],
            [5, "a", 6, 1],
            [7, "tgt", 8, 2],
            [9, "b", 10, -1],
        ],
    )
    bunch = load_domain_files(
        data=data, label="y", domain_column="site", target_domain="tgt"
    )
    np.testing.assert_array_equal(bunch.data, [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
    np.testing.assert_array_equal(bunch.sample_domain, [1, -1, 2, -1, 1])
    np.testing.assert_array_equal(bunch.target, [3, -1, 1, 2, -1])
    assert bunch.domain_names == {"b": 1, "a": 2, "tgt": -1}
    np.testing.assert_array_equal(bunch.feature_names, ["f1", "f2"])
    assert bunch.n_labeled_target == 1
    assert bunch.files == (str(data),)
    bunch = load_domain_files(
        data=data,
        label="y",
        domain_column="site",
        target_domain="tgt",
        target_labeled=False,
    )
    assert bunch.n_labeled_target == 0


def test_domain_column_errors(tmp_path):
    data = write_csv(
        tmp_path / "all.csv", ["f", "site", "y"], [[1, 1, 0], [2, 2, ""], [3, "", 1]]
    )
    kwargs = dict(data=data, label="y", domain_column="site")
    with pytest.raises(ValueError, match="'site' is empty at row 2"):
        load_domain_files(**kwargs, target_domain=2)
    data = write_csv(tmp_path / "ok.csv", ["f", "site", "y"], [[1, 1, 0], [2, 2, ""]])
    kwargs["data"] = data
    # a number is compared by its text
    bunch = load_domain_files(**kwargs, target_domain=2)
    assert bunch.domain_names == {"1": 1, "2": -1}
    with pytest.raises(ValueError, match="target_domain=3 .*values are \\['1', '2'\\]"):
        load_domain_files(**kwargs, target_domain=3)
    with pytest.raises(ValueError, match="no domain column 'place'"):
        load_domain_files(data=data, label="y", domain_column="place", target_domain=2)
    with pytest.raises(ValueError, match="same column"):
        load_domain_files(data=data, label="y", domain_column="y", target_domain=2)
    only_target = write_csv(tmp_path / "t.csv", ["f", "site", "y"], [[1, 2, 0]])
    with pytest.raises(ValueError, match="no source rows"):
        load_domain_files(
            data=only_target, label="y", domain_column="site", target_domain=2
        )
    no_label = write_csv(
        tmp_path / "n.csv", ["f", "site", "y"], [[1, 1, ""], [2, 2, 0]]
    )
    with pytest.raises(ValueError, match="'y' is empty at row 0"):
        load_domain_files(
            data=no_label, label="y", domain_column="site", target_domain=2
        )


# --- against the array helpers and real data --------------------------------


def test_round_trip_with_source_target_merge(tmp_path):
    rng = np.random.RandomState(42)
    Xs, ys = rng.randn(20, 4), rng.randint(0, 3, 20)
    Xt, yt = rng.randn(10, 4), rng.randint(0, 3, 10)
    yt[::3] = -1  # unlabeled target rows
    names = [f"f{j}" for j in range(4)]
    write_csv(
        tmp_path / "s.csv",
        names + ["y"],
        [[repr(float(v)) for v in x] + [c] for x, c in zip(Xs, ys)],
    )
    write_csv(
        tmp_path / "t.csv",
        names + ["y"],
        [[repr(float(v)) for v in x] + ["" if c == -1 else c] for x, c in zip(Xt, yt)],
    )
    bunch = load_domain_files(tmp_path / "s.csv", tmp_path / "t.csv", label="y")
    X, y, sample_domain = source_target_merge(Xs, ys, Xt, yt)
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    np.testing.assert_array_equal(bunch.sample_domain, sample_domain)
    assert bunch.n_labeled_target == int((yt != -1).sum())


def test_office_caltech_csv(tmp_path, shared_data_home):
    if not Path(shared_data_home, "office_caltech_surf").is_dir():
        pytest.skip("office_caltech_surf is missing from SKTRANSFER_DATA")
    office = fetch_office_caltech(
        source="amazon",
        target="webcam",
        data_home=shared_data_home,
        download_if_missing=False,
    )
    rows = np.concatenate(
        [np.flatnonzero(office.sample_domain == d)[:50] for d in (1, -1)]
    )
    X, y, sd = office.data[rows], office.target[rows], office.sample_domain[rows]
    names = [f"surf{j}" for j in range(X.shape[1])]
    for name, domain in (("amazon", 1), ("webcam", -1)):
        mask = sd == domain
        write_csv(
            tmp_path / f"{name}.csv",
            names + ["class"],
            [[repr(float(v)) for v in x] + [c] for x, c in zip(X[mask], y[mask])],
        )
    bunch = load_domain_files(
        tmp_path / "amazon.csv", tmp_path / "webcam.csv", label="class"
    )
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    np.testing.assert_array_equal(bunch.sample_domain, sd)
    assert bunch.domain_names == {"amazon": 1, "webcam": -1}
    assert bunch.n_labeled_target == 50
    assert bunch.feature_names.shape == (800,)
