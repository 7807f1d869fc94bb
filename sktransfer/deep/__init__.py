"""Deep transfer with skorch: fine-tuning and domain-adversarial training.

The only package of sktransfer that imports torch. A new domain-alignment
loss is one small subclass of :class:`DomainAlignmentClassifier`.
"""

from ._alignment import (
    CDANClassifier,
    DeepCORALClassifier,
    DeepCORALRegressor,
    coral_loss,
)
from ._base import (
    DivergenceMonitor,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    DomainNetClassifier,
    DomainNetRegressor,
    NonFiniteLossError,
    resolve_device,
)
from ._dann import (
    AdaptationSchedule,
    DANNClassifier,
    DANNRegressor,
    GradientReversal,
    LearningRateAnnealing,
    gradient_reversal,
)
from ._data import DomainImageFolders, ImageFolder
from ._discrepancy import (
    BNMClassifier,
    DANClassifier,
    DANRegressor,
    InformationMaximizationClassifier,
    JANClassifier,
    MCCClassifier,
)
from ._distributed import fit_distributed
from ._embedding import PretrainedEmbedding
from ._finetune import FineTuningClassifier, GradualUnfreezing, module_layers
from ._finetune_callbacks import WarmupCosine, batch_spectral_shrinkage, l2sp_penalty
from ._losses import (
    REGULARIZERS,
    bnm_loss,
    entropy_loss,
    information_maximization_loss,
    joint_mmd_loss,
    mcc_loss,
    mk_mmd_loss,
)
from ._mdd import MDDClassifier
from ._modules import MLP, SmallCNN
from ._multisource import MomentMatchingClassifier, moment_distance
from ._pretrained import (
    BackboneInfo,
    backbone_info,
    load_backbone,
    load_efficientnet_lite0,
)
from ._test_time import BatchNormAdapter, adapt_batch_norm
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
    "REGULARIZERS",
    "AdaptationSchedule",
    "BNMClassifier",
    "BackboneInfo",
    "BatchNormAdapter",
    "CDANClassifier",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "DANClassifier",
    "DANNClassifier",
    "DANNRegressor",
    "DANRegressor",
    "DeepCORALClassifier",
    "DeepCORALRegressor",
    "DivergenceMonitor",
    "DomainAlignmentClassifier",
    "DomainAlignmentRegressor",
    "DomainImageFolders",
    "DomainNetClassifier",
    "DomainNetRegressor",
    "FineTuningClassifier",
    "GradientReversal",
    "GradualUnfreezing",
    "ImageFolder",
    "InformationMaximizationClassifier",
    "JANClassifier",
    "LearningRateAnnealing",
    "MCCClassifier",
    "MDDClassifier",
    "MomentMatchingClassifier",
    "NonFiniteLossError",
    "Normalize",
    "PretrainedEmbedding",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "Resize",
    "SmallCNN",
    "TargetValidSplit",
    "WarmupCosine",
    "adapt_batch_norm",
    "backbone_info",
    "batch_spectral_shrinkage",
    "bnm_loss",
    "coral_loss",
    "default_augmentation",
    "entropy_loss",
    "fit_distributed",
    "gradient_reversal",
    "information_maximization_loss",
    "joint_mmd_loss",
    "l2sp_penalty",
    "load_backbone",
    "load_efficientnet_lite0",
    "mcc_loss",
    "mk_mmd_loss",
    "module_layers",
    "moment_distance",
    "resolve_device",
]
