"""Instance-based transfer: reweight the source rows that help the target.

Three families:

* **TrAdaBoost** (:class:`TrAdaBoostClassifier`, :class:`TrAdaBoostRegressor`,
  :class:`TwoStageTrAdaBoostR2`) boosts on the source rows and a few labeled
  target rows, shrinking the weight of source rows that disagree with the
  target;
* **importance weighting** for covariate shift estimates the density ratio
  ``p_target(x) / p_source(x)`` from unlabeled target rows
  (:class:`KernelMeanMatching`, :class:`KLIEP`,
  :class:`DiscriminativeDensityRatio`) and trains any estimator on the
  weighted source rows (:class:`ImportanceWeightedClassifier`,
  :class:`ImportanceWeightedRegressor`);
* **label-shift correction** estimates the target class priors from
  unlabeled target rows (:class:`EMLabelShiftClassifier`,
  :class:`BBSEClassifier`, :class:`RLLSClassifier`; with several source
  domains of different priors :class:`JCPOTClassifier`) and reweights the
  classes of any probabilistic classifier.
"""

from ._importance_weighting import (
    KLIEP,
    DegenerateWeightsWarning,
    DiscriminativeDensityRatio,
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    KernelMeanMatching,
)
from ._label_shift import (
    BBSEClassifier,
    EMLabelShiftClassifier,
    JCPOTClassifier,
    RLLSClassifier,
)
from ._tradaboost import (
    NoLabeledTargetWarning,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostR2,
)

__all__ = [
    "KLIEP",
    "BBSEClassifier",
    "DegenerateWeightsWarning",
    "DiscriminativeDensityRatio",
    "EMLabelShiftClassifier",
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "JCPOTClassifier",
    "KernelMeanMatching",
    "NoLabeledTargetWarning",
    "RLLSClassifier",
    "TrAdaBoostClassifier",
    "TrAdaBoostRegressor",
    "TwoStageTrAdaBoostR2",
]
