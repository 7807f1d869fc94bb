"""Model selection for transfer: splitters and scorers that look at the target.

Ordinary cross-validation scores on source rows and so picks the
hyperparameters that suit the source. The splitters here hold out target rows
(:class:`TargetKFold`), source and target rows (:class:`SourceTargetShuffleSplit`)
or whole source domains (:class:`LeaveOneDomainOut`); the scorers score the
labeled target rows (:class:`SupervisedTargetScorer`) or, without target
labels, estimate the target score (:class:`ImportanceWeightedScorer`,
:class:`PredictionEntropyScorer`, :class:`CircularValidationScorer`,
:class:`DeepEmbeddedValidationScorer`, :class:`InformationMaximizationScorer`,
:class:`SoftNeighborhoodDensityScorer`). All of them receive ``sample_domain``
through scikit-learn's metadata routing. :class:`TransferSelector` puts them
together: it picks, by validation on the target, between transfer methods and
the plain baselines, and says whether transfer helps;
:func:`selection_report` shows what it found as an HTML page.
"""

from ._report import selection_report
from ._scorer import (
    CircularValidationScorer,
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    InformationMaximizationScorer,
    PredictionEntropyScorer,
    SoftNeighborhoodDensityScorer,
    SupervisedTargetScorer,
)
from ._selector import TransferSelector
from ._split import LeaveOneDomainOut, SourceTargetShuffleSplit, TargetKFold

__all__ = [
    "CircularValidationScorer",
    "DeepEmbeddedValidationScorer",
    "ImportanceWeightedScorer",
    "InformationMaximizationScorer",
    "LeaveOneDomainOut",
    "PredictionEntropyScorer",
    "SoftNeighborhoodDensityScorer",
    "SourceTargetShuffleSplit",
    "SupervisedTargetScorer",
    "TargetKFold",
    "TransferSelector",
    "selection_report",
]
