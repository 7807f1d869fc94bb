"""Checks that every sktransfer estimator keeps the domain contract.

scikit-learn's :func:`~sklearn.utils.estimator_checks.check_estimator` tests
the plain path (``sample_domain=None``). The checks here test the transfer
path: fitting with source, labeled target and unlabeled target rows, cloning,
pickling, seeding, pipelines and grid search with and without metadata
routing, and the errors bad input must raise. :func:`parametrize_with_transfer_checks`
turns them into pytest cases, so exporting an estimator is all it takes to
have it checked.
"""

import pickle
import re
from functools import partial

import numpy as np
from sklearn import config_context
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import MetadataRouter

from .._domain import UNLABELED, hide_target_labels, labeled_mask

__all__ = [
    "check_transfer_estimator",
    "make_transfer_check_data",
    "parametrize_with_transfer_checks",
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
            outputs[method] = np.asarray(getattr(estimator, method)(X))
    if not outputs:
        raise TypeError(
            f"{type(estimator).__name__} has none of predict, predict_proba, "
            "decision_function or transform; the transfer checks cannot run on it."
        )
    return outputs


def _assert_same_outputs(first, second, context, *, exact=True):
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
                rtol=1e-6,
                atol=1e-8,
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


_TRANSFER_CHECKS = (
    check_fit_requests_sample_domain,
    check_fit_with_sample_domain,
    check_minus_one_is_a_source_class,
    check_sample_domain_none_is_all_source,
    check_clone_after_fit,
    check_pickle_round_trip,
    check_same_random_state_same_model,
    check_pipeline_routing_on,
    check_pipeline_routing_off,
    check_grid_search_with_sample_domain,
    check_bad_sample_domain,
    check_nan_input_error,
    check_n_features_mismatch_error,
    check_skops_round_trip,
)


def _yield_transfer_checks(estimator):
    name = type(estimator).__name__
    for check in _TRANSFER_CHECKS:
        yield estimator, partial(check, name)


def check_transfer_estimator(estimator):
    """Run every transfer check on ``estimator``; raise on the first failure.

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
    for est, check in _yield_transfer_checks(estimator):
        check(clone(est))


def parametrize_with_transfer_checks(estimators):
    """Pytest decorator running every transfer check on every estimator.

    Use it beside scikit-learn's
    :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`; the test
    function takes the arguments ``estimator`` and ``check``.

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
        pytest.param(est, check, id=f"{type(est).__name__}-{check.func.__name__}")
        for estimator in estimators
        for est, check in _yield_transfer_checks(estimator)
    ]
    return pytest.mark.parametrize("estimator, check", cases)
