"""ImageFolder and DomainImageFolders on small generated folder trees."""

import pickle

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from sktransfer.deep._data import DomainImageFolders, ImageFolder
from sktransfer.deep._transforms import Compose, Normalize, Resize

COLOURS = {"blue": (0, 0, 200), "green": (0, 180, 0), "red": (220, 0, 0)}
WIDTH, HEIGHT = 20, 16


def _write_domain(root, classes, extension, seed):
    rng = np.random.default_rng(seed)
    for name in classes:
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(4):
            noise = rng.integers(-30, 30, (HEIGHT, WIDTH, 3))
            pixels = np.clip(np.asarray(COLOURS[name]) + noise, 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i}{extension}")
        (folder / "notes.txt").write_text("not an image")
        (folder / "._0.jpg").write_bytes(b"macOS metadata, not an image")
    return root


@pytest.fixture
def domains(tmp_path):
    """Two domains of 20x16 images: "a" (PNG) has 3 classes, "b" (JPEG) 2."""
    return {
        "a": _write_domain(tmp_path / "a", ["blue", "green", "red"], ".png", 0),
        "b": _write_domain(tmp_path / "b", ["red", "blue"], ".JPG", 1),
    }


@pytest.fixture
def count_opens(monkeypatch):
    calls = []
    real_open = Image.open

    def counting_open(*args, **kwargs):
        calls.append(args[0])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    return calls


def _decode(path, size):
    with Image.open(path) as image:
        image = image.convert("RGB").resize(size[::-1], Image.BILINEAR)
    return torch.from_numpy(np.asarray(image).transpose(2, 0, 1) / 255).float()


def test_files_are_listed_and_decoded_lazily(domains, count_opens):
    folder = ImageFolder(domains["a"], image_size=8)
    both = DomainImageFolders(domains, image_size=8)
    assert len(folder) == 12 and len(both) == 20
    assert folder.targets.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert folder.targets.dtype == np.int64 and both.targets.dtype == np.int64
    assert not count_opens
    folder[5]
    assert count_opens == [folder.samples[5][0]]


@pytest.mark.parametrize("image_size, shape", [(8, (8, 8)), ((6, 10), (6, 10))])
def test_items(domains, image_size, shape):
    folder = ImageFolder(domains["b"], image_size=image_size)
    x, y = folder[0]
    assert x.shape == (3, *shape) and x.dtype == torch.float32
    assert 0 <= x.min() and x.max() <= 1
    assert y.dtype == torch.int64 and y.ndim == 0
    assert [int(folder[i][1]) for i in range(len(folder))] == folder.targets.tolist()


def test_items_equal_the_image_decoded_and_resized_directly(domains):
    for extension, root in zip(["png", "jpg"], domains.values()):
        folder = ImageFolder(root, image_size=(10, 12))
        path, _ = folder.samples[-1]
        assert path.lower().endswith(extension)
        assert torch.equal(folder[-1][0], _decode(path, (10, 12)))
    full = ImageFolder(domains["a"], image_size=(HEIGHT, WIDTH))
    with Image.open(full.samples[0][0]) as image:
        pixels = torch.from_numpy(np.asarray(image).transpose(2, 0, 1).copy())
    assert torch.equal(full[0][0], pixels / 255)


def test_samples_are_sorted_and_skip_other_files(domains):
    folder = ImageFolder(domains["a"])
    paths = [path for path, _ in folder.samples]
    assert paths == sorted(paths) and len(paths) == 12
    assert all(path.endswith(".png") for path in paths)
    assert folder.classes == ["blue", "green", "red"]
    assert folder.class_to_idx == {"blue": 0, "green": 1, "red": 2}


def test_grayscale_images_come_as_rgb(tmp_path):
    (tmp_path / "cls").mkdir()
    Image.new("L", (5, 4), 128).save(tmp_path / "cls" / "grey.png")
    x, _ = ImageFolder(tmp_path, image_size=(4, 5))[0]
    assert x.shape == (3, 4, 5) and torch.allclose(x, torch.tensor(128 / 255))


