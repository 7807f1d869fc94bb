"""The domain contract shared by every sktransfer estimator.

Every estimator is fitted as ``fit(X, y=None, *, sample_domain=None)``, where
``sample_domain`` is an integer array with one entry per row of ``X``:

* a positive value marks a source row (``1, 2, ...`` for several sources),
* a negative value marks a target row (``-1, -2, ...`` for several targets),
* ``0`` is invalid,
* ``None`` means that every row is a source row.

Unlabeled target rows carry ``y = -1`` (classification) or ``y = nan``
(regression). The marker means "unlabeled" only on target rows: on source rows
``-1`` is an ordinary class label. With labels that are not numbers (strings
such as ``"cat"``, or objects), the marker is the number ``-1`` or the string
``"-1"`` (numpy turns ``-1`` into ``"-1"`` when it builds an array of strings);
there ``-1`` cannot also be a class on source rows. In regression only
``nan`` marks a row unlabeled: ``-1.0`` is a value like any other.

This module is the one place where that contract is written down in code:
validation, masks, packing ``(X_source, y_source)`` and ``(X_target, y_target)``
into ``X, y, sample_domain`` and back, and the mixin that makes ``fit`` request
``sample_domain`` through scikit-learn's metadata routing.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _num_samples,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

__all__ = [
    "UNLABELED",
    "BaseDomainAdapter",
    "DomainAwareMixin",
    "check_sample_domain",
    "encode_classes",
    "hide_target_labels",
    "labeled_mask",
    "source_target_merge",
    "source_target_split",
    "validate_domain_data",
]

#: Label that marks an unlabeled target row in classification.
UNLABELED = -1

_SIGN_HINT = "use positive values for source rows and negative values for target rows"


def _is_regression_target(y):
    return y is not None and np.asarray(y).dtype.kind == "f"


def _is_marker(value):
    """Whether one label of an object array is the unlabeled marker."""
    if isinstance(value, str):
        return value == str(UNLABELED)
    if isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):
        return value == UNLABELED
    return False


def _unlabeled_rows(y, regression):
    """Rows whose ``y`` is the unlabeled marker, whatever their domain."""
    y = np.asarray(y)
    if regression:
        return np.isnan(y) if y.dtype.kind in "fc" else np.zeros(y.shape[0], bool)
    if y.dtype.kind in "iuf":
        return y == UNLABELED
    if y.dtype.kind in "US":
        return y == y.dtype.type(UNLABELED)
    if y.dtype.kind == "O":
        return np.fromiter((_is_marker(v) for v in y), dtype=bool, count=y.shape[0])
    return np.zeros(y.shape[0], dtype=bool)


def check_sample_domain(
    sample_domain,
    X,
    y=None,
    *,
    regression=None,
    require_source=False,
    require_target=False,
    require_labeled_target=False,
    allow_multi_source=True,
    allow_multi_target=True,
    min_source_rows=1,
    min_target_rows=1,
    min_rows_reason=None,
    estimator_name=None,
):
    """Validate ``sample_domain`` against ``X`` and ``y``.

    Parameters
    ----------
    sample_domain : array-like of shape (n_samples,) or None
        Domain of each row: positive for source rows, negative for target
        rows. ``None`` marks every row as a source row (domain 1).
    X : array-like or sparse matrix of shape (n_samples, ...)
        The data the domains describe; only its number of rows is used.
    y : array-like of shape (n_samples,), default=None
        Labels, with ``-1`` (classification) or ``nan`` (regression) on
        unlabeled target rows. When given, unlabeled markers on source rows
        are checked for.
    regression : bool, default=None
        Whether ``y`` holds regression targets (unlabeled marker ``nan``)
        rather than classes (unlabeled marker ``-1``). ``None`` infers it:
        floating-point ``y`` with a ``nan`` is taken as regression.
    require_source, require_target : bool, default=False
        Raise when there are no source (target) rows.
    require_labeled_target : bool, default=False
        Raise when no target row carries a label.
    allow_multi_source, allow_multi_target : bool, default=True
        Raise when several source (target) domains are present.
    min_source_rows, min_target_rows : int, default=1
        Rows that each source (target) domain needs when the fit adapts, that
        is when there are rows of both kinds. With rows of one kind only, an
        estimator is its plain counterpart and only ``require_source`` and
        ``require_target`` apply.
    min_rows_reason : str, default=None
        What the rows are needed for, ending the error message, e.g.
        ``"to estimate the target covariance"``.
    estimator_name : str, default=None
        Named in error messages, e.g. ``"TransferComponentAnalysis"``.

    Returns
    -------
    sample_domain : ndarray of shape (n_samples,), dtype=int64
        The validated domains.

    Raises
    ------
    TypeError
        If ``sample_domain`` does not hold integers.
    ValueError
        If its length differs from the number of rows, it contains ``0``,
        a required kind of row is missing, or ``y`` marks source rows as
        unlabeled.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.utils import check_sample_domain
    >>> X = np.zeros((4, 2))
    >>> check_sample_domain([1, 1, -1, -1], X)
    array([ 1,  1, -1, -1])
    >>> check_sample_domain(None, X)
    array([1, 1, 1, 1])
    """
    who = f"{estimator_name} " if estimator_name else ""
    n_samples = _num_samples(X)
    if sample_domain is None:
        sample_domain = np.ones(n_samples, dtype=np.int64)
        if require_target:
            raise ValueError(
                f"{who}needs target rows, but sample_domain is missing, so every "
                "row is taken as a source row. Pass sample_domain with negative "
                "values on the target rows (see sktransfer.source_target_merge)."
            )
    else:
        if sp.issparse(sample_domain) or isinstance(sample_domain, str | bytes):
            raise TypeError(
                "sample_domain must be a 1-d array of integers, got "
                f"{type(sample_domain).__name__}."
            )
        sample_domain = np.asarray(sample_domain)
        if sample_domain.ndim != 1:
            raise ValueError(
                "sample_domain must be a 1-d array with one entry per row, got an "
                f"array of shape {sample_domain.shape}."
            )
        if sample_domain.shape[0] != n_samples:
            raise ValueError(
                f"sample_domain has {sample_domain.shape[0]} entries but X has "
                f"{n_samples} rows."
            )
        if sample_domain.dtype.kind not in "iu":
            raise TypeError(
                "sample_domain must hold integers (positive for source rows, "
                f"negative for target rows), got dtype {sample_domain.dtype}. "
                "Float domains are refused so that a stray label or weight array "
                "is not taken for domains; cast with .astype(int) if you meant it."
            )
        sample_domain = sample_domain.astype(np.int64, copy=False)
        zeros = np.flatnonzero(sample_domain == 0)
        if zeros.size:
            raise ValueError(
                f"sample_domain is 0 on {zeros.size} row(s) (first: row "
                f"{zeros[0]}); 0 is not a domain: {_SIGN_HINT}."
            )

    is_source = sample_domain > 0
    n_source_domains = np.unique(sample_domain[is_source]).size
    n_target_domains = np.unique(sample_domain[~is_source]).size
    if require_source and n_source_domains == 0:
        raise ValueError(
            f"{who}needs source rows, but sample_domain has no positive entry."
        )
    if require_target and n_target_domains == 0:
        raise ValueError(
            f"{who}needs target rows, but sample_domain has no negative entry."
        )
    if not allow_multi_source and n_source_domains > 1:
        raise ValueError(
            f"{who}supports a single source domain, got {n_source_domains}: "
            f"{np.unique(sample_domain[is_source]).tolist()}."
        )
    if not allow_multi_target and n_target_domains > 1:
        raise ValueError(
            f"{who}supports a single target domain, got {n_target_domains}: "
            f"{np.unique(sample_domain[~is_source]).tolist()}."
        )
    if n_source_domains and n_target_domains:
        for kind, rows, min_rows in (
            ("source", is_source, min_source_rows),
            ("target", ~is_source, min_target_rows),
        ):
            _check_domain_rows(
                sample_domain[rows], kind, min_rows, min_rows_reason, who
            )

    if y is not None:
        y = np.asarray(y)
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} entries but X has {n_samples} rows.")
        if regression is None:
            regression = y.dtype.kind == "f" and bool(np.isnan(y).any())
        if regression:
            _check_regression_markers(y, is_source)
        else:
            _check_classification_markers(y, is_source)
        if require_labeled_target:
            labeled = ~_unlabeled_rows(y, regression)
            if not (labeled & ~is_source).any():
                marker = "nan" if regression else str(UNLABELED)
                raise ValueError(
                    f"{who}needs labeled target rows, but every target row is "
                    f"marked unlabeled (y = {marker})."
                )
    return sample_domain


def _check_domain_rows(domains, kind, min_rows, reason, who):
    """Each domain in ``domains`` (one entry per row) has ``min_rows`` rows."""
    values, counts = np.unique(domains, return_counts=True)
    if counts.min() >= min_rows:
        return
    why = f" {reason}" if reason else ""
    if values.size == 1:
        raise ValueError(
            f"{who}needs at least {min_rows} {kind} rows{why}, got {counts[0]}."
        )
    small = values[counts.argmin()]
    raise ValueError(
        f"{who}needs at least {min_rows} rows in each {kind} domain{why}; "
        f"domain {small} has {counts.min()}."
    )


def _check_regression_markers(y, is_source):
    nan_source = np.isnan(y) & is_source
    if nan_source.any():
        raise ValueError(
            f"y is nan on {nan_source.sum()} source row(s) (first: row "
            f"{np.flatnonzero(nan_source)[0]}); only target rows can be unlabeled. "
            "Give those rows a negative sample_domain, or drop them."
        )


def _check_classification_markers(y, is_source):
    """Refuse ``-1`` on source rows when it can only be an unlabeled marker.

    ``-1`` is an ordinary class on source rows. It is refused when target rows
    use ``-1`` as the unlabeled marker while the other classes are ``0..K-1``,
    or are not numbers (``"cat"``, ``"dog"``): then ``-1`` on source rows reads
    as "unlabeled", which only target rows can be, and a labeled target row
    could never belong to class ``-1``.
    """
    if y.dtype.kind not in "iufUSO":
        return
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(
            "y contains nan; in classification the unlabeled marker is "
            f"{UNLABELED} and only on target rows."
        )
    marker = _unlabeled_rows(y, regression=False)
    minus_one_source = marker & is_source
    if not minus_one_source.any() or not (marker & ~is_source).any():
        return
    other_classes = y[is_source & ~marker]
    if y.dtype.kind in "iuf":
        other_classes = np.unique(other_classes)
        ambiguous = other_classes.size >= 2 and np.array_equal(
            other_classes, np.arange(other_classes.size)
        )
        shown = other_classes.tolist()
    else:
        ambiguous = any(
            isinstance(label, str) and not _is_number_text(label)
            for label in other_classes
        )
        shown = sorted({str(label) for label in other_classes})[:5]
    if ambiguous:
        raise ValueError(
            f"y is {UNLABELED} on {minus_one_source.sum()} source row(s) while the "
            f"other classes are {shown} and target rows use "
            f"{UNLABELED} as the unlabeled marker. Only target rows can be "
            f"unlabeled: give unlabeled rows a negative sample_domain. If "
            f"{UNLABELED} is a real class, encode the labels so that it is not "
            f"{UNLABELED} (e.g. with sklearn.preprocessing.LabelEncoder)."
        )


def _is_number_text(label):
    try:
        float(label)
    except ValueError:
        return False
    return True


def _check_regression_y(y, owner):
    """Numeric targets, or a clear error when ``y`` holds class labels."""
    if y.dtype.kind not in "OUS":
        return y  # numbers (or complex data, which validation refuses)
    try:
        return y.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner} is a regressor, but y holds class labels (dtype "
            f"{y.dtype}, e.g. {y.ravel()[:1].tolist()}). Use a classifier for "
            "classes, or pass numeric targets (nan on unlabeled target rows)."
        ) from None


def validate_domain_data(
    estimator, X, y=None, sample_domain=None, *, reset=True, **check_params
):
    """Validate ``X``, ``y`` and ``sample_domain`` together in ``fit``.

    Runs :func:`sklearn.utils.validation.validate_data` on ``X`` (and ``y``
    when given), which records ``n_features_in_`` and refuses NaN, then
    :func:`check_sample_domain` with the estimator's name in its errors. For
    a classifier, the labels of the labeled rows must be classes (not
    continuous values); the unlabeled marker is not checked with them.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted.
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Input rows of all domains.
    y : array-like of shape (n_samples,), default=None
        Labels with unlabeled markers on target rows.
    sample_domain : array-like of shape (n_samples,), default=None
        Domains; ``None`` means every row is a source row.
    reset : bool, default=True
        Passed to ``validate_data``.
    **check_params : dict
        Keyword arguments of :func:`check_sample_domain` (``require_target``,
        ``regression``, ...) and of ``validate_data`` (``accept_sparse``,
        ``dtype``, ...).

    Returns
    -------
    X : ndarray or sparse matrix
    y : ndarray or None
    sample_domain : ndarray of shape (n_samples,), dtype=int64

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sktransfer.utils import validate_domain_data
    >>> X, y, sd = validate_domain_data(
    ...     BaseEstimator(), np.ones((3, 2)), [0, 1, -1], [1, 1, -1])
    >>> sd
    array([ 1,  1, -1])
    """
    domain_params = {
        key: check_params.pop(key)
        for key in (
            "regression",
            "require_source",
            "require_target",
            "require_labeled_target",
            "allow_multi_source",
            "allow_multi_target",
            "min_source_rows",
            "min_target_rows",
            "min_rows_reason",
        )
        if key in check_params
    }
    if y is None and get_tags(estimator).target_tags.required:
        validate_data(estimator, X, y, reset=reset, **check_params)  # raises
    X = validate_data(estimator, X, reset=reset, **check_params)
    if y is not None:
        # y is checked here rather than by validate_data, which refuses the nan
        # that marks unlabeled target rows in regression.
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        if domain_params.get("regression"):
            y = _check_regression_y(y, type(estimator).__name__)
        if y.dtype.kind == "f" and np.isinf(y).any():
            raise ValueError("Input y contains infinity.")
    sample_domain = check_sample_domain(
        sample_domain,
        X,
        y,
        estimator_name=type(estimator).__name__,
        **domain_params,
    )
    if (
        y is not None
        and get_tags(estimator).estimator_type == "classifier"
        and not domain_params.get("regression")
    ):
        # the unlabeled marker may not be of the type of the classes
        # ("cat", "dog" and -1), so only the labeled rows are checked
        check_classification_targets(
            y[labeled_mask(y, sample_domain, regression=False)]
        )
    if y is not None and (sample_domain < 0).any():
        from .pipeline import _warn_if_pipeline_fits_unlabeled_rows  # import cycle

        _warn_if_pipeline_fits_unlabeled_rows(estimator, y, sample_domain)
    return X, y, sample_domain


def labeled_mask(y, sample_domain=None, *, regression=None):
    """Boolean mask of the rows that carry a label.

    Source rows are always labeled. A target row is unlabeled when its ``y`` is
    ``-1`` (classification) or ``nan`` (regression).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels with the unlabeled markers on target rows.
    sample_domain : array-like of shape (n_samples,), default=None
        Domains; ``None`` means every row is a source row.
    regression : bool, default=None
        Whether ``y`` holds regression targets; ``None`` infers it as
        :func:`check_sample_domain` does.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype=bool

    Examples
    --------
    >>> from sktransfer.utils import labeled_mask
    >>> labeled_mask([0, -1, 1, -1], [1, 1, -1, -1])
    array([ True,  True,  True, False])
    """
    y = np.asarray(y)
    if sample_domain is None:
        return np.ones(y.shape[0], dtype=bool)
    sample_domain = np.asarray(sample_domain)
    if regression is None:
        regression = y.dtype.kind == "f" and bool(np.isnan(y).any())
    return ~(_unlabeled_rows(y, regression) & (sample_domain < 0))


def encode_classes(y, sample_domain=None, *, classes=None, regression=False):
    """Classes of the labeled rows, and each row's index among them.

    The one place where class labels are encoded: unlabeled target rows
    (``y = -1``, or ``"-1"`` among string labels) get the code ``-1`` and are
    never taken for a class, whatever the type of the labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels with the unlabeled marker on target rows.
    sample_domain : array-like of shape (n_samples,), default=None
        Domains; ``None`` means every row is a source row (all labeled).
    classes : array-like of shape (n_classes,), default=None
        The classes to encode into (e.g. those of a fitted model); ``None``
        takes the sorted classes of the labeled rows. A labeled row whose
        class is not among them is an error.
    regression : bool, default=False
        Must stay False: regression targets have no classes. Passed by
        callers that only know the kind of ``y`` at run time.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The classes, sorted.
    y_encoded : ndarray of shape (n_samples,), dtype=int64
        Index into ``classes`` of each labeled row, ``-1`` on unlabeled rows.

    Raises
    ------
    ValueError
        If ``y`` holds continuous values, mixes strings and numbers among
        its labeled rows, or (with ``classes``) a label is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.utils import encode_classes
    >>> y = np.array(["dog", "cat", -1, "cat"], dtype=object)
    >>> classes, codes = encode_classes(y, [1, 1, -1, -1])
    >>> classes.tolist(), codes.tolist()
    (['cat', 'dog'], [1, 0, -1, 0])
    """
    if regression:
        raise ValueError("Regression targets have no classes to encode.")
    y = column_or_1d(y, warn=True)
    labeled = labeled_mask(y, sample_domain, regression=False)
    y_labeled = y[labeled]
    check_classification_targets(y_labeled)
    if classes is None:
        classes, codes = np.unique(y_labeled, return_inverse=True)
    else:
        classes = np.asarray(classes)
        order = np.argsort(classes)
        position = np.searchsorted(classes, y_labeled, sorter=order)
        position = np.minimum(position, classes.size - 1)
        codes = order[position]
        unknown = classes[codes] != y_labeled
        if unknown.any():
            raise ValueError(
                f"y has labels {np.unique(y_labeled[unknown]).tolist()} that are "
                f"not among the classes {classes.tolist()}."
            )
    y_encoded = np.full(y.shape[0], UNLABELED, dtype=np.int64)
    y_encoded[labeled] = codes.ravel()
    return classes, y_encoded


def _check_features(X_source, X_target):
    if X_source.ndim != X_target.ndim or X_source.shape[1:] != X_target.shape[1:]:
        raise ValueError(
            f"X_source has {_n_features(X_source)} features but X_target has "
            f"{_n_features(X_target)}; both domains must share one feature space."
        )


def _n_features(X):
    return X.shape[1] if X.ndim == 2 else "x".join(map(str, X.shape[1:]))


def _as_array(X, name):
    if sp.issparse(X):
        return X
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(
            f"{name} must have one row per sample (2-d or more), got shape "
            f"{X.shape}. Reshape a single feature with X.reshape(-1, 1)."
        )
    return X


def source_target_merge(
    X_source, y_source, X_target, y_target=None, *, source_domain=1, target_domain=-1
):
    """Pack source and target data into ``X, y, sample_domain``.

    Parameters
    ----------
    X_source : array-like or sparse matrix of shape (n_source, n_features)
        Source rows.
    y_source : array-like of shape (n_source,) or None
        Source labels. ``None`` is allowed only when ``y_target`` is ``None``
        too, for transformers that need no labels.
    X_target : array-like or sparse matrix of shape (n_target, n_features)
        Target rows.
    y_target : array-like of shape (n_target,), default=None
        Target labels; use ``-1`` (classification) or ``nan`` (regression) for
        unlabeled rows. ``None`` marks every target row unlabeled.
    source_domain : int, default=1
        Positive domain value given to the source rows.
    target_domain : int, default=-1
        Negative domain value given to the target rows.

    Returns
    -------
    X : ndarray or sparse matrix of shape (n_source + n_target, n_features)
        Source rows, then target rows.
    y : ndarray of shape (n_source + n_target,) or None
        Source labels, then target labels or unlabeled markers.
    sample_domain : ndarray of shape (n_source + n_target,)
        ``source_domain`` on source rows, ``target_domain`` on target rows.

    See Also
    --------
    source_target_split : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import source_target_merge
    >>> X, y, sample_domain = source_target_merge(
    ...     np.zeros((2, 3)), [0, 1], np.ones((2, 3)))
    >>> y
    array([ 0,  1, -1, -1])
    >>> sample_domain
    array([ 1,  1, -1, -1])
    """
    if not (isinstance(source_domain, numbers.Integral) and source_domain > 0):
        raise ValueError(
            f"source_domain must be a positive int, got {source_domain!r}."
        )
    if not (isinstance(target_domain, numbers.Integral) and target_domain < 0):
        raise ValueError(
            f"target_domain must be a negative int, got {target_domain!r}."
        )
    X_source = _as_array(X_source, "X_source")
    X_target = _as_array(X_target, "X_target")
    _check_features(X_source, X_target)
    n_source, n_target = X_source.shape[0], X_target.shape[0]

    if sp.issparse(X_source) or sp.issparse(X_target):
        X = sp.vstack([sp.csr_matrix(X_source), sp.csr_matrix(X_target)], format="csr")
    else:
        X = np.concatenate([X_source, X_target])

    if y_source is None:
        if y_target is not None:
            raise ValueError("y_target is given but y_source is None.")
        y = None
    else:
        y_source = np.asarray(y_source)
        if y_source.shape[0] != n_source:
            raise ValueError(
                f"y_source has {y_source.shape[0]} entries but X_source has "
                f"{n_source} rows."
            )
        if y_target is None:
            marker = np.nan if y_source.dtype.kind == "f" else UNLABELED
            y_target = np.full(n_target, marker, dtype=y_source.dtype)
        y_target = np.asarray(y_target)
        if y_target.shape[0] != n_target:
            raise ValueError(
                f"y_target has {y_target.shape[0]} entries but X_target has "
                f"{n_target} rows."
            )
        y = np.concatenate([y_source, y_target])

    sample_domain = np.concatenate(
        [
            np.full(n_source, source_domain, dtype=np.int64),
            np.full(n_target, target_domain, dtype=np.int64),
        ]
    )
    return X, y, sample_domain


def source_target_split(X, y=None, *, sample_domain):
    """Split ``X`` (and ``y``) into source rows and target rows.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Data of all domains.
    y : array-like of shape (n_samples,), default=None
        Labels with unlabeled markers on target rows.
    sample_domain : array-like of shape (n_samples,)
        Domains: positive for source rows, negative for target rows.

    Returns
    -------
    X_source, X_target : arrays or sparse matrices
        Returned when ``y`` is None.
    X_source, y_source, X_target, y_target : arrays
        Returned when ``y`` is given; ``y_target`` keeps the unlabeled markers.

    See Also
    --------
    source_target_merge : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import source_target_split
    >>> X = np.arange(8).reshape(4, 2)
    >>> X_source, X_target = source_target_split(X, sample_domain=[1, 1, -1, -1])
    >>> X_target
    array([[4, 5],
           [6, 7]])
    """
    sample_domain = check_sample_domain(sample_domain, X, y)
    is_source = sample_domain > 0
    if not sp.issparse(X):
        X = np.asarray(X)
    if y is None:
        return X[is_source], X[~is_source]
    y = np.asarray(y)
    return X[is_source], y[is_source], X[~is_source], y[~is_source]


def hide_target_labels(
    y, sample_domain, *, n_labeled=0, per_class=False, random_state=None
):
    """Mark all but ``n_labeled`` target rows unlabeled.

    Real data sets come with every label; this keeps a few target labels, as a
    user with a small labeling budget would have, and replaces the others by
    the unlabeled marker.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels of every row.
    sample_domain : array-like of shape (n_samples,)
        Domains: positive for source rows, negative for target rows.
    n_labeled : int, default=0
        Number of target rows that keep their label, in each target domain;
        per class when ``per_class=True``.
    per_class : bool, default=False
        Whether ``n_labeled`` counts rows per class (classification only).
    random_state : int, RandomState instance or None, default=None
        Chooses the rows that keep their label.

    Returns
    -------
    y_masked : ndarray of shape (n_samples,)
        ``y`` with ``-1`` (class labels) or ``nan`` (float targets) on the
        hidden target rows; string labels come back as an object array.

    Examples
    --------
    >>> from sktransfer.utils import hide_target_labels
    >>> hide_target_labels([0, 1, 0, 1, 1], [1, 1, -1, -1, -1], n_labeled=1,
    ...                    random_state=0)
    array([ 0,  1, -1, -1,  1])
    """
    y = np.asarray(y)
    sample_domain = check_sample_domain(sample_domain, y.reshape(-1, 1))
    if not isinstance(n_labeled, numbers.Integral) or n_labeled < 0:
        raise ValueError(f"n_labeled must be a non-negative int, got {n_labeled!r}.")
    rng = check_random_state(random_state)
    regression = y.dtype.kind == "f"
    if regression and per_class:
        raise ValueError("per_class=True needs class labels, got float y.")
    if not regression and y.dtype.kind not in "iuUSO":
        raise TypeError(
            "hide_target_labels needs class labels (integers or strings) or "
            f"float regression targets, got dtype {y.dtype}."
        )
    keep = sample_domain > 0
    for domain in np.unique(sample_domain[sample_domain < 0]):
        rows = np.flatnonzero(sample_domain == domain)
        groups = (
            [rows[y[rows] == c] for c in np.unique(y[rows])] if per_class else [rows]
        )
        for group in groups:
            chosen = rng.choice(group, size=min(n_labeled, group.size), replace=False)
            keep[chosen] = True
    # strings become objects: "-1" may not fit in a short string dtype
    y_masked = y.astype(object) if y.dtype.kind in "US" else y.copy()
    y_masked[~keep] = np.nan if regression else UNLABELED
    return y_masked


class DomainAwareMixin:
    """Mixin for estimators that keep the domain contract.

    It makes ``fit`` request ``sample_domain`` through metadata routing by
    default, so that with ``sklearn.set_config(enable_metadata_routing=True)``
    a :class:`~sklearn.pipeline.Pipeline` or
    :class:`~sklearn.model_selection.GridSearchCV` passes it on without a
    ``set_fit_request`` call. With routing off, the step-prefixed spelling
    (``pipe.fit(X, y, step__sample_domain=sd)``) works as for any fit
    parameter.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from sktransfer.utils import DomainAwareMixin
    >>> class MyAdapter(DomainAwareMixin, BaseEstimator):
    ...     def fit(self, X, y=None, *, sample_domain=None):
    ...         return self
    >>> MyAdapter().get_metadata_routing().fit.requests
    {'sample_domain': True}
    """

    __metadata_request__fit = {"sample_domain": True}


class BaseDomainAdapter(DomainAwareMixin, BaseEstimator):
    """Base class of the shallow estimators: what ``fit`` needs, said once.

    A subclass states in the class attribute ``_domain_requirements`` what it
    needs of the domains, as keyword arguments of :func:`check_sample_domain`
    (``require_source``, ``min_target_rows``, ``min_rows_reason``, ...), and
    validates its input in ``fit`` with :meth:`_validate_domain_data`, which
    checks them with the estimator's name in the errors. Parameters are
    validated by scikit-learn's ``_parameter_constraints`` and
    ``_fit_context``, as for any scikit-learn estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.utils import BaseDomainAdapter
    >>> class TargetMean(BaseDomainAdapter):
    ...     _domain_requirements = {
    ...         "require_target": True,
    ...         "min_target_rows": 2,
    ...         "min_rows_reason": "to estimate the target mean",
    ...     }
    ...     def fit(self, X, y=None, *, sample_domain=None):
    ...         X, _, sample_domain = self._validate_domain_data(X, y, sample_domain)
    ...         self.mean_ = X[sample_domain < 0].mean(axis=0)
    ...         return self
    >>> X = np.array([[0.0], [1.0], [2.0], [4.0]])
    >>> TargetMean().fit(X, sample_domain=[1, 1, -1, -1]).mean_
    array([3.])
    >>> TargetMean().fit(X, sample_domain=[1, 1, 1, -1])
    Traceback (most recent call last):
    ...
    ValueError: TargetMean needs at least 2 target rows ... mean, got 1.
    """

    #: Keyword arguments of :func:`check_sample_domain` that ``fit`` needs.
    _domain_requirements: dict = {}

    def _validate_domain_data(
        self, X, y=None, sample_domain=None, *, reset=True, **check_params
    ):
        """:func:`validate_domain_data` with the class's domain requirements.

        ``check_params`` (``accept_sparse``, ``dtype``, ...) are passed on and
        may override a requirement.
        """
        return validate_domain_data(
            self,
            X,
            y,
            sample_domain,
            reset=reset,
            **{**self._domain_requirements, **check_params},
        )
