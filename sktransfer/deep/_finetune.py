"""Pre-training on the source, then fine-tuning on the labeled target rows."""

import fnmatch
import numbers
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback
from skorch.dataset import unpack_data

from .._domain import encode_classes, labeled_mask
from ._base import _NON_NEGATIVE, DomainNetClassifier
from ._finetune_callbacks import batch_spectral_shrinkage, l2sp_penalty

__all__ = ["FineTuningClassifier", "GradualUnfreezing", "module_layers"]


def module_layers(module):
    """The layers of a module, in the order it registers them.

    A layer is a child module that holds parameters; ``nn.Sequential``,
    ``nn.ModuleList`` and ``nn.ModuleDict`` containers are opened up. So an
    MLP's layers are its linear layers, a plain CNN's its convolutions,
    batch norms and linear layers, and EfficientNet's its stem, each of its
    blocks, its head convolution and batch norm, and its classifier.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    layers : list of (str, torch.nn.Module)
        Dotted names (as in ``module.named_modules()``) and layers.

    Examples
    --------
    >>> from sktransfer.deep import MLP, module_layers
    >>> [name for name, _ in module_layers(MLP(4, 2, hidden_units=(8, 8)))]
    ['features.1', 'features.3', 'head']
    """
    layers = []

    def visit(prefix, mod):
        for name, child in mod.named_children():
            if not any(True for _ in child.parameters()):
                continue
            if isinstance(child, _CONTAINERS):
                visit(f"{prefix}{name}.", child)
            else:
                layers.append((f"{prefix}{name}", child))

    visit("", module)
    return layers


_CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)


class GradualUnfreezing(Callback):
    """Unfreeze the layers of a transferred network one by one from the top.

    In each stage of :class:`FineTuningClassifier` that starts from
    transferred weights, only the top layer (the head) trains in the first
    ``every`` epochs; then one more layer below it, every ``every`` epochs
    (Howard and Ruder, 2018). Layers frozen by the net's ``freeze`` stay
    frozen. Tune it by grid search as ``callbacks__unfreeze__every`` when
    registered under the name ``"unfreeze"``.

    Parameters
    ----------
    every : int, default=1
        Epochs between two unfreezings.

    References
    ----------
    .. [1] J. Howard and S. Ruder, "Universal language model fine-tuning for
       text classification", ACL 2018.

    Examples
    --------
    >>> from sktransfer.deep import FineTuningClassifier, GradualUnfreezing
    >>> net = FineTuningClassifier(callbacks=[("unfreeze", GradualUnfreezing())])
    >>> net.set_params(callbacks__unfreeze__every=2).callbacks[0][1].every
    2
    """

    def __init__(self, every=1):
        self.every = every

    def initialize(self):
        if not isinstance(self.every, numbers.Integral) or self.every < 1:
            raise ValueError(f"every must be a positive int, got {self.every!r}.")
        return self

    def on_epoch_begin(self, net, **kwargs):
        if not getattr(net, "transfer_stage_", False) or getattr(
            net, "probing_", False
        ):
            return  # nothing transferred, or the linear probe of LP-FT
        epoch = len(net.history) - 1 - net.stage_start_epoch_
        names = net.layer_names_
        n_open = 1 + epoch // self.every
        for index, name in enumerate(names):
            layer = net.module_.get_submodule(name)
            for param_name, param in layer.named_parameters(prefix=name):
                param.requires_grad_(
                    index >= len(names) - n_open
                    and param_name not in net.frozen_params_
                )


