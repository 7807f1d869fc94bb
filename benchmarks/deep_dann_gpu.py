"""Train DANN on the GPU, pickle it, reload it on the CPU and predict the same.

Trains :class:`~sktransfer.deep.DANNClassifier` with ``device="auto"`` (the
GPU when torch sees one) on MNIST -> digits (16x16, ``--n-mnist`` source
rows, the digits unlabeled), pickles it to ``--output``, then, in a child
process that sees no GPU (``CUDA_VISIBLE_DEVICES=""``), loads it and predicts
the target rows. Exits with status 1 unless both predictions agree on every
row (and the probabilities within 1e-5). Without a GPU it runs the same
round trip on the CPU and says so.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_dann_gpu.py \\
        --epochs 5 --output /tmp/dann_gpu.pkl
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import time

import numpy as np
import torch

from sktransfer.datasets import fetch_mnist_digits
from sktransfer.deep import DANNClassifier

_CHILD = """
import pickle, sys
import numpy as np
import torch
assert not torch.cuda.is_available()
with open(sys.argv[1], "rb") as f:
    net = pickle.load(f)
X = np.load(sys.argv[2])
np.save(sys.argv[3], net.predict_proba(X))
print("reloaded on", net.device_)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-mnist", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--output", default="/tmp/dann_gpu.pkl")
    args = parser.parse_args()
    X, y, sd = fetch_mnist_digits(
        n_samples=args.n_mnist, random_state=0, return_X_y=True
    )
    X = X.reshape(len(X), -1).astype(np.float32)
    y_train = np.where(sd > 0, y, -1)
    net = DANNClassifier(max_epochs=args.epochs, random_state=0)
    start = time.perf_counter()
    net.fit(X, y_train, sample_domain=sd)
    seconds = time.perf_counter() - start
    proba = net.predict_proba(X[sd < 0])
    with open(args.output, "wb") as f:
        pickle.dump(net, f)
    X_path, proba_path = args.output + ".X.npy", args.output + ".proba.npy"
    np.save(X_path, X[sd < 0])
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    child = [sys.executable, "-c", _CHILD, args.output, X_path, proba_path]
    print(
        subprocess.run(
            child, env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    reloaded = np.load(proba_path)
    same = bool(
        np.array_equal(proba.argmax(1), reloaded.argmax(1))
        and np.allclose(proba, reloaded, atol=1e-5)
    )
    report = {
        "trained_on": str(net.device_),
        "gpu": torch.cuda.is_available(),
        "fit_seconds": round(seconds, 2),
        "target_accuracy": float((net.classes_[proba.argmax(1)] == y[sd < 0]).mean()),
        "same_predictions_on_cpu": same,
    }
    print(json.dumps(report))
    if not report["gpu"]:
        print("no GPU seen: the round trip ran on the CPU only")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
