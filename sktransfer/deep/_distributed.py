"""Data-parallel training of the deep estimators on several devices.

:func:`fit_distributed` trains one of sktransfer's skorch nets in ``N``
processes, one device each, with torch's ``DistributedDataParallel``
(DDP). Every rank draws the same batches (the same seed, the same batch
sampler) and computes on its shard of each: the rows of the batch dealt
out in turn, domain by domain, so that every shard keeps the batch's share
of source and target rows. DDP averages the gradients in the backward pass;
each shard's loss is weighted by its share of the batch's rows, so that the
average is the gradient of the whole batch. ``batch_size`` stays the batch
of one optimizer step, whatever ``N``: the learning rate and the schedules
(which count steps) need no change.

The hooks, on a subclass made in each rank of the estimator's own class
(so that nothing of the estimator changes, its ``module_`` included):

* ``_batch_sampler``: the training batches of the estimator, cut into the
  rank's shard (:class:`_RankShards`);
* ``infer``: a training forward pass runs through DDP, which wraps every
  module of the net (``module_``, DANN's ``domain_classifier_``, ...) and
  is built again whenever the trainable parameters change (a new head,
  frozen or unfrozen layers);
* ``get_loss``: the shard's weight; auxiliary modules take part with a zero
  term, so that each gets a gradient on every rank;
* ``train_step_single``: the step's randomness (dropout, augmentation) from
  a seed of its own per rank and step, so that the global generator, which
  draws the batches, stays the same on every rank; the loss reported is the
  mean over ranks;
* ``notify`` and ``run_single_epoch``: an epoch ends on every rank alike
  (early stopping stops all ranks when one stops; rank 0's buffers, batch
  norm statistics, are copied to the others before validation).
"""

import copy
import datetime
import inspect
import numbers
import os
import pickle
import sys
import tempfile
import traceback
import warnings
from collections.abc import Mapping
from functools import cache

import numpy as np
import torch
from sklearn import config_context, get_config
from sklearn.utils import check_random_state
from torch.utils.data import DataLoader

from ._base import _BatchIterator, _DomainNet, resolve_device

__all__ = ["fit_distributed"]

_BACKENDS = ("auto", "gloo", "nccl")


def _dist():
    import torch.distributed as dist

    return dist


# --- the rank's batches ----------------------------------------------------------


class _RankShards:
    """Batch sampler: this rank's shard of each batch of ``batches``.

    Every rank iterates the same ``batches`` (same seed, same draws). The
    rows of a batch, ordered by domain, are dealt out to the ranks in turn,
    so that each shard holds its share of every domain (within one row); a
    shard keeps the rows in batch order. A batch of fewer than two rows per
    rank is computed whole by every rank. ``weights`` holds, for the batches
    of the current pass, the weight of this rank's loss, ``world_size``
    times its share of the batch's rows (1 for a batch computed whole), so
    that the mean of the ranks' gradients is the gradient of the batch; and
    the number of rows of the batch.
    """

    def __init__(self, batches, sample_domain, rank, world_size, as_lists):
        self.batches = batches
        self.sample_domain = torch.as_tensor(np.asarray(sample_domain))
        self.rank = rank
        self.world_size = world_size
        self.as_lists = as_lists
        self.weights = []

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        # drawn whole at the first batch, so that the weights are known when
        # the batches, possibly prefetched by a DataLoader, come; and lazily,
        # as the samplers draw, since a DataLoader with workers makes an
        # iterator it never uses
        yield from self._draw()

    def _draw(self):
        shards, weights = [], []
        for index in self.batches:
            index = torch.as_tensor(index, dtype=torch.int64)
            n_rows = len(index)
            if n_rows < 2 * self.world_size:
                shard, weight = index, 1.0
            else:
                order = torch.argsort(self.sample_domain[index], stable=True)
                positions = order[self.rank :: self.world_size].sort().values
                shard = index[positions]
                weight = self.world_size * len(shard) / n_rows
            shards.append(shard.tolist() if self.as_lists else shard)
            weights.append((weight, n_rows))
        self.weights = weights
        return shards


class _ShardIterator:
    """The training iterator; sets the weight of each batch as it comes."""

    def __init__(self, iterator, shards, state):
        self.iterator = iterator
        self.shards = shards
        self.state = state

    def __len__(self):
        return len(self.iterator)

    def __iter__(self):
        for index, batch in enumerate(self.iterator):
            self.state.weight, self.state.batch_rows = self.shards.weights[index]
            yield batch


