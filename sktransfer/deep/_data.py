"""Image folders as torch Datasets: one domain, or several with shared classes."""

import numbers
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import ConcatDataset, Dataset

__all__ = ["DomainImageFolders", "ImageFolder"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
_BILINEAR = getattr(Image, "Resampling", Image).BILINEAR


def _check_image_size(image_size):
    size = (image_size,) * 2 if isinstance(image_size, numbers.Integral) else image_size
    try:
        size = tuple(size)
    except TypeError:
        size = ()
    if len(size) != 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
        for s in size
    ):
        raise ValueError(
            "image_size must be a positive int or a pair (H, W) of positive ints; "
            f"got {image_size!r}."
        )
    return int(size[0]), int(size[1])


def _check_classes(classes):
    if isinstance(classes, str) or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"classes must be a list of str; got {classes!r}.")
    classes = list(classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be non-empty and unique; got {classes!r}.")
    return classes


def _class_folders(root):
    """Sorted names of the class folders of ``root`` (hidden ones skipped)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Image folder {str(root)!r} does not exist.")
    names = sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not names:
        raise FileNotFoundError(
            f"No class folder in {str(root)!r}: images are read from "
            "ROOT/CLASS/IMAGE files."
        )
    return names


class ImageFolder(Dataset):
    """Images stored as ``root/<class>/<image>``, decoded when an item is read.

    The files are listed at construction, sorted by class then by path
    (subfolders of a class folder included; hidden files and folders,
    whose name starts with ``"."``, skipped); no image is opened until
    an item is read. An item is decoded with Pillow, converted to RGB and
    resized bilinearly (anti-aliased when shrinking).

    Parameters
    ----------
    root : str or path-like
        Folder holding one subfolder of images per class.
    image_size : int or tuple of (int, int), default=224
        Size ``(H, W)`` of the images returned; an int gives a square.
    classes : list of str, default=None
        All class names, in the order of their indices; a class may have no
        folder under ``root`` (so that several domains share one class index
        when some lacks a class), but every class folder must be listed.
        ``None`` takes the sorted names of the class folders.
    extensions : tuple of str, default=(".jpg", ".jpeg", ".png", ".bmp", \
            ".gif", ".webp")
        File name endings of the images (case-insensitive); other files are
        ignored.
    transform : callable, default=None
        Applied to each image tensor after it is decoded, e.g. a
        :class:`~sktransfer.deep.Compose` of transforms.

    Attributes
    ----------
    classes : list of str
        Class names; ``classes[i]`` is the class of index ``i``.
    class_to_idx : dict of str to int
        Index of each class name.
    samples : list of tuple of (str, int)
        Path and class index of each image, in item order.
    targets : ndarray of shape (n_samples,), dtype int64
        Class index of each image, known without decoding any.

    Examples
    --------
    >>> from sktransfer.deep import ImageFolder
    >>> dataset = ImageFolder("vlcs_mini/caltech", image_size=64)  # doctest: +SKIP
    >>> x, y = dataset[0]  # doctest: +SKIP
    >>> x.shape, x.dtype, dataset.classes[y]  # doctest: +SKIP
    (torch.Size([3, 64, 64]), torch.float32, 'bird')
    """

    def __init__(
        self,
        root,
        *,
        image_size=224,
        classes=None,
        extensions=IMAGE_EXTENSIONS,
        transform=None,
    ):
        self.root = str(root)
        self.image_size = _check_image_size(image_size)
        if isinstance(extensions, str):
            extensions = (extensions,)
        self.extensions = tuple(e.lower() for e in extensions)
        if transform is not None and not callable(transform):
            raise ValueError(f"transform must be callable or None; got {transform!r}.")
        self.transform = transform

        folders = _class_folders(root)
        self.classes = sorted(folders) if classes is None else _check_classes(classes)
        unknown = [name for name in folders if name not in self.classes]
        if unknown:
            raise ValueError(
                f"Class folder(s) {unknown} of {self.root!r} are not among the "
                f"classes given {self.classes}."
            )
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.samples = []
        for name in folders:
            folder = Path(root) / name
            files = sorted(
                p
                for p in folder.rglob("*")
                if p.suffix.lower() in self.extensions
                and not any(s.startswith(".") for s in p.relative_to(folder).parts)
                and p.is_file()
            )
            self.samples += [(str(p), self.class_to_idx[name]) for p in files]
        if not self.samples:
            raise FileNotFoundError(
                f"No image ({', '.join(self.extensions)}) in the class folders "
                f"of {self.root!r}."
            )
        self.targets = np.fromiter(
            (index for _, index in self.samples), dtype=np.int64, count=len(self)
        )

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        x = self.load_image(path)
        if self.transform is not None:
            x = self.transform(x)
        return x, torch.tensor(target, dtype=torch.int64)

    def load_image(self, path):
        """Decode one image file as a float tensor (3, H, W) in [0, 1].

        Parameters
        ----------
        path : str or path-like
            The image file.

        Returns
        -------
        x : torch.Tensor of shape (3, H, W), dtype float32
            The RGB image resized to ``image_size``, channels first.
        """
        height, width = self.image_size
        try:
            with Image.open(path) as image:
                image = image.convert("RGB")
        except FileNotFoundError:
            raise
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise OSError(f"Cannot decode image file {str(path)!r}: {exc}") from exc
        if image.size != (width, height):
            image = image.resize((width, height), _BILINEAR)
        pixels = torch.from_numpy(np.array(image, dtype=np.uint8))
        return pixels.permute(2, 0, 1).to(torch.float32).div_(255)

    def __repr__(self):
        return (
            f"{type(self).__name__}(root={self.root!r}, n_samples={len(self)}, "
            f"classes={self.classes})"
        )


class DomainImageFolders(ConcatDataset):
    """Image folders of several domains, with one shared class index.

    One :class:`ImageFolder` per domain, concatenated in domain order. The
    classes are shared: a domain without a folder for some class still
    gives every class the same index as the others.

    Parameters
    ----------
    domains : mapping of str to str or path-like
        ``{domain_name: root}``; each root holds ``<class>/<image>`` files.
        Its order is the order of the rows.
    image_size : int or tuple of (int, int), default=224
        Size ``(H, W)`` of the images returned; an int gives a square.
    classes : list of str, default=None
        All class names, in the order of their indices; ``None`` takes the
        sorted union of the class folder names of all domains.
    extensions : tuple of str, default=(".jpg", ".jpeg", ".png", ".bmp", \
            ".gif", ".webp")
        File name endings of the images (case-insensitive).
    transform : callable, default=None
        Applied to each image tensor after it is decoded.

    Attributes
    ----------
    datasets : list of ImageFolder
        The folder of each domain, in domain order.
    domain_names : list of str
        The domain names, in order.
    classes : list of str
        Class names; ``classes[i]`` is the class of index ``i``.
    class_to_idx : dict of str to int
        Index of each class name.
    samples : list of tuple of (str, int)
        Path and class index of each image, in item order.
    targets : ndarray of shape (n_samples,), dtype int64
        Class index of each row, known without decoding any image.
    domains : ndarray of shape (n_samples,), dtype str
        Domain name of each row.

    Examples
    --------
    >>> from sktransfer.deep import DomainImageFolders
    >>> dataset = DomainImageFolders(
    ...     {"caltech": "vlcs_mini/caltech", "labelme": "vlcs_mini/labelme"},
    ...     image_size=64,
    ... )  # doctest: +SKIP
    >>> sample_domain = dataset.sample_domain(target="labelme")  # doctest: +SKIP
    >>> net.fit(dataset, dataset.targets, sample_domain=sample_domain)  # doctest: +SKIP
    """

    def __init__(
        self,
        domains,
        *,
        image_size=224,
        classes=None,
        extensions=IMAGE_EXTENSIONS,
        transform=None,
    ):
        if not isinstance(domains, Mapping) or not domains:
            raise ValueError(
                "domains must be a non-empty mapping {domain_name: root}; "
                f"got {domains!r}."
            )
        names = list(domains)
        if not all(isinstance(name, str) for name in names):
            raise ValueError(f"Domain names must be str; got {names!r}.")
        if classes is None:
            classes = sorted(
                set().union(*(_class_folders(root) for root in domains.values()))
            )
        folders = [
            ImageFolder(
                root,
                image_size=image_size,
                classes=classes,
                extensions=extensions,
                transform=transform,
            )
            for root in domains.values()
        ]
        super().__init__(folders)
        self.domain_names = names
        self.classes = folders[0].classes
        self.class_to_idx = folders[0].class_to_idx
        self.samples = [s for folder in folders for s in folder.samples]
        self.targets = np.concatenate([folder.targets for folder in folders])
        self.domains = np.repeat(np.asarray(names), [len(f) for f in folders])

    def sample_domain(self, source=None, target=None):
        """The ``sample_domain`` of the rows, for sktransfer's estimators.

        Source domains get ``1, 2, ...`` and target domains ``-1, -2, ...``,
        in the order given. Every domain of the dataset must be a source or a
        target: to leave one out, build the dataset without it (listing the
        files is cheap; pass ``classes`` to keep the class index).

        Parameters
        ----------
        source : str or list of str, default=None
            Source domain(s); ``None`` means every domain not in ``target``,
            in domain order.
        target : str or list of str, default=None
            Target domain(s); ``None`` means none.

        Returns
        -------
        sample_domain : ndarray of shape (n_samples,), dtype int64
            Domain of each row: positive for source rows, negative for
            target rows.
        """
        target = self._domain_list(target, "target")
        if source is None:
            source = [name for name in self.domain_names if name not in target]
        else:
            source = self._domain_list(source, "source")
        both = sorted(set(source) & set(target))
        if both:
            raise ValueError(f"Domain(s) {both} are both source and target.")
        left = [n for n in self.domain_names if n not in source and n not in target]
        if left:
            raise ValueError(
                f"Domain(s) {left} are neither source nor target; build the "
                "dataset without them to leave them out."
            )
        if not source and not target:
            raise ValueError("No source nor target domain.")
        value = {name: i + 1 for i, name in enumerate(source)}
        value.update({name: -(i + 1) for i, name in enumerate(target)})
        return np.repeat(
            np.array([value[name] for name in self.domain_names], dtype=np.int64),
            [len(folder) for folder in self.datasets],
        )

    def _domain_list(self, names, what):
        if names is None:
            return []
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in self.domain_names]
        if unknown:
            raise ValueError(
                f"Unknown {what} domain(s) {unknown}; the domains are "
                f"{self.domain_names}."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"A {what} domain is given twice: {names}.")
        return names

    def __repr__(self):
        return (
            f"{type(self).__name__}(domains={self.domain_names}, "
            f"n_samples={len(self)}, classes={self.classes})"
        )
