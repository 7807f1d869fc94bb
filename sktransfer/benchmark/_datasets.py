"""The data sets of the benchmark: pairs, loaders and preprocessing.

Each data set is one :func:`register_dataset` call; this module is imported
the first time :data:`~sktransfer.benchmark.DATASETS` is used (never by
``import sktransfer.benchmark``). The preprocessing is part
of the protocol: it is fitted on all rows of a pair (source and target), never
on labels, as the published protocols of these data sets do.
"""

import itertools

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler, normalize

from ._registry import DatasetSpec, register_dataset


def _ordered_pairs(domains):
    return tuple(f"{s}->{t}" for s, t in itertools.permutations(domains, 2))


def _split_pair(pair):
    source, _, target = pair.partition("->")
    return source, target


def _as_int(random_state):
    """A fixed data seed from the run's seed (the data of a pair never varies)."""
    return random_state if isinstance(random_state, int | np.integer) else 0


# --- preprocessing -----------------------------------------------------------


def scale_pixels(X, sample_domain):
    """Scale pixel values into [0, 1] by the largest value of the pair."""
    X = np.asarray(X, dtype=np.float64)
    peak = np.abs(X).max()
    return X / peak if peak > 1 else X


def sum_normalise_then_zscore(X, sample_domain):
    """Divide each row by its sum, then z-score each feature within each domain.

    The common protocol of the Office-Caltech SURF papers (GFK, TCA, JDA,
    SA, CORAL code: ``zscore`` of each domain's matrix): with it, 1-NN on
    the raw features gives exactly the published per-pair accuracies.
    """
    X = normalize(np.asarray(X, dtype=np.float64), norm="l1")
    for domain in np.unique(sample_domain):
        rows = sample_domain == domain
        X[rows] = StandardScaler().fit_transform(X[rows])
    return X


def log1p_then_l2(X, sample_domain):
    """``log(1 + count)``, then scale each row to unit L2 norm (stays sparse)."""
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    np.log1p(X.data, out=X.data)
    return normalize(X, norm="l2")


def standardise(X, sample_domain):
    """Z-score each feature over all rows of the pair."""
    return StandardScaler().fit_transform(np.asarray(X, dtype=np.float64))


# --- loaders -----------------------------------------------------------------

DIGITS_SHIFTS = ("rotation", "blur", "translation")


def _load_digits(pair, *, data_home, download_if_missing, random_state):
    from ..datasets import load_shifted_digits

    return load_shifted_digits(
        pair, severity=0.5, random_state=_as_int(random_state), return_X_y=True
    )


OFFICE_CALTECH_DOMAINS = ("amazon", "caltech", "dslr", "webcam")


def _load_office_caltech(pair, *, data_home, download_if_missing, random_state):
    from ..datasets import fetch_office_caltech

    source, target = _split_pair(pair)
    return fetch_office_caltech(
        source,
        target,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=True,
    )


AMAZON_DOMAINS = ("books", "dvd", "electronics", "kitchen")


def _load_amazon(pair, *, data_home, download_if_missing, random_state):
    from ..datasets import fetch_amazon_reviews

    source, target = _split_pair(pair)
    return fetch_amazon_reviews(
        source,
        target,
        subset="train",
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=True,
    )


MNIST_DIGITS_SAMPLES = 2000


def _load_mnist_digits(pair, *, data_home, download_if_missing, random_state):
    from ..datasets import fetch_mnist_digits

    source, target = _split_pair(pair)
    return fetch_mnist_digits(
        source,
        target,
        image_size=16,
        n_samples=MNIST_DIGITS_SAMPLES,
        random_state=_as_int(random_state),
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=True,
    )


SYNTHETIC_SHIFTS = ("covariate", "label", "concept", "subspace")


def _load_synthetic(pair, *, data_home, download_if_missing, random_state):
    from ..datasets import make_domain_shift

    return make_domain_shift(
        300,
        300,
        shift=pair,
        severity=0.5,
        n_features=2,
        n_classes=2,
        random_state=_as_int(random_state),
        return_X_y=True,
    )


# --- the registry entries ----------------------------------------------------

register_dataset(
    DatasetSpec(
        "digits",
        DIGITS_SHIFTS,
        _load_digits,
        scale_pixels,
        n_target_labels=5,
        per_class=True,
        description=(
            "scikit-learn's bundled 8x8 digits: source half unchanged, target "
            "half shifted (load_shifted_digits, severity 0.5); no download"
        ),
        preprocessing="pixels divided by the largest pixel value (range [0, 1])",
    )
)
register_dataset(
    DatasetSpec(
        "office_caltech",
        _ordered_pairs(OFFICE_CALTECH_DOMAINS),
        _load_office_caltech,
        sum_normalise_then_zscore,
        n_target_labels=3,
        per_class=True,
        description=(
            "Office-Caltech-10, 800-d SURF bag of words, 10 classes, 4 domains "
            "(fetch_office_caltech)"
        ),
        preprocessing=(
            "each row divided by its sum, then each feature z-scored within each domain"
        ),
        needs_files=True,
    )
)
register_dataset(
    DatasetSpec(
        "amazon",
        _ordered_pairs(AMAZON_DOMAINS),
        _load_amazon,
        log1p_then_l2,
        n_target_labels=50,
        per_class=False,
        description=(
            "Amazon reviews sentiment (Blitzer et al.), 5000 sparse word "
            "counts, 2000 balanced reviews per domain (fetch_amazon_reviews, "
            "subset='train')"
        ),
        preprocessing="log(1 + count), then each row scaled to unit L2 norm",
        needs_files=True,
    )
)
register_dataset(
    DatasetSpec(
        "mnist_digits",
        ("mnist->digits", "digits->mnist"),
        _load_mnist_digits,
        scale_pixels,
        n_target_labels=5,
        per_class=True,
        description=(
            f"MNIST and scikit-learn's digits at 16x16, {MNIST_DIGITS_SAMPLES} "
            "rows drawn per domain (fetch_mnist_digits)"
        ),
        preprocessing="pixels divided by the largest pixel value (range [0, 1])",
        needs_files=True,
    )
)
register_dataset(
    DatasetSpec(
        "synthetic",
        SYNTHETIC_SHIFTS,
        _load_synthetic,
        standardise,
        n_target_labels=5,
        per_class=True,
        description=(
            "two 2-d Gaussian classes, 300 source and 300 target rows, one "
            "kind of shift per pair (make_domain_shift, severity 0.5)"
        ),
        preprocessing="each feature z-scored over all rows of the pair",
    )
)
