"""MNIST -> scikit-learn digits: two real handwritten-digit domains."""

import numbers

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._base import RemoteFileMetadata, _fetch_file, _load_domains

# Keras' public copy of MNIST (tf.keras.datasets.mnist.load_data), keys
# x_train/y_train/x_test/y_test; its sha256 is the file_hash Keras checks. The
# project's shared copy (keys images/labels) is read as well.
REMOTE_FILE = RemoteFileMetadata(
    "mnist/mnist.npz",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
)
DOMAINS = ["mnist", "digits"]

DESCR = """\
MNIST -> digits
---------------
Two domains of handwritten digits 0..9: ``mnist`` (70000 grey images of
28x28 pixels, the first 60000 the official training set) and ``digits``
(1797 images of 8x8 pixels with 17 grey levels, the UCI optdigits test set
bundled with scikit-learn). Both are resampled to a common square size
(area averaging to shrink, bilinear interpolation to enlarge) and scaled to
[0, 1]. MNIST digits are centred in a 20x20 box with a blank margin while
optdigits fill their frame: besides the resolution, the domains differ in
stroke width, framing and grey levels.

References: Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
learning applied to document recognition", Proc. IEEE 86(11), 1998 (MNIST,
CC BY-SA 3.0). E. Alpaydin and C. Kaynak, "Optical recognition of
handwritten digits", UCI Machine Learning Repository, 1998.
"""


def _resample_matrix(n_in, n_out):
    """1-d resampling operator of shape (n_out, n_in); each row sums to 1.

    Shrinking averages the input pixels over each output pixel's area
    (anti-aliased); enlarging interpolates linearly between pixel centres.
    """
    R = np.zeros((n_out, n_in))
    scale = n_in / n_out
    if n_out <= n_in:
        for i in range(n_out):
            lo, hi = i * scale, (i + 1) * scale
            for j in range(int(np.floor(lo)), min(int(np.ceil(hi)), n_in)):
                R[i, j] = min(hi, j + 1) - max(lo, j)
        return R / scale
    centres = np.clip((np.arange(n_out) + 0.5) * scale - 0.5, 0, n_in - 1)
    j0 = np.floor(centres).astype(int)
    j1 = np.minimum(j0 + 1, n_in - 1)
    w = centres - j0
    np.add.at(R, (np.arange(n_out), j0), 1 - w)
    np.add.at(R, (np.arange(n_out), j1), w)
    return R


def _resize(images, size):
    """Resize (n, h, w) images to (n, size, size), separably."""
    _, h, w = images.shape
    if (h, w) == (size, size):
        return images.astype(np.float32)
    rows = _resample_matrix(h, size).astype(np.float32)
    cols = _resample_matrix(w, size).astype(np.float32)
    return rows @ images.astype(np.float32) @ cols.T


def _read_mnist(path):
    with np.load(path) as npz:
        if "images" in npz.files:
            return npz["images"], npz["labels"]
        return (
            np.concatenate([npz["x_train"], npz["x_test"]]),
            np.concatenate([npz["y_train"], npz["y_test"]]),
        )


def _subsample(labels, n_samples, rng):
    """Indices of ``n_samples`` rows, stratified by label, in original order."""
    index = np.arange(labels.shape[0])
    if n_samples is None or n_samples >= labels.shape[0]:
        return index
    _, counts = np.unique(labels, return_counts=True)
    stratify = labels if n_samples >= counts.size and counts.min() >= 2 else None
    chosen, _ = train_test_split(
        index,
        train_size=n_samples,
        stratify=stratify,
        random_state=rng.randint(np.iinfo(np.int32).max),
    )
    return np.sort(chosen)


