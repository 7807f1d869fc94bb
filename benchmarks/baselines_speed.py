"""Fit time and accuracy of the benchmark's base estimator.

``TunedLogisticRegression`` is the plain estimator of every baseline of
``sktransfer benchmark``; it must stay about as cheap as the plain
``LogisticRegression`` it tunes. This script fits both, and scikit-learn's
``LogisticRegressionCV`` with the same grid and folds, on 3000 training rows
with 196 features and 10 classes, and scores them on 1000 held-out rows:

* ``mnist``: MNIST digits at 14x14 pixels in [0, 1] (``fetch_mnist_digits``,
  read from ``SKTRANSFER_DATA``; skipped when absent);
* ``mnist_raw``: the same pixels in 0..255, unscaled, where L-BFGS needs
  many more iterations;
* ``synthetic``: ``make_classification`` with 196 features, 40 informative.

Everything runs on one BLAS thread, as in the benchmark's fits.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/baselines_speed.py
    python benchmarks/baselines_speed.py --data mnist,synthetic --repeats 3
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from sktransfer.benchmark import TunedLogisticRegression

CS = tuple(np.logspace(-3, 3, 7))


def load(name, n_train, n_test, seed):
    """``X_train, X_test, y_train, y_test`` of one data set, or None."""
    n = n_train + n_test
    if name.startswith("mnist"):
        from sktransfer.datasets import fetch_mnist_digits

        try:
            X, y, _ = fetch_mnist_digits(
                "mnist",
                None,
                image_size=14,
                n_samples=n,
                random_state=seed,
                download_if_missing=False,
                return_X_y=True,
            )
        except OSError as exc:
            print(f"{name}: skipped ({exc})", file=sys.stderr)
            return None
        X = X.astype(np.float64) * (255.0 if name == "mnist_raw" else 1.0)
    else:
        X, y = make_classification(
            n,
            n_features=196,
            n_informative=40,
            n_redundant=20,
            n_classes=10,
            n_clusters_per_class=1,
            random_state=seed,
        )
    return train_test_split(
        X, y, train_size=n_train, test_size=n_test, stratify=y, random_state=seed
    )


def models(seed):
    return {
        "TunedLogisticRegression": TunedLogisticRegression(random_state=seed),
        "LogisticRegression": LogisticRegression(),
        "LogisticRegressionCV": LogisticRegressionCV(
            Cs=list(CS),
            cv=StratifiedKFold(3, shuffle=True, random_state=seed),
            scoring="neg_log_loss",
            max_iter=500,
            l1_ratios=(0.0,),
            use_legacy_attributes=False,
        ),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="mnist,mnist_raw,synthetic")
    parser.add_argument("--models", default=None, help="comma-separated subset")
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)

    print(f"{'data':10s} {'model':24s} {'fit (s)':>8s} {'accuracy':>8s}  C")
    for name in args.data.split(","):
        for seed in range(args.repeats):
            split = load(name, args.n_train, args.n_test, seed)
            if split is None:
                break
            X_train, X_test, y_train, y_test = split
            for label, model in models(seed).items():
                if args.models and label not in args.models.split(","):
                    continue
                with threadpool_limits(1), warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter("always", ConvergenceWarning)
                    start = time.perf_counter()
                    model.fit(X_train, y_train)
                    seconds = time.perf_counter() - start
                accuracy = float(np.mean(model.predict(X_test) == y_test))
                C = next(
                    getattr(model, key)
                    for key in ("best_C_", "C_", "C")
                    if hasattr(model, key)
                )
                C = float(np.ravel(C)[0])
                note = f"  ({len(w)} ConvergenceWarning)" if w else ""
                print(
                    f"{name:10s} {label:24s} {seconds:8.2f} {accuracy:8.3f}  "
                    f"{C:g}{note}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
