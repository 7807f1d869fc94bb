"""The transfer checks catch estimators that break the domain contract."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.validation import column_or_1d, validate_data

from sktransfer.utils import check_sample_domain, labeled_mask
from sktransfer.utils import estimator_checks as ec

from .._reference import ReferenceDomainCentering, ReferenceTransferClassifier


class NoRoutingRequest(ReferenceTransferClassifier):
    __metadata_request__fit = {"sample_domain": None}


class MarkerAsClass(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        return super().fit(X, y)


class DropsMinusOne(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        super().fit(X, y, sample_domain=sample_domain)
        self.classes_ = np.setdiff1d(y, [-1])
        return self


class SkipsDomainValidation(ClassifierMixin, BaseEstimator):
    __metadata_request__fit = {"sample_domain": True}

    def fit(self, X, y, *, sample_domain=None):
        X, y = validate_data(self, X, y)
        sd = (
            np.ones(len(y), int) if sample_domain is None else np.asarray(sample_domain)
        )
        keep = labeled_mask(y, sd)
        self.estimator_ = LogisticRegression().fit(X[keep], y[keep])
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        return self.estimator_.predict(validate_data(self, X, reset=False))


class Unseeded(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        check_sample_domain(sample_domain, X, y)
        noise = np.random.default_rng().normal(size=np.shape(X))
        return super().fit(np.asarray(X) + noise, y, sample_domain=sample_domain)


class ForgetsDomainsWhenPickled(ReferenceTransferClassifier):
    def __getstate__(self):
        state = dict(super().__getstate__())
        state["centering_"] = state["centering_"].__class__().fit(np.zeros((2, 4)))
        return state


class StringMarkerAsClass(ReferenceTransferClassifier):
    """Reads string labels as text, so ``"-1"`` is a class like ``"cat"``."""

    def fit(self, X, y, *, sample_domain=None):
        y = np.asarray(y)
        if y.dtype.kind in "OU":
            y = y.astype(str)
            sample_domain = None
        return super().fit(X, y, sample_domain=sample_domain)


class RefusesNegativeStrides(ReferenceTransferClassifier):
    """Hands its input to a library that cannot take negative strides (torch)."""

    def fit(self, X, y, *, sample_domain=None):
        if any(stride < 0 for stride in np.asarray(X).strides):
            raise ValueError("At least one stride in the given numpy array is negative")
        return super().fit(X, y, sample_domain=sample_domain)


class CarriesStateIntoRefit(ReferenceTransferClassifier):
    """Shrinks the model of a refit, as if it read its previous fit."""

    def fit(self, X, y, *, sample_domain=None):
        refit = hasattr(self, "estimator_")
        super().fit(X, y, sample_domain=sample_domain)
        if refit:
            self.estimator_.coef_ = 0.5 * self.estimator_.coef_
        return self


class WarnsOnReadOnly(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        if not np.asarray(sample_domain).flags.writeable:
            warnings.warn(
                "The given NumPy array is not writable", UserWarning, stacklevel=2
            )
        return super().fit(X, y, sample_domain=sample_domain)


class WritesIntoSampleDomain(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        sample_domain = np.asarray(sample_domain)
        sample_domain[sample_domain < 0] = -1
        return super().fit(X, y, sample_domain=sample_domain)


class WarnsWithStacklevel(ReferenceTransferClassifier):
    """Warns the scikit-learn way: under _fit_context the warning points into
    sklearn/base.py."""

    _parameter_constraints: dict = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, sample_domain=None):
        warnings.warn("few labeled target rows", UserWarning, stacklevel=2)
        return super().fit(X, y, sample_domain=sample_domain)


class UnclearWithoutY(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        y = column_or_1d(y)
        return super().fit(X, y, sample_domain=sample_domain)


class TransformsBeforeFit(ReferenceDomainCentering):
    def transform(self, X):
        return np.asarray(X) - self.mean_


class InvertsGram(ReferenceTransferClassifier):
    """Solves normal equations that are singular on degenerate data."""

    def fit(self, X, y, *, sample_domain=None):
        X_dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
        self.gram_inverse_ = np.linalg.inv(X_dense.T @ X_dense)
        return super().fit(X, y, sample_domain=sample_domain)


class ScalesByStd(ReferenceDomainCentering):
    """Divides by the standard deviation: nan on constant columns."""

    def transform(self, X):
        X = super().transform(X)
        with np.errstate(all="ignore"):
            return X / X.std(axis=0)


@pytest.mark.parametrize(
    "estimator, check, message",
    [
        (NoRoutingRequest(), ec.check_fit_requests_sample_domain, "does not request"),
        (NoRoutingRequest(), ec.check_pipeline_routing_on, "sample_domain"),
        (MarkerAsClass(), ec.check_fit_with_sample_domain, "unlabeled marker"),
        (DropsMinusOne(), ec.check_minus_one_is_a_source_class, "dropped -1"),
        (
            SkipsDomainValidation(),
            ec.check_bad_sample_domain,
            "accepted a bad|unclear error",
        ),
        (Unseeded(), ec.check_same_random_state_same_model, "same seed"),
        (ForgetsDomainsWhenPickled(), ec.check_pickle_round_trip, "pickle"),
        # case 1
        (
            StringMarkerAsClass(),
            ec.check_string_labels_with_unlabeled_marker,
            "marker became a class",
        ),
        (
            MarkerAsClass(),
            ec.check_string_labels_with_unlabeled_marker,
            "fit failed on object labels, int -1 marker",
        ),
        # case 4
        (
            RefusesNegativeStrides(),
            ec.check_float32_and_negative_strides,
            r"negative strides \(X\[::-1\]\)",
        ),
        # case 5
        (CarriesStateIntoRefit(), ec.check_refit_equals_fresh_fit, "carries state"),
        # case 9
        (WarnsOnReadOnly(), ec.check_read_only_inputs, "not writable"),
        (WritesIntoSampleDomain(), ec.check_read_only_inputs, "read-only"),
        # case 10
        (
            WarnsWithStacklevel(),
            ec.check_fit_warnings_point_at_the_caller,
            r"sklearn/base\.py",
        ),
        # case 8
        (UnclearWithoutY(), ec.check_fit_without_y, "does not say y is needed"),
        (TransformsBeforeFit(), ec.check_transform_before_fit, "NotFittedError"),
        # the property-based layer
        (InvertsGram(), ec.check_fit_on_generated_data, "not the library's"),
        (ScalesByStd(), ec.check_fit_on_generated_data, "nan or inf"),
    ],
)
def test_check_fails_on_a_broken_estimator(estimator, check, message):
    with pytest.raises(Exception, match=message):
        check(type(estimator).__name__, estimator)


def test_the_reference_estimator_passes_them_all():
    ec.check_transfer_estimator(ReferenceTransferClassifier())


def test_warning_check_accepts_sktransfers_warnings():
    # TrAdaBoost warns through sktransfer.utils._warnings.warn when no target
    # row is labeled, which the check's second data set provokes
    from sktransfer.instance import NoLabeledTargetWarning, TrAdaBoostClassifier

    estimator = TrAdaBoostClassifier(n_estimators=2)
    X, y, sample_domain, _ = ec.make_transfer_check_data(estimator)
    with pytest.warns(NoLabeledTargetWarning):
        y_hidden = np.where(sample_domain < 0, -1, y)
        estimator.fit(X, y_hidden, sample_domain=sample_domain)
    ec.check_fit_warnings_point_at_the_caller("TrAdaBoostClassifier", estimator)


class HandsSampleDomainToTorch(ReferenceTransferClassifier):
    def fit(self, X, y, *, sample_domain=None):
        import torch

        self.domains_ = torch.as_tensor(np.asarray(sample_domain))
        return super().fit(X, y, sample_domain=sample_domain)


def test_read_only_check_sees_torch_warnings_that_already_fired():
    # torch warns about a non-writable array once per process: a check that
    # runs after the first one must still see it
    import torch

    read_only = np.zeros(3)
    read_only.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.as_tensor(read_only)
    with pytest.raises(AssertionError, match="not writable"):
        ec.check_read_only_inputs("Hands", HandsSampleDomainToTorch())


class RidgeOnLabeledRows(ReferenceTransferClassifier):
    """A transfer regressor for the yield test."""

    _estimator_type = "regressor"

    def __sklearn_tags__(self):
        tags = Ridge().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _yielded(estimator):
    return {check.__name__ for check in ec._yield_transfer_checks(estimator)}


def test_only_the_checks_that_apply_are_yielded():
    classifier = _yielded(ReferenceTransferClassifier())
    transformer = _yielded(ReferenceDomainCentering())
    regressor = _yielded(RidgeOnLabeledRows())
    assert "check_minus_one_is_a_source_class" in classifier - transformer
    assert "check_transform_before_fit" in transformer - classifier
    assert "check_string_labels_with_unlabeled_marker" in classifier - regressor
    assert "check_nan_input_error" in classifier - regressor
    every = {check.__name__ for check in ec._TRANSFER_CHECKS}
    assert every <= classifier & transformer & regressor


def test_pytest_ids_list_only_the_checks_that_apply():
    marker = ec.parametrize_with_transfer_checks([ReferenceDomainCentering()])
    ids = [param.id for param in marker.args[1]]
    checks = ec._yield_transfer_checks(ReferenceDomainCentering())
    assert ids == [f"ReferenceDomainCentering-{check.__name__}" for check in checks]
    assert "ReferenceDomainCentering-check_minus_one_is_a_source_class" not in ids


@settings(max_examples=30, derandomize=True, deadline=None, database=None)
@given(data=ec.transfer_datasets(ReferenceTransferClassifier(), max_rows_per_domain=3))
def test_generated_datasets_keep_the_domain_contract(data):
    X, y, sample_domain = data
    n_rows = sample_domain.shape[0]
    assert X.shape[0] == y.shape[0] == n_rows
    assert (sample_domain != 0).all()
    counts = np.unique(sample_domain, return_counts=True)[1]
    assert counts.min() >= 1 and counts.max() <= 3
    assert not sp.issparse(X), "the reference classifier does not take sparse X"
    unlabeled = ~labeled_mask(y, sample_domain)
    assert not (unlabeled & (sample_domain > 0)).any()


@settings(max_examples=30, derandomize=True, deadline=None, database=None)
@given(X=ec.feature_arrays(5, sparse=True))
def test_generated_sparse_arrays_have_sparse_dtypes(X):
    assert X.shape[0] == 5
    if sp.issparse(X):
        assert X.format in ("csr", "csc")
        assert X.dtype in ec._SPARSE_DTYPES


def _raise_in(module_file, exc):
    code = compile("raise exc", module_file, "exec")
    try:
        exec(code, {"exc": exc})
    except Exception as raised:
        return raised


def test_library_errors_are_told_from_low_level_ones():
    import numpy

    import sktransfer

    in_sktransfer = sktransfer.__file__
    in_numpy = numpy.__file__
    clear = ValueError("TCA needs at least 2 target rows, got 1.")
    assert ec._is_library_error(_raise_in(in_sktransfer, clear))
    assert not ec._is_library_error(_raise_in(in_numpy, ValueError("Singular")))
    sorting = TypeError("'<' not supported between instances of 'str' and 'int'")
    assert not ec._is_library_error(_raise_in(in_sktransfer, sorting))
