"""Fit any estimator with ``sample_domain``, with metadata routing on or off."""

import inspect

from sklearn import get_config
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import get_routing_for_object


def _fit_takes_sample_domain(estimator):
    try:
        return "sample_domain" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without signature
        return False


def fit_with_sample_domain(estimator, X, y, sample_domain):
    """Fit ``estimator`` on ``X, y`` with ``sample_domain`` wherever it is taken.

    With metadata routing on, ``sample_domain`` is passed to ``fit`` when the
    estimator (or a step of it) requests it, and the estimator routes it.
    With routing off, a :class:`~sklearn.pipeline.Pipeline` gets it as
    ``step__sample_domain`` for each step whose ``fit`` takes it, and any
    other estimator as ``fit(X, y, sample_domain=...)`` when its ``fit``
    takes it. Plain estimators are fitted without it.
    """
    if get_config().get("enable_metadata_routing", False):
        routing = get_routing_for_object(estimator)
        if routing.consumes("fit", ["sample_domain"]):
            return estimator.fit(X, y, sample_domain=sample_domain)
        return estimator.fit(X, y)
    if isinstance(estimator, Pipeline):
        params = {
            f"{name}__sample_domain": sample_domain
            for name, step in estimator.steps
            if step not in (None, "passthrough") and _fit_takes_sample_domain(step)
        }
        return estimator.fit(X, y, **params)
    if _fit_takes_sample_domain(estimator):
        return estimator.fit(X, y, sample_domain=sample_domain)
    return estimator.fit(X, y)
