"""Image transforms in torch alone, for float images channels first.

Each transform takes one image ``(C, H, W)`` or a batch ``(N, C, H, W)`` of
floats in [0, 1] and returns the same layout. Random transforms draw a fresh
draw for every image of a batch, from the ``generator`` given at call time or
from torch's global random number generator, so that ``torch.manual_seed``
makes them reproducible. They are plain picklable objects.
"""

import math
import numbers

import torch
from torch.nn import functional as F

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "Normalize",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "Resize",
    "default_augmentation",
]

_LAYOUT = "(C, H, W) or (N, C, H, W), channels first"


def _check_size(size, name="size"):
    """``size`` (int or pair of int) as a pair ``(H, W)`` of positive ints."""
    pair = (size, size) if isinstance(size, numbers.Integral) else size
    try:
        pair = tuple(pair)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
        for s in pair
    ):
        raise ValueError(
            f"{name} must be a positive int or a pair (H, W) of positive ints; "
            f"got {size!r}."
        )
    return int(pair[0]), int(pair[1])


def _check_range(value, name, low=-math.inf, high=math.inf):
    """A pair ``(a, b)`` of numbers with ``low <= a <= b <= high``."""
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (min, max); got {value!r}.") from None
    if not low <= a <= b <= high:
        raise ValueError(
            f"{name} must be a pair (min, max) with {low} <= min <= max <= {high}; "
            f"got {value!r}."
        )
    return a, b


def _as_batch(x, name):
    """``x`` as a batch ``(N, C, H, W)``, and whether it was a single image."""
    if not torch.is_tensor(x):
        raise TypeError(
            f"{name} takes a torch.Tensor image of shape {_LAYOUT}; "
            f"got {type(x).__name__}."
        )
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name} takes an image of shape {_LAYOUT}; got a {x.ndim}-d tensor "
            f"of shape {tuple(x.shape)}."
        )
    if not x.is_floating_point():
        raise ValueError(
            f"{name} takes a float image in [0, 1] of shape {_LAYOUT}; "
            f"got dtype {x.dtype}."
        )
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def _check_channels(batch, n_channels, name, what):
    if batch.shape[1] != n_channels:
        raise ValueError(
            f"{name} {what} {n_channels} channel(s) but the image has "
            f"{batch.shape[1]} (shape {tuple(batch.shape)}); images are taken "
            f"as {_LAYOUT}."
        )


def _uniform(n, low, high, generator, device):
    """``n`` draws from U(low, high) (on the generator's device, then moved)."""
    rand = torch.rand(
        n, generator=generator, device="cpu" if generator is None else generator.device
    )
    return (low + (high - low) * rand).to(device)


def _resize(batch, size):
    if tuple(batch.shape[-2:]) == size:
        return batch
    return F.interpolate(
        batch, size=size, mode="bilinear", align_corners=False, antialias=True
    )


class _Transform:
    """Base of the transforms: batches the input and prints the parameters."""

    def __call__(self, x, generator=None):
        """Transform an image ``(C, H, W)`` or a batch ``(N, C, H, W)``.

        Parameters
        ----------
        x : torch.Tensor of shape (C, H, W) or (N, C, H, W)
            Float image(s), channels first, values in [0, 1].
        generator : torch.Generator, default=None
            Source of randomness; ``None`` uses torch's global one.

        Returns
        -------
        out : torch.Tensor
            The transformed image(s), in the layout of ``x``.
        """
        batch, single = _as_batch(x, type(self).__name__)
        out = self._transform(batch, generator)
        return out[0] if single else out

    def __repr__(self):
        params = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_")
        )
        return f"{type(self).__name__}({params})"


class Resize(_Transform):
    """Resize images, bilinear with anti-aliasing.

    Parameters
    ----------
    size : int or tuple of (int, int)
        Output size: ``(H, W)``, or an int for a square ``(size, size)``.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import Resize
    >>> Resize(8)(torch.rand(3, 20, 16)).shape
    torch.Size([3, 8, 8])
    >>> Resize((4, 6))(torch.rand(2, 3, 20, 16)).shape
    torch.Size([2, 3, 4, 6])
    """

    def __init__(self, size):
        self.size = _check_size(size)

    def _transform(self, batch, generator):
        return _resize(batch, self.size)


