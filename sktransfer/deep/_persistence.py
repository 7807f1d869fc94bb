"""A pickle-free state for the deep estimators, for skops and pickle alike.

skorch's ``NeuralNet.__getstate__`` pickles the torch objects of a net
(``module_``, ``criterion_``, ``optimizer_``, ...) into one bytes value,
``__cuda_dependent_attributes__``, and its ``__setstate__`` unpickles it.
skops trusts bytes, so it reports none of the types inside them, and loading
a net through skops unpickles whatever the file holds: one trusted net class
is enough to run any code. The state written here holds no pickle:

* the weights of every module and criterion are numpy arrays (their
  ``state_dict``), and the optimizer's state too;
* on loading, the modules, criteria and optimizers are rebuilt from the
  net's own parameters (``module``, ``module__*``, ``criterion``,
  ``optimizer``, ...) as ``initialize`` builds them, then given the saved
  arrays. So a file names no torch class except those the parameters name,
  and skops audits every one of them;
* arrays carry no device: a net trained on a GPU loads on a CPU-only machine
  (onto the CPU, with skorch's ``DeviceWarning`` when ``device`` asked for
  CUDA explicitly);
* callbacks and skorch's virtual parameters are initialised again from the
  parameters; ``history_`` is kept.

Torch modules or tensors passed as parameters (a pretrained network as
``module``, a tensor as ``criterion__weight``) are stored as their class,
attributes and arrays; loading such a file through skops needs their classes
trusted, as :func:`skops.io.get_untrusted_types` reports.

A state in skorch's format (with ``__cuda_dependent_attributes__``) is
refused: reading it would unpickle the file's content.
"""

import contextlib

import numpy as np
import torch

from ..utils._warnings import warn

__all__ = ["PortableStateMixin", "get_portable_state", "set_portable_state"]

#: key of the saved torch objects in the state
TORCH_STATE_KEY = "__torch_state__"
#: key of skorch's pickled torch objects, refused on loading
SKORCH_PICKLE_KEY = "__cuda_dependent_attributes__"
#: marker key of a dict standing for a tensor or a module
_MARKER = "__torch__"
_FORMAT = 1

# rebuilt from the parameters on loading; both hold callables
_REBUILT_ATTRIBUTES = ("callbacks_", "_virtual_params_")


# --- tensors and modules as arrays -------------------------------------------


def _encode_tensor(tensor):
    tensor = tensor.detach().cpu()
    # numpy has no bfloat16; float32 holds every bfloat16 value exactly
    values = tensor.float() if tensor.dtype == torch.bfloat16 else tensor
    return {
        _MARKER: "tensor",
        "array": values.numpy().copy(),
        "dtype": str(tensor.dtype).removeprefix("torch."),
        "requires_grad": bool(tensor.requires_grad),
        "parameter": isinstance(tensor, torch.nn.Parameter),
    }


def _torch_dtype(name):
    dtype = getattr(torch, name, None) if isinstance(name, str) else None
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name!r} is not a torch dtype.")
    return dtype


def _decode_tensor(spec):
    array = np.asarray(spec["array"])
    tensor = torch.from_numpy(array.copy()).to(_torch_dtype(spec["dtype"]))
    if spec.get("parameter"):
        return torch.nn.Parameter(tensor, requires_grad=bool(spec["requires_grad"]))
    return tensor.requires_grad_(bool(spec["requires_grad"]))


def _encode_module(module):
    """A torch module as its class, attributes and arrays (no pickle)."""
    attributes = {}
    for key, value in vars(module).items():
        if key in ("_parameters", "_buffers"):
            value = {
                name: None if item is None else _encode_tensor(item)
                for name, item in value.items()
            }
        elif key == "_modules":
            value = {
                name: None if child is None else _encode_module(child)
                for name, child in value.items()
            }
        else:
            value = _encode_value(value)
        attributes[key] = value
    return {_MARKER: "module", "type": type(module), "attributes": attributes}


def _decode_module(spec):
    cls = spec["type"]
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise TypeError(f"A saved torch module has the type {cls!r}, not a module.")
    attributes = {}
    for key, value in spec["attributes"].items():
        if key in ("_parameters", "_buffers"):
            value = {
                name: None if item is None else _decode_tensor(item)
                for name, item in value.items()
            }
        elif key == "_modules":
            value = {
                name: None if child is None else _decode_module(child)
                for name, child in value.items()
            }
        else:
            value = _decode_value(value)
        attributes[key] = value
    module = cls.__new__(cls)
    module.__setstate__(attributes)
    return module


def _encode_value(value):
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value)
    if isinstance(value, torch.nn.Module):
        return _encode_module(value)
    return value


