"""Training speed of sktransfer's DANN against skada 0.6.0's DANN, side by side.

Same data (MNIST -> digits at 16x16: 2000 source rows, 1797 target rows),
same architecture (an MLP 256-100-10 whose hidden layer is the features; a
domain classifier 100-100 (batch norm, ReLU)-1), same batch size and epochs,
one torch thread, in one process. skada's ``DomainBalancedDataLoader`` puts
``batch_size`` source rows and ``batch_size`` target rows in each batch and
its epoch ends with the larger domain, so the table reports both epochs per
second and training rows per second. skada's default domain classifier ends in
a softmax over one logit (constant output, zero gradient), so it is given here
its own ``DomainClassifier`` for timing only; the accuracy column says what
each learns. Rows per optimisation step are equal: skada's batch holds
``batch_size`` rows of each domain, so sktransfer's batch holds
``2 * batch_size`` rows of the two domains shuffled together.

Needs skada (not a dependency of sktransfer): run it in a separate venv with
skada 0.6.0 and sktransfer on the path::

    SKTRANSFER_DATA=/path/to/data PYTHONPATH=. /tmp/venv_peers_dann/bin/python \\
        benchmarks/deep_dann_speed.py --epochs 5 --repeats 3
"""

import argparse
import json
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from sktransfer.datasets import fetch_mnist_digits
from sktransfer.deep import MLP, DANNClassifier


class _MLP(MLP):
    def forward(self, X, sample_weight=None):  # skada passes sample_weight
        return super().forward(X)


def discriminator():
    layers = [
        torch.nn.Linear(100, 100),
        torch.nn.BatchNorm1d(100),
        torch.nn.ReLU(),
        torch.nn.Linear(100, 1),
    ]
    return torch.nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y, sd = fetch_mnist_digits(n_samples=2000, random_state=0, return_X_y=True)
    n_source, n_target = int((sd > 0).sum()), int((sd < 0).sum())
    y_train = np.where(sd > 0, y, -1)
    results = {}

    def ours():
        net = DANNClassifier(
            MLP(256, 10, hidden_units=(100,)),
            domain_classifier=discriminator(),
            max_epochs=args.epochs,
            batch_size=2 * args.batch_size,
            device="cpu",
            random_state=0,
        )
        return net.fit(X, y_train, sample_domain=sd)

    def skada_dann():
        from skada.deep import DANN
        from skada.deep.modules import DomainClassifier

        torch.manual_seed(0)
        net = DANN(
            _MLP(256, 10, hidden_units=(100,)),
            layer_name="features",
            domain_classifier=DomainClassifier(num_features=100),
            max_epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=torch.optim.Adam,
            lr=1e-3,
            train_split=None,
            device="cpu",
        )
        return net.fit(X, y_train, sample_domain=sd)

    rows_per_epoch = {
        "sktransfer": n_source + n_target,
        "skada": 2 * max(n_source, n_target),
    }
    with threadpool_limits(1):
        for name, make in (("sktransfer", ours), ("skada", skada_dann)):
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                net = make()
                times.append(time.perf_counter() - start)
            best = min(times)
            if name == "sktransfer":
                pred = net.predict(X[sd < 0])
            else:  # skada's predict needs sample_domain
                pred = net.predict(X[sd < 0], sample_domain=sd[sd < 0])
            results[name] = {
                "epochs_per_s": args.epochs / best,
                "rows_per_s": args.epochs * rows_per_epoch[name] / best,
                "rows_per_step": 2 * args.batch_size,
                "target_accuracy": float((np.asarray(pred) == y[sd < 0]).mean()),
            }
            print(name, json.dumps(results[name]), flush=True)
    ratio = results["sktransfer"]["epochs_per_s"] / results["skada"]["epochs_per_s"]
    print(f"epochs/s ratio sktransfer/skada: {ratio:.2f}")


if __name__ == "__main__":
    main()
