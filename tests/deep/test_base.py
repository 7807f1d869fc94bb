"""What every deep estimator of sktransfer does, tested on each of them."""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_estimator
from skorch.callbacks import Checkpoint, EarlyStopping
from skorch.dataset import ValidSplit
from skorch.exceptions import DeviceWarning

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import (
    CDANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    DomainAlignmentClassifier,
    DomainNetClassifier,
    FineTuningClassifier,
    LearningRateAnnealing,
    NonFiniteLossError,
    TargetValidSplit,
)
from sktransfer.utils import hide_target_labels
from sktransfer.utils.estimator_checks import check_transfer_estimator

from ..test_common import SKORCH_EXPECTED_FAILED_CHECKS

DEEP = [DANNClassifier, CDANClassifier, DeepCORALClassifier, FineTuningClassifier]


def _net(cls, **params):
    params = {
        "max_epochs": 2,
        "random_state": 0,
        "device": "cpu",
        "module__hidden_units": (16,),
        **params,
    }
    return cls(**params)


def _data(seed=0, n_labeled=10):
    X, y_true, sd = make_domain_shift(100, 100, random_state=seed)
    y = hide_target_labels(y_true, sd, n_labeled=n_labeled, random_state=seed)
    return X.astype(np.float32), y, sd, y_true


