"""Deep transfer with skorch: fine-tuning and domain-adversarial training.

The only package of sktransfer that imports torch.
"""

from ._alignment import CDANClassifier, DeepCORALClassifier, coral_loss
from ._base import DomainNetClassifier as DomainNetClassifier  # base of methods
from ._base import resolve_device
from ._dann import (
    AdaptationSchedule,
    DANNClassifier,
    GradientReversal,
    LearningRateAnnealing,
    NonFiniteLossError,
    gradient_reversal,
)
from ._finetune import FineTuningClassifier, GradualUnfreezing, module_layers
from ._modules import MLP
from ._pretrained import load_efficientnet_lite0

__all__ = [
    "MLP",
    "AdaptationSchedule",
    "CDANClassifier",
    "DANNClassifier",
    "DeepCORALClassifier",
    "FineTuningClassifier",
    "GradientReversal",
    "GradualUnfreezing",
    "LearningRateAnnealing",
    "NonFiniteLossError",
    "coral_loss",
    "gradient_reversal",
    "load_efficientnet_lite0",
    "module_layers",
    "resolve_device",
]
