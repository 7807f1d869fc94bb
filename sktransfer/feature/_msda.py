"""Marginalized Stacked Denoising Autoencoder."""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import _BaseDomainTransformer


def _dense(A):
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def _with_bias(X):
    ones = np.ones((X.shape[0], 1))
    return (
        sp.hstack([X, ones], format="csr") if sp.issparse(X) else np.hstack([X, ones])
    )


def _denoising_map(X_in, X_out, noise, reg):
    """Closed-form mDA map from corrupted ``[X_in, 1]`` to ``X_out``.

    Marginalizes dropout of each input feature with probability ``noise``:
    the expected scatter matrices of the corrupted inputs give the weights
    ``W`` (n_in + 1, n_out) of the least-squares reconstruction in one solve.
    """
    Xb = _with_bias(X_in)
    S = _dense(Xb.T @ Xb)
    keep = np.full(S.shape[0], 1.0 - noise)
    keep[-1] = 1.0
    Q = S * np.outer(keep, keep)
    Q[np.diag_indices_from(Q)] = keep * np.diag(S)
    Q[np.diag_indices_from(Q)] += reg
    P = _dense(Xb.T @ X_out) * keep[:, None]
    return np.linalg.solve(Q, P)


def _layer(X, weights):
    """Hidden output ``tanh`` of the mean reconstruction over input chunks."""
    total = 0.0
    for columns, W in weights:
        Xc = X[:, columns] if columns is not None else X
        total = total + _dense(_with_bias(Xc) @ W)
    return np.tanh(total / len(weights))


class MarginalizedDenoisingAutoencoder(
    ClassNamePrefixFeaturesOutMixin, _BaseDomainTransformer
):
    """Marginalized Stacked Denoising Autoencoder (mSDA).

    Each layer learns, in closed form, the linear map that best reconstructs
    its input from copies of it whose features are dropped with probability
    ``noise`` (marginalized over all corruptions, so no copy is drawn), and
    outputs ``tanh`` of the reconstruction; layers are stacked, each on the
    previous one's output. Fitted on the rows of all domains, the layers learn
    which features co-occur across domains, so a classifier trained on source
    rows can use the target domain's words through their shared neighbours.
    No labels are used; all rows are mapped alike, so ``transform`` maps new
    rows of any domain and on the training rows reproduces ``fit_transform``.

    For high-dimensional (e.g. bag-of-words) input with more than
    ``max_features`` features, the first layer reconstructs only the
    ``max_features`` most frequent features (nonzero in the most rows), from
    all features: the features are split at random into chunks of about
    ``max_features``, one map per chunk reconstructs the frequent features,
    and the layer outputs ``tanh`` of the mean reconstruction (the paper's
    extension for high dimensions). Sparse input is accepted and never
    densified as a whole.

    Parameters
    ----------
    noise : float, default=0.5
        Probability of dropping each input feature, in [0, 1).
    n_layers : int, default=5
        Number of stacked layers (the paper uses 5 on text).
    max_features : int, default=1000
        Width of the hidden layers when there are more input features.
    reg : float, default=1e-5
        Added to the diagonal of the scatter matrix before solving.
    keep_input : bool, default=True
        Whether the output starts with the input features, as in the paper
        (``[x, h_1, ..., h_L]``); otherwise it is ``[h_1, ..., h_L]``.
    random_state : int, RandomState instance or None, default=None
        Splits the features into chunks in the first layer.

    Attributes
    ----------
    layers_ : list of list of (ndarray or None, ndarray)
        Per layer, the ``(input columns, weights)`` of each chunk map.
    frequent_features_ : ndarray of shape (n_hidden,)
        Input features the first layer reconstructs.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    References
    ----------
    .. [1] M. Chen, Z. Xu, K. Weinberger and F. Sha, "Marginalized denoising
       autoencoders for domain adaptation", ICML 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse import random as sparse_random
    >>> from sktransfer.feature import MarginalizedDenoisingAutoencoder
    >>> X = sparse_random(60, 30, density=0.2, format="csr", random_state=0)
    >>> msda = MarginalizedDenoisingAutoencoder(n_layers=2, max_features=10,
    ...                                         random_state=0)
    >>> Z = msda.fit_transform(X, sample_domain=np.repeat([1, -1], 30))
    >>> Z.shape
    (60, 50)
    """

    _parameter_constraints: dict = {
        "noise": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_features": [Interval(numbers.Integral, 1, None, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "keep_input": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        noise=0.5,
        n_layers=5,
        max_features=1000,
        reg=1e-5,
        keep_input=True,
        random_state=None,
    ):
        self.noise = noise
        self.n_layers = n_layers
        self.max_features = max_features
        self.reg = reg
        self.keep_input = keep_input
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Fit the layers and return the stacked representation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Domains of the rows; the layers use every row alike.

        Returns
        -------
        Z : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            ``[X, h_1, ..., h_L]`` (sparse when ``X`` is sparse).
        """
        X, _, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse="csr", dtype=np.float64
        )
        n_features = X.shape[1]
        if n_features > self.max_features:
            frequency = np.asarray((X != 0).sum(axis=0)).ravel()
            order = np.argsort(-frequency, kind="stable")
            self.frequent_features_ = np.sort(order[: self.max_features])
            rng = check_random_state(self.random_state)
            n_chunks = int(np.ceil(n_features / self.max_features))
            chunks = np.array_split(rng.permutation(n_features), n_chunks)
            X_out = _dense(X[:, self.frequent_features_])
            first = [
                (
                    np.sort(c),
                    _denoising_map(X[:, np.sort(c)], X_out, self.noise, self.reg),
                )
                for c in chunks
            ]
        else:
            self.frequent_features_ = np.arange(n_features)
            first = [(None, _denoising_map(X, _dense(X), self.noise, self.reg))]
        self.layers_ = [first]
        hidden = [_layer(X, first)]
        for _ in range(self.n_layers - 1):
            H = hidden[-1]
            self.layers_.append([(None, _denoising_map(H, H, self.noise, self.reg))])
            hidden.append(_layer(H, self.layers_[-1]))
        self._n_features_out = (n_features if self.keep_input else 0) + sum(
            h.shape[1] for h in hidden
        )
        return self._stack(X, hidden)

    def _stack(self, X, hidden):
        if sp.issparse(X):
            parts = ([X] if self.keep_input else []) + [
                sp.csr_matrix(h) for h in hidden
            ]
            return sp.hstack(parts, format="csr")
        return np.hstack(([X] if self.keep_input else []) + hidden)

    def transform(self, X):
        """Map rows through the fitted layers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to map.

        Returns
        -------
        Z : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            ``[X, h_1, ..., h_L]`` (sparse when ``X`` is sparse).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)
        hidden = [_layer(X, self.layers_[0])]
        for layer in self.layers_[1:]:
            hidden.append(_layer(hidden[-1], layer))
        return self._stack(X, hidden)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
