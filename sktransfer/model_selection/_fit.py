"""Fit a user's estimator as a transfer model, with metadata routing on or off."""

from sklearn.base import is_regressor
from sklearn.utils import _safe_indexing

from .._domain import labeled_mask
from ..pipeline import _sample_domain_fit_params, _with_labeled_final_step


def fit_with_sample_domain(estimator, X, y, sample_domain):
    """Fit ``estimator`` on ``X, y`` with ``sample_domain`` wherever it is taken.

    The way every entry point of the library that receives a user's
    estimator fits it:

    - an estimator that takes ``sample_domain`` (or a pipeline with a step
      that does) gets it: with metadata routing on, where it is requested;
      with routing off, as ``step__sample_domain`` for each step of a
      :class:`~sklearn.pipeline.Pipeline` that takes it, or as
      ``fit(X, y, sample_domain=...)``;
    - a pipeline of such steps that ends in a plain classifier or regressor
      has that last step wrapped in
      :class:`~sktransfer.pipeline.LabeledRowsEstimator`, so that it does not
      learn the unlabeled marker;
    - a plain estimator is fitted on the labeled rows only (``-1`` on target
      rows unlabeled in classification, ``nan`` in regression).

    Returns the fitted estimator, which is ``estimator`` itself or, for a
    pipeline whose last step was wrapped, a fitted copy of it.
    """
    estimator = _with_labeled_final_step(estimator)
    params = _sample_domain_fit_params(estimator, sample_domain)
    if params:
        return estimator.fit(X, y, **params)
    rows = labeled_mask(y, sample_domain, regression=is_regressor(estimator))
    return estimator.fit(_safe_indexing(X, rows), y[rows])
