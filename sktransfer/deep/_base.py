"""Training machinery shared by the deep estimators of sktransfer.

:class:`DomainNetClassifier` is a skorch ``NeuralNetClassifier`` that keeps
the domain contract: ``fit(X, y, sample_domain=None)``; inputs cast to
float32; labels encoded with :func:`~sktransfer.utils.encode_classes` into
``classes_`` (unlabeled target rows become ``-1`` and are left out of the
label loss); ``random_state`` seeds torch (without touching the global
generator); ``device="auto"`` resolves to the GPU when torch sees one, into
the fitted attribute ``device_``; a model pickled on a GPU loads on a
CPU-only machine. The domain of each row travels beside it: the network is
trained on the dict ``{"X": X, "sample_domain": sample_domain}``, which is
sliced batch by batch. A non-finite training loss stops training with
:class:`NonFiniteLossError`; an exploding one warns (:class:`DivergenceMonitor`).

:class:`DomainNetRegressor` is its counterpart on skorch's
``NeuralNetRegressor``: the squared error on the labeled rows, ``y = nan``
marking an unlabeled target row, ``y`` of one or several outputs. Both share
everything that is not about classes through the mixin ``_DomainNet``.

:class:`DomainAlignmentClassifier` is the base of the methods that align the
domains with a loss on learned features (DANN, CDAN, Deep CORAL);
:class:`DomainAlignmentRegressor` that of their regressors (``DANNRegressor``,
``DeepCORALRegressor``, ``DANRegressor``). Both take their losses from the
mixin ``_DomainAlignment``, so that a method written once as a mixin on it
(DANN's ``_DANNMixin``) makes a classifier and a regressor.

How to add a domain-alignment loss
----------------------------------
Subclass :class:`DomainAlignmentClassifier`; name the new hyperparameters in
``__init__`` and pass skorch's on, as skorch's own subclasses do; write
``domain_loss``. A linear-kernel MMD, the squared distance between the mean
features of the source and the target rows of each batch:

>>> from sktransfer.deep import DomainAlignmentClassifier
>>> class LinearMMDClassifier(DomainAlignmentClassifier):
...     def __init__(self, module=None, *args, mmd_weight=1.0, **kwargs):
...         super().__init__(module, *args, **kwargs)
...         self.mmd_weight = mmd_weight
...
...     def domain_loss(self, logits, features, sample_domain):
...         target = sample_domain < 0
...         gap = features[~target].mean(dim=0) - features[target].mean(dim=0)
...         return self.mmd_weight * (gap**2).sum()
>>> from sktransfer.datasets import make_domain_shift
>>> from sktransfer.utils import hide_target_labels
>>> X, y, sd = make_domain_shift(random_state=0)
>>> net = LinearMMDClassifier(mmd_weight=0.5, max_epochs=2, random_state=0)
>>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
(3,)

The base does the rest: it trains on the rows of all domains, adds
``domain_loss`` to the label loss on every training batch that holds rows of
both domains (``sample_domain`` is a tensor of the batch's domains,
negative on target rows; ``features`` those of ``module.extract_features``,
or the second output of ``forward``), and with ``sample_domain=None`` it is
the plain network. To validate the new hyperparameters, extend
``_parameter_constraints`` as scikit-learn estimators do.

What else a method can override:

* **modules**: ``initialize_module``. Call ``super().initialize_module()``
  for ``module_``; build an extra module from its hyperparameter with
  ``self.initialized_instance(spec, self.get_params_for("name"))`` and set it
  as ``self.name_``: skorch then moves it to the device, trains its
  parameters, switches its training mode and pickles it.
  ``DANNClassifier``'s domain classifier is the example.
* **loss**: ``get_loss(y_pred, y_true, X, training)``;
  :meth:`DomainNetClassifier.label_loss` is the criterion on the labeled
  rows of the batch, ``X["sample_domain"]`` the domains of the batch.
* **schedules**: skorch callbacks (``len(net.history)`` is the epoch),
  registered in ``_default_callbacks``, so that a grid search tunes them as
  ``callbacks__NAME__PARAM``.
* **training stages**: ``_fit_domains(X, y, sample_domain, **fit_params)``
  receives validated float32 ``X``, ``y`` and the domains, under the seed.
  The default trains on every row for ``max_epochs``;
  :class:`~sktransfer.deep.FineTuningClassifier` trains on the source rows
  and then on the labeled target rows.

Keep fitted state in attributes ending in ``_``: skorch takes every other
attribute for a hyperparameter.
"""

import contextlib
import copy
import math
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping
from functools import partial
from numbers import Real

import numpy as np
import torch
from sklearn import config_context, get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet, NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import (
    Callback,
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.exceptions import DeviceWarning
from skorch.utils import to_numpy, to_tensor
from torch.utils.data import DataLoader

from .._domain import (
    DomainAwareMixin,
    _check_regression_y,
    encode_classes,
    validate_domain_data,
)
from ..utils._warnings import warn
from ._inputs import DatasetRows, as_channels_first, as_rows, is_dataset
from ._modules import MLP, SmallCNN
from ._persistence import PortableStateMixin

__all__ = [
    "DivergenceMonitor",
    "DomainAlignmentClassifier",
    "DomainAlignmentRegressor",
    "DomainNetClassifier",
    "DomainNetRegressor",
    "NonFiniteLossError",
    "resolve_device",
]


def _device_exists_here(device):
    """Whether torch can compute on ``device`` on this machine."""
    kind = torch.device(device)
    if kind.type == "cuda":
        return torch.cuda.is_available() and (kind.index or 0) < (
            torch.cuda.device_count()
        )
    if kind.type == "mps":
        return torch.backends.mps.is_available()
    return True


def resolve_device(device):
    """The torch device that ``device`` names, checked on this machine.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` means ``"cuda"`` when ``torch.cuda.is_available()``,
        else ``"cpu"``; ``None`` leaves modules and tensors where they are
        (as in skorch); any other value must name a device torch knows and
        this machine has.

    Returns
    -------
    device : str, torch.device or None
        ``device``, with ``"auto"`` replaced.

    Raises
    ------
    ValueError
        If torch knows no such device (``"gpu"``), or this machine lacks it
        (``"cuda"`` where torch sees no GPU).

    Examples
    --------
    >>> from sktransfer.deep import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in ("cpu", "cuda")
    True
    >>> resolve_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device='gpu' names no torch device (torch calls GPUs 'cuda')...
    """
    if device is None:
        return None
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str | torch.device):
        raise ValueError(
            "device must be 'auto', a device name such as 'cpu' or 'cuda', a "
            f"torch.device or None, got {device!r}."
        )
    try:
        exists = _device_exists_here(device)
    except RuntimeError:
        hint = " (torch calls GPUs 'cuda')" if str(device).startswith("gpu") else ""
        raise ValueError(
            f"device={device!r} names no torch device{hint}; use 'auto' (the GPU "
            "when torch sees one, else the CPU), 'cpu' or 'cuda'."
        ) from None
    if not exists:
        raise ValueError(
            f"device={device!r}, but torch sees no such device on this machine "
            "(for CUDA, torch.cuda.is_available() is False); use device='auto' "
            "(the GPU when torch sees one, else the CPU) or device='cpu'."
        )
    return device


def _state_on_this_machine(state, name="The net"):
    """The pickled state of a net, its device mapped onto this machine.

    The one place where a loaded net meets this machine's devices. The net
    computes on ``device_``, the device it was fitted on, when this machine
    has it, else on the CPU (a net fitted on a GPU, loaded where torch sees
    none), whether ``device`` asked for ``"auto"`` or named the GPU: skorch
    maps the tensors there. ``device``, the hyperparameter, stays as it was
    set. A device named explicitly and not found gives a ``DeviceWarning``;
    ``"auto"``, which asks for whatever device there is, loads silently.

    Parameters
    ----------
    state : dict
        What ``__getstate__`` returned.
    name : str, default="The net"
        The net's class, for the warning.

    Returns
    -------
    state : dict
        The state for skorch's ``__setstate__``, whose ``"device"`` is the
        device to load the tensors onto.
    requested : str, torch.device or None
        The ``device`` hyperparameter, to set back after skorch's
        ``__setstate__``.
    """
    state = dict(state)
    requested = state["device"]
    fitted_on = state.get("device_")
    here = "cpu"
    if fitted_on is not None:
        with contextlib.suppress(RuntimeError):
            here = fitted_on if _device_exists_here(fitted_on) else "cpu"
    explicit = not (isinstance(requested, str) and requested == "auto")
    if explicit and fitted_on is not None and str(here) != str(fitted_on):
        warn(
            f"{name} was fitted on {str(fitted_on)!r}, which this machine lacks: "
            f"it predicts on {here!r}. Its device={requested!r} is kept, so a refit "
            "here raises; set device='auto' to use whatever device there is.",
            DeviceWarning,
        )
    state["device"] = here
    if "device_" in state:
        state["device_"] = here
    return state, requested


