"""Tests of the synthetic domain shifts (make_domain_shift, load_shifted_digits)."""

import re

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils import Bunch

from sktransfer import source_target_split
from sktransfer.datasets import load_shifted_digits, make_domain_shift

SHIFTS = ["covariate", "label", "concept", "subspace"]
DIGIT_SHIFTS = ["rotation", "blur", "translation", "noise", "contrast", "inversion"]


def _split(X, y, sample_domain):
    return source_target_split(X, y, sample_domain=sample_domain)


def _source_only_and_target_trained(X, y, sample_domain):
    """Target accuracy of a linear model fitted on the source, and of one fitted
    on half of the target (both scored on the other half of the target)."""
    X_s, y_s, X_t, y_t = _split(X, y, sample_domain)
    half = X_t.shape[0] // 2
    source_only = LogisticRegression().fit(X_s, y_s).score(X_t[half:], y_t[half:])
    target = LogisticRegression().fit(X_t[:half], y_t[:half])
    return source_only, target.score(X_t[half:], y_t[half:])


def _domain_accuracy(X, y, sample_domain):
    """Cross-validated accuracy of a classifier telling the domains apart from
    the joint (x, y): quadratic features of x and the one-hot label, so that
    it sees shifts of P(x), of P(y) and of P(y | x)."""
    onehot = (y[:, None] == np.unique(y)[None, :]).astype(float)
    Z = np.hstack([X, onehot])
    clf = make_pipeline(
        PolynomialFeatures(2), StandardScaler(), LogisticRegression(C=0.1)
    )
    return cross_val_score(clf, Z, sample_domain, cv=5).mean()


# --------------------------------------------------------------------------
# make_domain_shift: format
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shift", SHIFTS)
def test_shapes_dtypes_and_domains(shift):
    X, y, sample_domain = make_domain_shift(
        30, 20, shift=shift, n_features=4, n_classes=3, random_state=0
    )
    assert X.shape == (50, 4) and X.dtype == np.float64
    assert np.isfinite(X).all()
    assert y.shape == (50,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1, 2}
    np.testing.assert_array_equal(sample_domain, [1] * 30 + [-1] * 20)
    assert sample_domain.dtype == np.int64


@pytest.mark.parametrize("shift", SHIFTS)
def test_bunch_matches_arrays(shift):
    X, y, sample_domain = make_domain_shift(shift=shift, random_state=3)
    bunch = make_domain_shift(shift=shift, random_state=3, return_X_y=False)
    assert isinstance(bunch, Bunch)
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    np.testing.assert_array_equal(bunch.sample_domain, sample_domain)
    assert bunch.domain_names == {"source": 1, "target": -1}
    assert shift in bunch.DESCR


@pytest.mark.parametrize("shift", SHIFTS)
def test_reproducible(shift):
    first = make_domain_shift(shift=shift, n_features=3, random_state=42)
    again = make_domain_shift(
        shift=shift, n_features=3, random_state=np.random.RandomState(42)
    )
    other = make_domain_shift(shift=shift, n_features=3, random_state=43)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_target_labels_are_true_labels():
    # target rows carry real classes, never the unlabeled marker
    _, y, sample_domain = make_domain_shift(shift="concept", random_state=0)
    assert set(np.unique(y[sample_domain < 0])) == {0, 1}


# --------------------------------------------------------------------------
# make_domain_shift: behaviour of the shifts
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shift", SHIFTS)
def test_severity_zero_makes_domains_indistinguishable(shift):
    kwargs = dict(shift=shift, n_features=3, n_classes=3, random_state=0)
    same = make_domain_shift(500, 500, severity=0.0, **kwargs)
    shifted = make_domain_shift(500, 500, severity=1.0, **kwargs)
    assert abs(_domain_accuracy(*same) - 0.5) < 0.06
    # the same check sees the shift at full severity
    assert _domain_accuracy(*shifted) > 0.65


@pytest.mark.parametrize("shift", ["covariate", "concept", "subspace"])
def test_source_only_accuracy_drops_with_severity(shift):
    accuracies = {}
    for severity in (0.0, 0.5, 1.0):
        data = make_domain_shift(
            600, 1000, shift=shift, severity=severity, random_state=0
        )
        accuracies[severity] = _source_only_and_target_trained(*data)
    source_only = [accuracies[s][0] for s in (0.0, 0.5, 1.0)]
    assert source_only[0] > source_only[1] + 0.05 > source_only[2] + 0.1
    # without shift, source-only is as good as training on the target
    assert abs(accuracies[0.0][0] - accuracies[0.0][1]) < 0.05
    # at the default severity target labels already help ...
    assert accuracies[0.5][1] > accuracies[0.5][0] + 0.05
    # ... and at full severity by far
    assert accuracies[1.0][1] > accuracies[1.0][0] + 0.25


