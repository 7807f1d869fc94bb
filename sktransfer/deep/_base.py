"""Training machinery shared by the deep estimators of sktransfer.

:class:`DomainNetClassifier` is a skorch ``NeuralNetClassifier`` that keeps
the domain contract: ``fit(X, y, sample_domain=None)``; inputs cast to
float32; labels encoded into ``classes_`` (unlabeled target rows, ``y = -1``,
become ``-1`` and are left out of the label loss); ``random_state`` seeds
torch (without touching the global generator); ``device="auto"`` resolves to
the GPU when torch sees one, into the fitted attribute ``device_``; a model
pickled on a GPU loads on a CPU-only machine. The domain of each row travels
beside it: the network is trained on the dict ``{"X": X, "sample_domain":
sample_domain}``, which skorch slices batch by batch.

How to add a method
-------------------
A method is its loss and its modules. Subclass :class:`DomainNetClassifier`
and override what differs:

* **modules**: ``initialize_module`` (call ``super().initialize_module()``
  for the main ``module_``, built from ``module``, ``None`` meaning an
  :class:`~sktransfer.deep.MLP`). Extra modules, e.g. a domain classifier,
  are set there as attributes ending in ``_`` (``self.discriminator_ =
  ...``): skorch then moves them to the device, trains their parameters and
  pickles them.
* **forward**: ``infer(x)``. ``x`` is a batch dict with keys ``"X"`` and
  ``"sample_domain"`` in training and a plain tensor in prediction
  (:meth:`DomainNetClassifier.batch_input` returns the input tensor in both
  cases). Return the class logits, or a tuple whose first item is the class
  logits (``predict_proba`` uses the first item).
* **loss**: ``get_loss(y_pred, y_true, X, training)``. ``y_true`` is ``-1``
  on unlabeled target rows; :meth:`DomainNetClassifier.label_loss` is the
  criterion on the labeled rows of the batch, and ``X["sample_domain"]``
  holds the domains of the batch.
* **schedules**: skorch callbacks (``len(net.history)`` is the epoch), so
  that a grid search can tune them as ``callbacks__NAME__PARAM``.
* **training stages**: ``_fit_domains(X, y, sample_domain, **fit_params)``
  receives validated float32 ``X``, encoded ``y`` and the domains, under the
  seed. The default trains on every row (unlabeled target rows included, so
  a domain loss sees them) for ``max_epochs``; :class:`FineTuningClassifier`
  trains on the source rows and then on the labeled target rows.

Keep fitted state in attributes ending in ``_``: skorch takes every other
attribute for a hyperparameter. Declare new hyperparameters in ``__init__``
and pass the skorch ones on to ``super().__init__``.
"""

import contextlib
import copy
import warnings
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import torch
from sklearn import config_context
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetClassifier
from skorch.exceptions import DeviceWarning
from skorch.utils import to_tensor

from .._domain import DomainAwareMixin, labeled_mask, validate_domain_data
from ._modules import MLP
from ._persistence import PortableStateMixin

__all__ = ["DomainNetClassifier", "resolve_device"]


