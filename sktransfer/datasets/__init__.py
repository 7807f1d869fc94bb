"""Synthetic domain shifts, loaders of real cross-domain data sets, and a
reader of the user's own source and target files (:func:`load_domain_files`:
CSV, Parquet, svmlight, npz)."""

from ._amazon import fetch_amazon_reviews
from ._base import get_data_home
from ._files import load_domain_files
from ._mnist_digits import fetch_mnist_digits
from ._office_caltech import fetch_office_caltech
from ._synthetic import load_shifted_digits, make_domain_shift
from ._vlcs import fetch_vlcs_mini

__all__ = [
    "fetch_amazon_reviews",
    "fetch_mnist_digits",
    "fetch_office_caltech",
    "fetch_vlcs_mini",
    "get_data_home",
    "load_domain_files",
    "load_shifted_digits",
    "make_domain_shift",
]