def test_concept_shift_at_full_severity_makes_transfer_harmful():
    X, y, sample_domain = make_domain_shift(
        400, 400, shift="concept", severity=1.0, n_classes=3, random_state=0
    )
    X_s, y_s, X_t, y_t = _split(X, y, sample_domain)
    # worse than guessing: the source rule is wrong on the target
    assert LogisticRegression().fit(X_s, y_s).score(X_t, y_t) < 1 / 3 - 0.1


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("severity", [0.0, 0.5, 1.0])
def test_label_shift_sets_class_proportions(severity, n_classes):
    n = 600
    X, y, sample_domain = make_domain_shift(
        n, n, shift="label", severity=severity, n_classes=n_classes, random_state=0
    )
    source_counts = np.bincount(y[sample_domain > 0], minlength=n_classes)
    target_counts = np.bincount(y[sample_domain < 0], minlength=n_classes)
    np.testing.assert_array_equal(source_counts, n // n_classes)
    # geometric priors from class 0, most / least frequent = 20 ** severity
    ratios = target_counts[:-1] / target_counts[1:]
    expected = 20.0 ** (severity / (n_classes - 1))
    np.testing.assert_allclose(ratios, expected, rtol=0.05)


def test_label_shift_keeps_class_conditionals():
    X, y, sample_domain = make_domain_shift(
        3000, 3000, shift="label", severity=1.0, n_features=3, random_state=0
    )
    X_s, y_s, X_t, y_t = _split(X, y, sample_domain)
    assert np.mean(y_t == 1) < 0.1  # a real shift of the priors
    for k in (0, 1):
        np.testing.assert_allclose(
            X_s[y_s == k].mean(axis=0), X_t[y_t == k].mean(axis=0), atol=0.25
        )


def test_covariate_shift_keeps_labeling_rule():
    # a flexible model fitted on the source is right on the target under
    # covariate shift (same P(y | x)), not under concept shift
    accuracy = {}
    for shift in ("covariate", "concept"):
        X, y, sample_domain = make_domain_shift(
            3000, 300, shift=shift, severity=0.5, noise=0.0, random_state=0
        )
        X_s, y_s, X_t, y_t = _split(X, y, sample_domain)
        knn = KNeighborsClassifier(5).fit(X_s, y_s)
        accuracy[shift] = knn.score(X_t, y_t)
    assert accuracy["covariate"] > 0.93
    assert accuracy["concept"] < 0.7


def test_covariate_shift_moves_inputs():
    X, y, sample_domain = make_domain_shift(
        2000, 2000, shift="covariate", severity=1.0, n_features=3, random_state=0
    )
    X_s, X_t = X[sample_domain > 0], X[sample_domain < 0]
    shift = X_t.mean(axis=0) - X_s.mean(axis=0)
    assert shift[0] > 1.5
    assert abs(shift[2]) < 0.1  # extra features are not shifted
    assert X_t[:, 0].std() < 0.7 * X_s[:, 0].std()  # a sub-region of the source


def test_subspace_shift_is_a_linear_map_of_the_source():
    X, y, sample_domain = make_domain_shift(
        3000, 3000, shift="subspace", severity=1.0, noise=0.0, random_state=0
    )
    X_s, y_s, X_t, y_t = _split(X, y, sample_domain)
    # the class means turn by 90 degrees, scaled by 1.5 and moved by 1
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    for k in (0, 1):
        expected = 1.5 * X_s[y_s == k].mean(axis=0) @ rotation.T + 1.0
        np.testing.assert_allclose(X_t[y_t == k].mean(axis=0), expected, atol=0.2)


@pytest.mark.parametrize("n_features, n_classes", [(2, 5), (10, 2), (5, 4)])
def test_any_number_of_features_and_classes(n_features, n_classes):
    X, y, sample_domain = make_domain_shift(
        400,
        400,
        shift="subspace",
        n_features=n_features,
        n_classes=n_classes,
        random_state=0,
    )
    assert X.shape == (800, n_features)
    np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))
    source_only, target_trained = _source_only_and_target_trained(X, y, sample_domain)
    assert target_trained > 1.5 / n_classes


def test_noise_is_label_noise():
    accuracy = {}
    for noise in (0.0, 0.4):
        X, y, sample_domain = make_domain_shift(
            1000, 10, shift="concept", severity=0.0, noise=noise, random_state=0
        )
        X_s, y_s, _, _ = _split(X, y, sample_domain)
        accuracy[noise] = cross_val_score(LogisticRegression(), X_s, y_s).mean()
    assert accuracy[0.0] > 0.97
    assert 0.72 < accuracy[0.4] < 0.82  # 40% random labels, half of them right


# --------------------------------------------------------------------------
# make_domain_shift: bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(shift="prior"), "'shift' parameter .* among .*'covariate'.* 'prior'"),
        (dict(shift=None), "'shift' parameter .* Got None"),
        (dict(severity=1.5), "'severity' parameter .* range \\[0.0, 1.0\\]. Got 1.5"),
        (dict(severity=-0.1), "'severity' parameter"),
        (dict(severity=np.nan), "'severity' parameter .* Got nan"),
        (dict(severity="high"), "'severity' parameter"),
        (dict(noise=2.0), "'noise' parameter .* range \\[0.0, 1.0\\]"),
        (dict(n_features=1), "'n_features' parameter .* \\[2, inf\\). Got 1 "),
        (dict(n_features=2.5), "'n_features' parameter .* an int"),
        (dict(n_classes=1), "'n_classes' parameter .* Got 1 "),
        (dict(n_samples_source=0), "'n_samples_source' parameter .* Got 0 "),
        (dict(n_samples_target=-5), "'n_samples_target' parameter .* Got -5 "),
    ],
)
def test_make_domain_shift_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_domain_shift(**kwargs)


