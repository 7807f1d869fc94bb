"""Read the user's own source and target files into ``X, y, sample_domain``.

Formats are chosen by the file extension (case-insensitive):

* ``.csv``: a header row, one column per feature plus the label column,
  read with Python's :mod:`csv` module;
* ``.parquet``: read with pyarrow, imported only when such a file is read;
* ``.svm``, ``.svmlight``, ``.libsvm``, ``.txt``: svmlight / libsvm text,
  read with :func:`sklearn.datasets.load_svmlight_files` into a CSR matrix;
* ``.npz``: numpy arrays ``X`` and ``y`` (or ``data`` and ``target``).
"""

import csv
import numbers
import os
from pathlib import Path

import numpy as np
from sklearn.datasets import load_svmlight_files
from sklearn.utils import Bunch

from .._domain import UNLABELED, _unlabeled_rows, check_sample_domain

__all__ = ["load_domain_files"]

_TABULAR = {".csv": "csv", ".parquet": "parquet"}
_SVMLIGHT = (".svm", ".svmlight", ".libsvm", ".txt")
_FORMATS = {
    **_TABULAR,
    **dict.fromkeys(_SVMLIGHT, "svmlight"),
    ".npz": "npz",
}
_SUPPORTED = ", ".join(_FORMATS)


# --- paths and formats ------------------------------------------------------


