"""Schedules and regularizers of fine-tuning.

:class:`WarmupCosine` is a skorch callback; :func:`l2sp_penalty` and
:func:`batch_spectral_shrinkage` are the penalties that
:class:`~sktransfer.deep.FineTuningClassifier` adds to its loss with
``l2sp_alpha``, ``l2sp_beta`` and ``bss_weight``.
"""

import math
from numbers import Integral, Real

import torch
from skorch.callbacks import Callback

__all__ = ["WarmupCosine", "batch_spectral_shrinkage", "l2sp_penalty"]


class WarmupCosine(Callback):
    """Linear warm-up, then cosine decay of every param group's learning rate.

    Batch by batch, each param group's learning rate is its base rate (the
    one the optimizer has when a training run starts: with
    :class:`~sktransfer.deep.FineTuningClassifier`, ``lr`` or its
    transferred and layer-wise fractions) times a factor that rises
    linearly over the first ``warmup_epochs`` epochs, from
    ``1 / (n_warmup + 1)`` to 1 (``n_warmup``: the warm-up batches), then
    follows half a cosine down to ``min_lr_ratio`` at the end of the run.
    Per batch rather than per epoch, as fine-tuning runs few epochs.

    The schedule restarts with each training run: each stage of
    :class:`~sktransfer.deep.FineTuningClassifier` (and each of the linear
    probe and the fine-tuning of ``linear_probe_epochs``), over the epochs
    of that stage (its ``stage_epochs_``; ``max_epochs`` for another net).
    Early stopping just cuts it short. The base rates are set back at the
    end of the run. The mean factor of each epoch's batches is recorded in
    the history as ``"lr_factor"``, and the mean rate of the group with the
    largest base rate as ``"lr"``. Tune it by grid search as
    ``callbacks__schedule__warmup_epochs`` when registered under the name
    ``"schedule"``.

    Parameters
    ----------
    warmup_epochs : float, default=1
        Epochs of linear warm-up (a fraction is fine; 0 means none). At most
        the whole run.
    min_lr_ratio : float, default=0.0
        Final learning rate relative to the base rate, in [0, 1].

    Attributes
    ----------
    base_lrs_ : list of float
        The base learning rates of the param groups in the current run.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "SGDR: Stochastic gradient descent
       with warm restarts", ICLR 2017.
    .. [2] P. Goyal et al., "Accurate, large minibatch SGD: training
       ImageNet in 1 hour", arXiv:1706.02677, 2017 (warm-up).

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import FineTuningClassifier, WarmupCosine
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = FineTuningClassifier(
    ...     max_epochs=4, random_state=0, device="cpu",
    ...     callbacks=[("schedule", WarmupCosine(warmup_epochs=1))])
    >>> factors = net.fit(X, y).history[:, "lr_factor"]
    >>> factors[0] < 1 and factors[-1] < 0.2
    True
    """

    def __init__(self, warmup_epochs=1, min_lr_ratio=0.0):
        self.warmup_epochs = warmup_epochs
        self.min_lr_ratio = min_lr_ratio

    def initialize(self):
        if isinstance(self.warmup_epochs, bool) or not (
            isinstance(self.warmup_epochs, Real) and self.warmup_epochs >= 0
        ):
            raise ValueError(
                "warmup_epochs must be a non-negative number, got "
                f"{self.warmup_epochs!r}."
            )
        if isinstance(self.min_lr_ratio, bool) or not (
            isinstance(self.min_lr_ratio, Real) and 0 <= self.min_lr_ratio <= 1
        ):
            raise ValueError(
                f"min_lr_ratio must be a number in [0, 1], got {self.min_lr_ratio!r}."
            )
        return super().initialize()

    @staticmethod
    def _run_epochs(net):
        epochs = getattr(net, "stage_epochs_", None)
        return net.max_epochs if epochs is None else epochs

    def on_train_begin(self, net, **kwargs):
        self.optimizer_id_ = id(net.optimizer_)
        self.base_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]
        self.first_epoch_ = len(net.history)
        self.epochs_ = max(int(self._run_epochs(net)), 1)
        self.batches_per_epoch_ = 1
        self.batch_ = 0

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        batch_size = net.get_params_for("iterator_train").get(
            "batch_size", net.batch_size
        )
        n_rows = len(dataset_train) if dataset_train is not None else 1
        if batch_size is None or batch_size <= 0:
            batch_size = max(n_rows, 1)
        self.batches_per_epoch_ = max(math.ceil(n_rows / batch_size), 1)
        self.batch_ = 0
        self.factor_sum_ = 0.0

    def factor(self, step, total, warmup):
        """The learning-rate factor of batch ``step`` of ``total``.

        Parameters
        ----------
        step : int
            Index of the batch in the run, from 0.
        total : int
            Batches in the run.
        warmup : int
            Warm-up batches.

        Returns
        -------
        factor : float
        """
        if step < warmup:
            return (step + 1) / (warmup + 1)
        span = max(total - warmup, 1)
        progress = min((step - warmup) / span, 1.0)
        return self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (
            1 + math.cos(math.pi * progress)
        )

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training:
            return
        if id(net.optimizer_) != self.optimizer_id_:  # re-initialised in the run
            self.optimizer_id_ = id(net.optimizer_)
            self.base_lrs_ = [group["lr"] for group in net.optimizer_.param_groups]
        epoch = len(net.history) - 1 - self.first_epoch_
        total = self.epochs_ * self.batches_per_epoch_
        warmup = min(round(self.warmup_epochs * self.batches_per_epoch_), total)
        step = epoch * self.batches_per_epoch_ + self.batch_
        factor = self.factor(step, total, warmup)
        for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = base * factor
        self.batch_ += 1
        self.factor_sum_ += factor

    def on_epoch_end(self, net, **kwargs):
        factor = self.factor_sum_ / self.batch_ if self.batch_ else 1.0
        net.history.record("lr_factor", factor)
        net.history.record("lr", max(self.base_lrs_, default=0.0) * factor)

    def on_train_end(self, net, **kwargs):
        if id(net.optimizer_) == self.optimizer_id_:
            for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
                group["lr"] = base


