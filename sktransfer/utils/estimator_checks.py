"""Checks that every sktransfer estimator keeps the domain contract.

scikit-learn's :func:`~sklearn.utils.estimator_checks.check_estimator` tests
the plain path (``sample_domain=None``). The checks here test the transfer
path: fitting with source, labeled target and unlabeled target rows, cloning,
pickling, seeding, pipelines and grid search with and without metadata
routing, and what bad or unusual input must give: string labels beside the
unlabeled marker, float32 and negative-stride arrays, read-only arrays, a
refit on other data, a missing ``y``, warnings that point at the caller's
line, and a property-based layer (:func:`check_fit_on_generated_data`, with
the hypothesis strategies :func:`transfer_datasets`, :func:`sample_domains`,
:func:`feature_arrays` and :func:`transfer_targets`) that fits generated data
of many dtypes, shapes, scales and sparsities.

:func:`parametrize_with_transfer_checks` turns the checks that apply to an
estimator into pytest cases, so exporting an estimator is all it takes to
have it checked. A new check is one function taking ``(name, estimator)``
plus one line in ``_TRANSFER_CHECKS`` (every estimator) or in
``_yield_transfer_checks`` (estimators of one kind).

hypothesis is imported only by the property-based check and the strategies.
"""

import numbers
import pickle
import re
import sys
import traceback
import warnings
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn import config_context
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import MetadataRouter

from .._domain import UNLABELED, hide_target_labels, labeled_mask
from ._warnings import _is_library_frame

__all__ = [
    "check_fit_on_generated_data",
    "check_transfer_estimator",
    "feature_arrays",
    "make_transfer_check_data",
    "parametrize_with_transfer_checks",
    "sample_domains",
    "transfer_datasets",
    "transfer_targets",
]


def make_transfer_check_data(estimator, *, random_state=0):
    """Small shifted data set with source, labeled and unlabeled target rows.

    Parameters
    ----------
    estimator : estimator instance
        Regressors get continuous targets (``nan`` on unlabeled target rows);
        other estimators get two classes (``-1`` on unlabeled target rows).
    random_state : int, default=0
        Seed of the data.

    Returns
    -------
    X : ndarray of shape (120, 4)
        60 source rows, then 60 target rows.
    y : ndarray of shape (120,)
        Labels; 10 target rows keep theirs.
    sample_domain : ndarray of shape (120,)
        1 on source rows, -1 on target rows.
    y_true : ndarray of shape (120,)
        Labels of every row, for scoring.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.utils.estimator_checks import make_transfer_check_data
    >>> X, y, sample_domain, y_true = make_transfer_check_data(LogisticRegression())
    >>> X.shape, int((y == -1).sum())
    ((120, 4), 50)
    """
    from ..datasets import make_domain_shift

    X, y_true, sample_domain = make_domain_shift(
        60,
        60,
        shift="subspace",
        severity=0.5,
        n_features=4,
        random_state=random_state,
    )
    if is_regressor(estimator):
        rng = np.random.RandomState(random_state)
        y_true = X @ rng.normal(size=X.shape[1]) + 0.1 * rng.normal(size=X.shape[0])
    y = hide_target_labels(
        y_true, sample_domain, n_labeled=10, random_state=random_state
    )
    return X, y, sample_domain, y_true


def _outputs(estimator, X):
    """What a fitted estimator computes on ``X``, to compare two models."""
    outputs = {}
    for method in ("predict", "predict_proba", "decision_function", "transform"):
        if hasattr(estimator, method):
            values = getattr(estimator, method)(X)
            outputs[method] = (
                values.toarray() if sp.issparse(values) else np.asarray(values)
            )
    if not outputs:
        raise TypeError(
            f"{type(estimator).__name__} has none of predict, predict_proba, "
            "decision_function or transform; the transfer checks cannot run on it."
        )
    return outputs


def _assert_same_outputs(first, second, context, *, exact=True, rtol=1e-6, atol=1e-8):
    assert first.keys() == second.keys(), context
    for method in first:
        if exact:
            np.testing.assert_array_equal(
                first[method], second[method], err_msg=f"{context}: {method}"
            )
        else:
            np.testing.assert_allclose(
                first[method],
                second[method],
                rtol=rtol,
                atol=atol,
                err_msg=f"{context}: {method}",
            )


def _with_seed(estimator, seed=0):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return estimator


def check_fit_with_sample_domain(name, estimator):
    """Fitting on shifted data with unlabeled target rows works as the contract says."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    estimator = _with_seed(estimator)
    assert estimator.fit(X, y, sample_domain=sample_domain) is estimator, (
        f"{name}.fit must return self"
    )
    assert estimator.n_features_in_ == X.shape[1]
    outputs = _outputs(estimator, X[sample_domain < 0])
    n_target = int((sample_domain < 0).sum())
    for method, values in outputs.items():
        assert values.shape[0] == n_target, f"{name}.{method} returned wrong rows"
        if values.dtype.kind == "f":
            assert np.isfinite(values).all(), f"{name}.{method} returned nan or inf"
    if is_classifier(estimator):
        np.testing.assert_array_equal(
            estimator.classes_,
            [0, 1],
            err_msg=f"{name} took the unlabeled marker {UNLABELED} for a class",
        )
        assert set(np.unique(outputs["predict"])) <= {0, 1}


def check_minus_one_is_a_source_class(name, estimator):
    """On source rows, -1 is an ordinary class label."""
    if not is_classifier(estimator):
        return
    X, y, sample_domain, y_true = make_transfer_check_data(estimator)
    y = np.where(y_true == 0, -1, 1)
    y[sample_domain < 0] = UNLABELED
    estimator = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    np.testing.assert_array_equal(
        estimator.classes_,
        [-1, 1],
        err_msg=f"{name} dropped -1, a class label on source rows",
    )


def check_sample_domain_none_is_all_source(name, estimator):
    """``sample_domain=None`` behaves as every row being a source row."""
    X, _, sample_domain, y_true = make_transfer_check_data(estimator)
    default = _with_seed(estimator).fit(X, y_true)
    all_source = _with_seed(estimator).fit(
        X, y_true, sample_domain=np.ones(X.shape[0], dtype=int)
    )
    _assert_same_outputs(
        _outputs(default, X),
        _outputs(all_source, X),
        f"{name}: sample_domain=None differs from all rows being source",
        exact=False,
    )


def check_clone_after_fit(name, estimator):
    """A fitted estimator clones into an unfitted one with the same parameters."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    fitted = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    cloned = clone(fitted)
    assert not any(
        attr.endswith("_") and not attr.startswith("_") for attr in vars(cloned)
    ), f"{name}: a clone kept fitted attributes"
    assert cloned.get_params().keys() == fitted.get_params().keys()
    refitted = cloned.fit(X, y, sample_domain=sample_domain)
    _assert_same_outputs(
        _outputs(fitted, X), _outputs(refitted, X), f"{name}: clone refit differs"
    )