def _decode_value(value):
    if isinstance(value, dict) and _MARKER in value:
        kind = value[_MARKER]
        if kind == "tensor":
            return _decode_tensor(value)
        if kind == "module":
            return _decode_module(value)
        raise TypeError(f"Unknown kind of saved torch object: {kind!r}.")
    return value


def _nested(value, convert):
    """``convert`` applied to every tensor inside dicts, lists and tuples."""
    if isinstance(value, dict) and _MARKER not in value:
        return {key: _nested(item, convert) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_nested(item, convert) for item in value)
    return convert(value)


def _unwrapped(module):
    # torch.compile wraps a module; its weights are the original's
    return getattr(module, "_orig_mod", module)


# --- the state of a net -------------------------------------------------------


def _torch_attributes(net, state):
    """The names of the net's modules, criteria and optimizers (``module_``...)."""
    kinds = {}
    for kind, names in (
        ("modules", net._modules),
        ("criteria", net._criteria),
        ("optimizers", net._optimizers),
    ):
        kinds[kind] = [name + "_" for name in names if name + "_" in state]
    return kinds


def get_portable_state(net):
    """The state of a skorch net with its torch objects as numpy arrays.

    What ``__getstate__`` returns: the net's attributes, except that its
    modules and criteria are replaced by their weights, its optimizers by
    their state (both as numpy arrays, under ``"__torch_state__"``), torch
    modules and tensors among its parameters by their class and arrays, and
    its initialised callbacks and virtual parameters are left out (loading
    builds them again from the parameters).

    Parameters
    ----------
    net : skorch.NeuralNet

    Returns
    -------
    state : dict
        Holds no pickle, no callable that the parameters do not name and no
        torch object.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DomainNetClassifier
    >>> from sktransfer.deep._persistence import get_portable_state
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = DomainNetClassifier(max_epochs=1, random_state=0, device="cpu")
    >>> state = get_portable_state(net.fit(X, y, sample_domain=sd))
    >>> sorted(state["__torch_state__"]["modules"])
    ['module_']
    >>> bias = state["__torch_state__"]["modules"]["module_"]["weights"]["head.bias"]
    >>> type(bias["array"]), bias["dtype"]
    (<class 'numpy.ndarray'>, 'float32')
    """
    state = dict(vars(net))
    for name in _REBUILT_ATTRIBUTES:
        state.pop(name, None)
    attributes = _torch_attributes(net, state)
    saved = {"format": _FORMAT, "modules": {}, "criteria": {}, "optimizers": {}}
    for kind in ("modules", "criteria"):
        for name in attributes[kind]:
            module = state.pop(name)
            if module is None:
                continue
            module = _unwrapped(module)
            saved[kind][name] = {
                "weights": {
                    key: _encode_tensor(value)
                    for key, value in module.state_dict().items()
                },
                "frozen": sorted(
                    key for key, p in module.named_parameters() if not p.requires_grad
                ),
            }
    for name in attributes["optimizers"]:
        optimizer = state.pop(name)
        if optimizer is not None:
            saved["optimizers"][name] = _nested(
                optimizer.state_dict(),
                lambda v: _encode_tensor(v) if isinstance(v, torch.Tensor) else v,
            )
    if not state.get("_initialized_", False):
        # leftovers of an initialisation that did not finish: nothing to keep
        saved = None
    state = {key: _encode_value(value) for key, value in state.items()}
    leftover = [
        key for key, value in state.items() if isinstance(value, torch.optim.Optimizer)
    ]
    if leftover:
        raise TypeError(
            f"{type(net).__name__} holds torch objects in {leftover} that cannot be "
            "saved without pickle; register them as modules, criteria or "
            "optimizers of the net."
        )
    if saved is not None:
        state[TORCH_STATE_KEY] = saved
    return state


def _resolve_device(net, state):
    """Map the saved device to one this machine has (the CPU without CUDA)."""
    from ._base import _state_on_this_machine

    mapped, requested = _state_on_this_machine(state, type(net).__name__)
    state.update(mapped, device=requested)


@contextlib.contextmanager
def _keep_torch_generators():
    # rebuilding draws initial weights; the caller's generators stay as they are
    with torch.random.fork_rng(devices=[]):
        yield


def _load_module(net, name, saved):
    module = getattr(net, name)
    weights = {key: _decode_tensor(spec) for key, spec in saved["weights"].items()}
    module = _match_replaced_heads(net, name, _unwrapped(module), weights)
    try:
        module.load_state_dict(weights)
    except RuntimeError as exc:
        raise ValueError(
            f"The saved weights of {name} do not fit the module that the parameters "
            f"of {type(net).__name__} build: {exc}"
        ) from exc
    frozen = set(saved.get("frozen", ()))
    for key, param in module.named_parameters():
        param.requires_grad_(key not in frozen)