class _Forward(torch.nn.Module):
    """What DDP wraps: every module of the net, and its training forward pass."""

    def __init__(self, infer, modules):
        super().__init__()
        self.parts = torch.nn.ModuleList(modules)
        self.infer = infer

    def forward(self, x, **fit_params):
        return self.infer(x, **fit_params)


class _RankState:
    """What a rank knows: its place, its device, its DDP wrapper."""

    def __init__(self, rank, world_size, device, control_device, seed, step_seed):
        self.rank = rank
        self.world_size = world_size
        self.device = torch.device(device)
        self.control_device = torch.device(control_device)  # for our collectives
        self.seed = seed  # the estimator's random_state in the rank
        self.step_base = step_seed  # an int, whence the steps' seeds
        self.ddp = None
        self.key = None
        self.auxiliary = []
        self.weight = 1.0
        self.batch_rows = None
        self.step = 0

    def modules(self, net):
        names = [*net._modules, *net._criteria]
        found = [getattr(net, name + "_", None) for name in names]
        return [m for m in found if isinstance(m, torch.nn.Module)]

    def wrapper(self, net, infer):
        """The DDP wrapper of the net's modules, built anew when they change."""
        modules = self.modules(net)
        trainable = {
            id(p): p for m in modules for p in m.parameters() if p.requires_grad
        }
        key = (tuple(id(m) for m in modules), tuple(trainable))
        if key != self.key:
            self.key = key
            old, self.ddp = self.ddp, None
            if old is not None and hasattr(old, "_remove_autograd_hooks"):
                old._remove_autograd_hooks()
            if trainable:
                # the construction broadcasts rank 0's parameters and buffers
                self.ddp = torch.nn.parallel.DistributedDataParallel(
                    _Forward(infer, modules), device_ids=None
                )
            main = {id(p) for p in net.module_.parameters()}
            self.auxiliary = [p for i, p in trainable.items() if i not in main]
        return self.ddp

    def step_seed(self):
        self.step += 1
        base = self.step_base * 1_000_003
        return (base + self.step * self.world_size + self.rank) % (2**63 - 1)

    def all_reduce(self, value):
        """The sum of ``value`` over the ranks, a float64 tensor."""
        tensor = torch.as_tensor(value, dtype=torch.float64).to(self.control_device)
        tensor = tensor.clone()
        _dist().all_reduce(tensor)
        return tensor

    def sync_buffers(self, net):
        dist = _dist()
        for module in self.modules(net):
            for buffer in module.buffers():
                if buffer.device.type == "cpu" or self.control_device.type != "cpu":
                    dist.broadcast(buffer, src=0)
                else:  # gloo with CUDA tensors: through the host
                    host = buffer.cpu()
                    dist.broadcast(host, src=0)
                    buffer.copy_(host)