class CenterCrop(_Transform):
    """Crop the centre of images.

    Parameters
    ----------
    size : int or tuple of (int, int)
        Crop size: ``(H, W)``, or an int for a square; at most the image size.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import CenterCrop
    >>> CenterCrop(10)(torch.rand(3, 20, 16)).shape
    torch.Size([3, 10, 10])
    """

    def __init__(self, size):
        self.size = _check_size(size)

    def _transform(self, batch, generator):
        (h, w), (height, width) = self.size, batch.shape[-2:]
        if h > height or w > width:
            raise ValueError(
                f"CenterCrop of size {self.size} is larger than the image "
                f"({height}, {width})."
            )
        top, left = (height - h) // 2, (width - w) // 2
        return batch[..., top : top + h, left : left + w]


class RandomResizedCrop(_Transform):
    """Crop a random part of each image and resize it, as torchvision does.

    For each image, an area fraction is drawn uniformly in ``scale`` and an
    aspect ratio (width / height) log-uniformly in ``ratio``; the first of 10
    tries that fits in the image is cropped at a uniform position, and when
    none fits a centre crop clipped to ``ratio`` is taken. The crop is then
    resized to ``size`` (bilinear, anti-aliased).

    Parameters
    ----------
    size : int or tuple of (int, int)
        Output size: ``(H, W)``, or an int for a square.
    scale : tuple of (float, float), default=(0.08, 1.0)
        Range of the crop's area as a fraction of the image's, in (0, 1].
    ratio : tuple of (float, float), default=(3/4, 4/3)
        Range of the crop's aspect ratio (width / height), positive.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import RandomResizedCrop
    >>> crop = RandomResizedCrop(8, scale=(0.5, 1.0))
    >>> generator = torch.Generator().manual_seed(0)
    >>> crop(torch.rand(4, 3, 20, 16), generator=generator).shape
    torch.Size([4, 3, 8, 8])
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
        self.size = _check_size(size)
        self.scale = _check_range(scale, "scale", 0, 1)
        if self.scale[0] <= 0:
            raise ValueError(f"scale must be positive; got {scale!r}.")
        self.ratio = _check_range(ratio, "ratio", 0)
        if self.ratio[0] <= 0:
            raise ValueError(f"ratio must be positive; got {ratio!r}.")

    def _crop_box(self, height, width, generator):
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        device = "cpu" if generator is None else generator.device
        for _ in range(10):
            target_area = area * _uniform(1, *self.scale, generator, "cpu").item()
            aspect = math.exp(_uniform(1, *log_ratio, generator, "cpu").item())
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = torch.randint(
                    0, height - h + 1, (1,), generator=generator, device=device
                )
                left = torch.randint(
                    0, width - w + 1, (1,), generator=generator, device=device
                )
                return int(top), int(left), h, w
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = height, int(round(height * self.ratio[1]))
        else:
            h, w = height, width
        return (height - h) // 2, (width - w) // 2, h, w

    def _transform(self, batch, generator):
        height, width = batch.shape[-2:]
        crops = []
        for image in batch:
            top, left, h, w = self._crop_box(height, width, generator)
            crop = image[None, :, top : top + h, left : left + w]
            crops.append(_resize(crop, self.size))
        return torch.cat(crops)


class RandomHorizontalFlip(_Transform):
    """Flip each image left-right with probability ``p``.

    Parameters
    ----------
    p : float, default=0.5
        Probability of flipping each image, in [0, 1].

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import RandomHorizontalFlip
    >>> x = torch.arange(3.0).reshape(1, 1, 3) / 2
    >>> RandomHorizontalFlip(p=1.0)(x)
    tensor([[[1.0000, 0.5000, 0.0000]]])
    """

    def __init__(self, p=0.5):
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"p must be a probability in [0, 1]; got {p!r}.")
        self.p = float(p)

    def _transform(self, batch, generator):
        flip = _uniform(len(batch), 0, 1, generator, batch.device) < self.p
        return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


def _grayscale(batch):
    r, g, b = batch.unbind(1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(1)


def _rgb_to_hsv(batch):
    r, g, b = batch.unbind(1)
    value = batch.amax(1)
    chroma = value - batch.amin(1)
    grey = chroma == 0
    saturation = chroma / torch.where(value == 0, torch.ones_like(value), value)
    chroma = torch.where(grey, torch.ones_like(chroma), chroma)
    hue = torch.where(
        value == r,
        (g - b) / chroma,
        torch.where(value == g, 2 + (b - r) / chroma, 4 + (r - g) / chroma),
    )
    hue = torch.where(grey, torch.zeros_like(hue), torch.remainder(hue / 6, 1))
    return hue, saturation, value


def _hsv_to_rgb(hue, saturation, value):
    channels = []
    for n in (5, 3, 1):
        k = torch.remainder(n + 6 * hue, 6)
        ramp = torch.clamp(torch.minimum(k, 4 - k), 0, 1)
        channels.append(value - value * saturation * ramp)
    return torch.stack(channels, 1)


class ColorJitter(_Transform):
    """Randomly change the brightness, contrast, saturation and hue of images.

    Each image gets its own factors, applied in that order, then the values
    are clipped to [0, 1]. As in torchvision, brightness scales the image,
    contrast blends it with the mean of its grayscale version and saturation
    with its grayscale version, by a factor drawn uniformly in
    ``[max(0, 1 - v), 1 + v]`` for a parameter ``v``; hue shifts the hue in
    HSV by a draw in ``[-hue, hue]`` (a fraction of the colour circle).

    Parameters
    ----------
    brightness, contrast, saturation : float or tuple of (float, float), \
            default=0
        How much to jitter: ``v >= 0``, or the factor range ``(min, max)``
        itself, non-negative. ``0`` leaves that property unchanged.
    hue : float or tuple of (float, float), default=0
        Hue shift: ``h`` in [0, 0.5], or the range ``(min, max)`` within
        [-0.5, 0.5].

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import ColorJitter
    >>> x = torch.rand(4, 3, 20, 16)
    >>> out = ColorJitter(0.2, 0.2, 0.2, 0.02)(x)
    >>> out.shape, bool(out.min() >= 0), bool(out.max() <= 1)
    (torch.Size([4, 3, 20, 16]), True, True)
    >>> torch.equal(ColorJitter()(x), x)
    True
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self._ranges = {
            name: self._factor_range(getattr(self, name), name)
            for name in ("brightness", "contrast", "saturation")
        }
        if isinstance(hue, numbers.Real):
            if not 0 <= hue <= 0.5:
                raise ValueError(f"hue must be in [0, 0.5]; got {hue!r}.")
            hue = (-hue, hue)
        self._ranges["hue"] = _check_range(hue, "hue", -0.5, 0.5)

    @staticmethod
    def _factor_range(value, name):
        if isinstance(value, numbers.Real):
            if value < 0:
                raise ValueError(f"{name} must be non-negative; got {value!r}.")
            return max(0.0, 1.0 - value), 1.0 + value
        return _check_range(value, name, 0)

    def _transform(self, batch, generator):
        needs_rgb = [
            name
            for name, neutral in (("contrast", 1), ("saturation", 1), ("hue", 0))
            if self._ranges[name] != (neutral, neutral)
        ]
        if needs_rgb:
            _check_channels(batch, 3, "ColorJitter", f"with {needs_rgb[0]} takes")
        out = batch
        n, device = len(batch), batch.device
        for name, neutral in (
            ("brightness", 1),
            ("contrast", 1),
            ("saturation", 1),
            ("hue", 0),
        ):
            low, high = self._ranges[name]
            if (low, high) == (neutral, neutral):
                continue
            factor = _uniform(n, low, high, generator, device).to(batch.dtype)
            factor = factor[:, None, None, None]
            if name == "brightness":
                out = out * factor
            elif name == "contrast":
                mean = _grayscale(out).mean((1, 2, 3), keepdim=True)
                out = factor * out + (1 - factor) * mean
            elif name == "saturation":
                out = factor * out + (1 - factor) * _grayscale(out)
            else:
                h, s, v = _rgb_to_hsv(out)
                out = _hsv_to_rgb(torch.remainder(h + factor[:, 0], 1), s, v)
            out = out.clamp(0, 1)
        return out


