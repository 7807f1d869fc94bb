"""Feature-based transfer: map or select features so that the domains agree.

Mappings into a space where source and target agree
(:class:`TransferComponentAnalysis`, :class:`JointDistributionAdaptation`,
:class:`CORAL`, :class:`SubspaceAlignment`,
:class:`MarginalizedDenoisingAutoencoder`), Daume's
:class:`FeatureAugmentation`, :class:`DomainInvariantFeatureSelector`,
which drops the features whose distributions shift across domains,
:class:`PivotFeatureSelector`, which keeps the pivot features of structural
correspondence learning (frequent in both domains, informative of the label),
and :class:`StructuralCorrespondenceLearning` (SCL), which appends to the
features their projection onto the directions that best predict the pivots.

TCA, JDA, mSDA, SCL and the selectors map every row alike. CORAL, SA and
feature augmentation map a row by its domain: ``fit_transform(X, y,
sample_domain=...)`` maps each training row by its domain, and
``transform(X)`` maps new rows as target rows.

The optimal-transport mappings (:class:`OTMapping`, exact;
:class:`EntropicOTMapping`, Sinkhorn; :class:`ClassRegularizedOTMapping`,
which uses the source labels; :class:`LinearOTMapping`, the Gaussian map)
move the source rows onto the target rows by their domain too, and map new
source rows out of sample with ``transform(X, sample_domain=...)``; they
need POT (``pip install 'sktransfer[ot]'``), imported only by ``fit``.
"""

from ._augmentation import FeatureAugmentation
from ._coral import CORAL
from ._jda import JointDistributionAdaptation
from ._jdot import JDOTClassifier, JDOTRegressor, OTLabelPropagation
from ._msda import MarginalizedDenoisingAutoencoder
from ._optimal_transport import (
    ClassRegularizedOTMapping,
    EntropicOTMapping,
    LinearOTMapping,
    OTMapping,
)
from ._scl import StructuralCorrespondenceLearning
from ._selection import DomainInvariantFeatureSelector, PivotFeatureSelector
from ._subspace import SubspaceAlignment
from ._tca import TransferComponentAnalysis

__all__ = [
    "CORAL",
    "ClassRegularizedOTMapping",
    "DomainInvariantFeatureSelector",
    "EntropicOTMapping",
    "FeatureAugmentation",
    "JDOTClassifier",
    "JDOTRegressor",
    "JointDistributionAdaptation",
    "LinearOTMapping",
    "MarginalizedDenoisingAutoencoder",
    "OTLabelPropagation",
    "OTMapping",
    "PivotFeatureSelector",
    "StructuralCorrespondenceLearning",
    "SubspaceAlignment",
    "TransferComponentAnalysis",
]