class FineTuningClassifier(DomainNetClassifier):
    """Pre-train a network on the source rows, then fine-tune it on the target.

    With ``sample_domain``, training runs in stages: first on the source
    rows (``max_epochs``), then on the labeled target rows
    (``fine_tune_epochs``); a stage without rows is skipped. A stage starts
    from **transferred** weights when it follows another stage, or when
    ``module`` is an instance, taken as a pretrained network (e.g. an
    ImageNet CNN; it is copied, never changed). At the start of such a
    stage:

    * ``transfer_layers=n`` keeps the first ``n`` layers (see
      :func:`module_layers`) and re-initialises the others;
    * ``replace_head=True`` replaces the head, a linear layer, by a new one
      sized for the classes of the stage (then the target may have classes
      the source lacks); without it, a target class never seen before is
      an error;
    * ``freeze`` freezes the first ``n`` layers or the named parameters
      (frozen batch-norm layers also keep their statistics);
    * the transferred parameters train with the learning rate
      ``lr * transferred_lr_factor``, new ones with ``lr``, and with
      ``layer_lr_decay < 1`` ever slower down the layers;
    * batch-norm layers keep or update their running statistics
      (``batchnorm``);
    * ``linear_probe_epochs`` first trains the new head alone (LP-FT);
    * ``l2sp_alpha``, ``l2sp_beta`` and ``bss_weight`` regularize the
      training loss;
    * the callback :class:`GradualUnfreezing` unfreezes from the top, and
      :class:`WarmupCosine` schedules the learning rates of each stage.

    Every training step can clip the gradient norm (``clip_grad_norm``),
    smooth the labels (``label_smoothing``) and, on CUDA, run in mixed
    precision (``amp``). Early stopping on labeled target rows:
    ``train_split=TargetValidSplit(0.2)`` and skorch's
    ``EarlyStopping(monitor="valid_acc", lower_is_better=False,
    load_best=True)``, which restarts with each stage and restores the best
    epoch of each.

    With ``sample_domain=None`` and a fresh network it is a plain neural
    network classifier.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network, one logit per class. ``None`` means
        :class:`~sktransfer.deep.MLP` sized to the data (options as
        ``module__hidden_units``); a class is built with ``module__*``; an
        instance is a pretrained network.
    *args
        skorch's positional parameters (none in practice).
    freeze : int, list of str or None, default=None
        Parameters not trained in transferred stages: the first ``n``
        layers, or parameter names matching any of the glob patterns or
        prefixes (e.g. ``["features.*"]`` or ``["_blocks"]``).
    replace_head : bool, default=False
        Whether transferred stages start with a new, randomly initialised
        head for the classes of the stage.
    head : str or None, default=None
        Dotted name of the head, a ``torch.nn.Linear``; ``None`` means the
        module's last ``Linear``.
    transfer_layers : int or None, default=None
        Number of bottom layers whose weights are transferred; the layers
        above are re-initialised. ``None`` transfers all.
    transferred_lr_factor : float, default=0.1
        Learning rate of transferred parameters relative to ``lr``.
    fine_tune_epochs : int or None, default=None
        Epochs on the labeled target rows; ``None`` means ``max_epochs``.
    batchnorm : {"auto", "frozen", "train"}, default="auto"
        Batch-norm layers in transferred stages. ``"frozen"`` keeps them in
        eval mode: they normalise with their transferred running
        statistics, which stay fixed, while their affine weights train
        (unless frozen). ``"train"`` normalises with the statistics of each
        batch and updates the running ones, as in plain training.
        ``"auto"`` is ``"frozen"`` when the stage's batches are small, under
        32 rows (``batch_size``, or the stage's rows when fewer): their
        statistics are too noisy to normalise with (Wu and He, 2018) and
        overwrite those estimated on many more rows in pre-training, which
        is what ruins full fine-tuning of an ImageNet network on a few dozen
        images; else ``"train"``, which lets the statistics adapt to the
        new domain (as AdaBN does, Li et al., 2018). Layers that do not
        train (``freeze``, the linear probe, :class:`GradualUnfreezing`)
        always keep their statistics, and stages that start from scratch
        always update them. (Before this parameter, batch norm trained:
        ``"train"``.)
    layer_lr_decay : float in (0, 1], default=1.0
        Layer-wise learning-rate decay in transferred stages (Howard and
        Ruder, 2018; Clark et al., 2020): counting the layers of
        :func:`module_layers` from the top (the head at depth 0), a
        transferred parameter at depth ``d`` trains at
        ``lr * transferred_lr_factor * layer_lr_decay ** d``. New parameters
        (a new head, re-initialised layers) train at ``lr``. ``1.0`` is off.
    linear_probe_epochs : int, default=0
        LP-FT (Kumar et al., 2022): the first ``linear_probe_epochs`` epochs
        of a transferred stage train only its new parameters (the new head
        of ``replace_head``, re-initialised layers; the top layer if all
        are transferred), everything below frozen and in eval mode; the
        rest of the stage's epochs fine-tune everything (but ``freeze``)
        with a fresh optimizer. Callbacks see two training runs: schedules
        and early stopping restart, on the same validation rows.
    l2sp_alpha : float, default=0.0
        L2-SP (Li et al., 2018): adds ``l2sp_alpha / 2 * ||w - w0||^2`` over
        the transferred parameters to the training loss of transferred
        stages, ``w0`` their values at the start of the stage (the paper's
        convention, so its values, e.g. 0.1 or 0.01, carry over).
    l2sp_beta : float, default=0.0
        L2-SP's ``l2sp_beta / 2 * ||w||^2`` over the new parameters (new
        head, re-initialised layers) in transferred stages.
    bss_weight : float, default=0.0
        Batch spectral shrinkage (Chen et al., 2019): adds ``bss_weight``
        times the sum of the ``bss_k`` smallest squared singular values of
        the batch's features (the input of the head, see ``head``) to the
        training loss of transferred stages; the paper uses 0.001. See
        :func:`batch_spectral_shrinkage`.
    bss_k : int, default=1
        Number of smallest singular values BSS penalises.
    clip_grad_norm : float or None, default=None
        Clip the norm of all gradients of each training step to this value
        (``torch.nn.utils.clip_grad_norm_``); the norm before clipping is
        recorded in the history's batches as ``"grad_norm"``.
    label_smoothing : float in [0, 1), default=0.0
        Label smoothing of the cross-entropy criterion (Szegedy et al.,
        2016), set as its ``label_smoothing``; same as
        ``criterion__label_smoothing``, which must then not disagree.
    amp : bool, default=False
        Mixed precision on CUDA: the forward pass and loss under
        ``torch.autocast`` in float16, the backward pass through a
        ``GradScaler``. A no-op on other devices (the CPU computes in
        float32 as before).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device="auto"``, ``random_state``, ...) and
        ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    classes_ : ndarray of shape (n_classes,)
        Classes of the head: those of the last stage with a new head, else
        those of the first stage.
    stages_ : list of str
        The stages run, among ``"source"`` and ``"target"``.
    layer_names_ : list of str
        The layers of ``module_`` (see :func:`module_layers`).
    frozen_params_ : set of str
        Parameters frozen by ``freeze`` in the last stage.
    batchnorm_policy_ : str or None
        What ``batchnorm`` resolved to in the last transferred stage,
        ``"frozen"`` or ``"train"``; ``None`` without one.
    device_ : str
        The device used.
    input_shape_ : tuple of int
        Shape of one input row.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    GradualUnfreezing : Unfreezes the layers from the top, epoch by epoch.
    WarmupCosine : Warm-up then cosine decay of the learning rates per stage.
    load_efficientnet_lite0 : A pretrained ImageNet network to fine-tune.

    References
    ----------
    .. [1] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How
       transferable are features in deep neural networks?", NIPS 2014.
    .. [2] J. Howard and S. Ruder, "Universal language model fine-tuning for
       text classification", ACL 2018.
    .. [3] X. Li, Y. Grandvalet and F. Davoine, "Explicit inductive bias for
       transfer learning with convolutional networks", ICML 2018 (L2-SP).
    .. [4] X. Chen, S. Wang, B. Fu, M. Long and J. Wang, "Catastrophic
       forgetting meets negative transfer: batch spectral shrinkage for safe
       transfer learning", NeurIPS 2019 (BSS).
    .. [5] A. Kumar, A. Raghunathan, R. Jones, T. Ma and P. Liang,
       "Fine-tuning can distort pretrained features and underperform
       out-of-distribution", ICLR 2022 (LP-FT).
    .. [6] Y. Wu and K. He, "Group normalization", ECCV 2018 (batch norm on
       small batches).
    .. [7] Y. Li, N. Wang, J. Shi, X. Hou and J. Liu, "Adaptive batch
       normalization for practical domain adaptation", Pattern Recognition
       80, 2018 (AdaBN).
    .. [8] K. Clark, M.-T. Luong, Q. V. Le and C. D. Manning, "ELECTRA:
       pre-training text encoders as discriminators rather than
       generators", ICLR 2020 (layer-wise learning-rate decay).
    .. [9] C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens and Z. Wojna,
       "Rethinking the Inception architecture for computer vision", CVPR
       2016 (label smoothing).

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import FineTuningClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y_true, sd = make_domain_shift(shift="concept", random_state=0)
    >>> y = hide_target_labels(y_true, sd, n_labeled=10, random_state=0)
    >>> net = FineTuningClassifier(
    ...     freeze=1, max_epochs=5, random_state=0, device="cpu",
    ...     module__hidden_units=(16,))
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.stages_, sorted(net.frozen_params_)
    (['source', 'target'], ['features.1.bias', 'features.1.weight'])

    Fine-tuning as practitioners do, with early stopping on held-out
    labeled target rows:

    >>> from skorch.callbacks import EarlyStopping
    >>> from sktransfer.deep import TargetValidSplit, WarmupCosine
    >>> net = FineTuningClassifier(
    ...     max_epochs=5, fine_tune_epochs=10, layer_lr_decay=0.8,
    ...     linear_probe_epochs=2, l2sp_alpha=0.01, clip_grad_norm=1.0,
    ...     label_smoothing=0.1, replace_head=True, random_state=0,
    ...     device="cpu", train_split=TargetValidSplit(0.3),
    ...     callbacks=[("schedule", WarmupCosine()), ("stop", EarlyStopping(
    ...         monitor="valid_acc", lower_is_better=False, patience=3,
    ...         load_best=True))])
    >>> net.fit(X, y, sample_domain=sd).stages_
    ['source', 'target']
    """

    _parameter_constraints = {
        **DomainNetClassifier._parameter_constraints,
        "freeze": [None, Interval(Integral, 0, None, closed="left"), list, tuple],
        "replace_head": ["boolean"],
        "head": [None, str],
        "transfer_layers": [None, Interval(Integral, 0, None, closed="left")],
        "transferred_lr_factor": [_NON_NEGATIVE],
        "fine_tune_epochs": [None, Interval(Integral, 0, None, closed="left")],
        "batchnorm": [StrOptions({"auto", "frozen", "train"})],
        "layer_lr_decay": [Interval(Real, 0, 1, closed="right")],
        "linear_probe_epochs": [Interval(Integral, 0, None, closed="left")],
        "l2sp_alpha": [_NON_NEGATIVE],
        "l2sp_beta": [_NON_NEGATIVE],
        "bss_weight": [_NON_NEGATIVE],
        "bss_k": [Interval(Integral, 1, None, closed="left")],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "amp": ["boolean"],
    }

    # "auto" batch norm: frozen in transferred stages with batches under this
    _BATCHNORM_MIN_BATCH = 32

    def __init__(
        self,
        module=None,
        *args,
        freeze=None,
        replace_head=False,
        head=None,
        transfer_layers=None,
        transferred_lr_factor=0.1,
        fine_tune_epochs=None,
        batchnorm="auto",
        layer_lr_decay=1.0,
        linear_probe_epochs=0,
        l2sp_alpha=0.0,
        l2sp_beta=0.0,
        bss_weight=0.0,
        bss_k=1,
        clip_grad_norm=None,
        label_smoothing=0.0,
        amp=False,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.freeze = freeze
        self.replace_head = replace_head
        self.head = head
        self.transfer_layers = transfer_layers
        self.transferred_lr_factor = transferred_lr_factor
        self.fine_tune_epochs = fine_tune_epochs
        self.batchnorm = batchnorm
        self.layer_lr_decay = layer_lr_decay
        self.linear_probe_epochs = linear_probe_epochs
        self.l2sp_alpha = l2sp_alpha
        self.l2sp_beta = l2sp_beta
        self.bss_weight = bss_weight
        self.bss_k = bss_k
        self.clip_grad_norm = clip_grad_norm
        self.label_smoothing = label_smoothing
        self.amp = amp

    def _fit_domains(self, X, y, sample_domain, **fit_params):
        labeled = labeled_mask(y, sample_domain)
        stages = [
            (stage, rows)
            for stage, rows in (
                ("source", sample_domain > 0),
                ("target", (sample_domain < 0) & labeled),
            )
            if rows.any()
        ]
        if stages[0][0] == "target" or self.replace_head:
            # the head is sized for the classes of the stage that builds it
            self.classes_inferred_ = encode_classes(y[stages[0][1]])[0]
        else:
            self.classes_inferred_ = encode_classes(y[sample_domain > 0])[0]
        pretrained = isinstance(self.module, torch.nn.Module)
        # a refit starts as a fresh fit: nothing is transferred nor frozen yet
        self.transferred_params_ = set()
        self.frozen_params_ = set()
        self.transfer_stage_ = False
        self.batchnorm_policy_ = None
        self.initialize()
        self.layer_names_ = [name for name, _ in module_layers(self.module_)]
        self._check_layer_counts()
        self.stages_ = []
        try:
            for index, (stage, rows) in enumerate(stages):
                transfer = pretrained or index > 0
                if transfer:
                    stage_classes = encode_classes(y[rows])[0]
                    self._start_transfer(stage_classes, stage, first=index == 0)
                self.stage_start_epoch_ = len(self.history)
                self.transfer_stage_ = transfer
                self.check_module_output(X[rows], len(self.classes_))
                epochs = self.max_epochs
                if stage == "target" and self.fine_tune_epochs is not None:
                    epochs = self.fine_tune_epochs
                X_stage = self.domain_input(X[rows], sample_domain[rows])
                y_stage = self.encode_labels(y[rows], sample_domain[rows])
                self._run_stage(
                    X_stage, y_stage, epochs, transfer, int(rows.sum()), **fit_params
                )
                self.stages_.append(stage)
        finally:
            # state of the stages only: not kept, not pickled
            self.transfer_stage_ = False
            self.probing_ = False
            self.stage_epochs_ = None
            self.l2sp_reference_ = None
            self.stage_split_ = None
            self.grad_scaler_ = None

    def _run_stage(self, X_stage, y_stage, epochs, transfer, n_rows, **fit_params):
        """Train one stage: the linear probe of LP-FT first, if asked."""
        self.probing_ = False
        self.stage_split_ = None
        self.l2sp_reference_ = None
        if transfer:
            self.batchnorm_policy_ = self._resolve_batchnorm(n_rows)
            if self.bss_weight:
                self._feature_layer()  # a clear error before training
            if self.l2sp_alpha or self.l2sp_beta:
                self.l2sp_reference_ = {
                    name: param.detach().clone()
                    for name, param in self.module_.named_parameters()
                    if name in self.transferred_params_
                }
        probe = min(self.linear_probe_epochs, epochs) if transfer else 0
        if probe:
            self._start_probe()
            self.stage_start_epoch_ = len(self.history)
            self.stage_epochs_ = probe
            try:
                self.run_epochs(X_stage, y_stage, epochs=probe, **fit_params)
            finally:
                self._end_probe()
        if epochs > probe or not probe:
            self.stage_start_epoch_ = len(self.history)
            self.stage_epochs_ = epochs - probe
            self.run_epochs(X_stage, y_stage, epochs=epochs - probe, **fit_params)
        self.stage_split_ = None

    def _resolve_batchnorm(self, n_rows):
        """``batchnorm`` of a transferred stage of ``n_rows`` rows."""
        if self.batchnorm != "auto":
            return self.batchnorm
        batch = self.get_params_for("iterator_train").get("batch_size", self.batch_size)
        if batch is None or batch <= 0 or batch > n_rows:
            batch = n_rows
        return "frozen" if batch < self._BATCHNORM_MIN_BATCH else "train"

    def _top_layer(self):
        """Dotted name of the head: ``head``, the last Linear, or the top layer."""
        try:
            return self._head_name()
        except ValueError:
            if self.head is not None:
                raise
            return self.layer_names_[-1]

    def _start_probe(self):
        """LP-FT's linear probe: only the new parameters (or the head) train."""
        names = [name for name, _ in self.module_.named_parameters()]
        probe = {
            n
            for n in names
            if n not in self.transferred_params_ and n not in self.frozen_params_
        }
        if not probe:  # all transferred: probe the head
            top = self._top_layer()
            probe = {n for n in names if not top or n.startswith(top + ".")}
            probe -= self.frozen_params_
        self.probing_ = True
        for name, param in self.module_.named_parameters():
            param.requires_grad_(name in probe)

    def _end_probe(self):
        """Back from the probe: all but ``freeze`` train, with a fresh optimizer."""
        self.probing_ = False
        for name, param in self.module_.named_parameters():
            param.requires_grad_(name not in self.frozen_params_)
        self.initialize_optimizer()

    def get_split_datasets(self, X, y=None, **fit_params):
        """skorch's split; the linear probe and the fine-tuning share one.

        Parameters
        ----------
        X, y, **fit_params
            Those of skorch's ``get_split_datasets``.

        Returns
        -------
        dataset_train, dataset_valid : skorch Dataset or None
        """
        cached = getattr(self, "stage_split_", None)
        if cached is not None:
            return cached
        split = super().get_split_datasets(X, y, **fit_params)
        if getattr(self, "probing_", False):
            self.stage_split_ = split
        return split

    def _check_layer_counts(self):
        n_layers = len(self.layer_names_)
        for name in ("freeze", "transfer_layers"):
            value = getattr(self, name)
            if isinstance(value, numbers.Integral) and value > n_layers:
                raise ValueError(
                    f"{name}={value}, but the module has only {n_layers} layers: "
                    f"{self.layer_names_}."
                )

    def _head_name(self):
        if self.head is not None:
            try:
                layer = self.module_.get_submodule(self.head)
            except AttributeError as exc:
                raise ValueError(
                    f"head={self.head!r} names no submodule of the module."
                ) from exc
            if not isinstance(layer, torch.nn.Linear):
                raise ValueError(
                    f"head={self.head!r} is a {type(layer).__name__}; replace_head "
                    "needs a torch.nn.Linear."
                )
            return self.head
        linear = [
            name
            for name, mod in self.module_.named_modules()
            if isinstance(mod, torch.nn.Linear)
        ]
        if not linear:
            raise ValueError(
                "replace_head=True needs a torch.nn.Linear head, and the module has "
                "none; name it with head=..."
            )
        return linear[-1]

    def _start_transfer(self, stage_classes, stage, first):
        """Prepare a stage that starts from transferred weights."""
        self.transferred_params_ = {name for name, _ in self.module_.named_parameters()}
        if self.transfer_layers is not None:
            for name in self.layer_names_[self.transfer_layers :]:
                layer = self.module_.get_submodule(name)
                for mod in layer.modules():
                    if hasattr(mod, "reset_parameters"):
                        mod.reset_parameters()
                self.transferred_params_ -= {
                    n for n, _ in layer.named_parameters(prefix=name)
                }
        if self.replace_head:
            head = self._head_name()
            old = self.module_.get_submodule(head)
            new = torch.nn.Linear(old.in_features, len(stage_classes)).to(
                old.weight.device
            )
            if head:
                parent, _, attr = head.rpartition(".")
                setattr(self.module_.get_submodule(parent), attr, new)
            else:  # the module is its own head: a linear model
                self.module_ = new
            self.transferred_params_ -= {
                f"{head}.{name}" if head else name for name, _ in new.named_parameters()
            }
            self.classes_inferred_ = stage_classes
            self.layer_names_ = [name for name, _ in module_layers(self.module_)]
        elif not first:
            unseen = [c for c in stage_classes.tolist() if c not in self.classes_]
            if unseen:
                raise ValueError(
                    f"The {stage} rows have classes {unseen} never seen in "
                    f"pre-training (the network's classes are "
                    f"{self.classes_.tolist()}). Pass replace_head=True to train a "
                    "new head for the classes of the target."
                )
        self.frozen_params_ = self._frozen_names()
        for name, param in self.module_.named_parameters():
            param.requires_grad_(name not in self.frozen_params_)
        self.initialize_optimizer()

    def _frozen_names(self):
        names = [name for name, _ in self.module_.named_parameters()]
        if self.freeze is None:
            return set()
        if isinstance(self.freeze, numbers.Integral):
            frozen = set()
            for layer in self.layer_names_[: self.freeze]:
                frozen |= {
                    n
                    for n, _ in self.module_.get_submodule(layer).named_parameters(
                        prefix=layer
                    )
                }
            return frozen
        frozen = set()
        for pattern in self.freeze:
            if not isinstance(pattern, str):
                raise TypeError(
                    "freeze must be None, an int (number of bottom layers) or a "
                    f"list of parameter name patterns, got {self.freeze!r}."
                )
            matched = {
                n
                for n in names
                if fnmatch.fnmatchcase(n, pattern) or n.startswith(pattern + ".")
            }
            if not matched:
                raise ValueError(
                    f"freeze pattern {pattern!r} matches no parameter of the module; "
                    f"its parameters are named like {names[:5]}."
                )
            frozen |= matched
        return frozen

    def _output_size_hint(self):
        return (
            " Pass replace_head=True to replace the head of a pretrained module."
            if isinstance(self.module, torch.nn.Module)
            else ""
        )

    def initialize_optimizer(self, triggered_directly=None):
        """Optimizer with a param group per learning rate.

        New parameters train at ``lr``; in a transferred stage, transferred
        ones at ``lr * transferred_lr_factor * layer_lr_decay ** depth``,
        ``depth`` counting the layers of :func:`module_layers` from the top
        (the head at 0; parameters outside the layers at 0). Parameters
        frozen by ``freeze`` are left out. Each group names its ``layers``
        and whether it is ``transferred``.
        """
        kwargs = self.get_params_for("optimizer")
        lr = kwargs.pop("lr", self.lr)
        transferred = getattr(self, "transferred_params_", ())  # set by fit
        frozen = getattr(self, "frozen_params_", ())
        depths = self._param_depths() if self.layer_lr_decay != 1 else {}
        groups = {}
        for name, param in self.get_all_learnable_params():
            if name in frozen:
                continue
            if name in transferred:
                depth = depths.get(name, (0, ""))
                group_lr = (
                    lr * self.transferred_lr_factor * (self.layer_lr_decay ** depth[0])
                )
                key = (True, depth[0])
            else:
                depth, group_lr, key = (0, ""), lr, (False, 0)
            group = groups.setdefault(
                key,
                {"params": [], "lr": group_lr, "transferred": key[0], "layers": []},
            )
            group["params"].append(param)
            if depth[1] and depth[1] not in group["layers"]:
                group["layers"].append(depth[1])
        ordered = sorted(groups.items(), key=lambda item: (item[0][0], item[0][1]))
        params = [group for _, group in ordered]
        if not params:  # everything frozen: they stay in, without gradients
            params = [{"params": [p for _, p in self.get_all_learnable_params()]}]
        self.optimizer_ = self.optimizer(params, lr=lr, **kwargs)
        return self

    def _param_depths(self):
        """``{parameter: (depth from the top layer, layer)}`` of ``module_``."""
        names = getattr(self, "layer_names_", None) or [
            name for name, _ in module_layers(self.module_)
        ]
        depths = {}
        for index, layer in enumerate(names):
            depth = len(names) - 1 - index
            for name, _ in self.module_.get_submodule(layer).named_parameters(
                prefix=layer
            ):
                depths[name] = (depth, layer)
        return depths

    def initialize_criterion(self):
        """skorch's criterion, with ``label_smoothing`` when it is set."""
        if not self.label_smoothing:
            return super().initialize_criterion()
        kwargs = self.get_params_for("criterion")
        given = kwargs.get("label_smoothing", self.label_smoothing)
        if given != self.label_smoothing:
            raise ValueError(
                f"label_smoothing={self.label_smoothing!r} disagrees with "
                f"criterion__label_smoothing={given!r}; set one of them."
            )
        criterion = self.criterion
        if isinstance(criterion, torch.nn.CrossEntropyLoss):
            self.criterion_ = self.initialized_instance(criterion, kwargs)
            self.criterion_.label_smoothing = float(self.label_smoothing)
            return self
        if not (
            isinstance(criterion, type)
            and issubclass(criterion, torch.nn.CrossEntropyLoss)
        ):
            raise ValueError(
                "label_smoothing needs a torch.nn.CrossEntropyLoss criterion, got "
                f"{criterion!r}; pass the smoothing to your criterion instead."
            )
        kwargs["label_smoothing"] = float(self.label_smoothing)
        self.criterion_ = self.initialized_instance(criterion, kwargs)
        return self

    def _feature_layer(self):
        """The head, whose input is the features BSS penalises."""
        try:
            name = self._head_name()
        except ValueError as exc:
            raise ValueError(
                "bss_weight > 0 penalises the features the head takes, and needs a "
                f"torch.nn.Linear head: {exc}"
            ) from None
        return self.module_.get_submodule(name)

    def infer(self, x, **fit_params):
        """Logits of a batch; in training of a transferred stage, the policies.

        Layers that do not train (all their parameters frozen) run in eval
        mode: they keep their batch-norm statistics and run without
        dropout. With ``batchnorm`` frozen, every batch-norm layer does.
        With ``bss_weight``, a training batch returns ``(logits, features)``,
        the features being the input of the head.
        """
        if self.module_.training and getattr(self, "transfer_stage_", False):
            for name in self.layer_names_:
                layer = self.module_.get_submodule(name)
                params = list(layer.parameters())
                if params and not any(p.requires_grad for p in params):
                    layer.eval()
            if getattr(self, "batchnorm_policy_", None) == "frozen":
                for mod in self.module_.modules():
                    if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                        mod.eval()
            if self.bss_weight:
                return self._infer_with_features(x, **fit_params)
        return super().infer(x, **fit_params)

    def _infer_with_features(self, x, **fit_params):
        captured = []
        handle = self._feature_layer().register_forward_pre_hook(
            lambda module, args: captured.append(args[0])
        )
        try:
            out = super().infer(x, **fit_params)
        finally:
            handle.remove()
        logits = out[0] if isinstance(out, tuple | list) else out
        return logits, captured[-1]

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Label loss; in training of a transferred stage, plus L2-SP and BSS.

        The penalties of each batch are recorded in the history's batches
        as ``"l2sp"`` and ``"bss"``.
        """
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if not (training and getattr(self, "transfer_stage_", False)):
            return loss
        reference = getattr(self, "l2sp_reference_", None)
        if reference is not None:
            trainable = [
                (name, param)
                for name, param in self.module_.named_parameters()
                if param.requires_grad
            ]
            penalty = l2sp_penalty(
                trainable, reference, self.l2sp_alpha, self.l2sp_beta
            ).to(loss.device)
            self.history.record_batch("l2sp", float(penalty.detach()))
            loss = loss + penalty
        if self.bss_weight and isinstance(y_pred, tuple | list) and len(y_pred) > 1:
            penalty = self.bss_weight * batch_spectral_shrinkage(y_pred[1], self.bss_k)
            self.history.record_batch("bss", float(penalty.detach()))
            loss = loss + penalty.to(loss.dtype)
        return loss

    # --- training step -------------------------------------------------------

    def _amp_device_type(self):
        """The device type mixed precision runs on, or ``None`` (off)."""
        if not self.amp:
            return None
        device = torch.device(self.device or "cpu")
        return "cuda" if device.type == "cuda" else None

    def _grad_scaler(self, device_type):
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None or getattr(scaler, "_device", device_type) != device_type:
            scaler = torch.amp.GradScaler(device_type)
            self.grad_scaler_ = scaler
        return scaler

    def train_step_single(self, batch, **fit_params):
        """skorch's step (infer, loss, backward) with clipping and mixed precision.

        With ``amp`` on CUDA, the forward pass and the loss run under
        ``torch.autocast`` (float16) and the loss is scaled by a
        ``GradScaler`` before the backward pass; the optimizer steps through
        the scaler. With ``clip_grad_norm``, the (unscaled) gradients are
        clipped to that norm. The loss returned is unscaled, so that a NaN
        or infinite loss still stops training with
        :class:`~sktransfer.deep.NonFiniteLossError`.

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` of the batch.
        **fit_params : dict
            Passed to ``infer``.

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": y_pred}``.
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        device_type = self._amp_device_type()
        if device_type is None:
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
            loss.backward()
        else:
            dtype = torch.float16 if device_type == "cuda" else torch.bfloat16
            with torch.autocast(device_type=device_type, dtype=dtype):
                y_pred = self.infer(Xi, **fit_params)
                loss = self.get_loss(y_pred, yi, X=Xi, training=True)
            self._grad_scaler(device_type).scale(loss).backward()
        if self.clip_grad_norm is not None:
            if device_type is not None:
                self._grad_scaler(device_type).unscale_(self.optimizer_)
            params = [
                param
                for group in self.optimizer_.param_groups
                for param in group["params"]
                if param.grad is not None
            ]
            if params:
                norm = torch.nn.utils.clip_grad_norm_(params, self.clip_grad_norm)
                self.history.record_batch("grad_norm", float(norm))
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        """skorch's optimizer step, through the ``GradScaler`` with ``amp``."""
        device_type = self._amp_device_type()
        if device_type is None or step_fn is None:
            return super()._step_optimizer(step_fn)
        step_fn()
        scaler = self._grad_scaler(device_type)
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()
        return None
