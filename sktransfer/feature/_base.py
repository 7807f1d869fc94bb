"""What the feature mappings share: a ``fit`` that is their ``fit_transform``."""

from sklearn.base import TransformerMixin

from .._domain import BaseDomainAdapter


class _BaseDomainTransformer(TransformerMixin, BaseDomainAdapter):
    """A mapping whose ``fit_transform`` fits it; ``fit`` keeps only the fit.

    Subclasses implement ``fit_transform(X, y=None, *, sample_domain=None)``
    under ``_fit_context``; its docstring says how each domain is mapped.
    """

    def fit(self, X, y=None, *, sample_domain=None):
        """Fit the mapping on the rows of all domains.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains (sparse where the mapping accepts it).
        y : array-like of shape (n_samples,), default=None
            Labels, ``-1`` on unlabeled target rows, for the mappings that use
            them; ignored by the others.
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows; ``None`` means
            every row is a source row (the mapping's plain counterpart, see
            ``fit_transform``).

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self.fit_transform(X, y, sample_domain=sample_domain)
        return self
