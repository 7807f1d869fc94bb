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
from sktransfer.deep import DANNClassifier, DeepCORALClassifier, FineTuningClassifier
from sktransfer.utils import hide_target_labels


def run_seed(seed, n_mnist, image_size, epochs, networks, n_labels_per_class):
    X, y, sd = fetch_mnist_digits(
        image_size=image_size, n_samples=n_mnist, random_state=seed, return_X_y=True
    )
    X = X.reshape(len(X), 1, image_size, image_size).astype(np.float32)
    Xs, ys = X[sd > 0], y[sd > 0]
    Xt_train, Xt_test, yt_train, yt_test = train_test_split(
        X[sd < 0], y[sd < 0], test_size=0.5, stratify=y[sd < 0], random_state=seed
    )
    X_all = np.concatenate([Xs, Xt_train])
    y_all = np.concatenate([ys, -np.ones(len(Xt_train), dtype=ys.dtype)])
    sd_all = np.concatenate([np.ones(len(Xs), int), -np.ones(len(Xt_train), int)])
    # fine-tuning: a few labeled target rows per class, the rest unlabeled
    y_few = hide_target_labels(
        np.concatenate([ys, yt_train]),
        sd_all,
        n_labeled=n_labels_per_class,
        per_class=True,
        random_state=seed,
    )
    row = {"seed": seed}
    start = time.perf_counter()
    flat = X_all.reshape(len(X_all), -1)
    linear = TunedLogisticRegression(random_state=seed).fit(Xs.reshape(len(Xs), -1), ys)
    row["linear_source_only"] = float(
        linear.score(Xt_test.reshape(len(Xt_test), -1), yt_test)
    )
    for network in networks:
        # the MLP of one hidden layer (256 units) on flattened pixels, or the
        # default for images, SmallCNN, on (1, size, size) images
        if network == "mlp":
            params = dict(module__hidden_units=(256,))
            shape = (flat.shape[1],)
        else:
            params = {}
            shape = X_all.shape[1:]
        params.update(max_epochs=epochs, device="cpu", random_state=seed)

        def rows_of(A, shape=shape):
            return A.reshape(len(A), *shape)

        test = rows_of(Xt_test)
        source_only = DANNClassifier(**params).fit(rows_of(Xs), ys)
        row[f"{network}_source_only"] = float(source_only.score(test, yt_test))
        for name, cls in (
            ("dann", DANNClassifier),
            ("deep_coral", DeepCORALClassifier),
        ):
            model = cls(**params).fit(rows_of(X_all), y_all, sample_domain=sd_all)
            row[f"{network}_{name}"] = float(model.score(test, yt_test))
        tuned = FineTuningClassifier(**params).fit(
            rows_of(X_all), y_few, sample_domain=sd_all
        )
        row[f"{network}_finetune_{n_labels_per_class}_per_class"] = float(
            tuned.score(test, yt_test)
        )
    row["seconds"] = time.perf_counter() - start
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-mnist", type=int, default=2000)
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--networks", nargs="+", default=["mlp", "cnn"])
    parser.add_argument("--labels-per-class", type=int, default=5)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        for seed in args.seeds:
            rows.append(
                run_seed(
                    seed,
                    args.n_mnist,
                    args.image_size,
                    args.epochs,
                    args.networks,
                    args.labels_per_class,
                )
            )
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
                    "networks": args.networks,
                    "labels_per_class": args.labels_per_class,
                    "rows": rows,
                    "summary": summary,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
