"""Data-parallel training of the deep estimators: two CPU processes, Gloo.

Each distributed fit starts two processes (a few seconds each, importing
torch); the fits are shared between tests where they can be.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import (
    DANNClassifier,
    DomainNetClassifier,
    FineTuningClassifier,
    GradualUnfreezing,
    NonFiniteLossError,
    fit_distributed,
)
from sktransfer.deep._distributed import _RankShards
from sktransfer.utils import hide_target_labels


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _data():
    X, y, sd = make_domain_shift(96, 96, random_state=0)
    return X.astype(np.float32), y, sd


def _deterministic(cls, **params):
    """No randomness in the step: SGD, no dropout, a fixed seed."""
    params = {
        "optimizer": torch.optim.SGD,
        "lr": 0.05,
        "max_epochs": 3,
        "batch_size": 32,
        "random_state": 0,
        "device": "cpu",
        "module__hidden_units": (16,),
        **params,
    }
    return cls(**params)


def _weights(net):
    modules = [net.module_, getattr(net, "domain_classifier_", None)]
    return [
        p.detach().cpu().numpy()
        for m in modules
        if m is not None
        for p in m.state_dict().values()
    ]


def _assert_same_training(one, two):
    for a, b in zip(_weights(one), _weights(two), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        one.history[:, "train_loss"], two.history[:, "train_loss"], rtol=1e-5
    )


@pytest.fixture(scope="module")
def dann_fits():
    """DANN fitted in one process and in two, alike; 10 epochs to learn."""
    X, y, sd = _data()
    y_train = hide_target_labels(y, sd)
    params = {"max_epochs": 10, "domain_classifier__hidden_units": (8,)}
    one = _deterministic(DANNClassifier, **params)
    one.fit(X, y_train, sample_domain=sd)
    net = _deterministic(DANNClassifier, **params)
    two = fit_distributed(net, X, y_train, sample_domain=sd, n_processes=2)
    return one, two, net, (X, y, sd)


def test_two_ranks_train_dann_as_one_process(dann_fits):
    # each rank on half of every balanced batch (8 source + 8 target rows),
    # the gradients averaged: the weights of the full batch in one process
    one, two, net, _ = dann_fits
    assert two is net
    assert type(two) is DANNClassifier
    _assert_same_training(one, two)
    # hyperparameters untouched, fitted state as fit leaves it
    assert two.get_params()["device"] == "cpu"
    assert two.random_state == 0
    assert two.device_ == "cpu" and two.adapt_
    assert not hasattr(two, "_data_parallel_")


def test_two_ranks_weigh_ragged_shards_by_their_rows():
    # 90 rows in batches of 25: shards of 13 and 12 rows, and 8 and 7 in the
    # last batch; every row labeled (sample_domain=None, a plain network)
    X, y, _ = _data()
    X, y = X[:90], y[:90]
    one = _deterministic(DomainNetClassifier, batch_size=25).fit(X, y)
    two = fit_distributed(
        _deterministic(DomainNetClassifier, batch_size=25), X, y, n_processes=2
    )
    _assert_same_training(one, two)


def test_two_ranks_follow_freezing_and_unfreezing():
    # two stages, a layer frozen in the second, one more unfrozen every
    # epoch: the parameters that train change, DDP is built again
    X, y, sd = _data()
    y_train = hide_target_labels(y, sd, n_labeled=20, random_state=0)

    def net():
        return _deterministic(
            FineTuningClassifier,
            batch_size=16,
            freeze=1,
            module__hidden_units=(16, 8),
            callbacks=[("unfreeze", GradualUnfreezing())],
        )

    one = net().fit(X, y_train, sample_domain=sd)
    two = fit_distributed(net(), X, y_train, sample_domain=sd, n_processes=2)
    assert two.stages_ == ["source", "target"] == one.stages_
    assert two.frozen_params_ == one.frozen_params_
    _assert_same_training(one, two)


def test_distributed_fit_predicts_pickles_and_learns(dann_fits):
    one, two, _, (X, y, sd) = dann_fits
    target = sd < 0
    np.testing.assert_array_equal(two.classes_, one.classes_)
    proba = two.predict_proba(X[target])
    assert proba.shape == (target.sum(), 2)
    loaded = pickle.loads(pickle.dumps(two))
    np.testing.assert_allclose(loaded.predict_proba(X[target]), proba, rtol=1e-6)
    accuracy = two.score(X[target], y[target])
    assert accuracy > 0.6  # two classes: it learned
    assert abs(accuracy - one.score(X[target], y[target])) <= 0.05
    features = two.extract_features(X[:4])
    assert features.shape == (4, 16)


def test_an_error_in_a_process_is_raised_here():
    X, y, _ = _data()
    net = DomainNetClassifier(
        optimizer=torch.optim.SGD,
        lr=1e30,
        max_epochs=3,
        device="cpu",
        random_state=np.random.RandomState(0),
    )
    with pytest.raises(NonFiniteLossError, match="training loss became") as info:
        fit_distributed(net, X * 1e3, y, n_processes=2)
    assert "training process" in str(info.value.__cause__)


def _rank_of_a_group(rank, folder):
    """A process of a group made as torchrun makes them (Gloo, 2 ranks)."""
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2
    )
    X, y, sd = _data()
    y_train = hide_target_labels(y, sd)
    try:
        fit_distributed(DANNClassifier(device="cpu"), X, y_train, n_processes=3)
    except ValueError as exc:
        refused = "process group of 2" in str(exc)
    net = fit_distributed(_deterministic(DANNClassifier), X, y_train, sample_domain=sd)
    with open(f"{folder}/rank{rank}.pkl", "wb") as f:
        pickle.dump((refused, _weights(net), type(net).__name__), f)
    dist.destroy_process_group()


def test_each_process_of_a_torchrun_group_trains_as_its_rank(tmp_path):
    from sktransfer.deep._distributed import _start_method

    torch.multiprocessing.start_processes(
        _rank_of_a_group,
        args=(str(tmp_path),),
        nprocs=2,
        start_method=_start_method(cuda=False),
    )
    X, y, sd = _data()
    one = _deterministic(DANNClassifier)
    one.fit(X, hide_target_labels(y, sd), sample_domain=sd)
    for rank in range(2):
        with open(tmp_path / f"rank{rank}.pkl", "rb") as f:
            refused, weights, name = pickle.load(f)
        assert refused and name == "DANNClassifier"
        for a, b in zip(_weights(one), weights, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_one_process_is_the_ordinary_fit():
    X, y, sd = _data()
    y_train = hide_target_labels(y, sd)
    one = _deterministic(DANNClassifier).fit(X, y_train, sample_domain=sd)
    net = _deterministic(DANNClassifier)
    assert fit_distributed(net, X, y_train, sample_domain=sd, n_processes=1) is net
    for a, b in zip(_weights(one), _weights(net), strict=True):
        np.testing.assert_array_equal(a, b)


def test_shards_split_every_domain_and_weigh_the_rows():
    sample_domain = np.array([1] * 7 + [-1] * 5)
    batches = [torch.arange(12), torch.tensor([0, 8, 1]), torch.tensor([3, 9])]
    shards = [
        _RankShards(batches, sample_domain, rank, 2, as_lists=False)
        for rank in range(2)
    ]
    first, second = (list(s) for s in shards)
    # the first batch dealt out: every row once, each domain split in two
    both = torch.cat([first[0], second[0]]).sort().values
    np.testing.assert_array_equal(both, np.arange(12))
    for shard in (first[0], second[0]):
        assert abs(int((sample_domain[shard] < 0).sum()) - 2.5) <= 0.5
        assert torch.equal(shard, shard.sort().values)  # in batch order
    # batches of fewer than two rows per rank: computed whole by each
    assert torch.equal(first[1], batches[1]) and torch.equal(second[2], batches[2])
    weights = [[w for w, _ in s.weights] for s in shards]
    assert weights[0][1:] == weights[1][1:] == [1.0, 1.0]
    assert weights[0][0] + weights[1][0] == pytest.approx(2.0)
    assert [n for _, n in shards[0].weights] == [12, 3, 2]


@pytest.mark.parametrize("n_processes", [0, -1, 1.5, True, "2"])
def test_bad_n_processes(n_processes):
    X, y, _ = _data()
    with pytest.raises(ValueError, match="n_processes must be a positive int"):
        fit_distributed(DANNClassifier(device="cpu"), X, y, n_processes=n_processes)


@pytest.mark.parametrize("backend", ["mpi", "GLOO", None])
def test_unknown_backend(backend):
    X, y, _ = _data()
    with pytest.raises(ValueError, match="backend must be one of"):
        fit_distributed(DANNClassifier(device="cpu"), X, y, backend=backend)


def test_nccl_on_the_cpu():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="'nccl' runs on CUDA GPUs"):
        fit_distributed(DANNClassifier(device="cpu"), X, y, backend="nccl")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine without a GPU")
def test_cuda_without_a_gpu():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="torch sees no such device"):
        fit_distributed(DANNClassifier(device="cuda"), X, y)


def test_more_processes_than_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    X, y, _ = _data()
    with pytest.raises(ValueError, match="torch sees 2 CUDA device"):
        fit_distributed(DANNClassifier(), X, y, n_processes=3)


@pytest.mark.parametrize(
    "estimator, match",
    [
        (LogisticRegression(), "trains sktransfer's deep estimators"),
        (DANNClassifier, "takes an estimator instance"),
    ],
)
def test_not_a_deep_estimator(estimator, match):
    X, y, _ = _data()
    with pytest.raises(TypeError, match=match):
        fit_distributed(estimator, X, y, n_processes=2)


def test_an_iterator_of_its_own_and_a_bad_timeout():
    X, y, _ = _data()
    net = DANNClassifier(device="cpu", iterator_train=torch.utils.data.DataLoader)
    net.iterator_train = list  # not the DataLoader the nets draw batches for
    with pytest.raises(ValueError, match="iterator_train=DataLoader"):
        fit_distributed(net, X, y, n_processes=2)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        fit_distributed(DANNClassifier(device="cpu"), X, y, timeout=0)
