"""Pre-training on the source, then fine-tuning on the labeled target rows."""

import fnmatch
import numbers
from numbers import Integral

import torch
from sklearn.utils._param_validation import Interval
from skorch.callbacks import Callback

from .._domain import encode_classes, labeled_mask
from ._base import _NON_NEGATIVE, DomainNetClassifier

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
        if not getattr(net, "transfer_stage_", False):
            return
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
      ``lr * transferred_lr_factor``, new ones with ``lr``;
    * the callback :class:`GradualUnfreezing` unfreezes from the top.

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
    device_ : str
        The device used.
    input_shape_ : tuple of int
        Shape of one input row.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    GradualUnfreezing : Unfreezes the layers from the top, epoch by epoch.
    load_efficientnet_lite0 : A pretrained ImageNet network to fine-tune.

    References
    ----------
    .. [1] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How
       transferable are features in deep neural networks?", NIPS 2014.
    .. [2] J. Howard and S. Ruder, "Universal language model fine-tuning for
       text classification", ACL 2018.

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
    """

    _parameter_constraints = {
        **DomainNetClassifier._parameter_constraints,
        "freeze": [None, Interval(Integral, 0, None, closed="left"), list, tuple],
        "replace_head": ["boolean"],
        "head": [None, str],
        "transfer_layers": [None, Interval(Integral, 0, None, closed="left")],
        "transferred_lr_factor": [_NON_NEGATIVE],
        "fine_tune_epochs": [None, Interval(Integral, 0, None, closed="left")],
    }

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
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.freeze = freeze
        self.replace_head = replace_head
        self.head = head
        self.transfer_layers = transfer_layers
        self.transferred_lr_factor = transferred_lr_factor
        self.fine_tune_epochs = fine_tune_epochs

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
        self.initialize()
        self.layer_names_ = [name for name, _ in module_layers(self.module_)]
        self._check_layer_counts()
        self.stages_ = []
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
            self.run_epochs(X_stage, y_stage, epochs=epochs, **fit_params)
            self.stages_.append(stage)
        self.transfer_stage_ = False

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
        """Optimizer with ``lr * transferred_lr_factor`` on transferred weights."""
        kwargs = self.get_params_for("optimizer")
        lr = kwargs.pop("lr", self.lr)
        transferred = getattr(self, "transferred_params_", ())  # set by fit
        named = list(self.get_all_learnable_params())
        groups = [
            {"params": [p for n, p in named if n not in transferred], "lr": lr},
            {
                "params": [p for n, p in named if n in transferred],
                "lr": lr * self.transferred_lr_factor,
            },
        ]
        self.optimizer_ = self.optimizer(
            [g for g in groups if g["params"]], lr=lr, **kwargs
        )
        return self

    def infer(self, x, **fit_params):
        """Logits of a batch; frozen layers of a transferred stage in eval mode.

        Frozen layers keep their batch-norm statistics and run without
        dropout while the others train.
        """
        if self.module_.training and getattr(self, "transfer_stage_", False):
            for name in self.layer_names_:
                layer = self.module_.get_submodule(name)
                params = list(layer.parameters())
                if params and not any(p.requires_grad for p in params):
                    layer.eval()
        return super().infer(x, **fit_params)
