"""The features of a frozen pretrained network, as a scikit-learn transformer."""

import copy
import math
from dataclasses import replace
from numbers import Integral

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

from .._domain import DomainAwareMixin, check_sample_domain
from ._base import _state_on_this_machine, resolve_device
from ._inputs import is_channels_last
from ._persistence import _decode_tensor, _decode_value, _encode_tensor, _encode_value
from ._pretrained import BackboneInfo, _pair, backbone_info, load_backbone

__all__ = ["PretrainedEmbedding"]

#: width and seed of the placeholder backbone (``backbone=None``)
_PLACEHOLDER_WIDTH = 32
_PLACEHOLDER_SEED = 0
_PLACEHOLDER_INFO = BackboneInfo("random_features", n_features=_PLACEHOLDER_WIDTH)
#: key of the backbone's weights (numpy arrays) in the pickled state
_WEIGHTS_KEY = "__backbone_weights__"


class _RandomFeatures(torch.nn.Module):
    """The placeholder backbone: a fixed random projection, then a ReLU.

    Not pretrained: a seeded Gaussian matrix (float64, scaled by
    ``1 / sqrt(n_inputs)``) applied to the flattened input. It keeps the
    default :class:`PretrainedEmbedding` small and fast (scikit-learn's
    common checks run on it); pass a real backbone for real features.
    """

    def __init__(self, n_inputs, n_outputs=_PLACEHOLDER_WIDTH, seed=_PLACEHOLDER_SEED):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        weight = torch.randn(
            n_outputs, n_inputs, generator=generator, dtype=torch.float64
        )
        self.register_buffer("weight", weight / math.sqrt(n_inputs))
        self.backbone_info = BackboneInfo("random_features", n_features=n_outputs)

    def forward(self, x):
        return torch.relu(x.flatten(1) @ self.weight.T)


def _as_tensor(x):
    if isinstance(x, torch.Tensor):
        return x
    return torch.from_numpy(np.array(x, order="C"))  # a copy torch takes


def _collate_inputs(items):
    """A batch of a data set's inputs: ``x`` of each ``(x, y)`` item, or the item."""
    inputs = [
        _as_tensor(item[0] if isinstance(item, tuple | list) else item)
        for item in items
    ]
    shapes = {tuple(x.shape) for x in inputs}
    if len(shapes) > 1:
        raise ValueError(
            "The inputs of one batch of the data set have different shapes "
            f"({sorted(shapes)[:3]}); give them one size, or use batch_size=1 "
            "with a backbone that resizes them (a known input size or "
            "image_size)."
        )
    return torch.stack(inputs)


def _ndim(X):
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        try:
            ndim = np.asarray(X).ndim
        except (
            TypeError,
            ValueError,
        ):  # a ragged list: the validation says what is wrong
            ndim = 2
    return ndim


def _kind(ndim):
    return {2: "rows", 4: "images"}.get(ndim)