def check_pickle_round_trip(name, estimator):
    """A fitted model survives pickling with identical outputs."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    fitted = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    restored = pickle.loads(pickle.dumps(fitted))
    _assert_same_outputs(
        _outputs(fitted, X), _outputs(restored, X), f"{name}: pickle round trip"
    )


def check_same_random_state_same_model(name, estimator):
    """Two fits with the same ``random_state`` give the same model."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    first = _with_seed(estimator, 7).fit(X, y, sample_domain=sample_domain)
    second = _with_seed(estimator, 7).fit(X, y, sample_domain=sample_domain)
    _assert_same_outputs(
        _outputs(first, X), _outputs(second, X), f"{name}: same seed, other model"
    )


def _direct_and_pipeline(estimator):
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    X_scaled = StandardScaler().fit_transform(X)
    direct = _with_seed(estimator).fit(X_scaled, y, sample_domain=sample_domain)
    pipe = Pipeline([("scale", StandardScaler()), ("est", _with_seed(estimator))])
    return X, y, sample_domain, _outputs(direct, X_scaled), pipe


def check_pipeline_routing_on(name, estimator):
    """With routing on, ``pipe.fit(X, y, sample_domain=sd)`` reaches the step."""
    X, y, sample_domain, expected, pipe = _direct_and_pipeline(estimator)
    with config_context(enable_metadata_routing=True):
        pipe.fit(X, y, sample_domain=sample_domain)
        got = _outputs(pipe, X)
    _assert_same_outputs(expected, got, f"{name}: Pipeline with routing on")


def check_pipeline_routing_off(name, estimator):
    """With routing off, ``pipe.fit(X, y, est__sample_domain=sd)`` reaches the step."""
    X, y, sample_domain, expected, pipe = _direct_and_pipeline(estimator)
    with config_context(enable_metadata_routing=False):
        pipe.fit(X, y, est__sample_domain=sample_domain)
        got = _outputs(pipe, X)
    _assert_same_outputs(expected, got, f"{name}: Pipeline with routing off")


def _target_folds(y, sample_domain):
    labeled_target = np.flatnonzero(
        labeled_mask(y, sample_domain) & (sample_domain < 0)
    )
    everything = np.arange(len(y))
    return [
        (np.setdiff1d(everything, test), test)
        for test in np.array_split(labeled_target, 2)
    ]


def _zero_score(estimator, X, y=None):
    return 0.0


def check_grid_search_with_sample_domain(name, estimator):
    """``GridSearchCV(...).fit(X, y, sample_domain=sd)`` routes and slices it."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    expected = _outputs(_with_seed(estimator).fit(X, y, sample_domain=sample_domain), X)
    scoring = (
        None if (is_classifier(estimator) or is_regressor(estimator)) else _zero_score
    )
    for routing in (True, False):
        search = GridSearchCV(
            _with_seed(estimator),
            param_grid={},
            cv=_target_folds(y, sample_domain),
            scoring=scoring,
            error_score="raise",
        )
        with config_context(enable_metadata_routing=routing):
            search.fit(X, y, sample_domain=sample_domain)
        _assert_same_outputs(
            expected,
            _outputs(search.best_estimator_, X),
            f"{name}: GridSearchCV with routing {'on' if routing else 'off'}",
        )


def check_fit_requests_sample_domain(name, estimator):
    """``fit`` requests ``sample_domain`` by default (``__metadata_request__fit``).

    A router (a pipeline) must route it to a step that requests it.
    """
    with config_context(enable_metadata_routing=True):
        routing = estimator.get_metadata_routing()
        if isinstance(routing, MetadataRouter):
            requested = bool(routing.consumes("fit", ["sample_domain"]))
        else:
            requested = routing.fit.requests.get("sample_domain") is True
    assert requested, (
        f"{name}.fit does not request sample_domain by default; inherit from "
        "sktransfer.utils.DomainAwareMixin"
    )


def check_bad_sample_domain(name, estimator):
    """Wrong length, float and zero domains are refused with clear messages."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    estimator = _with_seed(estimator)
    cases = [
        (
            sample_domain[:-10],
            ValueError,
            "sample_domain has 110 entries but X has 120",
        ),
        (sample_domain.astype(float), TypeError, "sample_domain must hold integers"),
        (np.where(np.arange(len(X)) == 3, 0, sample_domain), ValueError, "0 is not"),
    ]
    for bad, error, message in cases:
        try:
            clone(estimator).fit(X, y, sample_domain=bad)
        except error as exc:
            assert message in str(exc), f"{name}: unclear error {exc!r}"
        else:
            raise AssertionError(f"{name} accepted a bad sample_domain ({message})")


