"""
=====================================================
Domain-adversarial features: DANN against source-only
=====================================================

:class:`~sktransfer.deep.DANNClassifier` trains a feature extractor against a
domain classifier through a gradient reversal layer, so that the learned
features predict the label but no longer tell the domains apart (Ganin et
al., 2016). This example shows both effects:

1. on a small synthetic shift, the learned features of DANN and of the same
   network trained on the source only, and their proxy A-distance (Figure 3
   of the paper: how well a linear classifier tells the domains apart on
   the features; 0 is indistinguishable, 2 separable);
2. the accuracies on MNIST -> scikit-learn's 8x8 digits that
   ``benchmarks/deep_dann_mnist.py`` saved in
   ``examples/data/deep_dann_mnist.json`` (too slow for the gallery); run it
   to reproduce them::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_dann_mnist.py \\
        --seeds 0 1 2 --epochs 20 --output examples/data/deep_dann_mnist.json
"""

# %%
# A shift that a network need not keep
# ------------------------------------
# Both domains share the class rule of the first two features; the target is
# offset by 2 in two more features that carry no class information.

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.decomposition import PCA

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import DANNClassifier
from sktransfer.metrics import proxy_a_distance
from sktransfer.utils import hide_target_labels

torch.set_num_threads(1)
X, y, sd = make_domain_shift(100, 100, n_features=4, severity=0.0, random_state=0)
X = X.astype(np.float32)
X[sd < 0, 2:] += 2.0
y_train = hide_target_labels(y, sd)

# %%
# Source-only training and DANN, the same network and seed
# --------------------------------------------------------
params = dict(
    max_epochs=100,
    lr=1e-2,
    batch_size=32,
    module__hidden_units=(16,),
    device="cpu",
    random_state=0,
)
models = {
    "source only": DANNClassifier(**params).fit(X[sd > 0], y_train[sd > 0]),
    "DANN": DANNClassifier(**params).fit(X, y_train, sample_domain=sd),
}

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (name, model) in zip(axes, models.items()):
    features = model.extract_features(X)
    pad = proxy_a_distance(features[sd > 0], features[sd < 0], random_state=0)
    accuracy = model.score(X[sd < 0], y[sd < 0])
    shown = PCA(n_components=2).fit_transform(features)
    for domain, marker in ((1, "o"), (-1, "x")):
        rows = sd == domain
        ax.scatter(
            *shown[rows].T,
            c=y[rows],
            cmap="coolwarm",
            marker=marker,
            s=15,
            label="source" if domain > 0 else "target",
        )
    ax.set_title(f"{name}: PAD {pad:.2f}, target accuracy {accuracy:.2f}")
    ax.set_xlabel("first principal component of the features")
    ax.legend()
fig.tight_layout()

# %%
# MNIST -> digits
# ---------------
# Mean target accuracy over three seeds (bars: standard deviation). The
# strong linear baseline is a tuned logistic regression on the source rows.

try:
    here = Path(__file__).resolve().parent
except NameError:  # run by sphinx-gallery, from the examples folder
    here = Path.cwd()
results = json.loads((here / "data" / "deep_dann_mnist.json").read_text())
summary = results["summary"]
names = list(summary)
fig, ax = plt.subplots(figsize=(6, 3))
ax.barh(
    names,
    [summary[n]["mean"] for n in names],
    xerr=[summary[n]["std"] for n in names],
)
ax.set_xlabel("accuracy on the target test half")
ax.set_title(
    f"MNIST ({results['n_mnist']} rows) -> 8x8 digits, "
    f"{results['image_size']}x{results['image_size']} pixels"
)
fig.tight_layout()
plt.show()
