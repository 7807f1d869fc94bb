"""Domain-adversarial training (DANN) and its schedules, for classes and values."""

import math
import numbers
from functools import partial

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback

from ._base import (
    _NON_NEGATIVE,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    _DomainAlignment,
)
from ._modules import MLP

__all__ = [
    "AdaptationSchedule",
    "DANNClassifier",
    "DANNRegressor",
    "GradientReversal",
    "LearningRateAnnealing",
    "gradient_reversal",
]


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.scale * grad_output, None


def gradient_reversal(x, scale=1.0):
    """Identity in the forward pass; gradient times ``-scale`` in the backward pass.

    Parameters
    ----------
    x : torch.Tensor
        Input.
    scale : float, default=1.0
        Factor of the reversed gradient (DANN's adaptation factor lambda).

    Returns
    -------
    out : torch.Tensor
        ``x``, unchanged, whose gradient comes back reversed.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import gradient_reversal
    >>> x = torch.ones(2, requires_grad=True)
    >>> gradient_reversal(x, 0.5).sum().backward()
    >>> x.grad
    tensor([-0.5000, -0.5000])
    """
    return _ReverseGradient.apply(x, float(scale))


class GradientReversal(torch.nn.Module):
    """The gradient reversal layer of DANN as a torch module.

    Parameters
    ----------
    scale : float, default=1.0
        Factor of the reversed gradient; DANN's schedule changes it during
        training.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import GradientReversal
    >>> layer = GradientReversal(scale=2.0)
    >>> x = torch.ones(3, requires_grad=True)
    >>> layer(x).sum().backward()
    >>> x.grad
    tensor([-2., -2., -2.])
    """

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return gradient_reversal(x, self.scale)


def _check_positive(value, name, allow_zero=False):
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
    if bad or not (value >= 0 if allow_zero else value > 0):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} number, got {value!r}.")


class _TrainingProgress(Callback):
    """Calls ``update(net, p)`` before each training batch, ``p`` from 0 to 1.

    Every parameter of such a schedule is a non-negative number.
    """

    def initialize(self):
        for name, value in self.get_params().items():
            _check_positive(value, name, allow_zero=True)
        return super().initialize()

    def on_train_begin(self, net, **kwargs):
        self.step_ = 0
        self.n_steps_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.n_steps_ is None:  # the rows left for training by train_split
            n_rows = len(dataset_train)
            batch_size = net.batch_size if net.batch_size > 0 else n_rows
            self.n_steps_ = max(1, math.ceil(n_rows / batch_size) * net.max_epochs)

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.update(net, min(self.step_ / self.n_steps_, 1.0))
            self.step_ += 1


class AdaptationSchedule(_TrainingProgress):
    """DANN's adaptation factor ``lambda_p = 2 / (1 + exp(-gamma p)) - 1``.

    ``p`` is the training progress, from 0 at the first batch to 1 at the
    last. The factor scales the gradient that the domain loss sends back into
    the feature extractor, so that the noisy domain classifier of the first
    epochs does not disturb it (Ganin et al., 2016, section 5.2.2). Set as
    the net's ``adaptation_factor_`` before each batch. Registered by
    :class:`DANNClassifier` (and :class:`DANNRegressor`) under the name
    ``"adaptation"``, so a grid search
    tunes it as ``callbacks__adaptation__gamma``.

    Parameters
    ----------
    gamma : float, default=10.0
        Steepness; the paper's 10. ``0`` keeps the factor at 0
        (source-only training with a trained domain classifier).
    max_factor : float, default=1.0
        The factor reached at the end of training (the paper's 1).

    References
    ----------
    .. [1] Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle,
       F. Laviolette, M. Marchand and V. Lempitsky, "Domain-adversarial
       training of neural networks", JMLR 17(59), 2016.

    Examples
    --------
    >>> from sktransfer.deep import AdaptationSchedule
    >>> schedule = AdaptationSchedule()
    >>> [round(schedule.factor(p), 3) for p in (0.0, 0.1, 1.0)]
    [0.0, 0.462, 1.0]
    """

    def __init__(self, gamma=10.0, max_factor=1.0):
        self.gamma = gamma
        self.max_factor = max_factor

    def factor(self, p):
        """``lambda_p`` at progress ``p`` in [0, 1]."""
        return self.max_factor * (2.0 / (1.0 + math.exp(-self.gamma * p)) - 1.0)

    def update(self, net, p):
        net.adaptation_factor_ = self.factor(p)


