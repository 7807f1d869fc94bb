"""Transfer learning as scikit-learn estimators.

sktransfer fits models on a labeled *source* domain so that they predict well
on a differently distributed *target* domain. Every estimator keeps one
contract: ``fit(X, y, sample_domain=...)``, with positive ``sample_domain`` on
source rows and negative on target rows (see :mod:`sktransfer.utils`).
"""

from ._domain import source_target_merge, source_target_split

__version__ = "0.1.0.dev0"

__all__ = ["__version__", "source_target_merge", "source_target_split"]
