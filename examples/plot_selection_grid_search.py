"""
===============================================
Choosing transfer hyperparameters on the target
===============================================

Ordinary cross-validation holds out *source* rows, so it picks the
hyperparameters that are best for the source. The splitters of
:mod:`sktransfer.model_selection` hold out rows that say something about the
target, and receive the domains as ``sample_domain`` through scikit-learn's
metadata routing, so a grid search over a pipeline's transfer
hyperparameters is one ``GridSearchCV(...).fit(X, y, sample_domain=sd)``
call.
"""

# %%
# Three splitters
# ---------------
#
# * :class:`~sktransfer.model_selection.TargetKFold` splits the **labeled
#   target rows** into folds; the source rows and the unlabeled target rows
#   train in every fold. With
#   :class:`~sktransfer.model_selection.SupervisedTargetScorer` this is
#   cross-validation on the target.
# * :class:`~sktransfer.model_selection.SourceTargetShuffleSplit` holds out
#   a share of every domain, for the unsupervised scorers, which need
#   held-out source and target rows.
# * :class:`~sktransfer.model_selection.LeaveOneDomainOut` holds out one
#   source domain at a time when there are several.
#
# The rows of a small data set, sorted by domain, and what each fold does
# with them:

import matplotlib.pyplot as plt
import numpy as np
import sklearn
from matplotlib.patches import Patch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold

from sktransfer.datasets import make_domain_shift
from sktransfer.feature import TransferComponentAnalysis
from sktransfer.model_selection import (
    LeaveOneDomainOut,
    SourceTargetShuffleSplit,
    SupervisedTargetScorer,
    TargetKFold,
)
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels

sd_toy = np.repeat([1, 2, -1], [20, 20, 30])
y_toy = np.zeros(70, int)
y_toy[40:] = -1
y_toy[40:50] = 0  # 10 labeled target rows
X_toy = np.zeros((70, 1))
splitters = {
    "TargetKFold(5)": TargetKFold(5),
    "SourceTargetShuffleSplit(4)": SourceTargetShuffleSplit(4, random_state=0),
    "LeaveOneDomainOut()": LeaveOneDomainOut(),
}
colors = {0: "#d9d9d9", 1: "#4393c3", 2: "#d6604d"}  # unused, train, test
fig, axes = plt.subplots(3, 1, figsize=(9, 6), sharex=True, layout="constrained")
for ax, (name, cv) in zip(axes, splitters.items()):
    folds = list(cv.split(X_toy, y_toy, sample_domain=sd_toy))
    for i, (train, test) in enumerate(folds):
        role = np.zeros(70, int)
        role[train], role[test] = 1, 2
        ax.scatter(
            np.arange(70), [i] * 70, c=[colors[r] for r in role], marker="s", s=40
        )
    ax.set(
        title=name,
        yticks=range(len(folds)),
        ylabel="fold",
        ylim=(len(folds) - 0.5, -1.6),
    )
    for start, stop, label in (
        (0, 20, "source 1"),
        (20, 40, "source 2"),
        (40, 50, "labeled target"),
        (50, 70, "unlabeled target"),
    ):
        ax.annotate(label, ((start + stop - 1) / 2, -1.1), ha="center", fontsize=8)
        ax.axvline(stop - 0.5, color="k", lw=0.5)
axes[-1].set_xlabel("row")
fig.legend(
    handles=[
        Patch(color=colors[1], label="train"),
        Patch(color=colors[2], label="test"),
    ],
    loc="outside lower center",
    ncols=2,
    frameon=False,
)
plt.show()

# %%
# A grid search over TCA
# ----------------------
#
# Transfer Component Analysis maps both domains into a few kernel
# components where their means agree; its kernel width ``gamma`` and its
# number of components decide how well. The data: a target rotated and moved
# away from the source (subspace shift), 5 labeled target rows per class.

X, y_true, sd = make_domain_shift(
    120, 120, shift="subspace", severity=0.7, n_features=5, random_state=0
)
y = hide_target_labels(y_true, sd, n_labeled=5, per_class=True, random_state=0)
hidden = (sd < 0) & (y == -1)  # what we evaluate on, never seen in fit

