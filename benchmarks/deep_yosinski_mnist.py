"""How transferable are features? Yosinski et al. (NIPS 2014) at small scale.

MNIST is split into two disjoint tasks, A (digits 0-4) and B (digits 5-9).
Base networks ``baseA`` and ``baseB`` (an MLP with four hidden layers, so
``L = 5`` layers with the head) are trained on each task. Then, for
``n = 1 .. L - 1``, the first ``n`` layers of a base network are copied into
a new network for B whose layers above ``n`` are re-initialised, and trained
on B with the copied layers frozen (``AnB``, ``BnB``) or fine-tuned (``AnB+``,
``BnB+``), all with :class:`sktransfer.deep.FineTuningClassifier`
(``module=<base network>, transfer_layers=n, freeze=n or None,
replace_head=True, transferred_lr_factor=1``). Target accuracy is measured on
the B digits of MNIST's official test set.

The paper's shape: ``AnB+`` at or above ``baseB`` (transfer plus fine-tuning
generalises better), ``AnB`` falling as ``n`` grows (features get specific
to A), ``BnB`` dipping in the middle (fragile co-adaptation) and ``BnB+``
flat at ``baseB``.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_yosinski_mnist.py \\
        --seeds 0,1,2 --output examples/data/deep_yosinski_mnist.json

Runs on one torch thread (``torch.set_num_threads(1)``).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sktransfer.datasets import get_data_home
from sktransfer.deep import FineTuningClassifier

HIDDEN = (256, 256, 256, 256)
TASK_A = (0, 1, 2, 3, 4)


def load_tasks(data_home, n_train, rng):
    """Rows of tasks A and B: training rows drawn from MNIST's training set."""
    with np.load(Path(get_data_home(data_home)) / "mnist" / "mnist.npz") as npz:
        images, labels = npz["images"], npz["labels"]
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    train, test = np.arange(60000), np.arange(60000, 70000)
    tasks = {}
    for name, in_task in (
        ("A", np.isin(labels, TASK_A)),
        ("B", ~np.isin(labels, TASK_A)),
    ):
        rows = rng.choice(train[in_task[train]], size=n_train, replace=False)
        test_rows = test[in_task[test]]
        tasks[name] = (X[rows], labels[rows], X[test_rows], labels[test_rows])
    return tasks


def net(seed, epochs, **params):
    if "module" not in params:
        params["module__hidden_units"] = HIDDEN
    return FineTuningClassifier(
        max_epochs=epochs,
        batch_size=128,
        lr=1e-3,
        device="cpu",
        random_state=seed,
        **params,
    )


def run_seed(seed, tasks, epochs):
    XA, yA, _, _ = tasks["A"]
    XB, yB, XB_test, yB_test = tasks["B"]
    base = {"A": net(seed, epochs).fit(XA, yA), "B": net(seed, epochs).fit(XB, yB)}
    result = {"baseB": float(base["B"].score(XB_test, yB_test))}
    n_layers = len(base["B"].layer_names_)
    for source in ("A", "B"):
        for tuned in (False, True):
            name = f"{source}nB" + ("+" if tuned else "")
            scores = []
            for n in range(1, n_layers):
                model = net(
                    seed + 1000,
                    epochs,
                    module=base[source].module_,
                    transfer_layers=n,
                    freeze=None if tuned else n,
                    replace_head=True,
                    transferred_lr_factor=1.0,
                )
                # every row of B is a labeled target row; the base network is
                # the pretrained module
                model.fit(XB, yB, sample_domain=-np.ones(len(yB), dtype=int))
                scores.append(float(model.score(XB_test, yB_test)))
            result[name] = scores
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    start = time.perf_counter()
    runs = []
    for seed in map(int, args.seeds.split(",")):
        tasks = load_tasks(args.data_home, args.n_train, np.random.RandomState(seed))
        runs.append(run_seed(seed, tasks, args.epochs))
        print(f"seed {seed}: {json.dumps(runs[-1])}", flush=True)
    curves = ["AnB", "AnB+", "BnB", "BnB+"]
    n_values = list(range(1, len(runs[0]["AnB"]) + 1))
    summary = {
        "n": n_values,
        "baseB": [r["baseB"] for r in runs],
        **{c: [r[c] for r in runs] for c in curves},
        "protocol": {
            "seeds": args.seeds,
            "n_train_per_task": args.n_train,
            "epochs": args.epochs,
            "hidden_units": list(HIDDEN),
            "task_A": list(TASK_A),
        },
    }
    base_b = np.mean(summary["baseB"])
    print(f"\nbaseB: {base_b:.4f} ± {np.std(summary['baseB']):.4f}")
    print("| n | " + " | ".join(curves) + " |")
    print("|---" * (len(curves) + 1) + "|")
    for i, n in enumerate(n_values):
        cells = [
            f"{np.mean([s[i] for s in summary[c]]):.4f} ± "
            f"{np.std([s[i] for s in summary[c]]):.4f}"
            for c in curves
        ]
        print(f"| {n} | " + " | ".join(cells) + " |")
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
