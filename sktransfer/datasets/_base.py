"""Shared machinery of the real-data loaders: data home, downloads, domains.

Every loader of :mod:`sktransfer.datasets` goes through three helpers:

* :func:`_fetch_file` finds a file under the data home, or downloads it (to a
  temporary file in the target folder, checked against its SHA-256 checksum,
  then renamed atomically),
* :func:`_select_domains` checks the ``source`` / ``target`` arguments and
  numbers the domains as the domain contract does (``1, 2, ...`` for sources,
  ``-1, -2, ...`` for targets),
* :func:`_load_domains` loads the chosen domains one by one and stacks them
  into a :class:`~sklearn.utils.Bunch`.
"""

import hashlib
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections import namedtuple
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

__all__ = ["get_data_home"]

logger = logging.getLogger(__name__)

#: Environment variable that sets the default data home.
DATA_ENV = "SKTRANSFER_DATA"

#: A file of a data set: its path relative to the data home (with ``/``), the
#: public address it is downloaded from (``None``: none is known) and the
#: SHA-256 checksum of that download.
RemoteFileMetadata = namedtuple("RemoteFileMetadata", ["filename", "url", "checksum"])


def get_data_home(data_home=None):
    """Return the folder where sktransfer looks for, and downloads, data sets.

    The folder is, in that order of precedence, the ``data_home`` argument,
    the environment variable ``SKTRANSFER_DATA``, or ``~/sktransfer_data``.
    A leading ``~`` is expanded to the user's home folder. The folder is not
    created here: loaders create what they download into.

    Each data set has a subfolder of its own (``office_caltech_surf/``,
    ``amazon_reviews/``, ``mnist/``, ``vlcs_mini/``); files copied there by
    hand are used as they are, exactly like downloaded ones.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder. ``None`` takes ``SKTRANSFER_DATA``, or
        ``~/sktransfer_data`` when that variable is unset or empty.

    Returns
    -------
    data_home : str
        The path of the data folder, with ``~`` expanded.

    References
    ----------
    .. [1] scikit-learn developers, "Dataset loading utilities",
       https://scikit-learn.org/stable/datasets.html (the ``data_home``
       convention of ``sklearn.datasets.get_data_home``).

    Examples
    --------
    >>> from sktransfer.datasets import get_data_home
    >>> get_data_home("/tmp/my_sktransfer_data")
    '/tmp/my_sktransfer_data'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_ENV) or os.path.join("~", "sktransfer_data")
    return os.path.expanduser(os.fspath(data_home))


def _sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _missing_error(path, hint):
    return FileNotFoundError(
        f"Data file not found: {path}. Point the environment variable {DATA_ENV} "
        "or the data_home argument to a folder that holds it"
        + (f"; {hint}" if hint else ".")
    )


def _fetch_file(remote, data_home=None, *, download_if_missing=True, hint=None):
    """Return the path of ``remote.filename`` under the data home.

    A file (or folder) already there is returned as it is. A missing one is
    downloaded from ``remote.url`` when ``download_if_missing`` is true and an
    address is known; otherwise a :class:`FileNotFoundError` names the path,
    ``SKTRANSFER_DATA`` and ``data_home``, followed by ``hint``.
    """
    path = Path(get_data_home(data_home), *remote.filename.split("/"))
    if path.exists():
        return path
    if not download_if_missing:
        raise _missing_error(path, hint or "or pass download_if_missing=True.")
    if remote.url is None:
        raise _missing_error(path, hint)
    _download(remote.url, path, remote.checksum)
    return path


def _download(url, path, checksum, *, n_retries=3, delay=1.0, timeout=60):
    """Download ``url`` to ``path`` through a checked temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading %s to %s", url, path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for attempt in range(n_retries + 1):
                try:
                    out.seek(0)
                    out.truncate()
                    with urllib.request.urlopen(url, timeout=timeout) as response:
                        while chunk := response.read(1 << 20):
                            out.write(chunk)
                    break
                except (urllib.error.URLError, TimeoutError) as exc:
                    # a 404 or any other HTTP error answer will not change
                    if isinstance(exc, urllib.error.HTTPError) or attempt == n_retries:
                        raise
                    time.sleep(delay)
        actual = _sha256(tmp)
        if checksum is not None and actual != checksum:
            raise OSError(
                f"Checksum mismatch for {path} downloaded from {url}: expected "
                f"sha256 {checksum}, got {actual}. The partial file was removed."
            )
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _as_name_list(value, argument):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise TypeError(
            f"{argument} must be a domain name, a list of names or None, got "
            f"{type(value).__name__}."
        ) from None


def _select_domains(source, target, valid):
    """Check ``source`` and ``target``; return ``{name: domain value}``.

    Sources get ``1, 2, ...`` and targets ``-1, -2, ...`` in the given order;
    the dict keeps that order, sources first.
    """
    sources = _as_name_list(source, "source")
    targets = _as_name_list(target, "target")
    names = sources + targets
    valid_text = ", ".join(repr(v) for v in valid)
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(
            f"Unknown domain name(s) {unknown}; the valid names are {valid_text}."
        )
    if not names:
        raise ValueError(
            f"Choose at least one domain as source or target among {valid_text}."
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"Domain(s) {repeated} given more than once; a domain is either a "
            f"source or a target, once. The valid names are {valid_text}."
        )
    domains = {name: i for i, name in enumerate(sources, start=1)}
    domains.update({name: -i for i, name in enumerate(targets, start=1)})
    return domains


def _concatenate(parts):
    first = parts[0]
    if sp.issparse(first):
        return sp.vstack(parts, format="csr")
    if isinstance(first, list):
        return [item for part in parts for item in part]
    return np.concatenate(parts)


def _load_domains(
    source, target, valid, load_domain, *, target_names, descr, return_X_y
):
    """Load the chosen domains with ``load_domain`` and assemble the Bunch.

    ``load_domain(name)`` returns a dict of per-row fields, at least ``data``
    and ``target``; every field is stacked over the domains, in order.
    """
    domains = _select_domains(source, target, valid)
    parts = [load_domain(name) for name in domains]
    fields = {key: _concatenate([p[key] for p in parts]) for key in parts[0]}
    sample_domain = np.concatenate(
        [
            np.full(len(p["target"]), domain, dtype=np.int64)
            for p, domain in zip(parts, domains.values())
        ]
    )
    fields["target"] = np.asarray(fields["target"], dtype=np.int64)
    if return_X_y:
        return fields["data"], fields["target"], sample_domain
    return Bunch(
        **fields,
        sample_domain=sample_domain,
        domain_names=domains,
        target_names=np.asarray(target_names),
        DESCR=descr,
    )
