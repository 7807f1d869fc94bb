"""Inputs of the deep estimators besides 2-d arrays: images, torch Datasets."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch.utils.data import Dataset, TensorDataset

from sktransfer.deep import (
    DANNClassifier,
    DomainNetClassifier,
    FineTuningClassifier,
    SmallCNN,
    TargetValidSplit,
)


def _digit_images(n=300):
    digits = load_digits()
    X = (digits.images[:n, None] / 16).astype(np.float32)
    y = digits.target[:n]
    sample_domain = np.where(np.arange(n) < n // 2, 1, -1)
    y_seen = np.where((sample_domain < 0) & (np.arange(n) % 5 != 0), -1, y)
    return X, y, y_seen, sample_domain


class CountingDataset(Dataset):
    """Items ``(x, y)`` of in-memory images, counting how often one is read."""

    def __init__(self, X, y, channels_last=False):
        self.X = np.moveaxis(X, 1, -1) if channels_last else X
        self.y = y
        self.reads = 0

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        self.reads += 1
        return torch.as_tensor(self.X[index]), int(self.y[index])


def _net(cls=DomainNetClassifier, **params):
    params = {"max_epochs": 2, "batch_size": 32, "random_state": 0, **params}
    return cls(device="cpu", **params)


def test_images_get_a_cnn_and_vectors_an_mlp():
    X, _, y_seen, sd = _digit_images()
    net = _net().fit(X, y_seen, sample_domain=sd)
    assert isinstance(net.module_, SmallCNN)
    flat = _net().fit(X.reshape(len(X), -1), y_seen, sample_domain=sd)
    assert not isinstance(flat.module_, SmallCNN)


def test_channels_last_images_are_taken_as_channels_first():
    X, _, y_seen, sd = _digit_images()
    X = np.repeat(X, 3, axis=1)
    first = _net().fit(X, y_seen, sample_domain=sd)
    last = _net().fit(np.moveaxis(X, 1, -1), y_seen, sample_domain=sd)
    assert last.input_shape_ == first.input_shape_ == (3, 8, 8)
    np.testing.assert_allclose(
        last.predict_proba(np.moveaxis(X, 1, -1)), first.predict_proba(X), atol=1e-6
    )
    with pytest.raises(ValueError, match=r"channels first, \(n, C, H, W\)"):
        first.predict(X[:, :, :6, :6])


@pytest.mark.parametrize("channels_last", [False, True])
def test_a_dataset_trains_and_predicts_as_its_arrays_do(channels_last):
    X, y, y_seen, sd = _digit_images()
    arrays = _net().fit(X, y_seen, sample_domain=sd)
    dataset = CountingDataset(X, y_seen, channels_last=channels_last)
    net = _net().fit(dataset, sample_domain=sd)
    np.testing.assert_allclose(net.predict_proba(dataset), arrays.predict_proba(X))
    np.testing.assert_array_equal(net.predict(X), arrays.predict(X))
    assert net.score(CountingDataset(X, y), y) == arrays.score(X, y)


def test_y_given_with_a_dataset_overrides_its_labels():
    X, y, y_seen, sd = _digit_images()
    every_label = TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    masked = _net().fit(every_label, y_seen, sample_domain=sd)
    arrays = _net().fit(X, y_seen, sample_domain=sd)
    np.testing.assert_allclose(masked.predict_proba(X), arrays.predict_proba(X))


def test_datasets_go_through_every_family_and_the_target_split():
    X, y, y_seen, sd = _digit_images()
    dataset = CountingDataset(X, y_seen)
    dann = _net(DANNClassifier).fit(dataset, sample_domain=sd)
    assert dann.extract_features(dataset).shape[0] == len(X)
    tuned = _net(
        FineTuningClassifier, train_split=TargetValidSplit(0.2, random_state=0)
    )
    tuned.fit(dataset, sample_domain=sd)
    assert tuned.stages_ == ["source", "target"]
    assert "valid_acc" in tuned.history[-1]
    restored = pickle.loads(pickle.dumps(tuned))
    np.testing.assert_array_equal(restored.predict(X), tuned.predict(X))


def test_augmentation_runs_on_training_batches_only():
    X, _, y_seen, sd = _digit_images()
    seen = []

    def augment(batch):
        seen.append(tuple(batch.shape))
        return batch.flip(-1)

    net = _net(augment=augment).fit(X, y_seen, sample_domain=sd)
    assert seen and all(shape[1:] == (1, 8, 8) for shape in seen)
    n_training_batches = len(seen)
    net.predict(X)
    assert len(seen) == n_training_batches
    assert net.get_params()["augment"] is augment


def test_bad_datasets_get_clear_errors():
    X, _, y_seen, sd = _digit_images()
    with pytest.raises(ValueError, match="Dataset is empty"):
        _net().fit(CountingDataset(X[:0], y_seen[:0]), sample_domain=sd[:0])
    unlabeled_items = TensorDataset(torch.as_tensor(X))
    with pytest.raises(ValueError, match="inputs without labels; pass y"):
        _net().fit(unlabeled_items, sample_domain=sd)
    with pytest.raises(ValueError, match="sample_domain"):
        _net().fit(CountingDataset(X, y_seen), sample_domain=sd[:-1])
    nan = X.copy()
    nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _net().fit(CountingDataset(nan, y_seen), sample_domain=sd)
    net = _net().fit(X, y_seen, sample_domain=sd)
    with pytest.raises(ValueError, match=r"rows of shape \(1, 6, 6\)"):
        net.predict(CountingDataset(X[:, :, :6, :6], y_seen))


def test_image_folders_train_lazily_and_predict_as_their_arrays(tmp_path, monkeypatch):
    from PIL import Image

    from sktransfer.deep import DomainImageFolders, default_augmentation

    rng = np.random.default_rng(0)
    colours = {"blue": (0, 0, 200), "green": (0, 180, 0), "red": (220, 0, 0)}
    for domain, shift in (("photos", 0), ("sketches", 60)):
        for name, colour in colours.items():
            folder = tmp_path / domain / name
            folder.mkdir(parents=True)
            for i in range(6):
                noise = rng.integers(-30, 30, (12, 10, 3))
                pixels = np.clip(np.asarray(colour) + shift + noise, 0, 255)
                Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i}.png")
    opened = []
    real_open = Image.open

    def counting_open(*args, **kwargs):
        opened.append(args[0])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    folders = DomainImageFolders(
        {"photos": tmp_path / "photos", "sketches": tmp_path / "sketches"},
        image_size=8,
    )
    assert not opened  # listed, not decoded
    sd = folders.sample_domain(source=["photos"], target=["sketches"])
    y = np.where(sd < 0, -1, folders.targets)
    net = _net(augment=default_augmentation(8)).fit(folders, y, sample_domain=sd)
    assert isinstance(net.module_, SmallCNN)
    arrays = torch.stack([folders[i][0] for i in range(len(folders))]).numpy()
    np.testing.assert_allclose(net.predict_proba(folders), net.predict_proba(arrays))
    again = _net(augment=default_augmentation(8)).fit(arrays, y, sample_domain=sd)
    np.testing.assert_allclose(again.predict_proba(arrays), net.predict_proba(arrays))
