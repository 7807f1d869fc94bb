"""Instance-based transfer: reweight the source rows that help the target.

Two families:

* **TrAdaBoost** (:class:`TrAdaBoostClassifier`, :class:`TrAdaBoostRegressor`,
  :class:`TwoStageTrAdaBoostR2`) boosts on the source rows and a few labeled
  target rows, shrinking the weight of source rows that disagree with the
  target;
* **importance weighting** for covariate shift estimates the density ratio
  ``p_target(x) / p_source(x)`` from unlabeled target rows
  (:class:`KernelMeanMatching`, :class:`KLIEP`,
  :class:`DiscriminativeDensityRatio`) and trains any estimator on the
  weighted source rows (:class:`ImportanceWeightedClassifier`,
  :class:`ImportanceWeightedRegressor`).
"""

from ._importance_weighting import (
    KLIEP,
    DegenerateWeightsWarning,
    DiscriminativeDensityRatio,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    KernelMeanMatching,
)
from ._tradaboost import (
    NoLabeledTargetWarning,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostR2,
)

__all__ = [
    "KLIEP",
    "DegenerateWeightsWarning",
    "DiscriminativeDensityRatio",
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "KernelMeanMatching",
    "NoLabeledTargetWarning",
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostR2",
]
