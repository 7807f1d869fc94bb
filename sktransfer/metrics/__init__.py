"""Diagnostics of transfer: how far apart the domains are, and whether transfer pays.

:func:`maximum_mean_discrepancy` (with :func:`mmd_permutation_test`) and
:func:`proxy_a_distance` measure the shift between source and target, and
:func:`diagnose_shift` reads them (with the class proportions) in words;
:func:`transfer_gain` estimates what a transfer method gains over the
target-only and source-only baselines and flags negative transfer.
:func:`logme_score`, :func:`leep_score` and :func:`h_score` rank pretrained
models for a target task from their features or predictions on its labeled
rows, without fine-tuning them.
"""

from ._diagnosis import diagnose_shift
from ._distance import maximum_mean_discrepancy, mmd_permutation_test, proxy_a_distance
from ._gain import transfer_gain
from ._transferability import h_score, leep_score, logme_score

__all__ = [
    "diagnose_shift",
    "h_score",
    "leep_score",
    "logme_score",
    "maximum_mean_discrepancy",
    "mmd_permutation_test",
    "proxy_a_distance",
    "transfer_gain",
]
