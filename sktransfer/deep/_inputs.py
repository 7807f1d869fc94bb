"""Inputs of the deep estimators besides arrays: torch Datasets, channels-last images.

A torch ``Dataset`` (items ``(x, y)``, e.g. :class:`~sktransfer.deep.ImageFolder`)
is wrapped in :class:`DatasetRows`, which the training machinery indexes like
an array (``rows[i]`` is one input tensor, ``rows[mask]`` a subset, ``len`` and
``shape``) while items are read only when a batch needs them.
"""

import numbers

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["DatasetRows", "as_channels_first", "is_channels_last"]


def is_channels_last(shape):
    """Whether one image of ``shape`` (without the row axis) is ``(H, W, C)``.

    ``C`` is 1 or 3 and the first axis is not: ``(H, W, 3)`` as PIL and most
    image arrays give it, never ambiguous with ``(3, H, W)`` unless ``H`` is
    itself 1 or 3 (then the image is taken as channels first).
    """
    return len(shape) == 3 and shape[-1] in (1, 3) and shape[0] not in (1, 3)


def as_channels_first(X):
    """``(n, H, W, C)`` images as ``(n, C, H, W)``; other shapes unchanged."""
    if X.ndim == 4 and is_channels_last(X.shape[1:]):
        return np.ascontiguousarray(np.moveaxis(X, -1, 1))
    return X


def _item_input(item):
    return item[0] if isinstance(item, tuple | list) else item


class DatasetRows:
    """The inputs of a torch Dataset, indexed like an array of rows.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Items ``(x, y)`` (or ``x``); ``x`` a tensor or array, channels first
        or ``(H, W, C)`` (turned to channels first).
    indices : ndarray of int, default=None
        The items this view holds, in order; ``None`` means all.
    """

    def __init__(self, dataset, indices=None):
        self.dataset = dataset
        self.indices = (
            np.arange(len(dataset)) if indices is None else np.asarray(indices)
        )

    def __len__(self):
        return len(self.indices)

    @property
    def shape(self):
        """``(n_rows, *shape of one input)``, read from the first item."""
        if not len(self):
            return (0,)
        return (len(self), *self[0].shape)

    @property
    def ndim(self):
        return len(self.shape)

    def __getitem__(self, index):
        if isinstance(index, numbers.Integral):
            x = _item_input(self.dataset[int(self.indices[index])])
            x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x)
            x = x.to(torch.float32)
            if is_channels_last(tuple(x.shape)):
                x = x.permute(2, 0, 1).contiguous()
            return x
        if isinstance(index, slice):
            return DatasetRows(self.dataset, self.indices[index])
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return DatasetRows(self.dataset, self.indices[index])

    def stack(self):
        """Every input of the view, read and stacked into one tensor."""
        if not len(self):
            return torch.zeros((0,), dtype=torch.float32)
        return torch.stack([self[i] for i in range(len(self))])

    def labels(self):
        """The ``y`` of every item: ``dataset.targets`` where the Dataset
        has it (nothing is decoded), else read item by item."""
        targets = getattr(self.dataset, "targets", None)
        if targets is not None and len(targets) == len(self.dataset):
            return np.asarray(targets)[self.indices]
        labels = []
        for i in self.indices:
            item = self.dataset[int(i)]
            if not isinstance(item, tuple | list) or len(item) < 2:
                raise ValueError(
                    "The Dataset's items are inputs without labels; pass y "
                    "(one label per item, -1 on unlabeled target rows)."
                )
            label = item[1]
            if torch.is_tensor(label):  # a vector: a regressor's outputs
                label = label.item() if label.numel() == 1 else label.cpu().numpy()
            labels.append(label)
        return np.asarray(labels)


def is_dataset(X):
    """Whether ``X`` is a torch Dataset (or a view of one) rather than an array."""
    return isinstance(X, Dataset | DatasetRows)


def as_rows(X):
    """A :class:`DatasetRows` view of a Dataset, checked to be non-empty."""
    rows = X if isinstance(X, DatasetRows) else DatasetRows(X)
    if not len(rows):
        raise ValueError("The Dataset is empty: it has no item to train on.")
    first = rows[0]
    if not torch.isfinite(first).all():
        raise ValueError("The first item of the Dataset holds NaN or infinite values.")
    return rows