@validate_params(
    {
        "image_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_mnist_digits(
    source="mnist",
    target="digits",
    *,
    image_size=16,
    n_samples=None,
    random_state=None,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
):
    """Load the MNIST -> digits pair of handwritten-digit domains.

    =================  ==================================================
    Domains            mnist (70000 images, 28x28), digits (1797, 8x8)
    Features           ``image_size ** 2`` pixels in [0, 1], float32
    Classes            10 (digits 0..9)
    =================  ==================================================

    ``mnist`` is read from ``mnist/mnist.npz`` under the data home (keys
    ``images``/``labels``, or Keras' ``x_train``/``y_train``/``x_test``/
    ``y_test``, the first 60000 rows being the official training set);
    ``digits`` is :func:`sklearn.datasets.load_digits`, bundled with
    scikit-learn. Both are resampled to ``image_size x image_size`` with a
    separable linear operator: area averaging when shrinking (anti-aliased,
    28 -> 16 keeps every stroke), linear interpolation between pixel centres
    when enlarging (8 -> 16). Pixels are then scaled to [0, 1] (MNIST divided
    by 255, digits by 16).

    Parameters
    ----------
    source : str, list of str or None, default="mnist"
        Source domain(s), ``"mnist"`` and/or ``"digits"``; they get
        ``sample_domain`` 1, 2, ... in order.
    target : str, list of str or None, default="digits"
        Target domain(s); they get ``sample_domain`` -1, -2, ... in order.
    image_size : int, default=16
        Side of the square images returned.
    n_samples : int or None, default=None
        Number of rows drawn from each domain, without replacement and
        stratified by class (kept in their original order); a domain with
        fewer rows is returned whole. ``None`` returns every row.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling; unused when ``n_samples`` is None.
    data_home : str or path-like, default=None
        Data folder (see :func:`get_data_home`).
    download_if_missing : bool, default=True
        Download a missing ``mnist.npz`` (Keras' public copy, 11 MB); when
        false, a missing file raises :class:`FileNotFoundError`.
    return_X_y : bool, default=False
        Return ``(X, y, sample_domain)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields ``data`` (ndarray of shape (n_samples, image_size ** 2),
        float32), ``images`` (the same pixels, of shape (n_samples,
        image_size, image_size)), ``target`` (digits of every row, target rows
        included; hide them with :func:`sktransfer.utils.hide_target_labels`),
        ``sample_domain`` (int64), ``domain_names`` (dict name -> domain
        value), ``target_names`` and ``DESCR``. Rows come domain by domain, in
        the given order.
    (X, y, sample_domain) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        If a domain name is unknown or given twice, none is chosen, or
        ``image_size`` or ``n_samples`` is not a positive int.
    FileNotFoundError
        If ``mnist.npz`` is needed, missing and cannot be downloaded.
    OSError
        If a download does not match its checksum.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
       learning applied to document recognition", Proceedings of the IEEE
       86(11), 1998.
    .. [2] E. Alpaydin and C. Kaynak, "Optical recognition of handwritten
       digits", UCI Machine Learning Repository, 1998.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_mnist_digits
    >>> bunch = fetch_mnist_digits(n_samples=2000, random_state=0)  # doctest: +SKIP
    >>> bunch.data.shape, bunch.images.shape  # doctest: +SKIP
    ((3797, 256), (3797, 16, 16))
    """
    rng = check_random_state(random_state)

    def load_domain(name):
        if name == "mnist":
            path = _fetch_file(
                REMOTE_FILE, data_home, download_if_missing=download_if_missing
            )
            images, labels = _read_mnist(path)
            scale = 255.0
        else:
            digits = load_digits()
            images, labels, scale = digits.images, digits.target, 16.0
        keep = _subsample(labels, n_samples, rng)
        images = _resize(images[keep].astype(np.float32) / scale, image_size)
        np.clip(images, 0.0, 1.0, out=images)
        return {
            "data": images.reshape(images.shape[0], -1),
            "target": labels[keep].astype(np.int64),
            "images": images,
        }

    return _load_domains(
        source,
        target,
        DOMAINS,
        load_domain,
        target_names=[str(d) for d in range(10)],
        descr=DESCR,
        return_X_y=return_X_y,
    )
