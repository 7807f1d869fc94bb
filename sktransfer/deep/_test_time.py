"""Test-time adaptation of batch-norm layers: AdaBN and TENT.

A network trained on the source meets target rows whose inputs have other
statistics (noise, blur, contrast, a sensor's offset). Its batch-norm layers
normalise them with the source's running statistics, and every layer above
sees features off the scale it was trained on. Both methods here adapt a
fitted network to unlabeled target rows without any source row:

* **AdaBN** (Li et al., 2016) re-estimates the running mean and variance of
  every batch-norm layer on the target rows; nothing is trained.
* **TENT** (Wang et al., 2021) normalises with the statistics of each target
  batch and trains only the affine weight and bias of the batch-norm layers,
  by minimising the mean entropy of the predictions on target batches.

:func:`adapt_batch_norm` does it to a torch module;
:class:`BatchNormAdapter` is the scikit-learn meta-estimator around a deep
classifier of sktransfer.
"""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._domain import DomainAwareMixin, labeled_mask, validate_domain_data
from ..utils._delegation import ClassifierOutputsMixin
from ._base import DomainNetClassifier, NonFiniteLossError
from ._modules import MLP, SmallCNN

__all__ = ["BatchNormAdapter", "adapt_batch_norm"]

_METHODS = ("adabn", "tent")
_BATCH_NORM = torch.nn.modules.batchnorm._BatchNorm


def batch_norm_layers(module):
    """The batch-norm layers of a module (``BatchNorm1d/2d/3d`` and subclasses)."""
    return [m for m in module.modules() if isinstance(m, _BATCH_NORM)]


def _batches(n_rows, batch_size, rng):
    """Shuffled row indices in near-equal batches of at least 2 rows.

    A batch of one row has no variance to normalise with (torch refuses it
    in training), so ``n_rows`` is split into ``ceil(n_rows / batch_size)``
    batches, fewer when that would leave one row per batch.
    """
    n_batches = max(1, min(math.ceil(n_rows / batch_size), n_rows // 2))
    return np.array_split(rng.permutation(n_rows), n_batches)


def _logits(module, x):
    out = module(x)
    return out[0] if isinstance(out, tuple | list) else out


class _AdaptationMode:
    """Every layer in eval mode (dropout off) but the batch-norm ones.

    On exit the training modes, the ``requires_grad`` flags and the
    momenta of the batch-norm layers are as they were.
    """

    def __init__(self, module, layers):
        self.module = module
        self.layers = layers

    def __enter__(self):
        self.modes = {m: m.training for m in self.module.modules()}
        self.grads = {p: p.requires_grad for p in self.module.parameters()}
        self.momenta = {m: m.momentum for m in self.layers}
        self.module.eval()
        for layer in self.layers:
            layer.train()
        return self

    def __exit__(self, *exc):
        for m, training in self.modes.items():
            m.training = training
        for p, requires_grad in self.grads.items():
            p.requires_grad_(requires_grad)
        for m, momentum in self.momenta.items():
            m.momentum = momentum
        return False


def _as_input(X):
    if isinstance(X, torch.Tensor):
        return X
    return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))


def _batch(X, index, param):
    rows = X[torch.as_tensor(index)] if isinstance(X, torch.Tensor) else X[index]
    return torch.as_tensor(rows, dtype=param.dtype, device=param.device)


def _reestimate(module, layers, X, batch_size, rng, reset, param):
    """One pass over ``X`` that updates the running statistics, no gradients.

    With ``reset``, the statistics are reset and become the cumulative
    average over the pass (``momentum=None``, AdaBN); without, they move
    from their values with each layer's momentum.
    """
    if reset:
        for layer in layers:
            if layer.track_running_stats:
                layer.reset_running_stats()
                layer.momentum = None
    with torch.no_grad():
        for index in _batches(len(X), batch_size, rng):
            module(_batch(X, index, param))


