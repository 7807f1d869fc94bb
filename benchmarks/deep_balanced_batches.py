"""Domain-balanced training batches against shuffled ones, and DANN's knobs.

Rotated MNIST at 14 x 14 (a stand-in for the project's held-out garments
task): 3000 upright MNIST training images are the labeled source; the
target is other MNIST images rotated by 35 to 55 degrees either way,
``--n-target`` of them (3000: domains of equal size; 300: a small target),
unlabeled, and the same images are the test set. The network is the MLP of
one hidden layer of 100 units on the flattened pixels, Adam at 1e-3, batch
64, 10 epochs; each configuration over ``--seeds``. ``--configs`` are
``method:params`` with ``method`` in dann, cdan, deep_coral and ``params``
keyword arguments of the estimator (``source`` trains on the source alone).

Measured on 2 shared CPU cores (seeds 0, 1, 2; target accuracy)::

    n_target  configuration                                   accuracy
    3000      source only                                     0.276 ± 0.006
    3000      DANN, shuffled batches                          0.349 ± 0.004
    3000      DANN, balanced batches                          0.351 ± 0.007
    3000      Deep CORAL, shuffled / balanced                 0.306 / 0.310
    3000      CDAN, shuffled / balanced                       0.336 / 0.334
    3000      DANN, no lr annealing                           0.351 ± 0.002
    3000      DANN, no lr annealing, adaptation 1 at once     0.355 ± 0.010
    3000      DANN, adaptation 1 at once                      0.357 ± 0.002
    3000      DANN, domain classifier 100-100                 0.351 ± 0.004
    3000      CDAN without entropy conditioning               0.335 ± 0.005
    300       DANN, shuffled / balanced                       0.336 / 0.351
    300       Deep CORAL, shuffled / balanced                 0.318 / 0.309
    300       CDAN, shuffled / balanced                       0.346 / 0.348

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_balanced_batches.py \\
        --n-target 300 --configs "dann:balanced_batches=False" \\
        "dann:balanced_batches=True"

Runs on one torch thread and one BLAS thread.
"""

import argparse
import ast
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from sktransfer.datasets import get_data_home
from sktransfer.deep import CDANClassifier, DANNClassifier, DeepCORALClassifier

METHODS = {
    "dann": DANNClassifier,
    "cdan": CDANClassifier,
    "deep_coral": DeepCORALClassifier,
}


def rotated_mnist(n_source, n_target, seed=0):
    data = np.load(Path(get_data_home()) / "mnist" / "mnist.npz")
    rng = np.random.RandomState(seed)
    order = rng.permutation(60000)

    def images(rows):
        x = torch.tensor(data["images"][rows], dtype=torch.float32)[:, None] / 255
        return F.avg_pool2d(x, 2)

    source = order[:n_source]
    target = order[n_source : n_source + n_target]
    Xs, Xt = images(source), images(target)
    angle = rng.uniform(35, 55, n_target) * rng.choice([-1, 1], n_target)
    theta = torch.tensor(np.deg2rad(angle), dtype=torch.float32)
    cos, sin, zero = torch.cos(theta), torch.sin(theta), torch.zeros(n_target)
    affine = torch.stack(
        [torch.stack([cos, -sin, zero], -1), torch.stack([sin, cos, zero], -1)], 1
    )
    grid = F.affine_grid(affine, Xt.shape, align_corners=False)
    Xt = F.grid_sample(Xt, grid, align_corners=False)
    ys = data["labels"][source].astype(int)
    yt = data["labels"][target].astype(int)
    return Xs.flatten(1).numpy(), ys, Xt.flatten(1).numpy(), yt


def parse(config):
    method, _, params = config.partition(":")
    kwargs = {}
    for item in filter(None, params.split(",")):
        key, _, value = item.partition("=")
        kwargs[key.strip()] = ast.literal_eval(value.strip())
    return method, kwargs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-target", type=int, default=3000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--configs",
        nargs="+",
        default=[
            "source",
            "dann:balanced_batches=False",
            "dann:balanced_batches=True",
            "deep_coral:balanced_batches=False",
            "deep_coral:balanced_batches=True",
            "cdan:balanced_batches=False",
            "cdan:balanced_batches=True",
        ],
    )
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    Xs, ys, Xt, yt = rotated_mnist(3000, args.n_target)
    X = np.vstack([Xs, Xt])
    y = np.concatenate([ys, -np.ones(len(Xt), int)])
    sd = np.concatenate([np.ones(len(Xs), int), -np.ones(len(Xt), int)])
    common = dict(max_epochs=args.epochs, device="cpu", module__hidden_units=(100,))
    results = []
    with threadpool_limits(1):
        for config in args.configs:
            method, params = parse(config)
            start, scores = time.perf_counter(), []
            for seed in args.seeds:
                if method == "source":
                    net = DANNClassifier(random_state=seed, **common).fit(Xs, ys)
                else:
                    net = METHODS[method](random_state=seed, **common, **params)
                    net.fit(X, y, sample_domain=sd)
                scores.append(float(net.score(Xt, yt)))
            row = {
                "n_target": args.n_target,
                "config": config,
                "mean": float(np.mean(scores)),
                "std": float(np.std(scores)),
                "scores": scores,
                "seconds": round(time.perf_counter() - start, 1),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
