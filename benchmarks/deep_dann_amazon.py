"""DANN on the Amazon reviews, the shallow protocol of Ganin et al. (JMLR 2016).

For each of the 12 ordered pairs of domains: the network (5000 inputs, one
hidden layer of 50 units, a logistic domain classifier on it) trains on the
2000 labeled source reviews of the source ``*_train`` file and the 2000
unlabeled reviews of the target ``*_train`` file, and is tested on the target
``*_test`` file. Compared: the same network trained on the source only
(``DANNClassifier`` with ``sample_domain=None``), DANN, the strong linear
baseline (``TunedLogisticRegression`` on the source rows), and, when
``sktransfer.feature.MarginalizedDenoisingAutoencoder`` exists, DANN on mSDA
features (mSDA fitted on the source and target training rows, its default
5 layers, noise 0.5).

Preprocessing: log(1 + count), each row scaled to unit L2 norm (the
benchmark registry's rule for this data set). Hyperparameters are the
estimators' defaults (Adam, lr 1e-3, batch 64, the paper's lambda_p and mu_p
schedules) with ``max_epochs``; nothing is tuned on the target.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_dann_amazon.py \\
        --epochs 10 --output examples/data/deep_dann_amazon.json

Runs on one torch thread and one BLAS thread.
"""

import argparse
import itertools
import json
import time

import numpy as np
import torch
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from sktransfer.benchmark import TunedLogisticRegression
from sktransfer.datasets import fetch_amazon_reviews
from sktransfer.deep import DANNClassifier

DOMAINS = ("books", "dvd", "electronics", "kitchen")


def preprocess(X):
    X = X.copy()
    X.data = np.log1p(X.data)
    return normalize(X)


def load(source, target):
    Xs, ys, _ = fetch_amazon_reviews(source, None, subset="train", return_X_y=True)
    Xt, _, _ = fetch_amazon_reviews(None, target, subset="train", return_X_y=True)
    Xtest, ytest, _ = fetch_amazon_reviews(None, target, subset="test", return_X_y=True)
    return preprocess(Xs), ys, preprocess(Xt), preprocess(Xtest), ytest


def _dense(M):
    return np.asarray(M.toarray() if hasattr(M, "toarray") else M, np.float32)


def net(seed, epochs):
    return DANNClassifier(
        module__hidden_units=(50,),
        domain_classifier__hidden_units=(),
        max_epochs=epochs,
        device="cpu",
        random_state=seed,
    )


def fit_dann(Xs, ys, Xt, seed, epochs):
    X = np.vstack([Xs, Xt]).astype(np.float32)
    y = np.concatenate([ys, -np.ones(len(Xt), dtype=ys.dtype)])
    sd = np.concatenate([np.ones(len(Xs), int), -np.ones(len(Xt), int)])
    return net(seed, epochs).fit(X, y, sample_domain=sd)


def run_pair(source, target, seed, epochs, with_msda):
    Xs, ys, Xt, Xtest, ytest = load(source, target)
    dense = [M.toarray().astype(np.float32) for M in (Xs, Xt, Xtest)]
    row = {"pair": f"{source}->{target}"}
    start = time.perf_counter()
    row["linear_source_only"] = float(
        TunedLogisticRegression(random_state=seed).fit(Xs, ys).score(Xtest, ytest)
    )
    row["mlp_source_only"] = float(
        net(seed, epochs).fit(dense[0], ys).score(dense[2], ytest)
    )
    row["dann"] = float(
        fit_dann(dense[0], ys, dense[1], seed, epochs).score(dense[2], ytest)
    )
    if with_msda:
        from sktransfer.feature import MarginalizedDenoisingAutoencoder

        msda = MarginalizedDenoisingAutoencoder(random_state=seed)
        from scipy.sparse import vstack

        msda.fit(vstack([Xs, Xt]))
        Ms, Mt, Mtest = (_dense(msda.transform(M)) for M in (Xs, Xt, Xtest))
        row["mlp_source_only_msda"] = float(
            net(seed, epochs).fit(Ms, ys).score(Mtest, ytest)
        )
        row["dann_msda"] = float(fit_dann(Ms, ys, Mt, seed, epochs).score(Mtest, ytest))
    row["seconds"] = round(time.perf_counter() - start, 1)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs", default="all", help="e.g. books-kitchen,dvd-books")
    parser.add_argument("--no-msda", action="store_true")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import sktransfer.feature as feature

        with_msda = hasattr(feature, "MarginalizedDenoisingAutoencoder")
    except ImportError:
        with_msda = False
    with_msda = with_msda and not args.no_msda
    if args.pairs == "all":
        pairs = list(itertools.permutations(DOMAINS, 2))
    else:
        pairs = [tuple(p.split("-")) for p in args.pairs.split(",")]
    rows = []
    with threadpool_limits(1):
        for source, target in pairs:
            rows.append(run_pair(source, target, args.seed, args.epochs, with_msda))
            print(json.dumps(rows[-1]), flush=True)
    keys = [k for k in rows[0] if k not in ("pair", "seconds")]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    print("mean", json.dumps(mean))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(
                {
                    "epochs": args.epochs,
                    "seed": args.seed,
                    "rows": rows,
                    "mean": mean,
                    "msda": with_msda,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