def _check_path(path, what):
    """Return ``(path as str, format)`` or raise for a missing or unknown file."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{what} must be a path (str or path-like), got {path!r}.")
    path = os.fspath(path)
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"Cannot read {what} file {path!r}: unknown extension "
            f"{suffix or '(none)'!r}; supported extensions are {_SUPPORTED} "
            "(case-insensitive)."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what.capitalize()} file not found: {path!r}.")
    if not os.path.isfile(path):
        raise ValueError(f"{what.capitalize()} path {path!r} is not a file.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{what.capitalize()} file {path!r} is empty.")
    return path, _FORMATS[suffix]


# --- tables (CSV, Parquet): a dict column name -> list of cells -------------


class _Table:
    """The columns of one CSV or Parquet file.

    ``columns`` lists the names in file order; ``cells(name)`` returns the
    column as a 1-d array (str cells for CSV, where ``""`` is empty; Python
    values for Parquet, where ``None`` is empty); ``where(i)`` says where data
    row ``i`` is in the file, for error messages.
    """

    def __init__(self, path, columns, get, where, floats=None):
        self.path = path
        self.columns = columns
        self._get = get
        self._where = where
        self._floats = floats or {}

    def cells(self, name):
        return self._get(name)

    def where(self, i):
        return self._where(i)

    def floats(self, name):
        """The column as float64, or ``None`` when it is not stored as numbers."""
        return self._floats.get(name, lambda: None)()


def _read_csv(path, what):
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = None
        rows, lines = [], []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if header is None:
                header = [name.strip() for name in row]
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{what.capitalize()} file {path!r}: line {reader.line_num} has "
                    f"{len(row)} cells but the header has {len(header)} columns."
                )
            rows.append(row)
            lines.append(reader.line_num)
    if header is None:
        raise ValueError(f"{what.capitalize()} file {path!r} is empty (no header row).")
    _check_header(header, path, what)
    if not rows:
        raise ValueError(
            f"{what.capitalize()} file {path!r} has a header row but no data rows."
        )
    cells = np.array(rows, dtype=str)
    index = {name: j for j, name in enumerate(header)}
    return _Table(
        path,
        header,
        lambda name: np.char.strip(cells[:, index[name]]),
        lambda i: f"row {i} (line {lines[i]} of the file)",
    )


def _check_header(header, path, what):
    seen = set()
    for name in header:
        if not name:
            raise ValueError(
                f"{what.capitalize()} file {path!r}: the header row has an empty "
                "column name."
            )
        if name in seen:
            raise ValueError(
                f"{what.capitalize()} file {path!r}: column {name!r} appears more "
                "than once in the header row."
            )
        seen.add(name)


def _import_pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "Reading Parquet files needs pyarrow, which is not installed: "
            "pip install pyarrow (or pip install sktransfer[parquet])"
        ) from exc
    return pq


def _read_parquet(path, what):
    pq = _import_pyarrow_parquet()
    import pyarrow as pa

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"Cannot read {what} file {path!r} as Parquet: {exc}") from exc
    header = [str(name) for name in table.column_names]
    _check_header(header, path, what)
    if table.num_rows == 0:
        raise ValueError(f"{what.capitalize()} file {path!r} has no data rows.")

    def get(name):
        return np.array(table.column(name).to_pylist(), dtype=object)

    def numeric(name):
        column = table.column(name)
        kind = column.type
        if column.null_count or not (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
        ):
            return None
        return lambda: np.asarray(
            column.to_numpy(zero_copy_only=False), dtype=np.float64
        )

    floats = {name: f for name in header if (f := numeric(name)) is not None}
    return _Table(path, header, get, lambda i: f"row {i}", floats)


def _read_table(path, fmt, what):
    return (_read_csv if fmt == "csv" else _read_parquet)(path, what)


def _is_empty(value):
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return value is None


def _feature_column(table, name, what):
    """One feature column as float64, refusing text, empty cells and nan."""
    values = table.floats(name)
    if values is None:
        cells = table.cells(name)

        def refuse_empty(empty):
            i = int(np.flatnonzero(empty)[0])
            raise ValueError(
                f"{what.capitalize()} file {table.path!r}: feature column "
                f"{name!r} has {int(empty.sum())} empty cell(s) (first: "
                f"{table.where(i)}); missing values are not allowed: fill "
                "or drop them first."
            )

        if cells.dtype == object:  # Parquet: numpy would turn None into nan
            empty = np.array([_is_empty(v) for v in cells], dtype=bool)
            if empty.any():
                refuse_empty(empty)
        try:
            values = np.asarray(cells, dtype=np.float64)
        except (TypeError, ValueError):
            empty = np.array([_is_empty(v) for v in cells], dtype=bool)
            if empty.any():
                refuse_empty(empty)
            for i, value in enumerate(cells):
                try:
                    float(value)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"{what.capitalize()} file {table.path!r}: feature column "
                        f"{name!r} is not numeric: {str(value)!r} at {table.where(i)} "
                        "does not parse as a number. Drop or encode that column."
                    ) from None
            raise
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{what.capitalize()} file {table.path!r}: feature column {name!r} has "
            f"{int(bad.sum())} nan or infinite value(s) (first: {table.where(i)}); "
            "missing values are not allowed: fill or drop them first."
        )
    return values


def _features(table, names, what):
    return np.column_stack([_feature_column(table, name, what) for name in names])


def _check_column(table, name, what, role, hint=""):
    if name not in table.columns:
        raise ValueError(
            f"{what.capitalize()} file {table.path!r} has no {role} column "
            f"{name!r}; its columns are {table.columns}.{hint}"
        )


# --- labels -----------------------------------------------------------------


def _as_int(value):
    """``value`` as an int when it is an integer (``3``, ``"3"``, ``"3.0"``)."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _encode_labels(parts):
    """Labels of every part, as int64 when all are integers, else as strings.

    ``parts`` is a list of 1-d object arrays, ``None`` on unlabeled rows.
    Returns one array per part, with ``UNLABELED`` on unlabeled rows.
    """
    labeled = [v for part in parts for v in part if v is not None]
    ints = [_as_int(v) for v in labeled]
    numeric = all(i is not None for i in ints)
    out = []
    for part in parts:
        if numeric:
            y = np.full(part.size, UNLABELED, dtype=np.int64)
            mask = np.array([v is not None for v in part], dtype=bool)
            y[mask] = [_as_int(v) for v in part[mask]]
        else:
            y = np.array(
                [UNLABELED if v is None else _text(v) for v in part], dtype=object
            )
        out.append(y)
    return out


def _label_cells(table, name):
    """The label column as an object array with ``None`` on empty cells."""
    cells = table.cells(name)
    return np.array([None if _is_empty(v) else v for v in cells], dtype=object)


def _check_source_labels(labels, where, path, label_name):
    missing = np.flatnonzero([v is None for v in labels])
    if missing.size:
        raise ValueError(
            f"Source file {path!r}: label column {label_name!r} is empty at "
            f"{where(int(missing[0]))} ({missing.size} row(s) in all); every source "
            "row needs a label. Drop those rows, or move them to the target file."
        )