def _seed(random_state):
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def _torch_seed(seed, device):
    """Seed torch inside the block and restore the global generators after."""
    cuda = torch.cuda.is_available() and torch.device(device or "cpu").type == "cuda"
    devices = [torch.cuda.current_device()] if cuda else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _torch_ready(X):
    """``X`` as an array torch takes without a copy nor a warning.

    torch refuses negative strides (``X[::-1]``) and warns about read-only
    memory (a pandas 3 frame under copy-on-write, a memory map); such arrays
    are copied, others are returned as they are.
    """
    return np.require(X, requirements=["C_CONTIGUOUS", "WRITEABLE"])


class NonFiniteLossError(ValueError, FloatingPointError):
    """Raised when the training loss of a deep estimator becomes NaN or inf.

    The message names the epoch. A ``ValueError``: the learning rate, the
    scale of the inputs or the weight of a domain loss does not suit the
    data. Also a ``FloatingPointError``, for code that catches those.

    Examples
    --------
    >>> from sktransfer.deep import NonFiniteLossError
    >>> issubclass(NonFiniteLossError, ValueError)
    True
    """


class DivergenceMonitor(Callback):
    """Warn when the training loss of a deep estimator explodes.

    The yardstick is the loss of an all-zero output on the labeled training
    rows (``log K`` for the cross-entropy over ``K`` classes, the mean square
    of the targets for the squared error): the loss of a network that knows
    nothing. A network whose mean training loss in an epoch exceeds
    ``factor`` times it has outputs of absurd size: training diverges (the
    learning rate is too high) or the inputs have a scale the network cannot
    take. The :class:`~sklearn.exceptions.ConvergenceWarning`
    names the epoch, the learning rate and the largest absolute input value,
    once per training stage. Every deep estimator of sktransfer registers it
    under the name ``"divergence"``; ``callbacks__divergence=None`` switches
    it off. A NaN or infinite loss is an error whatever this callback says
    (:class:`NonFiniteLossError`).

    Parameters
    ----------
    factor : float, default=1e4
        How many times the loss of an all-zero output an epoch's loss may
        reach.

    Examples
    --------
    >>> from sktransfer.deep import DomainNetClassifier
    >>> net = DomainNetClassifier().set_params(callbacks__divergence__factor=1e3)
    >>> dict(net.callbacks_)["divergence"].factor
    1000.0
    """

    def __init__(self, factor=1e4):
        self.factor = factor

    def initialize(self):
        if isinstance(self.factor, bool) or not (
            isinstance(self.factor, Real) and self.factor > 0
        ):
            raise ValueError(f"factor must be a positive number, got {self.factor!r}.")
        return super().initialize()

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.reference_ = self._loss_of_zero_output(net, y)
        inputs = net.batch_input(X) if X is not None else np.zeros(0)
        if isinstance(inputs, DatasetRows):  # lazily read: the first rows tell
            inputs = to_numpy(inputs[: min(len(inputs), 64)].stack())
        self.input_scale_ = (
            float(max(abs(inputs.max()), abs(inputs.min()))) if inputs.size else 0.0
        )
        self.warned_ = False

    @staticmethod
    def _loss_of_zero_output(net, y):
        labeled = (
            np.flatnonzero(net._labeled_rows(np.asarray(y)))[:1000]
            if y is not None
            else []
        )
        if len(labeled) == 0:
            return None
        target = torch.as_tensor(np.asarray(y)[labeled], device=net.device)
        zeros = torch.zeros((len(labeled), net._n_outputs()), device=net.device)
        try:
            with torch.no_grad():
                loss = float(net.criterion_(zeros, target))
        except (RuntimeError, ValueError, TypeError):  # a criterion of another kind
            return None
        return loss if math.isfinite(loss) and loss > 0 else None

    def on_epoch_end(self, net, **kwargs):
        if self.warned_ or self.reference_ is None:
            return
        loss = net.history[-1].get("train_loss")
        if loss is None or not loss > self.factor * self.reference_:
            return
        self.warned_ = True
        warn(
            f"{type(net).__name__}: the training loss reached {loss:.3g} in epoch "
            f"{len(net.history)}, over {self.factor:g} times the loss of an "
            f"all-zero output ({self.reference_:.3g}): training diverges and its "
            f"predictions mean little. Lower lr (now {net.lr:g}) or scale the "
            f"inputs (their largest absolute value is {self.input_scale_:.3g}), "
            "e.g. with StandardScaler.",
            ConvergenceWarning,
        )


def _valid_accuracy(net, X, y):
    """Accuracy on the labeled rows, from the network's logits and ``y``'s codes.

    skorch's default scores ``net.predict`` (the classes) against ``y``,
    which holds the classes' codes here.
    """
    logits = net.forward(X)
    logits = logits[0] if isinstance(logits, tuple | list) else logits
    predicted = to_numpy(logits).argmax(axis=1)
    y = np.asarray(y)
    labeled = y >= 0
    return float((predicted[labeled] == y[labeled]).mean()) if labeled.any() else 0.0


class _BatchIterator:
    """Batches sliced from whole tensors.

    skorch's DataLoader collates a dict input row by row, which costs more
    than the forward pass of a small network.
    """

    def __init__(self, X, y, batches):
        self.X = {key: torch.as_tensor(value) for key, value in X.items()}
        self.y = None if y is None else torch.as_tensor(y)
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for index in self.batches:
            X = {key: value[index] for key, value in self.X.items()}
            yield X, None if self.y is None else self.y[index]


class _PermutedBatches:
    """Batch sampler: row indices, shuffled by torch's generator when ``shuffle``."""

    def __init__(self, n_rows, batch_size, shuffle, as_lists=False):
        self.n_rows = n_rows
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.as_lists = as_lists  # a DataLoader reads item by item

    def __len__(self):
        return math.ceil(self.n_rows / self.batch_size)

    def __iter__(self):
        n = self.n_rows
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start : start + self.batch_size]
            yield index.tolist() if self.as_lists else index


class _DomainBalancedBatches:
    """Batch sampler: an equal share of every domain in every batch.

    The domains are the source rows and the target rows (all negative
    values pooled), or with ``sources_apart`` each source domain on its own
    and the target: ``batch_size // n_domains`` rows of each (the remainder
    to the first, at least one row each), half source, half target for two.
    As many batches per epoch as shuffled batches of all rows would make, so
    that an epoch costs the same and a schedule's progress is unchanged; each
    domain is drawn without replacement and drawn anew when it runs out (the
    smaller domain comes back within the epoch). The papers' sampling (Ganin
    et al., 2016; Long et al., 2018): every step sees the domains equally,
    however unequal their sizes.
    """

    def __init__(self, sample_domain, batch_size, as_lists=False, sources_apart=False):
        sample_domain = np.asarray(sample_domain)
        source = sample_domain > 0
        groups = np.unique(sample_domain[source]) if sources_apart else [None]
        self.domains = [
            torch.as_tensor(np.flatnonzero(source if d is None else sample_domain == d))
            for d in groups
        ] + [torch.as_tensor(np.flatnonzero(sample_domain < 0))]
        self.n_rows = len(sample_domain)
        self.batch_size = batch_size
        self.as_lists = as_lists

    def __len__(self):
        return math.ceil(self.n_rows / self.batch_size)

    def __iter__(self):
        n, extra = divmod(self.batch_size, len(self.domains))
        shares = [
            min(max(n + (d < extra), 1), len(rows))
            for d, rows in enumerate(self.domains)
        ]
        orders = [rows[torch.randperm(len(rows))] for rows in self.domains]
        positions = [0] * len(self.domains)
        for _ in range(len(self)):
            parts = []
            for d, (rows, share) in enumerate(zip(self.domains, shares)):
                if positions[d] + share > len(rows):
                    # the rows not drawn yet, then the others shuffled: each
                    # row once per pass, none twice in a batch
                    left = orders[d][positions[d] :]
                    others = orders[d][: positions[d]]
                    orders[d] = torch.cat([left, others[torch.randperm(len(others))]])
                    positions[d] = 0
                parts.append(orders[d][positions[d] : positions[d] + share])
                positions[d] += share
            index = torch.cat(parts)
            yield index.tolist() if self.as_lists else index

    @staticmethod
    def applies(sample_domain):
        """Whether both domains have rows (else batches are shuffled rows)."""
        sample_domain = np.asarray(sample_domain)
        return bool((sample_domain < 0).any() and (sample_domain > 0).any())


