"""Default torch modules of the deep estimators."""

from torch import nn
from torch.nn import functional as F

__all__ = ["MLP", "SmallCNN"]


class _OneValueFallback:
    """Batch norm that takes a batch with one value per channel.

    In training, a batch that holds a single value per channel (one row of
    an MLP's hidden layer; one image shrunk to one pixel) has no variance:
    torch raises. Such a batch is normalised with the running statistics
    instead, which it does not update; every other batch is plain batch norm.
    So a last training batch of one row, or ``fit`` on one row, works.
    """

    def forward(self, x):
        if self.training and x.numel() <= x.shape[1]:
            return F.batch_norm(
                x,
                self.running_mean,
                self.running_var,
                self.weight,
                self.bias,
                training=self.running_mean is None,
                momentum=0.0,
                eps=self.eps,
            )
        return super().forward(x)


class _BatchNorm1d(_OneValueFallback, nn.BatchNorm1d):
    """``torch.nn.BatchNorm1d`` that takes a training batch of one row."""


class _BatchNorm2d(_OneValueFallback, nn.BatchNorm2d):
    """``torch.nn.BatchNorm2d`` that takes a training batch of one pixel."""


class MLP(nn.Module):
    """Multilayer perceptron: ``features`` (hidden layers) then a linear ``head``.

    Inputs of any shape are flattened first, so it also takes images.

    Parameters
    ----------
    n_inputs : int
        Number of input values per row (after flattening).
    n_classes : int
        Number of outputs (logits) of the head.
    hidden_units : sequence of int, default=(100,)
        Width of each hidden layer; ``()`` makes a linear model.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    batch_norm : bool, default=False
        Batch normalisation (``torch.nn.BatchNorm1d``) after each hidden
        linear layer, before its ReLU. It gives test-time adaptation
        (:class:`~sktransfer.deep.BatchNormAdapter`) statistics to adapt;
        a training batch of one row is normalised with the running
        statistics.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import MLP
    >>> MLP(4, 3, hidden_units=(8,))(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    >>> [type(m).__name__ for m in MLP(4, 3, (8,), batch_norm=True).features]
    ['Flatten', 'Linear', '_BatchNorm1d', 'ReLU']
    """

    def __init__(
        self, n_inputs, n_classes, hidden_units=(100,), dropout=0.0, batch_norm=False
    ):
        super().__init__()
        layers = [nn.Flatten()]
        width = n_inputs
        for units in hidden_units:
            layers.append(nn.Linear(width, units))
            if batch_norm:
                layers.append(_BatchNorm1d(units))
            layers.append(nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = units
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)
        self.n_features_out = width

    def forward(self, X):
        return self.head(self.features(X))

    def extract_features(self, X):
        """Output of the last hidden layer (the input of ``head``)."""
        return self.features(X)


class SmallCNN(nn.Module):
    """A small convolutional network (LeNet-style), for images from 8x8 pixels up.

    Convolutions of 3x3 with ReLU, a 2x2 max pooling after each block,
    pooled to a 4x4 grid, then a hidden linear layer (``features``) and a
    linear ``head``. The deep estimators use it by default when ``X`` holds
    images (rows of shape ``(C, H, W)``).

    Parameters
    ----------
    in_channels : int
        Channels of the input images.
    n_classes : int
        Number of outputs (logits) of the head.
    channels : sequence of int, default=(32, 64)
        Output channels of each convolution block.
    hidden_units : int, default=256
        Width of the hidden linear layer.
    dropout : float, default=0.0
        Dropout before the head.
    batch_norm : bool, default=False
        Batch normalisation (``torch.nn.BatchNorm2d``) after each
        convolution, before its ReLU. It gives test-time adaptation
        (:class:`~sktransfer.deep.BatchNormAdapter`) statistics to adapt.
    feature_batch_norm : bool, default=True
        Batch normalisation (``torch.nn.BatchNorm1d``) of the features, after
        the hidden layer's ReLU: the normalised bottleneck of the reference
        implementations of DANN and CDAN. Without it an adversarial method
        can fool its domain classifier by scaling up the unbounded features,
        and training diverges (MNIST -> digits, 10 epochs, seed 0: DANN 37.5
        without, 72.5 with it; CDAN 14.0 and 86.5; source-only 43.4 and 39.0;
        Deep CORAL on the logits 70.9 and 64.1).

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import SmallCNN
    >>> SmallCNN(1, 10)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    >>> net = SmallCNN(1, 10, batch_norm=True)
    >>> sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    4
    >>> sum(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules())
    1
    """

    def __init__(
        self,
        in_channels,
        n_classes,
        channels=(32, 64),
        hidden_units=256,
        dropout=0.0,
        batch_norm=False,
        feature_batch_norm=True,
    ):
        super().__init__()
        layers = []
        width = in_channels
        for out in channels:
            for n_in in (width, out):
                layers.append(nn.Conv2d(n_in, out, kernel_size=3, padding=1))
                if batch_norm:
                    layers.append(_BatchNorm2d(out))
                layers.append(nn.ReLU())
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
            width = out
        layers += [nn.AdaptiveAvgPool2d(4), nn.Flatten()]
        layers += [nn.Linear(width * 16, hidden_units), nn.ReLU()]
        if feature_batch_norm:
            layers.append(_BatchNorm1d(hidden_units))
        if dropout:
            layers.append(nn.Dropout(dropout))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(hidden_units, n_classes)
        self.n_features_out = hidden_units

    @staticmethod
    def takes(input_shape):
        """Whether rows of ``input_shape`` are images it takes: ``(C, H, W)``."""
        return len(input_shape) == 3 and min(input_shape[1:]) >= 2

    def forward(self, X):
        return self.head(self.features(X))

    def extract_features(self, X):
        """Output of the hidden linear layer (the input of ``head``)."""
        return self.features(X)