def resolve_device(device):
    """The torch device that ``device`` names; ``"auto"`` is the GPU if any.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` means ``"cuda"`` when ``torch.cuda.is_available()``,
        else ``"cpu"``; anything else is returned as it is.

    Returns
    -------
    device : str, torch.device or None

    Examples
    --------
    >>> from sktransfer.deep import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in ("cpu", "cuda")
    True
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


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


class DomainNetClassifier(DomainAwareMixin, PortableStateMixin, NeuralNetClassifier):
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
    criterion : torch loss class, default=torch.nn.CrossEntropyLoss
        Loss on the logits of labeled rows.
    optimizer : torch optimizer class, default=torch.optim.Adam
        The optimizer; its options as ``optimizer__*``.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=10
        Passes over the training rows.
    batch_size : int, default=64
        Rows per batch.
    train_split : callable or None, default=None
        skorch's internal validation split; ``None`` trains on every row.
    callbacks : list of (name, callback) or None, default=None
        skorch callbacks.
    device : str, torch.device or None, default="auto"
        ``"auto"`` uses the GPU when torch sees one, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, shuffling and dropout.
    verbose : int, default=0
        skorch's printing of each epoch.
    **kwargs : dict
        Other skorch parameters (``module__*``, ``optimizer__*``,
        ``iterator_train__*``, ...).

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

    # skorch's __init__ sets these three; as class defaults they are not
    # instance state, so an unfitted clone holds no attribute ending in "_".
    initialized_ = False
    history_ = None
    virtual_params_ = MappingProxyType({})

    def __init__(
        self,
        module=None,
        *,
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
        # skorch refuses torch modules set before its __init__ ends (it tells
        # that apart by the attribute initialized_, a class default here)
        super().__init__(
            None,
            criterion=None,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        vars(self).update(module=module, criterion=criterion)
        self.random_state = random_state
        for name, default in (
            ("initialized_", False),
            ("history_", None),
            ("virtual_params_", {}),
        ):
            if self.__dict__.get(name, default) == default:
                self.__dict__.pop(name, None)

    # --- fitting -------------------------------------------------------------

    def fit(self, X, y, *, sample_domain=None, **fit_params):
        """Train the network on the rows of all domains.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Rows of all domains: tabular rows or image tensors (channels
            first). Cast to float32.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` on unlabeled target rows.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None``
            means every row is a source row.
        **fit_params : dict
            Passed to skorch's ``fit_loop`` (and the module's ``forward``).

        Returns
        -------
        self : DomainNetClassifier
            The fitted network.
        """
        X, y, sample_domain = validate_domain_data(
            self, X, y, sample_domain, dtype=np.float32, allow_nd=True
        )
        check_classification_targets(y)
        self.input_shape_ = tuple(X.shape[1:])
        labeled = labeled_mask(y, sample_domain)
        if not labeled.any():
            raise ValueError(f"{type(self).__name__} got no labeled row to train on.")
        self.classes_inferred_ = np.unique(y[labeled])
        self.device_ = resolve_device(self.device)
        with _torch_seed(_seed(self.random_state), self.device_):
            self._fit_domains(X, y, sample_domain, **fit_params)
        return self

    def _fit_domains(self, X, y, sample_domain, **fit_params):
        """Train on every row; the label loss sees the labeled ones."""
        if not (self.warm_start and self.initialized_):
            self.initialize()
        self._train_all_rows(X, y, sample_domain, **fit_params)

    def _train_all_rows(self, X, y, sample_domain, **fit_params):
        self.check_module_output(X, len(self.classes_))
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
        y_encoded : ndarray of shape (n_samples,)
            From :meth:`encode_labels`.
        epochs : int, default=None
            Number of epochs; ``None`` means ``max_epochs``.
        **fit_params : dict
            Passed to the module's ``forward``.
        """
        self.notify("on_train_begin", X=X_domains, y=y_encoded)
        # sample_domain already reached fit; skorch's loop must not route again
        with config_context(enable_metadata_routing=False):
            self.fit_loop(X_domains, y_encoded, epochs=epochs, **fit_params)
        self.notify("on_train_end", X=X_domains, y=y_encoded)

    def partial_fit(self, X, y, classes=None, *, sample_domain=None, **fit_params):
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
        fitted = bool(self.initialized_) and hasattr(self, "classes_inferred_")
        X, y, sample_domain = validate_domain_data(
            self, X, y, sample_domain, dtype=np.float32, allow_nd=True, reset=not fitted
        )
        check_classification_targets(y)
        if fitted:
            self._check_shape(X)
        else:
            self.input_shape_ = tuple(X.shape[1:])
            labeled = labeled_mask(y, sample_domain)
            self.classes_inferred_ = np.unique(
                y[labeled] if classes is None else np.asarray(classes)
            )
            self.device_ = resolve_device(self.device)
        with _torch_seed(_seed(self.random_state), self.device_):
            if not fitted:
                self.initialize()
            self._train_all_rows(X, y, sample_domain, **fit_params)
        return self

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
        """
        labeled = labeled_mask(y, sample_domain)
        encoded = np.full(len(y), -1, dtype=np.int64)
        index = np.searchsorted(self.classes_, y[labeled])
        index = np.minimum(index, len(self.classes_) - 1)
        unknown = self.classes_[index] != y[labeled]
        if unknown.any():
            raise ValueError(
                f"Classes {np.unique(y[labeled][unknown]).tolist()} are not among "
                f"the classes of the network {self.classes_.tolist()}."
            )
        encoded[labeled] = index
        return encoded

    @staticmethod
    def domain_input(X, sample_domain):
        """The dict that skorch slices per batch: rows and their domains."""
        return {"X": X, "sample_domain": np.asarray(sample_domain, dtype=np.int64)}

    def check_module_output(self, X, n_classes):
        """Run the module on two rows; raise a clear error if it cannot serve.

        Parameters
        ----------
        X : ndarray
            Training rows (two are used).
        n_classes : int
            Number of logits the module must return per row.

        Raises
        ------
        ValueError
            If the module fails on rows of this shape or returns another
            number of logits.
        """
        was_training = self.module_.training
        self.module_.eval()
        try:
            with torch.no_grad():
                out = self.module_(to_tensor(X[:2], device=self.device_))
        except RuntimeError as exc:
            raise ValueError(
                f"The module of {type(self).__name__} cannot process rows of shape "
                f"{tuple(X.shape[1:])}: {exc}"
            ) from exc
        finally:
            self.module_.train(was_training)
        logits = out[0] if isinstance(out, tuple | list) else out
        if logits.ndim != 2 or logits.shape[1] != n_classes:
            raise ValueError(
                f"The module returns outputs of shape {tuple(logits.shape[1:])} per "
                f"row, but y has {n_classes} classes {self.classes_.tolist()}: it "
                f"must return {n_classes} logits per row." + self._output_size_hint()
            )

    def _output_size_hint(self):
        return ""

    # --- skorch hooks --------------------------------------------------------

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
        # classes_ is set in fit from the labeled rows; skorch would take the
        # unlabeled marker for a class.
        pass

    def initialize_module(self):
        """Build ``module_`` from ``module`` (``None``: an :class:`MLP`)."""
        kwargs = self.get_params_for("module")
        if self.module is None:
            module = MLP(int(np.prod(self.input_shape_)), len(self.classes_), **kwargs)
        elif isinstance(self.module, torch.nn.Module):
            if kwargs:
                raise ValueError(
                    "module__* parameters configure a module class; module is an "
                    f"instance, so {sorted(kwargs)} cannot apply."
                )
            module = copy.deepcopy(self.module)
        else:
            module = self.module(**kwargs)
        self.module_ = module
        return self

    @contextlib.contextmanager
    def _skorch_device(self):
        """Let skorch's own code see the resolved device while it runs."""
        if not hasattr(self, "device_"):
            self.device_ = resolve_device(self.device)
        requested = self.device
        self.__dict__["device"] = self.device_
        try:
            yield
        finally:
            self.__dict__["device"] = requested

    def _initialize_module(self, reason=None):
        with self._skorch_device():
            return super()._initialize_module(reason=reason)

    def _initialize_criterion(self, reason=None):
        with self._skorch_device():
            return super()._initialize_criterion(reason=reason)

    @staticmethod
    def batch_input(x):
        """The input tensor of a batch (a dict in training, a tensor after)."""
        return x["X"] if isinstance(x, Mapping) else x

    def infer(self, x, **fit_params):
        """Logits of a batch (``x`` is a dict in training, a tensor after)."""
        x = to_tensor(self.batch_input(x), device=self.device_)
        return self.module_(x, **fit_params)

    def label_loss(self, logits, y_true):
        """The criterion on the labeled rows of a batch (``y_true >= 0``).

        Parameters
        ----------
        logits : torch.Tensor of shape (batch_size, n_classes)
        y_true : torch.Tensor of shape (batch_size,)
            Encoded labels, ``-1`` on unlabeled rows.

        Returns
        -------
        loss : torch.Tensor
            A scalar; zero (with a graph) when no row is labeled.
        """
        y_true = to_tensor(y_true, device=self.device_)
        labeled = y_true >= 0
        if not bool(labeled.any()):
            return logits.sum() * 0.0
        return self.criterion_(logits[labeled], y_true[labeled])

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Label loss of the batch; subclasses add their domain terms."""
        logits = y_pred[0] if isinstance(y_pred, tuple | list) else y_pred
        return self.label_loss(logits, y_true)

    # --- prediction ----------------------------------------------------------

    def _validate_X(self, X):
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)
        return self._check_shape(X)

    def _check_shape(self, X):
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has rows of shape {tuple(X.shape[1:])}, but "
                f"{type(self).__name__} was fitted on rows of shape "
                f"{self.input_shape_}."
            )
        return X

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
        """
        X = self._validate_X(X)
        proba = super().predict_proba(X).astype(np.float64)
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

    # --- persistence -----------------------------------------------------------

    def __setstate__(self, state):
        requested = state.get("device")
        auto = isinstance(requested, str) and requested == "auto"
        if auto:
            state["device"] = state.get("device_", "cpu")
        with warnings.catch_warnings():
            if auto:
                # "auto" asked for whatever device is there: no warning.
                warnings.simplefilter("ignore", DeviceWarning)
            super().__setstate__(state)
        if auto:
            device = self.__dict__["device"]
            self.__dict__["device_"] = str(device) if device is not None else None
            self.__dict__["device"] = requested

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.non_deterministic = False
        return tags
