"""Every deep adaptation loss of sktransfer on one protocol per data set.

Amazon reviews (``--dataset amazon``): the shallow-network protocol of
``benchmarks/deep_dann_amazon.py`` for each of the 12 ordered pairs: the
2000 labeled source reviews and the 2000 unlabeled target reviews of the
``*_train`` files, tested on the target ``*_test`` file; an MLP with one
hidden layer of 50 units (the features); DANN-like methods with the paper's
logistic domain classifier. Inputs ``--features words`` (log(1 + count),
unit rows: the benchmark registry's rule), ``--features counts`` (the raw
word counts, no preprocessing) or ``--features msda`` (mSDA on the words,
its default 5 layers and noise 0.5, fitted on the source and target
training rows, as Ganin et al. 2016 do). ``--network default`` trains the
estimators' default networks instead (100 hidden units, DANN's MLP domain
classifier).

MNIST -> digits (``--dataset mnist_digits``): 2000 MNIST images against
scikit-learn's 1797 digits at 16 x 16 (:func:`~sktransfer.datasets.fetch_mnist_digits`),
half of the digits the unlabeled target training set and half the test set,
stratified by the seed; the default image network (``SmallCNN``) on
channels-first images.

Every method: the estimators' defaults (Adam, lr 1e-3, batch 64,
domain-balanced batches, each paper's weights and schedules), the same
network and ``--epochs``; nothing tuned on the target. A run whose loss
becomes infinite (:class:`~sktransfer.deep.NonFiniteLossError`) scores 0 and
is listed under ``diverged``. ``source_mlp`` is the
same network trained on the source alone; ``linear_source`` the strong
linear baseline (``TunedLogisticRegression`` on the source rows);
``dann+mcc`` DANN with ``regularizers={"mcc": 1.0}``.

Measured on 2 shared CPU cores (Amazon: 12 pairs, seed 0, 10 epochs, about
5 minutes a feature set, mSDA 20; MNIST: seeds 0, 1, 2, 10 epochs, 12
minutes); mean target accuracy in %::

    method             words   counts     msda    mnist
    linear_source       77.0     76.7     80.9     23.8
    source_mlp          76.8     77.3     80.8     46.4
    dann                78.3     75.6     78.9     70.2
    deep_coral          77.1     77.5     80.6     67.3
    cdan                78.5     70.4     77.2     82.9
    dan                 80.9     77.9     80.4     73.3
    jan                 80.9     78.3     80.6     81.8
    mcc                 72.7     71.3     76.5     68.8
    mdd                 71.0     72.2     79.0     59.4
    bnm                 75.5     75.8     81.1     67.9
    im                  75.5     75.3     79.3     57.6
    dann+mcc            79.5     76.6     79.5     85.6

At or above ``source_mlp`` on the words: DANN, DAN, JAN and DANN + MCC on
12 of 12 pairs, CDAN on 11; MCC, MDD on 4, BNM, IM on 5 (they lose on the
distant pairs into books and dvd). On MNIST every method gains. With the
estimators' default networks on raw counts (``--features counts --network
default --methods source_mlp dann --seeds 0 1``) DANN scores 79.9 against
77.2.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_losses.py \\
        --dataset amazon --features words --epochs 10 \\
        --output examples/data/deep_losses_amazon_words.json

Runs on one torch thread and one BLAS thread.
"""

import argparse
import itertools
import json
import time

import numpy as np
import torch
from scipy.sparse import vstack
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sktransfer.benchmark import TunedLogisticRegression
from sktransfer.benchmark._datasets import AMAZON_DOMAINS, log1p_then_l2
from sktransfer.datasets import fetch_amazon_reviews, fetch_mnist_digits
from sktransfer.deep import (
    BNMClassifier,
    CDANClassifier,
    DANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    InformationMaximizationClassifier,
    JANClassifier,
    MCCClassifier,
    MDDClassifier,
    NonFiniteLossError,
)

# (estimator class, its parameters); the network's own parameters are added
METHODS = {
    "source_mlp": (DANNClassifier, {}),
    "dann": (DANNClassifier, {}),
    "deep_coral": (DeepCORALClassifier, {}),
    "cdan": (CDANClassifier, {}),
    "dan": (DANClassifier, {}),
    "jan": (JANClassifier, {}),
    "mcc": (MCCClassifier, {}),
    "mdd": (MDDClassifier, {}),
    "bnm": (BNMClassifier, {}),
    "im": (InformationMaximizationClassifier, {}),
    "dann+mcc": (DANNClassifier, {"regularizers": {"mcc": 1.0}}),
}
# the shallow protocol's network: 50 hidden units, logistic domain classifier
SHALLOW = {"module__hidden_units": (50,)}
LOGISTIC_DISCRIMINATOR = {"domain_classifier__hidden_units": ()}


