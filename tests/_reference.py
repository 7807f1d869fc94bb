"""Minimal transfer estimators that exercise the common checks.

They are not part of the package: they exist so that the machinery of
``tests/test_common.py`` is tested before (and beside) the real methods.
Each keeps the domain contract in the fewest lines.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted, validate_data

from sktransfer.utils import DomainAwareMixin, labeled_mask, validate_domain_data


class ReferenceDomainCentering(DomainAwareMixin, TransformerMixin, BaseEstimator):
    """Center each domain on its own mean.

    ``fit_transform`` centers every row on the mean of its domain; ``transform``
    centers new rows on the target mean (the source mean when fitted without
    target rows), since a fitted model is applied to target data.
    """

    def fit(self, X, y=None, *, sample_domain=None):
        self._fit(X, y, sample_domain)
        return self

    def fit_transform(self, X, y=None, *, sample_domain=None):
        X, sample_domain = self._fit(X, y, sample_domain)
        means = {
            d: X[sample_domain == d].mean(axis=0) for d in np.unique(sample_domain)
        }
        return X - np.stack([means[d] for d in sample_domain])

    def _fit(self, X, y, sample_domain):
        X, _, sample_domain = validate_domain_data(self, X, y, sample_domain)
        rows = sample_domain < 0 if (sample_domain < 0).any() else sample_domain > 0
        self.mean_ = X[rows].mean(axis=0)
        return X, sample_domain

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X - self.mean_


class ReferenceTransferClassifier(DomainAwareMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression on domain-centered features.

    Trains on the labeled rows (source rows and labeled target rows) after
    :class:`ReferenceDomainCentering`, so it corrects a shift of the mean.
    """

    def __init__(self, C=1.0, random_state=None):
        self.C = C
        self.random_state = random_state

    def fit(self, X, y, *, sample_domain=None):
        X, y, sample_domain = validate_domain_data(self, X, y, sample_domain)
        self.centering_ = ReferenceDomainCentering()
        X_centered = self.centering_.fit_transform(X, sample_domain=sample_domain)
        labeled = labeled_mask(y, sample_domain)
        self.estimator_ = LogisticRegression(C=self.C, random_state=self.random_state)
        self.estimator_.fit(X_centered[labeled], y[labeled])
        self.classes_ = self.estimator_.classes_
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.decision_function(self.centering_.transform(X))

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict_proba(self.centering_.transform(X))

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.estimator_.predict(self.centering_.transform(X))
