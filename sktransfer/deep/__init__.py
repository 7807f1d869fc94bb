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
from ._data import DomainImageFolders, ImageFolder
from ._embedding import PretrainedEmbedding
from ._finetune import FineTuningClassifier, GradualUnfreezing, module_layers
from ._finetune_callbacks import WarmupCosine, batch_spectral_shrinkage, l2sp_penalty
from ._modules import MLP, SmallCNN
from ._pretrained import (
    BackboneInfo,
    backbone_info,
    load_backbone,
    load_efficientnet_lite0,
)
from ._transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    Normalize,
    RandomHorizontalFlip,
    RandomResizedCrop,
    Resize,
    default_augmentation,
)
from ._validation import TargetValidSplit

__all__ = [
    "MLP",
    "AdaptationSchedule",
    "BackboneInfo",
    "CDANClassifier",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "DANNClassifier",
    "DeepCORALClassifier",
    "DivergenceMonitor",
    "DomainAlignmentClassifier",
    "DomainImageFolders",
    "DomainNetClassifier",
    "FineTuningClassifier",
    "GradientReversal",
    "GradualUnfreezing",
    "ImageFolder",
    "LearningRateAnnealing",
    "NonFiniteLossError",
    "Normalize",
    "PretrainedEmbedding",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "Resize",
    "SmallCNN",
    "TargetValidSplit",
    "WarmupCosine",
    "backbone_info",
    "batch_spectral_shrinkage",
    "coral_loss",
    "default_augmentation",
    "gradient_reversal",
    "l2sp_penalty",
    "load_backbone",
    "load_efficientnet_lite0",
    "module_layers",
    "resolve_device",
]