class LearningRateAnnealing(_TrainingProgress):
    """DANN's learning-rate annealing ``mu_p = mu_0 / (1 + alpha p) ** beta``.

    ``mu_0`` is the learning rate of each parameter group when training
    starts (the net's ``lr``); ``p`` the training progress from 0 to 1. The
    learning rates are restored when training ends. Registered by
    :class:`DANNClassifier` (and :class:`DANNRegressor`) under the name
    ``"lr_annealing"`` (tune as
    ``callbacks__lr_annealing__alpha``; ``alpha=0`` switches it off).

    Parameters
    ----------
    alpha : float, default=10.0
        The paper's 10.
    beta : float, default=0.75
        The paper's 0.75.

    References
    ----------
    .. [1] Y. Ganin et al., "Domain-adversarial training of neural
       networks", JMLR 17(59), 2016.

    Examples
    --------
    >>> from sktransfer.deep import LearningRateAnnealing
    >>> round(LearningRateAnnealing().factor(1.0), 4)
    0.1656
    """

    def __init__(self, alpha=10.0, beta=0.75):
        self.alpha = alpha
        self.beta = beta

    def factor(self, p):
        """``mu_p / mu_0`` at progress ``p`` in [0, 1]."""
        return 1.0 / (1.0 + self.alpha * p) ** self.beta

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.base_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]

    def update(self, net, p):
        factor = self.factor(p)
        for group, lr in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = lr * factor

    def on_train_end(self, net, **kwargs):
        for group, lr in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = lr


