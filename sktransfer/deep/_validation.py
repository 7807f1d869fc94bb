"""skorch's internal validation split for the deep estimators."""

from collections.abc import Mapping
from numbers import Real

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from skorch.dataset import Dataset

__all__ = ["TargetValidSplit"]


class TargetValidSplit:
    """Hold out labeled target rows for skorch's validation scores.

    A ``train_split`` for sktransfer's deep estimators: skorch computes
    ``valid_loss`` and ``valid_acc`` on the held-out rows, so that callbacks
    such as ``EarlyStopping`` and ``Checkpoint`` can monitor them. The
    held-out rows are a fraction of the labeled target rows of the training
    stage; a stage with none (unsupervised adaptation, or the source stage of
    :class:`~sktransfer.deep.FineTuningClassifier`) holds out labeled source
    rows instead. Unlabeled rows always stay in training, where the domain
    losses need them.

    Parameters
    ----------
    valid_size : float, default=0.2
        Fraction of those labeled rows held out (at least one row).
    stratified : bool, default=True
        Hold out each class in proportion, when every class has two rows
        (for a classifier; a regressor's rows are drawn at random).
    random_state : int, RandomState instance or None, default=None
        Seed of the draw; ``None`` draws it from torch's generator, which
        the net's ``random_state`` seeds.

    Examples
    --------
    >>> from skorch.callbacks import EarlyStopping
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import FineTuningClassifier, TargetValidSplit
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> y = hide_target_labels(y, sd, n_labeled=20, random_state=0)
    >>> net = FineTuningClassifier(
    ...     max_epochs=5, train_split=TargetValidSplit(0.25), random_state=0,
    ...     callbacks=[EarlyStopping(patience=3)])
    >>> history = net.fit(X, y, sample_domain=sd).history
    >>> "valid_loss" in history[-1] and "valid_acc" in history[-1]
    True
    """

    def __init__(self, valid_size=0.2, *, stratified=True, random_state=None):
        self.valid_size = valid_size
        self.stratified = stratified
        self.random_state = random_state

    def __call__(self, dataset, y=None, groups=None):
        """Split skorch's dataset of a training stage.

        Parameters
        ----------
        dataset : skorch.dataset.Dataset
            Its ``X`` is the dict of rows and their domains; its ``y`` the
            encoded labels, ``-1`` on unlabeled rows (a regressor's targets,
            ``nan`` on unlabeled rows).
        y, groups : ignored
            skorch passes them to every split.

        Returns
        -------
        dataset_train, dataset_valid : skorch.dataset.Dataset
        """
        if isinstance(self.valid_size, bool) or not (
            isinstance(self.valid_size, Real) and 0 < self.valid_size < 1
        ):
            raise ValueError(
                f"valid_size must be a number in (0, 1), got {self.valid_size!r}."
            )
        X = getattr(dataset, "X", None)
        if not (isinstance(X, Mapping) and "sample_domain" in X):
            raise TypeError(
                "TargetValidSplit splits the training data of sktransfer's deep "
                "estimators (rows with their domains); got "
                f"{type(dataset).__name__}."
            )
        codes = np.asarray(dataset.y)
        if codes.dtype.kind == "f":  # a regressor's targets, nan if unlabeled
            missing = np.isnan(codes.reshape(len(codes), -1))
            labeled = ~missing.any(axis=1)
        else:
            labeled = codes >= 0
        pool = np.flatnonzero(labeled & (np.asarray(X["sample_domain"]) < 0))
        if pool.size == 0:
            pool = np.flatnonzero(labeled)
        n_valid = max(1, round(self.valid_size * pool.size))
        if n_valid >= pool.size:
            raise ValueError(
                f"TargetValidSplit cannot hold out {n_valid} of {pool.size} labeled "
                "rows and keep some to train on; label more rows or pass "
                "train_split=None."
            )
        valid = self._draw(pool, codes[pool], n_valid)
        train = np.setdiff1d(np.arange(len(codes)), valid)
        return self._subset(dataset, train), self._subset(dataset, valid)

    def _draw(self, pool, codes, n_valid):
        if self.random_state is None:
            seed = int(torch.randint(np.iinfo(np.int32).max, ()).item())
        else:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if self.stratified and codes.dtype.kind != "f":
            try:
                _, valid = train_test_split(
                    pool, test_size=n_valid, stratify=codes, random_state=seed
                )
                return np.sort(valid)
            except ValueError:  # a class with one row, or fewer rows than classes
                pass
        _, valid = train_test_split(pool, test_size=n_valid, random_state=seed)
        return np.sort(valid)

    @staticmethod
    def _subset(dataset, rows):
        X = {key: value[rows] for key, value in dataset.X.items()}
        return Dataset(X, np.asarray(dataset.y)[rows])

    def __repr__(self):
        return (
            f"{type(self).__name__}(valid_size={self.valid_size!r}, "
            f"stratified={self.stratified!r}, random_state={self.random_state!r})"
        )