class _InitState:
    """State that skorch's ``NeuralNet.__init__`` sets, kept under a private name.

    ``initialized_``, ``history_`` and ``virtual_params_`` end in ``_`` like
    fitted attributes, but skorch sets them in ``__init__``; scikit-learn
    expects an unfitted estimator to hold hyperparameters only. Stored as
    ``_initialized_`` etc., they are neither.
    """

    def __set_name__(self, owner, name):
        self.name = name
        self.key = f"_{name}"

    def __get__(self, net, owner=None):
        if net is None:
            return self
        try:
            return vars(net)[self.key]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, net, value):
        vars(net)[self.key] = value


class _DomainNet(DomainAwareMixin, PortableStateMixin):
    """What the deep nets of sktransfer share, whatever their targets.

    Placed before skorch's ``NeuralNetClassifier`` or ``NeuralNetRegressor``
    among the bases: the domain contract of ``fit``, validation of the input,
    the device (``device_``), seeding from ``random_state``, whole-tensor
    and domain-balanced batches, the non-finite loss check, portable
    persistence. What depends on the kind of target is left to the class:

    * ``_set_targets(y, sample_domain, classes)``: the fitted state of the
      targets (``classes_``, ``n_outputs_``), set in ``fit``, whose name is
      ``_target_state`` (``partial_fit`` checks it);
    * ``_validate_domain_data(X, y, sample_domain, **params)``: the domain
      contract for this kind of target;
    * ``encode_labels(y, sample_domain)``: ``y`` as the network trains on it;
    * ``_labeled_rows(y)``: which rows of encoded targets (array or tensor)
      are labeled;
    * ``_n_outputs()``: the number of outputs per row the module returns;
    * ``_outputs_needed(n)``: why, for the error on a module of another size;
    * ``_score_callbacks()``: validation scores beside ``valid_loss``.
    """

    _parameter_constraints = {
        "augment": [callable, None],
        "random_state": ["random_state"],
    }

    initialized_ = _InitState()
    history_ = _InitState()
    virtual_params_ = _InitState()

    # --- parameters ----------------------------------------------------------

    @property
    def device(self):
        """The device the net computes on: ``device_`` once resolved in ``fit``.

        Before, the ``device`` parameter as set. skorch's code reads this
        attribute; ``get_params`` reports the parameter.
        """
        state = vars(self)
        return state.get("device_", state.get("device"))

    @device.setter
    def device(self, value):
        vars(self)["device"] = value

    def get_params(self, deep=True, **kwargs):
        """Hyperparameters, ``device`` as it was set (``"auto"`` stays ``"auto"``).

        Parameters
        ----------
        deep : bool, default=True
            Also the parameters of the callbacks.
        **kwargs : dict
            Passed to skorch's ``get_params``.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = vars(self)["device"]
        return params

    def _validate_hyperparameters(self):
        """Check ``_parameter_constraints`` as scikit-learn's ``_fit_context`` does.

        (skorch's own ``_validate_params`` checks the names of the
        parameters, so scikit-learn's cannot serve here.)
        """
        if not get_config()["skip_parameter_validation"]:
            validate_parameter_constraints(
                self._parameter_constraints,
                self.get_params(deep=False),
                caller_name=type(self).__name__,
            )

    # --- fitting -------------------------------------------------------------

    def fit(self, X, y=None, *, sample_domain=None, **fit_params):
        """Train the network on the rows of all domains.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...), \
                or torch Dataset
            Rows of all domains: tabular rows or images, channels first
            ``(n, C, H, W)`` or channels last ``(n, H, W, C)`` with ``C`` 1
            or 3 (turned channels first). Cast to float32. A torch
            ``Dataset`` (items ``(x, y)``, e.g. an
            :class:`~sktransfer.deep.ImageFolder`) is read batch by batch,
            never whole; its loader's options as ``iterator_train__*``
            (``num_workers``, ...).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or None
            A classifier's labels, ``-1`` on unlabeled target rows (``"-1"``
            among string labels); a regressor's targets, ``nan`` on
            unlabeled target rows (2-d for several outputs). ``None`` with a
            Dataset takes its items' labels (its ``targets`` when it has
            them).
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None``
            means every row is a source row.
        **fit_params : dict
            Passed to skorch's ``fit_loop`` (and the module's ``forward``).

        Returns
        -------
        self : object
            The fitted network.
        """
        X, y, sample_domain = self._prepare_fit(X, y, sample_domain)
        with _torch_seed(_seed(self.random_state), self.device_):
            self._fit_domains(X, y, sample_domain, **fit_params)
        return self

    def _prepare_fit(self, X, y, sample_domain, classes=None):
        """Validate parameters and data, set the targets, shape and device."""
        self._validate_hyperparameters()
        X, y, sample_domain = self._validate_fit_data(X, y, sample_domain)
        self._set_targets(y, sample_domain, classes)
        self.input_shape_ = tuple(X.shape[1:])
        self.device_ = resolve_device(vars(self)["device"])
        return X, y, sample_domain

    def _validate_domain_data(self, X, y, sample_domain, **check_params):
        """:func:`~sktransfer.utils.validate_domain_data` for this kind of net."""
        return validate_domain_data(self, X, y, sample_domain, **check_params)

    def _validate_fit_data(self, X, y, sample_domain, reset=True):
        """Arrays validated and cast to float32, channels-last images turned
        channels first; a torch Dataset wrapped in a :class:`DatasetRows`
        view, its labels read from it unless ``y`` is given."""
        if not is_dataset(X):
            X, y, sample_domain = self._validate_domain_data(
                X, y, sample_domain, dtype=np.float32, allow_nd=True, reset=reset
            )
            return _torch_ready(as_channels_first(X)), y, sample_domain
        rows = as_rows(X)
        if y is None:
            y = rows.labels()
        # the rows are read lazily: y and the domains are checked against a
        # stand-in of their length (one column per channel or feature)
        first = rows[0]
        stand_in = np.zeros(
            (len(rows), first.shape[0] if first.ndim else 1), np.float32
        )
        _, y, sample_domain = self._validate_domain_data(
            stand_in, y, sample_domain, dtype=np.float32, reset=reset
        )
        return rows, y, sample_domain

    def _fit_domains(self, X, y, sample_domain, **fit_params):
        """Train on every row; the label loss sees the labeled ones."""
        initialize = not (self.warm_start and self.initialized_)
        self._train_all_rows(X, y, sample_domain, initialize=initialize, **fit_params)

    def _train_all_rows(self, X, y, sample_domain, *, initialize, **fit_params):
        if initialize:
            self.initialize()
        self.check_module_output(X, self._n_outputs())
        self.run_epochs(
            self.domain_input(X, sample_domain),
            self.encode_labels(y, sample_domain),
            **fit_params,
        )

    def run_epochs(self, X_domains, y_encoded, epochs=None, **fit_params):
        """Train for ``epochs`` (default ``max_epochs``) with skorch's loop.

        Parameters
        ----------
        X_domains : dict
            From :meth:`domain_input`.
        y_encoded : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            From :meth:`encode_labels`.
        epochs : int, default=None
            Number of epochs; ``None`` means ``max_epochs``.
        **fit_params : dict
            Passed to the module's ``forward``.
        """
        self.notify("on_train_begin", X=X_domains, y=y_encoded)
        # sample_domain already reached fit; skorch's loop must not route again
        with config_context(enable_metadata_routing=False):
            try:
                self.fit_loop(X_domains, y_encoded, epochs=epochs, **fit_params)
            except KeyboardInterrupt:
                pass  # how skorch stops early: EarlyStopping raises it (so does Ctrl-C)
        self.notify("on_train_end", X=X_domains, y=y_encoded)

    #: The fitted attribute that ``_set_targets`` sets (``partial_fit`` checks it).
    _target_state = None

    def _partial_fit(self, X, y, sample_domain, classes=None, **fit_params):
        """``partial_fit``: ``max_epochs`` more epochs on every row."""
        fitted = bool(self.initialized_) and hasattr(self, self._target_state)
        if fitted:
            X, y, sample_domain = self._validate_fit_data(
                X, y, sample_domain, reset=False
            )
            X = self._check_shape(X)
        else:
            X, y, sample_domain = self._prepare_fit(X, y, sample_domain, classes)
        with _torch_seed(_seed(self.random_state), self.device_):
            self._train_all_rows(
                X, y, sample_domain, initialize=not fitted, **fit_params
            )
        return self

    @staticmethod
    def domain_input(X, sample_domain):
        """The dict sliced batch by batch: rows and their domains."""
        return {"X": X, "sample_domain": np.array(sample_domain, dtype=np.int64)}

    def check_module_output(self, X, n_outputs):
        """Run the module on two rows; raise a clear error if it cannot serve.

        Parameters
        ----------
        X : ndarray
            Training rows (two are used).
        n_outputs : int
            Number of outputs (a classifier's logits) the module must return
            per row.

        Raises
        ------
        ValueError
            If the module fails on rows of this shape or returns another
            number of outputs.
        """
        out = self._run_in_eval_mode(self.module_, X[:2])
        logits = out[0] if isinstance(out, tuple | list) else out
        if logits.ndim != 2 or logits.shape[1] != n_outputs:
            raise ValueError(
                f"The module returns outputs of shape {tuple(logits.shape[1:])} per "
                f"row, but {self._outputs_needed(n_outputs)}."
                + self._output_size_hint()
            )

    def _run_in_eval_mode(self, module, X, run=None):
        """``run(module, X)`` (default ``module(X)``) in eval mode, no gradients."""
        # on the module's device: initialize_module runs before skorch moves it
        param = next(module.parameters(), None)
        device = self.device if param is None else param.device
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                x = X.stack() if isinstance(X, DatasetRows) else np.asarray(X)
                x = to_tensor(x, device=device)
                return module(x) if run is None else run(module, x)
        except RuntimeError as exc:
            raise ValueError(
                f"The module of {type(self).__name__} cannot process rows of shape "
                f"{tuple(np.shape(X)[1:])}: {exc}"
            ) from exc
        finally:
            module.train(was_training)

    def _output_size_hint(self):
        return ""

    # --- skorch hooks --------------------------------------------------------

    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            *self._score_callbacks(),
            ("divergence", DivergenceMonitor()),
            ("print_log", PrintLog()),
        ]

    def get_metadata_routing(self):
        """Metadata requests: ``fit`` requests ``sample_domain``.

        skorch's net is also a router (to the splitter of ``train_split``);
        sktransfer's nets consume ``sample_domain`` themselves.

        Returns
        -------
        routing : MetadataRequest
        """
        return self._get_metadata_request()

    def check_data(self, X, y=None):
        # the targets are validated in fit (classes_ from the labeled rows);
        # skorch would take the unlabeled marker for a class
        pass

    def initialize(self):
        """Resolve ``device`` into ``device_``, then initialise skorch's parts.

        Returns
        -------
        self : object
        """
        self.device_ = resolve_device(vars(self)["device"])
        super().initialize()
        if self.train_split is None:
            for name, callback in self.callbacks_:
                monitor = getattr(callback, "monitor", None)
                if isinstance(monitor, str) and monitor.startswith("valid"):
                    raise ValueError(
                        f"The callback {name!r} of {type(self).__name__} monitors "
                        f"{monitor!r}, a validation score, but train_split=None "
                        "trains on every row and computes none. Pass "
                        "train_split=TargetValidSplit(0.2) (from sktransfer.deep; "
                        "it holds out labeled target rows) or another skorch "
                        "split."
                    )
        return self

    def initialize_module(self):
        """Build ``module_`` from ``module``.

        ``None`` means a :class:`SmallCNN` for images (rows of shape
        ``(C, H, W)``) and an :class:`MLP` for other rows.
        """
        module = self.module
        if module is None and SmallCNN.takes(self.input_shape_):
            module = partial(SmallCNN, self.input_shape_[0], self._n_outputs())
        elif module is None:
            module = partial(MLP, int(np.prod(self.input_shape_)), self._n_outputs())
        self.module_ = self.initialized_instance(module, self.get_params_for("module"))
        return self

    def initialized_instance(self, instance_or_cls, kwargs):
        """skorch's, but a module instance is copied: ``fit`` never trains it.

        An instance takes no ``NAME__*`` parameters (skorch would build a new
        module of its class from them, dropping its weights, e.g. pretrained
        ones): they are an error.

        Parameters
        ----------
        instance_or_cls : torch.nn.Module class or instance, or callable
        kwargs : dict
            The ``NAME__*`` parameters.

        Returns
        -------
        instance : torch.nn.Module
        """
        if not isinstance(instance_or_cls, torch.nn.Module):
            return super().initialized_instance(instance_or_cls, kwargs)
        if kwargs:
            name = next(
                (k for k, v in vars(self).items() if v is instance_or_cls), "module"
            )
            raise ValueError(
                f"{name}__* parameters configure a module class; {name} is an "
                f"instance, so {sorted(kwargs)} cannot apply."
            )
        return copy.deepcopy(instance_or_cls)

    @staticmethod
    def batch_input(x):
        """The input tensor of a batch (a dict in training, a tensor after)."""
        return x["X"] if isinstance(x, Mapping) else x

    def input_tensor(self, x):
        """The input tensor of a batch on the device, augmented in training.

        Parameters
        ----------
        x : dict or torch.Tensor
            The batch (a dict of rows and domains in training).

        Returns
        -------
        X : torch.Tensor
            ``augment(X)`` while the module trains, when ``augment`` is set.
        """
        X = to_tensor(self.batch_input(x), device=self.device)
        if self.augment is not None and self.module_.training:
            X = self.augment(X)
        return X

    def infer(self, x, **fit_params):
        """Logits of a batch (``x`` is a dict in training, a tensor after)."""
        return self.module_(self.input_tensor(x), **fit_params)

    def label_loss(self, logits, y_true):
        """The criterion on the labeled rows of a batch.

        Parameters
        ----------
        logits : torch.Tensor of shape (batch_size, n_outputs)
            A classifier's logits, a regressor's predictions.
        y_true : torch.Tensor of shape (batch_size,) or (batch_size, n_outputs)
            Encoded targets: a classifier's labels, ``-1`` on unlabeled rows;
            a regressor's targets, ``nan`` on unlabeled rows.

        Returns
        -------
        loss : torch.Tensor
            A scalar; zero (with a graph) when no row is labeled.
        """
        y_true = to_tensor(y_true, device=self.device)
        labeled = self._labeled_rows(y_true)
        if not bool(labeled.any()):
            return logits.sum() * 0.0
        return self.criterion_(logits[labeled], y_true[labeled])

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Label loss of the batch; subclasses add their domain terms."""
        logits = y_pred[0] if isinstance(y_pred, tuple | list) else y_pred
        return self.label_loss(logits, y_true)

    def train_step(self, batch, **fit_params):
        """skorch's step; a NaN or infinite loss stops with :class:`NonFiniteLossError`.

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
        step = super().train_step(batch, **fit_params)
        if not bool(torch.isfinite(step["loss"])):
            raise NonFiniteLossError(
                f"{type(self).__name__}: the training loss became "
                f"{float(step['loss'].detach())} in epoch {len(self.history)}; lower "
                f"lr (now {self.lr:g}) or scale the inputs (e.g. with "
                "StandardScaler), or lower the weight of a domain loss."
            )
        return step

    def get_iterator(self, dataset, training=False):
        """skorch's iterator, or whole-tensor batches for the dict of domains.

        Parameters
        ----------
        dataset : torch Dataset
        training : bool, default=False

        Returns
        -------
        iterator : iterable of (X, y) batches
        """
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        X = getattr(dataset, "X", None)
        if not isinstance(X, Mapping) or getattr(self, prefix) is not DataLoader:
            return super().get_iterator(dataset, training=training)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size <= 0:
            batch_size = len(dataset)
        shuffle = kwargs.pop("shuffle", training)
        from_dataset = isinstance(X.get("X"), DatasetRows)
        batches = self._batch_sampler(
            X["sample_domain"], batch_size, shuffle, training, as_lists=from_dataset
        )
        if from_dataset:
            # Items read batch by batch (in workers with num_workers), shuffled
            # as _BatchIterator shuffles arrays: a Dataset trains as the arrays
            # of its items do. The loader's own generator (the workers' seeds)
            # must not draw from torch's global one, which the order uses.
            workers = torch.Generator().manual_seed(
                _seed(self.random_state) + len(self.history)
            )
            return DataLoader(
                dataset, batch_sampler=batches, generator=workers, **kwargs
            )
        if kwargs:
            return super().get_iterator(dataset, training=training)
        return _BatchIterator(X, getattr(dataset, "y", None), batches)

    def _batch_sampler(self, sample_domain, batch_size, shuffle, training, as_lists):
        """Shuffled (or ordered) rows; the alignment nets balance the domains
        of training batches."""
        return _PermutedBatches(len(sample_domain), batch_size, shuffle, as_lists)

    # --- prediction ----------------------------------------------------------

    def _validate_X(self, X):
        check_is_fitted(self, "module_")
        if is_dataset(X):
            return self._check_shape(as_rows(X))
        X = validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)
        return _torch_ready(self._check_shape(as_channels_first(X)))

    def _check_shape(self, X):
        if tuple(X.shape[1:]) != self.input_shape_:
            layout = (
                " (images are taken channels first, (n, C, H, W), or channels "
                "last, (n, H, W, C) with C = 1 or 3)"
                if len(self.input_shape_) == 3
                else ""
            )
            raise ValueError(
                f"X has rows of shape {tuple(X.shape[1:])}, but "
                f"{type(self).__name__} was fitted on rows of shape "
                f"{self.input_shape_}{layout}."
            )
        return X

    # --- persistence ---------------------------------------------------------

    def load_params(self, *args, **kwargs):
        """skorch's ``load_params``; ``device`` stays the device asked for.

        skorch sets its ``device`` to the device the parameters are loaded
        onto, ``device_`` here (as ``Checkpoint(load_best=True)`` does at
        the end of training); the hyperparameter must not change.

        Parameters
        ----------
        *args, **kwargs
            Those of skorch's ``load_params`` (``f_params``, ``checkpoint``,
            ...).
        """
        requested = vars(self)["device"]
        try:
            super().load_params(*args, **kwargs)
        finally:
            vars(self)["device"] = requested

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.non_deterministic = False
        return tags


class DomainNetClassifier(_DomainNet, NeuralNetClassifier):
    """Base skorch classifier of sktransfer's deep methods.

    Trains ``module`` with the cross-entropy on every labeled row (source
    rows and labeled target rows). Subclasses change the loss and add
    modules; see the module docstring of ``sktransfer.deep._base`` for how.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network, returning one logit per class. ``None`` means
        :class:`~sktransfer.deep.MLP` sized to the data (its options as
        ``module__hidden_units``, ``module__dropout``). A class is built
        with the ``module__*`` parameters; an instance is copied, so that
        ``fit`` never changes the module passed in.
    *args
        skorch's positional parameters (none in practice).
    criterion : torch loss class, default=torch.nn.CrossEntropyLoss
        Loss on the logits of labeled rows.
    optimizer : torch optimizer class, default=torch.optim.Adam
        The optimizer; its options as ``optimizer__*``.
    lr : float, default=1e-3
        Learning rate.
    batch_size : int, default=64
        Rows per batch; batches are shuffled unless
        ``iterator_train__shuffle=False``.
    train_split : callable or None, default=None
        skorch's internal validation split; ``None`` trains on every row.
        A callback that monitors a validation score (``EarlyStopping``,
        ``Checkpoint``) needs one:
        :class:`~sktransfer.deep.TargetValidSplit` holds out labeled target
        rows.
    device : str, torch.device or None, default="auto"
        ``"auto"`` uses the GPU when torch sees one, else the CPU. Checked
        in ``fit`` (a ``ValueError`` for ``"cuda"`` where torch sees no GPU);
        the device used is ``device_``, which the attribute ``device``
        reads once the net is fitted (skorch's code uses it), while
        ``get_params`` keeps the one asked for.
    verbose : int, default=0
        skorch's printing of each epoch.
    augment : callable or None, default=None
        Applied to the input tensor of every training batch, on the device
        (never in validation or prediction): data augmentation, e.g.
        :func:`~sktransfer.deep.default_augmentation` for images. It must
        keep the shape of the batch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, shuffling, dropout and augmentation.
    **kwargs : dict
        Other skorch parameters (``max_epochs=10``, ``callbacks``,
        ``module__*``, ``optimizer__*``, ``iterator_train__*``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    input_shape_ : tuple of int
        Shape of one input row.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit`` (channels for images).

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DomainNetClassifier
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = DomainNetClassifier(max_epochs=2, random_state=0, device="cpu")
    >>> net.fit(X, y, sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=None,
        *args,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=64,
        train_split=None,
        device="auto",
        verbose=0,
        augment=None,
        random_state=None,
        **kwargs,
    ):
        super().__init__(
            module,
            *args,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.augment = augment
        self.random_state = random_state

    # --- targets -------------------------------------------------------------

    _target_state = "classes_inferred_"

    def _set_targets(self, y, sample_domain, classes=None):
        labeled_classes, _ = encode_classes(y, sample_domain)
        if labeled_classes.size == 0:
            raise ValueError(f"{type(self).__name__} got no labeled row to train on.")
        self.classes_inferred_ = (
            labeled_classes if classes is None else np.unique(np.asarray(classes))
        )

    def _n_outputs(self):
        return len(self.classes_)

    @staticmethod
    def _labeled_rows(y):
        """The labeled rows of encoded labels (``y >= 0``), array or tensor."""
        return y >= 0

    def _outputs_needed(self, n_classes):
        return (
            f"y has {n_classes} classes {self.classes_.tolist()}: it must return "
            f"{n_classes} logits per row"
        )

    def _score_callbacks(self):
        return [
            (
                "valid_acc",
                EpochScoring(_valid_accuracy, name="valid_acc", lower_is_better=False),
            )
        ]

    def encode_labels(self, y, sample_domain):
        """Indices into ``classes_``; ``-1`` on unlabeled target rows.

        Parameters
        ----------
        y : ndarray of shape (n_samples,)
            Labels with unlabeled markers on target rows.
        sample_domain : ndarray of shape (n_samples,)
            Domains.

        Returns
        -------
        y_encoded : ndarray of shape (n_samples,), dtype=int64

        Raises
        ------
        ValueError
            If a labeled row has a class the network does not know.
        """
        return encode_classes(y, sample_domain, classes=self.classes_)[1]

    def partial_fit(self, X, y=None, classes=None, *, sample_domain=None, **fit_params):
        """Train ``max_epochs`` more epochs on every row, without re-initialising.

        The first call initialises the network as ``fit`` does (with the
        default single stage: every labeled row trains the network).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Rows of all domains.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` on unlabeled target rows.
        classes : array-like of shape (n_classes,), default=None
            All classes, needed on the first call when ``y`` lacks some.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows.
        **fit_params : dict
            Passed to skorch's ``fit_loop``.

        Returns
        -------
        self : DomainNetClassifier
            The network.
        """
        return self._partial_fit(X, y, sample_domain, classes, **fit_params)

    # --- prediction ----------------------------------------------------------

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows shaped like the training rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities (float64), columns in the order of ``classes_``.

        Raises
        ------
        ValueError
            If the network's outputs are not finite (its weights are not,
            or the inputs overflow it): no class is made up for those rows.
        """
        X = self._validate_X(X)
        proba = super().predict_proba(X).astype(np.float64)
        bad = ~np.isfinite(proba).all(axis=1)
        if bad.any():
            raise ValueError(
                f"{type(self).__name__} computed non-finite class probabilities for "
                f"{int(bad.sum())} of {len(proba)} rows: the network's weights are "
                "not finite, or these inputs overflow it. Refit with a lower lr or "
                "scaled inputs."
            )
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows shaped like the training rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        index = self.predict_proba(X).argmax(axis=1)
        return self.classes_[index]

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


def _never(net):
    return False


def _as_columns(y):
    """Targets as float64 columns: ``(n_samples, n_outputs)``."""
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(-1, 1) if y.ndim == 1 else y


class DomainNetRegressor(_DomainNet, NeuralNetRegressor):
    """Base skorch regressor of sktransfer's deep methods.

    The regressor counterpart of :class:`DomainNetClassifier`, with the same
    contract and parameters: trains ``module`` with the squared error on
    every labeled row (source rows and labeled target rows); ``y = nan``
    marks an unlabeled target row, which the loss leaves out (the domain
    losses of subclasses still see it). ``y`` is cast to float32, of shape
    ``(n_samples,)`` or ``(n_samples, n_outputs)``: a target row is labeled
    in every output or in none. ``predict`` returns ``(n_samples,)`` for a
    1-d ``y``; :meth:`score` is the R^2 on the labeled rows.

    The network starts with outputs near zero and trains with a learning
    rate suited to unit-scale values: standardise ``y`` as you standardise
    ``X`` (with the mean and scale of its labeled rows) when its values are
    far from that scale.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network, returning ``n_outputs`` values per row. ``None`` means
        :class:`~sktransfer.deep.MLP` sized to the data (its options as
        ``module__hidden_units``, ``module__dropout``). A class is built
        with the ``module__*`` parameters; an instance is copied, so that
        ``fit`` never changes the module passed in.
    *args
        skorch's positional parameters (none in practice).
    criterion : torch loss class, default=torch.nn.MSELoss
        Loss between the outputs and the targets of labeled rows.
    optimizer : torch optimizer class, default=torch.optim.Adam
        The optimizer; its options as ``optimizer__*``.
    lr : float, default=1e-3
        Learning rate.
    batch_size : int, default=64
        Rows per batch; batches are shuffled unless
        ``iterator_train__shuffle=False``.
    train_split : callable or None, default=None
        skorch's internal validation split; ``None`` trains on every row.
        :class:`~sktransfer.deep.TargetValidSplit` holds out labeled target
        rows (for ``valid_loss``, which ``EarlyStopping`` can monitor).
    device : str, torch.device or None, default="auto"
        ``"auto"`` uses the GPU when torch sees one, else the CPU; the
        device used is ``device_``.
    verbose : int, default=0
        skorch's printing of each epoch.
    augment : callable or None, default=None
        Applied to the input tensor of every training batch, on the device.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, shuffling, dropout and augmentation.
    **kwargs : dict
        Other skorch parameters (``max_epochs=10``, ``callbacks``,
        ``module__*``, ``optimizer__*``, ``iterator_train__*``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    n_outputs_ : int
        Number of outputs (columns of ``y``; 1 for a 1-d ``y``).
    device_ : str or torch.device
        The device used.
    input_shape_ : tuple of int
        Shape of one input row.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit`` (channels for images).

    See Also
    --------
    DomainNetClassifier : The classifier counterpart.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DomainNetRegressor
    >>> from sktransfer.utils import hide_target_labels
    >>> X, _, sd = make_domain_shift(random_state=0)
    >>> y = X[:, 1] - X[:, 0] ** 2 / 2  # the score behind the covariate shift
    >>> y_train = hide_target_labels(y, sd, n_labeled=10, random_state=0)
    >>> net = DomainNetRegressor(max_epochs=2, random_state=0, device="cpu")
    >>> net.fit(X, y_train, sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=None,
        *args,
        criterion=torch.nn.MSELoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=64,
        train_split=None,
        device="auto",
        verbose=0,
        augment=None,
        random_state=None,
        **kwargs,
    ):
        super().__init__(
            module,
            *args,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.augment = augment
        self.random_state = random_state

    # --- targets -------------------------------------------------------------

    _target_state = "n_outputs_"

    def _validate_domain_data(self, X, y, sample_domain, **check_params):
        """The domain contract with ``nan`` as the marker; ``y`` 1-d or 2-d."""
        if y is not None:
            y = np.asarray(y)
        if y is None or y.ndim < 2:
            return validate_domain_data(
                self, X, y, sample_domain, regression=True, **check_params
            )
        name = type(self).__name__
        y = _check_regression_y(y, name)
        if y.ndim != 2 or y.shape[1] == 0 or y.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} takes y of shape (n_samples,) or (n_samples, n_outputs) "
                f"with numbers, got shape {y.shape} of dtype {y.dtype}."
            )
        y = y.astype(np.float64)
        missing = np.isnan(y)
        partial = missing.any(axis=1) & ~missing.all(axis=1)
        if partial.any():
            raise ValueError(
                f"y is nan in some outputs but not all on {int(partial.sum())} "
                f"row(s) (first: row {np.flatnonzero(partial)[0]}); {name} takes a "
                "target row as labeled (every output) or unlabeled (nan in every "
                "output)."
            )
        if np.isinf(y).any():
            raise ValueError("Input y contains infinity.")
        # the first output stands for the row in the checks of the contract
        # (lengths, nan only on target rows)
        X, _, sample_domain = validate_domain_data(
            self, X, y[:, 0], sample_domain, regression=True, **check_params
        )
        return X, y, sample_domain

    def _set_targets(self, y, sample_domain, classes=None):
        if not self._labeled_rows(_as_columns(y)).any():
            raise ValueError(
                f"{type(self).__name__} got no labeled row to train on (y is nan "
                "on every row)."
            )
        self.n_outputs_ = int(_as_columns(y).shape[1])
        self._y_ndim_ = int(np.ndim(y))

    def _n_outputs(self):
        return self.n_outputs_

    @staticmethod
    def _labeled_rows(y):
        """The rows of targets (array or tensor) that are not ``nan``."""
        missing = torch.isnan(y) if isinstance(y, torch.Tensor) else np.isnan(y)
        return ~missing if missing.ndim == 1 else ~missing.any(axis=1)

    def _outputs_needed(self, n_outputs):
        return f"y has {n_outputs} output(s): it must return {n_outputs} per row"

    def _score_callbacks(self):
        return []

    def encode_labels(self, y, sample_domain):
        """The targets as float32 columns; ``nan`` on unlabeled target rows.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Targets, ``nan`` on unlabeled target rows.
        sample_domain : ndarray of shape (n_samples,)
            Domains.

        Returns
        -------
        y_encoded : ndarray of shape (n_samples, `n_outputs_`), dtype=float32

        Raises
        ------
        ValueError
            If ``y`` has another number of outputs than the network, or
            values float32 cannot hold.
        """
        columns = _as_columns(y)
        if columns.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {columns.shape[1]} output(s), but {type(self).__name__} "
                f"was fitted on {self.n_outputs_}."
            )
        with np.errstate(over="ignore"):
            encoded = columns.astype(np.float32)
        if np.isinf(encoded).any():
            raise ValueError(
                f"y has values beyond float32's range (largest absolute value "
                f"{np.nanmax(np.abs(columns)):.3g}), which {type(self).__name__} "
                "trains in; scale y."
            )
        return encoded

    def partial_fit(self, X, y=None, classes=None, *, sample_domain=None, **fit_params):
        """Train ``max_epochs`` more epochs on every row, without re-initialising.

        The first call initialises the network as ``fit`` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Rows of all domains.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; ``nan`` on unlabeled target rows.
        classes : None
            Ignored, as by skorch's ``NeuralNetRegressor``.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows.
        **fit_params : dict
            Passed to skorch's ``fit_loop``.

        Returns
        -------
        self : DomainNetRegressor
            The network.
        """
        return self._partial_fit(X, y, sample_domain, **fit_params)

    # --- prediction ----------------------------------------------------------

    def predict(self, X):
        """Predict the targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows shaped like the training rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, `n_outputs_`)
            1-d when ``fit`` saw a 1-d ``y``.

        Raises
        ------
        ValueError
            If the network's outputs are not finite (its weights are not,
            or the inputs overflow it).
        """
        X = self._validate_X(X)
        # skorch's outputs of the module, through predict_nonlinearity
        # (none for the squared error)
        y_pred = NeuralNet.predict_proba(self, X).astype(np.float64)
        y_pred = y_pred.reshape(len(y_pred), -1)
        bad = ~np.isfinite(y_pred).all(axis=1)
        if bad.any():
            raise ValueError(
                f"{type(self).__name__} computed non-finite predictions for "
                f"{int(bad.sum())} of {len(y_pred)} rows: the network's weights are "
                "not finite, or these inputs overflow it. Refit with a lower lr or "
                "scaled inputs."
            )
        return y_pred[:, 0] if self._y_ndim_ == 1 else y_pred

    @available_if(_never)
    def predict_proba(self, X):
        """Not available: a regressor has no probabilities (see :meth:`predict`)."""

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions on the labeled rows (``y`` not ``nan``).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Rows shaped like the training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets; rows with ``nan`` are left out.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        score : float
            :func:`~sklearn.metrics.r2_score` of the labeled rows (averaged
            uniformly over outputs).

        Raises
        ------
        ValueError
            If no row of ``y`` is labeled.
        """
        y = np.asarray(y, dtype=np.float64)
        y_pred = self.predict(X)
        if len(y) != len(y_pred):
            raise ValueError(
                f"y has {len(y)} rows, but X has {len(y_pred)}: they must match."
            )
        labeled = self._labeled_rows(y)
        if not labeled.any():
            raise ValueError(
                f"{type(self).__name__}.score got no labeled row: y is nan on "
                "every row."
            )
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[labeled]
        return r2_score(y[labeled], y_pred[labeled], sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        # a fixed number of epochs (max_epochs=10: 40 steps of Adam on the 200
        # rows of scikit-learn's check_regressors_train) underfits the check's
        # data, R^2 0.43 where it asks for 0.5 (0.70 after 20 epochs); the
        # tests of sktransfer check that the regressors learn
        tags.regressor_tags.poor_score = True
        return tags


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


class _DomainAlignment(metaclass=ABCMeta):
    """The alignment losses, whatever the targets: the body of
    :class:`DomainAlignmentClassifier` and :class:`DomainAlignmentRegressor`.

    Placed before :class:`DomainNetClassifier` or :class:`DomainNetRegressor`
    among the bases. A method written once on it (``class
    _MethodMixin(_DomainAlignment)``) serves both, as DANN's does.
    """

    _parameter_constraints = {
        **_DomainNet._parameter_constraints,
        "regularizers": [dict, None],
        "balanced_batches": ["boolean"],
    }

    prefixes_ = [*NeuralNet.prefixes_, "regularizers"]

    #: Terms of ``regularizers`` the net refuses, by name, with the reason.
    _unsupported_regularizers = {}

    #: Balanced batches share each source domain apart (else sources pooled).
    _balance_sources_apart = False

    def __init__(
        self, module=None, *args, regularizers=None, balanced_batches=True, **kwargs
    ):
        super().__init__(module, *args, **kwargs)
        self.regularizers = regularizers
        self.balanced_batches = balanced_batches

    def set_params(self, **params):
        """Set hyperparameters; ``regularizers__NAME`` sets the weight of a term.

        A weight set so overrides the one in ``regularizers`` (and adds the
        term when ``regularizers`` lacks it): grid searches tune it as any
        other parameter.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
        """
        weights = [key for key in params if key.startswith("regularizers__")]
        vars(self).update({key: params.pop(key) for key in weights})
        return super().set_params(**params)

    def _resolve_regularizers(self):
        """``[(name, term, weight)]`` from ``regularizers`` and ``regularizers__*``."""
        spec = dict(self.regularizers or {})
        for name, weight in self.get_params_for("regularizers").items():
            term = spec.get(name)
            spec[name] = (term[0], weight) if isinstance(term, tuple) else weight
        if not spec:
            return []
        from ._losses import REGULARIZERS

        resolved = []
        for name, value in spec.items():
            term, weight = value if isinstance(value, tuple) else (None, value)
            if term is None and name in self._unsupported_regularizers:
                usable = sorted(set(REGULARIZERS) - set(self._unsupported_regularizers))
                raise ValueError(
                    f"regularizers of {type(self).__name__} names {name!r}, "
                    f"{self._unsupported_regularizers[name]}: use one of {usable}, "
                    "or give (callable, weight), the callable taking (logits, "
                    "features, sample_domain)."
                )
            if term is None:
                if name not in REGULARIZERS:
                    raise ValueError(
                        f"regularizers of {type(self).__name__} names an unknown "
                        f"term {name!r}: known terms are {sorted(REGULARIZERS)}, "
                        "or give (callable, weight), the callable taking "
                        "(logits, features, sample_domain)."
                    )
                term = REGULARIZERS[name]
            if not callable(term):
                raise TypeError(
                    f"The term {name!r} of regularizers must be callable (taking "
                    f"logits, features, sample_domain), got {term!r}."
                )
            bad = isinstance(weight, bool) or not isinstance(weight, Real)
            if bad or not math.isfinite(weight) or weight < 0:
                raise ValueError(
                    f"The weight of the term {name!r} of regularizers must be a "
                    f"non-negative number, got {weight!r}."
                )
            resolved.append((name, term, float(weight)))
        return resolved

    def _batch_sampler(self, sample_domain, batch_size, shuffle, training, as_lists):
        if (
            training
            and shuffle
            and self.balanced_batches
            and _DomainBalancedBatches.applies(sample_domain)
        ):
            return _DomainBalancedBatches(
                sample_domain, batch_size, as_lists, self._balance_sources_apart
            )
        return super()._batch_sampler(
            sample_domain, batch_size, shuffle, training, as_lists
        )

    def _train_all_rows(self, X, y, sample_domain, *, initialize, **fit_params):
        if not (sample_domain > 0).any():
            raise ValueError(
                f"{type(self).__name__} needs source rows (sample_domain > 0): "
                "it aligns the target with a labeled source, but got only target "
                "rows."
            )
        self.regularizers_ = self._resolve_regularizers()
        has_target = bool((sample_domain < 0).any())
        if initialize:
            # known before initialize_module, which builds no domain module
            # when there is nothing to align
            self.adapt_ = has_target
        elif has_target and not self.adapt_:
            raise ValueError(
                f"{type(self).__name__} was initialised on source rows only, with "
                "nothing to align; fit it anew to train on target rows."
            )
        super()._train_all_rows(
            X, y, sample_domain, initialize=initialize, **fit_params
        )

    def check_module_output(self, X, n_outputs):
        super().check_module_output(X, n_outputs)
        _, features = self._run_in_eval_mode(self.module_, X[:2], logits_and_features)
        if features.ndim != 2:
            raise ValueError(
                f"The features of the module of {type(self).__name__} must be 2-d "
                f"(rows, features), got shape {tuple(features.shape)}."
            )
        self.n_features_out_ = int(features.shape[1])

    def feature_size(self):
        """Number of features the module's extractor returns per row."""
        zeros = np.zeros((2, *self.input_shape_), dtype=np.float32)
        _, features = self._run_in_eval_mode(self.module_, zeros, logits_and_features)
        return int(np.prod(features.shape[1:]))

    def infer(self, x, **fit_params):
        """Logits and features of a training batch; logits in prediction."""
        X = self.input_tensor(x)
        logits, features = logits_and_features(self.module_, X, **fit_params)
        if isinstance(x, Mapping) and self.module_.training:
            return logits, features
        return logits

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Label loss, plus :meth:`domain_loss` on a batch with both domains."""
        if not isinstance(y_pred, tuple | list):
            return self.label_loss(y_pred, y_true)
        logits, features = y_pred[:2]
        loss = self.label_loss(logits, y_true)
        if not self.adapt_:
            return loss
        sample_domain = to_tensor(X["sample_domain"], device=self.device)
        n_target = int((sample_domain < 0).sum())
        if n_target in (0, len(sample_domain)):
            return loss  # a batch of one domain has nothing to align
        loss = loss + self.domain_loss(logits, features, sample_domain)
        for _, term, weight in self.regularizers_:
            if weight > 0:
                loss = loss + weight * term(logits, features, sample_domain)
        return loss

    @abstractmethod
    def domain_loss(self, logits, features, sample_domain):
        """The alignment term added to the label loss of a training batch.

        Called on each training batch that holds source and target rows,
        when training sees target rows.

        Parameters
        ----------
        logits : torch.Tensor of shape (batch_size, n_outputs)
            Class logits of the batch's rows (a regressor's predictions).
        features : torch.Tensor of shape (batch_size, `n_features_out_`)
            Their learned features.
        sample_domain : torch.Tensor of shape (batch_size,)
            Their domains: positive on source rows, negative on target rows.

        Returns
        -------
        loss : torch.Tensor
            A scalar, weighted by the method's own hyperparameter.
        """

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
        batch_size = self.batch_size if self.batch_size > 0 else max(len(X), 1)
        features = [
            self._run_in_eval_mode(
                self.module_, X[start : start + batch_size], logits_and_features
            )[1]
            .cpu()
            .numpy()
            for start in range(0, len(X), batch_size)
        ]
        return np.concatenate(features).astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class DomainAlignmentClassifier(_DomainAlignment, DomainNetClassifier):
    """Base of the deep methods that align the domains with a loss on features.

    Trains on the rows of all domains: the label loss on the labeled rows
    plus :meth:`domain_loss` on every training batch that holds rows of both
    domains. A subclass names its hyperparameters in ``__init__`` (passing
    skorch's on with ``*args, **kwargs``) and writes :meth:`domain_loss`;
    the module docstring of ``sktransfer.deep._base`` shows a whole one. With
    ``sample_domain=None`` (or only source rows) there is nothing to align:
    it is the plain network, exactly (same weights for the same seed).
    :meth:`extract_features` returns the learned features (not named
    ``transform``, which would make scikit-learn test it as a transformer).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor. ``None`` means
        :class:`~sktransfer.deep.MLP` (one hidden layer of 100 units; set
        ``module__hidden_units``), whose hidden layers are the features. A
        module of your own (e.g. a CNN) either has an ``extract_features(X)``
        method and a ``head`` module (as ``MLP``), or returns the tuple
        ``(logits, features)`` from ``forward``.
    *args
        skorch's positional parameters (none in practice).
    regularizers : dict or None, default=None
        More terms added to the method's own loss on each training batch with
        both domains, by name and weight: ``{"mcc": 1.0}`` adds minimum class
        confusion to DANN, ``{"entropy": 0.1}`` entropy minimisation to CDAN.
        Names: ``"entropy"``, ``"mcc"``, ``"bnm"``, ``"im"`` (on the target
        rows' predictions), ``"mmd"``, ``"jmmd"``, ``"coral"`` (between the
        domains' features); see ``sktransfer.deep.REGULARIZERS``. A value
        ``(callable, weight)`` adds a term of your own, the callable taking
        ``(logits, features, sample_domain)`` and returning a scalar tensor.
        Tune a weight as ``regularizers__NAME``.
    balanced_batches : bool, default=True
        Training batches of half source rows, half target rows (the papers'
        sampling), as many per epoch as shuffled batches of all rows; the
        smaller domain is drawn again within an epoch. ``False`` shuffles
        the rows of both domains together. Only when both domains have rows.
    **kwargs
        The parameters of :class:`DomainNetClassifier` (``criterion``,
        ``optimizer``, ``lr``, ``max_epochs``, ``batch_size``,
        ``train_split``, ``callbacks``, ``device``, ``random_state``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    regularizers_ : list of (str, callable, float)
        The extra terms of the last fit, with their weights.
    n_features_out_ : int
        Number of learned features per row.
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import DomainAlignmentClassifier
    >>> class MeanGapClassifier(DomainAlignmentClassifier):
    ...     def domain_loss(self, logits, features, sample_domain):
    ...         target = sample_domain < 0
    ...         return (features[~target].mean(0) - features[target].mean(0)).norm()
    >>> MeanGapClassifier(max_epochs=3).get_params()["max_epochs"]
    3

    Any method takes more terms through ``regularizers``, here DANN with
    minimum class confusion, its weight tuned as ``regularizers__mcc``:

    >>> from sktransfer.deep import DANNClassifier
    >>> net = DANNClassifier(regularizers={"mcc": 1.0}, max_epochs=2)
    >>> net.set_params(regularizers__mcc=0.3).get_params()["regularizers__mcc"]
    0.3
    """


# why a regressor refuses the terms of REGULARIZERS on class predictions
_CLASS_TERMS_REASON = (
    "a term on class probabilities (the softmax of logits), which a regressor "
    "does not predict"
)


class DomainAlignmentRegressor(_DomainAlignment, DomainNetRegressor):
    """Base of the deep regressors that align the domains with a loss on features.

    The regressor counterpart of :class:`DomainAlignmentClassifier`: the
    squared error on the labeled rows (``y`` not ``nan``) plus
    :meth:`domain_loss` on every training batch that holds rows of both
    domains, with the same hooks, the same ``regularizers`` (those on class
    predictions excepted) and domain-balanced batches. ``logits`` in
    :meth:`domain_loss` are the network's predictions, of shape
    ``(batch_size, n_outputs_)``. With ``sample_domain=None`` (or only
    source rows) it is the plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and predictor. ``None`` means
        :class:`~sktransfer.deep.MLP` (one hidden layer of 100 units; set
        ``module__hidden_units``), whose hidden layers are the features. A
        module of your own either has an ``extract_features(X)`` method and
        a ``head`` module (as ``MLP``), or returns the tuple ``(outputs,
        features)`` from ``forward``.
    *args
        skorch's positional parameters (none in practice).
    regularizers : dict or None, default=None
        More terms added to the method's own loss on each training batch with
        both domains, by name and weight: ``"mmd"`` and ``"coral"`` (between
        the domains' features and predictions; see
        ``sktransfer.deep.REGULARIZERS``), or ``(callable, weight)``, the
        callable taking ``(logits, features, sample_domain)``. The terms on
        class predictions (``"entropy"``, ``"mcc"``, ``"bnm"``, ``"im"``,
        ``"jmmd"``) are an error. Tune a weight as ``regularizers__NAME``.
    balanced_batches : bool, default=True
        Training batches of half source rows, half target rows, as many per
        epoch as shuffled batches of all rows. ``False`` shuffles the rows
        of both domains together.
    **kwargs
        The parameters of :class:`DomainNetRegressor` (``criterion``,
        ``optimizer``, ``lr``, ``max_epochs``, ``batch_size``,
        ``train_split``, ``callbacks``, ``device``, ``random_state``, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    regularizers_ : list of (str, callable, float)
        The extra terms of the last fit, with their weights.
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
    DomainAlignmentClassifier : The classifier counterpart.

    Examples
    --------
    >>> from sktransfer.deep import DomainAlignmentRegressor
    >>> class MeanGapRegressor(DomainAlignmentRegressor):
    ...     def domain_loss(self, logits, features, sample_domain):
    ...         target = sample_domain < 0
    ...         return (features[~target].mean(0) - features[target].mean(0)).norm()
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.utils import hide_target_labels
    >>> X, _, sd = make_domain_shift(random_state=0)
    >>> y = hide_target_labels(X[:, 1] - X[:, 0] ** 2 / 2, sd)
    >>> net = MeanGapRegressor(max_epochs=2, random_state=0, device="cpu")
    >>> net.fit(X, y, sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _unsupported_regularizers = dict.fromkeys(
        ("entropy", "mcc", "bnm", "im", "jmmd"), _CLASS_TERMS_REASON
    )


# the constraint of the weight of a domain loss
_NON_NEGATIVE = Interval(Real, 0, None, closed="left")
