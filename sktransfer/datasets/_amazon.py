"""Multi-domain sentiment data set (Amazon reviews), 5000 word features."""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file
from sklearn.utils._param_validation import StrOptions, validate_params

from ._base import RemoteFileMetadata, _fetch_file, _load_domains

# The svmlight files distributed with the shallow DANN code of Ganin et al.:
# https://github.com/GRAAL-Research/domain_adversarial_neural_network (data/).
# Four of the stored copies of that repository's files (books_test,
# dvd_train, electronics_test, kitchen_train) were compared with the project's
# shared copies (same size, same first and last lines); the sha256 below are
# those of the shared copies.
_URL = (
    "https://raw.githubusercontent.com/GRAAL-Research/"
    "domain_adversarial_neural_network/master/data/"
)
_CHECKSUMS = {
    "books_train": "317f9a2ec34b81de770b63a84d8c5cc2dc16bd0be6e079d2ff5b5bad5213ea19",
    "books_test": "fe4605c7dcf0e0a9410fd2a32f247caaf9abb352cc6e4c3e0f400853163ad9c4",
    "dvd_train": "95f602aa08bf6b55758f7b0b18df3882fe30acb11987ee60b6b4bb3c44cba733",
    "dvd_test": "4fe1b1a15010f78d8d0c49fe362d35fd4677463a45f1ac02a9f410ae1e638060",
    "electronics_train": "7d0061f03ff3827e4f8036b051b5e5828fddc0cd115aa5b212cd28d624dc14e4",  # noqa: E501
    "electronics_test": "641783bc941839c3a111d3488a1b7e3bd820a61ec14a129e7429b47703aa961d",  # noqa: E501
    "kitchen_train": "a70b5ebfe1413e0e16280360905f5c3b64389c435cd20c0165dc9d7f293b31b5",
    "kitchen_test": "e1502b97a824eb12314be4447394fa736fecb781c0724e6529cd6733ac7ff6d8",
}
REMOTE_FILES = {
    key: RemoteFileMetadata(
        f"amazon_reviews/{key}.svmlight", f"{_URL}{key}.svmlight", checksum
    )
    for key, checksum in _CHECKSUMS.items()
}
DOMAINS = ["books", "dvd", "electronics", "kitchen"]
N_FEATURES = 5000

DESCR = """\
Amazon reviews (multi-domain sentiment)
---------------------------------------
Product reviews of four kinds of products: books, dvd, electronics and
kitchen appliances. Each review is a vector of 5000 unigram/bigram counts
(sparse CSR, float64) with a label 0 (negative) or 1 (positive). Each domain
has a balanced train file of 2000 reviews and a test file with the rest
(books 4465, dvd 3586, electronics 5681, kitchen 5945).

References: J. Blitzer, M. Dredze and F. Pereira, "Biographies, Bollywood,
boom-boxes and blenders: domain adaptation for sentiment classification",
ACL 2007. Features as distributed with the code of Y. Ganin et al.,
"Domain-adversarial training of neural networks", JMLR 2016 (BSD-style).
"""


@validate_params(
    {
        "subset": [StrOptions({"train", "test", "all"})],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_amazon_reviews(
    source="books",
    target="kitchen",
    *,
    subset="all",
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
):
    """Load the Amazon reviews sentiment data, domain by domain.

    =================  ==============================================
    Domains            books, dvd, electronics, kitchen
    Rows (train)       2000 per domain, balanced
    Rows (test)        books 4465, dvd 3586, electronics 5681,
                       kitchen 5945
    Features           5000 unigram/bigram counts (sparse, float64)
    Classes            2 (0 negative, 1 positive)
    =================  ==============================================

    The files label reviews -1/+1; here they become 0/1, so that ``-1`` stays
    free for the unlabeled marker of the domain contract. The usual protocol
    (Ganin et al., 2016) trains on the source train file and the unlabeled
    target train file, and tests on the target test file.

    Parameters
    ----------
    source : str, list of str or None, default="books"
        Source domain(s); they get ``sample_domain`` 1, 2, ... in order.
    target : str, list of str or None, default="kitchen"
        Target domain(s); they get ``sample_domain`` -1, -2, ... in order.
    subset : {"train", "test", "all"}, default="all"
        Which file(s) of each domain to load; ``"all"`` stacks the train rows,
        then the test rows, of each domain (see ``train_mask``).
    data_home : str or path-like, default=None
        Data folder (see :func:`get_data_home`); the files are read from its
        ``amazon_reviews/`` subfolder.
    download_if_missing : bool, default=True
        Download missing files; when false, a missing file raises
        :class:`FileNotFoundError`.
    return_X_y : bool, default=False
        Return ``(X, y, sample_domain)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields ``data`` (CSR matrix of shape (n_samples, 5000), float64),
        ``target`` (0/1 labels of every row, target rows included; hide them
        with :func:`sktransfer.utils.hide_target_labels`), ``train_mask``
        (bool, true on rows of a ``*_train`` file), ``sample_domain`` (int64),
        ``domain_names`` (dict name -> domain value), ``target_names`` and
        ``DESCR``. Rows come domain by domain, in the given order.
    (X, y, sample_domain) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        If ``subset`` or a domain name is unknown, a domain is given twice,
        or none is chosen.
    FileNotFoundError
        If a file is missing and cannot be downloaded.
    OSError
        If a download does not match its checksum.

    References
    ----------
    .. [1] J. Blitzer, M. Dredze and F. Pereira, "Biographies, Bollywood,
       boom-boxes and blenders: domain adaptation for sentiment
       classification", ACL 2007.
    .. [2] Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle,
       F. Laviolette, M. Marchand and V. Lempitsky, "Domain-adversarial
       training of neural networks", JMLR 17(59), 2016.

    Examples
    --------
    >>> from sktransfer.datasets import fetch_amazon_reviews
    >>> bunch = fetch_amazon_reviews(subset="train")  # doctest: +SKIP
    >>> bunch.data.shape  # doctest: +SKIP
    (4000, 5000)
    >>> bunch.domain_names  # doctest: +SKIP
    {'books': 1, 'kitchen': -1}
    """
    parts = ["train", "test"] if subset == "all" else [subset]

    def load_domain(name):
        X, y, train = [], [], []
        for part in parts:
            path = _fetch_file(
                REMOTE_FILES[f"{name}_{part}"],
                data_home,
                download_if_missing=download_if_missing,
            )
            X_part, y_part = load_svmlight_file(
                path, n_features=N_FEATURES, dtype=np.float64, zero_based=True
            )
            X.append(X_part)
            y.append((y_part > 0).astype(np.int64))
            train.append(np.full(y_part.shape[0], part == "train"))
        return {
            "data": sp.vstack(X, format="csr"),
            "target": np.concatenate(y),
            "train_mask": np.concatenate(train),
        }

    return _load_domains(
        source,
        target,
        DOMAINS,
        load_domain,
        target_names=["negative", "positive"],
        descr=DESCR,
        return_X_y=return_X_y,
    )
