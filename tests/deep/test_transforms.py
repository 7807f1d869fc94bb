"""Image transforms in torch: shapes, exact cases, randomness, errors."""

import pickle

import pytest
import torch

from sktransfer.deep._transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    Normalize,
    RandomHorizontalFlip,
    RandomResizedCrop,
    Resize,
    default_augmentation,
)

RANDOM = [
    RandomResizedCrop(8, scale=(0.3, 1.0)),
    RandomHorizontalFlip(),
    ColorJitter(0.4, 0.4, 0.4, 0.1),
    default_augmentation(8),
]


def _images(n=4, height=16, width=20, seed=0):
    return torch.rand(
        n, 3, height, width, generator=torch.Generator().manual_seed(seed)
    )


@pytest.mark.parametrize(
    "transform, shape",
    [
        (Resize(8), (8, 8)),
        (Resize((6, 10)), (6, 10)),
        (CenterCrop((10, 12)), (10, 12)),
        (RandomResizedCrop((6, 7)), (6, 7)),
        (RandomHorizontalFlip(), (16, 20)),
        (ColorJitter(0.2, 0.2, 0.2, 0.02), (16, 20)),
        (Normalize([0.5] * 3, [0.2] * 3), (16, 20)),
        (default_augmentation(8), (8, 8)),
    ],
    ids=repr,
)
def test_shapes_of_an_image_and_a_batch(transform, shape):
    batch = _images()
    assert transform(batch).shape == (4, 3, *shape)
    out = transform(batch[0])
    assert out.shape == (3, *shape) and out.dtype == torch.float32


