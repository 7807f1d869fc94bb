"""Margin Disparity Discrepancy (MDD): an adversarial head instead of a domain one."""

import math
from functools import partial
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from ._base import _NON_NEGATIVE, DomainAlignmentClassifier
from ._dann import AdaptationSchedule, LearningRateAnnealing, gradient_reversal
from ._modules import MLP

__all__ = ["MDDClassifier"]


def _log_not_predicted(adversarial_logits, predicted):
    """``log(1 - softmax(adversarial_logits)[predicted])``, computed stably.

    The log of the probability mass off the predicted class: the logsumexp
    of the other logits minus that of all.
    """
    others = adversarial_logits.masked_fill(
        F.one_hot(predicted, adversarial_logits.shape[1]).bool(), -math.inf
    )
    return torch.logsumexp(others, dim=1) - torch.logsumexp(adversarial_logits, dim=1)


class MDDClassifier(DomainAlignmentClassifier):
    """Margin Disparity Discrepancy (MDD) classifier.

    A feature extractor feeds the label predictor ``f`` and, through a
    gradient reversal layer, an adversarial head ``f'`` over the same
    classes (Zhang et al., 2019). The adversary learns to agree with ``f``
    on the source rows and to disagree with it on the target rows; the
    reversed gradient pushes the features towards those on which no head
    that agrees with ``f`` on the source can disagree with it on the target.
    The loss added to the label loss on each batch, as in the paper and
    Transfer-Learning-Library's ``MarginDisparityDiscrepancy``, is
    ``trade_off * (margin * CE_S(f', argmax f) - mean_T log(1 -
    softmax(f')[argmax f]))``: the cross-entropy of ``f'`` against the
    predictions of ``f`` on the source rows, scaled by the margin factor
    ``gamma``, minus the "modified" log loss of the disagreement on the
    target rows. ``f`` gets no gradient from it (its predictions are
    constants); the features get it reversed and scaled by the adaptation
    factor of :class:`~sktransfer.deep.AdaptationSchedule` (registered as
    ``"adaptation"``, rising to the paper's 0.1), and the learning rate is
    annealed by :class:`~sktransfer.deep.LearningRateAnnealing`
    (``"lr_annealing"``), as in DANN. Predictions use ``f`` alone. With
    ``sample_domain=None`` (or only source rows) it builds no adversarial
    head and is the plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor ``f``, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    adversarial_head : torch.nn.Module class or instance, default=None
        ``f'``: maps a row's features to one logit per class. ``None`` means
        ``MLP(n_features, n_classes)`` with one hidden layer of 100 units
        (``adversarial_head__hidden_units``), as the paper's heads on its
        bottleneck features. A class is built with the
        ``adversarial_head__*`` parameters; an instance is copied.
    margin : float, default=4.0
        The margin factor ``gamma`` (the paper's 4 on Office-31; larger
        margins weigh the source agreement more).
    trade_off : float, default=1.0
        Weight of the MDD loss in the total loss (the paper's 1).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks`` added to the default ones, ``device``,
        ``random_state``, ...), ``module__*``, ``adversarial_head__*``,
        ``callbacks__adaptation__*``, ...

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained feature extractor and label predictor.
    adversarial_head_ : torch.nn.Module or None
        The trained adversarial head; ``None`` when training saw no target
        row.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    adaptation_factor_ : float
        The factor of the reversed gradient at the last batch.
    n_features_out_ : int
        Number of learned features per row.
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    DANNClassifier : A domain classifier behind the gradient reversal layer.

    References
    ----------
    .. [1] Y. Zhang, T. Liu, M. Long and M. I. Jordan, "Bridging theory and
       algorithm for domain adaptation", ICML 2019.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import MDDClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = MDDClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    >>> net.adversarial_head_(net.module_.extract_features(
    ...     torch.as_tensor(X[:3], dtype=torch.float32))).shape
    torch.Size([3, 2])
    """

    _parameter_constraints = {
        **DomainAlignmentClassifier._parameter_constraints,
        "margin": [Interval(Real, 0, None, closed="neither")],
        "trade_off": [_NON_NEGATIVE],
    }

    # skorch's registry of modules, declared as DANN declares its domain
    # classifier: adversarial_head__* parameters are valid and an instance
    # is accepted even in a fit that builds none
    prefixes_ = [*DomainAlignmentClassifier.prefixes_, "adversarial_head"]
    cuda_dependent_attributes_ = [
        *DomainAlignmentClassifier.cuda_dependent_attributes_,
        "adversarial_head_",
    ]
    _modules = [*DomainAlignmentClassifier._modules, "adversarial_head"]

    def __init__(
        self,
        module=None,
        *args,
        adversarial_head=None,
        margin=4.0,
        trade_off=1.0,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.adversarial_head = adversarial_head
        self.margin = margin
        self.trade_off = trade_off

    @property
    def _default_callbacks(self):
        return [
            *super()._default_callbacks,
            # the paper's reversal coefficient rises from 0 to 0.1
            ("adaptation", AdaptationSchedule(max_factor=0.1)),
            ("lr_annealing", LearningRateAnnealing()),
        ]

    def initialize_module(self):
        """Build ``module_`` and, to align domains, ``adversarial_head_``."""
        super().initialize_module()
        head = None
        if self.adapt_:
            spec = self.adversarial_head
            if spec is None:
                spec = partial(MLP, self.feature_size(), len(self.classes_))
            head = self.initialized_instance(
                spec, self.get_params_for("adversarial_head")
            )
        self.adversarial_head_ = head
        return self

    def check_module_output(self, X, n_classes):
        super().check_module_output(X, n_classes)
        if self.adversarial_head_ is None:
            return
        n_inputs = self.feature_size()
        zeros = np.zeros((2, n_inputs), dtype=np.float32)
        try:
            out = self._run_in_eval_mode(self.adversarial_head_, zeros)
        except ValueError as exc:
            raise ValueError(
                f"The adversarial_head of {type(self).__name__} cannot take the "
                f"{n_inputs} features of a row: {exc.__cause__}"
            ) from exc
        if tuple(out.shape) != (2, n_classes):
            raise ValueError(
                f"The adversarial_head of {type(self).__name__} must return one "
                f"logit per class ({n_classes}), got outputs of shape "
                f"{tuple(out.shape[1:])} per row."
            )

    def domain_loss(self, logits, features, sample_domain):
        """``trade_off`` times the margin disparity discrepancy loss of the batch.

        Zero (with a graph) for a single class, on which two heads cannot
        disagree. Arguments as in
        :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        if logits.shape[1] < 2:
            return logits.sum() * 0.0
        scale = getattr(self, "adaptation_factor_", 1.0)
        adversarial = self.adversarial_head_(gradient_reversal(features, scale))
        predicted = logits.detach().argmax(dim=1)
        target = sample_domain < 0
        source = ~target
        source_disparity = F.cross_entropy(adversarial[source], predicted[source])
        target_disagreement = _log_not_predicted(
            adversarial[target], predicted[target]
        ).mean()
        return self.trade_off * (self.margin * source_disparity - target_disagreement)