def _dtype_of(module):
    """The floating dtype of a module's parameters (or buffers); float32 if none."""
    for tensor in (*module.parameters(), *module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


def _device_of(module):
    for tensor in (*module.parameters(), *module.buffers()):
        return str(tensor.device)
    return "cpu"


def _channels_last(shape):
    """Whether images of this shape are channels last; C must be 1 or 3."""
    if is_channels_last(tuple(shape[1:])):
        return True
    if shape[1] in (1, 3):
        return False
    raise ValueError(
        "Images must have 1 (grey) or 3 (RGB) channels, first (n, C, H, W) or "
        f"last (n, H, W, C); got an array of shape {tuple(shape)}."
    )


def _channels_first(x):
    """Images ``(n, C, H, W)`` from channels first or last."""
    return x.permute(0, 3, 1, 2) if _channels_last(x.shape) else x


class PretrainedEmbedding(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, DomainAwareMixin, BaseEstimator
):
    """The features of a frozen pretrained network, for any scikit-learn model.

    Runs a backbone (a pretrained network without its classifier, see
    :func:`load_backbone`) in evaluation mode and without gradients over
    the rows or images, batch by batch, and returns its pooled features as
    float32 rows: a scikit-learn transformer (not a skorch net; nothing is
    trained), to put before a linear model or a shallow transfer method in
    a pipeline. ``fit`` only builds the backbone; it uses neither ``y`` nor
    ``sample_domain`` (which it accepts and checks, so it fits inside
    :func:`~sktransfer.pipeline.make_transfer_pipeline`).

    Each batch of images goes through:

    1. channels first: ``(n, H, W, C)`` becomes ``(n, C, H, W)``. An array
       is channels first when its axis 1 has 1 or 3 entries, else channels
       last when its last axis has; any other channel count is an error;
    2. pixels: uint8 images are divided by 255; other images must hold
       pixels in [0, 1] (as :func:`~sktransfer.datasets.fetch_vlcs_mini`
       returns them);
    3. channels: grey images (1 channel) are repeated to the 3 channels of
       an RGB backbone; 3 channels for a 1-channel backbone are an error;
    4. size: resized (bilinear, anti-aliased) to ``image_size``, or, when it
       is ``None``, to the backbone's input size when known;
    5. normalisation: ``(pixel - mean) / std`` with the backbone's per-channel
       ``mean`` and ``std`` (its :class:`BackboneInfo`), when
       ``normalize=True`` and they are known.

    Rows (2-d input, ``(n_samples, n_features)``) go to the backbone as they
    are; only a backbone that does not take images (the placeholder, or a
    module of your own) takes them.

    Parameters
    ----------
    backbone : str, torch.nn.Module or None, default=None
        The network. A name goes through ``load_backbone(name, n_classes=0)``
        (``"efficientnet_lite0"``, ``"efficientnet_lite1"``,
        ``"efficientnet_lite2"``, ``"torchvision:<model>"``,
        ``"timm:<model>"``), so its output is its pooled features. A module
        is copied and used as it is: its output, flattened, is the
        embedding (pass one without its classifier, for instance from
        ``load_backbone(module, n_classes=0)``, which also records its input
        size and normalisation). ``None``, the default, is a placeholder
        that is **not pretrained**: a fixed random projection of the
        flattened input to 32 features, then a ReLU (seeded, the same in
        every fit). It exists so that the estimator has cheap defaults for
        scikit-learn's checks; pass a real backbone for real features.
    image_size : int, tuple of (int, int) or None, default=None
        Size ``(height, width)`` to resize images to (an int: a square);
        ``None`` resizes to the backbone's input size when it is known,
        else keeps the images' size. Ignored for rows.
    normalize : bool, default=True
        Normalise images with the backbone's ``mean`` and ``std``; ``False``
        gives them to it as [0, 1] pixels.
    batch_size : int, default=64
        Rows or images per forward pass; the result does not depend on it
        (beyond floating-point rounding on some devices).
    device : str, torch.device or None, default="auto"
        Where the backbone runs: ``"auto"`` is the GPU when torch sees one,
        else the CPU (see :func:`resolve_device`); ``None`` leaves a module
        where it is. A model fitted on a GPU loads on a machine without one
        (onto the CPU).

    Attributes
    ----------
    backbone_ : torch.nn.Module
        The frozen backbone (evaluation mode, no gradients), on `device_`.
    backbone_info_ : BackboneInfo
        What the embedding feeds the backbone: the backbone's
        :class:`BackboneInfo` with ``input_size`` the size images are resized
        to (``image_size`` when given) and ``n_features`` the embedding's
        width.
    device_ : str
        The device the backbone runs on.
    n_features_out_ : int
        Number of features of the embedding.
    n_features_in_ : int
        Number of features seen in ``fit``, only when fitted on rows.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    load_backbone : The pretrained networks by name, and their input.
    FineTuningClassifier : Train the backbone too, rather than freeze it.

    Notes
    -----
    Pickling stores the backbone's weights as numpy arrays (no torch pickle)
    and rebuilds the backbone from the parameters when loading, without
    reading the pretrained weights again; a named backbone needs its
    package installed where the model is loaded.

    Examples
    --------
    With the placeholder backbone (not pretrained; for a quick look):

    >>> import numpy as np
    >>> from sktransfer.deep import PretrainedEmbedding
    >>> images = np.random.RandomState(0).rand(6, 3, 8, 8)  # six 8x8 RGB images
    >>> embedding = PretrainedEmbedding().fit(images)
    >>> embedding.transform(images).shape
    (6, 32)
    >>> embedding.get_feature_names_out()[:2].tolist()
    ['pretrainedembedding0', 'pretrainedembedding1']

    EfficientNet-Lite0 features of VLCS-mini photos for a logistic
    regression (needs the extra ``pretrained`` and the photos):

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sktransfer.datasets import fetch_vlcs_mini
    >>> X, y, sample_domain = fetch_vlcs_mini(return_X_y=True)  # doctest: +SKIP
    >>> clf = make_pipeline(PretrainedEmbedding("efficientnet_lite0"),
    ...                     LogisticRegression(max_iter=1000))
    >>> clf.fit(X[sample_domain > 0], y[sample_domain > 0])  # doctest: +SKIP
    >>> clf.score(X[sample_domain < 0], y[sample_domain < 0])  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "backbone": [None, str, torch.nn.Module],
        "image_size": [None, Interval(Integral, 1, None, closed="left"), tuple],
        "normalize": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device, None],
    }

    def __init__(
        self,
        backbone=None,
        *,
        image_size=None,
        normalize=True,
        batch_size=64,
        device="auto",
    ):
        self.backbone = backbone
        self.image_size = image_size
        self.normalize = normalize
        self.batch_size = batch_size
        self.device = device

    # --- input -----------------------------------------------------------------

    def _validate_array(self, X, *, reset):
        """``X`` validated, and its kind: ``"rows"`` or ``"images"``."""
        ndim = _ndim(X)
        kind = _kind(ndim)
        if ndim < 2:
            check_array(X, estimator=self, input_name="X")  # says "Reshape ..."
        if kind is None:
            raise ValueError(
                f"{type(self).__name__} takes rows of shape (n_samples, "
                "n_features), images of shape (n, C, H, W) or (n, H, W, C), or a "
                f"torch Dataset; got an array with {ndim} dimension(s), of shape "
                f"{np.shape(X)}."
            )
        if not reset:
            self._check_kind(kind)
        if kind == "rows":
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        else:
            X = check_array(
                X,
                allow_nd=True,
                dtype="numeric",
                ensure_all_finite=True,
                estimator=self,
                input_name="X",
            )
            _channels_last(X.shape)  # the channel count is checked once
        return X, kind

    def _check_kind(self, kind):
        if kind != self._input_kind:
            shapes = {
                "rows": "rows (n_samples, n_features)",
                "images": "images (n, C, H, W) or (n, H, W, C)",
            }
            raise ValueError(
                f"{type(self).__name__} was fitted on {shapes[self._input_kind]}, "
                f"but got {shapes[kind]}."
            )

    def _check_batch(self, x, start):
        """A batch of a data set: its kind, finite values and width."""
        kind = _kind(x.ndim)
        if kind is None:
            raise ValueError(
                f"{type(self).__name__} takes data sets whose inputs are rows "
                "(1-d) or images (3-d, channels first or last); item "
                f"{start} has shape {tuple(x.shape[1:])}."
            )
        if hasattr(self, "_input_kind"):
            self._check_kind(kind)
        if x.is_floating_point() and not bool(torch.isfinite(x).all()):
            raise ValueError(
                "Input X contains NaN or infinity, in the data set's items "
                f"{start} to {start + x.shape[0] - 1}."
            )
        expected = getattr(self, "n_features_in_", None)
        if kind == "rows" and expected is not None and x.shape[1] != expected:
            raise ValueError(
                f"X has {x.shape[1]} features, but {type(self).__name__} is "
                f"expecting {expected} features as input."
            )
        return kind

    def _batches(self, X):
        """``(start, tensor)`` batches of the inputs of an array or a data set."""
        if isinstance(X, Dataset):
            loader = DataLoader(
                X, batch_size=self.batch_size, shuffle=False, collate_fn=_collate_inputs
            )
            start = 0
            for batch in loader:
                self._check_batch(batch, start)
                yield start, batch
                start += batch.shape[0]
            return
        for start in range(0, X.shape[0], self.batch_size):
            batch = X[start : start + self.batch_size]
            if batch.dtype != np.uint8 and batch.dtype.kind != "f":
                batch = batch.astype(np.float32)
            # a writable, C-ordered copy without negative strides
            yield start, torch.from_numpy(np.array(batch, order="C"))

    def _prepare(self, x, info, dtype, device):
        """A batch as the backbone takes it (see the class docstring)."""
        if x.ndim != 4:
            return x.to(device=device, dtype=dtype)
        x = _channels_first(x)
        pixels = x.dtype == torch.uint8
        work = torch.float64 if dtype == torch.float64 else torch.float32
        x = x.to(device=device, dtype=work).contiguous()
        if pixels:
            x = x / 255.0
        channels = x.shape[1]
        wanted = info.in_channels or (len(info.mean) if info.mean else None)
        if wanted is not None and channels != wanted:
            if channels != 1:
                raise ValueError(
                    f"The backbone {info.name!r} of {type(self).__name__} takes "
                    f"{wanted}-channel images; got {channels} channels."
                )
            x = x.expand(-1, wanted, -1, -1)
        if info.input_size is not None and tuple(x.shape[-2:]) != info.input_size:
            x = F.interpolate(
                x,
                size=info.input_size,
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )
        if self.normalize and info.mean is not None:
            mean = torch.tensor(info.mean, dtype=work, device=device).view(1, -1, 1, 1)
            std = torch.tensor(info.std, dtype=work, device=device).view(1, -1, 1, 1)
            x = (x - mean) / std
        return x.to(dtype)

    def _embed(self, batches, *, n_features=None):
        """The backbone's flattened float32 output over the batches."""
        module = self.backbone_
        dtype = _dtype_of(module)
        n_inputs = (
            module.weight.shape[1] if isinstance(module, _RandomFeatures) else None
        )
        outputs = []
        with torch.no_grad():
            for start, batch in batches:
                x = self._prepare(batch, self.backbone_info_, dtype, self.device_)
                if n_inputs is not None and x[0].numel() != n_inputs:
                    raise ValueError(
                        f"X has {x[0].numel()} values per image (after "
                        f"preprocessing, shape {tuple(x.shape[1:])}), but "
                        f"{type(self).__name__} is expecting {n_inputs}, as in "
                        "fit: its placeholder backbone takes images of one size."
                    )
                z = module(x)
                if not isinstance(z, torch.Tensor):
                    raise TypeError(
                        f"The backbone of {type(self).__name__} returned a "
                        f"{type(z).__name__}; it must return a tensor of features."
                    )
                z = z.reshape(z.shape[0], -1).to(device="cpu", dtype=torch.float32)
                if n_features is not None and z.shape[1] != n_features:
                    raise ValueError(
                        f"The backbone of {type(self).__name__} returned "
                        f"{z.shape[1]} features for the items from {start}, but "
                        f"{n_features} in fit."
                    )
                outputs.append(z.numpy())
        if not outputs:
            return np.empty((0, n_features or 0), dtype=np.float32)
        return np.concatenate(outputs)

    # --- the backbone ------------------------------------------------------------

    def _load_backbone(self, *, pretrained=True):
        """The backbone that the parameters name (``None``: the placeholder)."""
        if isinstance(self.backbone, str):
            return load_backbone(self.backbone, n_classes=0, pretrained=pretrained)
        return load_backbone(copy.deepcopy(self.backbone))

    @staticmethod
    def _freeze(module, device):
        if device is not None:
            module = module.to(device)
        module.eval()
        module.requires_grad_(False)
        return module

    # --- estimator API ----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sample_domain=None):
        """Build the frozen backbone for inputs like ``X``.

        Nothing is trained: ``fit`` loads the backbone, checks that it takes
        ``X`` and runs it on one row or image to learn the embedding's width.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, C, H, W) or \
                (n, H, W, C), or torch.utils.data.Dataset
            Rows, images (channels first or last, C in {1, 3}), or a data set
            whose items are ``(x, y)`` or ``x`` (only its first item is read).
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Checked, else ignored: the embedding is the same for every
            domain.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        name = type(self).__name__
        image_size = _pair(self.image_size, "image_size")
        for attr in ("n_features_in_", "feature_names_in_", "_input_kind"):
            vars(self).pop(attr, None)
        if isinstance(X, Dataset):
            loader = DataLoader(X, batch_size=1, collate_fn=_collate_inputs)
            try:
                first = next(iter(loader))
            except StopIteration:
                raise ValueError(f"{name}.fit got an empty data set.") from None
            kind = self._check_batch(first, 0)
            if kind == "rows":
                self.n_features_in_ = first.shape[1]
            if sample_domain is not None:
                try:
                    n_samples = len(X)
                except TypeError:
                    raise ValueError(
                        "sample_domain needs a data set with a length (len(X))."
                    ) from None
                check_sample_domain(
                    sample_domain, np.empty((n_samples, 0)), estimator_name=name
                )
        else:
            X, kind = self._validate_array(X, reset=True)
            check_sample_domain(sample_domain, X, estimator_name=name)
            first = next(self._batches(X[:1]))[1]
        device = resolve_device(self.device)
        with torch.random.fork_rng(devices=[]):  # building draws initial weights
            module = None if self.backbone is None else self._load_backbone()
        info = _PLACEHOLDER_INFO if module is None else backbone_info(module)
        if kind == "rows" and (info.input_size or info.in_channels or info.mean):
            raise ValueError(
                f"The backbone {info.name!r} of {name} takes images: X must be "
                "of shape (n, C, H, W) or (n, H, W, C), or a data set of images; "
                f"got rows of shape {tuple(first.shape[1:])}."
            )
        info = replace(info, input_size=image_size or info.input_size)
        if module is None:
            x = self._prepare(first, info, torch.float64, "cpu")
            module = _RandomFeatures(x[0].numel())
        self.device_ = str(device) if device is not None else _device_of(module)
        self.backbone_ = self._freeze(module, self.device_)
        self.backbone_info_ = info
        self._input_kind = kind
        width = self._embed([(0, first)]).shape[1]
        self.n_features_out_ = width
        self.backbone_info_ = replace(info, n_features=width)
        return self

    def transform(self, X):
        """The backbone's features of each row or image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, C, H, W) or \
                (n, H, W, C), or torch.utils.data.Dataset
            Inputs of the kind seen in ``fit``. A data set is read batch by
            batch (``batch_size`` items at a time, in order), never whole.

        Returns
        -------
        X_new : ndarray of shape (n_samples, `n_features_out_`), dtype=float32
            The embedding.
        """
        check_is_fitted(self)
        if not isinstance(X, Dataset):
            X, _ = self._validate_array(X, reset=False)
        return self._embed(self._batches(X), n_features=self.n_features_out_)

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # --- pickling ---------------------------------------------------------------

    def __getstate__(self):
        """The state with the backbone as numpy arrays (no torch pickle)."""
        state = dict(super().__getstate__())
        module = state.pop("backbone_", None)
        if module is not None:
            state[_WEIGHTS_KEY] = {
                key: _encode_tensor(value) for key, value in module.state_dict().items()
            }
        state["backbone"] = _encode_value(state.get("backbone"))
        return state

    def __setstate__(self, state):
        """Rebuild the backbone from the parameters and the saved arrays."""
        state = dict(state)
        weights = state.pop(_WEIGHTS_KEY, None)
        state["backbone"] = _decode_value(state.get("backbone"))
        requested = state.get("device")
        if "device_" in state:
            state, requested = _state_on_this_machine(state, type(self).__name__)
        state["device"] = requested
        super().__setstate__(state)
        if weights is None:
            return
        weights = {key: _decode_tensor(spec) for key, spec in weights.items()}
        with torch.random.fork_rng(devices=[]):
            if self.backbone is None:
                n_outputs, n_inputs = weights["weight"].shape
                module = _RandomFeatures(n_inputs, n_outputs)
            else:
                module = self._load_backbone(pretrained=False)
        module.load_state_dict(weights)
        self.backbone_ = self._freeze(module, self.device_)
