"""Feature augmentation ("frustratingly easy domain adaptation")."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._base import _BaseDomainTransformer


def _block_name(domain):
    return f"source{domain}" if domain > 0 else f"target{-domain}"


class FeatureAugmentation(_BaseDomainTransformer):
    """Feature augmentation of Daume III ("frustratingly easy" adaptation).

    Copies the features into a shared block and one block per domain: with
    one source and one target domain, a source row ``x`` becomes
    ``[x, x, 0]`` and a target row ``[x, 0, x]``. A linear model fitted on
    the augmented source and labeled target rows then learns which weights
    the domains share and which are specific to one domain. The method is
    supervised: it needs labeled target rows downstream (the mapping itself
    uses no labels).

    The map depends on the domain of a row: ``fit_transform(X, y,
    sample_domain=...)`` maps each row by its domain, while ``transform(X)``,
    which has no domains, maps new rows as target rows. Several source
    domains get one block each; a single target domain is supported.

    With ``sample_domain=None`` (a single domain) there is nothing to
    augment and the map is the identity.

    Attributes
    ----------
    domains_ : ndarray of shape (n_domains,)
        The domains with a block of their own, in block order (empty with a
        single domain).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sktransfer.pipeline.make_transfer_pipeline : Chains it with a classifier.

    References
    ----------
    .. [1] H. Daume III, "Frustratingly easy domain adaptation", ACL 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature import FeatureAugmentation
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> aug = FeatureAugmentation()
    >>> aug.fit_transform(X, sample_domain=[1, -1])
    array([[1., 2., 1., 2., 0., 0.],
           [3., 4., 0., 0., 3., 4.]])
    >>> aug.transform([[5.0, 6.0]])
    array([[5., 6., 0., 0., 5., 6.]])
    >>> aug.get_feature_names_out().tolist()[:3]
    ['shared__x0', 'shared__x1', 'source1__x0']
    """

    _parameter_constraints: dict = {}
    _domain_requirements = {"allow_multi_target": False}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, *, sample_domain=None):
        """Record the domains, then map each row by its domain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : Ignored
            Not used; present for API consistency.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (identity map).

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            The shared block, then one block per domain in ``domains_``.
        """
        X, _, sample_domain = self._validate_domain_data(
            X, y, sample_domain, accept_sparse=("csr", "csc")
        )
        domains = np.unique(sample_domain)
        self.domains_ = (
            np.concatenate([domains[domains > 0], domains[domains < 0]])
            if domains.size > 1
            else np.array([], dtype=np.int64)
        )
        return self._augment(X, sample_domain)

    def _augment(self, X, sample_domain):
        if self.domains_.size == 0:
            return X.copy()
        blocks = [X]
        for domain in self.domains_:
            rows = (sample_domain == domain).astype(X.dtype)
            blocks.append(sp.diags(rows) @ X if sp.issparse(X) else X * rows[:, None])
        if sp.issparse(X):
            return sp.hstack(blocks, format=X.format)
        return np.hstack(blocks)

    def transform(self, X):
        """Map new rows as target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to map.

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            ``[X, 0, ..., 0, X]`` (shared block and target block), or ``X``
            when fitted on a single domain; a fit without target rows maps
            new rows to the shared block only.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=("csr", "csc"))
        target = self.domains_[self.domains_ < 0]
        domain = target[0] if target.size else 0
        return self._augment(X, np.full(X.shape[0], domain))

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``"<block>__<feature>"``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``shared__x0, ...``, then ``source1__x0, ...``, ``target1__x0, ...``;
            the input names when fitted on a single domain.
        """
        check_is_fitted(self, "domains_")
        names = _check_feature_names_in(self, input_features)
        if self.domains_.size == 0:
            return names
        blocks = ["shared"] + [_block_name(d) for d in self.domains_]
        return np.asarray(
            [f"{block}__{name}" for block in blocks for name in names], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