@pytest.mark.parametrize("transform", RANDOM, ids=repr)
def test_random_transforms_stay_in_range_and_reproduce(transform):
    batch = _images()
    torch.manual_seed(0)
    first = transform(batch)
    torch.manual_seed(0)
    assert torch.equal(transform(batch), first)
    assert 0 <= first.min() and first.max() <= 1
    a = transform(batch, generator=torch.Generator().manual_seed(1))
    b = transform(batch, generator=torch.Generator().manual_seed(1))
    c = transform(batch, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("transform", RANDOM, ids=repr)
def test_each_image_of_a_batch_gets_its_own_draw(transform):
    batch = _images(1).expand(16, -1, -1, -1)
    out = transform(batch, generator=torch.Generator().manual_seed(0))
    assert any(not torch.equal(out[0], out[i]) for i in range(1, 16))


def test_flip_is_exact_at_p_0_and_1():
    batch = _images()
    assert torch.equal(RandomHorizontalFlip(p=0)(batch), batch)
    assert torch.equal(RandomHorizontalFlip(p=1)(batch), batch.flip(-1))
    assert torch.equal(RandomHorizontalFlip(p=1)(batch[0]), batch[0].flip(-1))


def test_resized_crop_of_the_whole_image_is_a_resize():
    crop = RandomResizedCrop(8, scale=(1, 1), ratio=(1, 1))
    square = _images(height=16, width=16)
    assert torch.allclose(crop(square), Resize(8)(square))
    # no square crop of full area fits: the fallback is the centre square
    wide = _images()
    assert torch.allclose(crop(wide), Resize(8)(CenterCrop(16)(wide)))


def test_resize_and_center_crop_values():
    batch = _images()
    assert torch.equal(Resize((16, 20))(batch), batch)
    assert torch.allclose(
        Resize((5, 7))(torch.full((3, 16, 20), 0.3)), torch.tensor(0.3)
    )
    assert torch.equal(CenterCrop((10, 12))(batch), batch[..., 3:13, 4:16])


def test_normalize_arithmetic():
    batch = _images()
    mean, std = [0.1, 0.5, 0.9], [0.5, 2.0, 0.25]
    expected = (batch - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[
        :, None, None
    ]
    assert torch.allclose(Normalize(mean, std)(batch), expected)
    assert torch.allclose(Normalize([0.5], [0.5])(batch[:, :1]), batch[:, :1] * 2 - 1)


def test_color_jitter_exact_cases():
    batch = _images()
    assert torch.equal(ColorJitter()(batch), batch)
    assert torch.equal(ColorJitter(0, 0, 0, 0)(batch), batch)
    assert torch.allclose(
        ColorJitter(brightness=(2, 2))(batch), (2 * batch).clamp(0, 1)
    )
    grey = ColorJitter(saturation=(0, 0))(batch)
    assert torch.allclose(grey[:, 0], grey[:, 1]) and torch.allclose(
        grey[:, 0], grey[:, 2]
    )
    flat = ColorJitter(contrast=(0, 0))(batch)
    assert torch.allclose(flat, flat[..., :1, :1].expand_as(flat))
    red = torch.zeros(3, 2, 2)
    red[0] = 1
    green = ColorJitter(hue=(1 / 3, 1 / 3))(red)
    assert torch.allclose(green, torch.roll(red, 1, dims=0), atol=1e-6)
    # brightness alone works whatever the number of channels
    assert ColorJitter(brightness=0.5)(batch[:, :1]).shape == (4, 1, 16, 20)


def test_compose_passes_the_generator_and_takes_plain_callables():
    pipeline = Compose([RandomHorizontalFlip(), torch.neg])
    batch = _images()
    a = pipeline(batch, generator=torch.Generator().manual_seed(3))
    b = -RandomHorizontalFlip()(batch, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_default_augmentation():
    augmentation = default_augmentation(8, mean=[0.5] * 3, std=[0.25] * 3)
    steps = augmentation.transforms
    assert [type(t) for t in steps] == [
        RandomResizedCrop,
        RandomHorizontalFlip,
        ColorJitter,
        Normalize,
    ]
    assert steps[0].scale == (0.5, 1.0) and steps[2].hue == 0.02
    assert len(default_augmentation(8).transforms) == 3
    with pytest.raises(ValueError, match="both mean and std"):
        default_augmentation(8, mean=[0.5] * 3)


def test_transforms_pickle():
    augmentation = default_augmentation((8, 6), mean=[0.5] * 3, std=[0.25] * 3)
    copy = pickle.loads(pickle.dumps(augmentation))
    batch = _images()
    a = augmentation(batch, generator=torch.Generator().manual_seed(0))
    b = copy(batch, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)
    assert repr(copy.transforms[1]) == "RandomHorizontalFlip(p=0.5)"


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Resize(-1), "size must be a positive int"),
        (lambda: Resize((8, 0)), "size must be a positive int"),
        (lambda: CenterCrop("8"), "size must be a positive int"),
        (lambda: RandomResizedCrop(0), "size must be a positive int"),
        (lambda: RandomResizedCrop(8, scale=(1.0, 0.5)), "scale must be a pair"),
        (lambda: RandomResizedCrop(8, scale=(0.5, 2)), "scale must be a pair"),
        (lambda: RandomResizedCrop(8, scale=(0, 1)), "scale must be positive"),
        (lambda: RandomResizedCrop(8, ratio=(2, 1)), "ratio must be a pair"),
        (lambda: RandomResizedCrop(8, ratio=(0, 1)), "ratio must be positive"),
        (lambda: RandomResizedCrop(8, ratio=1), r"ratio must be a pair \(min, max\)"),
        (lambda: RandomHorizontalFlip(p=1.5), r"p must be a probability in \[0, 1\]"),
        (lambda: RandomHorizontalFlip(p=-0.1), r"p must be a probability"),
        (lambda: ColorJitter(brightness=-0.1), "brightness must be non-negative"),
        (lambda: ColorJitter(contrast=(1.2, 0.8)), "contrast must be a pair"),
        (lambda: ColorJitter(hue=0.6), r"hue must be in \[0, 0.5\]"),
        (lambda: ColorJitter(hue=(-0.7, 0)), "hue must be a pair"),
        (
            lambda: Normalize([0.5] * 3, [0.2, 0.0, 0.2]),
            "std must be finite and non-zero",
        ),
        (lambda: Normalize([0.5] * 3, [0.2] * 2), "one value per channel"),
        (lambda: Normalize([], []), "one value per channel"),
        (lambda: Normalize("abc", [1, 1, 1]), "sequences of numbers"),
        (lambda: Compose([Resize(8), "flip"]), "Compose takes callables"),
    ],
)
def test_bad_parameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


LAYOUT = r"\(C, H, W\) or \(N, C, H, W\), channels first"


@pytest.mark.parametrize(
    "transform, x",
    [
        (Resize(8), torch.rand(16, 20)),
        (RandomHorizontalFlip(), torch.rand(1, 2, 3, 16, 20)),
        (Normalize([0.5] * 3, [0.2] * 3), torch.rand(16, 20, 3)),  # channels last
        (Normalize([0.5] * 3, [0.2] * 3), torch.rand(2, 1, 16, 20)),
        (ColorJitter(saturation=0.5), torch.rand(2, 1, 16, 20)),
        (Resize(8), torch.zeros(3, 16, 20, dtype=torch.uint8)),
    ],
    ids=["2-d", "5-d", "channels-last", "1-channel", "jitter-1-channel", "uint8"],
)
def test_bad_inputs_name_the_layout(transform, x):
    with pytest.raises(ValueError, match=LAYOUT):
        transform(x)


def test_other_input_errors():
    with pytest.raises(TypeError, match="takes a torch.Tensor"):
        Resize(8)([[0.0]])
    with pytest.raises(ValueError, match="larger than the image"):
        CenterCrop(32)(_images())
