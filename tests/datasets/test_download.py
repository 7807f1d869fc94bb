"""Downloads end to end, against a loopback HTTP server."""

import hashlib

import numpy as np
import pytest
from scipy.io import savemat
from sklearn.datasets import dump_svmlight_file

from sktransfer.datasets import (
    _amazon,
    _mnist_digits,
    _office_caltech,
    fetch_amazon_reviews,
    fetch_mnist_digits,
    fetch_office_caltech,
)
from sktransfer.datasets._base import RemoteFileMetadata


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _serve(monkeypatch, registry, key, served_file, base_url, checksum=None):
    """Point ``registry[key]`` at ``served_file`` on the loopback server."""
    remote = RemoteFileMetadata(
        registry[key].filename,
        base_url + served_file.name,
        checksum or _sha256(served_file),
    )
    monkeypatch.setitem(registry, key, remote)
    return "/" + served_file.name


@pytest.fixture
def tiny_dslr(http_server):
    base_url, folder, hits = http_server
    rng = np.random.RandomState(0)
    fts = rng.randint(0, 5, size=(12, 800)).astype(np.uint8)
    labels = (np.arange(12) % 10 + 1).astype(np.uint8).reshape(-1, 1)
    served = folder / "dslr_SURF_L10.mat"
    savemat(served, {"fts": fts, "labels": labels})
    return base_url, served, hits, fts, labels


def test_office_caltech_download(monkeypatch, tmp_path, tiny_dslr):
    base_url, served, hits, fts, labels = tiny_dslr
    path = _serve(monkeypatch, _office_caltech.REMOTE_FILES, "dslr", served, base_url)
    data_home = tmp_path / "home"

    bunch = fetch_office_caltech(source="dslr", target=None, data_home=data_home)
    written = data_home / "office_caltech_surf" / "dslr_SURF_L10.mat"
    assert written.read_bytes() == served.read_bytes()
    assert sorted(p.name for p in written.parent.iterdir()) == [written.name]
    np.testing.assert_array_equal(bunch.data, fts.astype(np.float64))
    np.testing.assert_array_equal(bunch.target, labels.ravel() - 1)
    assert hits == {path: 1}

    # a second call reads the cached file: no new request
    X, y, sample_domain = fetch_office_caltech(
        source=None, target="dslr", data_home=data_home, return_X_y=True
    )
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(sample_domain, -1)
    assert hits == {path: 1}


def test_checksum_mismatch_leaves_nothing(monkeypatch, tmp_path, tiny_dslr):
    base_url, served, hits, _, _ = tiny_dslr
    wrong = "0" * 64
    _serve(monkeypatch, _office_caltech.REMOTE_FILES, "dslr", served, base_url, wrong)
    data_home = tmp_path / "home"
    with pytest.raises(OSError) as info:
        fetch_office_caltech(source="dslr", target=None, data_home=data_home)
    message = str(info.value)
    written = data_home / "office_caltech_surf" / "dslr_SURF_L10.mat"
    assert str(written) in message
    assert wrong in message and _sha256(served) in message
    assert list((data_home / "office_caltech_surf").iterdir()) == []


def test_no_download_when_not_allowed(monkeypatch, tmp_path, tiny_dslr):
    base_url, served, hits, _, _ = tiny_dslr
    _serve(monkeypatch, _office_caltech.REMOTE_FILES, "dslr", served, base_url)
    with pytest.raises(FileNotFoundError, match="SKTRANSFER_DATA"):
        fetch_office_caltech(
            source="dslr", target=None, data_home=tmp_path, download_if_missing=False
        )
    assert hits == {}


def test_http_error_leaves_nothing(monkeypatch, tmp_path, http_server):
    base_url, folder, hits = http_server
    remote = RemoteFileMetadata(
        "office_caltech_surf/dslr_SURF_L10.mat", base_url + "absent.mat", "0" * 64
    )
    monkeypatch.setitem(_office_caltech.REMOTE_FILES, "dslr", remote)
    with pytest.raises(OSError, match="404"):
        fetch_office_caltech(source="dslr", target=None, data_home=tmp_path)
    assert hits == {"/absent.mat": 1}  # an HTTP error answer is not retried
    assert list((tmp_path / "office_caltech_surf").iterdir()) == []


def test_amazon_download(monkeypatch, tmp_path, http_server):
    base_url, folder, hits = http_server
    X = np.zeros((6, 5000))
    X[np.arange(6), [0, 3, 10, 100, 4000, 4999]] = [1, 2, 3, 1, 1, 5]
    y = np.array([1, -1, 1, -1, -1, 1])
    for part, rows in (("train", slice(0, 4)), ("test", slice(4, 6))):
        served = folder / f"dvd_{part}.svmlight"
        dump_svmlight_file(X[rows], y[rows], str(served), zero_based=True)
        _serve(monkeypatch, _amazon.REMOTE_FILES, f"dvd_{part}", served, base_url)

    bunch = fetch_amazon_reviews(source=None, target="dvd", data_home=tmp_path)
    assert (tmp_path / "amazon_reviews" / "dvd_train.svmlight").is_file()
    assert (tmp_path / "amazon_reviews" / "dvd_test.svmlight").is_file()
    assert bunch.data.shape == (6, 5000) and bunch.data.format == "csr"
    np.testing.assert_array_equal(bunch.data.toarray(), X)
    np.testing.assert_array_equal(bunch.target, [1, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(bunch.train_mask, [1, 1, 1, 1, 0, 0])
    assert sum(hits.values()) == 2
    fetch_amazon_reviews(source="dvd", target=None, data_home=tmp_path)
    assert sum(hits.values()) == 2


def test_mnist_download_keras_layout(monkeypatch, tmp_path, http_server):
    base_url, folder, hits = http_server
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, size=(30, 28, 28)).astype(np.uint8)
    y = np.arange(30, dtype=np.uint8) % 10
    served = folder / "mnist.npz"
    np.savez(served, x_train=x[:20], y_train=y[:20], x_test=x[20:], y_test=y[20:])
    monkeypatch.setattr(
        _mnist_digits,
        "REMOTE_FILE",
        RemoteFileMetadata("mnist/mnist.npz", base_url + "mnist.npz", _sha256(served)),
    )
    bunch = fetch_mnist_digits(
        source="mnist", target=None, image_size=28, data_home=tmp_path
    )
    assert (tmp_path / "mnist" / "mnist.npz").is_file()
    np.testing.assert_allclose(bunch.images, x / 255, atol=1e-6)
    np.testing.assert_array_equal(bunch.target, y)
    assert hits == {"/mnist.npz": 1}
