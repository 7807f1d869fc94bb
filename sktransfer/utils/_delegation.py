"""Helpers for meta-estimators that delegate to a wrapped estimator."""

from sklearn.utils.metaestimators import available_if


def wrapped_estimator_has(attr):
    """Check for ``available_if``: does the wrapped estimator have ``attr``?

    The fitted estimator (the attribute named by ``_fitted_estimator_attr``,
    ``estimator_`` by default) is asked once it exists; before fit, the
    estimator that fit would clone, ``self._final_estimator()``.
    """

    def check(self):
        name = getattr(self, "_fitted_estimator_attr", "estimator_")
        if hasattr(self, name):
            return hasattr(getattr(self, name), attr)
        return hasattr(self._final_estimator(), attr)

    return check


class ClassifierOutputsMixin:
    """``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``.

    Each validates ``X`` with the meta-estimator's ``_check_X`` and asks the
    fitted estimator (``estimator_``, or the attribute that
    ``_fitted_estimator_attr`` names); each exists only where the wrapped
    estimator has it (see :func:`wrapped_estimator_has`).
    """

    _fitted_estimator_attr = "estimator_"

    def _fitted(self):
        return getattr(self, self._fitted_estimator_attr)

    def predict(self, X):
        """Predict with the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self._fitted().predict(X)

    @available_if(wrapped_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._check_X(X)
        return self._fitted().predict_proba(X)

    @available_if(wrapped_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._check_X(X)
        return self._fitted().predict_log_proba(X)

    @available_if(wrapped_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = self._check_X(X)
        return self._fitted().decision_function(X)
