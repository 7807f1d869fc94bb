"""Domain-adversarial training (DANN) and its schedules."""

import copy
import math
import numbers

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.utils import to_tensor

from ._base import DomainNetClassifier
from ._modules import MLP

__all__ = [
    "AdaptationSchedule",
    "DANNClassifier",
    "GradientReversal",
    "LearningRateAnnealing",
    "NonFiniteLossError",
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


class NonFiniteLossError(ValueError, FloatingPointError):
    """Raised when the training loss of a deep alignment method is NaN or inf.

    The message names the epoch. A ``ValueError``: the learning rate, the
    weight of the domain loss or the scale of the inputs does not suit the
    data. Also a ``FloatingPointError``, for code that catches those.
    """


def _check_positive(value, name, allow_zero=False):
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
    if bad or not (value >= 0 if allow_zero else value > 0):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} number, got {value!r}.")


class _TrainingProgress(Callback):
    """Calls ``update(net, p)`` before each training batch, ``p`` from 0 to 1."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        n_rows = len(y) if y is not None else 1
        batch_size = net.batch_size if net.batch_size > 0 else n_rows
        self.n_steps_ = max(1, math.ceil(n_rows / batch_size) * net.max_epochs)
        self.step_ = 0

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
    :class:`DANNClassifier` under the name ``"adaptation"``, so a grid search
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

    def initialize(self):
        _check_positive(self.gamma, "gamma", allow_zero=True)
        _check_positive(self.max_factor, "max_factor", allow_zero=True)
        return super().initialize()

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
    :class:`DANNClassifier` under the name ``"lr_annealing"`` (tune as
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

    def initialize(self):
        _check_positive(self.alpha, "alpha", allow_zero=True)
        _check_positive(self.beta, "beta", allow_zero=True)
        return super().initialize()

    def factor(self, p):
        """``mu_p / mu_0`` at progress ``p`` in [0, 1]."""
        return 1.0 / (1.0 + self.alpha * p) ** self.beta

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.base_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]

    def update(self, net, p):
        factor = self.factor(p)
        for group, lr in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = lr * factor

    def on_train_end(self, net, **kwargs):
        for group, lr in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = lr


def logits_and_features(module, X, **fit_params):
    """Class logits and features of a network split into extractor and head.

    A module with an ``extract_features`` method and a ``head`` (as
    :class:`~sktransfer.deep.MLP`) is run as ``head(extract_features(X))``;
    any other module must return the tuple ``(logits, features)``. Extra
    fit parameters go to ``extract_features`` (or ``forward``), as skorch
    passes them to ``forward``.
    """
    if hasattr(module, "extract_features") and hasattr(module, "head"):
        features = module.extract_features(X, **fit_params)
        return module.head(features), features
    out = module(X, **fit_params)
    if isinstance(out, tuple | list) and len(out) >= 2:
        return out[0], out[1]
    raise ValueError(
        f"The module {type(module).__name__} must either have an "
        "extract_features(X) method and a head (as sktransfer.deep.MLP), or "
        "return the tuple (logits, features) from forward."
    )


class _BatchIterator:
    def __init__(self, X, y, batch_size, shuffle):
        self.X = {key: torch.as_tensor(value) for key, value in X.items()}
        self.y = torch.as_tensor(y)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self):
        n = len(self.y)
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start : start + self.batch_size]
            yield {key: value[index] for key, value in self.X.items()}, self.y[index]


class _DomainAlignmentNet(DomainNetClassifier):
    """Shared machinery of the deep alignment methods (private).

    Training sees the rows of both domains; ``extract_features`` returns the
    learned features; a NaN loss stops training with an error naming the
    epoch; ``adapt_`` is false (a plain network) when every row is a source
    row.
    """

    def _train_all_rows(self, X, y, sample_domain, **fit_params):
        self._check_domains(sample_domain)
        super()._train_all_rows(X, y, sample_domain, **fit_params)

    def _check_domains(self, sample_domain):
        if not (sample_domain > 0).any():
            raise ValueError(
                f"{type(self).__name__} needs source rows (sample_domain > 0): "
                "it aligns the target with a labeled source, but got only target "
                "rows."
            )
        self.adapt_ = bool((sample_domain < 0).any())

    def check_module_output(self, X, n_classes):
        super().check_module_output(X, n_classes)
        self.module_.eval()
        try:
            with torch.no_grad():
                _, features = logits_and_features(
                    self.module_, to_tensor(X[:2], device=self.device_)
                )
        finally:
            self.module_.train()
        if features.ndim != 2:
            raise ValueError(
                f"The features of the module of {type(self).__name__} must be 2-d "
                f"(rows, features), got shape {tuple(features.shape)}."
            )
        self.n_features_out_ = int(features.shape[1])

    def feature_size(self):
        """Number of features the module's extractor returns per row."""
        was_training = self.module_.training
        self.module_.eval()
        try:
            with torch.no_grad():
                x = torch.zeros((2, *self.input_shape_), device=self.device_)
                _, features = logits_and_features(self.module_, x)
        finally:
            self.module_.train(was_training)
        return int(np.prod(features.shape[1:]))

    def get_iterator(self, dataset, training=False):
        X = getattr(dataset, "X", None)
        if not training or not isinstance(X, dict) or self.batch_size <= 0:
            return super().get_iterator(dataset, training=training)
        # batches sliced from whole tensors: skorch's row-by-row collation of
        # the dict input costs more than the forward pass of a small network
        shuffle = self.get_params_for("iterator_train").get("shuffle", True)
        return _BatchIterator(X, dataset.y, self.batch_size, shuffle)

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        if not bool(torch.isfinite(step["loss"])):
            loss = float(step["loss"].detach())
            raise NonFiniteLossError(
                f"{type(self).__name__}: the training loss became {loss} in epoch "
                f"{len(self.history)}; lower lr or the weight of the domain loss, "
                "or scale the inputs."
            )
        return step

    def extract_features(self, X):
        """The learned features of ``X`` (the feature extractor's output).

        Compare domains on them, e.g. with
        :func:`sktransfer.metrics.proxy_a_distance`.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows shaped like the training rows.

        Returns
        -------
        features : ndarray of shape (n_samples, `n_features_out_`)
        """
        X = self._validate_X(X)
        self._set_training(False)
        out = []
        with torch.no_grad():
            for Xi, _ in self.get_iterator(self.get_dataset(X), training=False):
                x = to_tensor(Xi, device=self.device_)
                out.append(logits_and_features(self.module_, x)[1].cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def infer(self, x, **fit_params):
        X = to_tensor(self.batch_input(x), device=self.device_)
        logits, features = logits_and_features(self.module_, X, **fit_params)
        if isinstance(x, dict) and self.module_.training:
            return logits, features
        return logits

    def _build_module(self, spec, prefix, n_inputs, n_outputs, hidden_units):
        kwargs = self.get_params_for(prefix)
        if spec is None:
            kwargs.setdefault("hidden_units", hidden_units)
            return MLP(n_inputs, n_outputs, **kwargs)
        if isinstance(spec, torch.nn.Module):
            if kwargs:
                raise ValueError(
                    f"{prefix}__* parameters configure a module class; {prefix} is "
                    f"an instance, so {sorted(kwargs)} cannot apply."
                )
            return copy.deepcopy(spec)
        return spec(**kwargs)

    def _check_discriminator(self, discriminator, n_inputs, name):
        discriminator.eval()
        try:
            with torch.no_grad():
                out = discriminator(torch.zeros((2, n_inputs), device=self.device_))
        except RuntimeError as exc:
            raise ValueError(
                f"The {name} of {type(self).__name__} cannot take its input of "
                f"{n_inputs} values per row: {exc}"
            ) from exc
        finally:
            discriminator.train()
        if tuple(out.shape) != (2, 1):
            raise ValueError(
                f"The {name} of {type(self).__name__} must return one logit per "
                f"row, got outputs of shape {tuple(out.shape[1:])} per row."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class DANNClassifier(_DomainAlignmentNet):
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
    (or only source rows) it trains the network alone: a plain classifier.
    :meth:`extract_features` returns the learned features (not named ``transform``,
    which would make scikit-learn test it as a transformer).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor. ``None`` means
        :class:`~sktransfer.deep.MLP` (one hidden layer of 100 units; set
        ``module__hidden_units``), whose hidden layers are the features. A
        module of your own (e.g. a CNN) either has an ``extract_features(X)``
        method and a ``head`` module (as ``MLP``), or returns the tuple
        ``(logits, features)`` from ``forward``.
    domain_classifier : torch.nn.Module class or instance, default=None
        Maps a row's features to one domain logit (target rows are class 1).
        ``None`` means ``MLP(n_features, 1)`` with one hidden layer of 100
        units (``domain_classifier__hidden_units``; ``()`` makes it the
        logistic regression of the paper's shallow experiments). A class is
        built with the ``domain_classifier__*`` parameters.
    domain_weight : float, default=1.0
        Weight of the domain loss in the total loss (the domain classifier's
        own learning rate relative to the label predictor's).
    criterion : torch loss class, default=torch.nn.CrossEntropyLoss
        Label loss.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Optimizer of all modules.
    lr : float, default=1e-3
        Initial learning rate ``mu_0``.
    max_epochs : int, default=10
        Passes over all rows.
    batch_size : int, default=64
        Rows per batch (source and target rows shuffled together).
    train_split : callable or None, default=None
        skorch's validation split; ``None`` trains on every row.
    callbacks : list of (name, callback) or None, default=None
        Callbacks added to the default ones (which include the two
        schedules).
    device : str, torch.device or None, default="auto"
        ``"auto"`` uses the GPU when torch sees one, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, shuffling and dropout.
    verbose : int, default=0
        skorch's printing of each epoch.
    **kwargs : dict
        Other skorch parameters (``module__*``, ``domain_classifier__*``,
        ``optimizer__*``, ``callbacks__adaptation__*``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained feature extractor and label predictor.
    discriminator_ : torch.nn.Module
        The trained domain classifier.
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

    # lets skorch accept domain_classifier__* parameters
    prefixes_ = [*DomainNetClassifier.prefixes_, "domain_classifier"]

    def __init__(
        self,
        module=None,
        *,
        domain_classifier=None,
        domain_weight=1.0,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=10,
        batch_size=64,
        train_split=None,
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            random_state=random_state,
            verbose=verbose,
            **kwargs,
        )
        # set like the base sets module: skorch refuses torch modules before
        # its __init__ ends
        vars(self).update(domain_classifier=domain_classifier)
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

    def _discriminator_inputs(self):
        return self.feature_size()

    def initialize_module(self):
        """Build ``module_`` and the domain classifier ``discriminator_``."""
        _check_positive(self.domain_weight, "domain_weight", allow_zero=True)
        super().initialize_module()
        self.module_.to(self.device_)
        n_inputs = self._discriminator_inputs()
        discriminator = self._build_module(
            self.domain_classifier, "domain_classifier", n_inputs, 1, (100,)
        ).to(self.device_)
        self._check_discriminator(discriminator, n_inputs, "domain_classifier")
        self.discriminator_ = discriminator
        return self

    def _domain_logits(self, logits, features, sample_domain):
        scale = getattr(self, "adaptation_factor_", 1.0)
        return self.discriminator_(gradient_reversal(features, scale)), None

    def domain_loss(self, logits, features, sample_domain):
        """Logistic loss of the domain classifier on the rows of a batch.

        Parameters
        ----------
        logits : torch.Tensor of shape (batch_size, n_classes)
        features : torch.Tensor of shape (batch_size, `n_features_out_`)
        sample_domain : torch.Tensor of shape (batch_size,)

        Returns
        -------
        loss : torch.Tensor
            A scalar.
        """
        domain_logits, weights = self._domain_logits(logits, features, sample_domain)
        is_target = (sample_domain < 0).to(domain_logits.dtype)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            domain_logits[:, 0], is_target, reduction="none"
        )
        if weights is None:
            return loss.mean()
        return (weights * loss).sum() / weights.sum()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Label loss plus ``domain_weight`` times the domain loss (in training)."""
        if not isinstance(y_pred, tuple | list):
            return self.label_loss(y_pred, y_true)
        logits, features = y_pred[:2]
        loss = self.label_loss(logits, y_true)
        if self.adapt_ and self.domain_weight > 0:
            sample_domain = to_tensor(X["sample_domain"], device=self.device_)
            loss = loss + self.domain_weight * self.domain_loss(
                logits, features, sample_domain
            )
        return loss