class _DANNMixin(_DomainAlignment):
    """DANN's machinery, for :class:`DANNClassifier` and :class:`DANNRegressor`.

    The domain classifier module (``domain_classifier``, built when training
    sees target rows), the gradient reversal scaled by the adaptation factor
    of :class:`AdaptationSchedule`, the learning-rate annealing of
    :class:`LearningRateAnnealing`, and the domain loss weighted by
    ``domain_weight``: nothing of it depends on the targets.
    """

    _parameter_constraints = {
        **_DomainAlignment._parameter_constraints,
        "domain_weight": [_NON_NEGATIVE],
    }

    # skorch's registry of modules, declared: the domain classifier is one
    # from the start, so that its domain_classifier__* parameters are valid
    # and an instance is accepted (skorch moves, trains and pickles it) even
    # in a fit that builds none
    prefixes_ = [*_DomainAlignment.prefixes_, "domain_classifier"]
    cuda_dependent_attributes_ = [
        *NeuralNet.cuda_dependent_attributes_,
        "domain_classifier_",
    ]
    _modules = [*NeuralNet._modules, "domain_classifier"]

    def __init__(
        self, module=None, *args, domain_classifier=None, domain_weight=1.0, **kwargs
    ):
        super().__init__(module, *args, **kwargs)
        self.domain_classifier = domain_classifier
        self.domain_weight = domain_weight

    @property
    def _default_callbacks(self):
        # skorch lists the parameters of these in get_params before and after
        # fit alike, so that a clone of a fitted net has the same parameters
        return [
            *super()._default_callbacks,
            ("adaptation", AdaptationSchedule()),
            ("lr_annealing", LearningRateAnnealing()),
        ]

    def _domain_classifier_inputs(self):
        return self.feature_size()

    def initialize_module(self):
        """Build ``module_`` and, to align domains, ``domain_classifier_``."""
        super().initialize_module()
        domain_classifier = None
        if self.adapt_:
            spec = self.domain_classifier
            if spec is None:
                spec = partial(MLP, self._domain_classifier_inputs(), 1)
            domain_classifier = self.initialized_instance(
                spec, self.get_params_for("domain_classifier")
            )
        self.domain_classifier_ = domain_classifier
        return self

    def check_module_output(self, X, n_outputs):
        super().check_module_output(X, n_outputs)
        if self.domain_classifier_ is None:
            return
        n_inputs = self._domain_classifier_inputs()
        zeros = np.zeros((2, n_inputs), dtype=np.float32)
        try:
            out = self._run_in_eval_mode(self.domain_classifier_, zeros)
        except ValueError as exc:
            raise ValueError(
                f"The domain_classifier of {type(self).__name__} cannot take its "
                f"input of {n_inputs} values per row: {exc.__cause__}"
            ) from exc
        if tuple(out.shape) != (2, 1):
            raise ValueError(
                f"The domain_classifier of {type(self).__name__} must return one "
                f"logit per row, got outputs of shape {tuple(out.shape[1:])} per "
                "row."
            )

    def _domain_logits(self, logits, features, sample_domain):
        scale = getattr(self, "adaptation_factor_", 1.0)
        return self.domain_classifier_(gradient_reversal(features, scale)), None

    def domain_loss(self, logits, features, sample_domain):
        """``domain_weight`` times the domain classifier's logistic loss.

        Arguments as in :meth:`DomainAlignmentClassifier.domain_loss`
        (``logits``: a regressor's predictions).
        """
        domain_logits, weights = self._domain_logits(logits, features, sample_domain)
        is_target = (sample_domain < 0).to(domain_logits.dtype)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            domain_logits[:, 0], is_target, reduction="none"
        )
        loss = (
            loss.mean() if weights is None else (weights * loss).sum() / weights.sum()
        )
        return self.domain_weight * loss


class DANNClassifier(_DANNMixin, DomainAlignmentClassifier):
    """Domain-adversarial neural network (DANN) classifier.

    A feature extractor feeds a label predictor and, through a gradient
    reversal layer, a domain classifier. The label loss (cross-entropy on
    the labeled rows) and the domain loss (logistic loss of telling source
    rows from target rows, on every row) are minimised together: the domain
    classifier learns to tell the domains apart, while the reversed gradient,
    scaled by the adaptation factor ``lambda_p``, pushes the extractor
    towards features it cannot tell apart. Schedules of the paper as skorch
    callbacks: :class:`AdaptationSchedule` (``"adaptation"``) and
    :class:`LearningRateAnnealing` (``"lr_annealing"``), tunable by grid
    search (``callbacks__adaptation__gamma``). With ``sample_domain=None``
    (or only source rows) it builds no domain classifier and is the plain
    network. :meth:`extract_features` returns the learned features.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    domain_classifier : torch.nn.Module class or instance, default=None
        Maps a row's features to one domain logit (target rows are class 1).
        ``None`` means ``MLP(n_features, 1)`` with one hidden layer of 100
        units (``domain_classifier__hidden_units``; ``()`` makes it the
        logistic regression of the paper's shallow experiments). A class is
        built with the ``domain_classifier__*`` parameters; an instance is
        copied.
    domain_weight : float, default=1.0
        Weight of the domain loss in the total loss (the domain classifier's
        own learning rate relative to the label predictor's).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr=1e-3`` is the initial learning rate ``mu_0``, ``max_epochs``,
        ``batch_size``, ``train_split``, ``callbacks`` added to the default
        ones, ``device``, ``random_state``, ...), ``module__*``,
        ``domain_classifier__*``, ``callbacks__adaptation__*``, ...

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained feature extractor and label predictor.
    domain_classifier_ : torch.nn.Module or None
        The trained domain classifier; ``None`` when training saw no target
        row.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    adaptation_factor_ : float
        The adaptation factor of the last batch.
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
    CDANClassifier : The domain classifier conditioned on the predictions.
    DeepCORALClassifier : Aligns second-order statistics instead.

    References
    ----------
    .. [1] Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle,
       F. Laviolette, M. Marchand and V. Lempitsky, "Domain-adversarial
       training of neural networks", JMLR 17(59), 2016.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DANNClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> y_train = hide_target_labels(y, sd)
    >>> net = DANNClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, y_train, sample_domain=sd).predict(X[:3]).shape
    (3,)
    >>> net.extract_features(X[:3]).shape
    (3, 100)
    """