def _check_encoded(y_source, y_target, target_rows, where, paths, label_name):
    """Refuse a ``-1`` that would read as the unlabeled marker.

    ``target_rows`` marks the target rows that carried a label in the file.
    """
    column = f"label column {label_name!r}" if label_name else "labels"
    marker_target = _unlabeled_rows(y_target, regression=False) & target_rows
    if marker_target.any():
        i = int(np.flatnonzero(marker_target)[0])
        raise ValueError(
            f"Target file {paths[1]!r}: {column} is {UNLABELED} at {where[1](i)} "
            f"({int(marker_target.sum())} row(s) in all), but {UNLABELED} marks "
            "unlabeled target rows in sktransfer. Recode that class (e.g. to "
            "another integer) in both files, leave the cell empty if the row is "
            "unlabeled, or pass target_labeled=False to ignore the target labels."
        )
    if y_source.dtype == object:
        marker_source = _unlabeled_rows(y_source, regression=False)
        if marker_source.any():
            i = int(np.flatnonzero(marker_source)[0])
            raise ValueError(
                f"Source file {paths[0]!r}: {column} is '{UNLABELED}' at "
                f"{where[0](i)} among labels that are not all integers; there "
                f"'{UNLABELED}' is the unlabeled marker of target rows and cannot "
                "be a class. Recode that class in both files."
            )


# --- the loaders of each kind of file ---------------------------------------


def _table_labels(table, label, what, use_labels):
    if use_labels:
        return _label_cells(table, label)
    return np.full(len(table.cells(table.columns[0])), None, dtype=object)


def _load_tables(paths, fmts, label, target_labeled):
    if label is None:
        raise ValueError(
            f"label is required for CSV and Parquet files ({paths[0]!r}): pass the "
            "name of the label column."
        )
    source = _read_table(paths[0], fmts[0], "source")
    target = _read_table(paths[1], fmts[1], "target")
    _check_column(source, label, "source", "label")
    target_has_label = label in target.columns
    if target_labeled and not target_has_label:
        _check_column(
            target,
            label,
            "target",
            "label",
            " Pass target_labeled=False if the target file has no labels.",
        )
    source_names = [c for c in source.columns if c != label]
    target_names = [c for c in target.columns if c != label]
    only_source = [c for c in source_names if c not in set(target_names)]
    only_target = [c for c in target_names if c not in set(source_names)]
    if only_source or only_target:
        raise ValueError(
            f"The source file {paths[0]!r} and the target file {paths[1]!r} have "
            f"different feature columns: only in the source: {only_source}; only "
            f"in the target: {only_target}."
        )
    if not source_names:
        raise ValueError(
            f"Source file {paths[0]!r} has no feature column besides the label "
            f"column {label!r}."
        )
    X_source = _features(source, source_names, "source")
    # the target's columns are taken in the source's order
    X_target = _features(target, source_names, "target")
    ys = _label_cells(source, label)
    _check_source_labels(ys, source.where, paths[0], label)
    yt = _table_labels(target, label, "target", target_labeled and target_has_label)
    y_source, y_target = _encode_labels([ys, yt])
    _check_encoded(
        y_source,
        y_target,
        np.array([v is not None for v in yt], dtype=bool),
        (source.where, target.where),
        paths,
        label,
    )
    return X_source, y_source, X_target, y_target, np.asarray(source_names, dtype=str)


def _load_svmlight(paths, target_labeled):
    try:
        X_source, ys, X_target, yt = load_svmlight_files(list(paths), dtype=np.float64)
    except ValueError as exc:
        # find the file at fault
        for what, path in zip(("source", "target"), paths):
            try:
                load_svmlight_files([path])
            except ValueError as exc_one:
                raise ValueError(
                    f"Cannot read {what} file {path!r} as svmlight: {exc_one}"
                ) from exc_one
        raise ValueError(f"Cannot read the svmlight files {paths}: {exc}") from exc
    for what, path, X in (
        ("source", paths[0], X_source),
        ("target", paths[1], X_target),
    ):
        if X.shape[0] == 0:
            raise ValueError(f"{what.capitalize()} file {path!r} has no data rows.")
        if not np.isfinite(X.data).all():
            raise ValueError(
                f"{what.capitalize()} file {path!r} has nan or infinite feature "
                "values; missing values are not allowed."
            )
    ys = np.asarray(ys, dtype=object)
    yt = np.asarray(yt, dtype=object) if target_labeled else np.full(len(yt), None)
    y_source, y_target = _encode_labels([ys, np.asarray(yt, dtype=object)])
    _check_encoded(
        y_source,
        y_target,
        np.full(len(y_target), target_labeled),
        (lambda i: f"row {i}", lambda i: f"row {i}"),
        paths,
        None,
    )
    return X_source.tocsr(), y_source, X_target.tocsr(), y_target, None


