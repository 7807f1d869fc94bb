"""Tests of the domain contract module."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from sktransfer import source_target_merge, source_target_split
from sktransfer.utils import (
    DomainAwareMixin,
    check_sample_domain,
    encode_classes,
    hide_target_labels,
    labeled_mask,
    validate_domain_data,
)

X = np.arange(20.0).reshape(10, 2)
DOMAINS = np.array([1, 1, 1, 1, 1, -1, -1, -1, -1, -1])


def test_none_means_every_row_is_source():
    np.testing.assert_array_equal(check_sample_domain(None, X), np.ones(10))


def test_valid_domains_come_back_as_int64():
    sd = check_sample_domain(DOMAINS.astype(np.int8), X)
    assert sd.dtype == np.int64
    np.testing.assert_array_equal(sd, DOMAINS)


@pytest.mark.parametrize(
    "sample_domain, error, message",
    [
        (DOMAINS[:9], ValueError, "sample_domain has 9 entries but X has 10 rows"),
        (DOMAINS.astype(float), TypeError, "sample_domain must hold integers"),
        (np.array(["s"] * 10), TypeError, "got dtype <U1"),
        ("source", TypeError, "must be a 1-d array of integers"),
        (DOMAINS.reshape(5, 2), ValueError, "must be a 1-d array"),
        (np.where(np.arange(10) == 7, 0, DOMAINS), ValueError, "first: row 7"),
    ],
)
def test_bad_sample_domain_is_refused(sample_domain, error, message):
    with pytest.raises(error, match=message):
        check_sample_domain(sample_domain, X)


def test_missing_sample_domain_when_target_rows_are_needed():
    with pytest.raises(ValueError, match="Foo needs target rows, but sample_domain is"):
        check_sample_domain(None, X, require_target=True, estimator_name="Foo")


@pytest.mark.parametrize(
    "kwargs, sample_domain, message",
    [
        ({"require_target": True}, np.ones(10, int), "no negative entry"),
        ({"require_source": True}, -np.ones(10, int), "no positive entry"),
        ({"allow_multi_source": False}, np.r_[[1, 2] * 5], r"single source.*\[1, 2\]"),
        ({"allow_multi_target": False}, np.r_[[-1, -2] * 5], "single target"),
    ],
)
def test_required_domains(kwargs, sample_domain, message):
    with pytest.raises(ValueError, match=message):
        check_sample_domain(sample_domain, X, **kwargs)


def test_require_labeled_target():
    y = np.array([0, 1, 0, 1, 0, -1, -1, -1, -1, -1])
    with pytest.raises(
        ValueError, match=r"every target row is marked unlabeled \(y = -1"
    ):
        check_sample_domain(DOMAINS, X, y, require_labeled_target=True)
    y[6] = 1
    check_sample_domain(DOMAINS, X, y, require_labeled_target=True)


def test_minus_one_is_a_class_on_source_rows():
    y = np.array([-1, 1, -1, 1, 1, -1, -1, -1, -1, -1])
    check_sample_domain(DOMAINS, X, y)
    np.testing.assert_array_equal(labeled_mask(y, DOMAINS), DOMAINS > 0)


def test_minus_one_on_source_rows_meant_as_unlabeled_is_refused():
    y = np.array([0, 1, -1, 2, 1, -1, -1, 0, -1, -1])
    with pytest.raises(ValueError, match="Only target rows can be unlabeled"):
        check_sample_domain(DOMAINS, X, y)
    # when no target row uses the unlabeled marker, -1 is just a class
    y[DOMAINS < 0] = 0
    check_sample_domain(DOMAINS, X, y)


def test_nan_on_source_rows_in_regression_is_refused():
    y = np.linspace(0, 1, 10)
    y[[1, 8]] = np.nan
    with pytest.raises(
        ValueError, match=r"y is nan on 1 source row\(s\) \(first: row 1\)"
    ):
        check_sample_domain(DOMAINS, X, y)
    y[1] = 0.5
    check_sample_domain(DOMAINS, X, y)
    np.testing.assert_array_equal(labeled_mask(y, DOMAINS), np.arange(10) != 8)


def test_y_length_must_match():
    with pytest.raises(ValueError, match="y has 9 entries but X has 10 rows"):
        check_sample_domain(DOMAINS, X, np.zeros(9))


def test_merge_then_split_is_identity():
    rng = np.random.RandomState(0)
    Xs, ys, Xt, yt = rng.rand(4, 3), np.array([0, 1, 1, 0]), rng.rand(3, 3), None
    X_all, y_all, sd = source_target_merge(Xs, ys, Xt, yt, target_domain=-2)
    np.testing.assert_array_equal(sd, [1, 1, 1, 1, -2, -2, -2])
    np.testing.assert_array_equal(y_all, [0, 1, 1, 0, -1, -1, -1])
    Xs2, ys2, Xt2, yt2 = source_target_split(X_all, y_all, sample_domain=sd)
    np.testing.assert_array_equal(Xs2, Xs)
    np.testing.assert_array_equal(Xt2, Xt)
    np.testing.assert_array_equal(ys2, ys)
    np.testing.assert_array_equal(yt2, [-1, -1, -1])


def test_merge_regression_marks_unlabeled_with_nan():
    _, y_all, _ = source_target_merge(np.ones((2, 1)), [0.5, 1.5], np.ones((2, 1)))
    assert np.isnan(y_all[2:]).all()


def test_merge_sparse():
    X_all, _, sd = source_target_merge(sp.eye(3, format="csr"), [0, 1, 0], np.eye(3))
    assert sp.issparse(X_all) and X_all.shape == (6, 3)
    Xs, Xt = source_target_split(X_all, sample_domain=sd)
    assert sp.issparse(Xs) and Xs.shape == (3, 3)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (
            (np.ones((2, 3)), [0, 1], np.ones((2, 4))),
            {},
            "X_source has 3 features but X_target has 4",
        ),
        (
            (np.ones((2, 3)), [0], np.ones((2, 3))),
            {},
            "y_source has 1 entries but X_source has 2",
        ),
        ((np.ones((2, 3)), [0, 1], np.ones((2, 3)), [0]), {}, "y_target has 1 entries"),
        ((np.ones((2, 3)), None, np.ones((2, 3)), [0, 1]), {}, "y_source is None"),
        (
            (np.ones(2), [0, 1], np.ones((2, 3))),
            {},
            "X_source must have one row per sample",
        ),
        (
            (np.ones((2, 3)), [0, 1], np.ones((2, 3))),
            {"target_domain": 1},
            "negative int",
        ),
        (
            (np.ones((2, 3)), [0, 1], np.ones((2, 3))),
            {"source_domain": 0},
            "positive int",
        ),
    ],
)
def test_merge_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        source_target_merge(*args, **kwargs)


def test_hide_target_labels_keeps_the_asked_number_per_domain():
    y = np.tile([0, 1], 20)
    sd = np.repeat([1, -1, -2], [10, 15, 15])
    y_masked = hide_target_labels(y, sd, n_labeled=4, random_state=0)
    np.testing.assert_array_equal(y_masked[:10], y[:10])
    for domain in (-1, -2):
        rows = sd == domain
        assert (y_masked[rows] != -1).sum() == 4
        kept = rows & (y_masked != -1)
        np.testing.assert_array_equal(y_masked[kept], y[kept])
    per_class = hide_target_labels(y, sd, n_labeled=2, per_class=True, random_state=0)
    for domain in (-1, -2):
        kept = per_class[(sd == domain) & (per_class != -1)]
        np.testing.assert_array_equal(np.bincount(kept), [2, 2])


def test_hide_target_labels_regression_and_errors():
    sd = np.array([1, -1, -1])
    assert np.isnan(hide_target_labels([0.1, 0.2, 0.3], sd)[1:]).all()
    with pytest.raises(ValueError, match="n_labeled must be a non-negative int"):
        hide_target_labels([0, 1, 1], sd, n_labeled=-1)
    with pytest.raises(TypeError, match="needs class labels"):
        hide_target_labels(np.array([1 + 2j, 1j, 0j]), sd)


def test_hide_target_labels_on_short_strings_gives_the_full_marker():
    # "-1" does not fit in the dtype <U1 of ["a", "b"]: the result is objects
    y = hide_target_labels(np.array(["a", "b", "b"]), [1, -1, -1])
    assert y.dtype == object
    assert y.tolist() == ["a", -1, -1]
    assert labeled_mask(y, [1, -1, -1]).tolist() == [True, False, False]


@pytest.mark.parametrize(
    "y",
    [
        np.array(["cat", "dog", -1, "cat", -1], dtype=object),
        np.array(["cat", "dog", "-1", "cat", "-1"]),
        np.array(["cat", "dog", "-1", "cat", "-1"], dtype=object),
    ],
    ids=["object-int-marker", "str-marker", "object-str-marker"],
)
def test_marker_among_string_labels_is_never_a_class(y):
    sd = np.array([1, 1, -1, -1, -1])
    assert labeled_mask(y, sd).tolist() == [True, True, False, True, False]
    classes, codes = encode_classes(y, sd)
    assert classes.tolist() == ["cat", "dog"]
    assert codes.tolist() == [0, 1, -1, 0, -1]


def test_marker_is_a_class_on_source_rows_only_for_numbers():
    sd = np.array([1, 1, 1, -1])
    classes, _ = encode_classes(np.array([-1, 0, 1, -1]), [1, 1, -1, -1])
    assert classes.tolist() == [-1, 0, 1]
    with pytest.raises(ValueError, match="other classes are"):
        check_sample_domain(
            sd, np.zeros((4, 1)), np.array(["cat", "dog", -1, -1], object)
        )


def test_encode_classes_refuses_unknown_and_continuous_labels():
    with pytest.raises(ValueError, match=r"labels \['bird'\] that are not among"):
        encode_classes(["cat", "bird"], classes=["cat", "dog"])
    with pytest.raises(ValueError, match="Unknown label type"):
        encode_classes([0.5, 1.5, 2.25])
    classes, codes = encode_classes(["b", "a", "b"], classes=["b", "a"])
    assert codes.tolist() == [0, 1, 0]


def test_minus_one_is_a_value_in_regression():
    y = np.array([0.5, -1.0, -1.0, np.nan])
    sd = np.array([1, 1, -1, -1])
    assert labeled_mask(y, sd, regression=True).tolist() == [True, True, True, False]


class _Consumer(DomainAwareMixin, BaseEstimator):
    def fit(self, X, y=None, *, sample_domain=None):
        self.X_, self.y_, self.sample_domain_ = validate_domain_data(
            self, X, y, sample_domain, require_target=True
        )
        return self


def test_validate_domain_data_names_the_estimator_and_allows_nan_markers():
    with pytest.raises(ValueError, match="_Consumer needs target rows"):
        _Consumer().fit(X, np.zeros(10))
    y = np.where(DOMAINS < 0, np.nan, 1.0)
    est = _Consumer().fit(X, y, sample_domain=DOMAINS)
    assert est.n_features_in_ == 2 and np.isnan(est.y_).sum() == 5
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _Consumer().fit(np.where(X == 3, np.nan, X), y, sample_domain=DOMAINS)
    with pytest.raises(ValueError, match="y contains infinity"):
        _Consumer().fit(X, np.where(DOMAINS < 0, np.inf, 1.0), sample_domain=DOMAINS)


def test_mixin_requests_sample_domain_for_fit_only():
    routing = _Consumer().get_metadata_routing()
    assert routing.fit.requests == {"sample_domain": True}


@pytest.mark.parametrize(
    "sample_domain, message",
    [
        ([1, 1, 1, -1], "needs at least 2 target rows to see, got 1"),
        ([1, -1, -1, -1], "needs at least 2 source rows to see, got 1"),
        (
            [1, 1, 2, -1, -1],
            "needs at least 2 rows in each source domain to see; domain 2 has 1",
        ),
    ],
)
def test_row_minimums_name_the_short_domain(sample_domain, message):
    X = np.zeros((len(sample_domain), 2))
    with pytest.raises(ValueError, match=f"^Adapter {message}"):
        check_sample_domain(
            sample_domain,
            X,
            min_source_rows=2,
            min_target_rows=2,
            min_rows_reason="to see",
            estimator_name="Adapter",
        )


def test_row_minimums_apply_only_when_the_fit_adapts():
    X = np.zeros((1, 2))
    for sample_domain in ([1], [-1], None):
        check_sample_domain(sample_domain, X, min_source_rows=2, min_target_rows=2)


def test_base_domain_adapter_checks_its_requirements_with_its_name():
    from sklearn.base import clone

    from sktransfer.utils import BaseDomainAdapter

    class NeedsTarget(BaseDomainAdapter):
        _domain_requirements = {"require_target": True}

        def fit(self, X, y=None, *, sample_domain=None):
            self._validate_domain_data(X, y, sample_domain)
            return self

    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="^NeedsTarget needs target rows"):
        NeedsTarget().fit(X, sample_domain=[1, 1, 1])
    fitted = clone(NeedsTarget()).fit(X, sample_domain=[1, 1, -1])
    assert fitted.n_features_in_ == 2
    assert NeedsTarget().get_metadata_routing().fit.requests == {"sample_domain": True}
