"""
===============================================
How far apart are the domains, and does it pay?
===============================================

Before trusting a transfer method, two questions: **how different** is the
target from the source, and does using the source **help or hurt** the
target? :mod:`sktransfer.metrics` answers the first with two distances,
the maximum mean discrepancy (:func:`~sktransfer.metrics.maximum_mean_discrepancy`,
with a permutation test in :func:`~sktransfer.metrics.mmd_permutation_test`)
and the proxy A-distance (:func:`~sktransfer.metrics.proxy_a_distance`),
and the second with :func:`~sktransfer.metrics.transfer_gain`, which
cross-validates a transfer model against the target-only and source-only
baselines on the few labeled target rows and flags **negative transfer**.
"""

# %%
# Distances grow with the shift
# -----------------------------
#
# :func:`~sktransfer.datasets.make_domain_shift` moves the target away from
# the source as ``severity`` goes from 0 (same distribution) to 1. Both
# distances need no label. The permutation test says whether an MMD this
# large could come from two samples of one distribution.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from sktransfer.datasets import make_domain_shift
from sktransfer.metrics import (
    maximum_mean_discrepancy,
    mmd_permutation_test,
    proxy_a_distance,
    transfer_gain,
)
from sktransfer.utils import hide_target_labels

severities = np.linspace(0, 1, 6)
mmd, pvalue, pad = [], [], []
for severity in severities:
    X, y, sd = make_domain_shift(shift="covariate", severity=severity, random_state=0)
    # the distances take the data as the estimators do, or (X_source, X_target)
    test = mmd_permutation_test(X, sample_domain=sd, n_permutations=200, random_state=0)
    mmd.append(test.statistic)
    pvalue.append(test.pvalue)
    pad.append(proxy_a_distance(X, sample_domain=sd, random_state=0))

print(
    "linear MMD^2 at severity 1:",
    maximum_mean_discrepancy(X, sample_domain=sd, kernel="linear"),
)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax1.plot(severities, mmd, "o-", color="#2166ac", label="MMD$^2$ (rbf)")
for s, m, p in zip(severities, mmd, pvalue):
    ax1.annotate(
        f"p={p:.3f}", (s, m), textcoords="offset points", xytext=(-18, 8), fontsize=8
    )
ax1.set(
    xlabel="severity of the covariate shift",
    ylabel="unbiased MMD$^2$",
    title="Maximum mean discrepancy",
)
ax2.plot(severities, pad, "o-", color="#b2182b")
ax2.set(
    xlabel="severity of the covariate shift",
    ylabel="proxy A-distance",
    ylim=(-0.05, 2.05),
    title="Proxy A-distance (0: indistinguishable)",
)
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
plt.show()

# %%
# At severity 0 the MMD is about 0 and the test does not reject (large
# p-value); from a mild shift on, it does. The proxy A-distance, from the
# error of a linear domain classifier, rises from 0 towards 2 as the target
# moves out of the source's region.
#
# A shift is not the same as harm, though: a distance says the domains
# differ, not whether the source's labels still hold on the target.
#
# Transfer gain and negative transfer
# -----------------------------------
#
# :func:`~sktransfer.metrics.transfer_gain` fits the transfer model (here the
# simplest one, a plain logistic regression, which it fits on the source rows
# and the labeled target rows together) in each fold of a repeated k-fold
# over the labeled target rows, beside the two baselines, and reports the
# mean gain with a 95% interval corrected for the overlap of the folds
# (Nadeau and Bengio, 2003). Under **concept shift** the labeling rule itself
# turns as severity grows: there the source teaches the wrong rule.

pooled = LogisticRegression()
gains = {"covariate": [], "concept": []}
for shift in gains:
    for severity in severities:
        X, y_true, sd = make_domain_shift(
            shift=shift, severity=severity, random_state=0
        )
        y = hide_target_labels(y_true, sd, n_labeled=10, per_class=True, random_state=0)
        gains[shift].append(
            transfer_gain(pooled, X, y, sample_domain=sd, n_repeats=3, random_state=0)
        )

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, (shift, results) in zip(axes, gains.items()):
    for name, color, offset in (
        ("target_only", "#1a9850", -0.01),
        ("source_only", "black", 0.01),
    ):
        mean = np.array([getattr(r, f"gain_over_{name}") for r in results])
        ci = np.array([getattr(r, f"ci_over_{name}") for r in results])
        ax.errorbar(
            severities + offset,
            mean,
            yerr=[mean - ci[:, 0], ci[:, 1] - mean],
            fmt="o-",
            color=color,
            capsize=3,
            label=f"gain over {name.replace('_', '-')}",
        )
    flagged = [s for s, r in zip(severities, results) if r.negative_transfer]
    ax.plot(
        flagged,
        [-0.7] * len(flagged),
        "v",
        color="#b2182b",
        ms=9,
        label="negative transfer flagged",
    )
    ax.axhline(0, color="gray", lw=1)
    ax.set(title=f"{shift} shift", xlabel="severity", ylim=(-0.78, 0.45))
    ax.grid(alpha=0.3)
axes[0].set_ylabel("accuracy gain of the pooled model")
axes[1].legend(loc="lower left", fontsize=8)
plt.show()

# %%
# Where the source's rule still holds (mild shifts of either kind) the
# pooled model is about as good as the target-only one: the intervals
# straddle 0. Under concept shift the gain over the target-only model,
# which learns the target's own rule from its 20 labels, falls below 0 as
# the rule turns, and from severity 0.6 on the whole interval lies below 0:
# :func:`~sktransfer.metrics.transfer_gain` flags negative transfer. A strong
# covariate shift does the same for a *linear* pooled model: the labeling
# rule of these data bends, and the line fitted where most source rows lie
# is wrong where the target lies, while 20 target labels fit the target's
# part of the rule. The source-only model, by contrast, is never beaten:
# pooling 20 target labels with 200 source rows hardly moves it.
#
# The distances above could not have told where transfer turns negative:
# they measure how far the inputs moved, not whether the labels still agree.
# Only a few target labels, used as :func:`~sktransfer.metrics.transfer_gain`
# uses them, can say that.
