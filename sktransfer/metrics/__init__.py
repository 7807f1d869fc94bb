"""Diagnostics of transfer: how far apart the domains are, and whether transfer pays.

:func:`maximum_mean_discrepancy` (with :func:`mmd_permutation_test`) and
:func:`proxy_a_distance` measure the shift between source and target, and
:func:`diagnose_shift` reads them (with the class proportions) in words;
:func:`transfer_gain` estimates what a transfer method gains over the
target-only and source-only baselines and flags negative transfer.
"""

from ._diagnosis import diagnose_shift
from ._distance import maximum_mean_discrepancy, mmd_permutation_test, proxy_a_distance
from ._gain import transfer_gain

__all__ = [
    "diagnose_shift",
    "maximum_mean_discrepancy",
    "mmd_permutation_test",
    "proxy_a_distance",
    "transfer_gain",
]
