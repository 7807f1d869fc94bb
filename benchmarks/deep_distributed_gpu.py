"""Data-parallel training on every visible GPU against one: time and accuracy.

The same estimator fitted twice, with ``fit_distributed``: in one process on
one GPU (``n_processes=1``, the ordinary ``fit``), and in one process per
visible GPU (NCCL, ``DistributedDataParallel``), the same ``batch_size``
(the batch of one optimizer step, split between the GPUs), seed and epochs:

* ``dann``: :class:`~sktransfer.deep.DANNClassifier` on MNIST -> digits
  (``--image-size`` pixels, the default SmallCNN; ``--n-mnist`` source rows
  and the digits, unlabeled);
* ``finetune``: :class:`~sktransfer.deep.FineTuningClassifier`, the same
  network pre-trained on MNIST then fine-tuned on 10 labeled digits per
  class.

Prints one JSON line per fit: processes, devices, seconds per epoch (the
median of the epochs after the first, from the history's ``dur``), the
whole fit's seconds (starting the processes included), the target accuracy;
then the speed-up of each estimator. Exits 1 when the accuracy of the
several-process fit falls more than ``--tolerance`` below the one-process
fit (the data-parallel gradient is the one of the whole batch; batch norm
sees each GPU's shard, so the two fits are close, not equal).

With one GPU there is nothing to split: the one-process fit runs on it and
the two-process fit on the CPU (Gloo), which checks the machinery, not the
speed. Without a GPU both run on the CPU (1 and 2 processes, Gloo), and the
script says so. Without the MNIST file (``SKTRANSFER_DATA``), a synthetic
shift with an MLP stands in, and the script says so.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_distributed_gpu.py \\
        --epochs 5 --n-mnist 10000
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch

from sktransfer.datasets import fetch_mnist_digits, make_domain_shift
from sktransfer.deep import DANNClassifier, FineTuningClassifier, fit_distributed
from sktransfer.utils import hide_target_labels


def _data(args):
    """``X, y, sample_domain`` and what they are."""
    try:
        X, y, sd = fetch_mnist_digits(
            image_size=args.image_size,
            n_samples=args.n_mnist,
            random_state=0,
            download_if_missing=False,
            return_X_y=True,
        )
    except (OSError, ValueError) as exc:
        print(f"no MNIST file ({exc}): a synthetic shift with an MLP stands in")
        X, y, sd = make_domain_shift(
            args.n_mnist, args.n_mnist, n_features=64, random_state=0
        )
        return X.astype(np.float32), y, sd, "synthetic"
    X = X.reshape(len(X), 1, args.image_size, args.image_size).astype(np.float32)
    return X, y, sd, f"mnist->digits {args.image_size}x{args.image_size}"


def _estimator(name, args, device):
    params = {
        "max_epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "random_state": 0,
        "device": device,
    }
    if name == "dann":
        return DANNClassifier(**params)
    return FineTuningClassifier(replace_head=True, **params)


def _labels(name, y, sd):
    if name == "dann":
        return hide_target_labels(y, sd)
    return hide_target_labels(y, sd, n_labeled=10, per_class=True, random_state=0)


def _fit(name, args, data, n_processes, device):
    X, y, sd, _ = data
    y_train = _labels(name, y, sd)
    net = _estimator(name, args, device)
    start = time.perf_counter()
    fit_distributed(net, X, y_train, sample_domain=sd, n_processes=n_processes)
    seconds = time.perf_counter() - start
    durations = list(net.history[:, "dur"])
    per_epoch = statistics.median(durations[1:] if len(durations) > 1 else durations)
    test = (sd < 0) & (y_train == -1)  # the target rows not labeled for training
    return {
        "estimator": name,
        "n_processes": n_processes,
        "device": device,
        "seconds_per_epoch": round(per_epoch, 3),
        "fit_seconds": round(seconds, 2),
        "epochs": len(durations),
        "target_accuracy": round(float(net.score(X[test], y[test])), 4),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-mnist", type=int, default=10000)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument(
        "--estimators",
        nargs="+",
        default=["dann", "finetune"],
        choices=["dann", "finetune"],
    )
    args = parser.parse_args()
    n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n_gpus >= 2:
        runs = [(1, "cuda"), (n_gpus, "cuda")]
        print(f"{n_gpus} GPUs: 1 process against {n_gpus} (NCCL)")
    elif n_gpus == 1:
        runs = [(1, "cuda"), (2, "cpu")]
        print(
            "one GPU: nothing to split; 1 process on the GPU, and 2 processes on "
            "the CPU (Gloo) to check the machinery, not the speed"
        )
    else:
        runs = [(1, "cpu"), (2, "cpu")]
        print("no GPU seen: 1 and 2 processes on the CPU (Gloo)")
    data = _data(args)
    print(f"data: {data[3]}, {len(data[0])} rows")
    ok = True
    for name in args.estimators:
        reports = [_fit(name, args, data, n, device) for n, device in runs]
        for report in reports:
            print(json.dumps({**report, "gpus_seen": n_gpus}))
        one, many = reports
        speedup = one["seconds_per_epoch"] / max(many["seconds_per_epoch"], 1e-9)
        gap = one["target_accuracy"] - many["target_accuracy"]
        close = gap <= args.tolerance
        ok &= close
        print(
            json.dumps(
                {
                    "estimator": name,
                    "speedup_per_epoch": round(speedup, 2),
                    "accuracy_gap": round(gap, 4),
                    "accuracy_close": close,
                    "same_device_kind": one["device"] == many["device"],
                }
            )
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