class Normalize(_Transform):
    """Standardise each channel: ``(x - mean) / std``.

    Parameters
    ----------
    mean : sequence of float
        Mean of each channel.
    std : sequence of float
        Standard deviation of each channel, non-zero.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import Normalize
    >>> Normalize([0.5, 0.5, 0.5], [0.25, 0.5, 1.0])(torch.ones(3, 1, 1)).flatten()
    tensor([2.0000, 1.0000, 0.5000])
    """

    def __init__(self, mean, std):
        try:
            self.mean = tuple(float(m) for m in mean)
            self.std = tuple(float(s) for s in std)
        except (TypeError, ValueError):
            raise ValueError(
                f"mean and std must be sequences of numbers, one per channel; "
                f"got mean={mean!r}, std={std!r}."
            ) from None
        if not self.mean or len(self.mean) != len(self.std):
            raise ValueError(
                f"mean and std must have one value per channel, as many each; "
                f"got {len(self.mean)} and {len(self.std)}."
            )
        if any(s == 0 or not math.isfinite(s) for s in self.std):
            raise ValueError(f"std must be finite and non-zero; got {self.std}.")

    def _transform(self, batch, generator):
        _check_channels(batch, len(self.mean), "Normalize", "has mean and std for")
        shape = (1, -1, 1, 1)
        mean = torch.tensor(self.mean, dtype=batch.dtype, device=batch.device)
        std = torch.tensor(self.std, dtype=batch.dtype, device=batch.device)
        return (batch - mean.view(shape)) / std.view(shape)


