"""
================================
A domain shift and the baselines
================================

Transfer learning starts from a **source** domain with plenty of labels and a
**target** domain, the one we care about, with few labels or none, whose
distribution differs from the source's. Before any transfer method, three
baselines set the bar:

* **source only**: fit on the labeled source rows and apply to the target;
* **target only**: fit on the few labeled target rows alone;
* **pooled**: fit on the source rows and the labeled target rows together.

A transfer method is worth its cost only where it beats all three. This
example draws the four kinds of shift of
:func:`sktransfer.datasets.make_domain_shift`, fits the three baselines with a
logistic regression and measures their accuracy on the unlabeled target rows.
"""

# %%
# Four kinds of shift
# -------------------
#
# :func:`~sktransfer.datasets.make_domain_shift` returns ``X, y,
# sample_domain`` with the true label of every row: ``sample_domain`` is ``1``
# on source rows and ``-1`` on target rows (see :ref:`domain_contract`). A
# user would not know most target labels, so
# :func:`~sktransfer.utils.hide_target_labels` keeps five per class and
# replaces the others by the unlabeled marker ``-1``.

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from sklearn.linear_model import LogisticRegression

from sktransfer.datasets import make_domain_shift
from sktransfer.utils import hide_target_labels

SHIFTS = ["covariate", "label", "concept", "subspace"]
N_LABELED = 5  # labeled target rows per class


def fit_baselines(X, y, sample_domain, random_state):
    """Fit the three baselines; return them and the rows to evaluate them on."""
    y_seen = hide_target_labels(
        y, sample_domain, n_labeled=N_LABELED, per_class=True, random_state=random_state
    )
    source = sample_domain > 0
    target_labeled = (sample_domain < 0) & (y_seen != -1)
    train_rows = {
        "source only": source,
        "target only": target_labeled,
        "pooled": source | target_labeled,
    }
    models = {
        name: LogisticRegression().fit(X[rows], y[rows])
        for name, rows in train_rows.items()
    }
    # evaluate on the target rows whose label the models have not seen
    test = (sample_domain < 0) & (y_seen == -1)
    return models, test


# one color and line style per baseline; two other colors for the classes
COLORS = {"source only": "black", "target only": "#1a9850", "pooled": "#2166ac"}
STYLES = {"source only": "-", "target only": "-", "pooled": "--"}
CLASS_COLORS = np.array(["#e08214", "#8073ac"])

fig, axes = plt.subplots(2, 2, figsize=(9, 8.5), layout="constrained")
for ax, shift in zip(axes.flat, SHIFTS):
    X, y, sample_domain = make_domain_shift(shift=shift, severity=0.7, random_state=0)
    models, test = fit_baselines(X, y, sample_domain, random_state=0)
    source = sample_domain > 0

    ax.scatter(
        *X[source].T,
        c=CLASS_COLORS[y[source]],
        marker="o",
        s=14,
        alpha=0.35,
        edgecolors="none",
    )
    ax.scatter(
        *X[~source].T, c=CLASS_COLORS[y[~source]], marker="x", s=18, linewidths=1
    )
    labeled = ~source & ~test
    ax.scatter(
        *X[labeled].T,
        facecolors="none",
        edgecolors="k",
        marker="o",
        s=70,
        linewidths=1,
    )

    # decision boundaries: where each model's P(class 1) crosses 0.5
    x_min, y_min = X.min(axis=0) - 0.5
    x_max, y_max = X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, 200), np.linspace(y_min, y_max, 200))
    grid = np.c_[xx.ravel(), yy.ravel()]
    for name, model in models.items():
        proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
        ax.contour(
            xx,
            yy,
            proba,
            levels=[0.5],
            colors=COLORS[name],
            linewidths=2,
            linestyles=STYLES[name],
        )
    ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), xticks=[], yticks=[])
    ax.set_title(f"{shift} shift", fontsize=12)

legend = [
    Line2D([], [], color="gray", marker="o", ls="", alpha=0.5, label="source row"),
    Line2D([], [], color="gray", marker="x", ls="", label="target row"),
    Line2D(
        [],
        [],
        color="k",
        marker="o",
        ls="",
        mfc="none",
        ms=9,
        label="labeled target row",
    ),
    Line2D([], [], color=CLASS_COLORS[0], marker="s", ls="", label="class 0"),
    Line2D([], [], color=CLASS_COLORS[1], marker="s", ls="", label="class 1"),
    Line2D([], [], ls="", label=" "),
] + [Line2D([], [], color=COLORS[n], ls=STYLES[n], lw=2, label=n) for n in COLORS]
fig.legend(handles=legend, loc="outside lower center", ncols=3, frameon=False)
fig.suptitle("Source and target at severity 0.7, and the baselines' boundaries")
plt.show()

# %%
# The covariate shift moves the target to a region where the source's labeling
# rule bends, so the source-only line, fitted where most source rows are, cuts
# the target in the wrong place. Under concept shift the rule itself turns:
# the source is misleading and the few target labels are worth more than all
# the source rows. Under label shift the class proportions change but a line
# between the two blobs still separates them. Under subspace shift the whole
# target cloud is turned and moved, and only the target labels say where.
#
# Target accuracy against the size of the shift
# ---------------------------------------------
#
# ``severity`` runs from 0 (both domains identically distributed) to 1. For
# each kind of shift and severity we average the baselines' target accuracy
# over five draws of the data and of the labeled target rows.

severities = np.linspace(0, 1, 6)
seeds = range(5)
accuracy = {
    shift: {name: np.zeros((len(severities), len(seeds))) for name in COLORS}
    for shift in SHIFTS
}
for shift in SHIFTS:
    for i, severity in enumerate(severities):
        for j, seed in enumerate(seeds):
            X, y, sample_domain = make_domain_shift(
                shift=shift, severity=severity, random_state=seed
            )
            models, test = fit_baselines(X, y, sample_domain, random_state=seed)
            for name, model in models.items():
                accuracy[shift][name][i, j] = model.score(X[test], y[test])

fig, axes = plt.subplots(1, 4, figsize=(12, 3.6), sharey=True, layout="constrained")
for ax, shift in zip(axes, SHIFTS):
    for name, color in COLORS.items():
        acc = accuracy[shift][name]
        mean, std = acc.mean(axis=1), acc.std(axis=1)
        ax.plot(
            severities,
            mean,
            marker="o",
            ls=STYLES[name],
            color=color,
            lw=2,
            ms=4,
            label=name,
        )
        ax.fill_between(severities, mean - std, mean + std, color=color, alpha=0.15)
    ax.axhline(0.5, color="gray", lw=1, ls=":")  # chance level
    ax.set_title(f"{shift} shift", fontsize=12)
    ax.set_xlabel("severity")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("accuracy on unlabeled target rows")
axes[0].set_ylim(0, 1.02)
axes[0].legend(loc="lower left")
plt.show()

# %%
# With no shift (severity 0) the source-only and pooled models are as good as
# the data allows, and the target-only model, fitted on ten rows, is a little
# worse. As the shift grows the source-only model degrades, and under concept
# shift it falls below chance: transferring the source model there is
# *negative transfer*. Pooling hardly differs from using the source alone: ten
# target rows weigh little against two hundred source rows. The target-only
# model does not care about the shift at all, but ten labels only buy a rough
# boundary.
#
# These are the numbers the transfer methods of sktransfer have to beat: they
# use the unlabeled target rows as well, which none of the baselines do.
