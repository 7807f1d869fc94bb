"""Train on the GPU, pickle, reload on the CPU and predict the same.

Two round trips, each trained with ``device="auto"`` (the GPU when torch
sees one), pickled to ``--output``, then loaded in a child process that sees
no GPU (``CUDA_VISIBLE_DEVICES=""``), which predicts the target rows:

* ``dann``: :class:`~sktransfer.deep.DANNClassifier` on MNIST -> digits
  (16x16 images, so the default network is the SmallCNN; ``--n-mnist``
  source rows, the digits unlabeled);
* ``finetune`` (needs the ``pretrained`` extra): EfficientNet-Lite0
  fine-tuned with :class:`~sktransfer.deep.FineTuningClassifier` on the
  VLCS-mini image folders (``DomainImageFolders``, caltech -> labelme,
  read lazily by 2 loader workers), with ``default_augmentation``, mixed
  precision (``amp=True``, on CUDA only) and the new fine-tuning defaults;
  the child predicts on the image folder itself, batch by batch.

Exits with status 1 unless both predictions agree on every row (and the
probabilities within 1e-4, AMP included). Without a GPU it runs the same
round trips on the CPU and says so.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_dann_gpu.py \\
        --epochs 5 --output /tmp/gpu_roundtrip.pkl
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sktransfer.datasets import fetch_mnist_digits
from sktransfer.datasets._base import get_data_home
from sktransfer.deep import (
    DANNClassifier,
    DomainImageFolders,
    FineTuningClassifier,
    default_augmentation,
    load_efficientnet_lite0,
)

_CHILD = """
import pickle, sys
import numpy as np
import torch
assert not torch.cuda.is_available()
with open(sys.argv[1], "rb") as f:
    net = pickle.load(f)
with open(sys.argv[2], "rb") as f:
    X = pickle.load(f)
np.save(sys.argv[3], net.predict_proba(X))
print("reloaded on", net.device_)
"""


def _round_trip(name, net, X_fit, y_fit, sd, X_test, y_test, output):
    start = time.perf_counter()
    net.fit(X_fit, y_fit, sample_domain=sd)
    seconds = time.perf_counter() - start
    proba = net.predict_proba(X_test)
    path = f"{output}.{name}"
    with open(path, "wb") as f:
        pickle.dump(net, f)
    with open(path + ".X", "wb") as f:
        pickle.dump(X_test, f)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    child = [sys.executable, "-c", _CHILD, path, path + ".X", path + ".npy"]
    print(
        subprocess.run(
            child, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    reloaded = np.load(path + ".npy")
    return {
        "run": name,
        "trained_on": str(net.device_),
        "fit_seconds": round(seconds, 2),
        "target_accuracy": float((net.classes_[proba.argmax(1)] == y_test).mean()),
        "same_predictions_on_cpu": bool(
            np.array_equal(proba.argmax(1), reloaded.argmax(1))
            and np.allclose(proba, reloaded, atol=1e-4)
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-mnist", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--output", default="/tmp/dann_gpu.pkl")
    parser.add_argument(
        "--runs", nargs="+", default=["dann", "finetune"], choices=["dann", "finetune"]
    )
    args = parser.parse_args()
    reports = []
    if "dann" in args.runs:
        X, y, sd = fetch_mnist_digits(
            n_samples=args.n_mnist, random_state=0, return_X_y=True
        )
        X = X[:, None].astype(np.float32)  # (n, 1, 16, 16): the SmallCNN default
        net = DANNClassifier(max_epochs=args.epochs, random_state=0)
        reports.append(
            _round_trip(
                "dann",
                net,
                X,
                np.where(sd > 0, y, -1),
                sd,
                X[sd < 0],
                y[sd < 0],
                args.output,
            )
        )
    if "finetune" in args.runs:
        root = Path(get_data_home()) / "vlcs_mini"
        folders = DomainImageFolders(
            {"caltech": root / "caltech", "labelme": root / "labelme"}, image_size=224
        )
        sd = folders.sample_domain(source=["caltech"], target=["labelme"])
        net = FineTuningClassifier(
            load_efficientnet_lite0(n_classes=len(folders.classes)),
            augment=default_augmentation(224),
            amp=True,
            lr=1e-3,
            batch_size=16,
            max_epochs=args.epochs,
            iterator_train__num_workers=2,
            random_state=0,
        )
        target = np.flatnonzero(sd < 0)
        test = torch.utils.data.Subset(folders, target)
        reports.append(
            _round_trip(
                "finetune",
                net,
                folders,
                np.where(sd > 0, folders.targets, -1),
                sd,
                test,
                folders.targets[target],
                args.output,
            )
        )
    gpu = torch.cuda.is_available()
    for report in reports:
        print(json.dumps({**report, "gpu": gpu}))
    if not gpu:
        print("no GPU seen: the round trips ran on the CPU only")
    sys.exit(0 if all(r["same_predictions_on_cpu"] for r in reports) else 1)


if __name__ == "__main__":
    main()
