"""
===============================================================
Pretrained embeddings in a pipeline: a linear probe that adapts
===============================================================

The most common way to use a pretrained network is not to fine-tune it but
to read its features: run the frozen network over the images, then fit a
linear model on what it returns (a "linear probe"). With
:class:`~sktransfer.deep.PretrainedEmbedding` the network is an ordinary
scikit-learn transformer, so a feature mapping of sktransfer can sit
between it and the classifier, in one pipeline::

    make_transfer_pipeline(
        PretrainedEmbedding("efficientnet_lite0"), CORAL(), LogisticRegression()
    )

Here the source is VLCS-mini's ``caltech`` photos (labeled), the target its
``labelme`` photos (no label used): the embedding of EfficientNet-Lite0
(ImageNet weights, 1280 features) against raw pixels, each with and without
CORAL. ``benchmarks/deep_embedding_vlcs.py`` measures all six domain pairs,
with a grid search of the mapping on a few target labels.
"""

# %%
# One pipeline from photos to predictions
# ---------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sktransfer.datasets import fetch_vlcs_mini
from sktransfer.deep import PretrainedEmbedding
from sktransfer.feature import CORAL
from sktransfer.pipeline import make_transfer_pipeline

torch.set_num_threads(2)
X, y_true, sd = fetch_vlcs_mini("caltech", "labelme", image_size=224, return_X_y=True)
y = np.where(sd < 0, -1, y_true)  # the target's labels are only for scoring
target = sd < 0

# the frozen network runs once; both pipelines below start from its output
embedding = PretrainedEmbedding("efficientnet_lite0").fit(X)
features = embedding.transform(X)
print(f"{X.shape} images -> {features.shape} features")

pipe = make_transfer_pipeline(
    embedding, CORAL(), LogisticRegression(C=0.1, max_iter=2000)
)
pipe.fit(X, y, sample_domain=sd)
print(f"embedding + CORAL: {pipe.score(X[target], y_true[target]):.3f}")

# %%
# Accuracy on the target, four ways
# ---------------------------------
# Raw pixels (at 32x32, standardised) against the embedding, each with and
# without CORAL, the same logistic regression after.
pixels = FunctionTransformer(
    lambda A: (
        torch.nn.functional.interpolate(
            torch.as_tensor(A), size=32, mode="bilinear", antialias=True
        )
        .reshape(len(A), -1)
        .numpy()
    )
)
inputs = {"raw pixels": pixels, "EfficientNet-Lite0 embedding": embedding}
scores = {}
for name, front in inputs.items():
    for mapping in (None, CORAL()):
        steps = [front, StandardScaler()] + ([mapping] if mapping else [])
        model = make_transfer_pipeline(*steps, LogisticRegression(C=0.1, max_iter=2000))
        model.fit(X, y, sample_domain=sd)
        label = f"{name}\n{'+ CORAL' if mapping else 'source-only'}"
        scores[label] = model.score(X[target], y_true[target])
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
bars = ax.barh(list(scores), list(scores.values()), color=["C7", "C7", "C0", "C0"])
ax.bar_label(bars, fmt="%.2f", padding=3)
ax.axvline(1 / 4, color="k", ls=":", label="chance (4 classes in labelme)")
ax.set(xlabel="accuracy on the labelme photos", xlim=(0, 1))
ax.invert_yaxis()
ax.legend(loc="lower right")
plt.show()

# %%
# The two domains in the embedding, before and after CORAL
# --------------------------------------------------------
# A PCA of the standardised embedding, fitted on both domains: the target
# photos (crosses) sit apart from the source photos (dots) before CORAL,
# which re-colours the source features with the target's covariance.
scaled = make_pipeline(StandardScaler()).fit_transform(features)
aligned = CORAL().fit_transform(scaled, y, sample_domain=sd)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), layout="constrained")
for ax, (title, Z) in zip(axes, (("embedding", scaled), ("after CORAL", aligned))):
    Z2 = PCA(2, random_state=0).fit_transform(Z)
    for domain, marker in ((1, "o"), (-1, "x")):
        rows = sd == domain
        ax.scatter(
            *Z2[rows].T,
            c=y_true[rows],
            cmap="tab10",
            vmin=0,
            vmax=9,
            marker=marker,
            s=18,
            label="caltech (source)" if domain > 0 else "labelme (target)",
        )
    ax.set(title=title, xticks=[], yticks=[])
axes[0].legend(loc="best", fontsize=8)
plt.show()