def _read_npz(path, what, need_y):
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"Cannot read {what} file {path!r} as npz: {exc}") from exc
    with archive:
        keys = set(archive.files)
        if {"indptr", "format", "shape"} <= keys:
            raise ValueError(
                f"{what.capitalize()} file {path!r} holds a scipy.sparse matrix "
                "(scipy.sparse.save_npz), which has no labels; save the arrays "
                "with numpy.savez(path, X=X, y=y), or use an svmlight file."
            )

        def pick(names, role):
            found = [k for k in names if k in keys]
            if len(found) > 1:
                raise ValueError(
                    f"{what.capitalize()} file {path!r} has both arrays "
                    f"{found[0]!r} and {found[1]!r}; keep one for the {role}."
                )
            return archive[found[0]] if found else None

        X = pick(("X", "data"), "features")
        y = pick(("y", "target"), "labels")
    if X is None:
        raise ValueError(
            f"{what.capitalize()} file {path!r} has no array 'X' (or 'data'); it "
            f"has {sorted(keys)}."
        )
    if y is None and need_y:
        raise ValueError(
            f"{what.capitalize()} file {path!r} has no array 'y' (or 'target'); "
            f"it has {sorted(keys)}. Every source row needs a label."
        )
    if X.dtype.kind not in "iufb":
        raise TypeError(
            f"{what.capitalize()} file {path!r}: array X must be numeric, got "
            f"dtype {X.dtype}."
        )
    if X.ndim != 2:
        raise ValueError(
            f"{what.capitalize()} file {path!r}: array X must be 2-d, got shape "
            f"{X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{what.capitalize()} file {path!r} has no data rows.")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ValueError(
            f"{what.capitalize()} file {path!r}: array X has nan or infinite "
            "values; missing values are not allowed."
        )
    if y is not None and (y.ndim != 1 or y.shape[0] != X.shape[0]):
        raise ValueError(
            f"{what.capitalize()} file {path!r}: array y has shape {y.shape}, "
            f"but X has {X.shape[0]} rows."
        )
    return X, y


def _load_npz(paths, target_labeled):
    X_source, ys = _read_npz(paths[0], "source", need_y=True)
    X_target, yt = _read_npz(paths[1], "target", need_y=False)
    if X_source.shape[1] != X_target.shape[1]:
        raise ValueError(
            f"The source file {paths[0]!r} has {X_source.shape[1]} features but "
            f"the target file {paths[1]!r} has {X_target.shape[1]}."
        )
    # npz files follow the array contract: -1 (or nan) in the target's y
    # marks an unlabeled row.
    source_cells = np.array(ys.tolist(), dtype=object)
    if ys.dtype.kind == "f" and np.isnan(ys).any():
        i = int(np.flatnonzero(np.isnan(ys))[0])
        raise ValueError(
            f"Source file {paths[0]!r}: array y is nan at row {i}; every source "
            "row needs a label."
        )
    if yt is None or not target_labeled:
        target_cells = np.full(X_target.shape[0], None, dtype=object)
    else:
        unlabeled = _unlabeled_rows(yt, regression=yt.dtype.kind == "f")
        if yt.dtype.kind == "f":
            unlabeled |= yt == UNLABELED
        target_cells = np.array(yt.tolist(), dtype=object)
        target_cells[unlabeled] = None
    y_source, y_target = _encode_labels([source_cells, target_cells])
    if y_source.dtype == object:
        _check_encoded(
            y_source,
            y_target,
            np.zeros(len(y_target), dtype=bool),
            (lambda i: f"row {i}", lambda i: f"row {i}"),
            paths,
            None,
        )
    return X_source, y_source, X_target, y_target, None


