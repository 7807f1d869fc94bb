"""Default torch modules of the deep estimators."""

from torch import nn

__all__ = ["MLP"]


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
