"""
=========================================================
Optimal-transport mappings: moving the source rows across
=========================================================

Optimal transport finds the cheapest way to move the mass of the source rows
onto the target rows (a *plan*); each source row is then moved to the
barycentre of the target rows it sends its mass to, and a plain classifier
trained on the moved source rows applies to the target (Courty et al.,
2017). This example stretches and moves the target far from the source, and
compares:

* :class:`~sktransfer.feature.OTMapping`, the exact (earth mover's) plan;
* :class:`~sktransfer.feature.EntropicOTMapping`, Sinkhorn's smoother plan;
* :class:`~sktransfer.feature.ClassRegularizedOTMapping`, which uses the
  source labels so that each target row receives mass from one class;
* :class:`~sktransfer.feature.LinearOTMapping`, the linear map between the
  Gaussian approximations of the domains.

No target label is used: the classifier is a 1-nearest-neighbour fitted on
the source rows. The mappings need POT: ``pip install 'sktransfer[ot]'``.
"""

# %%
# Data: three classes; the target is stretched and moved away
# -----------------------------------------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import (
    ClassRegularizedOTMapping,
    EntropicOTMapping,
    LinearOTMapping,
    OTMapping,
)

X, y, sample_domain = make_domain_shift(
    200, 200, shift="label", severity=0.0, n_classes=3, random_state=0
)
source, target = sample_domain > 0, sample_domain < 0
X[target] = X[target] @ np.array([[1.5, 0.3], [0.0, 1.2]]) + [4.0, -3.0]
y_seen = np.where(source, y, -1)  # no target label


def one_nn_accuracy(Z):
    clf = KNeighborsClassifier(1).fit(Z[source], y[source])
    return clf.score(X[target], y[target])


# %%
# Before and after the exact transport
# ------------------------------------
#
# Left, the raw rows: the source (dots) and the target (crosses) do not
# overlap, so the nearest source row of a target row is often of the wrong
# class. Right, the source rows after :class:`~sktransfer.feature.OTMapping`:
# each sits on a target row, and the classes mostly meet their own kind.
# ``transform(X)`` leaves rows unchanged (new rows are target rows);
# ``transform(X, sample_domain=...)`` maps new source rows out of sample.

Z_ot = OTMapping().fit_transform(X, sample_domain=sample_domain)
colors = np.array(["#e08214", "#8073ac", "#1b7837"])
fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained", sharey=True)
for ax, Z, title in [(axes[0], X, "raw"), (axes[1], Z_ot, "OTMapping")]:
    ax.scatter(*Z[source].T, c=colors[y[source]], s=12, alpha=0.5, label="source")
    ax.scatter(*X[target].T, c=colors[y[target]], marker="x", s=16, label="target")
    ax.set_title(f"{title}: 1-NN target accuracy {one_nn_accuracy(Z):.2f}")
axes[0].legend(loc="lower left")
plt.show()

# %%
# Accuracy against the source-only baseline
# -----------------------------------------
#
# Every mapping sees the same rows, with ``y = -1`` on the target rows; only
# the class-regularized one reads the source labels.

mappings = {
    "source only": None,
    "OTMapping": OTMapping(),
    "EntropicOTMapping": EntropicOTMapping(reg_e=0.1),
    "ClassRegularizedOTMapping": ClassRegularizedOTMapping(reg_e=0.1, reg_cl=0.1),
    "LinearOTMapping": LinearOTMapping(),
}
accuracy = {
    name: one_nn_accuracy(
        X if m is None else m.fit_transform(X, y_seen, sample_domain=sample_domain)
    )
    for name, m in mappings.items()
}
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.barh(list(accuracy), list(accuracy.values()), color="#2166ac")
ax.axvline(accuracy["source only"], color="k", ls="--", lw=1)
ax.set_xlim(0.3, 1.0)
ax.set_xlabel("1-NN accuracy on the target rows")
ax.invert_yaxis()
plt.show()

# %%
# Every mapping gains over the source-only classifier, which is about as good
# as chance here. The class regularization gains most: the exact and entropic
# plans split some source blobs between two target blobs, while the
# class-regularized plan keeps each target row fed by one source class.
# On many rows, ``max_samples`` computes the plan on a random subsample of
# each domain and maps the other rows out of sample; ``LinearOTMapping``
# needs only the means and covariances and scales to any number of rows.
