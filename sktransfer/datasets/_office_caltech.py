"""Office-Caltech-10 with 800-bin SURF bag-of-words features."""

import numpy as np
from scipy.io import loadmat

from ._base import RemoteFileMetadata, _fetch_file, _load_domains

# The four MATLAB files of Gong et al. (2012) as redistributed with the CORAL
# code of Sun et al. (2016): https://github.com/VisionLearningGroup/CORAL, whose
# README says that "the data used in reference 1 is included in /dataset
# folder". The checksums are those of the copies in the project's shared data
# folder (MATLAB 5.0 files written on 2011-10-28). No stored copy of that
# folder was at hand offline: the file names are the ones every user of these
# features loads, the exact path in the repository could not be checked.
_URL = "https://raw.githubusercontent.com/VisionLearningGroup/CORAL/master/dataset/"
_FILES = {
    "amazon": (
        "amazon_SURF_L10.mat",
        "df32548b994e18d364c99e1f317e1fae100597259f0423a41b90f4f68187bb1f",
    ),
    "caltech": (
        "Caltech10_SURF_L10.mat",
        "4f9334c8ced489d5054de97a5fd51a61f017f3bcd1f38c9a85c6d78cb9d7bda5",
    ),
    "dslr": (
        "dslr_SURF_L10.mat",
        "44d673c68e1d07b837893aa74dba3b986e4a6cc3fd66f0dd357683bdef059216",
    ),
    "webcam": (
        "webcam_SURF_L10.mat",
        "a6a9c78b4b7181dfbb58bcfd351d4ebd737f171c31247b8884948aa156d3f700",
    ),
}
REMOTE_FILES = {
    domain: RemoteFileMetadata(f"office_caltech_surf/{name}", _URL + name, checksum)
    for domain, (name, checksum) in _FILES.items()
}

# Labels 1..10 of the files follow the alphabetical order of the ten classes
# shared by Office-31 and Caltech-256 (the same list as skada's Office loader);
# the class sizes of amazon, dslr and webcam under that order match those of
# the Office-31 classes (e.g. amazon: 92 back_pack, 82 bike, ...).
CLASS_NAMES = [
    "back_pack",
    "bike",
    "calculator",
    "headphones",
    "keyboard",
    "laptop_computer",
    "monitor",
    "mouse",
    "mug",
    "projector",
]

DESCR = """\
Office-Caltech-10 (SURF features)
---------------------------------
Ten object classes shared by Office-31 and Caltech-256, in four domains:
amazon (958 images from amazon.com), caltech (1123, Caltech-256), dslr (157)
and webcam (295). Each image is an 800-bin bag-of-words histogram of SURF
descriptors (raw counts, float64). Labels 0..9.

The usual protocol normalises each row to sum 1 and z-scores every feature
within each domain;
the published 1-NN results of the JDA paper also scale each row to unit L2
norm before the mapping and each mapped row after it.

Reference: B. Gong, Y. Shi, F. Sha and K. Grauman, "Geodesic flow kernel for
unsupervised domain adaptation", CVPR 2012. Files as redistributed with the
CORAL code (B. Sun, J. Feng and K. Saenko, AAAI 2016); research use.
"""


def fetch_office_caltech(
    source="amazon",
    target="webcam",
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
):
    """Load Office-Caltech-10 SURF features, domain by domain.

    =================  =========================================
    Domains            amazon, caltech, dslr, webcam
    Rows               958, 1123, 157, 295
    Features           800 (SURF bag-of-words counts, float64)
    Classes            10 (labels 0..9)
    =================  =========================================

    The features are returned raw. The usual protocol (Gong et al., 2012;
    CORAL, SA, GFK code) normalises each row to sum 1 and then z-scores every
    feature within each domain; the JDA protocol behind the published 1-NN
    results also scales each row to unit L2 norm before the mapping and each
    mapped row after it.

    Parameters
    ----------
    source : str, list of str or None, default="amazon"
        Source domain(s); they get ``sample_domain`` 1, 2, ... in order.
    target : str, list of str or None, default="webcam"
        Target domain(s); they get ``sample_domain`` -1, -2, ... in order.
    data_home : str or path-like, default=None
        Data folder (see :func:`get_data_home`); the files are read from its
        ``office_caltech_surf/`` subfolder.
    download_if_missing : bool, default=True
        Download missing files; when false, a missing file raises
        :class:`FileNotFoundError`.
    return_X_y : bool, default=False
        Return ``(X, y, sample_domain)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields ``data`` (ndarray of shape (n_samples, 800), float64),
        ``target`` (true labels of every row, target rows included; hide them
        with :func:`sktransfer.utils.hide_target_labels`), ``sample_domain``
        (int64), ``domain_names`` (dict name -> domain value), ``target_names``
        and ``DESCR``. Rows come domain by domain, in the given order.
    (X, y, sample_domain) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        If a domain name is unknown, or given twice, or none is chosen.
    FileNotFoundError
        If a file is missing and cannot be downloaded.
    OSError
        If a download does not match its checksum.

    See Also
    --------
    sktransfer.utils.hide_target_labels : Hide the labels of target rows.

    References
    ----------
    .. [1] B. Gong, Y. Shi, F. Sha and K. Grauman, "Geodesic flow kernel for
       unsupervised domain adaptation", CVPR 2012.
    .. [2] K. Saenko, B. Kulis, M. Fritz and T. Darrell, "Adapting visual
       category models to new domains", ECCV 2010.
    .. [3] B. Sun, J. Feng and K. Saenko, "Return of frustratingly easy domain
       adaptation", AAAI 2016.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_office_caltech
    >>> bunch = fetch_office_caltech(source="amazon", target="webcam")  # doctest: +SKIP
    >>> bunch.data.shape  # doctest: +SKIP
    (1253, 800)
    >>> X, y, sample_domain = fetch_office_caltech(
    ...     source=["amazon", "caltech"], target="dslr", return_X_y=True
    ... )  # doctest: +SKIP
    """

    def load_domain(name):
        path = _fetch_file(
            REMOTE_FILES[name], data_home, download_if_missing=download_if_missing
        )
        mat = loadmat(path)
        return {
            "data": np.asarray(mat["fts"], dtype=np.float64),
            "target": np.asarray(mat["labels"], dtype=np.int64).ravel() - 1,
        }

    return _load_domains(
        source,
        target,
        list(REMOTE_FILES),
        load_domain,
        target_names=CLASS_NAMES,
        descr=DESCR,
        return_X_y=return_X_y,
    )