pipe = make_transfer_pipeline(
    TransferComponentAnalysis(kernel="rbf", random_state=0), LogisticRegression()
)
gammas, n_components = [0.01, 0.1, 1.0, 10.0], [1, 2, 4]
grid = {
    "transfercomponentanalysis__gamma": gammas,
    "transfercomponentanalysis__n_components": n_components,
}

# %%
# With metadata routing on, ``sample_domain`` goes to every step that takes
# it, to the splitter and to the scorer:

with sklearn.config_context(enable_metadata_routing=True):
    on_target = GridSearchCV(
        pipe, grid, cv=TargetKFold(5), scoring=SupervisedTargetScorer()
    )
    on_target.fit(X, y, sample_domain=sd)
print("routing on: ", on_target.best_params_)

# %%
# With routing off, the pipeline of
# :func:`~sktransfer.pipeline.make_transfer_pipeline` still takes
# ``sample_domain`` and hands it to its steps, and the splitter takes the
# domains as ``groups``; the scorer then takes every row of a test fold for a
# target row, which TargetKFold's test folds are. The search is the same:

routing_off = GridSearchCV(
    pipe, grid, cv=TargetKFold(5), scoring=SupervisedTargetScorer()
)
routing_off.fit(X, y, sample_domain=sd, groups=sd)
print("routing off:", routing_off.best_params_)
assert np.allclose(
    on_target.cv_results_["mean_test_score"], routing_off.cv_results_["mean_test_score"]
)

# %%
# Ordinary cross-validation (here: 5-fold on the source rows, with TCA still
# fitted on all rows) instead scores each configuration on held-out source
# rows. We compare both choices with the target accuracy of every
# configuration, on the target rows whose labels were hidden.

source_folds = [
    (
        np.setdiff1d(np.arange(len(y)), np.flatnonzero(sd > 0)[test]),
        np.flatnonzero(sd > 0)[test],
    )
    for _, test in KFold(5, shuffle=True, random_state=0).split(np.flatnonzero(sd > 0))
]
with sklearn.config_context(enable_metadata_routing=True):
    on_source = GridSearchCV(pipe, grid, cv=source_folds).fit(X, y, sample_domain=sd)

truth = []
for params in on_target.cv_results_["params"]:
    model = sklearn.clone(pipe).set_params(**params)
    with sklearn.config_context(enable_metadata_routing=True):
        model.fit(X, y, sample_domain=sd)
    truth.append(model.score(X[hidden], y_true[hidden]))

panels = {
    "ordinary CV (source rows)": on_source.cv_results_["mean_test_score"],
    "TargetKFold + SupervisedTargetScorer": on_target.cv_results_["mean_test_score"],
    "true target accuracy": np.array(truth),
}
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), layout="constrained")
for ax, (title, scores) in zip(axes, panels.items()):
    table = scores.reshape(len(gammas), len(n_components))
    image = ax.imshow(table, cmap="viridis", vmin=0.4, vmax=1.0)
    best = np.unravel_index(np.argmax(table), table.shape)
    for (i, j), value in np.ndenumerate(table):
        ax.text(
            j,
            i,
            f"{value:.2f}",
            ha="center",
            va="center",
            color="k" if value > 0.7 else "w",
            fontweight="bold" if (i, j) == best else "normal",
        )
    ax.add_patch(
        plt.Rectangle((best[1] - 0.5, best[0] - 0.5), 1, 1, fill=False, ec="red", lw=2)
    )
    ax.set(
        title=title,
        xticks=range(3),
        xticklabels=n_components,
        yticks=range(4),
        yticklabels=gammas,
        xlabel="n_components",
        ylabel="gamma",
    )
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()

chosen = {name: truth[int(np.argmax(s))] for name, s in panels.items()}
for name, accuracy in chosen.items():
    print(f"{name:40s} picks a configuration with target accuracy {accuracy:.2f}")

# %%
# The red squares are each criterion's choice. On held-out source rows a
# wider range of kernels looks good, and ordinary cross-validation picks one
# that the target does not favour; the target folds, with only ten labeled
# target rows, rank the configurations much as the hidden target labels do.
# With so few labels the target scores are coarse (each fold scores two
# rows), so ties are common. The unsupervised criteria of
# :ref:`the next example <sphx_glr_auto_examples_plot_selection_scorers.py>`
# need no target label at all.
