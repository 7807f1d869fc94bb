"""Default torch modules of the deep estimators."""

from torch import nn

__all__ = ["MLP", "SmallCNN"]


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

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import MLP
    >>> MLP(4, 3, hidden_units=(8,))(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_inputs, n_classes, hidden_units=(100,), dropout=0.0):
        super().__init__()
        layers = [nn.Flatten()]
        width = n_inputs
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
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

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import SmallCNN
    >>> SmallCNN(1, 10)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self, in_channels, n_classes, channels=(32, 64), hidden_units=256, dropout=0.0
    ):
        super().__init__()
        layers = []
        width = in_channels
        for out in channels:
            layers += [
                nn.Conv2d(width, out, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.Conv2d(out, out, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            width = out
        layers += [nn.AdaptiveAvgPool2d(4), nn.Flatten()]
        layers += [nn.Linear(width * 16, hidden_units), nn.ReLU()]
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
