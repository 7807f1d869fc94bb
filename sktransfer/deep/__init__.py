"""Deep transfer with skorch: fine-tuning and domain-adversarial training.

The only package of sktransfer that imports torch. A new domain-alignment
loss is one small subclass of :class:`DomainAlignmentClassifier`.
"""

from ._alignment import CDANClassifier, DeepCORALClassifier, coral_loss
from ._base import (
    DivergenceMonitor,
    DomainAlignmentClassifier,
    DomainNetClassifier,
    NonFiniteLossError,
    resolve_device,
)
from ._dann import (
    AdaptationSchedule,
    DANNClassifier,
    GradientReversal,
    LearningRateAnnealing,
    gradient_reversal,
)
from ._finetune import FineTuningClassifier, GradualUnfreezing, module_layers
from ._modules import MLP, SmallCNN
from ._pretrained import load_efficientnet_lite0
from ._validation import TargetValidSplit

__all__ = [
    "MLP",
    "AdaptationSchedule",
    "CDANClassifier",
    "DANNClassifier",
    "DeepCORALClassifier",
    "DivergenceMonitor",
    "DomainAlignmentClassifier",
    "DomainNetClassifier",
    "FineTuningClassifier",
    "GradientReversal",
    "GradualUnfreezing",
    "LearningRateAnnealing",
    "NonFiniteLossError",
    "SmallCNN",
    "TargetValidSplit",
    "coral_loss",
    "gradient_reversal",
    "load_efficientnet_lite0",
    "module_layers",
    "resolve_device",
]
