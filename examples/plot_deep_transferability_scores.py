"""
=======================================================
Which backbone to transfer from? Scores before training
=======================================================

Fine-tuning every candidate network to find the best one costs a training
run per candidate. Transferability scores estimate, from one pass of the
frozen network over the labeled photos, how well its features will serve
the new task:

* :func:`~sktransfer.metrics.logme_score`: the evidence of a Bayesian
  linear model on the features (You et al., 2021);
* :func:`~sktransfer.metrics.h_score`: how much of the features' variance
  lies between the classes (Bao et al., 2019);
* :func:`~sktransfer.metrics.leep_score`: how well the network's own
  ImageNet predictions map onto the new labels (Nguyen et al., 2020).

The candidates are EfficientNet-Lite0, -Lite1 and -Lite2 (ImageNet weights)
and two controls, EfficientNet-Lite0 with random weights and raw pixels;
the scores see the 55 labeled ``caltech`` photos of VLCS-mini, and the
measured figure is the accuracy of a linear probe fitted on them, on the
``labelme`` and ``sun`` photos. The figures come from
``benchmarks/deep_transferability_vlcs.py`` (about 3 minutes on a CPU),
saved in ``examples/data/deep_transferability_vlcs.json``::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_transferability_vlcs.py \\
        --output examples/data/deep_transferability_vlcs.json
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt

try:
    here = Path(__file__).resolve().parent
except NameError:  # run by sphinx-gallery, from the examples folder
    here = Path.cwd()
results = json.loads((here / "data" / "deep_transferability_vlcs.json").read_text())
rows, correlation = results["rows"], results["correlation"]

# %%
# Each score against the measured accuracy
# ----------------------------------------
# A good score orders the candidates as their accuracy does: its Spearman
# correlation with the accuracy is in each title.
scores = {"logme": "LogME", "h_score": "H-score", "leep": "LEEP"}
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout="constrained")
for ax, (key, label) in zip(axes, scores.items()):
    points = [r for r in rows if r[key] is not None]
    ax.scatter([r[key] for r in points], [r["accuracy"] for r in points])
    for r in points:
        short = r["candidate"].replace("efficientnet_", "")
        ax.annotate(
            short,
            (r[key], r["accuracy"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    rho = correlation[key]["spearman"]
    ax.set(title=f"{label} (Spearman {rho:+.2f})", xlabel=label)
axes[0].set_ylabel("linear-probe accuracy\n(labelme and sun)")
plt.show()

# %%
# The table
# ---------
header = f"{'candidate':<38}{'LogME':>8}{'H-score':>9}{'LEEP':>8}{'accuracy':>10}"
print(header)
for r in rows:
    leep = f"{r['leep']:8.3f}" if r["leep"] is not None else f"{'-':>8}"
    print(
        f"{r['candidate']:<38}{r['logme']:8.3f}{r['h_score']:9.3f}{leep}"
        f"{r['accuracy']:10.3f}"
    )
