"""
=========================================================
Optimal transport: JDOT and label propagation to a target
=========================================================

When the target domain is the source domain moved (here turned and
translated), a classifier fitted on the source cuts through a target class.
Optimal transport matches each source row with target rows at the least
total cost and carries the labels over:

* :class:`~sktransfer.feature.OTLabelPropagation` transports the source
  labels once, along the exact transport plan between the rows, and fits a
  classifier on the target rows with them;
* :class:`~sktransfer.feature.JDOTClassifier` (joint distribution optimal
  transport) alternates the transport, whose cost adds the classifier's loss
  on the source label to the distance between rows, and a refit of the
  classifier on the target rows;
* :class:`~sktransfer.feature.JDOTRegressor` does the same for regression.

No target label is used. The baselines are a logistic regression fitted on
the source rows (source only) and one fitted on the labeled target rows
(target only, the best one can hope for).
"""

# %%
# Data: the target is the source turned and moved
# -----------------------------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score

from sktransfer.feature import JDOTClassifier, JDOTRegressor, OTLabelPropagation

rng = np.random.RandomState(0)
n = 200
y = np.tile([0, 1], n)
X = rng.normal(size=(2 * n, 2))
X[:, 0] += 4 * y
sample_domain = np.repeat([1, -1], n)
source, target = sample_domain > 0, sample_domain < 0
angle = 0.3
turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
X[target] = X[target] @ turn + [2.5, 2.0]
y_seen = np.where(target, -1, y)  # no target label

# %%
# Decision boundaries
# -------------------
#
# Left, the source-only classifier: its boundary, fitted between the source
# classes (dots), runs through the target's class 0 (crosses). Right, JDOT:
# its classifier is fitted on the target rows with the transported labels,
# and its boundary separates the target classes.

source_only = LogisticRegression().fit(X[source], y[source])
jdot = JDOTClassifier().fit(X, y_seen, sample_domain=sample_domain)

grid_x, grid_y = np.meshgrid(np.linspace(-3, 10, 200), np.linspace(-4, 7, 200))
grid = np.c_[grid_x.ravel(), grid_y.ravel()]
colors = np.array(["#e08214", "#8073ac"])
fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained", sharey=True)
for ax, model, title in [
    (axes[0], source_only, "source only"),
    (axes[1], jdot, "JDOT"),
]:
    proba = model.predict_proba(grid)[:, 1].reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, proba, levels=[0, 0.5, 1], colors=colors, alpha=0.15)
    ax.contour(grid_x, grid_y, proba, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(*X[source].T, c=colors[y[source]], s=10, alpha=0.5, label="source")
    ax.scatter(*X[target].T, c=colors[y[target]], marker="x", s=14, label="target")
    accuracy = model.score(X[target], y[target])
    ax.set_title(f"{title}: target accuracy {accuracy:.2f}")
axes[0].legend(loc="lower right")
plt.show()

# %%
# Accuracy against the baselines
# ------------------------------
#
# JDOT's objective, the transport cost of each round's plan, falls in the
# first rounds and then stays: the plan and the classifier agree.

models = {
    "OT label propagation (exact)": OTLabelPropagation(),
    "OT label propagation (Sinkhorn)": OTLabelPropagation(reg_e=0.1),
    "JDOT": jdot,
}
accuracy = {"source only": source_only.score(X[target], y[target])}
for name, model in models.items():
    if model is not jdot:
        model.fit(X, y_seen, sample_domain=sample_domain)
    accuracy[name] = model.score(X[target], y[target])
accuracy["target only"] = (
    LogisticRegression().fit(X[target], y[target]).score(X[target], y[target])
)

fig, axes = plt.subplots(1, 2, figsize=(10, 3), layout="constrained")
axes[0].barh(list(accuracy), list(accuracy.values()), color="#2166ac")
axes[0].axvline(accuracy["source only"], color="k", ls="--", lw=1)
axes[0].set_xlim(0.5, 1.0)
axes[0].set_xlabel("accuracy on the target rows")
axes[0].invert_yaxis()
axes[1].plot(np.arange(1, jdot.n_iter_ + 1), jdot.objective_, "o-")
axes[1].set(xlabel="round", ylabel="transport cost", title="JDOT objective")
plt.show()

# %%
# Regression
# ----------
#
# The target rows are the source rows moved by ``(2, 1)``, their targets
# unchanged: ``y = w . (x - shift)`` on the target. A ridge regression fitted
# on the source predicts ``w . x`` there and misses by ``w . shift``;
# :class:`~sktransfer.feature.JDOTRegressor` transports the source targets to
# the target rows and refits on them.

w = np.array([1.5, -1.0])
X_reg = rng.normal(size=(2 * n, 2))
y_reg = X_reg @ w + 0.1 * rng.normal(size=2 * n)
X_reg[target] += [2.0, 1.0]
y_reg_seen = np.where(target, np.nan, y_reg)  # nan: unlabeled

ridge = Ridge().fit(X_reg[source], y_reg[source])
jdot_reg = JDOTRegressor().fit(X_reg, y_reg_seen, sample_domain=sample_domain)
fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
for model, name, marker in [(ridge, "source only", "o"), (jdot_reg, "JDOT", "x")]:
    predicted = model.predict(X_reg[target])
    r2 = r2_score(y_reg[target], predicted)
    ax.scatter(
        y_reg[target], predicted, s=12, marker=marker, label=f"{name}: R² {r2:.2f}"
    )
lims = [y_reg[target].min(), y_reg[target].max()]
ax.plot(lims, lims, "k--", lw=1)
ax.set(xlabel="true target value", ylabel="predicted", title="target rows")
ax.legend()
plt.show()

# %%
# Optimal transport suits shifts that move the distribution as a whole and
# keep the class proportions: the plan has uniform weights, so a class
# that is rarer in the target than in the source gets some of another
# class's rows. On shifts that turn the classes far, or on a target that is
# a sub-region of the source (covariate shift), it can do worse than the
# source-only classifier; a mapping or importance weighting suits those.
# For large data, ``max_samples`` transports a random subsample of each
# side; the fitted classifier applies to every row.
