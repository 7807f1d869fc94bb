"""Deep CORAL and CDAN: more ways to align the domains, on DANN's training loop."""

import math
from numbers import Integral

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    _NON_NEGATIVE,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    _DomainAlignment,
)
from ._dann import DANNClassifier, gradient_reversal

__all__ = [
    "CDANClassifier",
    "DeepCORALClassifier",
    "DeepCORALRegressor",
    "coral_loss",
]


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


class _DeepCORALMixin(_DomainAlignment):
    """Deep CORAL's loss, for :class:`DeepCORALClassifier` and
    :class:`DeepCORALRegressor` (which differ in the default ``layer``)."""

    _parameter_constraints = {
        **_DomainAlignment._parameter_constraints,
        "coral_weight": [_NON_NEGATIVE],
        "layer": [StrOptions({"logits", "features"})],
    }

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


class DeepCORALClassifier(_DeepCORALMixin, DomainAlignmentClassifier):
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

    def __init__(self, module=None, *args, coral_weight=1.0, layer="logits", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.coral_weight = coral_weight
        self.layer = layer


class DeepCORALRegressor(_DeepCORALMixin, DomainAlignmentRegressor):
    """Deep CORAL regressor: align the covariances of source and target features.

    :class:`DeepCORALClassifier` with a regression head: the squared error
    on the labeled rows (``y`` not ``nan``) plus ``coral_weight`` times the
    CORAL loss between the covariances of the source and the target rows'
    activations in each batch. The activations are by default the learned
    features: the outputs of a regressor with one output have a 1 x 1
    covariance, which aligns only their variance (``layer="logits"`` takes
    them, as the paper takes a classifier's last layer). With
    ``sample_domain=None`` (or only source rows) it is a plain network.
    Standardise ``y`` when its scale is far from 1 (see
    :class:`~sktransfer.deep.DomainNetRegressor`).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentRegressor` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    coral_weight : float, default=1.0
        Weight of the CORAL loss (the paper's lambda).
    layer : {"features", "logits"}, default="features"
        The activations aligned: the learned features, or the network's
        outputs (its predictions).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainAlignmentRegressor`
        and :class:`~sktransfer.deep.DomainNetRegressor` (``lr``,
        ``max_epochs``, ``batch_size``, ``train_split``, ``callbacks``,
        ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    n_outputs_ : int
        Number of outputs (columns of ``y``; 1 for a 1-d ``y``).
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    DeepCORALClassifier : The classifier.
    sktransfer.feature.CORAL : The shallow CORAL transform.

    References
    ----------
    .. [1] B. Sun and K. Saenko, "Deep CORAL: correlation alignment for deep
       domain adaptation", ECCV 2016 workshops (TASK-CV).

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DeepCORALRegressor
    >>> from sktransfer.utils import hide_target_labels
    >>> X, _, sd = make_domain_shift(random_state=0)
    >>> y = X[:, 1] - X[:, 0] ** 2 / 2  # the score behind the covariate shift
    >>> net = DeepCORALRegressor(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self, module=None, *args, coral_weight=1.0, layer="features", **kwargs
    ):
        super().__init__(module, *args, **kwargs)
        self.coral_weight = coral_weight
        self.layer = layer


# CDAN's rule: the multilinear map up to this many values, else the randomized one
_MULTILINEAR_MAX = 4096


class _RandomizedMultilinearMap(torch.nn.Module):
    """CDAN's randomized multilinear map ``(R_f f) * (R_g g) / sqrt(d)``.

    ``R_f`` (``feature_projection``, ``n_features x d``) and ``R_g``
    (``class_projection``, ``n_classes x d``) are standard Gaussian, drawn
    once from torch's generator and kept as buffers: never trained, moved to
    the device and saved with the net. The inner product of two maps is an
    unbiased estimate of that of the two outer products ``g (x) f``.

    Parameters
    ----------
    n_features : int
        Width of the features ``f``.
    n_classes : int
        Width of the class probabilities ``g``.
    output_dim : int
        ``d``, the width of the map.
    """

    def __init__(self, n_features, n_classes, output_dim):
        super().__init__()
        self.output_dim = output_dim
        self.register_buffer("feature_projection", torch.randn(n_features, output_dim))
        self.register_buffer("class_projection", torch.randn(n_classes, output_dim))

    def forward(self, features, proba):
        projected = (features @ self.feature_projection) * (
            proba @ self.class_projection
        )
        return projected / math.sqrt(self.output_dim)


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
    ``n_classes * n_features_out_`` values. When that is too many (by
    default, over 4096, the paper's rule), the randomized multilinear map
    stands for the outer product: ``(R_f f) * (R_g g) / sqrt(d)``, the
    elementwise product of two random projections to ``d =
    randomized_dim`` values, with fixed Gaussian matrices ``R_f`` and
    ``R_g`` drawn once when the net is initialised (from ``random_state``),
    whose inner products approximate those of the outer products.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        As in :class:`DANNClassifier`.
    *args
        skorch's positional parameters (none in practice).
    entropy : bool, default=True
        Entropy conditioning (CDAN+E).
    randomized : {"auto", True, False}, default="auto"
        Whether the domain classifier sees the randomized multilinear map
        instead of the multilinear map: ``"auto"`` when
        ``n_classes * n_features_out_ > 4096`` (the paper's rule).
    randomized_dim : int, default=1024
        Number of values of the randomized multilinear map (the paper's
        1024).
    **kwargs : dict
        The parameters of :class:`DANNClassifier`: ``domain_classifier``
        (it maps the ``n_classes * n_features_out_`` values of the
        multilinear map, or the ``randomized_dim`` values of the randomized
        one, to one domain logit; ``None`` means an MLP with one hidden
        layer of 100 units), ``domain_weight``, ``lr``, ``max_epochs``,
        ``device``, ``random_state``, ...

    Attributes
    ----------
    domain_classifier_ : torch.nn.Module or None
        The trained domain classifier, on the multilinear map; ``None`` when
        training saw no target row.
    randomized_map_ : torch.nn.Module or None
        The randomized multilinear map (its random matrices are buffers,
        not trained: ``randomized_map_.feature_projection`` and
        ``.class_projection``) when the domain classifier sees it; ``None``
        otherwise. The other fitted attributes are those of
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
    >>> net.randomized_map_ is None  # 2 classes x 100 features: the exact map
    True
    >>> net = CDANClassifier(randomized=True, randomized_dim=64, max_epochs=1,
    ...                      random_state=0, device="cpu")
    >>> _ = net.fit(X, hide_target_labels(y, sd), sample_domain=sd)
    >>> net.domain_classifier_.features[1].in_features
    64
    """

    _parameter_constraints = {
        **DANNClassifier._parameter_constraints,
        "entropy": ["boolean"],
        "randomized": [StrOptions({"auto"}), "boolean"],
        "randomized_dim": [Interval(Integral, 1, None, closed="left")],
    }

    # the randomized map is a module of the net (skorch moves it to the
    # device, switches its mode and the net's state saves its matrices)
    prefixes_ = [*DANNClassifier.prefixes_, "randomized_map"]
    cuda_dependent_attributes_ = [
        *DANNClassifier.cuda_dependent_attributes_,
        "randomized_map_",
    ]
    _modules = [*DANNClassifier._modules, "randomized_map"]

    def __init__(
        self,
        module=None,
        *args,
        entropy=True,
        randomized="auto",
        randomized_dim=1024,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.entropy = entropy
        self.randomized = randomized
        self.randomized_dim = randomized_dim

    def _uses_randomized_map(self):
        if isinstance(self.randomized, str):  # "auto"
            return len(self.classes_) * self.feature_size() > _MULTILINEAR_MAX
        return bool(self.randomized)

    def _domain_classifier_inputs(self):
        if self._uses_randomized_map():
            return int(self.randomized_dim)
        return len(self.classes_) * self.feature_size()

    def initialize_module(self):
        """Build ``module_``, ``domain_classifier_`` and ``randomized_map_``."""
        stray = self.get_params_for("randomized_map")
        if stray:
            raise ValueError(
                f"{type(self).__name__} takes no randomized_map__* parameters (the "
                f"map is set by randomized and randomized_dim), got {sorted(stray)}."
            )
        super().initialize_module()
        randomized_map = None
        if self.adapt_ and self._uses_randomized_map():
            # drawn after the other modules, from torch's generator, which
            # fit seeds from random_state
            randomized_map = _RandomizedMultilinearMap(
                self.feature_size(), len(self.classes_), int(self.randomized_dim)
            )
        self.randomized_map_ = randomized_map
        return self

    def _domain_logits(self, logits, features, sample_domain):
        proba = torch.softmax(logits, dim=1).detach()
        if self.randomized_map_ is not None:
            joint = self.randomized_map_(features, proba)
        else:
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