def _match_replaced_heads(net, name, module, weights):
    """Linear layers replaced during fit (a new head) get the saved shape.

    :class:`~sktransfer.deep.FineTuningClassifier` with ``replace_head=True``
    swaps a pretrained module's head for a ``torch.nn.Linear`` sized for the
    classes; the module rebuilt from the parameters still has the old one.
    """
    for key, weight in weights.items():
        prefix, _, leaf = key.rpartition(".")
        if leaf != "weight" or weight.ndim != 2:
            continue
        try:
            layer = module.get_submodule(prefix) if prefix else module
        except AttributeError:
            continue
        if not isinstance(layer, torch.nn.Linear) or layer.weight.shape == weight.shape:
            continue
        new = torch.nn.Linear(
            weight.shape[1],
            weight.shape[0],
            bias=(f"{prefix}.bias" if prefix else "bias") in weights,
            device=layer.weight.device,
            dtype=layer.weight.dtype,
        )
        if prefix:
            parent, _, attr = prefix.rpartition(".")
            setattr(module.get_submodule(parent), attr, new)
        else:
            module = new
            setattr(net, name, new)
    return module


def _load_optimizer(net, name, saved):
    optimizer = getattr(net, name, None)
    if optimizer is None:
        return
    state = _nested(saved, _decode_value)
    try:
        optimizer.load_state_dict(state)
    except (ValueError, KeyError, RuntimeError) as exc:
        warn(
            f"{type(net).__name__}: the saved state of {name} does not fit the "
            f"optimizer that the parameters build ({exc}); it starts afresh, which "
            "matters only to further training.",
            UserWarning,
        )


def set_portable_state(net, state):
    """Restore a net from :func:`get_portable_state`; rebuild its torch objects.

    What ``__setstate__`` does. The modules, criteria and optimizers are
    built from the net's parameters (skorch's ``initialize_module``,
    ``initialize_criterion``, ``initialize_optimizer``) on a device this
    machine has, then given the saved arrays. Nothing is unpickled.

    Parameters
    ----------
    net : skorch.NeuralNet
        A new instance (from ``cls.__new__``).
    state : dict
        From :func:`get_portable_state`.

    Raises
    ------
    TypeError
        If ``state`` is in skorch's pickle format, which this refuses to read.
    ValueError
        If the saved weights do not fit the modules that the parameters build.
    """
    if SKORCH_PICKLE_KEY in state:
        raise TypeError(
            f"This {type(net).__name__} was saved in skorch's format, whose torch "
            "objects are a pickle inside the file; sktransfer does not unpickle "
            "them. Save the model again with this version of sktransfer."
        )
    state = dict(state)
    saved = state.pop(TORCH_STATE_KEY, None)
    if saved is not None and saved.get("format") != _FORMAT:
        raise ValueError(
            f"Unknown format {saved.get('format')!r} of the saved torch state."
        )
    state = {key: _decode_value(value) for key, value in state.items()}
    _resolve_device(net, state)
    initialized = bool(state.pop("_initialized_", False)) and saved is not None
    vars(net).update(state)
    net.initialized_ = False
    if not initialized:
        return
    with _keep_torch_generators():
        net._initialize_virtual_params()
        net._initialize_callbacks()
        net._initialize_module()
        for name, weights in saved["modules"].items():
            _load_module(net, name, weights)
        net._initialize_criterion()
        for name, weights in saved["criteria"].items():
            _load_module(net, name, weights)
        net._initialize_optimizer()
        for name, optimizer_state in saved["optimizers"].items():
            _load_optimizer(net, name, optimizer_state)
    device = getattr(net, "device_", None) or net.device
    for name in (*net._modules, *net._criteria):
        module = getattr(net, name + "_", None)
        if isinstance(module, torch.nn.Module) and device is not None:
            module.to(device)
    net.initialized_ = True


class PortableStateMixin:
    """Pickle-free ``__getstate__`` / ``__setstate__`` for skorch nets.

    Put it before skorch's net class among the bases (``class
    Net(PortableStateMixin, NeuralNetClassifier)``): pickling, copying and
    :func:`skops.io.dump` then store the weights as numpy arrays and rebuild
    the torch objects from the parameters on loading; see
    :func:`get_portable_state` and :func:`set_portable_state`.
    """

    def __getstate__(self):
        return get_portable_state(self)

    def __setstate__(self, state):
        set_portable_state(self, state)