def _tent(module, layers, X, steps, lr, batch_size, rng, param):
    """``steps`` passes of entropy minimisation over the affine parameters."""
    affine = [
        p for layer in layers for p in (layer.weight, layer.bias) if p is not None
    ]
    for p in module.parameters():
        p.requires_grad_(False)
    for p in affine:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(affine, lr=lr)
    for step in range(steps):
        for index in _batches(len(X), batch_size, rng):
            log_p = torch.log_softmax(_logits(module, _batch(X, index, param)), dim=1)
            entropy = -(log_p.exp() * log_p).sum(dim=1).mean()
            if not bool(torch.isfinite(entropy)):
                raise NonFiniteLossError(
                    f"TENT: the prediction entropy became {float(entropy)} in step "
                    f"{step + 1}; lower lr (now {lr:g}) or scale the inputs."
                )
            optimizer.zero_grad()
            entropy.backward()
            optimizer.step()
    optimizer.zero_grad(set_to_none=True)  # leave no gradient behind


def adapt_batch_norm(
    module,
    X,
    *,
    method="tent",
    steps=1,
    lr=1e-3,
    batch_size=64,
    reset_stats=True,
    random_state=None,
):
    """Adapt the batch-norm layers of a trained network to unlabeled rows, in place.

    Every other layer stays as it is (dropout is off during the adaptation);
    the training modes and ``requires_grad`` flags of the module are
    restored at the end. Batches are shuffled and hold at least 2 rows.

    Parameters
    ----------
    module : torch.nn.Module
        A trained network returning class logits (or a tuple whose first
        item they are), with batch-norm layers.
    X : ndarray or torch.Tensor of shape (n_samples, ...)
        Target rows, shaped as the module takes them (images channels
        first); at least 2.
    method : {"tent", "adabn"}, default="tent"
        ``"adabn"`` re-estimates the running statistics of the batch-norm
        layers on ``X`` (Li et al., 2016). ``"tent"`` (Wang et al., 2021)
        normalises with the statistics of each batch and trains the
        layers' affine weights and biases (only them) with Adam to
        minimise the mean entropy of the predicted class probabilities of
        each batch, for ``steps`` passes over ``X``.
    steps : int, default=1
        TENT's passes over ``X`` (one optimizer step per batch).
    lr : float, default=1e-3
        TENT's learning rate (Adam).
    batch_size : int, default=64
        Rows per batch.
    reset_stats : bool, default=True
        Whether the running statistics become those of ``X``: reset, then
        the cumulative average over one pass (``momentum=None``), after
        TENT's steps with ``"tent"``, so that prediction (in eval mode)
        normalises with the target statistics of the adapted network.
        ``False`` updates them from their source values with each layer's
        own momentum (torch's exponential average, 0.1 by default) in
        every pass, a partial adaptation.
    random_state : int, RandomState instance or None, default=None
        Seeds the order of the rows.

    Returns
    -------
    module : torch.nn.Module
        The module, adapted.

    Raises
    ------
    ValueError
        If the module has no batch-norm layer (for TENT: none with affine
        parameters), ``X`` has fewer than 2 rows, or a parameter is out of
        range.

    References
    ----------
    .. [1] Y. Li, N. Wang, J. Shi, J. Liu and X. Hou, "Revisiting batch
       normalization for practical domain adaptation", ICLR workshop 2017,
       arXiv:1603.04779, 2016 (AdaBN).
    .. [2] D. Wang, E. Shelhamer, S. Liu, B. Olshausen and T. Darrell,
       "Tent: fully test-time adaptation by entropy minimization", ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import MLP, adapt_batch_norm
    >>> net = MLP(4, 2, hidden_units=(8,), batch_norm=True)
    >>> X = torch.randn(100, 4) * 3 + 5
    >>> net = adapt_batch_norm(net, X, method="adabn")
    >>> round(float(net.features[2].running_mean.abs().max()), 1) > 0
    True
    """
    _check_options(method, steps, lr, batch_size, reset_stats)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module)}.")
    layers = batch_norm_layers(module)
    if not layers:
        raise ValueError(
            f"method={method!r} adapts batch-norm layers, but the module "
            f"{type(module).__name__} has none: build it with batch norm "
            "(MLP or SmallCNN with batch_norm=True) or use a network with "
            "torch.nn.BatchNorm layers."
        )
    if method == "tent" and not any(layer.affine for layer in layers):
        raise ValueError(
            "method='tent' trains the affine parameters of the batch-norm layers, "
            f"but none of the {len(layers)} of {type(module).__name__} has any "
            "(affine=False); use method='adabn'."
        )
    X = _as_input(X)
    if len(X) < 2:
        raise ValueError(
            f"Adapting batch-norm statistics needs at least 2 rows, got {len(X)}."
        )
    param = next(
        (t for t in (*module.parameters(), *module.buffers()) if t.is_floating_point()),
        torch.zeros(()),
    )
    rng = check_random_state(random_state)
    with _AdaptationMode(module, layers):
        if method == "tent":
            _tent(module, layers, X, steps, lr, batch_size, rng, param)
        if method == "adabn" or reset_stats:
            _reestimate(module, layers, X, batch_size, rng, reset_stats, param)
    return module