def test_class_index_is_shared_across_domains(domains):
    alone = ImageFolder(domains["b"])
    assert alone.classes == ["blue", "red"]
    both = DomainImageFolders(domains, image_size=8)
    assert both.classes == ["blue", "green", "red"]
    assert [d.classes for d in both.datasets] == [both.classes] * 2
    b = both.datasets[1]
    assert b.targets.tolist() == [0] * 4 + [2] * 4
    assert both.targets.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + b.targets.tolist()
    assert both.domains.tolist() == ["a"] * 12 + ["b"] * 8
    assert int(both[19][1]) == 2 and both.samples[19][0].endswith("red/3.JPG")
    # the colour of the class, whatever the domain
    assert both[19][0][0].mean() > 0.7 and both[0][0][2].mean() > 0.6
    given = ["red", "green", "blue", "yellow"]
    ordered = DomainImageFolders(domains, classes=given)
    assert ordered.classes == given
    assert ordered.targets.tolist()[-8:] == [2] * 4 + [0] * 4


def test_sample_domain(domains):
    both = DomainImageFolders(domains, image_size=8)
    np.testing.assert_array_equal(both.sample_domain(), [1] * 12 + [2] * 8)
    np.testing.assert_array_equal(both.sample_domain(target="b"), [1] * 12 + [-1] * 8)
    sd = both.sample_domain(source="b", target=["a"])
    assert sd.dtype == np.int64 and sd.tolist() == [-1] * 12 + [1] * 8
    assert both.sample_domain(target=["b", "a"]).tolist() == [-2] * 12 + [-1] * 8
    for kwargs, match in [
        ({"target": "c"}, r"Unknown target domain\(s\) \['c'\]"),
        ({"source": "a", "target": "a"}, r"\['a'\] are both source and target"),
        ({"source": "a"}, r"\['b'\] are neither source nor target"),
        ({"source": ["a", "a"], "target": "b"}, "given twice"),
        ({"source": [], "target": []}, r"\['a', 'b'\] are neither"),
    ]:
        with pytest.raises(ValueError, match=match):
            both.sample_domain(**kwargs)


def test_transform_and_data_loader(domains):
    transform = Compose([Resize(4), Normalize([0.5] * 3, [0.5] * 3)])
    both = DomainImageFolders(domains, image_size=8, transform=transform)
    x, y = next(iter(DataLoader(both, batch_size=6)))
    assert x.shape == (6, 3, 4, 4) and y.dtype == torch.int64 and y.shape == (6,)
    assert x.min() < 0


def test_datasets_pickle_and_still_load(domains):
    transform = Resize(4)
    folder = ImageFolder(domains["a"], image_size=8, transform=transform)
    both = DomainImageFolders(domains, image_size=8, transform=transform)
    for dataset in (folder, both):
        copy = pickle.loads(pickle.dumps(dataset))
        assert copy.samples == dataset.samples
        np.testing.assert_array_equal(copy.targets, dataset.targets)
        assert torch.equal(copy[-1][0], dataset[-1][0])
    assert pickle.loads(pickle.dumps(both)).sample_domain(target="b")[-1] == -1


def test_errors(tmp_path, domains):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No class folder in"):
        ImageFolder(tmp_path / "empty")
    (tmp_path / "empty" / "cls").mkdir()
    (tmp_path / "empty" / "cls" / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="No image"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"Class folder\(s\) \['green'\] of .*a"):
        ImageFolder(domains["a"], classes=["blue", "red"])
    with pytest.raises(ValueError, match=r"\['green'\]"):
        DomainImageFolders(domains, classes=["blue", "red"])
    with pytest.raises(ValueError, match="non-empty and unique"):
        ImageFolder(domains["a"], classes=["blue", "blue", "green", "red"])
    with pytest.raises(ValueError, match="image_size must be a positive int"):
        ImageFolder(domains["a"], image_size=(8, -1))
    with pytest.raises(ValueError, match="non-empty mapping"):
        DomainImageFolders([domains["a"]])


def test_undecodable_image_names_the_file(domains):
    bad = domains["a"] / "red" / "9.png"
    bad.write_bytes(b"not a png")
    folder = ImageFolder(domains["a"])
    assert folder.samples[-1][0] == str(bad)
    with pytest.raises(OSError, match=r"Cannot decode image file .*9\.png"):
        folder[-1]