class LinearMMDClassifier(DomainAlignmentClassifier):
    """A new alignment loss: the linear-kernel MMD of source and target features."""

    def __init__(self, module=None, *args, mmd_weight=1.0, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.mmd_weight = mmd_weight

    def domain_loss(self, logits, features, sample_domain):
        target = sample_domain < 0
        gap = features[~target].mean(dim=0) - features[target].mean(dim=0)
        return self.mmd_weight * (gap**2).sum()


# scikit-learn's checks warn while running the check skorch fails (listed)
@pytest.mark.filterwarnings("ignore::UserWarning:sklearn")
def test_a_new_alignment_loss_is_one_short_class_that_passes_every_check():
    net = LinearMMDClassifier(max_epochs=2, device="cpu")
    check_estimator(net, expected_failed_checks=SKORCH_EXPECTED_FAILED_CHECKS)
    check_transfer_estimator(net)
    # and the loss acts: the mean features of the domains move together
    X, y, sd, _ = _data()
    X[sd < 0] += 1.5

    def gap(weight):
        params = dict(mmd_weight=weight, max_epochs=20, lr=1e-2, random_state=0)
        model = _net(LinearMMDClassifier, **params).fit(X, y, sample_domain=sd)
        features = model.extract_features(X)
        return np.linalg.norm(features[sd > 0].mean(0) - features[sd < 0].mean(0))

    assert gap(10.0) < 0.5 * gap(0.0)


@pytest.mark.parametrize("cls", DEEP)
def test_sample_domain_none_is_the_plain_network(cls):
    # the plain network with the method's own schedule: DANN's learning-rate
    # annealing (its adaptation schedule has nothing to act on)
    schedules = [("lr_annealing", LearningRateAnnealing())]
    callbacks = schedules if issubclass(cls, DANNClassifier) else None
    X, _, _, y_true = _data()
    plain = _net(DomainNetClassifier, callbacks=callbacks).fit(X, y_true)
    net = _net(cls).fit(X, y_true)
    np.testing.assert_array_equal(net.predict_proba(X), plain.predict_proba(X))
    # with target rows the method trains otherwise
    X, y, sd, _ = _data()
    adapted = _net(cls).fit(X, y, sample_domain=sd)
    plain = _net(DomainNetClassifier, callbacks=callbacks).fit(X[sd > 0], y[sd > 0])
    assert not np.array_equal(adapted.predict_proba(X), plain.predict_proba(X))


@pytest.mark.parametrize("cls", DEEP)
@pytest.mark.parametrize("marker", [-1, "-1"])
def test_string_labels_and_the_unlabeled_marker(cls, marker):
    X, y, sd, _ = _data()
    labels = np.where(y == 1, "dog", "cat").astype(object)
    labels[y == -1] = marker
    if isinstance(marker, str):
        labels = labels.astype(str)
    net = _net(cls).fit(X, labels, sample_domain=sd)
    assert net.classes_.tolist() == ["cat", "dog"]
    assert set(net.predict(X)) <= {"cat", "dog"}
    assert net.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("cls", DEEP)
def test_non_finite_loss_stops_with_the_epoch(cls):
    X, y, sd, _ = _data()
    net = _net(cls, optimizer=torch.optim.SGD, lr=1e6)
    with pytest.raises(
        NonFiniteLossError, match=r"became (nan|inf) in epoch 1; lower lr"
    ):
        net.fit(X * 1e20, y, sample_domain=sd)


def _warns_or_stops(fit, match):
    """``fit()`` warns of divergence (``match``) or stops on a non-finite loss."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit()
        except NonFiniteLossError:
            return
    diverging = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert diverging, "training diverged silently"
    assert re.search(match, str(diverging[0].message)), diverging[0].message


@pytest.mark.parametrize("cls", DEEP)
def test_an_exploding_loss_warns_or_stops(cls):
    X, y, sd, _ = _data()
    _warns_or_stops(
        lambda: _net(cls, max_epochs=1).fit(X * 1e12, y, sample_domain=sd),
        r"in epoch 1, .* largest absolute value is \d\.\d+e\+12",
    )
    _warns_or_stops(
        lambda: _net(cls, lr=1e6).fit(X, y, sample_domain=sd),
        r"in epoch 1, .* Lower lr \(now 1e\+06\)",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _net(cls, lr=0.1, max_epochs=5).fit(X, y, sample_domain=sd)


@pytest.mark.parametrize("cls", DEEP)
def test_nan_outputs_never_become_a_class(cls):
    X, y, sd, _ = _data()
    net = _net(cls).fit(X, y, sample_domain=sd)
    with torch.no_grad():
        net.module_.head.weight.fill_(float("nan"))
    for method in (net.predict, net.predict_proba):
        with pytest.raises(ValueError, match="non-finite class probabilities"):
            method(X)


@pytest.mark.parametrize("cls", DEEP)
def test_unknown_or_missing_devices_are_errors_at_fit(cls, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y, sd, _ = _data()
    for device, message in (
        ("cuda", r"device='cuda', but torch sees no such device"),
        ("gpu", r"device='gpu' names no torch device \(torch calls GPUs 'cuda'\)"),
    ):
        net = _net(cls, device=device)  # neither __init__ nor set_params checks
        clone(net).set_params(device=device)
        with pytest.raises(ValueError, match=message):
            net.fit(X, y, sample_domain=sd)


@pytest.mark.parametrize("device", ["auto", "cuda"])
@pytest.mark.parametrize("cls", DEEP)
def test_a_net_fitted_on_a_gpu_predicts_on_a_cpu_only_machine(cls, device, monkeypatch):
    """The CPU side of GPU -> CPU, ``device="auto"`` and explicit alike.

    The net's state says it was fitted on "cuda" (its tensors are on the
    CPU: the test with real CUDA storage is the next one); this machine
    has no GPU. It loads, predicts on the CPU, and keeps the device it was
    asked for; an explicit "cuda" says so in a DeviceWarning, "auto" (any
    device will do) loads silently.
    """
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y, sd, _ = _data()
    net = _net(cls, device="cpu").fit(X, y, sample_domain=sd)
    expected = net.predict_proba(X)
    net.set_params(device=device)
    net.device_ = "cuda"  # as if it had been trained on a GPU
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = pickle.loads(pickle.dumps(net))
    messages = [str(w.message) for w in caught]
    if device == "auto":
        assert messages == []
    else:
        assert [w.category for w in caught] == [DeviceWarning], messages
        assert "fitted on 'cuda', which this machine lacks" in messages[0]
    assert restored.device_ == "cpu" and restored.device == "cpu"
    assert restored.get_params()["device"] == device
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="torch sees no CUDA GPU here: the test above covers the CPU side",
)
@pytest.mark.parametrize("cls", [DANNClassifier, FineTuningClassifier])
def test_real_cuda_storage_loads_on_a_cpu_only_machine(cls, monkeypatch):
    X, y, sd, _ = _data()
    net = _net(cls, device="cuda").fit(X, y, sample_domain=sd)
    assert next(net.module_.parameters()).is_cuda
    expected = net.predict_proba(X)
    data = pickle.dumps(net)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="predicts on 'cpu'"):
        restored = pickle.loads(data)
    assert restored.device_ == "cpu" and restored.get_params()["device"] == "cuda"
    assert not next(restored.module_.parameters()).is_cuda
    np.testing.assert_allclose(restored.predict_proba(X), expected, atol=1e-5)


@pytest.mark.parametrize("cls", DEEP)
def test_negative_strides_fit_and_predict(cls):
    X, y, sd, _ = _data()
    reversed_rows = X[::-1]
    net = _net(cls).fit(reversed_rows, y[::-1], sample_domain=sd[::-1])
    same = _net(cls).fit(reversed_rows.copy(), y[::-1], sample_domain=sd[::-1])
    np.testing.assert_array_equal(
        net.predict_proba(X[::-1]), same.predict_proba(X[::-1].copy())
    )


@pytest.mark.parametrize("cls", DEEP)
def test_a_refit_equals_a_fresh_fit(cls):
    X, y, sd, _ = _data()
    X_other, y_other, sd_other, _ = _data(seed=1, n_labeled=30)
    net = _net(cls).fit(X_other[:, :1], y_other, sample_domain=sd_other)
    net.fit(X, y, sample_domain=sd)
    fresh = _net(cls).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(net.predict_proba(X), fresh.predict_proba(X))


def test_fine_tuning_refit_trains_the_source_stage_at_full_lr():
    X, y, sd, _ = _data()
    net = _net(FineTuningClassifier).fit(X, y, sample_domain=sd)
    assert net.transferred_params_  # the target stage transferred weights
    net.fit(X[sd > 0], y[sd > 0], sample_domain=sd[sd > 0])
    assert net.transferred_params_ == set()
    assert [group["lr"] for group in net.optimizer_.param_groups] == [1e-3]


@pytest.mark.parametrize("cls", DEEP)
def test_read_only_inputs_and_domains_make_torch_no_warning(cls):
    X, y, sd, _ = _data()
    X.flags.writeable = False
    sample_domain = pd.Series(sd)
    if pd.__version__ >= "3":  # copy-on-write: its values are read-only
        assert not np.asarray(sample_domain).flags.writeable
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = _net(cls).fit(X, y, sample_domain=sample_domain)
        net.predict_proba(X)
    assert not [w for w in caught if "not writable" in str(w.message)]


@pytest.mark.parametrize("cls", DEEP)
def test_callbacks_that_monitor_validation_need_a_split(cls):
    X, y, sd, _ = _data(n_labeled=20)
    for callback, monitor in ((EarlyStopping(), "valid_loss"), (Checkpoint(), "")):
        net = _net(cls, callbacks=[("stop", callback)])
        with pytest.raises(
            ValueError, match=f"'stop' .* monitors '{monitor}.*TargetValidSplit"
        ):
            net.fit(X, y, sample_domain=sd)


@pytest.mark.parametrize("cls", DEEP)
def test_early_stopping_on_held_out_labeled_target_rows(cls):
    X, y, sd, _ = _data(n_labeled=20)
    net = _net(
        cls,
        max_epochs=100,
        lr=0.05,
        train_split=TargetValidSplit(0.25),
        callbacks=[EarlyStopping(patience=2)],
    ).fit(X, y, sample_domain=sd)
    assert len(net.history) < (200 if cls is FineTuningClassifier else 100)
    last = net.history[-1]
    assert {"valid_loss", "valid_acc"} <= set(last)
    # 5 of the 20 labeled target rows: a validation batch of 5 rows
    assert net.history[-1, "batches", -1, "valid_batch_size"] == 5
    # the same seed gives the same split and the same model
    again = clone(net).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))


@pytest.mark.parametrize("cls", [DANNClassifier, FineTuningClassifier])
def test_checkpoint_loads_the_best_epoch_and_keeps_the_device(cls, tmp_path):
    X, y, sd, _ = _data(n_labeled=20)
    checkpoint = Checkpoint(dirname=str(tmp_path), load_best=True)
    net = _net(
        cls, device="auto", train_split=TargetValidSplit(0.25), callbacks=[checkpoint]
    ).fit(X, y, sample_domain=sd)
    assert (tmp_path / "params.pt").exists()
    assert net.get_params()["device"] == "auto"
    assert clone(net).get_params()["device"] == "auto"


def test_target_valid_split_without_labeled_target_rows_validates_on_source():
    X, y, sd, _ = _data(n_labeled=0)
    net = _net(DANNClassifier, train_split=TargetValidSplit(0.1)).fit(
        X, y, sample_domain=sd
    )
    assert net.history[-1, "batches", -1, "valid_batch_size"] == 10
    with pytest.raises(ValueError, match="cannot hold out 1 of 1 labeled rows"):
        _net(FineTuningClassifier, train_split=TargetValidSplit(0.5)).fit(
            X[:1], y[:1], sample_domain=sd[:1]
        )


def test_skorch_valid_split_scores_the_classes_codes():
    X, y, sd, y_true = _data()
    labels = np.where(y_true == 1, "dog", "cat")
    net = _net(DANNClassifier, train_split=ValidSplit(4), max_epochs=5, lr=0.05)
    net.fit(X, labels)
    accuracy = net.history[-1, "valid_acc"]
    assert 0.7 < accuracy <= 1.0