def _check_options(method, steps, lr, batch_size, reset_stats):
    if method not in _METHODS:
        raise ValueError(f"method must be 'tent' or 'adabn', got {method!r}.")
    for name, value, low in (("steps", steps, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    if isinstance(lr, bool) or not isinstance(lr, Real) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}.")
    if not isinstance(reset_stats, bool | np.bool_):
        raise ValueError(f"reset_stats must be a bool, got {reset_stats!r}.")


def _unwrapped(estimator):
    """The estimator inside a :class:`sklearn.frozen.FrozenEstimator`."""
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # pragma: no cover - scikit-learn < 1.6
        return estimator
    if isinstance(estimator, FrozenEstimator):
        return estimator.estimator
    return estimator


def _is_fitted(net):
    """Whether a deep net is fitted: trained weights, classes and input shape."""
    try:
        check_is_fitted(net, "module_")
    except (NotFittedError, TypeError):
        return False
    return hasattr(net, "input_shape_") and hasattr(net, "classes_")


def _default_estimator(random_state=None):
    return DomainNetClassifier(module__batch_norm=True, random_state=random_state)


class BatchNormAdapter(
    ClassifierOutputsMixin,
    DomainAwareMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    BaseEstimator,
):
    """Test-time adaptation of a deep classifier's batch norm: AdaBN or TENT.

    Adapts a network trained on the source to unlabeled target rows, with no
    source row needed: its batch-norm layers are re-estimated on the target
    (``method="adabn"``, Li et al., 2016), or their affine parameters are
    trained to make confident predictions on the target (``"tent"``, Wang
    et al., 2021); see :func:`adapt_batch_norm`. It helps where the target
    rows are the source's with other input statistics (noise, blur,
    contrast, scale and offset of features); it cannot help where the shift
    changes what the label is (concept shift), nor a network without
    batch-norm layers.

    ``fit(X, y=None, sample_domain=None)``:

    * if ``estimator`` is **fitted**, a deep copy of it is adapted (the
      estimator passed in never changes) and ``y`` is ignored: with
      ``sample_domain=None`` every row of ``X`` is an unlabeled target
      row (test-time adaptation is ``fit(X_test)``), else the rows with
      ``sample_domain < 0``. To keep a fitted network through ``clone``
      (grid search, cross-validation), wrap it in
      :class:`sklearn.frozen.FrozenEstimator`;
    * else a clone is fitted on the labeled rows (source rows and labeled
      target rows, with their ``sample_domain``), then adapted on every
      target row (labels unused). Without target rows
      (``sample_domain=None``) it is the plain network.

    Several target domains are pooled into one. Inputs are arrays (rows or
    images, as the network takes them). Unlike the paper's online TENT,
    which predicts each test batch with that batch's statistics, the
    adapted network predicts with statistics fixed in ``fit`` (with
    ``reset_stats=True``, those of all the target rows): the prediction of
    a row does not depend on the rows predicted beside it.

    Parameters
    ----------
    estimator : DomainNetClassifier or None, default=None
        A deep classifier of :mod:`sktransfer.deep` (a
        :class:`~sktransfer.deep.DomainNetClassifier` or subclass), fitted
        or not, whose module has batch-norm layers: ``module__batch_norm=True``
        for the default :class:`~sktransfer.deep.MLP` and
        :class:`~sktransfer.deep.SmallCNN`. ``None`` means
        ``DomainNetClassifier(module__batch_norm=True)`` seeded by
        ``random_state``. A given unfitted estimator trains with its own
        ``random_state``.
    method : {"tent", "adabn"}, default="tent"
        The adaptation.
    steps : int, default=1
        TENT's passes over the target rows (one Adam step per batch).
    lr : float, default=1e-3
        TENT's learning rate (Adam, as in the paper).
    batch_size : int, default=64
        Target rows per batch (at least 2 per batch).
    reset_stats : bool, default=True
        Whether the running statistics of the batch-norm layers become
        those of the target rows (cumulative average over one pass, at the
        end of TENT's steps), which prediction then normalises with;
        ``False`` moves them from the source's with each layer's momentum.
        See :func:`adapt_batch_norm`.
    random_state : int, RandomState instance or None, default=None
        Seeds the order of the target rows, and the default estimator.

    Attributes
    ----------
    estimator_ : DomainNetClassifier
        The adapted network.
    classes_ : ndarray of shape (n_classes,)
        Classes of ``estimator_``.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.
    n_adapted_layers_ : int
        Number of batch-norm layers adapted; 0 without target rows.

    See Also
    --------
    adapt_batch_norm : The same on a torch module.
    FineTuningClassifier : Adapts with labeled target rows.

    References
    ----------
    .. [1] Y. Li, N. Wang, J. Shi, J. Liu and X. Hou, "Revisiting batch
       normalization for practical domain adaptation", ICLR workshop 2017,
       arXiv:1603.04779, 2016 (AdaBN).
    .. [2] D. Wang, E. Shelhamer, S. Liu, B. Olshausen and T. Darrell,
       "Tent: fully test-time adaptation by entropy minimization", ICLR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.deep import BatchNormAdapter, DomainNetClassifier
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(200, 4)).astype(np.float32)
    >>> ys = (Xs[:, 0] + Xs[:, 1] > 0).astype(int)
    >>> Xt = 3 * Xs + 2  # the same task, other input statistics
    >>> net = DomainNetClassifier(module__batch_norm=True, max_epochs=20,
    ...                           random_state=0, device="cpu").fit(Xs, ys)
    >>> adapted = BatchNormAdapter(net, method="adabn").fit(Xt)
    >>> adapted.n_adapted_layers_
    1
    >>> bool(adapted.score(Xt, ys) > net.score(Xt, ys))
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "method": [StrOptions(set(_METHODS))],
        "steps": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "reset_stats": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        method="tent",
        steps=1,
        lr=1e-3,
        batch_size=64,
        reset_stats=True,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.steps = steps
        self.lr = lr
        self.batch_size = batch_size
        self.reset_stats = reset_stats
        self.random_state = random_state

    def _final_estimator(self):
        if self.estimator is None:
            return _default_estimator()
        return _unwrapped(self.estimator)

    def _prefit(self):
        return self.estimator is not None and _is_fitted(_unwrapped(self.estimator))

    def _check_network(self, net):
        if not isinstance(net, DomainNetClassifier):
            state = "fitted" if _is_fitted(net) else "unfitted"
            raise TypeError(
                f"{type(self).__name__} adapts the batch-norm layers of a deep "
                "classifier of sktransfer.deep (DomainNetClassifier or a subclass, "
                f"such as FineTuningClassifier or DANNClassifier), got the {state} "
                f"{type(net).__name__}."
            )

    def _no_batch_norm_error(self, net):
        module = getattr(net, "module_", None)
        if module is None:  # before training: the default MLP or SmallCNN
            what = "its default module (MLP or SmallCNN)"
        else:
            what = f"its module {type(module).__name__}"
        return ValueError(
            f"{type(self).__name__}(method={self.method!r}) adapts batch-norm "
            f"layers, but {type(net).__name__} has none in {what}. Set "
            "module__batch_norm=True (the default MLP and SmallCNN take it) or "
            "use a module with torch.nn.BatchNorm layers."
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, sample_domain=None):
        """Fit the network if needed, then adapt it to the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Rows of all domains (images as the network takes them). With a
            fitted ``estimator`` and ``sample_domain=None``, all are target
            rows.
        y : array-like of shape (n_samples,) or None
            Labels, ``-1`` on unlabeled target rows; needed to fit an
            unfitted ``estimator``, ignored with a fitted one.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows. ``None``: every
            row is a source row for an unfitted ``estimator`` (no
            adaptation), a target row for a fitted one.

        Returns
        -------
        self : BatchNormAdapter
            The adapted model.
        """
        rng = check_random_state(self.random_state)
        net_seed, order_seed = rng.randint(np.iinfo(np.int32).max, size=2)
        if self._prefit():
            net = _unwrapped(self.estimator)
            self._check_network(net)
            X, _, domains = validate_domain_data(
                self, X, None, sample_domain, dtype=np.float32, allow_nd=True
            )
            # test-time adaptation is fit(X_test): without domains, all target
            target = np.ones(len(X), bool) if sample_domain is None else domains < 0
            rows = net._validate_X(X)  # the network's own check of the rows
            self.estimator_ = copy.deepcopy(net)
        else:
            base = self._final_estimator()
            self._check_network(base)
            self._check_default_module(base)
            X, y, sample_domain = self._validate_training_data(X, y, sample_domain)
            labeled = labeled_mask(y, sample_domain)
            if not labeled.any():
                raise ValueError(
                    f"{type(self).__name__} fits its unfitted estimator on the "
                    "labeled rows, but every row is an unlabeled target row (y = "
                    "-1); fit the network on labeled rows first and pass it fitted."
                )
            net = clone(base)
            if self.estimator is None:
                net.set_params(random_state=int(net_seed))
            net.fit(X[labeled], y[labeled], sample_domain=sample_domain[labeled])
            target = sample_domain < 0
            rows = net._validate_X(X)
            self.estimator_ = net
        layers = batch_norm_layers(self.estimator_.module_)
        if not layers:
            raise self._no_batch_norm_error(self.estimator_)
        n_target = int(target.sum())
        if n_target == 1:
            raise ValueError(
                f"{type(self).__name__} adapts batch-norm statistics on the target "
                "rows and needs at least 2 of them, got 1."
            )
        if n_target:
            adapt_batch_norm(
                self.estimator_.module_,
                rows[target],
                method=self.method,
                steps=self.steps,
                lr=self.lr,
                batch_size=self.batch_size,
                reset_stats=self.reset_stats,
                random_state=int(order_seed),
            )
        self.n_adapted_layers_ = len(layers) if n_target else 0
        self.classes_ = self.estimator_.classes_
        return self

    def _check_default_module(self, net):
        """Before training: the default modules need ``module__batch_norm=True``."""
        module = net.get_params()["module"]
        if module in (None, MLP, SmallCNN) and not net.get_params_for("module").get(
            "batch_norm", False
        ):
            raise self._no_batch_norm_error(net)

    def _validate_training_data(self, X, y, sample_domain):
        try:
            return validate_domain_data(
                self, X, y, sample_domain, dtype=np.float32, allow_nd=True
            )
        except ValueError as exc:
            if y is None:
                raise ValueError(
                    f"{exc} It fits its unfitted estimator on the labeled rows; "
                    "a fitted estimator needs no y (clone, as in a grid search, "
                    "unfits it: pass sklearn.frozen.FrozenEstimator(net) to keep "
                    "it fitted)."
                ) from None
            raise

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        tags.target_tags.required = not self._prefit()
        return tags