class Compose(_Transform):
    """Apply transforms one after the other.

    Parameters
    ----------
    transforms : list of callable
        The transforms; those of this module get the call's ``generator``,
        any other callable is called on the tensor alone.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import CenterCrop, Compose, Resize
    >>> Compose([CenterCrop(16), Resize(8)])(torch.rand(2, 3, 20, 16)).shape
    torch.Size([2, 3, 8, 8])
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise ValueError(f"Compose takes callables; got {t!r}.")

    def __call__(self, x, generator=None):
        for t in self.transforms:
            x = t(x, generator=generator) if isinstance(t, _Transform) else t(x)
        return x


def default_augmentation(size, mean=None, std=None):
    """The usual augmentation of training images.

    A random resized crop (half the area or more), a random horizontal flip
    and a mild colour jitter, then a normalisation when ``mean`` and ``std``
    are given.

    Parameters
    ----------
    size : int or tuple of (int, int)
        Output size: ``(H, W)``, or an int for a square.
    mean, std : sequence of float, default=None
        Per-channel normalisation (both or neither), e.g. ImageNet's
        ``(0.485, 0.456, 0.406)`` and ``(0.229, 0.224, 0.225)``.

    Returns
    -------
    augmentation : Compose
        ``RandomResizedCrop(size, scale=(0.5, 1))``,
        ``RandomHorizontalFlip()``, ``ColorJitter(0.2, 0.2, 0.2, 0.02)``
        and ``Normalize(mean, std)`` when given.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import default_augmentation
    >>> _ = torch.manual_seed(0)
    >>> default_augmentation(8)(torch.rand(4, 3, 20, 16)).shape
    torch.Size([4, 3, 8, 8])
    """
    if (mean is None) != (std is None):
        raise ValueError("Give both mean and std, or neither.")
    transforms = [
        RandomResizedCrop(size, scale=(0.5, 1.0)),
        RandomHorizontalFlip(),
        ColorJitter(0.2, 0.2, 0.2, 0.02),
    ]
    if mean is not None:
        transforms.append(Normalize(mean, std))
    return Compose(transforms)
