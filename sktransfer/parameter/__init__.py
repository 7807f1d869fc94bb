"""Parameter-based transfer: target models pulled toward a source model."""

from ._prior import PriorRegularizedClassifier, PriorRegularizedRegressor

__all__ = ["PriorRegularizedClassifier", "PriorRegularizedRegressor"]
