"""Helpers for meta-estimators that delegate to a wrapped estimator."""


def wrapped_estimator_has(attr):
    """Check for ``available_if``: does the wrapped estimator have ``attr``?

    The fitted ``estimator_`` is asked once it exists; before fit, the
    estimator that fit would clone, ``self._final_estimator()``.
    """

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._final_estimator(), attr)

    return check
