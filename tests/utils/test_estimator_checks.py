"""The transfer checks catch estimators that break the domain contract."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import validate_data

from sktransfer.utils import check_sample_domain, labeled_mask
from sktransfer.utils import estimator_checks as ec

from .._reference import ReferenceTransferClassifier


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
    ],
)
def test_check_fails_on_a_broken_estimator(estimator, check, message):
    with pytest.raises(Exception, match=message):
        check(type(estimator).__name__, estimator)


def test_the_reference_estimator_passes_them_all():
    ec.check_transfer_estimator(ReferenceTransferClassifier())