class DANNRegressor(_DANNMixin, DomainAlignmentRegressor):
    """Domain-adversarial neural network (DANN) regressor.

    :class:`DANNClassifier` with a regression head: the squared error on the
    labeled rows (``y`` not ``nan``; source rows and labeled target rows)
    plus the domain classifier's logistic loss of telling source rows from
    target rows, whose gradient, reversed and scaled by ``lambda_p``, pushes
    the feature extractor towards features the domains share. The same
    domain classifier, schedules (:class:`AdaptationSchedule` as
    ``"adaptation"``, :class:`LearningRateAnnealing` as ``"lr_annealing"``)
    and parameters as the classifier; ``y`` has one output or several
    (``(n_samples, n_outputs)``). Ganin et al. (2016) state DANN for any
    label predictor; this is that predictor with a real-valued output. With
    ``sample_domain=None`` (or only source rows) it builds no domain
    classifier and is the plain network. Standardise ``y`` when its scale
    is far from 1 (see :class:`~sktransfer.deep.DomainNetRegressor`).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentRegressor` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features, and whose head returns ``n_outputs_`` values).
    *args
        skorch's positional parameters (none in practice).
    domain_classifier : torch.nn.Module class or instance, default=None
        Maps a row's features to one domain logit (target rows are class 1).
        ``None`` means ``MLP(n_features, 1)`` with one hidden layer of 100
        units (``domain_classifier__hidden_units``). A class is built with
        the ``domain_classifier__*`` parameters; an instance is copied.
    domain_weight : float, default=1.0
        Weight of the domain loss in the total loss.
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainAlignmentRegressor`
        (``regularizers``, ``balanced_batches``) and of
        :class:`~sktransfer.deep.DomainNetRegressor` (``criterion``, ``lr``,
        ``max_epochs``, ``batch_size``, ``train_split``, ``callbacks``,
        ``device``, ``random_state``, ...), ``module__*``,
        ``domain_classifier__*``, ``callbacks__adaptation__*``, ...

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained feature extractor and predictor.
    domain_classifier_ : torch.nn.Module or None
        The trained domain classifier; ``None`` when training saw no target
        row.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    adaptation_factor_ : float
        The adaptation factor of the last batch.
    n_features_out_ : int
        Number of learned features per row.
    n_outputs_ : int
        Number of outputs (columns of ``y``; 1 for a 1-d ``y``).
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    DANNClassifier : The classifier.
    DeepCORALRegressor : Aligns second-order statistics instead.
    DANRegressor : Aligns the features with a kernel discrepancy (MK-MMD).

    References
    ----------
    .. [1] Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle,
       F. Laviolette, M. Marchand and V. Lempitsky, "Domain-adversarial
       training of neural networks", JMLR 17(59), 2016.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DANNRegressor
    >>> from sktransfer.utils import hide_target_labels
    >>> X, _, sd = make_domain_shift(random_state=0)
    >>> y = X[:, 1] - X[:, 0] ** 2 / 2  # the score behind the covariate shift
    >>> y_train = hide_target_labels(y, sd)  # nan on every target row
    >>> net = DANNRegressor(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, y_train, sample_domain=sd).predict(X[:3]).shape
    (3,)
    >>> net.extract_features(X[:3]).shape
    (3, 100)
    """