def check_nan_input_error(name, estimator):
    """NaN in ``X`` gives an error that says so."""
    if get_tags(estimator).input_tags.allow_nan:
        return
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    X_nan = X.copy()
    X_nan[5, 1] = np.nan
    try:
        clone(estimator).fit(X_nan, y, sample_domain=sample_domain)
    except ValueError as exc:
        assert "NaN" in str(exc), f"{name}: error on NaN input does not say so: {exc}"
    else:
        raise AssertionError(f"{name} fitted on X with NaN without an error")


def check_n_features_mismatch_error(name, estimator):
    """New rows with another feature count give an error naming the counts."""
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    fitted = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    for method in _outputs(fitted, X[:2]):
        try:
            getattr(fitted, method)(X[:, :-1])
        except ValueError as exc:
            assert re.search(r"3 features", str(exc)), (
                f"{name}.{method}: error does not name the feature counts: {exc}"
            )
        else:
            raise AssertionError(f"{name}.{method} accepted rows with 3 features")


def check_skops_round_trip(name, estimator):
    """A fitted model survives skops with sktransfer's trusted types only.

    Dumps with :func:`sktransfer.utils.dump`, loads with
    :func:`sktransfer.utils.load` (the types of
    :func:`~sktransfer.utils.get_trusted_types`, scikit-learn's trees
    included; an estimator from another package also trusts that package's
    own types) and compares the outputs, which must be identical.
    """
    import io
    from unittest import SkipTest

    from ._persistence import dump, get_trusted_types, load

    try:
        import skops.io
    except ImportError as exc:
        raise SkipTest(
            "skops is not installed: pip install 'sktransfer[persist]'"
        ) from exc
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    fitted = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    buffer = io.BytesIO()
    dump(fitted, buffer)
    untrusted = set(skops.io.get_untrusted_types(data=buffer.getvalue()))
    package = type(fitted).__module__.partition(".")[0]
    own = [
        t for t in untrusted if package != "sktransfer" and t.startswith(f"{package}.")
    ]
    missing = untrusted - set(get_trusted_types(trees=True)) - set(own)
    assert not missing, (
        f"{name}: a fitted model holds types that "
        f"sktransfer.utils.get_trusted_types() does not list: {sorted(missing)}. "
        "If loading them runs no code, list them in sktransfer/utils/_persistence.py."
    )
    restored = load(io.BytesIO(buffer.getvalue()), trusted=own, trees=True)
    _assert_same_outputs(
        _outputs(fitted, X), _outputs(restored, X), f"{name}: skops round trip"
    )