def l2sp_penalty(named_params, reference, alpha, beta=0.0):
    """The L2-SP penalty: stay near the starting point, shrink the new weights.

    ``alpha / 2 * sum ||w - w0||^2`` over the parameters named in
    ``reference`` (the transferred ones, ``w0`` their starting values) plus
    ``beta / 2 * sum ||w||^2`` over the others (new ones, e.g. a new head),
    as in Li et al. (2018), whose values of ``alpha`` and ``beta`` carry
    over.

    Parameters
    ----------
    named_params : iterable of (str, torch.nn.Parameter)
        Trainable parameters.
    reference : dict of str to torch.Tensor
        Starting values of the transferred parameters.
    alpha, beta : float
        Weights of the two terms.

    Returns
    -------
    penalty : torch.Tensor
        A scalar.

    References
    ----------
    .. [1] X. Li, Y. Grandvalet and F. Davoine, "Explicit inductive bias for
       transfer learning with convolutional networks", ICML 2018.

    Examples
    --------
    >>> import torch
    >>> w, head = torch.ones(2), torch.ones(3)
    >>> float(l2sp_penalty([("w", w), ("head", head)], {"w": torch.zeros(2)}, 1.0, 2.0))
    4.0
    """
    near, new = [], []
    for name, param in named_params:
        if name in reference:
            if alpha:
                near.append(((param - reference[name]) ** 2).sum())
        elif beta:
            new.append((param**2).sum())
    penalty = torch.zeros(())
    if near:
        penalty = alpha / 2 * torch.stack(near).sum()
    if new:
        penalty = penalty.to(new[0].device) + beta / 2 * torch.stack(new).sum()
    return penalty


def batch_spectral_shrinkage(features, k=1):
    """Sum of the ``k`` smallest squared singular values of a batch's features.

    Batch spectral shrinkage (BSS, Chen et al., 2019): the feature matrix of
    a batch (rows, features) has ``min(rows, features)`` singular values;
    the directions of the smallest ones are those that fine-tuning on few
    rows learns from noise (negative transfer), so their squares are
    penalised. ``0`` when the batch has no more than ``k`` singular values.

    Parameters
    ----------
    features : torch.Tensor of shape (batch_size, ...)
        Flattened to (batch_size, n_features); computed in float32.
    k : int, default=1
        Number of smallest singular values.

    Returns
    -------
    penalty : torch.Tensor
        A scalar.

    References
    ----------
    .. [1] X. Chen, S. Wang, B. Fu, M. Long and J. Wang, "Catastrophic
       forgetting meets negative transfer: batch spectral shrinkage for safe
       transfer learning", NeurIPS 2019.

    Examples
    --------
    >>> import torch
    >>> float(batch_spectral_shrinkage(torch.diag(torch.tensor([3.0, 2.0, 1.0]))))
    1.0
    """
    if not (isinstance(k, Integral) and k >= 1):
        raise ValueError(f"k must be a positive int, got {k!r}.")
    matrix = features.reshape(len(features), -1).float()
    if min(matrix.shape) <= k:
        return matrix.sum() * 0.0
    singular = torch.linalg.svdvals(matrix)  # descending
    return (singular[-k:] ** 2).sum()
