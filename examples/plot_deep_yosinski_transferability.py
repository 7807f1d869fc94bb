"""
=====================================================
How transferable are features? (Yosinski et al. 2014)
=====================================================

Yosinski et al. measured how general each layer of a network is by
splitting a data set into two disjoint tasks, A and B, training a base
network on each, and copying the first ``n`` layers of one into a new
network for B whose upper layers start from scratch. The copied layers are
either **frozen** (``AnB`` when they come from A, ``BnB`` from B) or
**fine-tuned** with the rest (``AnB+``, ``BnB+``).

Here A is MNIST's digits 0-4 and B its digits 5-9 (2000 training rows per
task), the network an MLP with four hidden layers of 256 units, and every
network one :class:`~sktransfer.deep.FineTuningClassifier`::

    FineTuningClassifier(module=base_net.module_, transfer_layers=n,
                         freeze=n,           # None for AnB+ / BnB+
                         replace_head=True, transferred_lr_factor=1.0)

Training the 54 networks of three seeds takes about ten minutes on a CPU,
too long for the gallery, so this example plots the results that
``benchmarks/deep_yosinski_mnist.py`` saved in
``examples/data/deep_yosinski_mnist.json``; run it to reproduce them::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_yosinski_mnist.py \\
        --seeds 0,1,2 --n-train 2000 --epochs 10 \\
        --output examples/data/deep_yosinski_mnist.json
"""

# %%
# The saved accuracies
# --------------------
# Each curve holds, for every seed, the accuracy on the B digits of MNIST's
# test set for ``n = 1 .. 4`` transferred layers; ``baseB`` is the network
# trained on B alone.

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

try:
    here = Path(__file__).resolve().parent
except NameError:  # run by sphinx-gallery, from the examples folder
    here = Path.cwd()
path = here / "data" / "deep_yosinski_mnist.json"
results = json.loads(path.read_text())
n = np.array(results["n"])
print("protocol:", results["protocol"])

# %%
# Target accuracy against the number of transferred layers
# --------------------------------------------------------
fig, ax = plt.subplots(figsize=(6, 4))
styles = {
    "AnB": ("tab:red", "o", "-"),
    "AnB+": ("tab:red", "s", "--"),
    "BnB": ("tab:blue", "o", "-"),
    "BnB+": ("tab:blue", "s", "--"),
}
for name, (color, marker, line) in styles.items():
    runs = np.array(results[name])
    ax.errorbar(
        n,
        runs.mean(axis=0),
        yerr=runs.std(axis=0),
        color=color,
        marker=marker,
        linestyle=line,
        capsize=3,
        label=name,
    )
base_b = np.array(results["baseB"])
ax.axhline(base_b.mean(), color="k", linewidth=1, label="baseB")
ax.axhspan(base_b.mean() - base_b.std(), base_b.mean() + base_b.std(), color="0.9")
ax.set_xticks(n)
ax.set_xlabel("layers transferred, n")
ax.set_ylabel("accuracy on task B (test set)")
ax.set_title("Transferability of MLP layers, MNIST 0-4 -> 5-9")
ax.legend(loc="lower left", ncol=3)
fig.tight_layout()

# %%
# What the plot shows
# -------------------
# * ``AnB`` falls as ``n`` grows: the higher a frozen layer, the more its
#   features are specific to digits 0-4 and the less they serve 5-9.
# * ``AnB+`` stays at or above ``baseB``: transferred features that are
#   fine-tuned do not hurt and help a little, as in the paper.
# * Unlike the paper's convolutional network, this small MLP shows no dip of
#   ``BnB`` in the middle layers (no fragile co-adaptation at this scale):
#   frozen copies of B's own layers lose nothing, and the extra epochs on B
#   put ``BnB`` and ``BnB+`` slightly above ``baseB``.
for name in styles:
    print(f"{name:5s}", np.round(np.mean(results[name], axis=0), 3))
print("baseB", round(float(base_b.mean()), 3))
plt.show()
