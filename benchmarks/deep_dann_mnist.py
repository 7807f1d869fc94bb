"""MNIST -> digits: source-only training against DANN and Deep CORAL.

Source: ``n_mnist`` MNIST images (stratified, drawn by the seed), labeled.
Target: scikit-learn's 1797 8x8 digits, both brought to ``image_size x
image_size`` by :func:`sktransfer.datasets.fetch_mnist_digits`; half of them
(stratified, by the seed) is the unlabeled target training set, the other
half the test set. Compared on the same network (an MLP with one hidden
layer of 256 units on the flattened pixels; default Adam, lr 1e-3, batch 64,
and for DANN the paper's lambda_p and mu_p schedules): trained on the
source only (``sample_domain=None``), DANN, Deep CORAL (default weight 1, on
the logits as in the paper), and the strong linear baseline
(``TunedLogisticRegression`` on the source rows). Nothing is tuned on the
target.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_dann_mnist.py \\
        --seeds 0 1 2 --epochs 20 --output examples/data/deep_dann_mnist.json

Runs on one torch thread and one BLAS thread.
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sktransfer.benchmark import TunedLogisticRegression
from sktransfer.datasets import fetch_mnist_digits
from sktransfer.deep import DANNClassifier, DeepCORALClassifier


def run_seed(seed, n_mnist, image_size, epochs):
    X, y, sd = fetch_mnist_digits(
        image_size=image_size, n_samples=n_mnist, random_state=seed, return_X_y=True
    )
    X = X.reshape(len(X), -1).astype(np.float32)
    Xs, ys = X[sd > 0], y[sd > 0]
    Xt_train, Xt_test, _, yt_test = train_test_split(
        X[sd < 0], y[sd < 0], test_size=0.5, stratify=y[sd < 0], random_state=seed
    )
    X_all = np.vstack([Xs, Xt_train])
    y_all = np.concatenate([ys, -np.ones(len(Xt_train), dtype=ys.dtype)])
    sd_all = np.concatenate([np.ones(len(Xs), int), -np.ones(len(Xt_train), int)])
    params = dict(
        module__hidden_units=(256,), max_epochs=epochs, device="cpu", random_state=seed
    )
    row = {"seed": seed}
    start = time.perf_counter()
    linear = TunedLogisticRegression(random_state=seed).fit(Xs, ys)
    row["linear_source_only"] = float(linear.score(Xt_test, yt_test))
    source_only = DANNClassifier(**params).fit(Xs, ys)
    row["mlp_source_only"] = float(source_only.score(Xt_test, yt_test))
    for name, cls in (("dann", DANNClassifier), ("deep_coral", DeepCORALClassifier)):
        model = cls(**params).fit(X_all, y_all, sample_domain=sd_all)
        row[name] = float(model.score(Xt_test, yt_test))
    row["seconds"] = round(time.perf_counter() - start, 1)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-mnist", type=int, default=2000)
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        for seed in args.seeds:
            rows.append(run_seed(seed, args.n_mnist, args.image_size, args.epochs))
            print(json.dumps(rows[-1]), flush=True)
    keys = [k for k in rows[0] if k not in ("seed", "seconds")]
    summary = {
        k: {
            "mean": float(np.mean([r[k] for r in rows])),
            "std": float(np.std([r[k] for r in rows])),
        }
        for k in keys
    }
    print("summary", json.dumps(summary))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(
                {
                    "n_mnist": args.n_mnist,
                    "image_size": args.image_size,
                    "epochs": args.epochs,
                    "rows": rows,
                    "summary": summary,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
