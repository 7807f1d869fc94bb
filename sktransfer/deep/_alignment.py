"""Deep CORAL and CDAN: more ways to align the domains, on DANN's training loop."""

import torch
from sklearn.utils._param_validation import StrOptions

from ._base import _NON_NEGATIVE, DomainAlignmentClassifier
from ._dann import DANNClassifier, gradient_reversal

__all__ = ["CDANClassifier", "DeepCORALClassifier", "coral_loss"]


def coral_loss(source, target):
    """Squared Frobenius distance of the two covariances, over ``4 d^2``.

    Parameters
    ----------
    source : torch.Tensor of shape (n_source, d)
        At least two rows.
    target : torch.Tensor of shape (n_target, d)
        At least two rows.

    Returns
    -------
    loss : torch.Tensor
        A scalar, differentiable in both inputs.

    References
    ----------
    .. [1] B. Sun and K. Saenko, "Deep CORAL: correlation alignment for deep
       domain adaptation", ECCV 2016 workshops.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import coral_loss
    >>> x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    >>> float(coral_loss(x, x))
    0.0
    >>> bool(coral_loss(x, 3 * x) > 0)
    True
    """
    d = source.shape[1]
    return ((_covariance(source) - _covariance(target)) ** 2).sum() / (4 * d * d)


def _covariance(X):
    centered = X - X.mean(dim=0, keepdim=True)
    return centered.T @ centered / (X.shape[0] - 1)


class DeepCORALClassifier(DomainAlignmentClassifier):
    """Deep CORAL: align the covariances of source and target activations.

    Trains a network on the label loss of the labeled rows plus
    ``coral_weight`` times the CORAL loss, the squared distance between the
    covariance matrices of source and target activations of a layer (over
    ``4 d^2``), computed batch by batch on the source and target rows of the
    batch. Unlike DANN it needs no domain classifier nor schedule. With
    ``sample_domain=None`` (or only source rows) it is a plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    coral_weight : float, default=1.0
        Weight of the CORAL loss (the paper's lambda). The paper chooses it
        so that both losses are of similar size at the end of training.
    layer : {"logits", "features"}, default="logits"
        The activations aligned: the class logits (the paper's choice, its
        last layer fc8) or the learned features.
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    sktransfer.feature.CORAL : The shallow CORAL transform.
    DANNClassifier : Adversarial alignment.

    References
    ----------
    .. [1] B. Sun and K. Saenko, "Deep CORAL: correlation alignment for deep
       domain adaptation", ECCV 2016 workshops (TASK-CV).

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DeepCORALClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = DeepCORALClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **DomainAlignmentClassifier._parameter_constraints,
        "coral_weight": [_NON_NEGATIVE],
        "layer": [StrOptions({"logits", "features"})],
    }

    def __init__(self, module=None, *args, coral_weight=1.0, layer="logits", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.coral_weight = coral_weight
        self.layer = layer

    def domain_loss(self, logits, features, sample_domain):
        """``coral_weight`` times the CORAL loss of the batch's activations.

        Zero when a domain has fewer than two rows in the batch (a covariance
        needs two). Arguments as in
        :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        activations = logits if self.layer == "logits" else features
        target = sample_domain < 0
        if min(int(target.sum()), int((~target).sum())) < 2:
            return activations.sum() * 0.0
        return self.coral_weight * coral_loss(activations[~target], activations[target])


class CDANClassifier(DANNClassifier):
    """Conditional domain-adversarial network (CDAN, CDAN+E).

    DANN whose domain classifier sees the multilinear map ``g (x) f`` of the
    class probabilities ``g`` and the features ``f`` (their outer product,
    flattened) instead of ``f`` alone, so that it aligns the joint
    distribution of features and predictions and not only the features
    (Long et al., 2018). With ``entropy=True`` (CDAN+E) each row's domain
    loss is weighted by ``1 + exp(-H(g))``, favouring confident
    predictions. Same schedules, parameters and fitted attributes as
    :class:`DANNClassifier`; the domain classifier's input has
    ``n_classes * n_features_out_`` values (the paper's randomized
    multilinear map for very wide features is not implemented).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        As in :class:`DANNClassifier`.
    *args
        skorch's positional parameters (none in practice).
    entropy : bool, default=True
        Entropy conditioning (CDAN+E).
    **kwargs : dict
        The parameters of :class:`DANNClassifier`: ``domain_classifier``
        (it maps the ``n_classes * n_features_out_`` values of the
        multilinear map to one domain logit; ``None`` means an MLP with one
        hidden layer of 100 units), ``domain_weight``, ``lr``,
        ``max_epochs``, ``device``, ``random_state``, ...

    Attributes
    ----------
    domain_classifier_ : torch.nn.Module or None
        The trained domain classifier, on the multilinear map; ``None`` when
        training saw no target row. The other fitted attributes are those of
        :class:`DANNClassifier` (``module_``, ``adapt_``,
        ``adaptation_factor_``, ``n_features_out_``, ``classes_``,
        ``device_``, ``n_features_in_``).

    References
    ----------
    .. [1] M. Long, Z. Cao, J. Wang and M. I. Jordan, "Conditional
       adversarial domain adaptation", NeurIPS 2018.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import CDANClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = CDANClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **DANNClassifier._parameter_constraints,
        "entropy": ["boolean"],
    }

    def __init__(self, module=None, *args, entropy=True, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.entropy = entropy

    def _domain_classifier_inputs(self):
        return len(self.classes_) * self.feature_size()

    def _domain_logits(self, logits, features, sample_domain):
        proba = torch.softmax(logits, dim=1).detach()
        joint = torch.bmm(proba.unsqueeze(2), features.unsqueeze(1)).flatten(1)
        scale = getattr(self, "adaptation_factor_", 1.0)
        domain_logits = self.domain_classifier_(gradient_reversal(joint, scale))
        if not self.entropy:
            return domain_logits, None
        entropy = -(proba * torch.log(proba.clamp_min(1e-12))).sum(dim=1)
        weights = 1.0 + torch.exp(-entropy)
        target = sample_domain < 0
        for mask in (target, ~target):
            if bool(mask.any()):
                weights = torch.where(mask, weights / weights[mask].sum(), weights)
        return domain_logits, weights
