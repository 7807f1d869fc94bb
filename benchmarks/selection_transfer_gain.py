"""Is negative transfer detected? transfer_gain where the source hurts or helps.

For each constructed pair, the transfer model (a logistic regression fitted
on the source rows and the labeled target rows together, i.e. the pooled
model) is compared with the target-only and source-only baselines (the same
logistic regression on the labeled target rows, or on the source rows) by
:func:`sktransfer.metrics.transfer_gain`: repeated stratified k-fold over the
labeled target rows, mean gain and a 95% interval from the corrected
resampled t-test (Nadeau and Bengio, 2003). The MMD permutation test and the
proxy A-distance of each pair are printed beside.

Pairs where the source hurts: concept shift (``make_domain_shift``, the
labeling rule turns) and a mislabeled source (the source labels of the
digits permuted). Pairs where it helps: digits with a mild rotation, and
label shift.

Usage::

    python benchmarks/selection_transfer_gain.py

BLAS is limited to one thread (threadpoolctl).
"""

import sys
import time

import scipy.optimize  # noqa: F401  (loads SciPy's BLAS before limiting it)
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sktransfer import source_target_split
from sktransfer.datasets import load_shifted_digits, make_domain_shift
from sktransfer.metrics import mmd_permutation_test, proxy_a_distance, transfer_gain
from sktransfer.pipeline import LabeledRowsEstimator
from sktransfer.utils import hide_target_labels


def _pairs():
    for severity in (0.5, 0.9):
        X, y, sd = make_domain_shift(shift="concept", severity=severity, random_state=0)
        yield f"concept shift {severity}", X, y, sd, 10, 5
    X, y, sd = load_shifted_digits("rotation", severity=0.2, random_state=0)
    X = X / 16
    y_wrong = y.copy()
    y_wrong[sd > 0] = (y[sd > 0] + 1) % 10  # every source label is wrong
    yield "digits, source mislabeled", X, y_wrong, sd, 5, 5
    yield "digits, rotation 0.2", X, y, sd, 5, 5
    X, y, sd = make_domain_shift(shift="label", severity=0.5, random_state=0)
    yield "label shift 0.5", X, y, sd, 10, 5


def main():
    start = time.perf_counter()
    header = (
        "| pair | labeled target rows | MMD^2 (p) | PAD | pooled | target-only | "
        "source-only | gain over target-only [95% CI] | gain over source-only "
        "[95% CI] | negative transfer |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    with threadpool_limits(1):
        for name, X, y, sd, n_labeled, cv in _pairs():
            y_seen = hide_target_labels(
                y, sd, n_labeled=n_labeled, per_class=True, random_state=0
            )
            X_source, X_target = source_target_split(X, sample_domain=sd)
            test = mmd_permutation_test(
                X_source, X_target, n_permutations=200, random_state=0
            )
            pad = proxy_a_distance(X_source, X_target, random_state=0)
            gain = transfer_gain(
                LabeledRowsEstimator(LogisticRegression(max_iter=1000)),
                X,
                y_seen,
                sample_domain=sd,
                cv=cv,
                n_repeats=10,
                random_state=0,
            )
            t_low, t_high = gain.ci_over_target_only
            s_low, s_high = gain.ci_over_source_only
            print(
                f"| {name} | {int(((sd < 0) & (y_seen != -1)).sum())} | "
                f"{test.statistic:.3f} ({test.pvalue:.3f}) | {pad:.2f} | "
                f"{gain.score:.3f} | {gain.target_only_score:.3f} | "
                f"{gain.source_only_score:.3f} | "
                f"{gain.gain_over_target_only:+.3f} [{t_low:+.3f}, {t_high:+.3f}] | "
                f"{gain.gain_over_source_only:+.3f} [{s_low:+.3f}, {s_high:+.3f}] | "
                f"{'**yes**' if gain.negative_transfer else 'no'} |"
            )
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