def _load_one_table(path, fmt, label, domain_column, target_domain, target_labeled):
    """Rows of one CSV or Parquet file, split into domains by ``domain_column``."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(
            f"domain_column needs a CSV or Parquet file with named columns, got "
            f"{path!r}."
        )
    if label is None:
        raise ValueError(
            f"label is required for CSV and Parquet files ({path!r}): pass the "
            "name of the label column."
        )
    if label == domain_column:
        raise ValueError(
            f"label and domain_column name the same column {label!r}; the label "
            "and the domain must be two different columns."
        )
    table = _read_table(path, fmt, "data")
    _check_column(table, label, "data", "label")
    _check_column(table, domain_column, "data", "domain")
    domains = table.cells(domain_column)
    empty = np.flatnonzero([_is_empty(v) for v in domains])
    if empty.size:
        raise ValueError(
            f"Data file {path!r}: domain column {domain_column!r} is empty at "
            f"{table.where(int(empty[0]))}; every row needs a domain."
        )
    domains = np.array([_text(v) for v in domains], dtype=object)
    names = list(dict.fromkeys(domains))
    target_name = _text(target_domain)
    if target_name not in names:
        raise ValueError(
            f"Data file {path!r}: target_domain={target_domain!r} does not appear "
            f"in the domain column {domain_column!r}, whose values are {names}."
        )
    sources = [n for n in names if n != target_name]
    if not sources:
        raise ValueError(
            f"Data file {path!r}: every row is in the target domain "
            f"{target_name!r}; there are no source rows."
        )
    domain_names = {name: k for k, name in enumerate(sources, start=1)}
    domain_names[target_name] = -1
    sample_domain = np.array([domain_names[d] for d in domains], dtype=np.int64)
    is_source = sample_domain > 0

    feature_names = [c for c in table.columns if c not in (label, domain_column)]
    if not feature_names:
        raise ValueError(
            f"Data file {path!r} has no feature column besides the label column "
            f"{label!r} and the domain column {domain_column!r}."
        )
    X = _features(table, feature_names, "data")
    cells = _label_cells(table, label)
    rows = np.arange(len(cells))
    _check_source_labels(
        cells[is_source], lambda i: table.where(int(rows[is_source][i])), path, label
    )
    if not target_labeled:
        cells[~is_source] = None
    (y,) = _encode_labels([cells])
    labeled = np.array([v is not None for v in cells], dtype=bool)
    _check_encoded(
        y[is_source],
        y[~is_source],
        labeled[~is_source],
        (
            lambda i: table.where(int(rows[is_source][i])),
            lambda i: table.where(int(rows[~is_source][i])),
        ),
        (path, path),
        label,
    )
    return X, y, sample_domain, np.asarray(feature_names, dtype=str), domain_names


def _domain_names(paths):
    names = [Path(p).stem for p in paths]
    if names[0] == names[1]:
        names = list(paths)
    if names[0] == names[1]:
        names = ["source", "target"]
    return {names[0]: 1, names[1]: -1}


def load_domain_files(
    source=None,
    target=None,
    *,
    label=None,
    data=None,
    domain_column=None,
    target_domain=None,
    target_labeled=True,
):
    """Load source and target rows from the user's own files.

    Reads either two files, ``source`` and ``target``, or one file ``data``
    whose ``domain_column`` says the domain of each row, and returns the
    arrays that every sktransfer estimator takes: ``X``, ``y`` (with the
    unlabeled marker ``-1`` on unlabeled target rows) and ``sample_domain``.

    The format is chosen by the file extension (case-insensitive):

    ================================  ==========================================
    ``.csv``                          a header row, then one row per sample;
                                      comma-separated, UTF-8
    ``.parquet``                      needs pyarrow (``pip install pyarrow``)
    ``.svm``, ``.svmlight``,          svmlight / libsvm text; ``X`` is a CSR
    ``.libsvm``, ``.txt``             matrix padded to the larger feature count
    ``.npz``                          arrays ``X`` and ``y`` (or ``data`` and
                                      ``target``); ``y`` is optional in the
                                      target file
    ================================  ==========================================

    The source and target files may differ in format only between CSV and
    Parquet.

    **Columns** (CSV and Parquet). The ``label`` column holds the classes;
    every other column (except ``domain_column``) is a feature and must hold
    numbers, with no empty cell and no nan. The source and target files must
    have the same feature columns; when they come in another order in the
    target file, the target's columns are reordered to the source's order.

    **Labels.** Labels are kept as given: int64 when every label is an
    integer (written ``3`` or ``3.0``), otherwise strings in an object array.
    A target row with an empty label cell (CSV: an empty string; Parquet:
    null) is unlabeled and gets the marker ``-1`` (the number, also in an
    object array of strings); labeled target rows keep their label. Every
    source row needs a label. On source rows ``-1`` is an ordinary integer
    class, but a labeled target row cannot have the label ``-1``, and no row
    can have the label ``"-1"`` among string labels: both would read as
    unlabeled, so recode that class. Nor can ``-1`` be a source class next to
    the classes ``0..K-1`` when some target rows are unlabeled (the domain
    contract refuses it, see :func:`sktransfer.utils.check_sample_domain`).
    svmlight files label every row; in npz files, which follow the array
    contract, ``-1`` (or nan) in the target's ``y`` marks an unlabeled row,
    and a target file without ``y`` is unlabeled.

    Parameters
    ----------
    source : str or path-like, default=None
        File of the labeled source rows. Give ``source`` and ``target``
        together, or ``data`` alone.
    target : str or path-like, default=None
        File of the target rows, labeled, partly labeled or unlabeled.
    label : str, default=None
        Name of the label column; required for CSV and Parquet files. It must
        be a column of the source file, and of the target file unless
        ``target_labeled=False``. svmlight and npz files carry their labels
        in place: leave it None for them.
    data : str or path-like, default=None
        One CSV or Parquet file holding the rows of every domain, with a
        ``domain_column``. Not with ``source`` or ``target``.
    domain_column : str, default=None
        Column of ``data`` naming the domain of each row. Required with
        ``data``.
    target_domain : str, default=None
        The value of ``domain_column`` that names the target domain; its
        rows get ``sample_domain`` -1. Every other value is a source domain,
        numbered 1, 2, ... in the order of its first row in the file.
        Required with ``domain_column``. A number is compared by its text
        (``2`` matches the cell ``"2"``).
    target_labeled : bool, default=True
        Whether to keep the labels of the target rows. False marks every
        target row unlabeled, in every format, e.g. when the target labels
        exist but must not be used for training.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields

        data : ndarray of shape (n_samples, n_features), float64
            ``X``: source rows then target rows (two files), or the rows in
            file order (one file). A CSR matrix for svmlight files.
        target : ndarray of shape (n_samples,)
            ``y``: int64, or an object array of strings; ``-1`` on unlabeled
            target rows.
        sample_domain : ndarray of shape (n_samples,), int64
            1 (or 1, 2, ... for the source domains of ``domain_column``) on
            source rows, -1 on target rows.
        feature_names : ndarray of str, or None
            The feature columns, in the source's order; None for svmlight and
            npz files, which have no column names.
        domain_names : dict
            Domain name -> ``sample_domain`` value. With two files the names
            are the file names without extension (the paths when those are
            equal); with ``domain_column``, the column's values.
        n_labeled_target : int
            Number of target rows that keep a label.
        files : tuple of str
            The paths read.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ImportError
        If a Parquet file is read and pyarrow is not installed.
    TypeError
        If a path is not a path, or an npz array X is not numeric.
    ValueError
        If an extension is unknown, a file is empty or malformed, the label or
        domain column is missing, a feature column is not numeric or has an
        empty cell, the feature columns of the two files differ, a source row
        has no label, or a label ``-1`` would read as unlabeled.

    See Also
    --------
    sktransfer.source_target_merge : Build ``X, y, sample_domain`` from arrays.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sktransfer.datasets import load_domain_files
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "source.csv").write_text("height,width,kind\\n"
    ...                                        "1.0,2.0,cat\\n3.0,1.5,dog\\n")
    >>> _ = (folder / "target.csv").write_text("width,height,kind\\n"
    ...                                        "2.5,1.2,dog\\n1.0,0.5,\\n")
    >>> bunch = load_domain_files(folder / "source.csv", folder / "target.csv",
    ...                           label="kind")
    >>> bunch.data
    array([[1. , 2. ],
           [3. , 1.5],
           [1.2, 2.5],
           [0.5, 1. ]])
    >>> bunch.target
    array(['cat', 'dog', 'dog', -1], dtype=object)
    >>> bunch.sample_domain
    array([ 1,  1, -1, -1])
    >>> bunch.feature_names
    array(['height', 'width'], dtype='<U6')
    >>> bunch.domain_names, bunch.n_labeled_target
    ({'source': 1, 'target': -1}, 1)

    One file with a domain column:

    >>> _ = (folder / "all.csv").write_text("site,x,y\\n"
    ...                                     "a,0.1,0\\nb,0.2,1\\nc,0.3,\\n")
    >>> bunch = load_domain_files(data=folder / "all.csv", label="y",
    ...                           domain_column="site", target_domain="c")
    >>> bunch.target, bunch.sample_domain
    (array([ 0,  1, -1]), array([ 1,  2, -1]))
    >>> bunch.domain_names
    {'a': 1, 'b': 2, 'c': -1}
    """
    if data is not None:
        if source is not None or target is not None:
            raise ValueError(
                "Give either source and target files, or one data file with a "
                "domain_column, not both."
            )
        if domain_column is None:
            raise ValueError(
                "domain_column is required with data: name the column that says "
                "the domain of each row."
            )
        if target_domain is None:
            raise ValueError(
                "target_domain is required with domain_column: give the value of "
                f"the column {domain_column!r} that names the target domain."
            )
        path, fmt = _check_path(data, "data")
        X, y, sample_domain, feature_names, domain_names = _load_one_table(
            path, fmt, label, domain_column, target_domain, target_labeled
        )
        files = (path,)
    else:
        if domain_column is not None or target_domain is not None:
            raise ValueError(
                "domain_column and target_domain apply to one data file; with "
                "source and target files the domains are the files."
            )
        if source is None or target is None:
            raise ValueError(
                "Give both a source and a target file, or one data file with a "
                "domain_column."
            )
        source, source_fmt = _check_path(source, "source")
        target, target_fmt = _check_path(target, "target")
        files = (source, target)
        fmts = (source_fmt, target_fmt)
        if source_fmt != target_fmt and not set(fmts) <= {"csv", "parquet"}:
            raise ValueError(
                f"The source file {source!r} ({source_fmt}) and the target file "
                f"{target!r} ({target_fmt}) must have the same format (only CSV "
                "and Parquet can be mixed)."
            )
        if source_fmt in ("csv", "parquet"):
            parts = _load_tables(files, fmts, label, target_labeled)
        else:
            if label is not None:
                raise ValueError(
                    f"label={label!r} names a column, but {source_fmt} files "
                    f"({source!r}) have no named columns and carry their labels "
                    "in place: leave label=None."
                )
            loader = _load_svmlight if source_fmt == "svmlight" else _load_npz
            parts = loader(files, target_labeled)
        X_source, y_source, X_target, y_target, feature_names = parts
        if source_fmt == "svmlight":
            import scipy.sparse as sp

            X = sp.vstack([X_source, X_target], format="csr")
        else:
            X = np.concatenate([X_source, X_target])
        y = np.concatenate([y_source, y_target])
        sample_domain = np.concatenate(
            [
                np.ones(X_source.shape[0], dtype=np.int64),
                np.full(X_target.shape[0], -1, dtype=np.int64),
            ]
        )
        domain_names = _domain_names(files)

    try:
        # the last word is the domain contract's, e.g. on a source class -1
        # that reads as the unlabeled marker next to classes 0..K-1
        check_sample_domain(sample_domain, X, y, regression=False)
    except ValueError as exc:
        column = f", label column {label!r}" if label is not None else ""
        raise ValueError(f"Labels of {' and '.join(files)}{column}: {exc}") from exc
    is_target = sample_domain < 0
    n_labeled_target = int((~_unlabeled_rows(y, regression=False) & is_target).sum())
    return Bunch(
        data=X,
        target=y,
        sample_domain=sample_domain,
        feature_names=feature_names,
        domain_names=domain_names,
        n_labeled_target=n_labeled_target,
        files=files,
    )