class _DataParallelMixin:
    """The hooks of a rank; put first among the bases of the net's class."""

    def _batch_sampler(self, sample_domain, batch_size, shuffle, training, as_lists):
        batches = super()._batch_sampler(
            sample_domain, batch_size, shuffle, training, as_lists
        )
        if not training:
            return batches  # validation: every rank scores every row
        state = self._data_parallel_
        return _RankShards(
            batches, sample_domain, state.rank, state.world_size, as_lists
        )

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        if not training:
            return iterator
        if isinstance(iterator, _BatchIterator):
            shards = iterator.batches
        else:
            shards = getattr(iterator, "batch_sampler", None)
        if not isinstance(shards, _RankShards):
            raise ValueError(
                "fit_distributed splits the training batches that "
                f"{type(self).__name__} draws itself, but skorch draws these: "
                "keep iterator_train=DataLoader, pass a torch Dataset for loader "
                "options such as iterator_train__num_workers (on arrays they hand "
                "the batches to skorch), and validate with "
                "sktransfer.deep.TargetValidSplit (skorch's ValidSplit gives "
                "datasets the net does not batch itself)."
            )
        return _ShardIterator(iterator, shards, self._data_parallel_)

    def run_epochs(self, X_domains, y_encoded, epochs=None, **fit_params):
        self._data_parallel_.key = None  # each training run starts from rank 0's
        return super().run_epochs(X_domains, y_encoded, epochs=epochs, **fit_params)

    def infer(self, x, **fit_params):
        if not (
            isinstance(x, Mapping) and self.module_.training and torch.is_grad_enabled()
        ):
            return super().infer(x, **fit_params)
        ddp = self._data_parallel_.wrapper(self, super().infer)
        if ddp is None:  # nothing trains
            return super().infer(x, **fit_params)
        return ddp(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if not training:
            return loss
        state = self._data_parallel_
        loss = loss * state.weight
        if state.auxiliary:
            # a module the loss may skip on a rank's shard (DANN's domain
            # classifier on a shard of one domain) still gets a gradient,
            # zero, so that DDP's reduction sees every parameter
            loss = loss + 0.0 * sum(p.reshape(-1)[0] for p in state.auxiliary)
        return loss

    def train_step_single(self, batch, **fit_params):
        state = self._data_parallel_
        devices = [state.device.index or 0] if state.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(state.step_seed())
            step = super().train_step_single(batch, **fit_params)
        loss = state.all_reduce(step["loss"].detach()) / state.world_size
        return {**step, "loss": loss.to(step["loss"].device, torch.float32)}

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        if training:
            self._data_parallel_.sync_buffers(self)

    def notify(self, method_name, **cb_kwargs):
        if method_name == "on_batch_end" and cb_kwargs.get("training"):
            # the history counts the rows of the batch, not of the shard, so
            # that an epoch's train_loss weighs the batches as in one process
            self.history.record_batch(
                "train_batch_size", self._data_parallel_.batch_rows
            )
        if method_name != "on_epoch_end":
            return super().notify(method_name, **cb_kwargs)
        stop = False
        try:
            super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:  # how skorch's EarlyStopping stops
            stop = True
        if float(self._data_parallel_.all_reduce(float(stop))) > 0:
            raise KeyboardInterrupt


@cache
def _data_parallel_class(cls):
    namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    return type(cls)(cls.__name__, (_DataParallelMixin, cls), namespace)


def _fingerprint(net, state):
    total = torch.zeros(2, dtype=torch.float64, device=state.control_device)
    for module in state.modules(net):
        for tensor in [*module.parameters(), *module.buffers()]:
            if tensor.is_floating_point():
                values = tensor.detach().to(state.control_device, torch.float64)
                total[0] += values.sum()
                total[1] += (values * values).sum()
    return total


def _fit_rank(net, X, y, sample_domain, fit_params, state):
    """Train ``net`` as one rank of the process group; restore its class after."""
    dist = _dist()
    cls = type(net)
    requested, random_state = vars(net)["device"], net.random_state
    vars(net)["device"] = str(state.device)
    net.random_state = state.seed
    net.__class__ = _data_parallel_class(cls)
    vars(net)["_data_parallel_"] = state
    try:
        net.fit(X, y, sample_domain=sample_domain, **fit_params)
        prints = [torch.zeros(2, dtype=torch.float64, device=state.control_device)]
        prints *= state.world_size
        prints = [p.clone() for p in prints]
        dist.all_gather(prints, _fingerprint(net, state))
        if not all(torch.allclose(p, prints[0], rtol=1e-6) for p in prints):
            warnings.warn(
                f"fit_distributed: the {state.world_size} ranks of "
                f"{cls.__name__} ended with different weights (a module that "
                "changes its parameters outside the optimizer step?); the "
                "estimator returned holds those of rank 0.",
                RuntimeWarning,
                stacklevel=2,
            )
    finally:
        net.__class__ = cls
        vars(net).pop("_data_parallel_", None)
        vars(net)["device"] = requested
        net.random_state = random_state
    return net


# --- the processes ---------------------------------------------------------------


class _RemoteTraceback(Exception):
    """The traceback of an error raised in a training process."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return self.text


def _worker(rank, job):
    """One training process: join the group, train, send rank 0's net back."""
    dist = _dist()
    folder = job["folder"]
    try:
        device = job["devices"][rank]
        if device.startswith("cuda"):
            torch.cuda.set_device(torch.device(device))
        else:
            torch.set_num_threads(job["threads"])
        if rank > 0:  # one copy of the log and of the warnings: rank 0's
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            warnings.simplefilter("ignore")
        options = {}
        if (
            job["backend"] == "nccl"
            and "device_id" in inspect.signature(dist.init_process_group).parameters
        ):  # NCCL then knows the rank's GPU (barrier, eager init)
            options["device_id"] = torch.device(device)
        dist.init_process_group(
            job["backend"],
            init_method="file://" + os.path.join(folder, "rendezvous"),
            rank=rank,
            world_size=job["world_size"],
            timeout=datetime.timedelta(seconds=job["timeout"]),
            **options,
        )
        control = device if job["backend"] == "nccl" else "cpu"
        state = _RankState(
            rank, job["world_size"], device, control, job["seed"], job["step_seed"]
        )
        with (
            warnings.catch_warnings(record=True) as caught,
            config_context(**job["sklearn_config"]),
        ):
            if rank == 0:
                warnings.simplefilter("always")
            net = _fit_rank(
                job["estimator"],
                job["X"],
                job["y"],
                job["sample_domain"],
                job["fit_params"],
                state,
            )
        if rank == 0:
            seen, sent = set(), []
            for w in caught:
                key = (w.category, str(w.message))
                if key not in seen:
                    seen.add(key)
                    sent.append((str(w.message), w.category, w.filename, w.lineno))
            with open(os.path.join(folder, "result.pkl"), "wb") as f:
                pickle.dump({"net": net, "warnings": sent}, f)
        dist.barrier()
        dist.destroy_process_group()
    except BaseException as exc:
        text = traceback.format_exc()
        try:
            payload = pickle.dumps((exc, text))
        except Exception:  # an exception that does not pickle: its text
            payload = pickle.dumps((RuntimeError(f"{type(exc).__name__}: {exc}"), text))
        with open(os.path.join(folder, f"error-{rank}.pkl"), "wb") as f:
            f.write(payload)
        raise


def _start_method(cuda):
    """How the training processes start: fresh processes, never a fork of this one.

    On CUDA, spawned (each imports torch; nothing CUDA touched survives a
    fork). On the CPU, forked from a fork server where the platform has
    one: the server imports this module once, torch and sktransfer with it
    (and ``torch._dynamo``, which the first optimizer imports), and forks
    the processes of every later call, which then start in a fraction of a
    second instead of importing torch each.
    """
    import multiprocessing
    from multiprocessing import forkserver

    if cuda or "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    server = getattr(forkserver, "_forkserver", None)
    preload = list(getattr(server, "_preload_modules", None) or ["__main__"])
    wanted = [name for name in (__name__, "torch._dynamo") if name not in preload]
    if wanted:  # no effect once the server runs
        multiprocessing.get_context("forkserver").set_forkserver_preload(
            [*preload, *wanted]
        )
    return "forkserver"


def _raise_from_ranks(folder, n_processes, exc):
    """Raise the error of the rank that failed, its traceback as the cause.

    The rank whose error is not a failure of the process group itself (the
    others fail in a collective when it is gone), the one that
    ``start_processes`` saw fail first among those.
    """
    first = getattr(exc, "error_index", 0)
    errors = []
    for rank in [first, *(r for r in range(n_processes) if r != first)]:
        path = os.path.join(folder, f"error-{rank}.pkl")
        if os.path.exists(path):
            with open(path, "rb") as f:
                errors.append((rank, *pickle.load(f)))
    group_error = getattr(_dist(), "DistError", ())
    errors.sort(key=lambda item: isinstance(item[1], group_error))
    if not errors:
        raise RuntimeError(f"fit_distributed: a training process failed: {exc}")
    rank, error, text = errors[0]
    raise error from _RemoteTraceback(f"\n(in training process {rank})\n{text}")


# --- checks ----------------------------------------------------------------------


def _check_estimator(estimator):
    if isinstance(estimator, type):
        raise TypeError(
            f"fit_distributed takes an estimator instance, got the class "
            f"{estimator.__name__}; pass {estimator.__name__}(...)."
        )
    if not isinstance(estimator, _DomainNet):
        raise TypeError(
            "fit_distributed trains sktransfer's deep estimators (the skorch nets "
            "of sktransfer.deep, such as DANNClassifier or FineTuningClassifier), "
            f"got {type(estimator).__name__}. In a pipeline, fit the steps "
            "before the net first and pass the net itself."
        )
    if estimator.iterator_train is not DataLoader:
        raise ValueError(
            "fit_distributed splits the training batches the deep estimators draw "
            "themselves, which needs iterator_train=DataLoader (the default), got "
            f"{estimator.iterator_train!r}."
        )


def _check_options(n_processes, backend, timeout):
    dist = _dist()
    if not dist.is_available():
        raise RuntimeError(
            "fit_distributed needs torch.distributed, which this torch build lacks."
        )
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise ValueError(
            f"backend must be one of {list(_BACKENDS)}, got {backend!r}: 'gloo' "
            "computes on CPUs (and GPUs), 'nccl' on CUDA GPUs, 'auto' takes nccl "
            "on CUDA and gloo elsewhere."
        )
    if n_processes is not None and (
        isinstance(n_processes, bool)
        or not isinstance(n_processes, numbers.Integral)
        or n_processes < 1
    ):
        raise ValueError(
            f"n_processes must be a positive int or None, got {n_processes!r}."
        )
    if isinstance(timeout, bool) or not (
        isinstance(timeout, numbers.Real) and timeout > 0
    ):
        raise ValueError(
            f"timeout must be a positive number of seconds, got {timeout!r}."
        )


def _check_devices(estimator, n_processes, backend):
    dist = _dist()
    device = resolve_device(vars(estimator)["device"])
    kind = torch.device(device or "cpu").type
    if kind == "cuda":
        n_gpus = torch.cuda.device_count()
        n_processes = n_gpus if n_processes is None else int(n_processes)
        if n_processes > n_gpus:
            raise ValueError(
                f"n_processes={n_processes}, but torch sees {n_gpus} CUDA "
                "device(s): fit_distributed runs one process per GPU. Lower "
                "n_processes, or train on the CPU with device='cpu'."
            )
        devices = [f"cuda:{rank}" for rank in range(n_processes)]
        if backend == "auto":
            backend = "nccl" if dist.is_nccl_available() else "gloo"
    elif kind == "cpu":
        n_processes = 2 if n_processes is None else int(n_processes)
        devices = ["cpu"] * n_processes
        if backend == "nccl":
            raise ValueError(
                "backend='nccl' runs on CUDA GPUs, but the estimator computes on "
                f"the CPU (device={vars(estimator)['device']!r}); use "
                "backend='gloo' (or 'auto'), or device='cuda'."
            )
        backend = "gloo" if backend == "auto" else backend
    else:
        raise ValueError(
            f"fit_distributed trains on CPUs or CUDA GPUs; the estimator computes "
            f"on {device!r}, which torch's process groups do not serve."
        )
    if backend == "nccl" and not dist.is_nccl_available():
        raise ValueError(
            "backend='nccl', but this torch build has no NCCL; use backend='gloo'."
        )
    if backend == "gloo" and not dist.is_gloo_available():
        raise ValueError("backend='gloo', but this torch build has no Gloo.")
    return n_processes, backend, devices


# --- the public function ---------------------------------------------------------


def fit_distributed(
    estimator,
    X,
    y=None,
    *,
    sample_domain=None,
    n_processes=None,
    backend="auto",
    timeout=1800,
    **fit_params,
):
    """Fit a deep estimator data-parallel, in one process per device.

    Trains ``estimator`` (any of sktransfer's skorch nets: DANN, Deep CORAL,
    fine-tuning, ...) in ``n_processes`` processes started with
    ``torch.multiprocessing`` (a fork server, or spawn where there is
    none), one device each, with torch's
    ``DistributedDataParallel``: every process draws the same batches and
    computes on its shard of each (dealt out domain by domain, so that each
    shard keeps the batch's share of source and target rows); the gradients
    are averaged across the processes in the backward pass, each weighted
    by its shard's share of the rows, and every process takes the same
    optimizer step. The estimator is fitted in place, with the weights of
    rank 0 (those of every rank), as ``estimator.fit`` would return it:
    it predicts, scores and pickles in the calling process.

    ``batch_size`` is the batch of one optimizer step, whatever the number
    of processes (each computes on ``batch_size / n_processes`` rows): the
    learning rate and the schedules need no change. With no randomness in
    the training step (no dropout, no augmentation) and a loss averaged
    over the rows of the batch, the weights are those of ``estimator.fit``
    in one process, up to floating-point rounding. Losses on batch
    statistics (MMD, CORAL, batch norm, BSS) see the rank's shard, as under
    any data-parallel training; a loss averaged over some of the rows (the
    labeled ones) weights them slightly differently when the shards'
    shares of those rows differ. Dropout and augmentation draw from a
    stream of their own in each process.

    Parameters
    ----------
    estimator : DomainNetClassifier or DomainNetRegressor
        A deep estimator of :mod:`sktransfer.deep` (a subclass of either),
        fitted or not.
    X : array-like of shape (n_samples, ...) or torch Dataset
        Rows of all domains, as for ``estimator.fit``. Every process gets
        a copy: for data that would not fit several times in memory, pass
        a Dataset read lazily (e.g. :class:`~sktransfer.deep.ImageFolder`);
        each process then reads only the rows of its shards.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), or None
        Labels (``-1``, or ``nan`` for a regressor, on unlabeled target
        rows), as for ``estimator.fit``.
    sample_domain : array-like of shape (n_samples,), default=None
        Positive on source rows, negative on target rows; ``None`` means
        every row is a source row.
    n_processes : int or None, default=None
        Number of processes (ranks). ``None`` means one per visible CUDA
        device when the estimator computes on CUDA, else 2. On CUDA, rank
        ``r`` computes on ``cuda:r`` (choose the GPUs with
        ``CUDA_VISIBLE_DEVICES``); on the CPU every rank uses
        ``torch.get_num_threads() // n_processes`` threads. ``1`` fits the
        estimator in this process (``estimator.fit``). In a process of a
        process group already made (launched by ``torchrun``), ``None``:
        the group's size.
    backend : {"auto", "gloo", "nccl"}, default="auto"
        torch's process-group backend: ``"nccl"`` for CUDA GPUs, ``"gloo"``
        for CPUs (it also serves GPUs, more slowly); ``"auto"`` takes NCCL
        on CUDA and Gloo on the CPU. The device is the estimator's
        ``device`` (``"auto"``: CUDA when torch sees it).
    timeout : float, default=1800
        Seconds a process waits for the others in a collective before it
        fails (torch's default).
    **fit_params : dict
        Passed to ``estimator.fit``.

    Returns
    -------
    estimator : object
        The estimator passed, fitted; its ``device_`` is rank 0's device
        (the CPU, or ``cuda:0``).

    Raises
    ------
    TypeError
        If ``estimator`` is not a deep estimator of sktransfer (an instance).
    ValueError
        If ``n_processes`` is not a positive int, ``backend`` is unknown or
        does not serve the device, there are fewer GPUs than processes, or
        the estimator's iterator is not the one it draws batches with.
        An error raised in a training process (a ``ValueError`` on bad
        data, :class:`~sktransfer.deep.NonFiniteLossError`) is raised
        again here, its traceback as the cause; the warnings of rank 0 are
        issued here too.

    Notes
    -----
    The processes are fresh ones (CUDA-safe): forked from a fork server
    where the platform has one (Linux, macOS), spawned elsewhere. Either
    runs the script's main module in a new process, so that in a script the
    call must sit under ``if __name__ == "__main__":``; a ``module`` class
    of your own must be importable there (defined at the top level of a
    module or of the script, not in an interactive session). The first
    call imports torch in the fork server (a few seconds; with spawn,
    every call imports it in every process): data-parallel training pays
    off for networks and data sets large enough that an epoch takes much
    longer; on the CPU, torch already spreads one process over the cores.

    Called in every process of a process group already made (a script
    launched by ``torchrun --nproc_per_node=N``, which calls
    ``torch.distributed.init_process_group``), it starts no process: each
    trains as its rank of the group (on ``cuda:LOCAL_RANK`` on CUDA), and
    the estimator comes back fitted in every one. That is the way to train
    on several machines.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DANNClassifier, fit_distributed
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = DANNClassifier(max_epochs=2, random_state=0, device="cpu")
    >>> net = fit_distributed(
    ...     net, X, hide_target_labels(y, sd), sample_domain=sd, n_processes=2
    ... )
    >>> net.predict(X[:3]).shape
    (3,)
    """
    _check_estimator(estimator)
    _check_options(n_processes, backend, timeout)
    if _dist().is_initialized():  # launched by torchrun: this process is a rank
        return _fit_in_group(
            estimator, X, y, sample_domain, n_processes, backend, fit_params
        )
    n_processes, backend, devices = _check_devices(estimator, n_processes, backend)
    if n_processes == 1:
        return estimator.fit(X, y, sample_domain=sample_domain, **fit_params)
    seed, step_seed = _seeds(estimator.random_state)
    with tempfile.TemporaryDirectory(prefix="sktransfer-ddp-") as folder:
        job = {
            "folder": folder,
            "estimator": estimator,
            "X": X,
            "y": y,
            "sample_domain": sample_domain,
            "fit_params": fit_params,
            "world_size": n_processes,
            "backend": backend,
            "devices": devices,
            "seed": seed,
            "step_seed": step_seed,
            "threads": max(1, torch.get_num_threads() // n_processes),
            "timeout": float(timeout),
            "sklearn_config": get_config(),
        }
        from torch import multiprocessing as mp

        try:
            mp.start_processes(
                _worker,
                args=(job,),
                nprocs=n_processes,
                join=True,
                start_method=_start_method(devices[0].startswith("cuda")),
            )
        except (mp.ProcessRaisedException, mp.ProcessExitedException) as exc:
            _raise_from_ranks(folder, n_processes, exc)
        with open(os.path.join(folder, "result.pkl"), "rb") as f:
            result = pickle.load(f)
    _take_fitted_state(estimator, result["net"])
    for message, category, filename, lineno in result["warnings"]:
        warnings.warn_explicit(message, category, filename, lineno)
    return estimator


def _seeds(random_state, draw=None):
    """The ranks' ``random_state`` (``None`` drawn once for all) and the int
    whence the seeds of their training steps."""
    seed = random_state
    if seed is None:  # the ranks must draw the same batches
        seed = int(check_random_state(None).randint(np.iinfo(np.int32).max))
        seed = seed if draw is None else draw(seed)
    if isinstance(seed, numbers.Integral):
        return seed, int(seed)
    # a RandomState: drawn from a copy, which the ranks' fits do not see
    return seed, int(copy.deepcopy(seed).randint(np.iinfo(np.int32).max))


def _fit_in_group(estimator, X, y, sample_domain, n_processes, backend, fit_params):
    """Train as this process's rank of the process group already there."""
    dist = _dist()
    rank, world_size = dist.get_rank(), dist.get_world_size()
    group_backend = str(dist.get_backend()).lower()
    if n_processes not in (None, world_size):
        raise ValueError(
            f"n_processes={n_processes}, but this process belongs to a process "
            f"group of {world_size} (torchrun's): leave n_processes=None."
        )
    if backend not in ("auto", group_backend):
        raise ValueError(
            f"backend={backend!r}, but the process group runs {group_backend!r}: "
            "leave backend='auto'."
        )
    device = resolve_device(vars(estimator)["device"])
    kind = torch.device(device or "cpu").type
    if kind == "cuda":
        local = os.environ.get("LOCAL_RANK")
        index = int(local) if local is not None else torch.cuda.current_device()
        device = f"cuda:{index}"
        torch.cuda.set_device(index)
    elif kind == "cpu":
        device = "cpu"
    else:
        raise ValueError(
            f"fit_distributed trains on CPUs or CUDA GPUs; the estimator computes "
            f"on {device!r}, which torch's process groups do not serve."
        )
    control = device if group_backend == "nccl" else "cpu"

    def from_rank_0(value):
        tensor = torch.tensor([value], dtype=torch.int64, device=control)
        dist.broadcast(tensor, src=0)
        return int(tensor.item())

    seed, step_seed = _seeds(estimator.random_state, draw=from_rank_0)
    state = _RankState(rank, world_size, device, control, seed, step_seed)
    return _fit_rank(estimator, X, y, sample_domain, fit_params, state)


def _take_fitted_state(estimator, fitted):
    """Move the fitted state of ``fitted`` into ``estimator``; keep its
    hyperparameters (skorch's registry of modules is fitted state too)."""
    state = vars(estimator)
    for key in [k for k in state if k.endswith("_")]:
        del state[key]
    for key, value in vars(fitted).items():
        if key.endswith("_") or key in ("_modules", "_criteria", "_optimizers"):
            state[key] = value