# --------------------------------------------------------------------------
# load_shifted_digits
# --------------------------------------------------------------------------


def _digits_accuracies(X, y, sample_domain):
    """In-domain (source CV), source-only on the target, target-trained (CV)."""
    X_s, y_s, X_t, y_t = _split(X / 16.0, y, sample_domain)
    clf = LogisticRegression(C=1.0, max_iter=500)
    in_domain = cross_val_score(clf, X_s, y_s, cv=3).mean()
    source_only = clf.fit(X_s, y_s).score(X_t, y_t)
    target_trained = cross_val_score(clf, X_t, y_t, cv=3).mean()
    return in_domain, source_only, target_trained


def test_shifted_digits_format():
    digits = load_shifted_digits(random_state=0, return_X_y=False)
    X, y, sample_domain = load_shifted_digits(random_state=0)
    np.testing.assert_array_equal(digits.data, X)
    np.testing.assert_array_equal(digits.target, y)
    np.testing.assert_array_equal(digits.sample_domain, sample_domain)
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() >= 0.0 and X.max() <= 16.0
    assert digits.images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(digits.images.reshape(1797, -1), X)
    np.testing.assert_array_equal(digits.target_names, np.arange(10))
    assert digits.domain_names == {"source": 1, "target": -1}
    assert "rotation" in digits.DESCR
    # source rows first, then target rows; halves stratified by class
    np.testing.assert_array_equal(sample_domain, [1] * 898 + [-1] * 899)
    counts_s = np.bincount(y[sample_domain > 0])
    counts_t = np.bincount(y[sample_domain < 0])
    assert np.abs(counts_s - counts_t).max() <= 1


def test_shifted_digits_halves_are_disjoint_and_source_unchanged():
    original = load_digits()
    X, y, sample_domain = load_shifted_digits(severity=0.0, random_state=1)
    # at severity 0 the two halves together are the digits, each image once
    order = np.lexsort(np.column_stack([X, y]).T)
    expected = np.lexsort(np.column_stack([original.data, original.target]).T)
    np.testing.assert_array_equal(X[order], original.data[expected])
    # the source half is the same images whatever the shift
    X_shifted, _, _ = load_shifted_digits(severity=1.0, random_state=1)
    np.testing.assert_array_equal(X_shifted[sample_domain > 0], X[sample_domain > 0])
    assert not np.allclose(X_shifted[sample_domain < 0], X[sample_domain < 0])


def test_shifted_digits_reproducible():
    a = load_shifted_digits("noise", random_state=5)
    b = load_shifted_digits("noise", random_state=5)
    c = load_shifted_digits("noise", random_state=6)
    for first, again in zip(a, b):
        np.testing.assert_array_equal(first, again)
    assert not np.array_equal(a[0], c[0])


def test_shifted_digits_default_loses_accuracy_but_stays_learnable():
    in_domain, source_only, target_trained = _digits_accuracies(
        *load_shifted_digits(random_state=0)
    )
    assert in_domain > 0.93
    assert source_only < in_domain - 0.3
    assert target_trained > 0.9


@pytest.mark.parametrize("shift", DIGIT_SHIFTS)
def test_every_digit_shift_hurts_source_only_model(shift):
    X, y, sample_domain = load_shifted_digits(shift, severity=1.0, random_state=0)
    X_s, y_s, X_t, y_t = _split(X / 16.0, y, sample_domain)
    clf = LogisticRegression(max_iter=500).fit(X_s, y_s)
    # the untransformed target half scores like the source, the shifted one not
    X0, y0, sd0 = load_shifted_digits(shift, severity=0.0, random_state=0)
    assert clf.score(X0[sd0 < 0] / 16.0, y0[sd0 < 0]) > 0.93
    assert clf.score(X_t, y_t) < 0.75


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(shift="flip"), "'shift' parameter .* among .*'rotation'.* 'flip'"),
        (dict(severity=2), "'severity' parameter .* range \\[0.0, 1.0\\]. Got 2 "),
        (dict(severity=-1e-3), "'severity' parameter"),
    ],
)
def test_load_shifted_digits_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_shifted_digits(**kwargs)


def test_error_lists_every_valid_shift():
    with pytest.raises(ValueError) as info:
        make_domain_shift(shift="covariate-shift")
    for shift in SHIFTS:
        assert re.search(f"'{shift}'", str(info.value))


def test_inversion_at_severity_one_inverts_the_contrast():
    X0, _, sample_domain = load_shifted_digits(
        "inversion", severity=0.0, random_state=3
    )
    X1, _, _ = load_shifted_digits("inversion", severity=1.0, random_state=3)
    target = sample_domain < 0
    np.testing.assert_allclose(X1[target], 16.0 - X0[target])
    np.testing.assert_array_equal(X1[~target], X0[~target])
