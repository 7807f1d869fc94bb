"""
=======================================================
Deep adaptation losses, side by side, and composed ones
=======================================================

sktransfer's deep methods share one training loop and differ in the term
they add to the label loss:

* adversarial: :class:`~sktransfer.deep.DANNClassifier`,
  :class:`~sktransfer.deep.CDANClassifier`,
  :class:`~sktransfer.deep.MDDClassifier`;
* discrepancies between the domains' features:
  :class:`~sktransfer.deep.DeepCORALClassifier`,
  :class:`~sktransfer.deep.DANClassifier`,
  :class:`~sktransfer.deep.JANClassifier`;
* no second distribution at all, a loss on the target predictions:
  :class:`~sktransfer.deep.MCCClassifier`,
  :class:`~sktransfer.deep.BNMClassifier`,
  :class:`~sktransfer.deep.InformationMaximizationClassifier`.

Any of them takes more terms through ``regularizers``: DANN + MCC is
``DANNClassifier(regularizers={"mcc": 1.0})``, no class to write, and a grid
search tunes the weight as ``regularizers__mcc``.

The plots show what ``benchmarks/deep_losses.py`` saved in
``examples/data/deep_losses.json`` (about 5 minutes per Amazon feature set
and 12 for MNIST on one CPU core, too slow for the gallery; the file
gathers the four runs)::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_losses.py \\
        --dataset amazon --features words --output words.json
    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_losses.py \\
        --dataset mnist_digits --seeds 0 1 2 --output mnist.json
"""

# %%
# Composing losses
# ----------------
# A regularizer is a name and a weight; the weight is a hyperparameter like
# any other (``regularizers__mcc`` in a grid search). On this easy toy shift
# plain DANN is already near its best and the extra terms cost a little;
# on the real protocols below DANN + MCC beats DANN and MCC alone.

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import DANNClassifier
from sktransfer.utils import hide_target_labels

X, y, sample_domain = make_domain_shift(random_state=0)
X = X.astype(np.float32)
target = sample_domain < 0
for regularizers in (None, {"mcc": 1.0}, {"mcc": 1.0, "entropy": 0.1}):
    net = DANNClassifier(
        max_epochs=10, lr=1e-2, regularizers=regularizers, random_state=0
    )
    net.fit(X, hide_target_labels(y, sample_domain), sample_domain=sample_domain)
    accuracy = (net.predict(X[target]) == y[target]).mean()
    print(f"DANN + {regularizers}: target accuracy {accuracy:.3f}")

# %%
# Every loss on three protocols
# -----------------------------
# Mean target accuracy over the 12 pairs of Amazon reviews (the shallow
# protocol: 50 hidden units, 10 epochs; words, raw counts and mSDA
# features) and over 3 seeds of MNIST -> digits (the default CNN, 20
# epochs). The grey line is the same network trained on the source alone;
# a method left of it (red) transfers negatively there. The composed loss is
# drawn in orange.

try:
    here = Path(__file__).resolve().parent
except NameError:  # run by sphinx-gallery, from the examples folder
    here = Path.cwd()
results = json.loads((here / "data" / "deep_losses.json").read_text())

names = {
    "dann": "DANN",
    "cdan": "CDAN+E",
    "mdd": "MDD",
    "deep_coral": "Deep CORAL",
    "dan": "DAN",
    "jan": "JAN",
    "mcc": "MCC",
    "bnm": "BNM",
    "im": "IM",
    "dann+mcc": "DANN + MCC",
}
protocols = list(results)
fig, axes = plt.subplots(1, len(protocols), figsize=(3.2 * len(protocols), 4.2))
for ax, protocol in zip(np.atleast_1d(axes), protocols):
    mean = results[protocol]["mean"]
    methods = [m for m in names if m in mean]
    values = [100 * mean[m] for m in methods]
    below = [mean[m] < mean["source_mlp"] for m in methods]
    colors = [
        "tab:orange" if "+" in m else ("tab:red" if low else "tab:blue")
        for m, low in zip(methods, below)
    ]
    ax.barh(range(len(methods)), values, color=colors)
    ax.axvline(100 * mean["source_mlp"], color="grey", label="source-only net")
    ax.axvline(
        100 * mean["linear_source"],
        color="black",
        linestyle="--",
        label="linear, source",
    )
    ax.set_yticks(range(len(methods)), [names[m] for m in methods])
    ax.invert_yaxis()
    low = min(values + [100 * mean["source_mlp"]])
    ax.set_xlim(max(0, low - 5), max(values) + 2)
    ax.set_xlabel("target accuracy (%)")
    ax.set_title(protocol, fontsize=10)
handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9)
fig.tight_layout(rect=(0, 0.07, 1, 1))
plt.show()

# %%
# The table behind the plot: each method's gain over the source-only
# network, in points.

header = f"{'method':12s}" + "".join(f"{p[:22]:>24s}" for p in protocols)
print(header)
for method, name in names.items():
    cells = []
    for protocol in protocols:
        mean = results[protocol]["mean"]
        gain = 100 * (mean[method] - mean["source_mlp"]) if method in mean else np.nan
        cells.append(f"{gain:+24.1f}")
    print(f"{name:12s}" + "".join(cells))