@contextmanager
def _every_torch_warning():
    """Let torch repeat its warn-once warnings (a non-writable array, ...).

    Otherwise the first test of a session that triggers one hides it from
    every later check.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    warn_always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        yield
    finally:
        torch.set_warn_always(warn_always)


def _fit_recording_warnings(estimator, X, y, **fit_params):
    """Fit a seeded clone; return it and the warnings its fit raised."""
    estimator = _with_seed(estimator)
    with warnings.catch_warnings(record=True) as caught, _every_torch_warning():
        warnings.simplefilter("always")
        estimator.fit(X, y, **fit_params)
    return estimator, [
        w
        for w in caught
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
    ]


def _warning_text(w):
    return f"{w.category.__name__}: {w.message}"


def _assert_finite_outputs(name, outputs, n_rows, context):
    for method, values in outputs.items():
        assert values.shape[0] == n_rows, (
            f"{name}.{method} returned {values.shape[0]} rows for {n_rows} ({context})"
        )
        if values.dtype.kind in "fc":
            assert np.isfinite(values).all(), (
                f"{name}.{method} returned nan or inf ({context})"
            )


def check_string_labels_with_unlabeled_marker(name, estimator):
    """String labels beside the unlabeled marker: the marker never becomes a class.

    The labels are ``"cat"`` and ``"dog"``; unlabeled target rows carry the
    number ``-1`` (in an object array) or the string ``"-1"`` (in an object
    array, and in a numpy string array, where numpy turns ``-1`` into
    ``"-1"``). A classifier's ``classes_`` are the two names and it predicts
    only them; a transformer taking ``y`` fits and transforms.
    """
    X, y, sample_domain, y_true = make_transfer_check_data(estimator)
    unlabeled = ~labeled_mask(y, sample_domain)
    names = np.array(["cat", "dog"], dtype=object)[y_true]
    cases = {
        "object labels, int -1 marker": np.where(unlabeled, UNLABELED, names),
        "object labels, '-1' marker": np.where(unlabeled, "-1", names),
        "string labels, '-1' marker": np.where(unlabeled, "-1", names.astype(str)),
    }
    for case, labels in cases.items():
        fitted = _with_seed(estimator)
        try:
            fitted.fit(X, labels, sample_domain=sample_domain)
        except Exception as exc:
            raise AssertionError(
                f"{name}.fit failed on {case}: {type(exc).__name__}: {exc}"
            ) from exc
        outputs = _outputs(fitted, X)
        _assert_finite_outputs(name, outputs, X.shape[0], case)
        if not is_classifier(fitted):
            continue
        assert list(fitted.classes_) == ["cat", "dog"], (
            f"{name} has classes_ {list(fitted.classes_)} with {case}: the "
            "unlabeled marker became a class"
        )
        predicted = set(outputs["predict"].tolist())
        assert predicted <= {"cat", "dog"}, (
            f"{name} predicts {sorted(map(str, predicted))} with {case}"
        )
        if "predict_proba" in outputs:
            assert outputs["predict_proba"].shape == (X.shape[0], 2), (
                f"{name}.predict_proba has shape {outputs['predict_proba'].shape} "
                f"with {case}"
            )


def check_float32_and_negative_strides(name, estimator):
    """float32 input, and views with negative strides (``X[::-1]``), fit and predict.

    A fit on the reversed views ``X[::-1]``, ``y[::-1]``, ``sample_domain[::-1]``
    equals a fit on contiguous copies of them; a fitted model gives the same
    outputs on a negative-stride view as on its copy; a model fitted on
    float32 rows predicts float64 rows, and the other way round.
    """
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    X32 = X.astype(np.float32)
    X_view, y_view, sd_view = X32[::-1], y[::-1], sample_domain[::-1]
    copies = [np.ascontiguousarray(a) for a in (X_view, y_view, sd_view)]
    try:
        on_view = _with_seed(estimator).fit(X_view, y_view, sample_domain=sd_view)
    except Exception as exc:
        raise AssertionError(
            f"{name}.fit failed on float32 arrays with negative strides "
            f"(X[::-1]): {type(exc).__name__}: {exc}"
        ) from exc
    on_copy = _with_seed(estimator).fit(copies[0], copies[1], sample_domain=copies[2])
    # the memory layout may change the rounding of float32 products, no more
    float32_rounding = {"exact": False, "rtol": 1e-5, "atol": 1e-6}
    _assert_same_outputs(
        _outputs(on_view, X32),
        _outputs(on_copy, X32),
        f"{name}: a fit on X[::-1] differs from a fit on its contiguous copy",
        **float32_rounding,
    )
    _assert_same_outputs(
        _outputs(on_copy, X_view),
        _outputs(on_copy, copies[0]),
        f"{name}: outputs on X[::-1] differ from outputs on its contiguous copy",
        **float32_rounding,
    )
    on_float64 = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    for model, rows, context in (
        (on_copy, X, "float64 rows, model fitted on float32"),
        (on_float64, X32, "float32 rows, model fitted on float64"),
    ):
        _assert_finite_outputs(name, _outputs(model, rows), X.shape[0], context)


def check_refit_equals_fresh_fit(name, estimator):
    """A second ``fit`` on other data equals a fresh fit on that data.

    The first fit sees other rows, one more feature and (for a classifier)
    other class labels; nothing of it may reach the second fit.
    """
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    X_other, y_other, sd_other, _ = make_transfer_check_data(estimator, random_state=1)
    X_other = np.hstack([X_other, X_other[:, :1] ** 2])
    if is_regressor(estimator):
        y_other = 10.0 * y_other
    else:
        y_other = np.where(labeled_mask(y_other, sd_other), y_other + 1, UNLABELED)
    refitted = _with_seed(estimator).fit(X_other, y_other, sample_domain=sd_other)
    refitted.fit(X, y, sample_domain=sample_domain)
    fresh = _with_seed(estimator).fit(X, y, sample_domain=sample_domain)
    _assert_same_outputs(
        _outputs(fresh, X),
        _outputs(refitted, X),
        f"{name}: a second fit carries state from the first; it differs from a "
        "fresh fit on the same data",
    )


def _read_only(array):
    array = np.array(array)
    array.setflags(write=False)
    return array


def check_read_only_inputs(name, estimator):
    """Read-only ``X``, ``y`` and ``sample_domain`` give the same model, silently.

    The arrays have ``flags.writeable=False``, as memory-mapped data and the
    arrays of pandas' copy-on-write objects do; ``sample_domain`` is also
    passed as a pandas Series. The fit must not warn more than on writable
    copies, and the model must be the same.
    """
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    expected, expected_warnings = _fit_recording_warnings(
        estimator, X, y, sample_domain=sample_domain
    )
    cases = {
        "read-only X, y and sample_domain": (
            _read_only(X),
            _read_only(y),
            _read_only(sample_domain),
        )
    }
    try:
        import pandas
    except ImportError:  # pragma: no cover - pandas is a test dependency
        pass
    else:
        cases["sample_domain as a pandas Series"] = (X, y, pandas.Series(sample_domain))
    allowed = {_warning_text(w) for w in expected_warnings}
    problems = []
    for case, (X_case, y_case, sd_case) in cases.items():
        fitted, caught = _fit_recording_warnings(
            estimator, X_case, y_case, sample_domain=sd_case
        )
        extra = [_warning_text(w) for w in caught if _warning_text(w) not in allowed]
        if extra:
            problems.append(f"with {case} warns: {extra[0]}")
        _assert_same_outputs(
            _outputs(expected, X), _outputs(fitted, X), f"{name}: {case}"
        )
    assert not problems, f"{name}.fit " + "; ".join(problems)


def _caller_location():
    """Where a warning of the caller's ``fit`` must point: its first frame
    outside sktransfer and the libraries it calls (see ``utils._warnings``)."""
    frame = sys._getframe(1)
    while frame is not None and _is_library_frame(frame):
        frame = frame.f_back
    if frame is None:  # pragma: no cover - called from library code only
        return None
    return frame.f_code.co_filename, frame.f_lineno


def check_fit_warnings_point_at_the_caller(name, estimator):
    """Every warning ``fit`` raises points at the line that called ``fit``.

    Under scikit-learn's ``_fit_context``, a pipeline or skorch's loop,
    ``warnings.warn(..., stacklevel=2)`` points into the library; sktransfer's
    own ``warn`` points at the first frame outside the libraries, which is
    where the check's caller runs it. Besides the check data, the fit runs on
    data that provokes warnings: no labeled target row and far-shifted
    domains. Deprecation warnings are left out.
    """
    X, y, sample_domain, _ = make_transfer_check_data(estimator)
    provoking = X + np.where(sample_domain < 0, 10.0, 0.0)[:, None]
    marker = np.nan if is_regressor(estimator) else UNLABELED
    y_hidden = np.where(sample_domain < 0, marker, y)
    location = _caller_location()
    for X_case, y_case in ((X, y), (provoking, y_hidden)):
        try:
            _, caught = _fit_recording_warnings(
                estimator, X_case, y_case, sample_domain=sample_domain
            )
        except (ValueError, TypeError):
            continue  # refusing data without target labels is allowed
        for w in caught:
            assert (w.filename, w.lineno) == location, (
                f"{name}.fit raised a warning that points at "
                f"{w.filename}:{w.lineno} instead of the caller's line "
                f"{location[0]}:{location[1]}: {_warning_text(w)}. Warn with "
                "sktransfer.utils._warnings.warn."
            )


def _says_y_is_missing(message):
    """Whether an error names ``y`` and says it is missing or needed."""
    return bool(
        re.search(r"\by\b", message)
        and re.search(
            r"\b(None|required|requires|missing|needs?|needed|without)\b",
            message,
            re.IGNORECASE,
        )
    )


def check_fit_without_y(name, estimator):
    """``fit(X, None, sample_domain=sd)`` works, or says that ``y`` is needed.

    An estimator whose tags say it needs ``y`` (``target_tags.required``) must
    raise a ValueError or TypeError whose message says that ``y`` is missing,
    not a low-level error about the shape of ``None``.
    """
    X, _, sample_domain, _ = make_transfer_check_data(estimator)
    estimator = _with_seed(estimator)
    try:
        estimator.fit(X, None, sample_domain=sample_domain)
    except (ValueError, TypeError) as exc:
        assert _says_y_is_missing(str(exc)), (
            f"{name}.fit(X, None, sample_domain=...) raised an error that does "
            f"not say y is needed: {type(exc).__name__}: {exc}"
        )
        return
    except Exception as exc:
        raise AssertionError(
            f"{name}.fit(X, None, sample_domain=...) raised {type(exc).__name__}: "
            f"{exc}; expected a fit or a ValueError saying y is needed"
        ) from exc
    assert not get_tags(estimator).target_tags.required, (
        f"{name} declares that it needs y (target_tags.required) but fits without it"
    )
    _assert_finite_outputs(name, _outputs(estimator, X), X.shape[0], "fit without y")


def check_transform_before_fit(name, estimator):
    """``transform`` before ``fit`` raises NotFittedError.

    scikit-learn's ``check_estimators_unfitted`` checks ``predict``,
    ``predict_proba`` and ``decision_function``, but accepts any
    AttributeError or ValueError from ``transform``.
    """
    X, _, _, _ = make_transfer_check_data(estimator)
    try:
        clone(estimator).transform(X)
    except NotFittedError:
        return
    except Exception as exc:
        raise AssertionError(
            f"{name}.transform before fit raised {type(exc).__name__}: {exc}; "
            "expected NotFittedError (call check_is_fitted first)"
        ) from exc
    raise AssertionError(f"{name}.transform before fit did not raise")


# --- property-based layer ---------------------------------------------------------


def _hypothesis():
    try:
        import hypothesis
        import hypothesis.strategies  # noqa: F401
    except ImportError as exc:  # pragma: no cover - hypothesis is a test extra
        raise ImportError(
            "The property-based checks need hypothesis: pip install "
            "'sktransfer[test]' (or pip install hypothesis)."
        ) from exc
    return hypothesis


#: Domain layouts :func:`sample_domains` draws from, simplest first.
DOMAIN_LAYOUTS = {
    "one source, one target": (1, -1),
    "two sources, two targets": (1, 2, -1, -2),
    "all source": (1,),
    "all target": (-1,),
}

#: dtypes of ``X`` that :func:`feature_arrays` draws from, simplest first.
FEATURE_DTYPES = (
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int8,
    np.uint8,
    np.bool_,
    object,
)

_SPARSE_DTYPES = (np.float64, np.float32, np.int64, np.int32)


def sample_domains(*, max_rows_per_domain=3, layouts=None):
    """Hypothesis strategy of ``sample_domain`` arrays.

    Parameters
    ----------
    max_rows_per_domain : int, default=3
        Each domain gets 1 to this many rows.
    layouts : list of str, default=None
        Keys of :data:`DOMAIN_LAYOUTS` to draw from; ``None`` draws from all:
        one source and one target, two of each, all rows source, all target.

    Returns
    -------
    strategy : hypothesis strategy
        Of int64 arrays of shape (n_samples,), rows in a drawn order.

    Examples
    --------
    >>> from hypothesis import given
    >>> from sktransfer.utils.estimator_checks import sample_domains
    >>> @given(sample_domains())
    ... def test_no_zero_domain(sample_domain):
    ...     assert (sample_domain != 0).all()
    >>> test_no_zero_domain()
    """
    st = _hypothesis().strategies
    names = list(DOMAIN_LAYOUTS) if layouts is None else list(layouts)

    @st.composite
    def draw_sample_domain(draw):
        domains = DOMAIN_LAYOUTS[draw(st.sampled_from(names))]
        counts = [draw(st.integers(1, max_rows_per_domain)) for _ in domains]
        sample_domain = np.repeat(np.asarray(domains, dtype=np.int64), counts)
        order = draw(st.permutations(range(sample_domain.size)))
        return sample_domain[list(order)]

    return draw_sample_domain()


def _cast(values, dtype, scale):
    """``values`` (in [-1, 1]) at ``scale``, in ``dtype`` where it can hold them."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return values > 0
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        magnitude = min(max(scale, 10.0), float(info.max))
        if dtype.kind == "u":
            values = np.abs(values)
        return np.clip(np.round(values * magnitude), info.min, info.max).astype(dtype)
    if dtype == np.float16:
        return (values * min(max(scale, 1e-4), 1e4)).astype(np.float16)
    return (values * scale).astype(dtype)


