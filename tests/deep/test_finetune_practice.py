"""Fine-tuning as practitioners do it: batch norm, layer-wise learning rates,
schedules, early stopping, L2-SP, BSS, LP-FT, clipping, label smoothing, AMP."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Callback, EarlyStopping

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import (
    MLP,
    FineTuningClassifier,
    NonFiniteLossError,
    TargetValidSplit,
    WarmupCosine,
    batch_spectral_shrinkage,
    l2sp_penalty,
    module_layers,
)
from sktransfer.utils import hide_target_labels

torch.set_num_threads(1)


def _net(**params):
    params.setdefault("max_epochs", 3)
    params.setdefault("random_state", 0)
    params.setdefault("device", "cpu")
    return FineTuningClassifier(**params)


def _concept(seed=0, n_labeled=20):
    X, y_true, sd = make_domain_shift(
        200, 200, shift="concept", severity=0.8, random_state=seed
    )
    y = hide_target_labels(y_true, sd, n_labeled=n_labeled, random_state=seed)
    return X.astype(np.float32), y, sd


def _target(n_labeled=40):
    """Labeled target rows only: a single stage, transferred for an instance."""
    X, y, sd = _concept(n_labeled=n_labeled)
    rows = (sd < 0) & (y != -1)
    return X[rows], y[rows], sd[rows]


class BNNet(torch.nn.Module):
    """A small MLP with batch norm; layers fc1, bn, fc2, head."""

    def __init__(self, n_inputs=2, n_classes=2, width=8):
        super().__init__()
        self.fc1 = torch.nn.Linear(n_inputs, width)
        self.bn = torch.nn.BatchNorm1d(width)
        self.fc2 = torch.nn.Linear(width, width)
        self.head = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.head(torch.relu(self.fc2(torch.relu(self.bn(self.fc1(X))))))


def _pretrained_bn():
    torch.manual_seed(0)
    module = BNNet()
    with torch.no_grad():  # statistics of a "pre-training" unlike the data
        module.bn.running_mean.fill_(0.5)
        module.bn.running_var.fill_(2.0)
    return module


class Snapshots(Callback):
    """Module states at the start and end of each training run, each epoch."""

    def initialize(self):
        self.runs_, self.ends_, self.epochs_ = [], [], {}
        return self

    @staticmethod
    def _state(net):
        return {k: v.detach().clone() for k, v in net.module_.state_dict().items()}

    def on_train_begin(self, net, **kwargs):
        self.runs_.append(self._state(net))

    def on_train_end(self, net, **kwargs):
        self.ends_.append(self._state(net))

    def on_epoch_end(self, net, **kwargs):
        self.epochs_[len(net.history)] = self._state(net)


# --- batch norm ----------------------------------------------------------------


def test_batchnorm_frozen_keeps_running_stats_in_a_transferred_stage():
    X, y, sd = _target()
    pretrained = _pretrained_bn()
    net = _net(module=pretrained, batchnorm="frozen", batch_size=8).fit(
        X, y, sample_domain=sd
    )
    bn = net.module_.bn
    torch.testing.assert_close(bn.running_mean, pretrained.bn.running_mean)
    torch.testing.assert_close(bn.running_var, pretrained.bn.running_var)
    assert int(bn.num_batches_tracked) == 0
    # the affine weights still train
    assert not torch.equal(bn.weight, pretrained.bn.weight)
    assert net.batchnorm_policy_ == "frozen"
    # validation and prediction run in eval mode too
    net.predict_proba(X)
    torch.testing.assert_close(bn.running_mean, pretrained.bn.running_mean)


def test_batchnorm_train_updates_running_stats():
    X, y, sd = _target()
    pretrained = _pretrained_bn()
    net = _net(module=pretrained, batchnorm="train", batch_size=8)
    bn = net.fit(X, y, sample_domain=sd).module_.bn
    assert not torch.allclose(bn.running_mean, pretrained.bn.running_mean)
    assert int(bn.num_batches_tracked) > 0
    assert net.batchnorm_policy_ == "train"


def test_batchnorm_frozen_in_the_target_stage_after_source_training():
    X, y, sd = _concept(n_labeled=40)
    snapshots = Snapshots()
    net = _net(module=BNNet, batchnorm="frozen", callbacks=[("snap", snapshots)])
    net.fit(X, y, sample_domain=sd)
    source_start, target_start = snapshots.runs_
    # the source stage starts from scratch: batch norm learns its statistics
    assert not torch.equal(
        source_start["bn.running_mean"], target_start["bn.running_mean"]
    )
    # the transferred target stage keeps them
    final = net.module_.state_dict()
    torch.testing.assert_close(
        final["bn.running_mean"], target_start["bn.running_mean"]
    )
    assert not torch.equal(final["bn.weight"], target_start["bn.weight"])


def test_batchnorm_auto_depends_on_the_batch_size():
    X, y, sd = _target()  # 40 rows
    auto = _net(module=_pretrained_bn(), max_epochs=1)
    assert auto.get_params()["batchnorm"] == "auto"
    policy = auto.set_params(batch_size=16).fit(X, y, sample_domain=sd)
    assert policy.batchnorm_policy_ == "frozen"
    assert auto.set_params(batch_size=32).fit(
        X, y, sample_domain=sd
    ).batchnorm_policy_ == ("train")
    # batches of 64 rows, but the stage has 20: still small
    X, y, sd = _target(n_labeled=20)
    policy = auto.set_params(batch_size=64).fit(X, y, sample_domain=sd)
    assert policy.batchnorm_policy_ == "frozen"
    Xs, ys, sds = _concept()
    source = sds > 0  # 200 source rows, batches of 64: statistics adapt
    net = auto.set_params(batch_size=64).fit(
        Xs[source], ys[source], sample_domain=sds[source]
    )
    assert net.batchnorm_policy_ == "train"
    # a stage from scratch transfers nothing: no policy
    net = _net(module=BNNet, max_epochs=1).fit(Xs[source], ys[source])
    assert net.batchnorm_policy_ is None


# --- learning rates ------------------------------------------------------------


def _group_lrs(net):
    return {
        layer: group["lr"]
        for group in net.optimizer_.param_groups
        for layer in group["layers"]
    }


def test_layer_lr_decay_sets_param_groups():
    X, y, sd = _target()
    params = dict(lr=0.01, transferred_lr_factor=0.5, max_epochs=1)
    net = _net(
        module=MLP(2, 2, hidden_units=(4, 4)),
        replace_head=True,
        layer_lr_decay=0.5,
        **params,
    ).fit(X, y, sample_domain=sd)
    assert [n for n, _ in module_layers(net.module_)] == [
        "features.1",
        "features.3",
        "head",
    ]
    lrs = _group_lrs(net)
    new = [g for g in net.optimizer_.param_groups if not g["transferred"]]
    assert len(new) == 1 and new[0]["lr"] == pytest.approx(0.01)  # the new head
    assert lrs["features.3"] == pytest.approx(0.01 * 0.5 * 0.5)
    assert lrs["features.1"] == pytest.approx(0.01 * 0.5 * 0.25)
    # the transferred head is at depth 0; frozen parameters stay out
    net = _net(
        module=MLP(2, 2, hidden_units=(4, 4)), layer_lr_decay=0.5, freeze=1, **params
    ).fit(X, y, sample_domain=sd)
    lrs = _group_lrs(net)
    assert lrs == pytest.approx({"head": 0.005, "features.3": 0.0025})
    in_optimizer = {
        id(p) for group in net.optimizer_.param_groups for p in group["params"]
    }
    assert id(net.module_.features[1].weight) not in in_optimizer
    # off by default: one group per learning rate
    net = _net(module=MLP(2, 2, hidden_units=(4, 4)), replace_head=True, **params)
    lrs = sorted(
        g["lr"] for g in net.fit(X, y, sample_domain=sd).optimizer_.param_groups
    )
    assert lrs == pytest.approx([0.005, 0.01])


class RecordLrs(Callback):
    def initialize(self):
        self.lrs_ = []
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.lrs_.append([g["lr"] for g in net.optimizer_.param_groups])


def test_warmup_cosine_schedules_every_group_per_stage():
    X, y, sd = _concept(n_labeled=40)
    record = RecordLrs()
    net = _net(
        module__hidden_units=(8,),  # a fresh MLP: the source stage is plain
        max_epochs=6,
        fine_tune_epochs=6,
        batch_size=16,
        lr=0.01,
        transferred_lr_factor=0.1,
        replace_head=True,
        callbacks=[("schedule", WarmupCosine(warmup_epochs=1)), ("rec", record)],
    ).fit(X, y, sample_domain=sd)
    factors = np.array(net.history[:, "lr_factor"])
    assert len(factors) == 12
    for stage in (factors[:6], factors[6:]):  # restarts with each stage
        assert stage[0] < 0.6  # warming up
        assert np.argmax(stage) == 1  # the peak after warm-up
        assert np.all(np.diff(stage[1:]) < 0)  # cosine decay
        assert stage[-1] < 0.1  # near min_lr_ratio=0
    # every group scaled by the same factor: their ratio stays (the target
    # stage: the new head and the transferred layers)
    lrs = np.array([lrs for lrs in record.lrs_ if len(lrs) == 2])
    assert len(lrs) == 6 * 3  # 40 target rows in batches of 16
    np.testing.assert_allclose(lrs[:, 0] / lrs[:, 1], 10.0)
    assert lrs[:, 0].max() == pytest.approx(0.01, rel=0.05)
    # the base rates are set back after each run
    assert sorted(g["lr"] for g in net.optimizer_.param_groups) == pytest.approx(
        [0.001, 0.01]
    )
    assert net.get_params()["callbacks__schedule__warmup_epochs"] == 1
    with pytest.raises(ValueError, match="min_lr_ratio must be a number in"):
        _net(callbacks=[WarmupCosine(min_lr_ratio=2)]).fit(X, y, sample_domain=sd)


def test_warmup_cosine_min_lr_ratio():
    X, y, sd = _target()
    net = _net(
        module=MLP(2, 2, hidden_units=(4,)),
        max_epochs=4,
        callbacks=[WarmupCosine(warmup_epochs=0, min_lr_ratio=0.5)],
    ).fit(X, y, sample_domain=sd)
    factors = net.history[:, "lr_factor"]
    assert factors[0] > 0.9 and 0.5 <= factors[-1] < 0.6


# --- early stopping ------------------------------------------------------------


def test_early_stopping_on_target_rows_restores_the_best_epoch():
    X, y, sd = _concept(n_labeled=40)
    snapshots = Snapshots()
    stop = EarlyStopping(
        monitor="valid_acc",
        lower_is_better=False,
        patience=3,
        load_best=True,
        sink=lambda *_: None,
    )
    net = _net(
        module=MLP(2, 2, hidden_units=(16,)),
        max_epochs=3,
        fine_tune_epochs=60,
        lr=0.05,
        batch_size=8,
        train_split=TargetValidSplit(0.3, random_state=0),
        callbacks=[("snap", snapshots), ("stop", stop)],
    ).fit(X, y, sample_domain=sd)
    assert net.stages_ == ["source", "target"]
    n_epochs = len(net.history)
    assert n_epochs < 3 + 60  # stopped early in the target stage
    target_acc = np.array(net.history[3:, "valid_acc"])
    best = stop.best_epoch_
    assert best > 3 and best < n_epochs  # an epoch of the target stage, not the last
    assert net.history[best - 1, "valid_acc"] == target_acc.max()
    # the module of the best epoch is restored
    for name, value in net.module_.state_dict().items():
        torch.testing.assert_close(value, snapshots.epochs_[best][name])
    assert not torch.equal(
        net.module_.state_dict()["head.weight"],
        snapshots.epochs_[n_epochs]["head.weight"],
    )


# --- regularizers --------------------------------------------------------------


def _distance(module, reference):
    return sum(
        float(((p.detach() - reference[n]) ** 2).sum())
        for n, p in module.named_parameters()
        if n.startswith("features")
    )


def test_l2sp_keeps_transferred_weights_closer_to_the_start():
    X, y, sd = _target()
    pretrained = MLP(2, 2, hidden_units=(8, 8))
    start = {n: p.detach().clone() for n, p in pretrained.named_parameters()}
    params = dict(
        module=pretrained,
        replace_head=True,
        lr=0.05,
        max_epochs=10,
        transferred_lr_factor=1.0,
    )
    plain = _net(**params).fit(X, y, sample_domain=sd)
    l2sp = _net(**params, l2sp_alpha=1.0, l2sp_beta=0.1).fit(X, y, sample_domain=sd)
    assert _distance(l2sp.module_, start) < 0.5 * _distance(plain.module_, start)
    penalties = [b["l2sp"] for epoch in l2sp.history for b in epoch["batches"]]
    assert len(penalties) > 0 and max(penalties) > 0
    # the new head is shrunk by beta
    assert l2sp.module_.head.weight.norm() < plain.module_.head.weight.norm()
    # the penalty itself, the paper's alpha / 2 and beta / 2
    w, head = torch.full((2,), 2.0), torch.ones(3)
    value = l2sp_penalty([("w", w), ("h", head)], {"w": torch.ones(2)}, 0.5, 1.0)
    assert float(value) == pytest.approx(0.5 / 2 * 2 + 1.0 / 2 * 3)


class TanhNet(torch.nn.Module):
    """Features without dead units (whose singular value would be 0 anyway)."""

    def __init__(self, n_inputs=2, n_classes=2, width=4):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Linear(n_inputs, width), torch.nn.Tanh()
        )
        self.head = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.head(self.features(X))


def _smallest_share(net, X):
    features = torch.as_tensor(net.module_.features(torch.as_tensor(X))).detach()
    singular = torch.linalg.svdvals(features)
    return float(singular[-1] ** 2 / (singular**2).sum())


def test_bss_shrinks_the_smallest_singular_value():
    X, y, sd = _target()
    torch.manual_seed(0)
    pretrained = TanhNet()
    params = dict(
        module=pretrained,
        replace_head=True,
        lr=0.02,
        max_epochs=15,
        transferred_lr_factor=1.0,
        batch_size=16,
    )
    plain = _net(**params).fit(X, y, sample_domain=sd)
    bss = _net(**params, bss_weight=1.0).fit(X, y, sample_domain=sd)
    terms = [b["bss"] for epoch in bss.history for b in epoch["batches"]]
    assert len(terms) > 0 and min(terms) > 0
    assert _smallest_share(bss, X) < 0.5 * _smallest_share(plain, X)
    # the penalty itself
    features = torch.diag(torch.tensor([3.0, 2.0, 1.0]))
    assert float(batch_spectral_shrinkage(features, k=2)) == pytest.approx(5.0)
    assert float(batch_spectral_shrinkage(torch.ones(1, 4))) == 0.0


def test_bss_needs_a_linear_head():
    X, y, sd = _target()
    conv = torch.nn.Sequential(
        torch.nn.Unflatten(1, (2, 1)), torch.nn.Conv1d(2, 2, 1), torch.nn.Flatten()
    )
    with pytest.raises(ValueError, match="bss_weight > 0 .* torch.nn.Linear head"):
        _net(module=conv, bss_weight=0.1).fit(X, y, sample_domain=sd)


# --- LP-FT ---------------------------------------------------------------------


def test_linear_probe_trains_only_the_head_first():
    X, y, sd = _target()
    pretrained = _pretrained_bn()
    start = {k: v.clone() for k, v in pretrained.state_dict().items()}
    snapshots = Snapshots()
    net = _net(
        module=pretrained,
        replace_head=True,
        linear_probe_epochs=2,
        max_epochs=5,
        batchnorm="train",
        callbacks=[("snap", snapshots)],
    ).fit(X, y, sample_domain=sd)
    assert len(net.history) == 5  # the probe's epochs count in the stage's
    probe_end, final = snapshots.ends_
    for name, value in probe_end.items():
        if name.startswith("head"):
            assert not torch.equal(value, snapshots.runs_[0][name])
        else:  # weights and batch-norm statistics of the probed network
            torch.testing.assert_close(value, start[name])
    # then everything fine-tunes, batch norm included (batchnorm="train")
    for name in ("fc1.weight", "fc2.weight", "bn.running_mean"):
        assert not torch.equal(final[name], start[name])
    assert all(p.requires_grad for p in net.module_.parameters())


def test_linear_probe_respects_freeze_and_shares_the_validation_rows():
    X, y, sd = _target(n_labeled=60)
    pretrained = MLP(2, 2, hidden_units=(8, 8))
    splits = []

    class Rows(Callback):
        def on_train_begin(self, net, X=None, y=None, **kwargs):
            pass

        def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
            splits.append(tuple(np.asarray(dataset_valid.y)))

    net = _net(
        module=pretrained,
        linear_probe_epochs=1,
        max_epochs=3,
        freeze=1,
        train_split=TargetValidSplit(0.25),
        callbacks=[Rows()],
    ).fit(X, y, sample_domain=sd)
    torch.testing.assert_close(
        net.module_.features[1].weight, pretrained.features[1].weight
    )
    assert not torch.equal(
        net.module_.features[3].weight, pretrained.features[3].weight
    )
    assert len(set(splits)) == 1 and len(splits) == 3


# --- the training step ---------------------------------------------------------


class GradNorms(Callback):
    def initialize(self):
        self.norms_ = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        self.norms_.append(
            float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))
        )


def test_clip_grad_norm_bounds_the_gradient_norm():
    X, y, sd = _concept()
    norms = GradNorms()
    net = _net(clip_grad_norm=0.05, lr=0.05, callbacks=[norms]).fit(
        X, y, sample_domain=sd
    )
    assert max(norms.norms_) <= 0.05 * (1 + 1e-4)
    before = [
        b["grad_norm"]
        for epoch in net.history
        for b in epoch["batches"]
        if "grad_norm" in b
    ]
    assert max(before) > 0.05  # clipping did something
    unclipped = GradNorms()
    _net(lr=0.05, callbacks=[unclipped]).fit(X, y, sample_domain=sd)
    assert max(unclipped.norms_) > 0.05


def test_a_nan_loss_still_stops_training():
    X, y, sd = _target()
    module = MLP(2, 2, hidden_units=(4,))
    with torch.no_grad():
        module.head.weight.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="training loss became nan"):
        _net(module=module, clip_grad_norm=1.0).fit(X, y, sample_domain=sd)


def test_label_smoothing():
    X, y, sd = _target()
    net = _net(label_smoothing=0.1, max_epochs=1).fit(X, y, sample_domain=sd)
    assert net.criterion_.label_smoothing == pytest.approx(0.1)
    same = _net(label_smoothing=0.1, criterion__label_smoothing=0.1, max_epochs=1)
    assert same.fit(X, y, sample_domain=sd).criterion_.label_smoothing == 0.1
    with pytest.raises(ValueError, match="disagrees with criterion__label_smoothing"):
        _net(label_smoothing=0.1, criterion__label_smoothing=0.2).fit(
            X, y, sample_domain=sd
        )
    with pytest.raises(ValueError, match="needs a torch.nn.CrossEntropyLoss"):
        _net(label_smoothing=0.1, criterion=torch.nn.NLLLoss).fit(
            X, y, sample_domain=sd
        )
    smooth = _net(label_smoothing=0.2, max_epochs=5).fit(X, y, sample_domain=sd)
    plain = _net(max_epochs=5).fit(X, y, sample_domain=sd)
    assert smooth.predict_proba(X).max() < plain.predict_proba(X).max()


def test_amp_is_a_no_op_on_the_cpu():
    X, y, sd = _concept()
    amp = _net(amp=True).fit(X, y, sample_domain=sd)
    plain = _net().fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(amp.predict_proba(X), plain.predict_proba(X))


def test_amp_path_with_grad_scaler(monkeypatch):
    # the CUDA code path (autocast, GradScaler, unscale before clipping),
    # exercised on the CPU in bfloat16
    monkeypatch.setattr(FineTuningClassifier, "_amp_device_type", lambda self: "cpu")
    X, y, sd = _concept()
    net = _net(amp=True, clip_grad_norm=1.0, lr=0.01, max_epochs=5)
    net.fit(X[sd > 0], y[sd > 0])
    assert np.isfinite(net.history[:, "train_loss"]).all()
    assert net.history[-1, "train_loss"] < net.history[0, "train_loss"]
    assert net.grad_scaler_ is None  # not kept after fit


# --- parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"batchnorm": "sometimes"}, "'batchnorm' parameter"),
        ({"layer_lr_decay": 0.0}, "'layer_lr_decay' parameter"),
        ({"layer_lr_decay": 1.5}, "'layer_lr_decay' parameter"),
        ({"linear_probe_epochs": -1}, "'linear_probe_epochs' parameter"),
        ({"l2sp_alpha": -1.0}, "'l2sp_alpha' parameter"),
        ({"l2sp_beta": -1.0}, "'l2sp_beta' parameter"),
        ({"bss_weight": -0.1}, "'bss_weight' parameter"),
        ({"bss_k": 0}, "'bss_k' parameter"),
        ({"clip_grad_norm": 0.0}, "'clip_grad_norm' parameter"),
        ({"label_smoothing": 1.0}, "'label_smoothing' parameter"),
        ({"amp": "yes"}, "'amp' parameter"),
        ({"callbacks": [WarmupCosine(warmup_epochs=-1)]}, "warmup_epochs must be"),
    ],
)
def test_bad_values(params, match):
    X, y, sd = _target()
    with pytest.raises(ValueError, match=match):
        _net(**params).fit(X, y, sample_domain=sd)


def test_new_parameters_are_grid_searchable():
    net = _net(
        layer_lr_decay=0.7, l2sp_alpha=0.1, bss_weight=1e-3, linear_probe_epochs=2
    )
    params = clone(net).get_params()
    assert params["layer_lr_decay"] == 0.7 and params["linear_probe_epochs"] == 2
    net.set_params(batchnorm="train", clip_grad_norm=1.0)
    assert net.batchnorm == "train" and net.clip_grad_norm == 1.0
