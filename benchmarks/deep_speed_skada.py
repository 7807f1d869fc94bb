"""Training speed of every deep method that sktransfer and skada 0.6.0 both have.

DANN, Deep CORAL, CDAN, DAN, MCC and MDD, side by side in one process on one
torch thread: same data (MNIST -> digits at 16x16: 2000 source rows, 1797
unlabeled target rows), same network (an MLP 256-100-10 whose hidden layer
is the features), the same discriminator where the method has one (100-100
with batch norm and ReLU, then one logit for DANN and CDAN's domain
classifier, ``n_classes`` logits for MDD's adversarial head), Adam with
``lr=1e-3``, the same epochs. skada's ``DomainBalancedDataLoader`` puts
``batch_size`` source rows and ``batch_size`` target rows in each step and
its epoch ends with the larger domain; sktransfer's balanced batches hold
``2 * batch_size`` rows, half of each domain, and its epoch has as many
steps as ``n_source + n_target`` rows make: the table reports epochs per
second and training rows per second (the fair unit), best of ``--repeats``.
skada's default domain classifier ends in a softmax over one logit (constant
output, zero gradient), so both get the discriminator above (for skada behind
its gradient reversal layer, ending in the sigmoid its ``BCELoss`` expects);
the accuracy column says what each learns in so few epochs (not a benchmark
of accuracy).

Measured on 2 CPU cores (``--epochs 5 --repeats 3``), training rows per
second, sktransfer against skada: DANN 40494 / 24340 (1.66x), Deep CORAL
53912 / 33613 (1.60x), CDAN 24003 / 19013 (1.26x), DAN 34812 / 18310
(1.90x), MCC 43804 / 24014 (1.82x), MDD 27563 / 18782 (1.47x).

Needs skada (not a dependency of sktransfer): run it in a separate venv with
skada 0.6.0 and sktransfer on the path::

    SKTRANSFER_DATA=/path/to/data PYTHONPATH=. /tmp/venv_peers/bin/python \\
        benchmarks/deep_speed_skada.py --epochs 5 --repeats 3
"""

import argparse
import json
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from sktransfer.datasets import fetch_mnist_digits
from sktransfer.deep import (
    MLP,
    CDANClassifier,
    DANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    MCCClassifier,
    MDDClassifier,
)


class _MLP(MLP):
    def forward(self, X, sample_weight=None):  # skada passes sample_weight
        return super().forward(X)


def discriminator(n_inputs, n_outputs=1):
    return torch.nn.Sequential(
        torch.nn.Linear(n_inputs, 100),
        torch.nn.BatchNorm1d(100),
        torch.nn.ReLU(),
        torch.nn.Linear(100, n_outputs),
    )


class _SkadaDiscriminator(torch.nn.Module):
    """skada's DomainClassifier with the same layers as ours: gradient
    reversal, 100 units with batch norm and ReLU, then a sigmoid over one
    logit (its BCELoss takes probabilities) or the raw logits of MDD's
    ``n_classes`` outputs."""

    def __init__(self, n_inputs, n_outputs=1):
        super().__init__()
        self.layers = discriminator(n_inputs, n_outputs)
        self.n_outputs = n_outputs

    def forward(self, x, sample_weight=None):
        from skada.deep.modules import GradientReversalLayer

        out = self.layers(GradientReversalLayer.apply(x, 1.0))
        return torch.sigmoid(out).squeeze(1) if self.n_outputs == 1 else out


def ours(method, epochs, batch_size):
    common = dict(max_epochs=epochs, batch_size=2 * batch_size, device="cpu")
    module = MLP(256, 10, hidden_units=(100,))
    if method == "dann":
        return DANNClassifier(module, domain_classifier=discriminator(100), **common)
    if method == "cdan":
        # skada's CDAN: the plain multilinear map, no entropy conditioning
        return CDANClassifier(
            module,
            domain_classifier=discriminator(1000),
            entropy=False,
            randomized=False,
            **common,
        )
    if method == "mdd":
        return MDDClassifier(module, adversarial_head=discriminator(100, 10), **common)
    cls = {"deep_coral": DeepCORALClassifier, "dan": DANClassifier}.get(method)
    if method == "mcc":
        return MCCClassifier(module, **common)
    return cls(module, **common)


def theirs(method, epochs, batch_size):
    import skada.deep as skada_deep

    common = dict(
        layer_name="features",
        max_epochs=epochs,
        batch_size=batch_size,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        train_split=None,
        device="cpu",
        verbose=0,
    )
    module = _MLP(256, 10, hidden_units=(100,))
    if method == "dann":
        return skada_deep.DANN(
            module, domain_classifier=_SkadaDiscriminator(100), **common
        )
    if method == "cdan":
        return skada_deep.CDAN(
            module, domain_classifier=_SkadaDiscriminator(1000), **common
        )
    if method == "mdd":
        return skada_deep.MDD(
            module, disc_classifier=_SkadaDiscriminator(100, 10), **common
        )
    cls = {"deep_coral": "DeepCoral", "dan": "DAN", "mcc": "MCC"}[method]
    return getattr(skada_deep, cls)(module, **common)


METHODS = ("dann", "deep_coral", "cdan", "dan", "mcc", "mdd")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y, sd = fetch_mnist_digits(n_samples=2000, random_state=0, return_X_y=True)
    X = X.astype(np.float32)
    n_source, n_target = int((sd > 0).sum()), int((sd < 0).sum())
    y_train = np.where(sd > 0, y, -1)
    rows_per_epoch = {
        "sktransfer": n_source + n_target,
        "skada": 2 * max(n_source, n_target),
    }
    results = []
    with threadpool_limits(1):
        for method in args.methods:
            row = {"method": method}
            for library, make in (("sktransfer", ours), ("skada", theirs)):
                times = []
                for repeat in range(args.repeats):
                    torch.manual_seed(repeat)
                    net = make(method, args.epochs, args.batch_size)
                    start = time.perf_counter()
                    net.fit(X, y_train, sample_domain=sd)
                    times.append(time.perf_counter() - start)
                best = min(times)
                if library == "sktransfer":
                    pred = net.predict(X[sd < 0])
                else:  # skada's predict needs sample_domain
                    pred = net.predict(X[sd < 0], sample_domain=sd[sd < 0])
                row[library] = {
                    "epochs_per_s": round(args.epochs / best, 3),
                    "rows_per_s": round(args.epochs * rows_per_epoch[library] / best),
                    "target_accuracy": round(float((pred == y[sd < 0]).mean()), 3),
                }
            row["rows_per_s_ratio"] = round(
                row["sktransfer"]["rows_per_s"] / row["skada"]["rows_per_s"], 2
            )
            row["epochs_per_s_ratio"] = round(
                row["sktransfer"]["epochs_per_s"] / row["skada"]["epochs_per_s"], 2
            )
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"epochs": args.epochs, "rows": results}, f, indent=1)


if __name__ == "__main__":
    main()