def feature_arrays(n_samples, *, sparse=False, three_d=False, dtypes=FEATURE_DTYPES):
    """Hypothesis strategy of input arrays ``X`` with ``n_samples`` rows.

    It draws the dtype, the number of features (1, 2, 5 or 40, more than the
    rows), the scale (1e-12 to 1e12, as the dtype allows), constant columns
    (one or all), duplicated rows (pairs or all), and, where allowed, a
    scipy.sparse CSR or CSC matrix or a 3-d array of shape (n_samples, 2, 3).

    Parameters
    ----------
    n_samples : int
        Number of rows.
    sparse : bool, default=False
        Whether sparse matrices may be drawn (an estimator's
        ``input_tags.sparse``).
    three_d : bool, default=False
        Whether 3-d arrays may be drawn (``input_tags.three_d_array``).
    dtypes : sequence of dtypes, default=FEATURE_DTYPES
        Among them: integers, float16/32/64, bool and ``object`` (Python
        floats). Sparse matrices take the float and wide integer ones.

    Returns
    -------
    strategy : hypothesis strategy
        Of ndarrays or sparse matrices.

    Examples
    --------
    >>> from hypothesis import given
    >>> from sktransfer.utils.estimator_checks import feature_arrays
    >>> @given(feature_arrays(4, sparse=True))
    ... def test_four_rows(X):
    ...     assert X.shape[0] == 4
    >>> test_four_rows()
    """
    st = _hypothesis().strategies

    @st.composite
    def draw_features(draw):
        if three_d and draw(st.booleans()):
            shape = (n_samples, 2, 3)
        else:
            shape = (n_samples, draw(st.sampled_from((2, 5, 1, 40))))
        rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
        values = rng.uniform(-1.0, 1.0, size=shape)
        columns = draw(st.sampled_from(("varied", "one constant", "all constant")))
        if columns == "one constant":
            values[:, 0] = 0.5
        elif columns == "all constant":
            values[...] = 0.5
        rows = draw(st.sampled_from(("distinct", "duplicated pairs", "all equal")))
        if rows == "duplicated pairs":
            values = values[np.arange(n_samples) // 2 * 2]
        elif rows == "all equal":
            values = values[np.zeros(n_samples, dtype=int)]
        scale = 10.0 ** draw(st.sampled_from((0, -12, -6, 3, 12)))
        layout = "dense"
        if sparse and len(shape) == 2:
            layout = draw(st.sampled_from(("dense", "csr", "csc")))
        dtype = draw(st.sampled_from(_SPARSE_DTYPES if layout != "dense" else dtypes))
        if layout != "dense":
            values = np.where(np.abs(values) < 0.5, 0.0, values)
        X = _cast(values, dtype, scale)
        if layout == "csr":
            return sp.csr_matrix(X)
        if layout == "csc":
            return sp.csc_matrix(X)
        return X

    return draw_features()


#: Class label sets that :func:`transfer_targets` draws from, simplest first.
CLASS_LABELS = ((0, 1), (0, 1, 2), ("cat", "dog"), (-1, 1), (3,))


def transfer_targets(sample_domain, *, regression=False, optional=False):
    """Hypothesis strategy of ``y`` for the rows of ``sample_domain``.

    Classification targets take a label set of :data:`CLASS_LABELS` (integers,
    strings, ``-1`` as a class, a single class); regression targets are
    floats. Each target row is drawn labeled or unlabeled: ``-1`` for
    integer classes, the number ``-1`` (object array) or the string ``"-1"``
    (string array) for string classes, ``nan`` in regression.

    Parameters
    ----------
    sample_domain : ndarray of shape (n_samples,)
        Domains of the rows.
    regression : bool, default=False
        Whether to draw regression targets.
    optional : bool, default=False
        Whether ``None`` may be drawn (for transformers, whose ``y`` is
        optional).

    Returns
    -------
    strategy : hypothesis strategy
        Of arrays of shape (n_samples,), or None.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given
    >>> from sktransfer.utils.estimator_checks import transfer_targets
    >>> @given(transfer_targets(np.array([1, 1, -1])))
    ... def test_one_label_per_row(y):
    ...     assert y.shape == (3,)
    >>> test_one_label_per_row()
    """
    st = _hypothesis().strategies
    sample_domain = np.asarray(sample_domain)
    n_samples = sample_domain.shape[0]
    is_target = sample_domain < 0

    @st.composite
    def draw_targets(draw):
        if optional and draw(st.booleans()):
            return None
        hidden = is_target & np.asarray(
            draw(st.lists(st.booleans(), min_size=n_samples, max_size=n_samples)),
            dtype=bool,
        )
        rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
        if regression:
            y = rng.normal(size=n_samples) * 10.0 ** draw(st.sampled_from((0, 6, -6)))
            y[hidden] = np.nan
            return y
        labels = draw(st.sampled_from(CLASS_LABELS))
        y = np.asarray(labels, dtype=object)[rng.randint(len(labels), size=n_samples)]
        if isinstance(labels[0], str):
            if draw(st.booleans()):
                y = y.astype(str)
                y[hidden] = str(UNLABELED)
            else:
                y[hidden] = UNLABELED
            return y
        y = y.astype(np.int64)
        y[hidden] = UNLABELED
        return y

    return draw_targets()


def transfer_datasets(estimator, *, max_rows_per_domain=3):
    """Hypothesis strategy of ``(X, y, sample_domain)`` for ``estimator``.

    Combines :func:`sample_domains`, :func:`feature_arrays` (sparse and 3-d
    arrays as the estimator's tags allow) and :func:`transfer_targets`
    (regression targets for regressors; an optional ``y`` for estimators
    that do not require one).

    Parameters
    ----------
    estimator : estimator instance
        Its tags choose what is drawn.
    max_rows_per_domain : int, default=3
        Each domain gets 1 to this many rows.

    Returns
    -------
    strategy : hypothesis strategy
        Of ``(X, y, sample_domain)`` tuples.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.utils.estimator_checks import transfer_datasets
    >>> @settings(max_examples=5)
    ... @given(transfer_datasets(LogisticRegression()))
    ... def test_rows_agree(data):
    ...     X, y, sample_domain = data
    ...     assert X.shape[0] == y.shape[0] == sample_domain.shape[0]
    >>> test_rows_agree()
    """
    st = _hypothesis().strategies
    tags = get_tags(estimator)

    @st.composite
    def draw_dataset(draw):
        sample_domain = draw(sample_domains(max_rows_per_domain=max_rows_per_domain))
        X = draw(
            feature_arrays(
                sample_domain.shape[0],
                sparse=tags.input_tags.sparse,
                three_d=tags.input_tags.three_d_array,
            )
        )
        y = draw(
            transfer_targets(
                sample_domain,
                regression=is_regressor(estimator),
                optional=not tags.target_tags.required,
            )
        )
        return X, y, sample_domain

    return draw_dataset()


def _describe(X, y, sample_domain):
    kind = type(X).__name__ if sp.issparse(X) else "ndarray"
    labels = "None" if y is None else f"{y.dtype} {sorted(set(map(str, y)))}"
    return (
        f"X: {kind} {X.dtype} of shape {X.shape}; y: {labels}; sample_domain: "
        f"{sample_domain.tolist()}"
    )


# where a refusal of bad input may come from: sktransfer and scikit-learn
_LIBRARY_DIRS = (
    str(Path(__file__).resolve().parents[1]),
    str(Path(sklearn.__file__).resolve().parent),
)

# Messages of numpy, scipy, torch and Python's operators: an error that
# reaches the user with one of these was not caught by the library's checks.
_LOW_LEVEL_MESSAGES = re.compile(
    "|".join(
        (
            r"not supported between instances of",
            r"unsupported operand type",
            r"operands could not be broadcast",
            r"could not broadcast",
            r"zero-size array",
            r"cannot reshape array",
            r"index -?\d+ is out of bounds",
            r"too many indices",
            r"setting an array element with a sequence",
            r"must not contain infs or NaNs",
            r"[Ss]ingular matrix",
            r"did not contain a loop with signature",
            r"ufunc '\w+' not supported",
            r"cannot perform reduce",
            r"expected scalar type",
            r"mat1 and mat2",
            r"[Ee]xpected all tensors",
            r"negative strides?",
            r"object of type .* has no len",
        )
    )
)


def _error_origin(exc):
    """``file:line`` of the innermost frame of ``exc``'s traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:  # pragma: no cover - raised from C without a Python frame
        return "<unknown>", 0
    return frames[-1].filename, frames[-1].lineno


def _is_library_error(exc):
    """Whether a refusal is the library's: raised in sktransfer or scikit-learn
    (their input validation, in their words), not deeper in numpy, scipy,
    torch or Python, and not with a low-level message."""
    filename, _ = _error_origin(exc)
    origin = str(Path(filename).resolve())
    in_library = any(origin.startswith(d + "/") for d in _LIBRARY_DIRS)
    return in_library and not _LOW_LEVEL_MESSAGES.search(str(exc))


def _check_outputs_on_generated_data(name, fitted, X, y, sample_domain):
    n_rows = X.shape[0]
    outputs = _outputs(fitted, X)
    for method, values in outputs.items():
        assert values.shape[0] == n_rows, f"{name}.{method} returned wrong rows"
        numeric = values.dtype.kind in "fc"
        if values.dtype == object:
            # object outputs are numbers or class labels (strings)
            numeric = all(isinstance(v, numbers.Number) for v in values.ravel())
        if numeric:
            assert np.isfinite(values.astype(float)).all(), (
                f"{name}.{method} returned nan or inf"
            )
        if method == "transform":
            assert values.ndim == 2 and values.shape[1] >= 1, (
                f"{name}.transform returned shape {values.shape}"
            )
    if not is_classifier(fitted):
        return
    labeled_classes = set(y[labeled_mask(y, sample_domain)].tolist())
    classes = set(np.asarray(fitted.classes_).tolist())
    assert classes == labeled_classes, (
        f"{name}.classes_ is {sorted(map(str, classes))} but the labeled rows hold "
        f"{sorted(map(str, labeled_classes))}"
    )
    assert set(outputs["predict"].tolist()) <= classes, (
        f"{name}.predict returned labels outside classes_"
    )
    if "predict_proba" in outputs:
        proba = outputs["predict_proba"]
        assert proba.shape == (n_rows, len(classes)), (
            f"{name}.predict_proba has shape {proba.shape} for {len(classes)} classes"
        )
        np.testing.assert_allclose(
            proba.sum(axis=1), 1.0, atol=1e-5, err_msg=f"{name}.predict_proba"
        )


def _fit_generated(name, estimator, X, y, sample_domain):
    fitted = clone(estimator)
    case = _describe(X, y, sample_domain)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted.fit(X, y, sample_domain=sample_domain)
    except (ValueError, TypeError) as exc:
        filename, lineno = _error_origin(exc)
        assert _is_library_error(exc), (
            f"{name}.fit refused generated data with an error that is not the "
            f"library's ({type(exc).__name__} raised at {filename}:{lineno}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). {case}"
        )
        return
    except Exception as exc:
        filename, lineno = _error_origin(exc)
        raise AssertionError(
            f"{name}.fit raised {type(exc).__name__} at {filename}:{lineno} "
            f"(expected success, ValueError or TypeError): {exc}. {case}"
        ) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _check_outputs_on_generated_data(name, fitted, X, y, sample_domain)
    except AssertionError as exc:
        raise AssertionError(f"{exc}. {case}") from None
    except Exception as exc:
        filename, lineno = _error_origin(exc)
        raise AssertionError(
            f"{name} fitted but failed on its own training rows: "
            f"{type(exc).__name__} at {filename}:{lineno}: {exc}. {case}"
        ) from exc


def check_fit_on_generated_data(name, estimator, *, max_examples=10):
    """Fits on generated data succeed with finite outputs, or refuse clearly.

    Draws ``max_examples`` data sets from :func:`transfer_datasets` (many
    dtypes, 1-3 rows per domain, 1 to 40 features, scales from 1e-12 to
    1e12, constant columns, duplicated rows, sparse matrices where the tags
    allow them, string and integer labels with unlabeled markers,
    regression targets with ``nan``, every domain layout). For each, ``fit``
    must either

    - succeed, and then ``predict``, ``predict_proba``, ``decision_function``
      and ``transform`` on the same rows return one finite row per input row
      (``transform`` at least one column); a classifier's ``classes_`` are
      the labels of the labeled rows, never the unlabeled marker, and it
      predicts only them; or
    - raise a ValueError or TypeError that is the library's: raised in
      sktransfer or in scikit-learn (their validation of the input), not in
      numpy, scipy, torch or Python's operators, and without one of their
      low-level messages (``'<' not supported between instances``,
      ``zero-size array``, ``Singular matrix``, ...).

    The draws are derandomized (the same examples in every run) and not
    shrunk, so a failure reports the first failing example quickly; networks
    with a ``max_epochs`` parameter train one epoch.

    Parameters
    ----------
    name : str
        Name of the estimator, for messages.
    estimator : estimator instance
        The unfitted estimator.
    max_examples : int, default=10
        Number of generated data sets.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.utils.estimator_checks import check_fit_on_generated_data
    >>> check_fit_on_generated_data("LogisticRegression", LogisticRegression(),
    ...                             max_examples=3)
    """
    hypothesis = _hypothesis()
    estimator = _with_seed(estimator)
    if "max_epochs" in estimator.get_params():
        estimator.set_params(max_epochs=1)

    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
        suppress_health_check=list(hypothesis.HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @hypothesis.given(transfer_datasets(estimator))
    def fit_generated_data(data):
        _fit_generated(name, estimator, *data)

    fit_generated_data()


# --- registry ---------------------------------------------------------------------

# Checks that apply to every estimator. A new one is a function taking
# ``(name, estimator)`` and one line here; checks for one kind of estimator
# are yielded under their condition in _yield_transfer_checks.
_TRANSFER_CHECKS = (
    check_fit_requests_sample_domain,
    check_fit_with_sample_domain,
    check_sample_domain_none_is_all_source,
    check_clone_after_fit,
    check_pickle_round_trip,
    check_same_random_state_same_model,
    check_pipeline_routing_on,
    check_pipeline_routing_off,
    check_grid_search_with_sample_domain,
    check_bad_sample_domain,
    check_n_features_mismatch_error,
    check_skops_round_trip,
    check_float32_and_negative_strides,
    check_refit_equals_fresh_fit,
    check_read_only_inputs,
    check_fit_warnings_point_at_the_caller,
    check_fit_without_y,
    check_fit_on_generated_data,
)


def _yield_transfer_checks(estimator):
    """The checks that apply to ``estimator``, and only those.

    A check that does not apply is not yielded (rather than returning early),
    so that the test ids list only checks that ran.
    """
    tags = get_tags(estimator)
    yield from _TRANSFER_CHECKS
    if is_classifier(estimator):
        yield check_minus_one_is_a_source_class
    if not is_regressor(estimator):
        yield check_string_labels_with_unlabeled_marker
    if not tags.input_tags.allow_nan:
        yield check_nan_input_error
    if hasattr(estimator, "transform"):
        yield check_transform_before_fit


def check_transfer_estimator(estimator):
    """Run the transfer checks that apply to ``estimator``; raise on a failure.

    Parameters
    ----------
    estimator : estimator instance
        An unfitted estimator that keeps the domain contract.

    Examples
    --------
    >>> from sktransfer.utils.estimator_checks import check_transfer_estimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> check_transfer_estimator(LogisticRegression())
    Traceback (most recent call last):
    ...
    AssertionError: LogisticRegression.fit does not request sample_domain ...
    """
    name = type(estimator).__name__
    for check in _yield_transfer_checks(estimator):
        check(name, clone(estimator))


def parametrize_with_transfer_checks(estimators):
    """Pytest decorator running every transfer check that applies to each estimator.

    Use it beside scikit-learn's
    :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`; the test
    function takes the arguments ``estimator`` and ``check``. The ids are
    ``EstimatorName-check_name``, one per check that applies.

    Parameters
    ----------
    estimators : list of estimator instances

    Returns
    -------
    decorator : pytest.mark.parametrize

    Examples
    --------
    >>> from sktransfer.utils import all_estimators
    >>> from sktransfer.utils.estimator_checks import (
    ...     parametrize_with_transfer_checks)
    >>> transformers = [cls() for _, cls in all_estimators(type_filter="transformer")]
    >>> @parametrize_with_transfer_checks(transformers)
    ... def test_transfer_contract(estimator, check):
    ...     check(estimator)
    """
    import pytest

    cases = [
        pytest.param(
            estimator,
            partial(check, type(estimator).__name__),
            id=f"{type(estimator).__name__}-{check.__name__}",
        )
        for estimator in estimators
        for check in _yield_transfer_checks(estimator)
    ]
    return pytest.mark.parametrize("estimator, check", cases)