def amazon_tasks(features, seed):
    for source, target in itertools.permutations(AMAZON_DOMAINS, 2):
        Xs, ys, _ = fetch_amazon_reviews(source, None, subset="train", return_X_y=True)
        Xt, _, _ = fetch_amazon_reviews(None, target, subset="train", return_X_y=True)
        Xtest, ytest, _ = fetch_amazon_reviews(
            None, target, subset="test", return_X_y=True
        )
        if features != "counts":
            Xs, Xt, Xtest = (log1p_then_l2(M, None) for M in (Xs, Xt, Xtest))
        if features == "msda":
            from sktransfer.feature import MarginalizedDenoisingAutoencoder

            msda = MarginalizedDenoisingAutoencoder(random_state=seed)
            msda.fit(vstack([Xs, Xt]))
            Xs, Xt, Xtest = (msda.transform(M) for M in (Xs, Xt, Xtest))
        dense = [
            np.asarray(M.toarray() if hasattr(M, "toarray") else M, np.float32)
            for M in (Xs, Xt, Xtest)
        ]
        yield f"{source}->{target}", dense[0], ys, dense[1], dense[2], ytest


def mnist_tasks(seed):
    X, y, sd = fetch_mnist_digits(
        image_size=16, n_samples=2000, random_state=seed, return_X_y=True
    )
    X = X.reshape(len(X), 1, 16, 16).astype(np.float32)
    Xt_train, Xt_test, _, yt_test = train_test_split(
        X[sd < 0], y[sd < 0], test_size=0.5, stratify=y[sd < 0], random_state=seed
    )
    yield "mnist->digits", X[sd > 0], y[sd > 0], Xt_train, Xt_test, yt_test


def network_params(dataset, cls, network):
    if dataset != "amazon" or network == "default":
        return {}
    params = dict(SHALLOW)
    if "domain_classifier" in cls().get_params():
        params.update(LOGISTIC_DISCRIMINATOR)
    return params


def run_task(dataset, task, methods, seed, epochs, network):
    name, Xs, ys, Xt, Xtest, ytest = task
    row = {"pair": name}
    start = time.perf_counter()
    flat = [A.reshape(len(A), -1) for A in (Xs, Xtest)]
    row["linear_source"] = float(
        TunedLogisticRegression(random_state=seed)
        .fit(flat[0], ys)
        .score(*flat[1:], ytest)
    )
    X = np.concatenate([Xs, Xt])
    y = np.concatenate([ys, -np.ones(len(Xt), dtype=ys.dtype)])
    sd = np.concatenate([np.ones(len(Xs), int), -np.ones(len(Xt), int)])
    for method in methods:
        cls, params = METHODS[method]
        net = cls(
            max_epochs=epochs,
            device="cpu",
            random_state=seed,
            **network_params(dataset, cls, network),
            **params,
        )
        try:
            if method == "source_mlp":
                net.fit(Xs, ys)
            else:
                net.fit(X, y, sample_domain=sd)
        except NonFiniteLossError:
            # a diverged run scores as what it predicts: nothing (chance or
            # worse), counted in the mean as 0 and listed in "diverged"
            row.setdefault("diverged", []).append(method)
            row[method] = 0.0
            continue
        row[method] = float(net.score(Xtest, ytest))
    row["seconds"] = round(time.perf_counter() - start, 1)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", choices=["amazon", "mnist_digits"], default="amazon"
    )
    parser.add_argument(
        "--features", choices=["words", "counts", "msda"], default="words"
    )
    parser.add_argument(
        "--network",
        choices=["shallow", "default"],
        default="shallow",
        help="Amazon: the shallow protocol's network or the estimators' defaults",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        for seed in args.seeds:
            tasks = (
                amazon_tasks(args.features, seed)
                if args.dataset == "amazon"
                else mnist_tasks(seed)
            )
            for task in tasks:
                row = run_task(
                    args.dataset, task, args.methods, seed, args.epochs, args.network
                )
                rows.append({"seed": seed, **row})
                print(json.dumps(rows[-1]), flush=True)
    keys = [k for k in rows[0] if k not in ("pair", "seconds", "seed", "diverged")]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    sd = {k: float(np.std([r[k] for r in rows])) for k in keys}
    print("mean", json.dumps({k: round(v, 4) for k, v in mean.items()}))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(
                {
                    "dataset": args.dataset,
                    "features": args.features,
                    "network": args.network,
                    "epochs": args.epochs,
                    "seeds": args.seeds,
                    "rows": rows,
                    "mean": mean,
                    "sd": sd,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
